//! The courier's screens (Slint). This module is the one adapter layer between
//! the generated Slint types and the rest: one `*_adapter.rs` per screen global,
//! a worker thread that owns the [`Terminal`](crate::terminal::Terminal), and
//! replies brought back to the UI thread with `upgrade_in_event_loop`.
//!
//! By concern: `app` (start: window, adapters, worker, scanner relay, timer,
//! language selection), `context` (what the UI thread keeps, sending
//! commands), `navigation` (back, scans by screen), `replies` (the worker's
//! answers mapped to the screens), `language`, `banner`.

mod about_adapter;
mod app;
mod banner;
mod code_entry_adapter;
mod context;
mod depot_adapter;
pub mod depot_commands;
mod diagnose_adapter;
pub mod display;
mod enroll_adapter;
pub mod first_run;
pub mod format;
mod label_pad_adapter;
mod language;
mod navigation;
mod no_answer_adapter;
pub mod notice;
mod outcome_adapter;
mod parcel_adapter;
mod replies;
mod route_list_adapter;
mod screen_log;
mod status_bar_adapter;
pub mod worker;

/// The Slint code generated from `ui/app.slint`.
#[allow(missing_docs, clippy::all, clippy::unwrap_used, unused_qualifications)]
pub mod generated {
    slint::include_modules!();
}

pub use about_adapter::qr_image;
pub use app::{App, AppConfig, has_display, run_app};
pub(crate) use banner::clear_banner;
pub(crate) use context::UiCtx;
pub use display::{Display, Rotation, ScaleSource};
pub use first_run::{FirstRun, FirstRunApp, Started, run_first_run};
pub use generated::{
    AboutState, AppState, CodeEntryState, DepotState, DiagRow, DiagnoseState, Dir, EnrollState,
    LabelPadState, MainWindow, NoAnswerState, OrderParcelRow, OutcomeState, ParcelViewState,
    ReturnRow, RouteListState, Screen, Sizes, StatusBarState, SupervisorRow, Tr, Verdict,
};
pub use language::Language;
