//! Headless UI tests of the doorstep screens with Slint's testing backend: the
//! real app (adapters, worker thread, store) driven by accessible labels, physical
//! keys and the scanner feed. One `#[test]` because the testing backend is
//! initialised once per process; each scenario runs on a fresh device.

mod common;
mod ui_support;

use std::sync::Arc;
use std::sync::mpsc;

use courier_devtools::sample_day::{SampleSpec, sample_day};
use courier_protocol::vocabulary::{EventKind, Outcome};
use courier_terminal::assembly::Feeds;
use courier_terminal::clock::SystemClock;
use courier_terminal::domain::parcel::ParcelState;
use courier_terminal::domain::position::FixDimension;
use courier_terminal::position_source::SharedPosition;
use courier_terminal::storage::Reads;
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{App, AppConfig, AppState, Language, ParcelViewState, Screen};
use slint::ComponentHandle;
use ui_support::*;

struct Rig {
    day: common::Day,
    position: SharedPosition,
    scanner: mpsc::Sender<String>,
    app: App,
}

fn rig(parcels: usize) -> Rig {
    let day = common::day(parcels);
    let position = SharedPosition::new();
    let terminal = Terminal::open(
        &day.dir,
        Arc::new(SystemClock::new()),
        Arc::new(position.clone()),
    )
    .expect("open");
    let (scanner, scans) = mpsc::channel();
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position.clone())));
    config.scans = Some(scans);
    config.language = Language::En;
    let app = App::new(config).expect("app");
    app.window()
        .window()
        .set_size(slint::LogicalSize::new(400.0, 900.0));
    app.window().show().expect("show");
    settle(&app);
    Rig {
        day,
        position,
        scanner,
        app,
    }
}

fn code_of(day: &common::Day, label: &str) -> String {
    day.codes
        .iter()
        .find(|c| c.label == label)
        .expect("code")
        .numeric
        .clone()
}

fn wrong_code(right: &str) -> String {
    if right == "000000" {
        "111111".into()
    } else {
        "000000".into()
    }
}

/// Opens a parcel by scanning it, marks arrival and inspection, opens the keypad.
fn to_keypad(r: &Rig, label: &str) {
    r.app.scan(label);
    settle(&r.app);
    press(r.app.window(), "I am at the address");
    settle(&r.app);
    inspect(r.app.window());
    settle(&r.app);
    press(r.app.window(), "Enter the code");
    assert_eq!(
        r.app.window().global::<AppState>().get_screen(),
        Screen::Code
    );
}

fn scan_a_label_opens_the_parcel() {
    let r = rig(12);
    let ui = r.app.window();
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Route);
    // From the scanner feed (its own thread), as the hardware delivers it.
    r.scanner.send(label(3)).expect("scanner");
    wait_until(ui, "the scanned parcel to open", |ui| {
        ui.global::<AppState>().get_screen() == Screen::Parcel
    });
    assert_eq!(ui.global::<ParcelViewState>().get_label(), label(3));
    assert!(
        find_button(ui, "I am at the address").is_some(),
        "the next step is arrival"
    );
    // Typed on the physical keys: the last digits are enough when unique.
    press(ui, "Back");
    settle(&r.app);
    type_keys(ui, "0000074", true);
    settle(&r.app);
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Parcel);
    assert_eq!(ui.global::<ParcelViewState>().get_label(), label(2));
    // An unknown label is refused in words, not opened.
    press(ui, "Back");
    settle(&r.app);
    r.app.scan("DZ99999999");
    settle(&r.app);
    assert_eq!(ui.global::<AppState>().get_error_kind(), "unknown_label");
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Route);
}

