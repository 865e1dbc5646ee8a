//! The screens at a handheld's real size: every screen and dialog of the
//! screenshot tour, in French, Arabic and English, on 480x800 (233 dpi),
//! 720x1280 (294 dpi) and 1080x1920 (401 dpi) at the density-derived scale,
//! walked element by element on Slint's testing backend (mock time). Then a
//! double tap on the parcel screen, with taps 100 ms of mock time apart.
//! One `#[test]`: the testing backend is set up once per process.

use std::collections::HashSet;

use courier_devtools::screenshots::{PANELS, Panel, TourRig, tour, tour_rig};
use courier_protocol::vocabulary::EventKind;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::ui::{AppState, Language, MainWindow, Screen, Sizes};
use i_slint_backend_testing::{AccessibleRole, ElementHandle, ElementQuery};
use slint::platform::{PointerEventButton, WindowEvent};
use slint::{ComponentHandle, LogicalPosition, PhysicalSize};

/// 9 mm, the smallest touch target, and the smallest text sizes.
const TARGET_MM: f32 = 9.0;
const BODY_MM: f32 = 2.5;
const VERDICT_MM: f32 = 4.0;
/// Rounding slack, logical pixels.
const SLACK: f32 = 1.0;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

impl Rect {
    fn of(e: &ElementHandle) -> Rect {
        let p = e.absolute_position();
        let s = e.size();
        Rect {
            x: p.x,
            y: p.y,
            w: s.width,
            h: s.height,
        }
    }
    fn right(&self) -> f32 {
        self.x + self.w
    }
    fn bottom(&self) -> f32 {
        self.y + self.h
    }
    fn intersect(&self, o: &Rect) -> Option<Rect> {
        let x = self.x.max(o.x);
        let y = self.y.max(o.y);
        let r = self.right().min(o.right());
        let b = self.bottom().min(o.bottom());
        (r - x > SLACK && b - y > SLACK).then_some(Rect {
            x,
            y,
            w: r - x,
            h: b - y,
        })
    }
}

fn key(e: &ElementHandle) -> String {
    let r = Rect::of(e);
    format!(
        "{:?}|{:?}|{:?}|{:.1},{:.1},{:.1},{:.1}",
        e.type_name(),
        e.id(),
        e.accessible_label(),
        r.x,
        r.y,
        r.w,
        r.h
    )
}

