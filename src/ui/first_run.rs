//! First run: `courier-terminal ui` on a device with no identity, or not
//! enrolled, shows the enrollment screen instead of failing. Carrier IT scans
//! the enrollment QR (serial scanner, keyboard wedge) or types its text; the
//! device is enrolled by [`enrollment::enroll_with`], the very function
//! `courier-terminal enroll --qr` calls (it creates the device key when there is
//! none); the screen then shows the device id and key fingerprint as the
//! fleet-inventory QR, and "Continue" assembles the device and opens the day's
//! route in the same window.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

use courier_protocol::enrollment_qr::{EnrollmentQr, Profile};
use slint::ComponentHandle;
use tracing::{info, warn};

use super::{App, AppConfig, AppState, Dir, Display, EnrollState, Language, MainWindow, Screen};
use crate::sync::TlsTrust;
use crate::sync::enrollment::{self, Enrollment};
use crate::terminal::DataDir;

/// What the running app is made of once the device is enrolled.
pub struct Started {
    /// The app's configuration (terminal, feeds, language...).
    pub config: AppConfig,
    /// Parts that must live as long as the app (readers, sync task).
    pub keep: Box<dyn Any>,
}

/// Builds the app once the device is enrolled (assembles the device).
pub type StartApp = Box<dyn FnOnce() -> anyhow::Result<Started>>;

/// What the first-run screen needs.
pub struct FirstRun {
    /// The data directory to enroll.
    pub dir: DataDir,
    /// Texts read by a serial scanner (a keyboard wedge types into the screen).
    pub scans: Option<mpsc::Receiver<String>>,
    /// Language of the screen.
    pub language: Language,
    /// Full screen, scale, rotation.
    pub display: Display,
    /// The platform the configuration names (the TEST band shows before enrollment).
    pub profile: Option<Profile>,
    /// Label for the fleet inventory (serial number, asset tag).
    pub hardware_label: String,
    /// The authorities the server's HTTPS certificate must chain to.
    pub tls: TlsTrust,
    /// Called on "Continue": assembles the device and gives the app's configuration.
    pub start: StartApp,
}

/// Where to enroll: the data directory and the inventory label.
#[derive(Clone)]
struct Target {
    dir: DataDir,
    hardware_label: String,
    tls: TlsTrust,
}

struct State {
    target: Target,
    start: RefCell<Option<StartApp>>,
    app: RefCell<Option<App>>,
    keep: RefCell<Option<Box<dyn Any>>>,
    error: RefCell<Option<anyhow::Error>>,
}

/// The enrollment screen, then the app in the same window.
pub struct FirstRunApp {
    window: MainWindow,
    state: Rc<State>,
}

