//! Sync with the escrow server: enrollment, event upload with signed receipts,
//! manifest download, online code checks (see `docs/protocol.md`, "HTTP API").
//!
//! [`plan`] decides what to do from the outbox alone and [`backoff`] how long to
//! wait, both pure; [`client`] speaks HTTP; [`engine`] runs the plan;
//! [`log_watch`] holds the server to one history of its event log;
//! [`online_check`] answers online-only parcels at the door; [`tls_trust`]
//! says which certificate authorities the server's HTTPS must chain to; [`enrollment`]
//! and [`run_once`] are what the `enroll` and `sync` commands do (the command
//! line prints them); [`background`] runs the engine beside the doorstep flow.

pub mod background;
pub mod backoff;
pub mod client;
pub mod engine;
pub mod enrollment;
pub mod log_watch;
pub mod online_check;
pub mod plan;
pub mod run_once;
pub mod supervisor_sign_in;
pub mod tls_trust;

pub use engine::{SyncConfig, SyncEngine, SyncError, SyncReport};
pub use tls_trust::TlsTrust;
