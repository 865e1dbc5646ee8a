//! `courier-terminal ui` as a service manager runs it: under a virtual X
//! display (Xvfb), with a panel density that needs Slint's scale variable
//! (the case where the program used to start itself again as a child and
//! wait), sent SIGTERM once the screens are shown. The process ends and no
//! process of this device is left behind.

mod common;
mod real_window;

use std::io::{BufRead as _, BufReader};
use std::process::Stdio;

/// Processes whose environment names this data directory.
fn processes_of(data: &std::path::Path) -> Vec<u32> {
    let needle = format!("COURIER_TERMINAL_DATA={}", data.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|v| v == needle.as_bytes()))
        })
        .collect()
}

#[test]
fn sigterm_stops_the_screens_and_leaves_no_process() {
    let day = common::day(3);
    let display = real_window::VirtualDisplay::start(720, 1280);

    let mut ui = common::cli(&day.dir.0)
        .args(["ui", "--panel-dpi", "294"])
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("SLINT_SCALE_FACTOR")
        .env_remove("COURIER_UI_DISPLAY_ENV")
        .env("COURIER_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ui");
    let mut shown = false;
    let mut log = String::new();
    for line in BufReader::new(ui.stderr.take().expect("stderr")).lines() {
        let line = line.expect("log line");
        log.push_str(&line);
        log.push('\n');
        if line.contains("display applied") {
            shown = true;
            break;
        }
    }
    assert!(shown, "the screens never showed:\n{log}");

    let pid = rustix::process::Pid::from_raw(i32::try_from(ui.id()).expect("pid")).expect("pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let status = ui.wait().expect("wait");
    assert!(!status.success(), "{status:?}");
    let left = processes_of(&day.dir.0);
    for p in &left {
        let _ = rustix::process::Pid::from_raw(*p as i32)
            .map(|p| rustix::process::kill_process(p, rustix::process::Signal::KILL));
    }
    assert!(left.is_empty(), "processes left behind: {left:?}");
}
