//! Every top-level screen opened by the real `courier-terminal ui` binary in a
//! real window (Xvfb, Slint's winit backend and software renderer), not only in
//! Slint's testing backend, where a window's size and layout are resolved
//! differently: a binding loop between the enrollment screen and its header
//! panicked at the first start of every fresh handheld ("Recursion detected")
//! while the testing-backend tests passed.
//!
//! The app is driven as a person would: key presses, typed text (a
//! keyboard-wedge scanner) and taps from `xdotool`; each step waits for the app's
//! own log line naming the screen it shows, and fails at once if the process
//! ends. Screenshots of each screen land in Cargo's temporary directory.

mod real_window;
mod sync_support;

use courier_protocol::enrollment_qr::Profile;
use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::sync::enrollment::needs_enrollment;
use courier_terminal::terminal::DataDir;
use real_window::{RealApp, VirtualDisplay, shots_dir};
use sync_support::{FAST, Server, data_dir, enroll, ok, term};

/// The first-run screen on a fresh handheld starts and enrolls, in the three
/// languages, at 720x1280 and 480x800, with and without the panel's density,
/// full screen or in a window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_handheld_starts_on_the_enrollment_screen_and_enrolls_in_a_real_window() {
    let server = Server::start().await;
    let shots = shots_dir();
    for (width, height, dpi) in [(720u32, 1280u32, "294"), (480, 800, "233")] {
        for lang in ["fr", "ar", "en"] {
            for handheld in [true, false] {
                // A display of its own: a bare X server keeps the last app's pixels.
                let display = VirtualDisplay::start(width, height);
                let tmp = tempfile::tempdir().expect("tmp");
                let data = data_dir(&tmp);
                let mut args = vec!["--lang", lang];
                if handheld {
                    args.extend(["--fullscreen", "--panel-dpi", dpi]);
                }
                let qr = server.enrollment_qr(Profile::Test);
                let name = format!(
                    "first-run-{lang}-{width}x{height}-{}",
                    if handheld { "handheld" } else { "window" }
                );
                let display = &display;
                tokio::task::block_in_place(|| {
                    let mut app = RealApp::start(display, &data, &args);
                    app.wait_screen("Enroll");
                    app.wait_window(display);
                    display.screenshot(&shots.join(format!("{name}.png")));
                    app.assert_running();
                    display.focus_app();
                    // The QR box has the focus: a keyboard-wedge scanner types the QR and Enter.
                    display.type_text(&qr);
                    display.key(&["Return"]);
                    app.wait_for_log("enrolled from the first-run screen");
                    display.screenshot(&shots.join(format!("{name}-enrolled.png")));
                    // Enter goes on to the day's route in the same window.
                    display.key(&["Return"]);
                    app.wait_screen("Route");
                    app.assert_running();
                    app.kill();
                });
                assert!(
                    !needs_enrollment(&DataDir(data.clone())),
                    "{name}: the device is enrolled"
                );
            }
        }
    }
}

/// After `courier-terminal init` (an identity, no server key pinned yet), the
/// app starts on the enrollment screen too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initialised_device_without_a_server_starts_on_the_enrollment_screen() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    ok(&data, &["init", "--device-id", "DEV-RW-1"]).await;
    let display = VirtualDisplay::start(720, 1280);
    tokio::task::block_in_place(|| {
        let mut app = RealApp::start(&display, &data, &["--panel-dpi", "294", "--fullscreen"]);
        app.wait_screen("Enroll");
        app.wait_window(&display);
        display.screenshot(&shots_dir().join("first-run-after-init.png"));
        app.assert_running();
        app.kill();
    });
}

struct Day {
    _server: Server,
    /// The buyers' numeric codes, in the order of the parcels.
    codes: Vec<String>,
    _tmp: tempfile::TempDir,
    data: std::path::PathBuf,
}

/// An enrolled device with a day of three parcels and a depot supervisor
/// (PIN 2468), synced from the reference server on loopback.
async fn enrolled_day() -> Day {
    let server = Server::start().await;
    server
        .supervisor("SUP-RW-1", "Samira", "Depot", "2468", true)
        .await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let orders: Vec<_> = ["RW-1", "RW-2", "RW-3"]
        .iter()
        .map(|o| server.order(o, CodePolicy::OfflineAllowed))
        .collect();
    let device = enroll(&server, &data).await;
    let ids: Vec<&str> = orders.iter().map(|o| o.parcel_id.as_str()).collect();
    server.manifest(&device, &ids, 3_600_000);
    let mut sync_args = vec!["sync"];
    sync_args.extend_from_slice(FAST);
    let o = term(&data, &sync_args, &[]).await;
    assert!(o.status.success(), "{}", sync_support::text(&o));
    Day {
        _server: server,
        codes: orders.iter().map(|o| o.numeric_code.clone()).collect(),
        _tmp: tmp,
        data,
    }
}

