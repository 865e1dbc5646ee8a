//! `ui-bench`: figures for the courier's screens, drawn by the software renderer
//! off screen (no display needed). Prints a Markdown table for `docs/benchmarks.md`.
//!
//! - cold start: open the terminal, build the app, load a 500-parcel route and draw it;
//! - resident memory after a 200-parcel day is on screen;
//! - idle CPU with the position feed updated at 1 Hz (timers and redraws only);
//! - key press on the keypad to the redrawn frame.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use courier_devtools::screenshots::{OffscreenPlatform, render, sample_device};
use courier_terminal::assembly::Feeds;
use courier_terminal::clock::SystemClock;
use courier_terminal::domain::position::{
    AgedFix, FixDimension, FixReading, PositionReading, PositionSourceKind,
};
use courier_terminal::position_source::SharedPosition;
use courier_terminal::terminal::Terminal;
use courier_terminal::ui::{App, AppConfig, AppState, CodeEntryState, Language, Screen};
use slint::ComponentHandle;
use slint::platform::WindowEvent;

const W: u32 = 600;
const H: u32 = 1200;

fn fix(age_ms: i64) -> PositionReading {
    let f = AgedFix {
        fix: FixReading {
            lat_deg: 36.764,
            lon_deg: 3.051,
            alt_m: Some(100.0),
            hdop: Some(0.9),
            satellites: Some(9),
            dimension: FixDimension::ThreeD,
            fix_utc_ms: None,
        },
        age_ms,
    };
    PositionReading {
        source: PositionSourceKind::Gnss,
        current: Some(f.clone()),
        last_valid: Some(f),
        gnss_utc_ms: None,
        no_fix_reason: None,
    }
}

/// CPU time of this process (user + system), from /proc/self/stat.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields after the command: state is 0, utime is 11, stime is 12; 100 ticks a second.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn open_app(dir: &Path, parcels: usize, position: &SharedPosition) -> Result<App> {
    let device = sample_device(dir, parcels, &[])?;
    let terminal = Terminal::open(
        &device.dir,
        Arc::new(SystemClock::new()),
        Arc::new(position.clone()),
    )?;
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position.clone())));
    config.language = Language::Fr;
    Ok(App::new_inline(config)?)
}

fn main() -> Result<()> {
    let window = OffscreenPlatform::install()?;
    window.dispatch_event(WindowEvent::ScaleFactorChanged { scale_factor: 1.5 });
    window.set_size(slint::PhysicalSize::new(W, H));
    let root = std::env::temp_dir().join(format!("courier-ui-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let position = SharedPosition::new();
    position.set(fix(500));

    // Cold start with 500 parcels: the data directory exists; time from opening it
    // to the first drawn route list.
    let prep = sample_device(&root.join("cold"), 500, &[])?;
    drop(prep);
    let t0 = Instant::now();
    let terminal = Terminal::open(
        &courier_terminal::terminal::DataDir(root.join("cold").join("data")),
        Arc::new(SystemClock::new()),
        Arc::new(position.clone()),
    )?;
    let mut config = AppConfig::new(terminal, Feeds::of_position(Arc::new(position.clone())));
    config.language = Language::Fr;
    let app = App::new_inline(config)?;
    app.window().show()?;
    let frame = render(&window, W, H);
    let cold = t0.elapsed();
    assert!(
        frame.iter().any(|p| p.r != 0 || p.g != 0 || p.b != 0),
        "a frame was drawn"
    );
    let rows = app
        .window()
        .global::<courier_terminal::ui::RouteListState>()
        .get_total();
    drop(app);

    // A 200-parcel day on screen: resident memory.
    let app = open_app(&root.join("mem"), 200, &position)?;
    app.window().show()?;
    let _ = render(&window, W, H);
    let rss = rss_kib();

    // Idle: the position feed changes every second; the UI only runs its timers.
    let idle_secs = std::env::var("UI_BENCH_IDLE_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20u64);
    let cpu0 = cpu_time();
    let wall0 = Instant::now();
    let mut next_fix = Instant::now();
    let mut frames = 0u32;
    while wall0.elapsed() < Duration::from_secs(idle_secs) {
        if Instant::now() >= next_fix {
            position.set(fix(200));
            next_fix += Duration::from_secs(1);
        }
        slint::platform::update_timers_and_animations();
        let mut drew = false;
        let mut buffer = Vec::new();
        window.draw_if_needed(|r| {
            buffer.resize((W * H) as usize, slint::Rgb8Pixel { r: 0, g: 0, b: 0 });
            r.render(&mut buffer, W as usize);
            drew = true;
        });
        frames += u32::from(drew);
        let until_timer =
            slint::platform::duration_until_next_timer_update().unwrap_or(Duration::from_secs(1));
        let until_fix = next_fix.saturating_duration_since(Instant::now());
        std::thread::sleep(until_timer.min(until_fix));
    }
    let cpu = cpu_time().saturating_sub(cpu0).as_secs_f64() / wall0.elapsed().as_secs_f64() * 100.0;

    // Key press to redrawn frame on the keypad.
    app.scan("DZ40000037");
    app.window().global::<AppState>().set_screen(Screen::Code);
    let _ = render(&window, W, H);
    let mut times = Vec::new();
    for i in 0..200 {
        let code = app.window().global::<CodeEntryState>();
        if code.get_entered().len() >= 5 {
            code.set_entered("".into());
            let _ = render(&window, W, H);
        }
        let key: slint::SharedString = char::from(b'0' + (i % 10) as u8).to_string().into();
        let t = Instant::now();
        window.dispatch_event(WindowEvent::KeyPressed { text: key.clone() });
        window.dispatch_event(WindowEvent::KeyReleased { text: key });
        let mut buffer = vec![slint::Rgb8Pixel { r: 0, g: 0, b: 0 }; (W * H) as usize];
        slint::platform::update_timers_and_animations();
        window.draw_if_needed(|r| {
            r.render(&mut buffer, W as usize);
        });
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    drop(app);
    let _ = std::fs::remove_dir_all(&root);

    println!("| figure | target | measured |");
    println!("|---|---|---|");
    println!(
        "| cold start to a drawn route list, {rows} parcels | ≤ 300 ms | {:.0} ms |",
        cold.as_secs_f64() * 1000.0
    );
    println!(
        "| resident memory, 200-parcel day on screen | ≤ 40 MB | {:.1} MB |",
        rss as f64 / 1024.0
    );
    println!(
        "| idle CPU, position feed at 1 Hz, {idle_secs} s ({frames} frames drawn) | ≤ 0.3 % | {cpu:.2} % |"
    );
    println!(
        "| key press to redrawn frame (keypad, 600x1200 px) | ≤ 16 ms | median {:.1} ms, p95 {:.1} ms |",
        median.as_secs_f64() * 1000.0,
        p95.as_secs_f64() * 1000.0
    );
    Ok(())
}
