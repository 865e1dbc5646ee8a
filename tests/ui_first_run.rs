//! First run on Slint's testing backend: `ui` on a device with no identity shows
//! the enrollment screen; the enrollment QR, typed by a keyboard-wedge scanner
//! or read by a serial one, enrolls the device against the reference server on
//! loopback exactly as `enroll --qr` does; a wrong fingerprint, a used token and
//! an unreachable server each get their own words; then the device id and key
//! fingerprint are shown, and "Continue" opens the day's route in the same window.

mod sync_support;
mod ui_support;

use std::sync::mpsc;

use courier_protocol::enrollment_qr::Profile;
use courier_terminal::assembly::DeviceConfig;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::sync::enrollment::needs_enrollment;
use courier_terminal::terminal::DataDir;
use courier_terminal::ui::{
    AppConfig, AppState, EnrollState, FirstRun, FirstRunApp, Language, Screen, Started,
};
use slint::ComponentHandle;
use sync_support::Server;
use ui_support::*;

fn first_run(dir: &DataDir, scans: Option<mpsc::Receiver<String>>) -> FirstRunApp {
    let config = DeviceConfig::new(dir.0.clone());
    let screen = FirstRunApp::new(FirstRun {
        dir: dir.clone(),
        scans,
        language: Language::En,
        display: Default::default(),
        profile: None,
        hardware_label: "bench-1".into(),
        tls: config.tls.clone(),
        start: Box::new(move || {
            let device = config.assemble()?;
            let mut app = AppConfig::new(device.terminal, device.feeds);
            app.language = Language::En;
            app.diagnosis = Some(config.clone());
            Ok(Started {
                config: app,
                keep: Box::new(device.parts),
            })
        }),
    })
    .expect("first-run screen");
    screen
        .window()
        .window()
        .set_size(slint::LogicalSize::new(392.0, 697.0));
    screen.window().show().expect("show");
    screen
}

fn enroll_state(screen: &FirstRunApp) -> EnrollState<'_> {
    screen.window().global::<EnrollState>()
}

/// Forgets the last answer, so the next one is waited for.
fn forget(screen: &FirstRunApp) {
    enroll_state(screen).set_error_kind("".into());
}

/// Waits for the enrollment's answer: done, or a refusal.
fn answered(screen: &FirstRunApp) -> (String, String) {
    wait_until(screen.window(), "the enrollment's answer", |ui| {
        let g = ui.global::<EnrollState>();
        g.get_phase() == "done" || (g.get_phase() == "scan" && !g.get_error_kind().is_empty())
    });
    let g = enroll_state(screen);
    (g.get_phase().to_string(), g.get_error_kind().to_string())
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('/', "%2F")
}

#[test]
fn first_run_enrolls_from_the_qr_and_opens_the_route() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(Server::start());
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = DataDir(tmp.path().join("a"));
    assert!(needs_enrollment(&dir), "a device with no identity");

    let (scanner, scans) = mpsc::channel();
    let screen = first_run(&dir, Some(scans));
    let ui = screen.window();
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Enroll);
    assert!(find(ui, "Enrollment QR text").is_some(), "the QR box");

    // A parcel label scanned by mistake: not an enrollment QR, nothing sent.
    scanner.send("]C0DZ40000037".into()).expect("scan");
    assert_eq!(answered(&screen), ("scan".into(), "enroll_not_a_qr".into()));

    // A QR naming another server key: refused, nothing pinned.
    let qr = server.enrollment_qr(Profile::Test);
    let at = qr.find("fingerprint=").expect("fingerprint") + "fingerprint=".len();
    let forged = format!("{}{}", &qr[..at], "0".repeat(64));
    forget(&screen);
    scanner.send(forged).expect("scan");
    assert_eq!(
        answered(&screen),
        ("scan".into(), "enroll_wrong_server".into())
    );
    assert!(
        needs_enrollment(&dir),
        "nothing pinned after a wrong fingerprint"
    );

    // A server that does not answer.
    let dead = qr.replace(&urlencode(&server.url()), &urlencode("http://127.0.0.1:9"));
    forget(&screen);
    scanner.send(dead).expect("scan");
    assert_eq!(
        answered(&screen),
        ("scan".into(), "enroll_unreachable".into())
    );

    // The right QR, typed by a keyboard-wedge scanner (characters, then Enter).
    forget(&screen);
    type_keys(ui, &qr, true);
    assert_eq!(answered(&screen), ("done".into(), String::new()));
    let g = enroll_state(&screen);
    let identity = Store::open_read_only(&dir.database())
        .expect("store")
        .identity()
        .expect("identity")
        .expect("enrolled");
    assert_eq!(g.get_device_id().as_str(), identity.device_id.as_str());
    assert!(identity.server_key.is_some(), "the server key is pinned");
    assert_eq!(identity.profile, Some(Profile::Test));
    assert!(!g.get_fingerprint().is_empty());
    assert!(
        ui.global::<AppState>().get_test_platform(),
        "the test platform's band shows from now on"
    );
    assert!(find(ui, "Fleet inventory QR code").is_some());
    assert!(!needs_enrollment(&dir));

    // The same QR on another device: its one-time token is used.
    let other = first_run(&DataDir(tmp.path().join("b")), None);
    other.scan(&qr);
    assert_eq!(answered(&other), ("scan".into(), "enroll_refused".into()));
    drop(other);

    // Continue: the day's route in the same window, on the enrolled device.
    press(ui, "Continue to the day's route");
    assert!(screen.take_error().is_none(), "the app started");
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Route);
    let app = screen.app();
    let app = app.as_ref().expect("the app runs");
    settle(app);
    assert!(ui.global::<AppState>().get_test_platform());
    drop(scanner);
}
