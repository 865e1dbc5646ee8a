//! The depot supervisor's screens: callbacks to [`DepotCommand`]s, and the
//! terminal's answers (the day book, the session, the totals) mapped to
//! `DepotState`. Which screen shows follows the session the terminal reports:
//! without one, only the sign-in screen.

use std::rc::Rc;

use courier_protocol::rules::LoadBook;
use courier_protocol::rules::returns::{ExpectedBecause, PayerWhy, ReturnItem, ReturnLine};
use courier_protocol::vocabulary::Liability;
use slint::{ComponentHandle, Model, ModelRc, VecModel};
use tracing::info;

use super::depot_commands::{DepotCommand, DepotReply, DepotView, ReturnEntry, Tone};
use super::outcome_adapter::liability_code;
use super::worker::Command;
use super::{AppState, DepotState, MainWindow, ReturnRow, Screen, SupervisorRow, UiCtx};
use crate::domain::digits::entry_digit;
use crate::terminal::FeeChangeRequest;

fn with(
    ui: &MainWindow,
    ctx: &Rc<UiCtx>,
    f: impl Fn(&MainWindow, &UiCtx) + 'static,
) -> impl Fn() + 'static {
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            f(&ui, &ctx);
        }
    }
}

pub(super) fn connect(ui: &MainWindow, ctx: &Rc<UiCtx>) {
    let g = ui.global::<DepotState>();
    ui.global::<AppState>()
        .on_open_depot(with(ui, ctx, |ui, ctx| {
            clear_result(ui);
            ui.global::<AppState>().set_screen(Screen::DepotSignIn);
            ctx.send(Command::Depot(DepotCommand::Open));
        }));
    let w = ui.as_weak();
    g.on_choose(move |i| {
        if let Some(ui) = w.upgrade() {
            let g = ui.global::<DepotState>();
            g.set_chosen(i);
            g.set_pin("".into());
            g.set_pin_length(0);
            let digits = usize::try_from(i)
                .ok()
                .and_then(|i| slint::Model::row_data(&g.get_supervisors(), i))
                .map(|s| s.pin_digits)
                .unwrap_or(6);
            g.set_pin_digits(digits);
        }
    });
    let w = ui.as_weak();
    g.on_pin_key(move |d| {
        if let Some(ui) = w.upgrade() {
            let g = ui.global::<DepotState>();
            let pin = g.get_pin();
            if let Some(d) = entry_digit(&d)
                && usize::try_from(g.get_pin_digits()).is_ok_and(|n| pin.chars().count() < n)
            {
                let pin = format!("{pin}{d}");
                g.set_pin_length(i32::try_from(pin.chars().count()).unwrap_or(0));
                g.set_pin(pin.into());
            }
        }
    });
    let w = ui.as_weak();
    g.on_pin_erase(move || {
        if let Some(ui) = w.upgrade() {
            let g = ui.global::<DepotState>();
            let mut pin = g.get_pin().to_string();
            pin.pop();
            g.set_pin_length(i32::try_from(pin.chars().count()).unwrap_or(0));
            g.set_pin(pin.into());
        }
    });
    g.on_sign_in(with(ui, ctx, |ui, ctx| {
        let g = ui.global::<DepotState>();
        let chosen = usize::try_from(g.get_chosen()).ok();
        let id = chosen.and_then(|i| slint::Model::row_data(&g.get_supervisors(), i));
        let pin = g.get_pin().to_string();
        // The PIN leaves the screen the moment it is sent.
        g.set_pin("".into());
        g.set_pin_length(0);
        if let Some(s) = id {
            ctx.send(Command::Depot(DepotCommand::Pin {
                supervisor_id: s.id.to_string(),
                pin,
            }));
        }
    }));
    g.on_sign_out(with(ui, ctx, |_, ctx| {
        ctx.send(Command::Depot(DepotCommand::SignOut))
    }));
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_scan(move |text| {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            ui.global::<DepotState>().set_typed("".into());
            scan(&ui, &ctx, ReturnEntry::Typed(text.to_string()));
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_open_fee(move |label| {
        if let (Some(ui), Some(_ctx)) = (w.upgrade(), c.upgrade()) {
            let g = ui.global::<DepotState>();
            let rows = [g.get_missing_rows(), g.get_received_rows()];
            let row = rows
                .iter()
                .flat_map(|m| slint::Model::iter(m))
                .find(|r| r.label == label);
            if let Some(row) = row {
                g.set_fee_row(row);
                g.set_fee_payer("".into());
                g.set_fee_note("".into());
                g.set_fee_courier_confirmed(false);
                clear_result(&ui);
                ui.global::<AppState>().set_screen(Screen::DepotFee);
            }
        }
    });
    g.on_fee_courier_confirm(with(ui, ctx, |ui, ctx| {
        if let Some(req) = fee_request(ui) {
            ctx.send(Command::Depot(DepotCommand::FeeCourierConfirms(req)));
        }
    }));
    g.on_fee_approve(with(ui, ctx, |ui, ctx| {
        if let Some(req) = fee_request(ui) {
            ctx.send(Command::Depot(DepotCommand::FeeApprove(req)));
        }
    }));
    g.on_open_close(with(ui, ctx, |ui, _| {
        let g = ui.global::<DepotState>();
        g.set_close_courier_confirmed(false);
        g.set_closed(false);
        g.set_force_reason("".into());
        clear_result(ui);
        ui.global::<AppState>().set_screen(Screen::DepotClose);
    }));
    g.on_close_courier_confirm(with(ui, ctx, |_, ctx| {
        ctx.send(Command::Depot(DepotCommand::CloseCourierConfirms))
    }));
    g.on_open_load(with(ui, ctx, |ui, ctx| {
        let g = ui.global::<DepotState>();
        g.set_loading(true);
        g.set_load_courier_confirmed(false);
        g.set_load_signed(false);
        g.set_last_kind("".into());
        g.set_last_label("".into());
        ctx.send(Command::Depot(DepotCommand::Open));
    }));
    g.on_open_returns(with(ui, ctx, |ui, ctx| {
        let g = ui.global::<DepotState>();
        g.set_loading(false);
        g.set_last_kind("".into());
        g.set_last_label("".into());
        ctx.send(Command::Depot(DepotCommand::Open));
    }));
    g.on_load_courier_confirm(with(ui, ctx, |_, ctx| {
        ctx.send(Command::Depot(DepotCommand::LoadCourierConfirms))
    }));
    g.on_sign_load(with(ui, ctx, |_, ctx| {
        ctx.send(Command::Depot(DepotCommand::SignLoad))
    }));
    g.on_close_day(with(ui, ctx, |ui, ctx| {
        let g = ui.global::<DepotState>();
        let reason = g.get_force_reason().trim().to_owned();
        // A reason is passed only when the screen says returns are missing.
        let force_reason = (g.get_missing() > 0).then_some(reason);
        ctx.send(Command::Depot(DepotCommand::Close { force_reason }));
    }));
}

/// Scans a return in with the condition chosen on the screen, or, at the
/// morning load check, a parcel into the vehicle.
pub(super) fn scan(ui: &MainWindow, ctx: &UiCtx, entry: ReturnEntry) {
    let g = ui.global::<DepotState>();
    if g.get_loading() {
        ctx.send(Command::Depot(DepotCommand::Load(entry)));
        return;
    }
    let condition = courier_protocol::vocabulary::Condition::parse(g.get_condition().as_str())
        .unwrap_or(courier_protocol::vocabulary::Condition::Intact);
    let note = Some(g.get_note().to_string()).filter(|n| !n.trim().is_empty());
    ctx.send(Command::Depot(DepotCommand::Scan {
        entry,
        condition,
        note,
    }));
}

fn fee_request(ui: &MainWindow) -> Option<FeeChangeRequest> {
    let g = ui.global::<DepotState>();
    let payer = Liability::parse(g.get_fee_payer().as_str())?;
    Some(FeeChangeRequest {
        label: g.get_fee_row().label.to_string(),
        payer,
        note: g.get_fee_note().to_string(),
    })
}

fn clear_result(ui: &MainWindow) {
    let g = ui.global::<DepotState>();
    g.set_result_kind("".into());
    g.set_result_a(0);
    g.set_result_refused(false);
}

fn because(line: &ReturnLine) -> (&'static str, &'static str) {
    match line.because {
        ExpectedBecause::Failed(o) => ("failed", o.as_str()),
        ExpectedBecause::Withdrawn => ("withdrawn", ""),
        ExpectedBecause::Locked => ("locked", ""),
        ExpectedBecause::NotAttempted => ("not_attempted", ""),
        ExpectedBecause::Collected => ("collected", ""),
    }
}

fn row(line: &ReturnLine) -> ReturnRow {
    let (b, outcome) = because(line);
    let why = match line.fees.why {
        PayerWhy::Outcome { .. } => "outcome",
        PayerWhy::Withdrawn => "withdrawn",
        PayerWhy::Locked => "locked",
        PayerWhy::NotAttempted => "not_attempted",
        PayerWhy::Collected => "collected",
        PayerWhy::Changed { .. } => "changed",
    };
    ReturnRow {
        label: line.label.as_str().into(),
        collected: line.item == ReturnItem::CollectedItem,
        because: b.into(),
        outcome: outcome.into(),
        payer: liability_code(line.fees.payer).into(),
        why: why.into(),
        received: line.received.is_some(),
        condition: line
            .received
            .as_ref()
            .map(|r| r.condition.as_str())
            .unwrap_or("")
            .into(),
        changeable: line.fees_changeable(),
    }
}

fn model<T: Clone + 'static>(rows: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(rows))
}

/// Brings a list on screen to `rows` in place: only the rows that changed are
/// touched (a scan moves one return from "missing" to "received"), so the
/// screen does not rebuild hundreds of rows for each scan.
fn sync_rows(
    current: ModelRc<ReturnRow>,
    rows: Vec<ReturnRow>,
    set: impl FnOnce(ModelRc<ReturnRow>),
) {
    let Some(m) = current.as_any().downcast_ref::<VecModel<ReturnRow>>() else {
        set(model(rows));
        return;
    };
    let old = m.row_count();
    let new = rows.len();
    let prefix = (0..old.min(new))
        .take_while(|&i| m.row_data(i).as_ref() == rows.get(i))
        .count();
    let suffix = (0..old.min(new) - prefix)
        .take_while(|&k| m.row_data(old - 1 - k).as_ref() == rows.get(new - 1 - k))
        .count();
    let (old_mid, new_mid) = (old - prefix - suffix, new - prefix - suffix);
    for i in 0..old_mid.min(new_mid) {
        if let Some(r) = rows.get(prefix + i) {
            m.set_row_data(prefix + i, r.clone());
        }
    }
    if old_mid > new_mid {
        for _ in 0..old_mid - new_mid {
            m.remove(prefix + new_mid);
        }
    } else {
        for (k, r) in rows[prefix + old_mid..prefix + new_mid].iter().enumerate() {
            m.insert(prefix + old_mid + k, r.clone());
        }
    }
}

/// A parcel of the load check as a row (its label; the list gives its colour).
fn load_row(label: &str) -> ReturnRow {
    ReturnRow {
        label: label.into(),
        collected: false,
        because: "".into(),
        outcome: "".into(),
        payer: "".into(),
        why: "".into(),
        received: false,
        condition: "".into(),
        changeable: false,
    }
}

fn show_load(ui: &MainWindow, load: &LoadBook) {
    let g = ui.global::<DepotState>();
    let t = load.totals();
    let n = |x: u32| i32::try_from(x).unwrap_or(i32::MAX);
    g.set_load_to_load(n(t.to_load));
    g.set_load_loaded(n(t.loaded));
    g.set_load_missing(i32::try_from(t.missing.len()).unwrap_or(i32::MAX));
    g.set_load_alarms(i32::try_from(load.alarms.len()).unwrap_or(i32::MAX));
    sync_rows(
        g.get_load_missing_rows(),
        load.missing().map(|l| load_row(&l.label)).collect(),
        |m| g.set_load_missing_rows(m),
    );
    // Latest first: the parcel just loaded is at the top.
    let mut loaded: Vec<_> = load.loaded().collect();
    loaded.sort_by_key(|l| std::cmp::Reverse(l.loaded.as_ref().map(|s| s.at_ms)));
    sync_rows(
        g.get_load_loaded_rows(),
        loaded.into_iter().map(|l| load_row(&l.label)).collect(),
        |m| g.set_load_loaded_rows(m),
    );
    sync_rows(
        g.get_load_alarm_rows(),
        load.alarms
            .iter()
            .rev()
            .map(|a| load_row(&a.label))
            .collect(),
        |m| g.set_load_alarm_rows(m),
    );
    g.set_load_signed(load.checked.is_some());
}

fn show(ui: &MainWindow, v: &DepotView) {
    show_load(ui, &v.load);
    let g = ui.global::<DepotState>();
    g.set_signed_in(v.session.is_some());
    g.set_supervisor_name(
        v.session
            .as_ref()
            .map(|s| s.name.as_str())
            .unwrap_or("")
            .into(),
    );
    g.set_supervisors(model(
        v.supervisors
            .iter()
            .map(|s| SupervisorRow {
                id: s.supervisor_id.as_str().into(),
                name: s.name.as_str().into(),
                has_badge: s.has_badge,
                pin_digits: s.pin_digits.map(i32::from).unwrap_or(0),
                tries_left: i32::try_from(s.tries_left).unwrap_or(i32::MAX),
                locked: s.locked,
            })
            .collect(),
    ));
    let t = &v.totals;
    let n = |x: usize| i32::try_from(x).unwrap_or(i32::MAX);
    g.set_parcels(i32::try_from(t.parcels).unwrap_or(i32::MAX));
    g.set_delivered(i32::try_from(t.delivered).unwrap_or(i32::MAX));
    g.set_expected(i32::try_from(t.expected).unwrap_or(i32::MAX));
    g.set_received(i32::try_from(t.received).unwrap_or(i32::MAX));
    g.set_missing(n(t.missing.len()));
    g.set_unexpected(n(t.unexpected.len()));
    g.set_missing_labels(t.missing.join(", ").into());
    g.set_unexpected_labels(t.unexpected.join(", ").into());
    sync_rows(
        g.get_missing_rows(),
        v.book.missing().map(row).collect(),
        |m| g.set_missing_rows(m),
    );
    // Latest first: the return just scanned is at the top.
    let mut received: Vec<&ReturnLine> = v.book.received().collect();
    received.sort_by_key(|l| std::cmp::Reverse(l.received.as_ref().map(|r| r.seq)));
    sync_rows(
        g.get_received_rows(),
        received.into_iter().map(row).collect(),
        |m| g.set_received_rows(m),
    );
    sync_rows(
        g.get_unexpected_rows(),
        v.book
            .unexpected
            .iter()
            .rev()
            .map(|u| ReturnRow {
                label: u.label.as_str().into(),
                collected: false,
                because: "unexpected".into(),
                outcome: "".into(),
                payer: "none".into(),
                why: "".into(),
                received: true,
                condition: "".into(),
                changeable: false,
            })
            .collect(),
        |m| g.set_unexpected_rows(m),
    );
}

/// Applies the terminal's answer to a depot step.
pub(super) fn apply(ui: &MainWindow, _ctx: &UiCtx, r: DepotReply) {
    let g = ui.global::<DepotState>();
    let app = ui.global::<AppState>();
    let screen = app.get_screen();
    if let Some(v) = &r.view {
        show(ui, v);
    }
    if let Some((label, tone)) = &r.scan {
        info!(%label, ?tone, "return scanned in");
        g.set_last_label(label.as_str().into());
        g.set_last_tone(
            match tone {
                Tone::Received => "received",
                Tone::Repeat => "repeat",
                Tone::Alarm => "alarm",
            }
            .into(),
        );
        if let Some(n) = r.notice {
            g.set_last_kind(n.kind.code().into());
        }
        g.set_flash(g.get_flash().wrapping_add(1));
        // The condition applies to one scan: back to intact for the next.
        g.set_condition("intact".into());
        g.set_note("".into());
    } else if let Some(n) = r.notice {
        match screen {
            // A refused scan (no supervisor, a damaged return without a note)
            // shows where the scans answer, as an alarm.
            Screen::Depot if r.refused => {
                g.set_last_kind(n.kind.code().into());
                g.set_last_label("".into());
                g.set_last_tone("alarm".into());
                g.set_flash(g.get_flash().wrapping_add(1));
            }
            // Refusals of the four-eyes steps: the app's dialog.
            Screen::DepotFee | Screen::DepotClose if r.refused => {
                app.set_notice("".into());
                app.set_error_kind(n.kind.code().into());
                app.set_error_a(n.a);
                app.set_error_b(n.b);
            }
            // The fee changed: said on the scan-in screen it returns to.
            Screen::DepotFee if r.done => {
                g.set_last_kind(n.kind.code().into());
                g.set_last_label(g.get_fee_row().label);
                g.set_last_tone("received".into());
            }
            _ => {
                g.set_result_kind(n.kind.code().into());
                g.set_result_a(n.a);
                g.set_result_refused(r.refused);
            }
        }
    }
    // The load check's steps answer where its scans do.
    if let (Some(n), true, None) = (r.notice, g.get_loading(), &r.scan)
        && screen == Screen::Depot
        && (r.courier_confirmed || r.done)
    {
        g.set_last_kind(n.kind.code().into());
        g.set_last_label("".into());
        g.set_last_tone("received".into());
    }
    if r.courier_confirmed && screen == Screen::Depot && g.get_loading() {
        g.set_load_courier_confirmed(true);
    }
    if r.courier_confirmed {
        match screen {
            Screen::DepotFee => g.set_fee_courier_confirmed(true),
            Screen::DepotClose => g.set_close_courier_confirmed(true),
            _ => {}
        }
    }
    if r.done && screen == Screen::DepotClose {
        g.set_closed(true);
    }
    // The screen follows the session: signed in, the returns; signed out (or
    // the session ended), the sign-in screen.
    let depot_screens = [
        Screen::DepotSignIn,
        Screen::Depot,
        Screen::DepotFee,
        Screen::DepotClose,
    ];
    if depot_screens.contains(&screen) {
        if g.get_signed_in() {
            if screen == Screen::DepotSignIn {
                g.set_chosen(-1);
                app.set_screen(Screen::Depot);
            } else if r.done && screen == Screen::DepotFee {
                app.set_screen(Screen::Depot);
            }
        } else if screen != Screen::DepotSignIn && !r.done {
            g.set_chosen(-1);
            app.set_screen(Screen::DepotSignIn);
        }
    }
}
