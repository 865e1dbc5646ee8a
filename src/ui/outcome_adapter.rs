//! "Cannot deliver": every outcome of the brief with its reasons, and who pays the
//! return fees, shown before the courier confirms.

use std::rc::Rc;

use courier_protocol::rules::outcome_rules::CHOOSABLE_OUTCOMES;
use courier_protocol::vocabulary::{Liability, Outcome, Reason};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::generated::OutcomeRow;
use super::worker::Command;
use super::{AppState, MainWindow, OutcomeState, Screen, UiCtx};

/// Outcomes the courier may choose: the shared rules' list.
const CHOICES: [Outcome; 5] = CHOOSABLE_OUTCOMES;

/// The code of a liability, as the screens translate it.
pub(super) fn liability_code(l: Liability) -> &'static str {
    match l {
        Liability::None => "none",
        Liability::Buyer => "buyer",
        Liability::Seller => "seller",
        Liability::Carrier => "carrier",
        Liability::PerPolicy => "per_policy",
    }
}

fn selected(g: &OutcomeState<'_>) -> Option<Outcome> {
    usize::try_from(g.get_selected())
        .ok()
        .and_then(|i| CHOICES.get(i).copied())
}

fn select(ui: &MainWindow, index: i32) {
    let g = ui.global::<OutcomeState>();
    g.set_selected(index);
    g.set_reason(-1);
    let reasons: Vec<SharedString> = selected(&g)
        .map(|o| {
            o.reasons()
                .iter()
                .map(|r| SharedString::from(r.as_str()))
                .collect()
        })
        .unwrap_or_default();
    if reasons.len() == 1 {
        g.set_reason(0);
    }
    g.set_reasons(ModelRc::new(VecModel::from(reasons)));
}

pub(super) fn connect(ui: &MainWindow, ctx: &Rc<UiCtx>) {
    let g = ui.global::<OutcomeState>();
    let rows: Vec<OutcomeRow> = CHOICES
        .iter()
        .map(|o| OutcomeRow {
            code: o.as_str().into(),
            liability: liability_code(o.liability()).into(),
        })
        .collect();
    g.set_outcomes(ModelRc::new(VecModel::from(rows)));
    let w = ui.as_weak();
    g.on_select(move |i| {
        if let Some(ui) = w.upgrade() {
            select(&ui, i);
        }
    });
    let w = ui.as_weak();
    g.on_select_reason(move |i| {
        if let Some(ui) = w.upgrade() {
            ui.global::<OutcomeState>().set_reason(i);
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_confirm(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            confirm(&ui, &ctx);
        }
    });
}

fn confirm(ui: &MainWindow, ctx: &UiCtx) {
    let g = ui.global::<OutcomeState>();
    let Some(outcome) = selected(&g) else {
        return;
    };
    if outcome == Outcome::NoAnswer {
        super::no_answer_adapter::open(ui, ctx);
        return;
    }
    let reason = usize::try_from(g.get_reason())
        .ok()
        .and_then(|i| outcome.reasons().get(i).copied());
    let Some(label) = ctx.current_label() else {
        return;
    };
    super::clear_banner(ui);
    ctx.send(Command::Outcome {
        label,
        outcome,
        reason,
    });
}

/// Opens the outcome screen with an outcome and reason already chosen.
pub(super) fn preselect(ui: &MainWindow, outcome: Outcome, reason: Option<Reason>) {
    if let Some(i) = CHOICES.iter().position(|o| *o == outcome) {
        select(ui, i32::try_from(i).unwrap_or(-1));
        if let Some(r) = reason
            && let Some(j) = outcome.reasons().iter().position(|x| *x == r)
        {
            ui.global::<OutcomeState>()
                .set_reason(i32::try_from(j).unwrap_or(-1));
        }
    }
    ui.global::<AppState>().set_screen(Screen::Outcome);
}
