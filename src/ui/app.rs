//! App start: the configuration, the window with its adapters connected, the
//! terminal's worker, the scanner relay and the status timer.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use courier_protocol::enrollment_qr::Profile;
use slint::ComponentHandle;
use tracing::{info, warn};

use super::context::{Link, UiCtx};
use super::display::Display;
use super::generated::{AppState, Dir, MainWindow, Screen};
use super::language::Language;
use super::worker::{Command, Worker};
use super::{
    banner, code_entry_adapter, depot_adapter, diagnose_adapter, label_pad_adapter, navigation,
    no_answer_adapter, outcome_adapter, parcel_adapter, replies, route_list_adapter, screen_log,
    status_bar_adapter,
};
use crate::assembly::{DeviceConfig, Feeds};
use crate::clock::Clock;
use crate::position_source::PositionSource;
use crate::terminal::Terminal;

thread_local! {
    /// The context of the app on this (the UI) thread, for replies and scans
    /// that arrive through the event loop.
    static CTX: RefCell<Option<Rc<UiCtx>>> = const { RefCell::new(None) };
}

/// What the app needs: the terminal and the feeds the assembly built beside it.
pub struct AppConfig {
    /// The terminal service; it moves to the worker thread.
    pub terminal: Terminal,
    /// The position feed the status bar reads (the same source the terminal records).
    pub position: Arc<dyn PositionSource>,
    /// The clock the status bar shows (the same the terminal stamps events with).
    pub clock: Arc<dyn Clock>,
    /// Texts read by the barcode scanner (parcel labels, buyer QR codes, collected items).
    pub scans: Option<mpsc::Receiver<String>>,
    /// Language at start.
    pub language: Language,
    /// Local time offset for displayed times, minutes (Algiers: +60).
    pub utc_offset_minutes: i32,
    /// Whether the courier may change the language on the menu screen.
    pub allow_language_change: bool,
    /// Full screen, scale (from the panel's density), rotation.
    pub display: Display,
    /// The platform the configuration names; the one the device was enrolled on
    /// wins. The test platform shows the TEST band on every screen.
    pub profile: Option<Profile>,
    /// What carrier IT's diagnosis screen checks (the device as configured);
    /// `None`: the screen says to run `courier-terminal diagnose` instead.
    pub diagnosis: Option<DeviceConfig>,
}

impl AppConfig {
    /// A configuration with French and Algiers time, on what the assembly built.
    pub fn new(terminal: Terminal, feeds: Feeds) -> Self {
        AppConfig {
            terminal,
            position: feeds.position,
            clock: feeds.clock,
            scans: feeds.scans,
            language: Language::Fr,
            utc_offset_minutes: 60,
            allow_language_change: true,
            display: Display::default(),
            profile: None,
            diagnosis: None,
        }
    }
}

/// Opens the app and runs its event loop until the window closes.
pub fn run_app(config: AppConfig) -> anyhow::Result<()> {
    let display = config.display;
    let app = App::new(config)?;
    app.window().show()?;
    display.apply(app.window());
    slint::run_event_loop()?;
    app.window().hide()?;
    Ok(())
}

/// The running app: the window, its adapters, the worker and the timers.
pub struct App {
    window: MainWindow,
    ctx: Rc<UiCtx>,
    _tick: slint::Timer,
}

impl App {
    /// Builds the window and starts the worker thread and the scanner relay.
    pub fn new(config: AppConfig) -> Result<App, slint::PlatformError> {
        Self::build(MainWindow::new()?, config, false)
    }

    /// Builds the app in a window already on show (after the first-run
    /// enrollment screen), starting on the route list.
    pub fn on_window(window: MainWindow, config: AppConfig) -> Result<App, slint::PlatformError> {
        window.global::<AppState>().set_screen(Screen::Route);
        Self::build(window, config, false)
    }

    /// Builds the window with the terminal called inline on the UI thread
    /// (screenshots, benchmarks and the layout test: the real app uses [`App::new`]).
    pub fn new_inline(config: AppConfig) -> Result<App, slint::PlatformError> {
        Self::build(MainWindow::new()?, config, true)
    }

