//! Headless UI test of an order of several parcels at the door (Slint's
//! testing backend, the real app with its worker and store): both parcels
//! listed to scan, one scanned by the scanner, one typed on the label pad,
//! the code refused until every parcel is scanned, one parcel refused with
//! its reason, then the one code delivers the other and names it alone.

mod common;
mod ui_support;

use std::sync::Arc;
use std::sync::mpsc;

use courier_protocol::order_parcels::Handover;
use courier_protocol::vocabulary::{EventKind, Outcome};
use courier_terminal::assembly::Feeds;
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::{NoPosition, SharedPosition};
use courier_terminal::storage::Reads;
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{
    App, AppConfig, AppState, LabelPadState, Language, ParcelViewState, Screen,
};
use slint::{ComponentHandle, Model};
use ui_support::*;

fn rows(ui: &courier_terminal::ui::MainWindow) -> Vec<(String, bool, String)> {
    let m = ui.global::<ParcelViewState>().get_order_parcels();
    (0..m.row_count())
        .filter_map(|i| m.row_data(i))
        .map(|r| (r.label.to_string(), r.scanned, r.refused.to_string()))
        .collect()
}

#[test]
fn order_at_the_door() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let day = common::day_with_orders(6, false, &[1]);
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
        .set_size(slint::LogicalSize::new(400.0, 1400.0));
    app.window().show().expect("show");
    settle(&app);
    let ui = app.window();
    let first = label(1);
    let second = format!("{first}B");
    let code = day.codes[0].numeric.clone();

    app.scan(&first);
    settle(&app);
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Parcel);
    assert!(ui.global::<ParcelViewState>().get_is_order());
    assert_eq!(
        rows(ui),
        vec![
            (first.clone(), false, String::new()),
            (second.clone(), false, String::new())
        ]
    );
    press(ui, "I am at the address");
    settle(&app);
    inspect(ui);
    settle(&app);

    // The scanner reads the first parcel at the door.
    scanner.send(first.clone()).expect("scanner");
    wait_until(ui, "the first parcel scanned", |ui| {
        rows(ui).first().is_some_and(|r| r.1)
    });
    // The code before the second parcel is scanned: refused in words.
    press(ui, "Enter the code");
    type_keys(ui, &code, true);
    settle(&app);
    assert_eq!(
        ui.global::<AppState>().get_error_kind(),
        "order_parcel_not_scanned"
    );
    // The notice is read and dismissed, then back to the order's parcels.
    ui.global::<AppState>().invoke_dismiss();
    settle(&app);
    press(ui, "Back");
    settle(&app);

    // The second label typed on the pad (its label is torn).
    ui.global::<ParcelViewState>().invoke_type_order_parcel();
    settle(&app);
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::LabelPad);
    let pad = ui.global::<LabelPadState>();
    for c in second.chars() {
        pad.invoke_key(c.to_string().into());
    }
    pad.invoke_submit();
    settle(&app);
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Parcel);
    assert!(rows(ui).iter().all(|r| r.1), "{:?}", rows(ui));

    // The buyer refuses the second one: damaged.
    press(ui, "The buyer refuses this parcel");
    settle(&app);
    ui.global::<ParcelViewState>().invoke_refuse_order_parcel(
        second.clone().into(),
        "refused_after_inspection".into(),
        "damaged".into(),
    );
    settle(&app);
    assert_eq!(rows(ui)[1].2, "refused_after_inspection");
    assert_ne!(ui.global::<ParcelViewState>().get_order_releases(), "");

    // One code for the order: the first is handed over.
    press(ui, "Enter the code");
    type_keys(ui, &code, true);
    settle(&app);
    assert_eq!(value(ui, "Answer"), "Delivered: hand the parcel over");
    let t = common::open(&day.dir, Arc::new(NoPosition));
    let delivered = t
        .store()
        .events(1, 1000)
        .expect("events")
        .into_iter()
        .find(|e| e.body.kind == EventKind::Outcome && e.body.outcome == Some(Outcome::Delivered))
        .expect("a delivered outcome");
    let amount = t.parcel(&first).expect("order").spec.order_parcels[0].amount_minor;
    assert_eq!(
        delivered.body.handover,
        Some(Handover {
            labels: vec![first.clone()],
            amount_minor: amount,
        })
    );
}