/// What is wrong with the screen on show, in words.
fn check_screen(ui: &MainWindow, panel: &Panel, what: &str) -> Vec<String> {
    let scale = panel.scale();
    let mm = |logical: f32| logical * scale / panel.dpi * 25.4;
    let window = Rect {
        x: 0.0,
        y: 0.0,
        w: panel.width as f32 / scale,
        h: panel.height as f32 / scale,
    };
    let all = ElementQuery::from_root(ui).match_descendants().find_all();
    let mut problems = Vec::new();
    // Scrolling areas and what scrolls in them.
    let mut viewports: Vec<(Rect, HashSet<String>)> = Vec::new();
    for e in &all {
        let t = e.type_name().map(|t| t.to_string()).unwrap_or_default();
        if t == "ScrollView" || t == "ListView" {
            let inside = e
                .query_descendants()
                .find_all()
                .iter()
                .map(key)
                .collect::<HashSet<_>>();
            viewports.push((Rect::of(e), inside));
        }
    }
    let modal = ui.global::<AppState>().get_modal();
    let mut taps: Vec<(Rect, String)> = Vec::new();
    let mut seen = HashSet::new();
    for e in &all {
        let r = Rect::of(e);
        if r.w <= 0.0 || r.h <= 0.0 {
            continue;
        }
        let k = key(e);
        let label = e
            .accessible_label()
            .map(|l| l.to_string())
            .unwrap_or_default();
        let name = format!(
            "{} {:?} {label:?}",
            e.type_name().unwrap_or_default(),
            e.id().unwrap_or_default()
        );
        let port = viewports.iter().find(|(_, inside)| inside.contains(&k));
        let visible = match port {
            Some((vp, _)) => match r.intersect(vp) {
                Some(v) => v,
                None => continue, // scrolled out: reachable by scrolling
            },
            None => {
                if r.x < -SLACK
                    || r.y < -SLACK
                    || r.right() > window.w + SLACK
                    || r.bottom() > window.h + SLACK
                {
                    problems.push(format!("{what}: {name} at {r:?} is outside the window"));
                }
                r
            }
        };
        if e.accessible_description().as_deref() == Some("overflow") {
            problems.push(format!("{what}: text {label:?} does not fit its box {r:?}"));
        }
        if e.accessible_role() == Some(AccessibleRole::Button) {
            // Under a dialog only the dialog's buttons take taps.
            if modal && e.accessible_enabled() == Some(false) {
                continue;
            }
            if !seen.insert(k) {
                continue;
            }
            if mm(r.w) + 0.05 < TARGET_MM || mm(r.h) + 0.05 < TARGET_MM {
                problems.push(format!(
                    "{what}: button {label:?} is {:.1} x {:.1} mm",
                    mm(r.w),
                    mm(r.h)
                ));
            }
            taps.push((visible, label));
        }
    }
    for (i, (a, la)) in taps.iter().enumerate() {
        for (b, lb) in &taps[i + 1..] {
            if a.intersect(b).is_some() {
                problems.push(format!(
                    "{what}: buttons {la:?} {a:?} and {lb:?} {b:?} overlap"
                ));
            }
        }
    }
    problems
}

fn set_panel(ui: &MainWindow, panel: &Panel) {
    ui.window().dispatch_event(WindowEvent::ScaleFactorChanged {
        scale_factor: panel.scale(),
    });
    ui.window()
        .set_size(PhysicalSize::new(panel.width, panel.height));
    ui.show().expect("show");
}

fn every_screen_fits_every_panel_in_every_language() {
    let tmp = tempfile::tempdir().expect("tmp");
    let rig = tour_rig(&tmp.path().join("tour")).expect("tour device");
    let ui = rig.app.window();
    // Text sizes on the glass, from the one place they are set.
    let sizes = ui.global::<Sizes>();
    let mut problems = Vec::new();
    let mut screens = 0;
    for panel in &PANELS {
        set_panel(ui, panel);
        let mm = |px: f32| px * panel.scale() / panel.dpi * 25.4;
        assert!(
            mm(sizes.get_font_small()) >= BODY_MM,
            "small text on {}",
            panel.name
        );
        assert!(
            mm(sizes.get_font_body()) >= BODY_MM,
            "body text on {}",
            panel.name
        );
        assert!(
            mm(sizes.get_font_huge()) >= VERDICT_MM,
            "verdicts on {}",
            panel.name
        );
        let logical = ui.window().size().to_logical(ui.window().scale_factor());
        assert!(
            (logical.width - panel.width as f32 / panel.scale()).abs() < 1.0,
            "the window fills the {} panel: {logical:?}",
            panel.name
        );
        for lang in [Language::Fr, Language::Ar, Language::En] {
            rig.app.set_language(lang);
            let mut shot = |name: &str| -> anyhow::Result<()> {
                i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(1000));
                screens += 1;
                problems.extend(check_screen(
                    ui,
                    panel,
                    &format!("{} {} {name}", panel.name, lang.code()),
                ));
                Ok(())
            };
            tour(&rig, &mut shot).expect("tour");
        }
    }
    assert!(screens >= 3 * 3 * 20, "every screen was walked ({screens})");
    assert!(
        problems.is_empty(),
        "{} layout problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Presses and releases a finger at `at`, as the touch screen reports it.
fn tap(ui: &MainWindow, at: LogicalPosition) {
    let w = ui.window();
    w.dispatch_event(WindowEvent::PointerMoved { position: at });
    w.dispatch_event(WindowEvent::PointerPressed {
        position: at,
        button: PointerEventButton::Left,
    });
    i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(40));
    w.dispatch_event(WindowEvent::PointerReleased {
        position: at,
        button: PointerEventButton::Left,
    });
    w.dispatch_event(WindowEvent::PointerExited);
}

