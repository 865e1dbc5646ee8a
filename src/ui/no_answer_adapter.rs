//! "No answer" evidence: what the rule says now (position near the address, the
//! wait, the contacts), computed by the domain on the worker and only mapped
//! here, so the screen can never say "ready" while the rule refuses.

use std::rc::Rc;

use courier_protocol::vocabulary::{Outcome, Reason};
use slint::{ComponentHandle, ModelRc, VecModel};

use super::generated::ContactRow;
use super::worker::Command;
use super::{AppState, MainWindow, NoAnswerState, Screen, UiCtx, format};
use crate::domain::no_answer::NoAnswerReadiness;
use crate::domain::parcel::Parcel;
use crate::terminal::ContactChannel;

pub(super) fn connect(ui: &MainWindow, ctx: &Rc<UiCtx>) {
    let g = ui.global::<NoAnswerState>();
    for (channel, is_call) in [
        (ContactChannel::Call, true),
        (ContactChannel::Message, false),
    ] {
        let c = Rc::downgrade(ctx);
        let f = move || {
            if let Some(ctx) = c.upgrade()
                && let Some(label) = ctx.current_label()
            {
                ctx.send(Command::Contact { label, channel });
            }
        };
        if is_call {
            g.on_call(f);
        } else {
            g.on_message(f);
        }
    }
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_confirm(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade())
            && let Some(label) = ctx.current_label()
        {
            super::clear_banner(&ui);
            ctx.send(Command::Outcome {
                label,
                outcome: Outcome::NoAnswer,
                reason: Some(Reason::Absent),
            });
        }
    });
}

/// Opens the evidence screen for the parcel on show.
pub(super) fn open(ui: &MainWindow, ctx: &UiCtx) {
    ui.global::<AppState>().set_screen(Screen::NoAnswer);
    tick(ui, ctx);
}

/// Asks the worker for the rule's answer now (every second on this screen).
pub(super) fn tick(ui: &MainWindow, ctx: &UiCtx) {
    if ui.global::<AppState>().get_screen() != Screen::NoAnswer {
        return;
    }
    if let Some(label) = ctx.current_label() {
        ctx.send(Command::NoAnswer(label));
    }
}

fn int(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Shows the rule's answer and the visit's contacts.
pub(super) fn show(
    ui: &MainWindow,
    ctx: &UiCtx,
    parcel: &Parcel,
    readiness: Option<&NoAnswerReadiness>,
) {
    let g = ui.global::<NoAnswerState>();
    if let Some(r) = readiness {
        g.set_near(r.near);
        g.set_waited(r.waited);
        g.set_contacted(r.contacted);
        g.set_has_coords(r.has_coords);
        g.set_has_fix(r.has_fix);
        g.set_distance_m(r.distance_m.map_or(-1, int));
        g.set_radius_m(int(r.radius_m));
        g.set_wait_total_s(int(r.wait_total_s));
        g.set_remaining_s(int(r.remaining_s));
        g.set_contacts_needed(int(r.contacts_needed));
    } else {
        g.set_near(false);
        g.set_waited(false);
        g.set_contacted(false);
    }
    let rows: Vec<ContactRow> = parcel
        .visit
        .iter()
        .flat_map(|v| &v.contacts)
        .map(|c| ContactRow {
            channel: c.channel.as_str().into(),
            time: format::clock(c.at_utc_ms, ctx.utc_offset_minutes).into(),
        })
        .collect();
    g.set_contacts(ModelRc::new(VecModel::from(rows)));
}
