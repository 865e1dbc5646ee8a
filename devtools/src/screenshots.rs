//! Screenshots of every main screen, drawn by the software renderer into a pixel
//! buffer and written as PNG (`courier-terminal screenshots --out docs/screens`).

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::vocabulary::{Outcome, Reason};
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter, WindowEvent};
use slint::{ComponentHandle, PhysicalSize, Rgb8Pixel};

use courier_protocol::enrollment_qr::Profile;
use courier_terminal::assembly::{DeviceConfig, Feeds};
use courier_terminal::clock::SystemClock;
use courier_terminal::domain::position::{
    AgedFix, FixDimension, FixReading, PositionReading, PositionSourceKind,
};
use courier_terminal::position_source::SharedPosition;
use courier_terminal::storage::{MetaKey, Store};
use courier_terminal::terminal::{CodeEntry, DataDir, LabelEntry, Terminal, init};
use courier_terminal::ui::{
    App, AppConfig, AppState, CodeEntryState, DepotState, EnrollState, LabelPadState, Language,
    MainWindow, NoAnswerState, OutcomeState, ParcelViewState, RouteListState, Screen, Verdict,
};

use crate::sample_day::{SampleCode, SampleSpec, sample_day};

/// A platform with one software-rendered window and no event loop.
pub struct OffscreenPlatform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
}

impl OffscreenPlatform {
    /// Installs the platform; call before any window is created.
    pub fn install() -> Result<Rc<MinimalSoftwareWindow>> {
        let window = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        slint::platform::set_platform(Box::new(OffscreenPlatform {
            window: window.clone(),
            start: Instant::now(),
        }))
        .map_err(|e| anyhow::anyhow!("cannot install the off-screen platform: {e:?}"))?;
        Ok(window)
    }
}

impl Platform for OffscreenPlatform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

/// Draws the window now into an RGB buffer of `width` x `height` physical pixels.
pub fn render(window: &MinimalSoftwareWindow, width: u32, height: u32) -> Vec<Rgb8Pixel> {
    slint::platform::update_timers_and_animations();
    window.request_redraw();
    let mut buffer = vec![Rgb8Pixel { r: 0, g: 0, b: 0 }; (width * height) as usize];
    window.draw_if_needed(|renderer| {
        renderer.render(&mut buffer, width as usize);
    });
    buffer
}

/// Writes an RGB buffer as PNG.
pub fn write_png(path: &Path, width: u32, height: u32, pixels: &[Rgb8Pixel]) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    let bytes: Vec<u8> = pixels.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    writer.write_image_data(&bytes)?;
    Ok(())
}

/// A sample day in a temporary data directory, for screenshots and benchmarks.
pub struct SampleDevice {
    /// Keeps the directory alive.
    pub tmp: PathBuf,
    /// The data directory.
    pub dir: DataDir,
    /// The buyers' codes.
    pub codes: Vec<SampleCode>,
}

/// Creates a device with a loaded sample day of `parcels` parcels (labels in
/// `withdrawn` marked withdrawn), under `root`.
pub fn sample_device(root: &Path, parcels: usize, withdrawn: &[String]) -> Result<SampleDevice> {
    sample_device_with(root, parcels, withdrawn, false)
}

/// Like [`sample_device`], the manifest asking (or not) for the morning load check.
pub fn sample_device_with(
    root: &Path,
    parcels: usize,
    withdrawn: &[String],
    load_check: bool,
) -> Result<SampleDevice> {
    sample_device_full(root, parcels, withdrawn, load_check, &[])
}

