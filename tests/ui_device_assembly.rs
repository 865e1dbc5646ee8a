//! The product reads its hardware: `courier-terminal ui --gnss PTY --scanner PTY`
//! assembled as on a handheld, with the simulators on pseudo-terminals. A scan
//! opens the parcel, and the arrival event carries the fix the GNSS sent.

mod common;
mod ui_support;

use clap::Parser;
use courier_devtools::demo_route::route_nmea;
use courier_protocol::vocabulary::EventKind;
use courier_terminal::cli::Cli;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::ui::{
    App, AppConfig, AppState, Language, ParcelViewState, Screen, StatusBarState,
};
use firmware_bridge::simulator::gnss_sim::{GnssSim, GnssSimConfig};
use firmware_bridge::simulator::scanner_sim::ScannerSim;
use slint::ComponentHandle;
use ui_support::*;

#[test]
fn ui_on_serial_gnss_and_scanner_records_the_fix_the_module_sent() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let day = common::day(5);
    let (lat, lon) = (36.7538, 3.0588);
    let log = route_nmea(&[(lat, lon)], common::now_ms() / 1000);
    let gnss = GnssSim::start(
        log.as_bytes(),
        GnssSimConfig {
            baud: 9600,
            speedup: 5.0,
            repeat: true,
            ..GnssSimConfig::default()
        },
    )
    .expect("GNSS simulator");
    let scanner = ScannerSim::new().expect("scanner simulator");
    let cli = Cli::parse_from([
        "courier-terminal",
        "--data-dir",
        day.dir.0.to_str().expect("utf8"),
        "--gnss",
        &gnss.port_path(),
        "--gnss-baud",
        "9600",
        "--scanner",
        scanner.path(),
        "ui",
    ]);
    let device = cli
        .device_config()
        .expect("configuration")
        .assemble()
        .expect("assembled on the ptys");
    let mut config = AppConfig::new(device.terminal, device.feeds);
    config.language = Language::En;
    let app = App::new(config).expect("app");
    app.window().show().expect("show");
    let ui = app.window();

    // The status bar shows the module's fix once the reader has an epoch.
    wait_until(ui, "a GNSS fix on the status bar", |ui| {
        ui.global::<StatusBarState>().get_fix() != "none"
    });
    let label = label(1);
    scanner.type_code(Some("]C0"), &label).expect("scan");
    wait_until(ui, "the scanned parcel on screen", |ui| {
        ui.global::<AppState>().get_screen() == Screen::Parcel
    });
    ui.global::<ParcelViewState>().invoke_arrive();
    settle(&app);

    let store = Store::open_read_only(&day.dir.database()).expect("store");
    let arrival = store
        .events(1, 1000)
        .expect("events")
        .into_iter()
        .rev()
        .find(|e| e.body.kind == EventKind::Arrived)
        .expect("an arrival event");
    let fix = arrival
        .body
        .position
        .fix
        .expect("the arrival carries a fix");
    assert_eq!(arrival.body.position.source, "gnss");
    assert!(
        (fix.lat_e7 - 367_538_000).abs() < 100 && (fix.lon_e7 - 30_588_000).abs() < 100,
        "the fix the simulator sent: {fix:?}"
    );
    drop(app);
    drop(device.parts);
}
