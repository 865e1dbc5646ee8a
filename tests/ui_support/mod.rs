//! Helpers for the headless UI tests: the testing backend's event loop driven
//! until the worker has answered, elements found by accessible label.
#![allow(dead_code, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use courier_terminal::domain::position::{
    AgedFix, FixDimension, FixReading, PositionReading, PositionSourceKind,
};
use courier_terminal::ui::{App, MainWindow};
use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::{Key, WindowEvent};

/// Longest a test waits for the worker (a failure guard, not a synchronisation).
pub const GUARD: Duration = Duration::from_secs(30);

/// Runs the event loop until every command sent so far has been answered.
pub fn settle(app: &App) {
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    app.after_pending(move || {
        d.store(true, Ordering::SeqCst);
        let _ = slint::quit_event_loop();
    });
    let start = Instant::now();
    let guard = slint::Timer::default();
    guard.start(slint::TimerMode::SingleShot, GUARD, || {
        let _ = slint::quit_event_loop();
    });
    // A quit left over from an earlier wait may end a turn early: run again.
    while !done.load(Ordering::SeqCst) && start.elapsed() < GUARD {
        slint::run_event_loop().expect("event loop");
    }
    assert!(
        done.load(Ordering::SeqCst),
        "the terminal worker did not answer within {GUARD:?}"
    );
}

/// Runs the event loop until `cond` holds (checked on every loop turn).
pub fn wait_until(ui: &MainWindow, what: &str, cond: impl Fn(&MainWindow) -> bool + 'static) {
    if cond(ui) {
        return;
    }
    let weak = ui.as_weak();
    let start = Instant::now();
    let ok = std::rc::Rc::new(std::cell::Cell::new(false));
    let ok2 = ok.clone();
    let poll = slint::Timer::default();
    poll.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(1),
        move || {
            if ok2.get() {
                return; // already quitting
            }
            let met = weak.upgrade().is_some_and(|ui| cond(&ui));
            ok2.set(met);
            if met || start.elapsed() > GUARD {
                let _ = slint::quit_event_loop();
            }
        },
    );
    while !ok.get() && start.elapsed() <= GUARD {
        slint::run_event_loop().expect("event loop");
    }
    poll.stop();
    assert!(ok.get(), "timed out waiting for: {what}");
}

/// The first element with this accessible label.
pub fn find(ui: &MainWindow, label: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_accessible_label(ui, label).next()
}

/// The first button with this accessible label.
pub fn find_button(ui: &MainWindow, label: &str) -> Option<ElementHandle> {
    ElementHandle::find_by_accessible_label(ui, label)
        .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
}

/// Presses the button with this accessible label, once the tap guard of the
/// previous guarded tap has run out and the terminal has answered (as a courier
/// would see the button turn active again).
pub fn press(ui: &MainWindow, label: &str) {
    wait_until(ui, "the tap guard to end", |ui| {
        let app = ui.global::<courier_terminal::ui::AppState>();
        !app.get_guard() && !app.get_busy()
    });
    let e =
        find_button(ui, label).unwrap_or_else(|| panic!("no button labelled {label:?} on screen"));
    assert_ne!(e.accessible_enabled(), Some(false), "{label:?} is disabled");
    e.invoke_accessible_default_action();
}

/// Offers inspection: the step's button, then the question's "yes".
pub fn inspect(ui: &MainWindow) {
    press(ui, "Buyer inspects the parcel");
    press(ui, "Yes: record the inspection offer");
}

/// The accessible value of the element with this label.
pub fn value(ui: &MainWindow, label: &str) -> String {
    find(ui, label)
        .and_then(|e| e.accessible_value())
        .map(|v| v.to_string())
        .unwrap_or_else(|| panic!("no value for {label:?}"))
}

/// Types text on the physical keys, then optionally Enter.
pub fn type_keys(ui: &MainWindow, text: &str, enter: bool) {
    let w = ui.window();
    for c in text.chars() {
        let t: slint::SharedString = c.to_string().into();
        w.dispatch_event(WindowEvent::KeyPressed { text: t.clone() });
        w.dispatch_event(WindowEvent::KeyReleased { text: t });
    }
    if enter {
        let t: slint::SharedString = Key::Return.into();
        w.dispatch_event(WindowEvent::KeyPressed { text: t.clone() });
        w.dispatch_event(WindowEvent::KeyReleased { text: t });
    }
}

/// A fresh GNSS reading at this place.
pub fn fix(lat: f64, lon: f64, dimension: FixDimension) -> PositionReading {
    let f = AgedFix {
        fix: FixReading {
            lat_deg: lat,
            lon_deg: lon,
            alt_m: Some(100.0),
            hdop: Some(0.8),
            satellites: Some(10),
            dimension,
            fix_utc_ms: None,
        },
        age_ms: 0,
    };
    PositionReading {
        source: PositionSourceKind::Gnss,
        current: Some(f.clone()),
        last_valid: Some(f),
        gnss_utc_ms: None,
        no_fix_reason: None,
    }
}

/// Label of the n-th parcel of the sample day.
pub fn label(n: usize) -> String {
    format!("DZ{:08}", 40_000_000 + n * 37)
}

/// A clock the test sets: wall time and monotonic time move independently.
pub struct ManualClock(std::sync::Mutex<courier_protocol::envelope::ClockStamp>);

impl ManualClock {
    /// Starts at `utc_ms`, monotonic 1 000 000 ms, boot "test-boot".
    pub fn new(utc_ms: i64) -> Arc<Self> {
        Arc::new(ManualClock(std::sync::Mutex::new(
            courier_protocol::envelope::ClockStamp {
                device_utc_ms: utc_ms,
                monotonic_ms: 1_000_000,
                boot_id: "test-boot".into(),
            },
        )))
    }

    /// Moves the wall clock by `utc_ms` and the monotonic clock by `mono_ms`.
    pub fn advance(&self, utc_ms: i64, mono_ms: i64) {
        let mut c = self.0.lock().expect("clock");
        c.device_utc_ms += utc_ms;
        c.monotonic_ms += mono_ms;
    }
}

impl courier_terminal::clock::Clock for ManualClock {
    fn now(&self) -> courier_protocol::envelope::ClockStamp {
        self.0.lock().expect("clock").clone()
    }
}