/// Like [`sample_device_with`], the deliveries at these route positions made
/// orders of two parcels under one code.
pub fn sample_device_full(
    root: &Path,
    parcels: usize,
    withdrawn: &[String],
    load_check: bool,
    two_parcel_orders: &[u32],
) -> Result<SampleDevice> {
    let dir = DataDir(root.join("data"));
    let pkcs8 = generate_pkcs8().map_err(|e| anyhow::anyhow!("server key: {e}"))?;
    let server = keypair_from_pkcs8(&pkcs8).map_err(|e| anyhow::anyhow!("server key: {e}"))?;
    let report = init(&dir, Some("CT-ALG-0042"), Some(server.public_key()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(0))
        .unwrap_or(0);
    let day = sample_day(
        &SampleSpec {
            device_id: report.device_id.as_str(),
            version: 3,
            issued_at_ms: now,
            valid_for_ms: 14 * 3_600_000,
            parcels,
            iterations: 1_000,
            withdrawn,
            load_check,
            two_parcel_orders,
        },
        &server,
    )?;
    let mut t = Terminal::open(
        &dir,
        Arc::new(SystemClock::new()),
        Arc::new(SharedPosition::new()),
    )?;
    t.load_manifest(&day.manifest)?;
    Ok(SampleDevice {
        tmp: root.to_owned(),
        dir,
        codes: day.codes,
    })
}

fn fix_at(lat: f64, lon: f64, age_ms: i64) -> PositionReading {
    let fix = AgedFix {
        fix: FixReading {
            lat_deg: lat,
            lon_deg: lon,
            alt_m: Some(120.0),
            hdop: Some(0.9),
            satellites: Some(9),
            dimension: FixDimension::ThreeD,
            fix_utc_ms: None,
        },
        age_ms,
    };
    PositionReading {
        source: PositionSourceKind::Gnss,
        current: Some(fix.clone()),
        last_valid: Some(fix),
        gnss_utc_ms: None,
        no_fix_reason: None,
    }
}

/// A handheld screen: physical pixels and the panel's density.
#[derive(Debug, Clone, Copy)]
pub struct Panel {
    /// Short name, used in file and directory names.
    pub name: &'static str,
    /// Physical width, pixels.
    pub width: u32,
    /// Physical height, pixels.
    pub height: u32,
    /// Density, dots per inch.
    pub dpi: f32,
}

impl Panel {
    /// Physical pixels per logical pixel (logical pixels are 1/160 inch).
    pub fn scale(&self) -> f32 {
        self.dpi / courier_terminal::ui::display::REFERENCE_DPI
    }
}

/// The screens the courier's app must fit: a 4-inch 480x800, a 5-inch 720x1280,
/// a 5.5-inch 1080x1920.
pub const PANELS: [Panel; 3] = [
    Panel {
        name: "480x800",
        width: 480,
        height: 800,
        dpi: 233.0,
    },
    Panel {
        name: "720x1280",
        width: 720,
        height: 1280,
        dpi: 294.0,
    },
    Panel {
        name: "1080x1920",
        width: 1080,
        height: 1920,
        dpi: 401.0,
    },
];

/// The tour's order of two parcels (route position 30, far down the list so
/// the route's shots are as before).
const TOUR_ORDER_POSITION: u32 = 30;
/// Its label.
const TOUR_ORDER: &str = "DZ40001110";

/// A device with some history so every state shows, and an app on it (inline
/// worker), at French. The position is at the first stop with a fresh fix.
pub struct TourRig {
    /// Keeps the data directory.
    pub device: SampleDevice,
    /// The position feed the app reads.
    pub position: SharedPosition,
    /// The app.
    pub app: App,
}

/// Builds the tour's device under `root` (a temporary directory).
pub fn tour_rig(root: &Path) -> Result<TourRig> {
    tour_rig_on(root, None)
}

/// Builds the tour's device under `root`, enrolled on `profile`'s platform
/// when given (the test platform shows the TEST band on every screen).
pub fn tour_rig_on(root: &Path, profile: Option<Profile>) -> Result<TourRig> {
    let _ = std::fs::remove_dir_all(root);
    let withdrawn = vec!["DZ40000185".to_owned()];
    let device = sample_device_full(root, 40, &withdrawn, false, &[TOUR_ORDER_POSITION])?;
    if let Some(p) = profile {
        Store::open(&device.dir.database())?.set_meta(MetaKey::Profile, p.as_str())?;
    }
    let position = SharedPosition::new();
    position.set(fix_at(36.7640, 3.0510, 800));
    {
        let mut t = Terminal::open(
            &device.dir,
            Arc::new(SystemClock::new()),
            Arc::new(position.clone()),
        )?;
        let code = |label: &str| {
            device
                .codes
                .iter()
                .find(|c| c.label == label)
                .map(|c| c.numeric.clone())
        };
        if let Some(c) = code("DZ40000037") {
            t.arrive("DZ40000037")?;
            t.offer_inspection("DZ40000037")?;
            t.submit_code("DZ40000037", CodeEntry::Keypad(&c))?;
        }
        t.arrive("DZ40000074")?;
        t.record_outcome(
            "DZ40000074",
            Outcome::CarrierProblem,
            Some(Reason::AddressNotFound),
            None,
        )?;
        // The order of two parcels at the door: both scanned, the buyer
        // refused the second after inspection.
        t.arrive_and_offer_inspection(TOUR_ORDER)?;
        t.scan_order_parcel(TOUR_ORDER, LabelEntry::Scanned(TOUR_ORDER))?;
        let second = format!("{TOUR_ORDER}B");
        t.scan_order_parcel(TOUR_ORDER, LabelEntry::Typed(&second))?;
        t.refuse_order_parcel(
            TOUR_ORDER,
            &second,
            Outcome::RefusedAfterInspection,
            Some(Reason::Damaged),
        )?;
        t.arrive("DZ40000111")?;
        t.offer_inspection("DZ40000111")?;
        t.record_outcome(
            "DZ40000111",
            Outcome::RefusedAfterInspection,
            Some(Reason::Damaged),
            None,
        )?;
    }
    let mut terminal = Terminal::open(
        &device.dir,
        Arc::new(SystemClock::new()),
        Arc::new(position.clone()),
    )?;
    // The supervisor's PIN is checked by the server: its stand-in here.
    terminal.set_supervisor_server(Arc::new(
        crate::local_supervisor::LocalSupervisorServer::sample(1_000),
    ));
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position.clone())));
    config.language = Language::Fr;
    config.diagnosis = Some(DeviceConfig::new(device.dir.0.clone()));
    let app = App::new_inline(config)?;
    Ok(TourRig {
        device,
        position,
        app,
    })
}

