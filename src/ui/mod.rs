//! The courier's screens (Slint). This module is the one adapter layer between
//! the generated Slint types and the rest: one `*_adapter.rs` per screen global,
//! a worker thread that owns the [`Terminal`], and replies brought back to the UI
//! thread with `upgrade_in_event_loop`.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use courier_protocol::enrollment_qr::Profile;
use courier_protocol::manifest::ManifestSettings;
use slint::ComponentHandle;
use tracing::{info, warn};

use crate::assembly::{DeviceConfig, Feeds};
use crate::clock::Clock;
use crate::domain::parcel::Parcel;
use crate::position_source::PositionSource;
use crate::terminal::Terminal;

mod about_adapter;
mod code_entry_adapter;
mod depot_adapter;
pub mod depot_commands;
mod diagnose_adapter;
pub mod display;
mod enroll_adapter;
pub mod first_run;
pub mod format;
mod label_pad_adapter;
mod no_answer_adapter;
pub mod notice;
mod outcome_adapter;
mod parcel_adapter;
mod route_list_adapter;
mod screen_log;
mod status_bar_adapter;
pub mod worker;

/// The Slint code generated from `ui/app.slint`.
#[allow(missing_docs, clippy::all, clippy::unwrap_used, unused_qualifications)]
pub mod generated {
    slint::include_modules!();
}

pub use about_adapter::qr_image;
use depot_commands::DepotCommand;
pub use display::{Display, Rotation, ScaleSource};
pub use first_run::{FirstRun, FirstRunApp, Started, run_first_run};
pub use generated::{
    AboutState, AppState, CodeEntryState, DepotState, DiagRow, DiagnoseState, Dir, EnrollState,
    LabelPadState, MainWindow, NoAnswerState, OutcomeState, ParcelViewState, ReturnRow,
    RouteListState, Screen, Sizes, StatusBarState, SupervisorRow, Tr, Verdict,
};
use worker::{Command, Reply, Worker};

/// The language of the screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// French (default).
    #[default]
    Fr,
    /// Arabic, right to left.
    Ar,
    /// English.
    En,
}

impl Language {
    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::Ar => "ar",
            Language::En => "en",
        }
    }

    /// Parses an ISO 639-1 code.
    pub fn parse(code: &str) -> Option<Language> {
        match code.trim().to_lowercase().as_str() {
            "fr" => Some(Language::Fr),
            "ar" => Some(Language::Ar),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// Whether the layout runs right to left.
    pub fn rtl(self) -> bool {
        self == Language::Ar
    }
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

enum Link {
    Thread(mpsc::Sender<Command>),
    Inline(Box<RefCell<Worker>>),
}

/// State the UI thread keeps beside the Slint properties.
pub(crate) struct UiCtx {
    link: Link,
    weak: slint::Weak<MainWindow>,
    position: Arc<dyn PositionSource>,
    clock: Arc<dyn Clock>,
    diagnosis: Option<DeviceConfig>,
    lang: Cell<Language>,
    utc_offset_minutes: i32,
    parcels: RefCell<Vec<Parcel>>,
    current: RefCell<Option<(Parcel, ManifestSettings)>>,
    before_about: Cell<Screen>,
    /// Events in the log at the last route refresh (a change means reload the route).
    events_seen: Cell<u64>,
    /// Commands sent and not yet answered, in order: what each keeps the screen
    /// busy with ("record", "check"), or `None` for reads.
    in_flight: RefCell<VecDeque<Option<&'static str>>>,
    /// Whether the screen was last marked busy.
    busy: Cell<bool>,
}

thread_local! {
    static CTX: RefCell<Option<Rc<UiCtx>>> = const { RefCell::new(None) };
}

impl UiCtx {
    /// Sends a command to the worker (or runs it at once in inline mode).
    pub(crate) fn send(&self, cmd: Command) {
        self.in_flight.borrow_mut().push_back(busy_kind(&cmd));
        self.show_busy();
        match &self.link {
            Link::Thread(tx) => {
                if tx.send(cmd).is_err() {
                    warn!("terminal worker is gone");
                }
            }
            Link::Inline(worker) => {
                let reply = worker.borrow_mut().handle(cmd);
                if let Some(ui) = self.weak.upgrade() {
                    apply(&ui, self, reply);
                }
            }
        }
    }

    /// Marks the screen busy while a recording or checking command is with the terminal.
    fn show_busy(&self) {
        let Some(ui) = self.weak.upgrade() else {
            return;
        };
        let kind = {
            let q = self.in_flight.borrow();
            q.iter()
                .flatten()
                .copied()
                .find(|k| *k == "check")
                .or_else(|| q.iter().flatten().copied().next())
        };
        let app = ui.global::<AppState>();
        if let Some(k) = kind
            && app.get_busy_kind().as_str() != k
        {
            app.set_busy_kind(k.into());
        }
        // Written only when it changes, so reads in between leave the screen alone.
        if self.busy.get() != kind.is_some() {
            self.busy.set(kind.is_some());
            app.set_busy(kind.is_some());
        }
    }

    /// Whether the terminal is called on the UI thread (screenshots, benchmarks).
    pub(crate) fn is_inline(&self) -> bool {
        matches!(self.link, Link::Inline(_))
    }

    /// The label of the parcel on screen.
    pub(crate) fn current_label(&self) -> Option<String> {
        self.current
            .borrow()
            .as_ref()
            .map(|(p, _)| p.spec.label.clone())
    }
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
                            apply(&ui, &ctx, reply);
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
                                on_scan(&ui, &ctx, &text);
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

        set_language(&window, &ctx, config.language);
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
        on_scan(&self.window, &self.ctx, text);
    }

    /// Switches the language.
    pub fn set_language(&self, lang: Language) {
        set_language(&self.window, &self.ctx, lang);
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
            set_language(&ui, &ctx, lang);
        }
    });
    let (w, c) = (ui.as_weak(), Rc::downgrade(ctx));
    g.on_back(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            go_back(&ui, &ctx);
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
            clear_banner(&ui);
        }
    });
}

