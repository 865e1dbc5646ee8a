//! The scanner serial reader: a thread that reads frames from the port,
//! classifies them and sends [`ScanEvent`]s over a std mpsc channel.
//! Reconnects like the GNSS reader; rejected frames are counted.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;

use crate::scan_classify::{ScanKind, classify};
use crate::scanner_framing::{ScanFrame, ScannerFramer, ScannerFramingConfig, ScannerStats};

/// "Is this a label the manifest knows?"
pub type LabelLookup = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// One classified scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanEvent {
    /// What it is.
    pub kind: ScanKind,
    /// AIM symbology identifier, e.g. `Q1` (QR), `C0` (Code 128).
    pub symbology: Option<String>,
    /// Frame length as received.
    pub raw_len: usize,
}

impl ScanEvent {
    /// Classify a frame.
    pub fn from_frame(frame: ScanFrame, is_known_label: &dyn Fn(&str) -> bool) -> Self {
        Self {
            kind: classify(&frame.text, is_known_label),
            symbology: frame.symbology,
            raw_len: frame.raw_len,
        }
    }
}

/// Scanner reader settings.
#[derive(Debug, Clone)]
pub struct ScannerConfig {
    /// Serial device path.
    pub port: String,
    /// Baud rate.
    pub baud: u32,
    /// Framing.
    pub framing: ScannerFramingConfig,
    /// Delay between reconnect attempts.
    pub reconnect: Duration,
}

impl ScannerConfig {
    /// Defaults for a port and baud rate.
    pub fn new(port: impl Into<String>, baud: u32) -> Self {
        Self {
            port: port.into(),
            baud,
            framing: ScannerFramingConfig::default(),
            reconnect: Duration::from_millis(500),
        }
    }
}

/// Scanner counters, including link state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScannerCounters {
    /// Framing counters (rejected frames included).
    pub framing: ScannerStats,
    /// Port currently open.
    pub connected: bool,
    /// Last port error.
    pub last_error: Option<String>,
}

/// The scanner reader thread.
#[derive(Debug)]
pub struct ScannerSerial {
    counters: Arc<Mutex<ScannerCounters>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScannerSerial {
    /// Start reading; scans arrive on the returned receiver.
    pub fn spawn(
        cfg: ScannerConfig,
        is_known_label: LabelLookup,
    ) -> std::io::Result<(Self, Receiver<ScanEvent>)> {
        let (tx, rx) = channel();
        let counters = Arc::new(Mutex::new(ScannerCounters::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let counters = counters.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("scanner-serial".into())
                .spawn(move || run(cfg, is_known_label, tx, counters, stop))?
        };
        Ok((
            Self {
                counters,
                stop,
                thread: Some(thread),
            },
            rx,
        ))
    }

    /// Counters so far.
    pub fn counters(&self) -> ScannerCounters {
        self.counters.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Stop and join.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ScannerSerial {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn with<T>(c: &Mutex<ScannerCounters>, f: impl FnOnce(&mut ScannerCounters) -> T) -> T {
    let mut g = c.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut g)
}

fn run(
    cfg: ScannerConfig,
    lookup: LabelLookup,
    tx: Sender<ScanEvent>,
    counters: Arc<Mutex<ScannerCounters>>,
    stop: Arc<AtomicBool>,
) {
    let mut framer = ScannerFramer::new(cfg.framing);
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::SeqCst) {
        let mut port = match serialport::new(&cfg.port, cfg.baud)
            .timeout(Duration::from_millis(100))
            .open_native()
        {
            Ok(p) => p,
            Err(e) => {
                with(&counters, |c| {
                    c.connected = false;
                    c.last_error = Some(e.to_string());
                });
                std::thread::sleep(cfg.reconnect);
                continue;
            }
        };
        with(&counters, |c| c.connected = true);
        while !stop.load(Ordering::SeqCst) {
            match port.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let mut events = Vec::new();
                    framer.feed(&buf[..n], &mut |r| match r {
                        Ok(frame) => events.push(ScanEvent::from_frame(frame, lookup.as_ref())),
                        Err(e) => tracing::debug!(error = %e, "scanner frame rejected"),
                    });
                    with(&counters, |c| c.framing = framer.stats());
                    for ev in events {
                        if tx.send(ev).is_err() {
                            return; // nobody listens any more
                        }
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => {
                    with(&counters, |c| {
                        c.connected = false;
                        c.last_error = Some(e.to_string());
                    });
                    break;
                }
            }
        }
        std::thread::sleep(cfg.reconnect.min(Duration::from_millis(200)));
    }
}