fn wrong_code_shows_tries_left_then_right_code_delivers() {
    let r = rig(12);
    let ui = r.app.window();
    let l = label(1);
    to_keypad(&r, &l);
    let right = code_of(&r.day, &l);
    // Physical digit keys and Enter.
    type_keys(ui, &wrong_code(&right), true);
    settle(&r.app);
    assert_eq!(value(ui, "Answer"), "Wrong code: 4 tries left");
    press(ui, "Try again");
    // The on-screen keypad.
    for d in right.chars() {
        press(ui, &d.to_string());
    }
    press(ui, "OK");
    settle(&r.app);
    assert_eq!(value(ui, "Answer"), "Delivered: hand the parcel over");
    // The screen said delivered: the event is already in the store.
    let t = common::open(
        &r.day.dir,
        Arc::new(courier_terminal::position_source::NoPosition),
    );
    assert_eq!(t.parcel(&l).expect("parcel").state, ParcelState::Delivered);
    let events = t.store().events(1, 1000).expect("events");
    assert!(
        events.iter().any(|e| e.body.kind == EventKind::Outcome
            && e.body.outcome == Some(Outcome::Delivered)
            && e.body.parcel_id.as_deref() == Some("P-0001")),
        "a delivered outcome event is stored"
    );
    press(ui, "Back to the list");
    settle(&r.app);
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Route);
    // Delivered is finished: folded away until the courier shows finished parcels.
    assert!(
        find_button(ui, &l).is_none(),
        "delivered parcel folded away"
    );
    press(ui, "Finished parcels");
    assert_eq!(value(ui, &l), "Delivered");
    press(ui, "Finished parcels");
}

/// A physical keypad with Arabic-Indic keys (U+0660..U+0669), or Persian ones
/// (U+06F0..U+06F9): the code screen takes them as the digits they are.
fn arabic_indic_digit_keys_check_the_code() {
    let r = rig(12);
    let ui = r.app.window();
    let l = label(1);
    to_keypad(&r, &l);
    let right = code_of(&r.day, &l);
    let script = |code: &str, zero: u32| -> String {
        code.chars()
            .map(|c| char::from_u32(zero + c.to_digit(10).expect("digit")).expect("char"))
            .collect()
    };
    // A wrong code in Persian digits is checked (a try is spent)...
    type_keys(ui, &script(&wrong_code(&right), 0x06F0), true);
    settle(&r.app);
    assert_eq!(value(ui, "Answer"), "Wrong code: 4 tries left");
    press(ui, "Try again");
    // ... and the right one in Arabic-Indic digits delivers.
    type_keys(ui, &script(&right, 0x0660), true);
    settle(&r.app);
    assert_eq!(value(ui, "Answer"), "Delivered: hand the parcel over");
    let t = common::open(
        &r.day.dir,
        Arc::new(courier_terminal::position_source::NoPosition),
    );
    assert_eq!(t.parcel(&l).expect("parcel").state, ParcelState::Delivered);
}

fn buyer_qr_scanned_on_the_keypad_delivers() {
    let r = rig(12);
    let ui = r.app.window();
    let l = label(6);
    to_keypad(&r, &l);
    let qr = r
        .day
        .codes
        .iter()
        .find(|c| c.label == l)
        .expect("code")
        .qr
        .clone();
    r.scanner.send(qr).expect("scanner");
    wait_until(ui, "the QR answer", |ui| {
        ui.global::<courier_terminal::ui::CodeEntryState>()
            .get_verdict()
            != courier_terminal::ui::Verdict::None
    });
    assert_eq!(value(ui, "Answer"), "Delivered: hand the parcel over");
}

