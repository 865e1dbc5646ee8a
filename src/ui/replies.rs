//! Replies of the terminal's worker, applied on the UI thread: each maps to
//! the adapter of the screen it concerns.

use slint::ComponentHandle;

use super::banner;
use super::context::UiCtx;
use super::generated::{AppState, LabelPadState, MainWindow, ParcelViewState, Screen};
use super::worker::{Command, Reply};
use super::{
    about_adapter, code_entry_adapter, depot_adapter, label_pad_adapter, no_answer_adapter,
    outcome_adapter, parcel_adapter, route_list_adapter, status_bar_adapter,
};

/// Applies a worker reply on the UI thread.
pub(crate) fn apply(ui: &MainWindow, ctx: &UiCtx, reply: Reply) {
    ctx.in_flight.borrow_mut().pop_front();
    ctx.show_busy();
    match reply {
        Reply::Route {
            parcels,
            status,
            sync,
        } => {
            ctx.events_seen.set(status.events);
            *ctx.parcels.borrow_mut() = parcels;
            route_list_adapter::show(ui, ctx);
            label_pad_adapter::refresh(ui, ctx);
            status_bar_adapter::apply_status(ui, ctx, &status, sync.as_ref());
        }
        Reply::Status { status, sync } => {
            status_bar_adapter::apply_status(ui, ctx, &status, sync.as_ref());
            // Something else (sync, a new manifest) changed the log: reload the route.
            if status.events != ctx.events_seen.get()
                && ui.global::<AppState>().get_screen() == Screen::Route
            {
                ctx.events_seen.set(status.events);
                ctx.send(Command::Refresh);
            }
        }
        Reply::Parcel {
            parcel,
            settings,
            opened,
        } => {
            *ctx.current.borrow_mut() = Some((parcel.clone(), settings.clone()));
            parcel_adapter::show(ui, ctx, &parcel, &settings);
            no_answer_adapter::tick(ui, ctx);
            if opened {
                banner::clear_banner(ui);
                ui.global::<LabelPadState>().set_typed("".into());
                ui.global::<AppState>().set_screen(Screen::Parcel);
            } else if ui.global::<AppState>().get_screen() == Screen::LabelPad
                && ui.global::<ParcelViewState>().get_collected()
            {
                // The typed item was recorded: back to the parcel.
                ui.global::<LabelPadState>().set_typed("".into());
                ui.global::<AppState>().set_screen(Screen::Parcel);
            }
        }
        Reply::Code { parcel, verdict } => {
            let settings = ctx
                .current
                .borrow()
                .as_ref()
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            *ctx.current.borrow_mut() = Some((parcel.clone(), settings.clone()));
            parcel_adapter::show(ui, ctx, &parcel, &settings);
            code_entry_adapter::show_verdict(ui, &parcel, verdict);
        }
        Reply::Contacted { parcel } => {
            let settings = ctx
                .current
                .borrow()
                .as_ref()
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            *ctx.current.borrow_mut() = Some((parcel.clone(), settings.clone()));
            parcel_adapter::show(ui, ctx, &parcel, &settings);
        }
        Reply::Recorded { outcome } => {
            let app = ui.global::<AppState>();
            app.set_error_kind("".into());
            app.set_notice(outcome.as_str().into());
            app.set_notice_liability(outcome_adapter::liability_code(outcome.liability()).into());
            ctx.current.borrow_mut().take();
            app.set_screen(Screen::Route);
            ctx.send(Command::Refresh);
        }
        Reply::Refused(notice) => {
            let app = ui.global::<AppState>();
            app.set_notice("".into());
            app.set_error_kind(notice.kind.code().into());
            app.set_error_a(notice.a);
            app.set_error_b(notice.b);
        }
        Reply::NoAnswer { parcel, readiness } => {
            no_answer_adapter::show(ui, ctx, &parcel, readiness.as_ref());
        }
        Reply::About {
            status,
            public_key_hex,
        } => about_adapter::show(ui, &status, &public_key_hex),
        Reply::Depot(r) => depot_adapter::apply(ui, ctx, r),
        Reply::Barrier(f) => f(),
    }
}
