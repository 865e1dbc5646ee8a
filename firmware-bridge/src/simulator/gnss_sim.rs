//! A GNSS module on a pseudo-terminal: replays an NMEA log at the real pace of
//! a baud rate (or faster), and on request drops the fix, corrupts checksums
//! and vanishes (optionally reappearing under a stable link path, the way a
//! udev symlink follows a re-plugged module).

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::{SimError, open_pty};
use crate::nmea_framing::render_sentence;

/// Simulator behaviour.
#[derive(Debug, Clone)]
pub struct GnssSimConfig {
    /// Baud rate whose pace is imitated (10 bits per byte).
    pub baud: u32,
    /// Pace multiplier: 1.0 real time, 10.0 ten times faster, infinity no pacing.
    pub speedup: f64,
    /// Start over at the end of the log.
    pub repeat: bool,
    /// After this many sentences, every RMC says `V` and every GGA quality 0.
    pub drop_fix_after: Option<u64>,
    /// Corrupt the checksum of every n-th sentence.
    pub corrupt_every: Option<u64>,
    /// After this many sentences the pty disappears.
    pub vanish_after: Option<u64>,
    /// ... and comes back (as a new pty) after this long.
    pub reappear_after: Option<Duration>,
    /// Keep a symlink here pointing at the current pty.
    pub link_path: Option<PathBuf>,
    /// Wait for [`GnssSim::release`] before sending.
    pub gated: bool,
}

impl Default for GnssSimConfig {
    fn default() -> Self {
        Self {
            baud: 9600,
            speedup: 1.0,
            repeat: false,
            drop_fix_after: None,
            corrupt_every: None,
            vanish_after: None,
            reappear_after: None,
            link_path: None,
            gated: false,
        }
    }
}

/// A running GNSS simulator.
#[derive(Debug)]
pub struct GnssSim {
    path: Arc<Mutex<String>>,
    link_path: Option<PathBuf>,
    sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    gate: Option<Sender<()>>,
    done: Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

/// Replace fix fields so the sentence says "no fix" (RMC `V`, GGA quality 0).
pub fn without_fix(body: &str) -> String {
    let mut f: Vec<&str> = body.split(',').collect();
    match f.first().map(|a| a.get(2..).unwrap_or_default()) {
        Some("RMC") if f.len() > 2 => f[2] = "V",
        Some("GGA") if f.len() > 6 => f[6] = "0",
        Some("GLL") if f.len() > 6 => f[6] = "V",
        _ => {}
    }
    f.join(",")
}

fn sentences(log: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(log)
        .lines()
        .map(|l| l.trim_end())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.to_string())
        .collect()
}

fn body_of(line: &str) -> Option<&str> {
    let l = line.strip_prefix('$')?;
    let star = l.rfind('*')?;
    Some(&l[..star])
}

impl GnssSim {
    /// Start replaying `log` (a corpus `.log` or any NMEA capture).
    pub fn start(log: &[u8], cfg: GnssSimConfig) -> Result<Self, SimError> {
        let lines = sentences(log);
        let (master, slave, path) = open_pty()?;
        if let Some(link) = &cfg.link_path {
            let _ = std::fs::remove_file(link);
            std::os::unix::fs::symlink(&path, link)?;
        }
        let path = Arc::new(Mutex::new(path));
        let sent = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (gate_tx, gate_rx) = channel();
        let (done_tx, done) = channel();
        let thread = {
            let (path, sent, stop, cfg) = (path.clone(), sent.clone(), stop.clone(), cfg.clone());
            std::thread::Builder::new()
                .name("gnss-sim".into())
                .spawn(move || {
                    if cfg.gated && gate_rx.recv().is_err() {
                        return;
                    }
                    let port = replay(lines, cfg, master, slave, path, sent, stop.clone());
                    let _ = done_tx.send(());
                    // Keep the pty open (the reader may still be draining it)
                    // until the simulator is dropped.
                    while port.is_some() && !stop.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    drop(port);
                })?
        };
        Ok(Self {
            path,
            link_path: cfg.link_path.clone(),
            sent,
            stop,
            gate: cfg.gated.then_some(gate_tx),
            done,
            thread: Some(thread),
        })
    }

    /// Path the reader should open: the link path if configured, else the pty.
    pub fn port_path(&self) -> String {
        match &self.link_path {
            Some(l) => l.to_string_lossy().into_owned(),
            None => self.pty_path(),
        }
    }

    /// The current pty device.
    pub fn pty_path(&self) -> String {
        self.path.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Sentences written so far.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }

    /// Let a gated simulator start sending.
    pub fn release(&mut self) {
        if let Some(g) = self.gate.take() {
            let _ = g.send(());
        }
    }

    /// Wait until the log has been sent (false on timeout).
    pub fn wait_done(&self, timeout: Duration) -> bool {
        !matches!(
            self.done.recv_timeout(timeout),
            Err(RecvTimeoutError::Timeout)
        )
    }
}

impl Drop for GnssSim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.gate.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(l) = &self.link_path {
            let _ = std::fs::remove_file(l);
        }
    }
}

fn write_all(master: &mut serialport::TTYPort, bytes: &[u8], stop: &AtomicBool) -> bool {
    let mut rest = bytes;
    while !rest.is_empty() {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        match master.write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                tracing::warn!(error = %e, "GNSS simulator write failed");
                return false;
            }
        }
    }
    true
}

fn replay(
    lines: Vec<String>,
    cfg: GnssSimConfig,
    master: serialport::TTYPort,
    slave: serialport::TTYPort,
    path: Arc<Mutex<String>>,
    sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> Option<(serialport::TTYPort, serialport::TTYPort)> {
    let mut port = Some((master, slave));
    let mut n: u64 = 0;
    loop {
        for line in &lines {
            if stop.load(Ordering::SeqCst) {
                return port;
            }
            n += 1;
            if cfg.vanish_after == Some(n) {
                drop(port.take()); // both ends closed: the device node disappears
                let _ = cfg.link_path.as_ref().map(std::fs::remove_file);
                let after = cfg.reappear_after?;
                std::thread::sleep(after);
                match open_pty() {
                    Ok((m, s, p)) => {
                        if let Some(link) = &cfg.link_path {
                            let _ = std::os::unix::fs::symlink(&p, link);
                        }
                        if let Ok(mut g) = path.lock() {
                            *g = p;
                        }
                        port = Some((m, s));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "GNSS simulator could not reappear");
                        return None;
                    }
                }
            }
            let mut text = match body_of(line) {
                Some(body) if cfg.drop_fix_after.is_some_and(|k| n > k) => {
                    render_sentence(&without_fix(body))
                }
                _ => format!("{line}\r\n"),
            };
            if cfg
                .corrupt_every
                .is_some_and(|k| k > 0 && n.is_multiple_of(k))
                && let Some(star) = text.rfind('*')
            {
                // Flip the checksum's last digit.
                let idx = star + 2;
                if let Some(c) = text.get(idx..idx + 1) {
                    let flipped = if c == "0" { "1" } else { "0" };
                    text.replace_range(idx..idx + 1, flipped);
                }
            }
            let (master, _) = port.as_mut()?;
            if !write_all(master, text.as_bytes(), &stop) {
                return port;
            }
            sent.fetch_add(1, Ordering::SeqCst);
            if cfg.speedup.is_finite() && cfg.speedup > 0.0 && cfg.baud > 0 {
                let secs = text.len() as f64 * 10.0 / f64::from(cfg.baud) / cfg.speedup;
                std::thread::sleep(Duration::from_secs_f64(secs));
            }
        }
        if !cfg.repeat {
            return port;
        }
    }
}
