//! Carrier IT's screens on Slint's testing backend (mock time): the TEST band
//! on every screen of a test-platform device (and on none of a production one),
//! never under a dialog; the diagnosis opened by a 3 s press on the menu
//! screen's title and not by a tap, showing the lines `diagnose` computes.
//! One `#[test]`: the testing backend is set up once per process.

mod common;
mod ui_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_devtools::screenshots::{PANELS, tour, tour_rig_on};
use courier_protocol::enrollment_qr::Profile;
use courier_terminal::assembly::{DeviceConfig, Feeds};
use courier_terminal::clock::SystemClock;
use courier_terminal::diagnosis::{Verdict, diagnose};
use courier_terminal::position_source::SharedPosition;
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{App, AppConfig, AppState, DiagnoseState, Language, MainWindow, Screen};
use i_slint_backend_testing::ElementHandle;
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition, Model, PhysicalSize};
use ui_support::{GUARD, settle};

fn band(ui: &MainWindow) -> Option<ElementHandle> {
    ElementHandle::find_by_element_type_name(ui, "TestBand").next()
}

/// The top of the dialog on show, if one is.
fn dialog_top(ui: &MainWindow) -> Option<f32> {
    ["Refused", "Done", "Inspection", "Explanation"]
        .iter()
        .flat_map(|l| ElementHandle::find_by_accessible_label(ui, l))
        .map(|e| e.absolute_position().y)
        .reduce(f32::min)
}

fn test_band_on_every_screen_of_a_test_device_only() {
    let panel = PANELS[0];
    for profile in [Profile::Test, Profile::Production] {
        let tmp = tempfile::tempdir().expect("tmp");
        let rig = tour_rig_on(&tmp.path().join("tour"), Some(profile)).expect("tour device");
        let ui = rig.app.window();
        ui.window().dispatch_event(WindowEvent::ScaleFactorChanged {
            scale_factor: panel.scale(),
        });
        ui.window()
            .set_size(PhysicalSize::new(panel.width, panel.height));
        ui.show().expect("show");
        let height = panel.height as f32 / panel.scale();
        let mut screens = 0;
        for lang in [Language::Fr, Language::Ar, Language::En] {
            rig.app.set_language(lang);
            let mut shot = |name: &str| -> anyhow::Result<()> {
                i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(1000));
                let what = format!("{:?} {} {name}", profile, lang.code());
                // The tour's own test-platform shots force the band on a production device.
                let forced =
                    name.starts_with("24-") || name.starts_with("25-") || name.starts_with("26-");
                if profile == Profile::Production && !forced {
                    assert!(band(ui).is_none(), "{what}: a TEST band in production");
                    return Ok(());
                }
                screens += 1;
                let b = band(ui).unwrap_or_else(|| panic!("{what}: no TEST band"));
                let (y, h) = (b.absolute_position().y, b.size().height);
                assert!(
                    h > 20.0 && h < height / 6.0 && y >= 0.0 && y + h <= height,
                    "{what}: band at {y} + {h}"
                );
                let words = b.accessible_value().unwrap_or_default();
                assert!(words.contains("TEST"), "{what}: the band says {words:?}");
                if let Some(top) = dialog_top(ui) {
                    assert!(
                        top >= y + h - 1.0,
                        "{what}: a dialog at {top} covers the band"
                    );
                }
                Ok(())
            };
            tour(&rig, &mut shot).expect("tour");
        }
        if profile == Profile::Test {
            assert!(screens >= 3 * 25, "every screen was walked ({screens})");
        }
    }
}

/// Runs the event loop until `cond` holds: another thread wakes it every
/// millisecond (mock time moves no timer), with a real-time guard.
fn wait_for(ui: &MainWindow, what: &str, cond: impl Fn(&MainWindow) -> bool) {
    let start = Instant::now();
    while !cond(ui) {
        assert!(start.elapsed() < GUARD, "timed out waiting for: {what}");
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(1));
            let _ = slint::invoke_from_event_loop(|| {
                let _ = slint::quit_event_loop();
            });
        });
        slint::run_event_loop().expect("event loop");
    }
}

