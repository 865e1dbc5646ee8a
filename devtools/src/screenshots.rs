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

use courier_terminal::assembly::Feeds;
use courier_terminal::clock::SystemClock;
use courier_terminal::domain::position::{
    AgedFix, FixDimension, FixReading, PositionReading, PositionSourceKind,
};
use courier_terminal::position_source::SharedPosition;
use courier_terminal::terminal::{CodeEntry, DataDir, Terminal, init};
use courier_terminal::ui::{
    App, AppConfig, AppState, CodeEntryState, Language, MainWindow, NoAnswerState, OutcomeState,
    ParcelViewState, Screen, Verdict,
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
    }
}

/// Logical size and scale of the screenshots (a 5.5-inch phone).
pub const LOGICAL: (u32, u32) = (400, 800);
/// Device pixels per logical pixel.
pub const SCALE: f32 = 1.5;

/// Renders every main screen in French, Arabic and English into `out`.
pub fn run(out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let window = OffscreenPlatform::install()?;
    let tmp = std::env::temp_dir().join(format!("courier-screens-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let withdrawn = vec!["DZ40000185".to_owned()];
    let device = sample_device(&tmp, 40, &withdrawn)?;
    let position = SharedPosition::new();
    position.set(fix_at(36.7640, 3.0510, 800));
    // Some history so the route list shows every state.
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
        t.arrive("DZ40000111")?;
        t.offer_inspection("DZ40000111")?;
        t.record_outcome(
            "DZ40000111",
            Outcome::RefusedAfterInspection,
            Some(Reason::Damaged),
            None,
        )?;
    }
    let terminal = Terminal::open(
        &device.dir,
        Arc::new(SystemClock::new()),
        Arc::new(position.clone()),
    )?;
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position.clone())));
    config.language = Language::Fr;
    let app = App::new_inline(config)?;
    let ui = app.window();
    let (w, h) = (
        (LOGICAL.0 as f32 * SCALE) as u32,
        (LOGICAL.1 as f32 * SCALE) as u32,
    );
    window.dispatch_event(WindowEvent::ScaleFactorChanged {
        scale_factor: SCALE,
    });
    window.set_size(PhysicalSize::new(w, h));
    ui.show()?;
    let mut written = Vec::new();
    for lang in [Language::Fr, Language::Ar, Language::En] {
        app.set_language(lang);
        let mut shot = |name: &str, ui: &MainWindow| -> Result<()> {
            let _ = ui;
            let path = out.join(format!("{}-{name}.png", lang.code()));
            write_png(&path, w, h, &render(&window, w, h))?;
            written.push(path);
            Ok(())
        };
        position.set(fix_at(36.7640, 3.0510, 800));
        app.refresh_status();
        go(ui, Screen::Route);
        shot("01-route-list", ui)?;
        // Exchange parcel at the door: inspection offered, item to collect.
        go(ui, Screen::Route);
        app.scan("DZ40000148");
        ui.global::<ParcelViewState>().invoke_offer_inspection();
        shot("02-parcel", ui)?;
        go(ui, Screen::Route);
        app.scan("DZ40000185");
        shot("03-withdrawn", ui)?;
        go(ui, Screen::Route);
        app.scan("DZ40000222");
        ui.global::<ParcelViewState>().invoke_arrive();
        ui.global::<ParcelViewState>().invoke_enter_code();
        ui.global::<AppState>().invoke_dismiss();
        for d in ["4", "7", "1"] {
            ui.global::<CodeEntryState>().invoke_key(d.into());
        }
        shot("04-code-entry", ui)?;
        let code = ui.global::<CodeEntryState>();
        for (name, verdict, left) in [
            ("05-verdict-delivered", Verdict::Delivered, 0),
            ("06-verdict-wrong", Verdict::Wrong, 3),
            ("07-verdict-locked", Verdict::Locked, 0),
            ("08-verdict-network", Verdict::Network, 0),
        ] {
            code.set_verdict(verdict);
            code.set_verdict_tries_left(left);
            shot(name, ui)?;
        }
        code.set_verdict(Verdict::None);
        code.set_entered("".into());
        go(ui, Screen::Parcel);
        ui.global::<ParcelViewState>().invoke_cannot_deliver();
        let o = ui.global::<OutcomeState>();
        o.invoke_select(0);
        o.invoke_select_reason(1);
        shot("09-outcome", ui)?;
        o.invoke_select(2);
        ui.global::<NoAnswerState>().invoke_call();
        // Fix lost 95 s ago: the bar shows "no fix" with the age of the last one.
        let mut lost = PositionReading::none();
        lost.last_valid = fix_at(36.7640, 3.0510, 95_000).current;
        position.set(lost);
        app.refresh_status();
        shot("10-no-answer-no-fix", ui)?;
        ui.global::<AppState>().invoke_show_about();
        shot("11-about", ui)?;
        go(ui, Screen::Route);
        app.scan("DZ40000000");
        shot("12-refusal", ui)?;
        ui.global::<AppState>().invoke_dismiss();
    }
    drop(app);
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(written)
}

fn go(ui: &MainWindow, screen: Screen) {
    ui.global::<AppState>().invoke_dismiss();
    ui.global::<AppState>().set_screen(screen);
}