pub(crate) fn clear_banner(ui: &MainWindow) {
    let app = ui.global::<AppState>();
    app.set_error_kind("".into());
    app.set_notice("".into());
    app.set_explain("".into());
    app.set_confirm_inspection(false);
}

/// What a command keeps the screen busy with: recording a step, checking a code
/// (possibly with the server), or nothing (reads).
fn busy_kind(cmd: &Command) -> Option<&'static str> {
    match cmd {
        Command::Code { .. } => Some("check"),
        Command::Arrive(_)
        | Command::OfferInspection(_)
        | Command::Collect { .. }
        | Command::Contact { .. }
        | Command::Outcome { .. } => Some("record"),
        Command::Depot(DepotCommand::Open) => None,
        Command::Depot(_) => Some("record"),
        Command::Refresh
        | Command::Status
        | Command::Open(_)
        | Command::NoAnswer(_)
        | Command::About
        | Command::Barrier(_) => None,
    }
}

/// Goes one screen back.
pub(crate) fn go_back(ui: &MainWindow, ctx: &UiCtx) {
    let app = ui.global::<AppState>();
    clear_banner(ui);
    let next = match app.get_screen() {
        Screen::Route => Screen::Route,
        Screen::Parcel => Screen::Route,
        Screen::Code => {
            ui.global::<CodeEntryState>().set_entered("".into());
            Screen::Parcel
        }
        Screen::Outcome => Screen::Parcel,
        Screen::NoAnswer => Screen::Outcome,
        Screen::About => ctx.before_about.get(),
        Screen::LabelPad => label_pad_adapter::back_to(ui),
        Screen::Diagnose | Screen::DepotSignIn | Screen::Depot => Screen::About,
        Screen::DepotFee | Screen::DepotClose => Screen::Depot,
        Screen::Enroll => Screen::Enroll,
    };
    if next == Screen::Route {
        ctx.current.borrow_mut().take();
        ctx.send(Command::Refresh);
    }
    app.set_screen(next);
}

/// Routes a scanned text by the screen on show.
pub(crate) fn on_scan(ui: &MainWindow, ctx: &UiCtx, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    clear_banner(ui);
    let screen = ui.global::<AppState>().get_screen();
    let pv = ui.global::<ParcelViewState>();
    match screen {
        Screen::Code if ui.global::<CodeEntryState>().get_verdict() == Verdict::None => {
            code_entry_adapter::submit_qr(ui, ctx, text);
        }
        Screen::Parcel | Screen::LabelPad
            if pv.get_needs_collect()
                && !pv.get_collected()
                && pv.get_open_for_delivery()
                && (screen == Screen::Parcel || label_pad_adapter::collecting(ui)) =>
        {
            if let Some(label) = ctx.current_label() {
                if text == label {
                    return;
                }
                ctx.send(Command::Collect {
                    label,
                    item: text.to_owned(),
                });
            }
        }
        Screen::DepotSignIn => ctx.send(Command::Depot(DepotCommand::Badge(text.to_owned()))),
        Screen::Depot | Screen::DepotFee | Screen::DepotClose => {
            if screen != Screen::Depot {
                ui.global::<AppState>().set_screen(Screen::Depot);
            }
            depot_adapter::scan(
                ui,
                ctx,
                depot_commands::ReturnEntry::Scanned(text.to_owned()),
            );
        }
        Screen::Enroll => {}
        _ => ctx.send(Command::Open(text.to_owned())),
    }
}