/// Walks every screen and dialog the courier meets, in the language on show,
/// calling `shot` with each one's name once it is on screen.
pub fn tour(rig: &TourRig, shot: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
    let (app, position) = (&rig.app, &rig.position);
    let ui = app.window();
    let pv = || ui.global::<ParcelViewState>();
    position.set(fix_at(36.7640, 3.0510, 800));
    app.refresh_status();
    go(ui, Screen::Route);
    let rl = ui.global::<RouteListState>();
    rl.set_show_finished(false);
    app.set_language(app_language(ui));
    shot("01-route-list")?;
    rl.invoke_toggle_finished();
    shot("02-route-list-finished-shown")?;
    rl.invoke_toggle_finished();
    rl.invoke_open_pad();
    for k in ["3", "3"] {
        ui.global::<LabelPadState>().invoke_key(k.into());
    }
    shot("03-label-pad")?;
    // Exchange parcel at the door: arrived, inspection to offer. The steps are
    // shown as the adapter shows them after recording, without recording, so
    // the tour can run again in another language or size on the same day.
    go(ui, Screen::Route);
    app.scan("DZ40000148");
    pv().set_arrived(true);
    shot("04-parcel-arrived")?;
    ui.global::<AppState>().set_confirm_inspection(true);
    shot("05-confirm-inspection")?;
    ui.global::<AppState>().invoke_dismiss();
    pv().set_inspection_offered(true);
    shot("06-parcel-inspected")?;
    pv().invoke_type_item();
    for k in ["R", "T", "0", "0"] {
        ui.global::<LabelPadState>().invoke_key(k.into());
    }
    shot("07-collect-pad")?;
    go(ui, Screen::Route);
    app.scan("DZ40000185");
    shot("08-withdrawn")?;
    // An online-only parcel: said before the code is asked.
    go(ui, Screen::Route);
    app.scan("DZ40000333");
    shot("09-online-only")?;
    go(ui, Screen::Route);
    app.scan("DZ40000222");
    // Arrival is recorded once (the first pass); later passes find it done.
    if !pv().get_arrived() {
        pv().invoke_arrive();
    }
    pv().invoke_enter_code();
    ui.global::<AppState>().invoke_dismiss();
    for d in ["4", "7", "1"] {
        ui.global::<CodeEntryState>().invoke_key(d.into());
    }
    shot("10-code-entry")?;
    ui.global::<AppState>().set_busy_kind("check".into());
    ui.global::<AppState>().set_busy(true);
    shot("11-checking")?;
    ui.global::<AppState>().set_busy(false);
    let code = ui.global::<CodeEntryState>();
    for (name, verdict, left) in [
        ("12-verdict-delivered", Verdict::Delivered, 0),
        ("13-verdict-wrong", Verdict::Wrong, 3),
        ("14-verdict-locked", Verdict::Locked, 0),
        ("15-verdict-network", Verdict::Network, 0),
    ] {
        code.set_verdict(verdict);
        code.set_verdict_tries_left(left);
        shot(name)?;
    }
    code.set_verdict(Verdict::None);
    code.set_entered("".into());
    go(ui, Screen::Parcel);
    pv().invoke_cannot_deliver();
    let o = ui.global::<OutcomeState>();
    o.invoke_select(0);
    o.invoke_select_reason(1);
    shot("16-outcome")?;
    o.invoke_select(2);
    o.invoke_confirm();
    ui.global::<NoAnswerState>().invoke_call();
    // Fix lost 95 s ago: the bar shows "lost" with the age of the last one.
    let mut lost = PositionReading::none();
    lost.last_valid = fix_at(36.7640, 3.0510, 95_000).current;
    position.set(lost);
    app.refresh_status();
    shot("17-no-answer-no-fix")?;
    ui.global::<AppState>().set_explain("gnss".into());
    shot("18-status-explained")?;
    ui.global::<AppState>().invoke_dismiss();
    ui.global::<AppState>().invoke_show_about();
    shot("19-menu-about")?;
    go(ui, Screen::Route);
    app.scan("DZ4");
    shot("20-refusal")?;
    let app_state = ui.global::<AppState>();
    app_state.invoke_dismiss();
    app_state.set_notice("refused_after_inspection".into());
    app_state.set_notice_liability("seller".into());
    shot("21-refusal-recorded")?;
    app_state.invoke_dismiss();
    // Carrier IT: the diagnosis (a 3 s press on the menu screen's title).
    app_state.invoke_show_about();
    app_state.invoke_open_diagnose();
    shot("22-diagnose")?;
    // First run on a device not enrolled: the QR refused, then enrolled.
    let was_test = app_state.get_test_platform();
    app_state.set_screen(Screen::Enroll);
    let enroll = ui.global::<EnrollState>();
    enroll.set_phase("scan".into());
    enroll.set_typed("courier-enroll:v1?server=https%3A%2F%2Fescrow.example".into());
    enroll.set_error_kind("enroll_refused".into());
    enroll.set_error_detail(
        "https://escrow.example refused the enrollment: token already used; ask the fleet operator for a new token"
            .into(),
    );
    shot("23-enroll-refused")?;
    // The rig's own identity, as enrollment would show it.
    let key = courier_terminal::device_key::DeviceKey::load(&rig.device.dir.key())?.public_key();
    let id = courier_terminal::domain::identity::DeviceId::new("CT-ALG-0042".to_owned());
    let inventory = courier_terminal::domain::identity::inventory_text(&id, &key);
    enroll.set_error_kind("".into());
    enroll.set_device_id(id.as_str().into());
    enroll.set_fingerprint(key.fingerprint().grouped().into());
    enroll.set_profile("test".into());
    if let Some(qr) = courier_terminal::ui::qr_image(&inventory, 4) {
        enroll.set_qr(qr);
    }
    enroll.set_phase("done".into());
    app_state.set_test_platform(true);
    shot("24-enroll-done")?;
    enroll.set_phase("scan".into());
    enroll.set_typed("".into());
    // The test platform: the TEST band on the route list and over a dialog.
    go(ui, Screen::Route);
    shot("25-test-platform")?;
    app.scan("DZ4");
    shot("26-test-platform-dialog")?;
    app_state.invoke_dismiss();
    app_state.set_test_platform(was_test);
    depot_tour(rig, shot)?;
    // An order of two parcels at the door: one scanned and kept, one refused
    // with its reason; the code releases the kept one's amount.
    go(ui, Screen::Route);
    app.scan(TOUR_ORDER);
    shot("34-order-one-refused")?;
    position.set(fix_at(36.7640, 3.0510, 800));
    app.refresh_status();
    Ok(())
}

