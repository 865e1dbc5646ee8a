//! The depot supervisor's screens on Slint's testing backend, the real app
//! (worker thread, store): the courier alone cannot enter supervisor mode; a
//! scan-in with one missing and one unexpected return shows both at once; a fee
//! change without the second proof is refused; the day closes only when every
//! return is accounted for, or forced with a reason.
//! One `#[test]`: the testing backend is set up once per process.

mod common;
mod ui_support;

use std::sync::Arc;
use std::sync::mpsc;

use courier_protocol::vocabulary::{EventKind, Outcome, Reason};
use courier_terminal::assembly::Feeds;
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::SharedPosition;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{App, AppConfig, AppState, DepotState, Language, Screen};
use slint::{ComponentHandle, Model};
use ui_support::*;

struct Rig {
    day: common::Day,
    scanner: mpsc::Sender<String>,
    app: App,
}

/// A day of `parcels` deliveries; `failed` of them (from the first) ended in a
/// carrier problem before the app starts (their fees can be changed).
fn rig(parcels: usize, failed: usize) -> Rig {
    let day = common::day(parcels);
    let position = SharedPosition::new();
    let open = || {
        Terminal::open(
            &day.dir,
            Arc::new(SystemClock::new()),
            Arc::new(position.clone()),
        )
        .expect("open")
    };
    {
        let mut t = open();
        for n in 1..=failed {
            t.arrive(&label(n)).expect("arrive");
            t.record_outcome(
                &label(n),
                Outcome::CarrierProblem,
                Some(Reason::AddressNotFound),
                None,
            )
            .expect("outcome");
        }
    }
    let (scanner, scans) = mpsc::channel();
    // The PIN is checked by the server: here, its stand-in in process.
    let mut terminal = open();
    terminal.set_supervisor_server(Arc::new(
        courier_devtools::local_supervisor::LocalSupervisorServer::sample(common::TEST_ITERATIONS),
    ));
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position.clone())));
    config.scans = Some(scans);
    config.language = Language::En;
    let app = App::new(config).expect("app");
    app.window()
        .window()
        .set_size(slint::LogicalSize::new(392.0, 697.0));
    app.window().show().expect("show");
    settle(&app);
    Rig { day, scanner, app }
}

fn kinds(day: &common::Day) -> Vec<EventKind> {
    Store::open_read_only(&day.dir.database())
        .expect("store")
        .events(1, 100_000)
        .expect("events")
        .into_iter()
        .map(|e| e.body.kind)
        .collect()
}

fn count(day: &common::Day, kind: EventKind) -> usize {
    kinds(day).into_iter().filter(|k| *k == kind).count()
}

fn open_depot(rig: &Rig) {
    let ui = rig.app.window();
    ui.global::<AppState>().invoke_show_about();
    settle(&rig.app);
    press(ui, "Depot: returns and day close (supervisor)");
    settle(&rig.app);
}

fn sign_in_with_pin(rig: &Rig, pin: &str) {
    let ui = rig.app.window();
    let d = ui.global::<DepotState>();
    press(ui, &rig.day.supervisor.name);
    for digit in pin.chars() {
        d.invoke_pin_key(digit.to_string().into());
    }
    press(ui, "Sign in");
    settle(&rig.app);
}

/// The PIN on the terminal's physical keys, then Enter.
fn sign_in_on_keys(rig: &Rig, pin: &str) {
    let ui = rig.app.window();
    press(ui, &rig.day.supervisor.name);
    type_keys(ui, pin, true);
    settle(&rig.app);
}

fn scan(rig: &Rig, text: &str) {
    rig.scanner.send(text.into()).expect("scan");
    let ui = rig.app.window();
    let before = ui.global::<DepotState>().get_flash();
    wait_until(ui, "the scan's answer", move |ui| {
        ui.global::<DepotState>().get_flash() != before
    });
    settle(&rig.app);
}

fn labels(rows: slint::ModelRc<courier_terminal::ui::ReturnRow>) -> Vec<String> {
    rows.iter().map(|r| r.label.to_string()).collect()
}