fn centre_of(ui: &MainWindow, label: &str) -> LogicalPosition {
    let e = ElementHandle::find_by_accessible_label(ui, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no button {label:?}"));
    let r = Rect::of(&e);
    LogicalPosition::new(r.x + r.w / 2.0, r.y + r.h / 2.0)
}

fn kinds(rig: &TourRig) -> Vec<EventKind> {
    let store = Store::open_read_only(&rig.device.dir.database()).expect("store");
    store
        .events(1, 100_000)
        .expect("events")
        .into_iter()
        .map(|e| e.body.kind)
        .collect()
}

fn wait(ms: u64) {
    i_slint_backend_testing::mock_elapsed_time(std::time::Duration::from_millis(ms));
}

fn double_tap_records_one_event() {
    let tmp = tempfile::tempdir().expect("tmp");
    let rig = tour_rig(&tmp.path().join("taps")).expect("device");
    let ui = rig.app.window();
    set_panel(ui, &PANELS[1]);
    rig.app.set_language(Language::En);
    rig.app.scan("DZ40000222");
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Parcel);
    wait(1000);
    let start = kinds(&rig).len();
    let count = |k: EventKind| kinds(&rig)[start..].iter().filter(|x| **x == k).count();

    // Arrival, and a second tap 100 ms later on the same spot: the terminal has
    // already answered (inline worker), yet nothing else happens.
    let arrive = centre_of(ui, "I am at the address");
    tap(ui, arrive);
    assert!(
        ui.global::<AppState>().get_guard(),
        "the guard is up after the tap"
    );
    wait(60);
    tap(ui, arrive);
    assert_eq!(count(EventKind::Arrived), 1, "one arrival");
    assert_eq!(kinds(&rig).len(), start + 1, "one event for a double tap");
    assert_eq!(
        ui.global::<AppState>().get_screen(),
        Screen::Parcel,
        "the second tap did not reach the button now under the finger"
    );

    // Inspection (it decides who pays the return fees): the step's button, then
    // a question whose "yes" is elsewhere. A double tap records nothing.
    wait(1000);
    let inspect = centre_of(ui, "Buyer inspects the parcel");
    assert!(
        (inspect.y - arrive.y).abs() > 30.0,
        "inspection is not where arrival was"
    );
    tap(ui, inspect);
    wait(60);
    tap(ui, inspect);
    assert!(
        ui.global::<AppState>().get_confirm_inspection(),
        "the question is asked"
    );
    assert_eq!(
        count(EventKind::InspectionOffered),
        0,
        "nothing recorded yet"
    );
    wait(1000);
    let yes = centre_of(ui, "Yes: record the inspection offer");
    assert!(
        (yes.y - inspect.y).abs() > 30.0,
        "yes is not under the finger"
    );
    tap(ui, yes);
    wait(60);
    tap(ui, yes);
    assert_eq!(
        count(EventKind::InspectionOffered),
        1,
        "one inspection offer"
    );
    assert_eq!(kinds(&rig).len(), start + 2, "two events for four taps");

    // Once the guard has run out, a tap is taken again.
    wait(1000);
    tap(ui, centre_of(ui, "Cannot deliver"));
    assert_eq!(ui.global::<AppState>().get_screen(), Screen::Outcome);
}

#[test]
fn screens_fit_every_panel_and_double_taps_record_once() {
    i_slint_backend_testing::init_no_event_loop();
    double_tap_records_one_event();
    every_screen_fits_every_panel_in_every_language();
}