impl FirstRunApp {
    /// Builds the window on the enrollment screen and starts the scanner relay.
    pub fn new(first: FirstRun) -> Result<FirstRunApp, slint::PlatformError> {
        let window = MainWindow::new()?;
        if let Err(e) = slint::select_bundled_translation(first.language.code()) {
            warn!(language = first.language.code(), error = %e, "translation not available");
        }
        let app = window.global::<AppState>();
        app.set_language(first.language.code().into());
        app.set_can_change_language(false);
        app.set_test_platform(first.profile == Some(Profile::Test));
        app.set_screen(Screen::Enroll);
        super::screen_log::follow(&window);
        window.global::<Dir>().set_rtl(first.language.rtl());
        let state = Rc::new(State {
            target: Target {
                dir: first.dir,
                hardware_label: first.hardware_label,
                tls: first.tls,
            },
            start: RefCell::new(Some(first.start)),
            app: RefCell::new(None),
            keep: RefCell::new(None),
            error: RefCell::new(None),
        });
        let g = window.global::<EnrollState>();
        let (w, target) = (window.as_weak(), state.target.clone());
        g.on_submit(move |text| {
            if let Some(ui) = w.upgrade() {
                submit(&ui, &target, &text);
            }
        });
        let (w, s) = (window.as_weak(), Rc::downgrade(&state));
        g.on_proceed(move || {
            if let (Some(ui), Some(state)) = (w.upgrade(), s.upgrade()) {
                proceed(&ui, &state);
            }
        });
        if let Some(scans) = first.scans {
            let to = window.as_weak();
            let target = state.target.clone();
            std::thread::Builder::new()
                .name("enroll-scanner".into())
                .spawn(move || {
                    while let Ok(text) = scans.recv() {
                        let target = target.clone();
                        let sent = to.upgrade_in_event_loop(move |ui| {
                            if ui.global::<AppState>().get_screen() == Screen::Enroll {
                                submit(&ui, &target, &text);
                            }
                        });
                        if sent.is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| {
                    slint::PlatformError::Other(format!("cannot start the scanner relay: {e}"))
                })?;
        }
        Ok(FirstRunApp { window, state })
    }

    /// The window (tests find elements in it).
    pub fn window(&self) -> &MainWindow {
        &self.window
    }

    /// Handles a scanned text as the scanner would.
    pub fn scan(&self, text: &str) {
        submit(&self.window, &self.state.target, text);
    }

    /// The app, once the device is enrolled and "Continue" was pressed.
    pub fn app(&self) -> std::cell::Ref<'_, Option<App>> {
        self.state.app.borrow()
    }

    /// Why the app could not start after enrollment, if it could not.
    pub fn take_error(&self) -> Option<anyhow::Error> {
        self.state.error.borrow_mut().take()
    }
}

/// Opens the enrollment screen and runs the event loop until the window closes
/// (after enrollment, the same window holds the app).
pub fn run_first_run(first: FirstRun) -> anyhow::Result<()> {
    let display = first.display;
    let screen = FirstRunApp::new(first)?;
    screen.window().show()?;
    display.apply(screen.window());
    slint::run_event_loop()?;
    screen.window().hide()?;
    match screen.take_error() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn submit(ui: &MainWindow, target: &Target, text: &str) {
    let text = text.trim();
    let phase = ui.global::<EnrollState>().get_phase();
    // One enrollment at a time, and none once enrolled.
    if text.is_empty() || phase.as_str() != "scan" {
        return;
    }
    let qr = match EnrollmentQr::parse(text) {
        Ok(qr) => qr,
        Err(e) => {
            super::enroll_adapter::show_not_a_qr(ui, &e.to_string());
            return;
        }
    };
    super::enroll_adapter::show_working(ui);
    let target = target.clone();
    let weak = ui.as_weak();
    let spawned = std::thread::Builder::new()
        .name("enroll".into())
        .spawn(move || {
            let result = enrollment::enroll_with(
                &target.dir,
                &Enrollment {
                    tls: target.tls.clone(),
                    ..Enrollment::from_qr(&qr, &target.hardware_label)
                },
            );
            let _ = weak.upgrade_in_event_loop(move |ui| answered(&ui, result));
        });
    if let Err(e) = spawned {
        super::enroll_adapter::show_not_a_qr(ui, &format!("cannot start enrollment: {e}"));
    }
}

fn answered(ui: &MainWindow, result: Result<enrollment::Enrolled, enrollment::EnrollError>) {
    match result {
        Ok(e) => {
            info!(device = %e.device_id, platform = e.profile, "enrolled from the first-run screen");
            super::enroll_adapter::show_enrolled(ui, &e);
        }
        Err(e) => {
            warn!(error = %e, "enrollment refused");
            super::enroll_adapter::show_error(ui, &e);
        }
    }
}

fn proceed(ui: &MainWindow, state: &Rc<State>) {
    let Some(start) = state.start.borrow_mut().take() else {
        return;
    };
    let started = start().and_then(|s| {
        let app = App::on_window(ui.clone_strong(), s.config)?;
        Ok((app, s.keep))
    });
    match started {
        Ok((app, keep)) => {
            *state.app.borrow_mut() = Some(app);
            *state.keep.borrow_mut() = Some(keep);
        }
        Err(e) => {
            warn!(error = %e, "the app cannot start after enrollment");
            *state.error.borrow_mut() = Some(e);
            let _ = slint::quit_event_loop();
        }
    }
}