    fn build(
        window: MainWindow,
        config: AppConfig,
        inline: bool,
    ) -> Result<App, slint::PlatformError> {
        let weak = window.as_weak();
        screen_log::follow(&window);
        let profile = config.terminal.identity().profile.or(config.profile);
        window
            .global::<AppState>()
            .set_test_platform(profile == Some(Profile::Test));
        let worker = Worker::new(config.terminal);
        let link = if inline {
            Link::Inline(Box::new(RefCell::new(worker)))
        } else {
            let (tx, rx) = mpsc::channel();
            let reply_to = weak.clone();
            worker
                .spawn(rx, move |reply| {
                    let _ = reply_to.upgrade_in_event_loop(move |ui| {
                        if let Some(ctx) = CTX.with(|c| c.borrow().clone()) {
                            replies::apply(&ui, &ctx, reply);
                        }
                    });
                })
                .map_err(|e| {
                    slint::PlatformError::Other(format!("cannot start the terminal worker: {e}"))
                })?;
            Link::Thread(tx)
        };
        let ctx = Rc::new(UiCtx {
            link,
            weak: weak.clone(),
            position: config.position,
            clock: config.clock,
            diagnosis: config.diagnosis,
            lang: Cell::new(config.language),
            utc_offset_minutes: config.utc_offset_minutes,
            parcels: RefCell::new(Vec::new()),
            current: RefCell::new(None),
            before_about: Cell::new(Screen::Route),
            events_seen: Cell::new(0),
            in_flight: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
            on_reply: replies::apply,
        });
        window
            .global::<AppState>()
            .set_can_change_language(config.allow_language_change);
        CTX.with(|c| *c.borrow_mut() = Some(ctx.clone()));

        connect_app(&window, &ctx);
        route_list_adapter::connect(&window, &ctx);
        parcel_adapter::connect(&window, &ctx);
        code_entry_adapter::connect(&window, &ctx);
        outcome_adapter::connect(&window, &ctx);
        no_answer_adapter::connect(&window, &ctx);
        label_pad_adapter::connect(&window, &ctx);
        diagnose_adapter::connect(&window, &ctx);
        depot_adapter::connect(&window, &ctx);

        if let Some(scans) = config.scans {
            let to = weak.clone();
            std::thread::Builder::new()
                .name("scanner-relay".into())
                .spawn(move || {
                    while let Ok(text) = scans.recv() {
                        let sent = to.upgrade_in_event_loop(move |ui| {
                            if let Some(ctx) = CTX.with(|c| c.borrow().clone()) {
                                navigation::on_scan(&ui, &ctx, &text);
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

        select_language(&window, &ctx, config.language);
        status_bar_adapter::tick(&window, &ctx);
        ctx.send(Command::Refresh);

        let tick = slint::Timer::default();
        let tick_weak = weak.clone();
        let tick_ctx = Rc::downgrade(&ctx);
        let seconds = Cell::new(0u32);
        tick.start(
            slint::TimerMode::Repeated,
            Duration::from_secs(1),
            move || {
                if let (Some(ui), Some(ctx)) = (tick_weak.upgrade(), tick_ctx.upgrade()) {
                    status_bar_adapter::tick(&ui, &ctx);
                    no_answer_adapter::tick(&ui, &ctx);
                    let s = seconds.get().wrapping_add(1);
                    seconds.set(s);
                    if s.is_multiple_of(5) {
                        ctx.send(Command::Status);
                    }
                }
            },
        );
        Ok(App {
            window,
            ctx,
            _tick: tick,
        })
    }

    /// The window (tests find elements in it).
    pub fn window(&self) -> &MainWindow {
        &self.window
    }

    /// Handles a scanned text as the scanner would.
    pub fn scan(&self, text: &str) {
        navigation::on_scan(&self.window, &self.ctx, text);
    }

    /// Switches the language.
    pub fn set_language(&self, lang: Language) {
        select_language(&self.window, &self.ctx, lang);
    }

    /// Reads the position feed and the clock into the status bar now.
    pub fn refresh_status(&self) {
        status_bar_adapter::tick(&self.window, &self.ctx);
        no_answer_adapter::tick(&self.window, &self.ctx);
        self.ctx.send(Command::Status);
    }

    /// Runs `f` on the UI thread once every command sent so far has been answered.
    pub fn after_pending(&self, f: impl FnOnce() + Send + 'static) {
        self.ctx.send(Command::Barrier(Box::new(f)));
    }
}

impl Drop for App {
    fn drop(&mut self) {
        CTX.with(|c| {
            let mut slot = c.borrow_mut();
            if slot.as_ref().is_some_and(|x| Rc::ptr_eq(x, &self.ctx)) {
                *slot = None;
            }
        });
    }
}

fn connect_app(ui: &MainWindow, ctx: &Rc<UiCtx>) {
    let g = ui.global::<AppState>();
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_set_language(move |code| {
        if let (Some(ui), Some(ctx), Some(lang)) =
            (w.upgrade(), c.upgrade(), Language::parse(&code))
        {
            select_language(&ui, &ctx, lang);
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_back(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            navigation::go_back(&ui, &ctx);
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_show_about(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            let app = ui.global::<AppState>();
            if !matches!(app.get_screen(), Screen::About | Screen::Diagnose) {
                ctx.before_about.set(app.get_screen());
            }
            app.set_screen(Screen::About);
            ctx.send(Command::About);
        }
    });
    let w = ui.as_weak();
    g.on_dismiss(move || {
        if let Some(ui) = w.upgrade() {
            banner::clear_banner(&ui);
        }
    });
}

/// Whether a window system is reachable (Wayland or X11), or the KMS backend is built in.
pub fn has_display() -> bool {
    cfg!(feature = "kiosk")
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty())
        || std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty())
}

/// Selects a language: translations, direction, and numbers written its way.
fn select_language(ui: &MainWindow, ctx: &UiCtx, lang: Language) {
    if let Err(e) = slint::select_bundled_translation(lang.code()) {
        warn!(language = lang.code(), error = %e, "translation not available");
    }
    ctx.lang.set(lang);
    ui.global::<AppState>().set_language(lang.code().into());
    ui.global::<Dir>().set_rtl(lang.rtl());
    route_list_adapter::show(ui, ctx);
    let current = ctx.current.borrow().clone();
    if let Some((p, s)) = current {
        parcel_adapter::show(ui, ctx, &p, &s);
    }
    info!(language = lang.code(), "language selected");
}
