//! `load-bench`: the morning load check of a 300-parcel van, each scan to the
//! screen's answer. A scan goes the app's way, as in `depot-bench`: the
//! scanner text to the depot adapter (in its load mode), the command to the
//! terminal's worker (called inline, on this thread), `Terminal::scan_load`
//! recording `parcel_loaded` through the shared rules (signed, fsync), the
//! load book and the day's book recomputed, the reply mapped to the screen's
//! properties, and the frame drawn by the software renderer at 720x1280
//! (294 dpi). Prints p50, p99 and the worst, in Markdown, for
//! `docs/benchmarks.md`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use courier_devtools::sample_day::sample_supervisor;
use courier_devtools::screenshots::{OffscreenPlatform, PANELS, render, sample_device_with};
use courier_terminal::assembly::Feeds;
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::SharedPosition;
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{App, AppConfig, AppState, DepotState, Language, Screen};
use slint::platform::WindowEvent;
use slint::{ComponentHandle, Model};

const PARCELS: usize = 300;

fn main() -> Result<()> {
    let panel = PANELS[1];
    let (w, h) = (panel.width, panel.height);
    let window = OffscreenPlatform::install()?;
    window.dispatch_event(WindowEvent::ScaleFactorChanged {
        scale_factor: panel.scale(),
    });
    window.set_size(slint::PhysicalSize::new(w, h));
    let root = std::env::temp_dir().join(format!("courier-load-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    // 340 parcels with the load check: 306 deliveries and exchanges to load
    // (pick-ups carry nothing out); 300 of them are scanned.
    let device = sample_device_with(&root, 340, &[], true)?;
    let position = SharedPosition::new();
    let terminal = Terminal::open(
        &device.dir,
        Arc::new(SystemClock::new()),
        Arc::new(position.clone()),
    )?;
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position)));
    config.language = Language::Fr;
    let app = App::new_inline(config)?;
    app.window().show()?;
    let ui = app.window();
    let d = ui.global::<DepotState>();
    ui.global::<AppState>().invoke_open_depot();
    // The sample depot allows the badge offline (a PIN needs the server).
    let (_, supervisor) = sample_supervisor(1_000)?;
    app.scan(&supervisor.badge_text);
    if ui.global::<AppState>().get_screen() != Screen::Depot {
        bail!("the supervisor did not sign in");
    }
    d.invoke_open_load();
    let labels: Vec<String> = d
        .get_load_missing_rows()
        .iter()
        .map(|r| r.label.to_string())
        .take(PARCELS)
        .collect();
    if labels.len() < PARCELS {
        bail!("only {} parcels to load", labels.len());
    }
    let _ = render(&window, w, h);
    let mut times: Vec<Duration> = Vec::with_capacity(PARCELS);
    // Scan to the screen's properties set (before the frame is drawn).
    let mut answered: Vec<Duration> = Vec::with_capacity(PARCELS);
    for label in &labels {
        let before = d.get_load_loaded();
        let t = Instant::now();
        app.scan(label);
        answered.push(t.elapsed());
        let frame = render(&window, w, h);
        times.push(t.elapsed());
        if d.get_load_loaded() != before + 1 || d.get_last_tone() != "received" {
            bail!("{label} was not loaded: {}", d.get_last_kind());
        }
        drop(frame);
    }
    // An alarm at the end of the check: a label not on today's manifest.
    let t = Instant::now();
    app.scan("DZ99999999");
    let _ = render(&window, w, h);
    let alarm = t.elapsed();
    if d.get_last_tone() != "alarm" {
        bail!("no alarm: {}", d.get_last_kind());
    }
    let missing = d.get_load_missing();
    drop(app);
    let _ = std::fs::remove_dir_all(&root);
    times.sort();
    answered.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: usize| times[(times.len() * q / 100).min(times.len() - 1)];
    println!("| figure | target | measured |");
    println!("|---|---|---|");
    println!(
        "| load check, scan to the drawn answer ({PARCELS} parcels of 306, {missing} left to load; 720x1280) | p99 < 50 ms | p50 {:.1} ms, p99 {:.1} ms, worst {:.1} ms; an alarm at the end {:.1} ms |",
        ms(p(50)),
        ms(p(99)),
        ms(times[times.len() - 1]),
        ms(alarm)
    );
    let q = |q: usize| answered[(answered.len() * q / 100).min(answered.len() - 1)];
    println!(
        "| same, scan to the screen's properties set (before drawing) | | p50 {:.1} ms, p99 {:.1} ms |",
        ms(q(50)),
        ms(q(99))
    );
    Ok(())
}