/// The depot supervisor's screens: sign-in, scan-in (an alarm, a return
/// received), a fee change, the day close. The first pass records the
/// sign-in and two scans; later passes find them done and show the same.
fn depot_tour(rig: &TourRig, shot: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
    let ui = rig.app.window();
    let app_state = ui.global::<AppState>();
    let d = ui.global::<DepotState>();
    app_state.invoke_show_about();
    app_state.invoke_open_depot();
    d.invoke_sign_out();
    d.invoke_choose(0);
    for k in ["1", "3", "5"] {
        d.invoke_pin_key(k.into());
    }
    shot("27-depot-sign-in")?;
    for k in ["7", "9", "0"] {
        d.invoke_pin_key(k.into());
    }
    d.invoke_sign_in();
    rig.app.scan("DZ40000074");
    rig.app.scan("DZ99999999");
    d.set_last_label("DZ99999999".into());
    d.set_last_kind("scan_not_in_manifest".into());
    d.set_last_tone("alarm".into());
    shot("28-depot-scan-alarm")?;
    d.set_last_label("DZ40000074".into());
    d.set_last_kind("scan_received".into());
    d.set_last_tone("received".into());
    shot("29-depot-scan-received")?;
    d.invoke_open_fee("DZ40000111".into());
    d.set_fee_payer("carrier".into());
    d.set_fee_note("box crushed in the van".into());
    d.set_fee_courier_confirmed(true);
    shot("30-depot-fee")?;
    app_state.invoke_back();
    d.invoke_open_close();
    d.set_force_reason("parcels left in the van".into());
    shot("31-depot-close")?;
    app_state.invoke_back();
    load_tour(rig, shot)?;
    go(ui, Screen::Route);
    Ok(())
}