fn press(ui: &MainWindow, at: LogicalPosition) {
    let w = ui.window();
    w.dispatch_event(WindowEvent::PointerMoved { position: at });
    w.dispatch_event(WindowEvent::PointerPressed {
        position: at,
        button: PointerEventButton::Left,
    });
}

fn release(ui: &MainWindow, at: LogicalPosition) {
    let w = ui.window();
    w.dispatch_event(WindowEvent::PointerReleased {
        position: at,
        button: PointerEventButton::Left,
    });
    w.dispatch_event(WindowEvent::PointerExited);
}

fn hold(ms: u64) {
    // In steps, as time passes under a finger.
    for _ in 0..ms / 100 {
        i_slint_backend_testing::mock_elapsed_time(Duration::from_millis(100));
    }
}

fn diagnosis_opens_on_a_long_press_only() {
    let day = common::day(3);
    let position = SharedPosition::new();
    let terminal = Terminal::open(
        &day.dir,
        Arc::new(SystemClock::new()),
        Arc::new(position.clone()),
    )
    .expect("open");
    let device = DeviceConfig::new(day.dir.0.clone());
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position)));
    config.language = Language::En;
    config.diagnosis = Some(device.clone());
    let app = App::new(config).expect("app");
    app.window()
        .window()
        .set_size(slint::LogicalSize::new(392.0, 697.0));
    app.window().show().expect("show");
    settle(&app);
    let ui = app.window();
    let state = ui.global::<AppState>();
    state.invoke_show_about();
    settle(&app);
    assert_eq!(state.get_screen(), Screen::About);
    let title = ElementHandle::find_by_accessible_label(ui, "Terminal and language")
        .next()
        .expect("the menu screen's title");
    let (p, s) = (title.absolute_position(), title.size());
    let at = LogicalPosition::new(p.x + s.width / 2.0, p.y + s.height / 2.0);

    // A tap, and a press of 2.5 s: still the menu screen.
    for ms in [100, 2500] {
        press(ui, at);
        hold(ms);
        release(ui, at);
        hold(3500);
        assert_eq!(
            state.get_screen(),
            Screen::About,
            "a {ms} ms press does not open the diagnosis"
        );
    }
    // Held 3 s: the diagnosis, with the lines `diagnose` computes.
    press(ui, at);
    hold(3100);
    assert_eq!(state.get_screen(), Screen::Diagnose, "held 3 s");
    release(ui, at);
    let diag = ui.global::<DiagnoseState>();
    wait_for(ui, "the diagnosis lines", |ui| {
        let d = ui.global::<DiagnoseState>();
        !d.get_running() && d.get_rows().row_count() > 0
    });
    let expected = diagnose(&device);
    let shown: Vec<(String, String)> = diag
        .get_rows()
        .iter()
        .map(|r| (r.area.to_string(), r.verdict.to_string()))
        .collect();
    let computed: Vec<(String, String)> = expected
        .checks
        .iter()
        .map(|c| {
            let v = match c.verdict {
                Verdict::Ok => "ok",
                Verdict::Warn => "warn",
                Verdict::Fail => "fail",
            };
            (c.area.to_owned(), v.to_owned())
        })
        .collect();
    assert_eq!(
        shown, computed,
        "the screen maps the diagnosis line by line"
    );
    for area in [
        "storage", "key", "clock", "gnss", "scanner", "server", "outbox",
    ] {
        assert!(
            shown.iter().any(|(a, _)| a == area),
            "{area} is checked: {shown:?}"
        );
    }
    // A line that fails says what to fix, on screen.
    if let Some(row) = diag.get_rows().iter().find(|r| r.verdict != "ok") {
        assert!(!row.fix.is_empty(), "{} says what to fix", row.area);
    }
    // Back goes to the menu screen.
    state.invoke_back();
    assert_eq!(state.get_screen(), Screen::About);
}

#[test]
fn test_band_and_diagnosis() {
    i_slint_backend_testing::init_integration_test_with_mock_time();
    test_band_on_every_screen_of_a_test_device_only();
    diagnosis_opens_on_a_long_press_only();
}
