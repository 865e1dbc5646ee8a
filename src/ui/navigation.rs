//! Navigation: going one screen back, and routing a scanned text by the
//! screen on show (a collected item is told apart by the domain's rule).

use slint::ComponentHandle;

use super::banner;
use super::context::UiCtx;
use super::depot_commands::{self, DepotCommand};
use super::generated::{AppState, CodeEntryState, MainWindow, Screen, Verdict};
use super::worker::Command;
use super::{code_entry_adapter, depot_adapter, label_pad_adapter};
use crate::domain::parcel_scan::{ParcelScan, parcel_scan};

/// Goes one screen back.
pub(crate) fn go_back(ui: &MainWindow, ctx: &UiCtx) {
    let app = ui.global::<AppState>();
    banner::clear_banner(ui);
    let next = match app.get_screen() {
        Screen::Route => Screen::Route,
        Screen::Parcel => Screen::Route,
        Screen::Code => {
            ui.global::<CodeEntryState>().set_entered("".into());
            Screen::Parcel
        }
        Screen::Outcome => Screen::Parcel,
        Screen::NoAnswer => Screen::Outcome,
        Screen::About => ctx.before_about.get(),
        Screen::LabelPad => label_pad_adapter::back_to(ui),
        Screen::Diagnose | Screen::DepotSignIn | Screen::Depot => Screen::About,
        Screen::DepotFee | Screen::DepotClose => Screen::Depot,
        Screen::Enroll => Screen::Enroll,
    };
    if next == Screen::Route {
        ctx.current.borrow_mut().take();
        ctx.send(Command::Refresh);
    }
    app.set_screen(next);
}

/// Routes a scanned text by the screen on show.
pub(crate) fn on_scan(ui: &MainWindow, ctx: &UiCtx, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    banner::clear_banner(ui);
    let screen = ui.global::<AppState>().get_screen();
    match screen {
        Screen::Code if ui.global::<CodeEntryState>().get_verdict() == Verdict::None => {
            code_entry_adapter::submit_qr(ui, ctx, text);
        }
        Screen::Parcel | Screen::LabelPad
            if screen == Screen::Parcel
                || label_pad_adapter::collecting(ui)
                || label_pad_adapter::typing_order_parcel(ui) =>
        {
            let scan = ctx
                .current
                .borrow()
                .as_ref()
                .map(|(p, _)| (parcel_scan(p, text), p.spec.label.clone()));
            match scan {
                Some((ParcelScan::CollectedItem, label)) => ctx.send(Command::Collect {
                    label,
                    item: text.to_owned(),
                }),
                Some((ParcelScan::OrderParcel, order)) => {
                    if screen == Screen::LabelPad {
                        ui.global::<AppState>().set_screen(Screen::Parcel);
                    }
                    ctx.send(Command::ScanOrderParcel {
                        order,
                        label: text.to_owned(),
                        typed: false,
                    });
                }
                Some((ParcelScan::OwnLabel, _)) => {}
                Some((ParcelScan::Label, _)) | None => ctx.send(Command::Open(text.to_owned())),
            }
        }
        Screen::DepotSignIn => ctx.send(Command::Depot(DepotCommand::Badge(text.to_owned()))),
        Screen::Depot | Screen::DepotFee | Screen::DepotClose => {
            if screen != Screen::Depot {
                ui.global::<AppState>().set_screen(Screen::Depot);
            }
            depot_adapter::scan(
                ui,
                ctx,
                depot_commands::ReturnEntry::Scanned(text.to_owned()),
            );
        }
        Screen::Enroll => {}
        _ => ctx.send(Command::Open(text.to_owned())),
    }
}