/// The morning load check on the depot screen: an alarm (a label not on
/// today's manifest, recorded), then a parcel loaded. The tour's manifest
/// does not ask for the check, so the loaded figures and rows are set on the
/// screen as a 40-parcel van shows them mid-check.
fn load_tour(rig: &TourRig, shot: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
    let ui = rig.app.window();
    let d = ui.global::<DepotState>();
    d.invoke_open_load();
    rig.app.scan("DZ99999999");
    let rows = |labels: &[&str]| -> slint::ModelRc<courier_terminal::ui::ReturnRow> {
        slint::ModelRc::new(slint::VecModel::from(
            labels
                .iter()
                .map(|l| courier_terminal::ui::ReturnRow {
                    label: (*l).into(),
                    ..Default::default()
                })
                .collect::<Vec<_>>(),
        ))
    };
    d.set_load_to_load(36);
    d.set_load_loaded(12);
    d.set_load_missing(24);
    d.set_load_missing_rows(rows(&["DZ40000481", "DZ40000518", "DZ40000555"]));
    d.set_load_loaded_rows(rows(&["DZ40000444", "DZ40000407", "DZ40000370"]));
    d.set_last_label("DZ99999999".into());
    d.set_last_kind("load_not_in_manifest".into());
    d.set_last_tone("alarm".into());
    shot("32-load-alarm")?;
    d.set_load_loaded(13);
    d.set_load_missing(23);
    d.set_load_missing_rows(rows(&["DZ40000518", "DZ40000555", "DZ40000592"]));
    d.set_load_loaded_rows(rows(&["DZ40000481", "DZ40000444", "DZ40000407"]));
    d.set_last_label("DZ40000481".into());
    d.set_last_kind("load_loaded".into());
    d.set_last_tone("received".into());
    shot("33-load-loaded")?;
    d.invoke_open_returns();
    Ok(())
}

fn app_language(ui: &MainWindow) -> Language {
    Language::parse(ui.global::<AppState>().get_language().as_str()).unwrap_or_default()
}

/// Renders every screen in French, Arabic and English into `out` at 720x1280
/// (294 dpi), and into `out/480x800` at 480x800 (233 dpi).
pub fn run(out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let window = OffscreenPlatform::install()?;
    let tmp = std::env::temp_dir().join(format!("courier-screens-{}", std::process::id()));
    let rig = tour_rig(&tmp)?;
    let ui = rig.app.window();
    let mut written = Vec::new();
    for (panel, dir) in [
        (PANELS[1], out.to_owned()),
        (PANELS[0], out.join(PANELS[0].name)),
    ] {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let (w, h) = (panel.width, panel.height);
        window.dispatch_event(WindowEvent::ScaleFactorChanged {
            scale_factor: panel.scale(),
        });
        window.set_size(PhysicalSize::new(w, h));
        ui.show()?;
        for lang in [Language::Fr, Language::Ar, Language::En] {
            rig.app.set_language(lang);
            let mut shot = |name: &str| -> Result<()> {
                let path = dir.join(format!("{}-{name}.png", lang.code()));
                write_png(&path, w, h, &render(&window, w, h))?;
                written.push(path);
                Ok(())
            };
            tour(&rig, &mut shot)?;
        }
    }
    drop(rig);
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(written)
}

fn go(ui: &MainWindow, screen: Screen) {
    ui.global::<AppState>().invoke_dismiss();
    ui.global::<AppState>().set_screen(screen);
}