/// Selects a language: translations, direction, and numbers written its way.
pub(crate) fn set_language(ui: &MainWindow, ctx: &UiCtx, lang: Language) {
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

/// Applies a worker reply on the UI thread.
pub(crate) fn apply(ui: &MainWindow, ctx: &UiCtx, reply: Reply) {
    ctx.in_flight.borrow_mut().pop_front();
    ctx.show_busy();
    match reply {
        Reply::Route {
            parcels,
            status,
            sync,
        } => {
            ctx.events_seen.set(status.events);
            *ctx.parcels.borrow_mut() = parcels;
            route_list_adapter::show(ui, ctx);
            label_pad_adapter::refresh(ui, ctx);
            status_bar_adapter::apply_status(ui, ctx, &status, sync.as_ref());
        }
        Reply::Status { status, sync } => {
            status_bar_adapter::apply_status(ui, ctx, &status, sync.as_ref());
            // Something else (sync, a new manifest) changed the log: reload the route.
            if status.events != ctx.events_seen.get()
                && ui.global::<AppState>().get_screen() == Screen::Route
            {
                ctx.events_seen.set(status.events);
                ctx.send(Command::Refresh);
            }
        }
        Reply::Parcel {
            parcel,
            settings,
            opened,
        } => {
            *ctx.current.borrow_mut() = Some((parcel.clone(), settings.clone()));
            parcel_adapter::show(ui, ctx, &parcel, &settings);
            no_answer_adapter::tick(ui, ctx);
            if opened {
                clear_banner(ui);
                ui.global::<LabelPadState>().set_typed("".into());
                ui.global::<AppState>().set_screen(Screen::Parcel);
            } else if ui.global::<AppState>().get_screen() == Screen::LabelPad
                && ui.global::<ParcelViewState>().get_collected()
            {
                // The typed item was recorded: back to the parcel.
                ui.global::<LabelPadState>().set_typed("".into());
                ui.global::<AppState>().set_screen(Screen::Parcel);
            }
        }
        Reply::Code { parcel, verdict } => {
            let settings = ctx
                .current
                .borrow()
                .as_ref()
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            *ctx.current.borrow_mut() = Some((parcel.clone(), settings.clone()));
            parcel_adapter::show(ui, ctx, &parcel, &settings);
            code_entry_adapter::show_verdict(ui, &parcel, verdict);
        }
        Reply::Contacted { parcel } => {
            let settings = ctx
                .current
                .borrow()
                .as_ref()
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            *ctx.current.borrow_mut() = Some((parcel.clone(), settings.clone()));
            parcel_adapter::show(ui, ctx, &parcel, &settings);
        }
        Reply::Recorded { outcome } => {
            let app = ui.global::<AppState>();
            app.set_error_kind("".into());
            app.set_notice(outcome.as_str().into());
            app.set_notice_liability(outcome_adapter::liability_code(outcome.liability()).into());
            ctx.current.borrow_mut().take();
            app.set_screen(Screen::Route);
            ctx.send(Command::Refresh);
        }
        Reply::Refused(notice) => {
            let app = ui.global::<AppState>();
            app.set_notice("".into());
            app.set_error_kind(notice.kind.code().into());
            app.set_error_a(notice.a);
            app.set_error_b(notice.b);
        }
        Reply::NoAnswer { parcel, readiness } => {
            no_answer_adapter::show(ui, ctx, &parcel, readiness.as_ref());
        }
        Reply::About {
            status,
            public_key_hex,
        } => about_adapter::show(ui, &status, &public_key_hex),
        Reply::Depot(r) => depot_adapter::apply(ui, ctx, r),
        Reply::Barrier(f) => f(),
    }
}

/// Whether a window system is reachable (Wayland or X11), or the KMS backend is built in.
pub fn has_display() -> bool {
    cfg!(feature = "kiosk")
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty())
        || std::env::var_os("DISPLAY").is_some_and(|v| !v.is_empty())
}
