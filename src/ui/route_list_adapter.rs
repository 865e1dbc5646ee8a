//! Route list: the day's parcels in route order, counts, and a typed or scanned label.

use std::rc::Rc;

use courier_protocol::vocabulary::CodePolicy;
use courier_protocol::vocabulary::ParcelKind;
use slint::{ComponentHandle, ModelRc, VecModel};

use super::generated::ParcelRow;
use super::worker::Command;
use super::{MainWindow, RouteListState, UiCtx, format};
use crate::domain::day_counts::DayCounts;
use crate::domain::digits::label_key;
use crate::domain::parcel::{DisplayState, Parcel};

pub(super) fn connect(ui: &MainWindow, ctx: &Rc<UiCtx>) {
    let g = ui.global::<RouteListState>();
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_open(move |label| {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            ui.global::<RouteListState>().set_typed("".into());
            if !label.trim().is_empty() {
                super::clear_banner(&ui);
                ctx.send(Command::Open(label.to_string()));
            }
        }
    });
    let w = ui.as_weak();
    g.on_key(move |key| {
        if let Some(ui) = w.upgrade()
            && let Some(c) = label_key(&key)
        {
            let g = ui.global::<RouteListState>();
            g.set_typed(format!("{}{c}", g.get_typed()).into());
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_toggle_finished(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            let g = ui.global::<RouteListState>();
            g.set_show_finished(!g.get_show_finished());
            show(&ui, &ctx);
        }
    });
}

/// Whether the parcel needs nothing more today (folded away on the list): the
/// terminal's own state machine says no new visit can start.
pub(super) fn finished(p: &Parcel) -> bool {
    p.is_finished()
}

/// Protocol-free codes the screens translate.
pub(super) fn kind_code(kind: ParcelKind) -> &'static str {
    match kind {
        ParcelKind::Delivery => "delivery",
        ParcelKind::Exchange => "exchange",
        ParcelKind::Pickup => "pickup",
    }
}

/// The state code and outcome code of a parcel, as the route list shows it.
pub(super) fn state_codes(p: &Parcel) -> (&'static str, &'static str) {
    match p.display_state() {
        DisplayState::ToDo => ("todo", ""),
        DisplayState::AtDoor => ("at_door", ""),
        DisplayState::Delivered => ("delivered", ""),
        DisplayState::Failed(o) => ("failed", o.as_str()),
        DisplayState::Withdrawn => ("withdrawn", ""),
        DisplayState::Locked => ("locked", ""),
        DisplayState::Returned => ("returned", ""),
        DisplayState::AtDesk => ("at_desk", ""),
    }
}

pub(super) fn row(p: &Parcel, ctx: &UiCtx) -> ParcelRow {
    let (state, outcome) = state_codes(p);
    ParcelRow {
        label: p.spec.label.as_str().into(),
        seq: i32::try_from(p.spec.route_order).unwrap_or(i32::MAX),
        kind: kind_code(p.spec.kind).into(),
        name: p.spec.recipient.name.as_str().into(),
        address: format!("{}, {}", p.spec.address.text, p.spec.address.city).into(),
        amount: format::amount(p.spec.amount_minor, &p.spec.currency, ctx.lang.get()).into(),
        state: state.into(),
        outcome: outcome.into(),
        online_only: p.spec.policy == CodePolicy::OnlineOnly,
    }
}

/// Shows the last route the worker sent.
pub(super) fn show(ui: &MainWindow, ctx: &UiCtx) {
    let parcels = ctx.parcels.borrow();
    let g = ui.global::<RouteListState>();
    let show_finished = g.get_show_finished();
    let rows: Vec<ParcelRow> = parcels
        .iter()
        .filter(|p| show_finished || !finished(p))
        .map(|p| row(p, ctx))
        .collect();
    let c = DayCounts::of(&parcels);
    let int = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
    g.set_finished(int(parcels.iter().filter(|p| finished(p)).count()));
    let next = parcels
        .iter()
        .find(|p| matches!(p.display_state(), DisplayState::ToDo | DisplayState::AtDoor))
        .map(|p| p.spec.label.as_str())
        .unwrap_or_default();
    g.set_next_label(next.into());
    g.set_total(int(c.total));
    g.set_todo(int(c.to_do));
    g.set_delivered(int(c.delivered));
    g.set_failed(int(c.failed));
    g.set_withdrawn(int(c.withdrawn_or_returned));
    g.set_parcels(ModelRc::new(VecModel::from(rows)));
}
