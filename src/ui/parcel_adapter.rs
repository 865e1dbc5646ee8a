//! Parcel screen: recipient, address, what to collect, and the doorstep steps.

use std::rc::Rc;

use courier_protocol::manifest::ManifestSettings;
use courier_protocol::vocabulary::{CodePolicy, Outcome, Reason};
use slint::{ComponentHandle, ModelRc, VecModel};

use super::generated::OrderParcelRow;
use super::worker::Command;
use super::{
    AppState, CodeEntryState, MainWindow, OutcomeState, ParcelViewState, Screen, UiCtx, Verdict,
    format,
};
use crate::domain::parcel::Parcel;
use crate::terminal::OrderDoor;

pub(super) fn connect(ui: &MainWindow, ctx: &Rc<UiCtx>) {
    let g = ui.global::<ParcelViewState>();
    let c = Rc::downgrade(ctx);
    g.on_arrive(move || {
        if let Some(ctx) = c.upgrade()
            && let Some(label) = ctx.current_label()
        {
            ctx.send(Command::Arrive(label));
        }
    });
    let c = Rc::downgrade(ctx);
    g.on_offer_inspection(move || {
        if let Some(ctx) = c.upgrade()
            && let Some(label) = ctx.current_label()
        {
            ctx.send(Command::OfferInspection(label));
        }
    });
    let c = Rc::downgrade(ctx);
    g.on_collect(move |item| {
        if let Some(ctx) = c.upgrade()
            && let Some(label) = ctx.current_label()
        {
            ctx.send(Command::Collect {
                label,
                item: item.to_string(),
            });
        }
    });
    let c = Rc::downgrade(ctx);
    g.on_refuse_order_parcel(move |label, outcome, reason| {
        if let Some(ctx) = c.upgrade()
            && let Some(order) = ctx.current_label()
            && let Some(outcome) = Outcome::parse(&outcome)
        {
            ctx.send(Command::RefuseOrderParcel {
                order,
                label: label.to_string(),
                outcome,
                reason: Reason::parse(&reason),
            });
        }
    });
    let w = ui.as_weak();
    g.on_enter_code(move || {
        if let Some(ui) = w.upgrade() {
            let code = ui.global::<CodeEntryState>();
            code.set_entered("".into());
            code.set_verdict(Verdict::None);
            ui.global::<AppState>().set_screen(Screen::Code);
        }
    });
    let w = ui.as_weak();
    g.on_cannot_deliver(move || {
        if let Some(ui) = w.upgrade() {
            let o = ui.global::<OutcomeState>();
            o.set_selected(-1);
            o.set_reason(-1);
            o.set_reasons(slint::ModelRc::default());
            ui.global::<AppState>().set_screen(Screen::Outcome);
        }
    });
}

/// Fills the parcel screen.
pub(super) fn show(ui: &MainWindow, ctx: &UiCtx, p: &Parcel, _settings: &ManifestSettings) {
    let g = ui.global::<ParcelViewState>();
    let (state, outcome) = super::route_list_adapter::state_codes(p);
    g.set_label(p.spec.label.as_str().into());
    g.set_kind(super::route_list_adapter::kind_code(p.spec.kind).into());
    g.set_name(p.spec.recipient.name.as_str().into());
    g.set_phone(p.spec.recipient.phone.as_str().into());
    g.set_address(format!("{}, {}", p.spec.address.text, p.spec.address.city).into());
    g.set_instructions(p.spec.instructions.clone().unwrap_or_default().into());
    g.set_amount(format::amount(p.spec.amount_minor, &p.spec.currency, ctx.lang.get()).into());
    g.set_state(state.into());
    g.set_outcome(outcome.into());
    let collect = p.spec.collect.as_ref();
    g.set_needs_collect(p.has_item_to_collect());
    g.set_collect_description(
        collect
            .map(|c| c.description.clone())
            .unwrap_or_default()
            .into(),
    );
    g.set_collect_label(
        collect
            .and_then(|c| c.label.clone())
            .unwrap_or_default()
            .into(),
    );
    g.set_collected(p.collected_label.is_some());
    g.set_arrived(p.visit.is_some());
    g.set_inspection_offered(p.visit.as_ref().is_some_and(|v| v.inspection_offered));
    g.set_open_for_delivery(p.open_for_delivery());
    g.set_online_only(p.spec.policy == CodePolicy::OnlineOnly);
    g.set_tries_left(i32::try_from(p.tries_left()).unwrap_or(i32::MAX));
    ui.global::<CodeEntryState>()
        .set_tries_left(i32::try_from(p.tries_left()).unwrap_or(i32::MAX));
    ui.global::<CodeEntryState>()
        .set_digits(i32::from(p.spec.code.digits));
    show_order(ui, ctx, p);
}

/// The parcels of an order of several parcels at the door: scanned, refused
/// (with the reason), and what the code releases now.
fn show_order(ui: &MainWindow, ctx: &UiCtx, p: &Parcel) {
    let g = ui.global::<ParcelViewState>();
    g.set_refusing("".into());
    let order = p.spec.has_several_parcels().then(|| OrderDoor::of(p));
    g.set_is_order(order.is_some());
    let Some(order) = order else {
        g.set_order_parcels(ModelRc::default());
        g.set_order_releases("".into());
        return;
    };
    let lang = ctx.lang.get();
    let rows: Vec<OrderParcelRow> = order
        .parcels
        .iter()
        .map(|d| OrderParcelRow {
            label: d.label.as_str().into(),
            amount: format::amount(d.amount_minor, &order.currency, lang).into(),
            description: d.description.clone().unwrap_or_default().into(),
            scanned: d.scanned,
            refused: d
                .refused
                .map(|(o, _)| o.as_str())
                .unwrap_or_default()
                .into(),
            reason: d
                .refused
                .and_then(|(_, r)| r)
                .map(Reason::as_str)
                .unwrap_or_default()
                .into(),
        })
        .collect();
    g.set_order_parcels(ModelRc::new(VecModel::from(rows)));
    g.set_order_releases(
        order
            .releases_minor
            .filter(|_| p.open_for_delivery())
            .map(|m| format::amount(m, &order.currency, lang))
            .unwrap_or_default()
            .into(),
    );
}