fn courier_cannot_enter_supervisor_mode() {
    let rig = rig(3, 0);
    let ui = rig.app.window();
    let (app, d) = (ui.global::<AppState>(), ui.global::<DepotState>());
    open_depot(&rig);
    assert_eq!(app.get_screen(), Screen::DepotSignIn, "sign-in first");
    assert!(!d.get_signed_in());
    let before = kinds(&rig.day).len();

    // A return scanned by the courier alone: refused by the terminal, nothing recorded.
    d.invoke_scan(label(1).into());
    settle(&rig.app);
    assert_eq!(app.get_screen(), Screen::DepotSignIn);
    assert_eq!(d.get_result_kind(), "supervisor_required");
    assert_eq!(d.get_received(), 0);
    // A parcel label scanned as a badge: not a badge, no try used.
    rig.scanner.send(label(2)).expect("scan");
    wait_until(ui, "the badge answer", |ui| {
        ui.global::<DepotState>().get_result_kind() != "supervisor_required"
    });
    settle(&rig.app);
    assert_eq!(d.get_result_kind(), "bad_badge_or_pin");
    assert_eq!(app.get_screen(), Screen::DepotSignIn);
    // A wrong PIN: a try spent, still outside.
    let wrong: String = rig
        .day
        .supervisor
        .pin
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect();
    sign_in_with_pin(&rig, &wrong);
    assert_eq!(d.get_result_kind(), "supervisor_wrong");
    assert!(d.get_result_a() >= 1, "tries left said");
    assert_eq!(app.get_screen(), Screen::DepotSignIn);
    assert!(!d.get_signed_in());
    assert_eq!(
        count(&rig.day, EventKind::ReturnCheckIn) + count(&rig.day, EventKind::UnexpectedReturn),
        0,
        "nothing taken in without a supervisor"
    );
    assert!(kinds(&rig.day).len() >= before, "the log only grows");

    // The supervisor's badge: in.
    rig.scanner
        .send(rig.day.supervisor.badge_text.clone())
        .expect("badge");
    wait_until(ui, "the supervisor signed in", |ui| {
        ui.global::<AppState>().get_screen() == Screen::Depot
    });
    assert!(d.get_signed_in());
    // Signed out: back to the sign-in screen.
    press(ui, "Sign out");
    settle(&rig.app);
    assert_eq!(app.get_screen(), Screen::DepotSignIn);
}

fn scan_in_shows_missing_and_unexpected_at_once_and_fees_need_both_proofs() {
    let rig = rig(3, 1);
    let ui = rig.app.window();
    let (app, d) = (ui.global::<AppState>(), ui.global::<DepotState>());
    open_depot(&rig);
    sign_in_on_keys(&rig, &rig.day.supervisor.pin.clone());
    assert_eq!(app.get_screen(), Screen::Depot);
    assert_eq!(d.get_expected(), 3, "three deliveries come back");
    assert_eq!(d.get_missing(), 3);

    // One expected return scanned, one that is not in the route.
    scan(&rig, &label(2));
    assert_eq!(d.get_last_tone(), "received");
    assert_eq!(d.get_last_kind(), "scan_received");
    scan(&rig, "DZ99999999");
    assert_eq!(d.get_last_tone(), "alarm", "an alarm, in colour");
    assert_eq!(d.get_last_kind(), "scan_not_in_manifest");
    // Both at once on the screen: the missing and the unexpected, counted and listed.
    assert_eq!(value(ui, "Received"), "1");
    assert_eq!(value(ui, "Missing"), "2");
    assert_eq!(value(ui, "Unexpected"), "1");
    assert_eq!(
        labels(d.get_unexpected_rows()),
        vec!["DZ99999999".to_owned()]
    );
    let missing = labels(d.get_missing_rows());
    assert_eq!(missing, vec![label(1), label(3)]);
    // Scanned again: nothing new, said so.
    scan(&rig, &label(2));
    assert_eq!(d.get_last_kind(), "scan_already_received");
    assert_eq!(count(&rig.day, EventKind::ReturnCheckIn), 1);

    // Who pays label(1)'s return fees (carrier problem: the carrier), changed.
    d.invoke_open_fee(label(1).into());
    assert_eq!(app.get_screen(), Screen::DepotFee);
    assert_eq!(d.get_fee_row().payer, "carrier");
    press(ui, "Seller");
    d.set_fee_note("the seller sent the wrong address".into());
    // The supervisor approves without the courier's confirmation: refused.
    press(ui, "2. Supervisor: approve");
    settle(&rig.app);
    assert_eq!(app.get_error_kind(), "courier_confirm_first");
    app.invoke_dismiss();
    assert_eq!(count(&rig.day, EventKind::FeeChanged), 0);
    // The courier confirms; the supervisor's session ends before approving: refused.
    press(ui, "1. Courier: I confirm this change");
    settle(&rig.app);
    assert!(d.get_fee_courier_confirmed());
    d.invoke_sign_out();
    settle(&rig.app);
    d.invoke_fee_approve();
    settle(&rig.app);
    assert_eq!(count(&rig.day, EventKind::FeeChanged), 0, "no second proof");
    assert_eq!(app.get_screen(), Screen::DepotSignIn);
    // Signed in again, the supervisor approves the confirmed change.
    sign_in_with_pin(&rig, &rig.day.supervisor.pin.clone());
    d.invoke_open_fee(label(1).into());
    press(ui, "Seller");
    d.set_fee_note("the seller sent the wrong address".into());
    d.set_fee_courier_confirmed(true);
    press(ui, "2. Supervisor: approve");
    settle(&rig.app);
    assert_eq!(count(&rig.day, EventKind::FeeChanged), 1, "both proofs");
    assert_eq!(app.get_screen(), Screen::Depot);
    let row = d
        .get_missing_rows()
        .iter()
        .find(|r| r.label == label(1).as_str())
        .expect("still missing");
    assert_eq!(row.payer, "seller");
    assert_eq!(row.why, "changed");

    // Closing with returns missing: refused without a reason, forced with one.
    press(ui, "Close the day");
    assert_eq!(app.get_screen(), Screen::DepotClose);
    press(ui, "2. Supervisor: force the close");
    settle(&rig.app);
    assert_eq!(app.get_error_kind(), "force_needs_reason");
    app.invoke_dismiss();
    d.set_force_reason("two parcels left in the van, counted tomorrow".into());
    press(ui, "2. Supervisor: force the close");
    settle(&rig.app);
    assert_eq!(
        app.get_error_kind(),
        "courier_confirm_first",
        "the courier confirms the totals first"
    );
    app.invoke_dismiss();
    press(ui, "1. Courier: I confirm these totals");
    settle(&rig.app);
    press(ui, "2. Supervisor: force the close");
    settle(&rig.app);
    assert_eq!(d.get_result_kind(), "day_closed_forced");
    assert_eq!(d.get_result_a(), 2);
    assert!(d.get_closed());
    let store = Store::open_read_only(&rig.day.dir.database()).expect("store");
    let close = store
        .events(1, 100_000)
        .expect("events")
        .into_iter()
        .find(|e| e.body.kind == EventKind::DayClosed)
        .expect("a day_closed event");
    let record = close.body.day.expect("the close record");
    assert!(record.forced);
    assert_eq!(
        record.force_reason.as_deref(),
        Some("two parcels left in the van, counted tomorrow")
    );
    assert_eq!(record.totals.missing, vec![label(1), label(3)]);
}

