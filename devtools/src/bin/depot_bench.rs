//! `depot-bench`: returns scan-in at the depot, 300 returns, each scan to the
//! screen's answer. A scan goes the app's way: the scanner text to the depot
//! adapter, the command to the terminal's worker (called inline, on this
//! thread: the same `Worker::handle` the worker thread runs, without the
//! channel hop), `Terminal::scan_return` recording the event (fsync), the day's
//! book recomputed, the reply mapped to the screen's properties, and the frame
//! drawn by the software renderer at 720x1280 (294 dpi). Prints p50, p99 and
//! the worst, in Markdown, for `docs/benchmarks.md`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use courier_devtools::sample_day::SAMPLE_SUPERVISOR_PIN;
use courier_devtools::screenshots::{OffscreenPlatform, PANELS, render, sample_device};
use courier_terminal::assembly::Feeds;
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::SharedPosition;
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{App, AppConfig, AppState, DepotState, Language, Screen};
use slint::platform::WindowEvent;
use slint::{ComponentHandle, Model};

const RETURNS: usize = 300;

fn main() -> Result<()> {
    let panel = PANELS[1];
    let (w, h) = (panel.width, panel.height);
    let window = OffscreenPlatform::install()?;
    window.dispatch_event(WindowEvent::ScaleFactorChanged {
        scale_factor: panel.scale(),
    });
    window.set_size(slint::PhysicalSize::new(w, h));
    let root = std::env::temp_dir().join(format!("courier-depot-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    // 340 parcels: 306 deliveries and exchanges come back (pick-ups carry nothing out).
    let device = sample_device(&root, 340, &[])?;
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
    d.invoke_choose(0);
    for k in SAMPLE_SUPERVISOR_PIN.chars() {
        d.invoke_pin_key(k.to_string().into());
    }
    d.invoke_sign_in();
    if ui.global::<AppState>().get_screen() != Screen::Depot {
        bail!("the supervisor did not sign in");
    }
    let labels: Vec<String> = d
        .get_missing_rows()
        .iter()
        .map(|r| r.label.to_string())
        .take(RETURNS)
        .collect();
    if labels.len() < RETURNS {
        bail!("only {} returns expected", labels.len());
    }
    let _ = render(&window, w, h);
    let mut times: Vec<Duration> = Vec::with_capacity(RETURNS);
    for label in &labels {
        let before = d.get_received();
        let t = Instant::now();
        app.scan(label);
        let frame = render(&window, w, h);
        times.push(t.elapsed());
        if d.get_received() != before + 1 || d.get_last_tone() != "received" {
            bail!("{label} was not received: {}", d.get_last_kind());
        }
        drop(frame);
    }
    let missing = d.get_missing();
    drop(app);
    let _ = std::fs::remove_dir_all(&root);
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: usize| times[(times.len() * q / 100).min(times.len() - 1)];
    println!("| figure | target | measured |");
    println!("|---|---|---|");
    println!(
        "| returns scan-in, scan to the drawn answer ({RETURNS} returns of 306, {missing} left missing; 720x1280) | p99 < 50 ms | p50 {:.1} ms, p99 {:.1} ms, worst {:.1} ms |",
        ms(p(50)),
        ms(p(99)),
        ms(times[times.len() - 1])
    );
    Ok(())
}
