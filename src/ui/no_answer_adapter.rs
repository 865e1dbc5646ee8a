//! "No answer" evidence: position near the address, the wait (counted from the
//! arrival the terminal stored, so it survives leaving the screen), and the contact
//! attempts with their times.

use std::rc::Rc;

use courier_protocol::vocabulary::{Outcome, Reason};
use slint::{ComponentHandle, ModelRc, VecModel};

use super::generated::ContactRow;
use super::worker::Command;
use super::{AppState, MainWindow, NoAnswerState, Screen, UiCtx, format};
use crate::domain::position::{distance_m, to_e7};
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
    tick(ui, ctx);
    ui.global::<AppState>().set_screen(Screen::NoAnswer);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Recomputes the evidence from the stored visit, the position feed and the clock.
pub(super) fn tick(ui: &MainWindow, ctx: &UiCtx) {
    let current = ctx.current.borrow();
    let Some((parcel, settings)) = current.as_ref() else {
        return;
    };
    let g = ui.global::<NoAnswerState>();
    let wait_s = i64::from(settings.no_answer_wait_s);
    let remaining = match &parcel.visit {
        Some(v) => (wait_s - (now_ms() - v.arrived_utc_ms) / 1000).max(0),
        None => wait_s,
    };
    g.set_wait_total_s(i32::try_from(wait_s).unwrap_or(i32::MAX));
    g.set_remaining_s(i32::try_from(remaining).unwrap_or(i32::MAX));
    g.set_radius_m(i32::try_from(settings.no_answer_radius_m).unwrap_or(i32::MAX));
    g.set_contacts_needed(i32::try_from(settings.no_answer_contacts).unwrap_or(i32::MAX));
    let address = &parcel.spec.address;
    let coords = address.lat_e7.zip(address.lon_e7);
    g.set_has_coords(coords.is_some());
    let reading = ctx.position.reading();
    let here = reading
        .current
        .as_ref()
        .map(|f| (to_e7(f.fix.lat_deg), to_e7(f.fix.lon_deg)));
    g.set_has_fix(here.is_some());
    if let (Some(here), Some(there)) = (here, coords) {
        let d = distance_m(here, there).round();
        g.set_distance_m(if d.is_finite() && d < f64::from(i32::MAX) {
            d as i32
        } else {
            i32::MAX
        });
    } else {
        g.set_distance_m(-1);
    }
    // The visit keeps every contact with its time, across screens and restarts.
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