fn day_closes_when_every_return_is_accounted_for() {
    let rig = rig(2, 0);
    let ui = rig.app.window();
    let (app, d) = (ui.global::<AppState>(), ui.global::<DepotState>());
    open_depot(&rig);
    sign_in_with_pin(&rig, &rig.day.supervisor.pin.clone());
    // Closing before the returns are in: refused.
    press(ui, "Close the day");
    press(ui, "1. Courier: I confirm these totals");
    settle(&rig.app);
    d.set_force_reason("".into());
    d.invoke_close_day();
    settle(&rig.app);
    assert_eq!(count(&rig.day, EventKind::DayClosed), 0);
    assert!(!app.get_error_kind().is_empty(), "refused in words");
    app.invoke_dismiss();
    app.invoke_back();
    assert_eq!(app.get_screen(), Screen::Depot);
    // Every return in (one damaged, with what is wrong): closes without a reason.
    scan(&rig, &label(1));
    d.set_condition("damaged".into());
    d.set_note("box crushed".into());
    scan(&rig, &label(2));
    assert_eq!(d.get_missing(), 0);
    let damaged = d
        .get_received_rows()
        .iter()
        .find(|r| r.label == label(2).as_str())
        .expect("received");
    assert_eq!(damaged.condition, "damaged");
    press(ui, "Close the day");
    press(ui, "1. Courier: I confirm these totals");
    settle(&rig.app);
    press(ui, "2. Supervisor: close the day");
    settle(&rig.app);
    assert_eq!(d.get_result_kind(), "day_closed");
    assert_eq!(count(&rig.day, EventKind::DayClosed), 1);
}

/// The supervisor's PIN on a physical keypad with Arabic-Indic keys
/// (U+0660..U+0669): taken as the digits they are, as on the code screen.
fn arabic_indic_pin_keys_sign_in() {
    let rig = rig(1, 0);
    let ui = rig.app.window();
    let (app, d) = (ui.global::<AppState>(), ui.global::<DepotState>());
    open_depot(&rig);
    let arabic_indic: String = rig
        .day
        .supervisor
        .pin
        .chars()
        .map(|c| char::from_u32(0x0660 + c.to_digit(10).expect("digit")).expect("char"))
        .collect();
    sign_in_on_keys(&rig, &arabic_indic);
    assert!(d.get_signed_in(), "signed in with Arabic-Indic keys");
    assert_eq!(app.get_screen(), Screen::Depot);
}

#[test]
fn depot_supervisor_screens() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    courier_cannot_enter_supervisor_mode();
    scan_in_shows_missing_and_unexpected_at_once_and_fees_need_both_proofs();
    day_closes_when_every_return_is_accounted_for();
    arabic_indic_pin_keys_sign_in();
}