fn shot(display: &VirtualDisplay, name: &str) {
    display.screenshot(&shots_dir().join(format!("{name}.png")));
}

/// The courier's screens on an enrolled device, at a handheld's size and
/// density (720x1280, 294 dpi, full screen): the route list, the label keypad, a parcel, the code
/// pad and its verdict, the outcomes, the no-answer screen, the menu and the
/// diagnosis; then the supervisor's depot session: sign-in by PIN on the
/// physical keys, a return scanned in, the fee change and the day close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_of_an_enrolled_day_opens_in_a_real_window() {
    let day = enrolled_day().await;
    ok(&day.data, &["arrive", "L-RW-1"]).await;
    ok(&day.data, &["inspect", "L-RW-1"]).await;
    // A failed attempt: its return fee is one the supervisor may change.
    let failed = [
        "attempt",
        "L-RW-3",
        "--outcome",
        "carrier_problem",
        "--reason",
        "vehicle",
    ];
    ok(&day.data, &failed).await;
    let code = day.codes[0].clone();
    let display = VirtualDisplay::start(720, 1280);
    tokio::task::block_in_place(|| {
        let mut app = RealApp::start(
            &display,
            &day.data,
            &["--lang", "en", "--fullscreen", "--panel-dpi", "294"],
        );
        app.wait_screen("Route");
        app.wait_window(&display);
        app.wait_for_log("window sized to the screen");
        display.focus_app();
        shot(&display, "tour-01-route");
        // The label keypad, for a label the scanner cannot read.
        app.tap_to(&display, 536, 310, "LabelPad");
        shot(&display, "tour-01b-label-pad");
        display.key(&["Escape"]);
        app.wait_screen("Route");
        // A label typed on the physical keys (its last digits) opens the parcel.
        display.type_text("1");
        display.key(&["Return"]);
        app.wait_screen("Parcel");
        shot(&display, "tour-02-parcel");
        // Arrived and inspected already: the bottom button takes the code.
        app.tap_to(&display, 360, 1210, "Code");
        shot(&display, "tour-03-code");
        display.type_text(&code);
        display.key(&["Return"]);
        app.wait_for_log("code verdict shown");
        shot(&display, "tour-04-code-verdict");
        display.key(&["Return"]);
        app.wait_screen("Route");
        // The second parcel: cannot deliver, then the outcomes and "no answer".
        display.type_text("2");
        display.key(&["Return"]);
        app.wait_screen("Parcel");
        shot(&display, "tour-05-parcel-not-arrived");
        app.tap_to(&display, 360, 1090, "Outcome");
        shot(&display, "tour-06-outcome");
        display.tap(360, 620);
        app.tap_to(&display, 360, 1210, "NoAnswer");
        shot(&display, "tour-07-no-answer");
        display.key(&["Escape"]);
        app.wait_screen("Outcome");
        display.key(&["Escape"]);
        app.wait_screen("Parcel");
        display.key(&["Escape"]);
        app.wait_screen("Route");
        // The menu, and the diagnosis behind a long press on its title.
        app.tap_to(&display, 660, 60, "About");
        shot(&display, "tour-08-menu");
        display.hold(420, 185, 3.5);
        app.wait_screen("Diagnose");
        shot(&display, "tour-09-diagnose");
        display.key(&["Escape"]);
        app.wait_screen("About");
        // The depot: the supervisor signs in with the PIN on the physical keys.
        app.tap_to(&display, 360, 912, "DepotSignIn");
        shot(&display, "tour-10-depot-sign-in");
        display.tap(360, 456);
        display.key(&["2", "4", "6", "8", "Return"]);
        app.wait_screen("Depot");
        display.tap(250, 716);
        display.type_text("L-RW-2");
        display.key(&["Return"]);
        app.wait_for_log("return scanned in");
        shot(&display, "tour-11-depot-scan-in");
        // The failed parcel, still missing: who pays its return fee.
        app.tap_to(&display, 360, 890, "DepotFee");
        shot(&display, "tour-12-depot-fee");
        app.tap_to(&display, 100, 185, "Depot");
        app.tap_to(&display, 384, 1210, "DepotClose");
        shot(&display, "tour-13-depot-close");
        app.assert_running();
        app.kill();
    });
}