fn exchange_and_pickup_collect_the_item_first() {
    let r = rig(12);
    let ui = r.app.window();
    let pv = || ui.global::<ParcelViewState>();
    // Exchange (n = 4): the old item's label is scanned on the parcel screen.
    let l = label(4);
    r.app.scan(&l);
    settle(&r.app);
    press(ui, "I am at the address");
    settle(&r.app);
    inspect(ui);
    settle(&r.app);
    assert!(pv().get_needs_collect() && !pv().get_collected());
    assert_eq!(
        find_button(ui, "Enter the code").and_then(|b| b.accessible_enabled()),
        Some(false)
    );
    r.app.scan("RT99999999");
    settle(&r.app);
    assert_eq!(
        ui.global::<AppState>().get_error_kind(),
        "wrong_item_collected"
    );
    press(ui, "OK");
    r.app.scan("RT00000004");
    settle(&r.app);
    assert!(pv().get_collected());
    press(ui, "Enter the code");
    type_keys(ui, &code_of(&r.day, &l), true);
    settle(&r.app);
    assert_eq!(value(ui, "Answer"), "Delivered: hand the parcel over");
    press(ui, "Back to the list");
    settle(&r.app);
    // Pick-up (n = 8): the item has no label; the courier confirms it by hand.
    let l = label(8);
    r.app.scan(&l);
    settle(&r.app);
    press(ui, "I am at the address");
    settle(&r.app);
    inspect(ui);
    settle(&r.app);
    press(ui, "Item collected (no label to scan)");
    settle(&r.app);
    assert!(pv().get_collected());
    press(ui, "Enter the code");
    type_keys(ui, &code_of(&r.day, &l), true);
    settle(&r.app);
    assert_eq!(value(ui, "Answer"), "Delivered: hand the parcel over");
}

fn attempts_limit_locks_the_parcel() {
    let r = rig(12);
    let ui = r.app.window();
    let l = label(2);
    to_keypad(&r, &l);
    let wrong = wrong_code(&code_of(&r.day, &l));
    for left in (1..=4).rev() {
        type_keys(ui, &wrong, true);
        settle(&r.app);
        assert_eq!(
            value(ui, "Answer"),
            format!(
                "Wrong code: {left} {} left",
                if left == 1 { "try" } else { "tries" }
            )
        );
        press(ui, "Try again");
    }
    type_keys(ui, &wrong, true);
    settle(&r.app);
    assert_eq!(value(ui, "Answer"), "Locked: too many wrong codes");
    // Next step: record "no code", with the reason already chosen.
    press(ui, "Record the outcome");
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Outcome);
    assert_eq!(value(ui, "Liability"), "per_policy");
    press(ui, "Confirm: No code");
    settle(&r.app);
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Route);
    assert_eq!(ui.global::<AppState>().get_notice(), "no_code");
}

fn withdrawn_parcel_cannot_be_delivered() {
    let r = rig(12);
    let ui = r.app.window();
    let l = label(5);
    // The server withdraws the parcel in a newer manifest.
    let withdrawn = vec![l.clone()];
    let v2 = sample_day(
        &SampleSpec {
            device_id: &r.day.device_id,
            version: 2,
            issued_at_ms: common::now_ms(),
            valid_for_ms: 12 * 3_600_000,
            parcels: 12,
            iterations: common::TEST_ITERATIONS,
            withdrawn: &withdrawn,
            load_check: false,
            two_parcel_orders: &[],
        },
        &r.day.server,
    )
    .expect("sample day v2");
    common::open(
        &r.day.dir,
        Arc::new(courier_terminal::position_source::NoPosition),
    )
    .load_manifest(&v2.manifest)
    .expect("load v2");
    // The app notices the new manifest in the log and reloads the route.
    r.app.refresh_status();
    settle(&r.app);
    settle(&r.app);
    // Withdrawn is finished for the day: folded away until shown.
    assert!(
        find_button(ui, &l).is_none(),
        "withdrawn parcel folded away"
    );
    press(ui, "Finished parcels");
    assert_eq!(value(ui, &l), "Cancelled before dispatch: return to depot");
    r.app.scan(&l);
    settle(&r.app);
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Parcel);
    assert_eq!(value(ui, "Parcel state"), "withdrawn");
    assert!(
        find_button(ui, "I am at the address").is_none(),
        "no arrival step"
    );
    assert!(find_button(ui, "Enter the code").is_none(), "no code entry");
    assert!(
        find_button(ui, "Cannot deliver").is_none(),
        "nothing to record at the door"
    );
}

