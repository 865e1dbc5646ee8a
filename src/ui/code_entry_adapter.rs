//! Code entry: keypad, physical digit keys and Enter, or the buyer's QR; then the
//! answer in colour, icon and words, shown only once the event is stored.

use std::rc::Rc;

use courier_protocol::vocabulary::{Outcome, Reason};
use slint::ComponentHandle;
use tracing::info;

use super::worker::{CodeInput, Command};
use super::{AppState, CodeEntryState, MainWindow, Screen, UiCtx, Verdict};
use crate::domain::code_check::CodeVerdict;
use crate::domain::digits::entry_digit;
use crate::domain::parcel::Parcel;

pub(super) fn connect(ui: &MainWindow, ctx: &Rc<UiCtx>) {
    let g = ui.global::<CodeEntryState>();
    let w = ui.as_weak();
    g.on_key(move |digit| {
        if let Some(ui) = w.upgrade() {
            let g = ui.global::<CodeEntryState>();
            let mut entered = g.get_entered().to_string();
            let max = usize::try_from(g.get_digits()).unwrap_or(6);
            if let Some(d) = entry_digit(&digit)
                && entered.chars().count() < max
            {
                entered.push(d);
                g.set_entered(entered.into());
            }
        }
    });
    let w = ui.as_weak();
    g.on_erase(move || {
        if let Some(ui) = w.upgrade() {
            let g = ui.global::<CodeEntryState>();
            let mut entered = g.get_entered().to_string();
            entered.pop();
            g.set_entered(entered.into());
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_submit(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            let g = ui.global::<CodeEntryState>();
            let entered = g.get_entered().to_string();
            if i32::try_from(entered.chars().count()).ok() != Some(g.get_digits()) {
                return;
            }
            // The raw code leaves the screen at once; only the worker sees it.
            g.set_entered("".into());
            submit(&ui, &ctx, CodeInput::Keypad(entered));
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_done(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            done(&ui, &ctx);
        }
    });
}

fn submit(ui: &MainWindow, ctx: &UiCtx, input: CodeInput) {
    let Some(label) = ctx.current_label() else {
        return;
    };
    super::clear_banner(ui);
    ui.global::<AppState>().set_busy(true);
    ctx.send(Command::Code { label, input });
}

/// A buyer QR read by the scanner while the keypad is on screen.
pub(super) fn submit_qr(ui: &MainWindow, ctx: &UiCtx, text: &str) {
    submit(ui, ctx, CodeInput::Qr(text.to_owned()));
}

/// Shows the answer to a code.
pub(super) fn show_verdict(ui: &MainWindow, parcel: &Parcel, verdict: CodeVerdict) {
    let g = ui.global::<CodeEntryState>();
    let (v, left) = match verdict {
        CodeVerdict::Delivered => (Verdict::Delivered, 0),
        CodeVerdict::WrongCode { tries_left } => (Verdict::Wrong, tries_left),
        CodeVerdict::Locked => (Verdict::Locked, 0),
        CodeVerdict::NeedsNetwork => (Verdict::Network, parcel.tries_left()),
    };
    g.set_entered("".into());
    info!(label = %parcel.spec.label, verdict = ?v, "code verdict shown");
    g.set_verdict(v);
    g.set_verdict_tries_left(i32::try_from(left).unwrap_or(i32::MAX));
    g.set_tries_left(i32::try_from(parcel.tries_left()).unwrap_or(i32::MAX));
    ui.global::<AppState>().set_screen(Screen::Code);
}

/// After the answer: next parcel, try again, or record "no code".
fn done(ui: &MainWindow, ctx: &UiCtx) {
    let g = ui.global::<CodeEntryState>();
    let verdict = g.get_verdict();
    g.set_verdict(Verdict::None);
    match verdict {
        Verdict::Delivered => {
            ctx.current.borrow_mut().take();
            ui.global::<AppState>().set_screen(Screen::Route);
            ctx.send(Command::Refresh);
        }
        Verdict::Locked => {
            super::outcome_adapter::preselect(ui, Outcome::NoCode, Some(Reason::AttemptsExhausted))
        }
        Verdict::Network => {
            super::outcome_adapter::preselect(ui, Outcome::NoCode, Some(Reason::NeedsNetwork))
        }
        Verdict::Wrong | Verdict::None => {}
    }
}