fn no_answer_is_refused_away_from_the_address_and_before_the_wait() {
    let r = rig(12);
    let ui = r.app.window();
    let l = label(3); // 23 rue Larbi Ben M'hidi: 36.7740, 3.0580
    r.position.set(fix(36.8000, 3.1000, FixDimension::ThreeD)); // about 4.8 km away
    r.app.scan(&l);
    settle(&r.app);
    press(ui, "I am at the address");
    settle(&r.app);
    press(ui, "Cannot deliver");
    press(ui, "No answer");
    assert_eq!(value(ui, "Liability"), "buyer");
    press(ui, "Show the no-answer evidence");
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::NoAnswer);
    r.app.refresh_status();
    press(ui, "Confirm: no answer");
    settle(&r.app);
    assert_eq!(
        ui.global::<AppState>().get_error_kind(),
        "no_answer_too_far"
    );
    assert!(value(ui, "Refused").contains("no_answer_too_far"));
    // At the door now, but the wait is not over (10 minutes by default).
    r.position.set(fix(36.7740, 3.0580, FixDimension::ThreeD));
    r.app.refresh_status();
    settle(&r.app);
    assert!(
        value(ui, "At the address").starts_with("0 m"),
        "evidence follows the fix"
    );
    // The refusal is a dialog: the screen under it takes no taps until OK.
    assert_eq!(
        find_button(ui, "Call").and_then(|b| b.accessible_enabled()),
        Some(false)
    );
    press(ui, "OK");
    press(ui, "Call");
    settle(&r.app);
    press(ui, "Confirm: no answer");
    settle(&r.app);
    assert_eq!(ui.global::<AppState>().get_error_kind(), "no_answer_wait");
    let remaining = ui.global::<AppState>().get_error_a();
    assert!(
        (590..=600).contains(&remaining),
        "about 10 minutes left, got {remaining} s"
    );
    // The timer survives leaving the screen: it counts from the stored arrival.
    press(ui, "OK");
    press(ui, "Back");
    press(ui, "Back");
    press(ui, "Back");
    settle(&r.app);
    r.app.scan(&l);
    settle(&r.app);
    press(ui, "Cannot deliver");
    press(ui, "No answer");
    press(ui, "Show the no-answer evidence");
    settle(&r.app);
    let g = ui.global::<courier_terminal::ui::NoAnswerState>();
    assert!(g.get_remaining_s() <= remaining && g.get_remaining_s() > 0);
    assert_eq!(
        slint::Model::row_count(&g.get_contacts()),
        1,
        "the call is still logged with its time"
    );
    let call = slint::Model::row_data(&g.get_contacts(), 0).expect("the call row");
    assert_eq!(call.channel.as_str(), "call");
    assert_ne!(
        call.time.as_str(),
        "--:--",
        "the time comes from the stored visit"
    );
    // Nothing was recorded.
    let t = common::open(
        &r.day.dir,
        Arc::new(courier_terminal::position_source::NoPosition),
    );
    assert_eq!(t.parcel(&l).expect("parcel").state, ParcelState::Pending);
}

#[test]
fn doorstep_screens() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let scenarios: [(&str, fn()); 8] = [
        (
            "scan_a_label_opens_the_parcel",
            scan_a_label_opens_the_parcel,
        ),
        (
            "wrong_code_shows_tries_left_then_right_code_delivers",
            wrong_code_shows_tries_left_then_right_code_delivers,
        ),
        (
            "arabic_indic_digit_keys_check_the_code",
            arabic_indic_digit_keys_check_the_code,
        ),
        (
            "buyer_qr_scanned_on_the_keypad_delivers",
            buyer_qr_scanned_on_the_keypad_delivers,
        ),
        (
            "exchange_and_pickup_collect_the_item_first",
            exchange_and_pickup_collect_the_item_first,
        ),
        (
            "attempts_limit_locks_the_parcel",
            attempts_limit_locks_the_parcel,
        ),
        (
            "withdrawn_parcel_cannot_be_delivered",
            withdrawn_parcel_cannot_be_delivered,
        ),
        (
            "no_answer_is_refused_away_from_the_address_and_before_the_wait",
            no_answer_is_refused_away_from_the_address_and_before_the_wait,
        ),
    ];
    for (name, run) in scenarios {
        eprintln!("ui scenario: {name}");
        run();
    }
}
