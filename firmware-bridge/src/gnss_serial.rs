//! The GNSS serial reader: a thread that opens the port, reads, reconnects
//! with backoff when the module is unplugged or the port vanishes, and
//! publishes a [`GnssSnapshot`] through a cheap-to-clone [`GnssHandle`].

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::fix_continuity::ContinuityLimits;
use crate::fix_tracker::Fix;
use crate::gnss_feed::{FeedEvent, GnssFeed, GnssStats};
use crate::nmea_decode::{DEFAULT_TALKERS, NmeaDecoder};
use crate::nmea_framing::{DEFAULT_MAX_SENTENCE_LEN, FramerConfig};
use crate::year_window::YearWindow;

/// A clock returning unix milliseconds (injected so tests can pin time).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    })
}

/// The device's monotonic clock, ms since the first call in this process
/// (never steps back, unlike the system clock).
pub fn monotonic_clock() -> Clock {
    let start = Instant::now();
    Arc::new(move || i64::try_from(start.elapsed().as_millis()).unwrap_or(i64::MAX))
}

/// State of the serial link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LinkState {
    /// Not connected since `since_ms` (unix ms), with the last error.
    Disconnected {
        /// When the link went down.
        since_ms: i64,
        /// Why.
        error: String,
    },
    /// Opening the port.
    Connecting,
    /// Port open and reading.
    Connected,
}

/// What the app sees of the GNSS receiver.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GnssSnapshot {
    /// Link state.
    pub link: LinkState,
    /// Current fix (may be invalid: see `Fix::valid`).
    pub current: Option<Fix>,
    /// Age of the current fix, ms.
    pub current_age_ms: Option<i64>,
    /// Last valid fix, kept when the current one is lost.
    pub last_valid: Option<Fix>,
    /// Age of the last valid fix, ms.
    pub last_valid_age_ms: Option<i64>,
    /// System clock minus GNSS time, ms, at the last valid timed fix.
    pub clock_skew_ms: Option<i64>,
    /// How far the current GNSS time lags the device's monotonic clock, ms
    /// (already counted in `current_age_ms`); `None` without a date.
    pub gnss_time_age_ms: Option<i64>,
    /// Counters.
    pub stats: GnssStats,
    /// Freshness limit this snapshot was taken with.
    pub fresh_max_ms: i64,
}

impl GnssSnapshot {
    /// The current fix if it is evidence: valid and no older than `fresh_max_ms`.
    pub fn fresh_fix(&self) -> Option<&Fix> {
        let fix = self.current.as_ref()?;
        let age = self.current_age_ms?;
        (fix.valid && age <= self.fresh_max_ms).then_some(fix)
    }
}

/// Anything that gives GNSS snapshots: the serial reader's handle, the in-memory feed.
pub trait SnapshotSource: Send + Sync {
    /// Current snapshot.
    fn snapshot(&self) -> GnssSnapshot;
}

/// Reader settings.
#[derive(Debug, Clone)]
pub struct GnssConfig {
    /// Serial device path, e.g. `/dev/gnss0`.
    pub port: String,
    /// Baud rate.
    pub baud: u32,
    /// A fix older than this is not evidence (default 10 s).
    pub fresh_max_ms: i64,
    /// First reconnect delay.
    pub reconnect_min: Duration,
    /// Longest reconnect delay.
    pub reconnect_max: Duration,
    /// Accepted talkers.
    pub talkers: Vec<String>,
    /// Longest accepted sentence.
    pub max_sentence_len: usize,
    /// Years a receiver date may carry ([`YearWindow::live`]; use
    /// [`YearWindow::historic`] to replay old captures).
    pub years: YearWindow,
    /// Judge GNSS time against the device's monotonic clock (default on;
    /// off only to replay a recording faster than real time).
    pub monotonic_checks: bool,
    /// Bounds of a stream of fixes (speed, clock tolerance).
    pub limits: ContinuityLimits,
}

impl GnssConfig {
    /// Defaults for a port and baud rate.
    pub fn new(port: impl Into<String>, baud: u32) -> Self {
        Self {
            port: port.into(),
            baud,
            fresh_max_ms: 10_000,
            reconnect_min: Duration::from_millis(200),
            reconnect_max: Duration::from_secs(5),
            talkers: DEFAULT_TALKERS.iter().map(|s| s.to_string()).collect(),
            max_sentence_len: DEFAULT_MAX_SENTENCE_LEN,
            years: YearWindow::live(),
            monotonic_checks: true,
            limits: ContinuityLimits::default(),
        }
    }
}

struct Shared {
    feed: GnssFeed,
    link: LinkState,
    generation: u64,
    subscribers: Vec<Sender<Fix>>,
    last_published: Option<Fix>,
}

impl Shared {
    fn push(&mut self, bytes: &[u8], now: i64, mono: Option<i64>) {
        let mut fixes = Vec::new();
        let subscribed = !self.subscribers.is_empty();
        self.feed
            .push_observed(bytes, now, mono, &mut |ev, tracker| {
                if !subscribed {
                    return;
                }
                if matches!(ev, FeedEvent::Decoded { .. }) {
                    fixes.push(tracker.fix());
                }
            });
        for fix in fixes {
            if self.last_published.as_ref() != Some(&fix) {
                self.subscribers.retain(|s| s.send(fix.clone()).is_ok());
                self.last_published = Some(fix);
            }
        }
    }
}

/// Cheap-to-clone read handle.
#[derive(Clone)]
pub struct GnssHandle {
    inner: Arc<(Mutex<Shared>, Condvar)>,
    clock: Clock,
    /// The device's monotonic clock (`None`: GNSS time is not judged against one).
    mono: Option<Clock>,
    fresh_max_ms: i64,
}

impl std::fmt::Debug for GnssHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GnssHandle").finish_non_exhaustive()
    }
}

impl GnssHandle {
    fn new(
        feed: GnssFeed,
        clock: Clock,
        mono: Option<Clock>,
        fresh_max_ms: i64,
        link: LinkState,
    ) -> Self {
        Self {
            inner: Arc::new((
                Mutex::new(Shared {
                    feed,
                    link,
                    generation: 0,
                    subscribers: Vec::new(),
                    last_published: None,
                }),
                Condvar::new(),
            )),
            clock,
            mono,
            fresh_max_ms,
        }
    }

    fn mono_now(&self) -> Option<i64> {
        self.mono.as_ref().map(|m| m())
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panic while holding the lock cannot leave Shared inconsistent
        // in a way that matters for reading; recover the guard.
        self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut Shared, i64, Option<i64>)) {
        let now = (self.clock)();
        let mono = self.mono_now();
        let mut g = self.lock();
        f(&mut g, now, mono);
        g.generation += 1;
        drop(g);
        self.inner.1.notify_all();
    }

    fn snapshot_of(&self, s: &Shared) -> GnssSnapshot {
        let view = s.feed.tracker().view_at((self.clock)(), self.mono_now());
        GnssSnapshot {
            link: s.link.clone(),
            current: view.current,
            current_age_ms: view.current_age_ms,
            last_valid: view.last_valid,
            last_valid_age_ms: view.last_valid_age_ms,
            clock_skew_ms: view.clock_skew_ms,
            gnss_time_age_ms: view.gnss_time_age_ms,
            stats: s.feed.stats(),
            fresh_max_ms: self.fresh_max_ms,
        }
    }

    /// Every distinct fix from now on (consecutive duplicates dropped), in order.
    pub fn subscribe(&self) -> Receiver<Fix> {
        let (tx, rx) = channel();
        self.lock().subscribers.push(tx);
        rx
    }

    /// The terminal's trusted clock (never running backwards) reads
    /// `unix_ms`: receiver dates are then judged against it as well as the
    /// build year.
    pub fn note_trusted_time(&self, unix_ms: i64) {
        self.update(|s, _, _| s.feed.note_trusted_time(unix_ms));
    }

    /// Current snapshot.
    pub fn snapshot(&self) -> GnssSnapshot {
        let g = self.lock();
        self.snapshot_of(&g)
    }

    /// Block until `pred` holds for a snapshot or `timeout` passes (woken on
    /// every update; for tests and for apps that want to wait for a fix).
    pub fn wait_for(
        &self,
        timeout: Duration,
        pred: impl Fn(&GnssSnapshot) -> bool,
    ) -> Option<GnssSnapshot> {
        let deadline = Instant::now() + timeout;
        let mut g = self.lock();
        loop {
            let snap = self.snapshot_of(&g);
            if pred(&snap) {
                return Some(snap);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            g = self
                .inner
                .1
                .wait_timeout(g, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

impl SnapshotSource for GnssHandle {
    fn snapshot(&self) -> GnssSnapshot {
        GnssHandle::snapshot(self)
    }
}

/// In-memory feed with the same handle, for tests and for the app's own tests.
#[derive(Debug, Clone)]
pub struct MemoryGnss {
    handle: GnssHandle,
}

impl MemoryGnss {
    /// New feed; the link reads as `Connected`. `clock` serves as both the
    /// system and the monotonic clock (tests pin it).
    pub fn new(fresh_max_ms: i64, clock: Clock) -> Self {
        Self {
            handle: GnssHandle::new(
                GnssFeed::default(),
                clock.clone(),
                Some(clock),
                fresh_max_ms,
                LinkState::Connected,
            ),
        }
    }

    /// Feed raw NMEA bytes.
    pub fn push(&self, bytes: &[u8]) {
        self.handle.update(|s, now, mono| s.push(bytes, now, mono));
    }

    /// Set the link state shown in snapshots.
    pub fn set_link(&self, link: LinkState) {
        self.handle.update(|s, _, _| s.link = link);
    }

    /// The handle.
    pub fn handle(&self) -> GnssHandle {
        self.handle.clone()
    }
}

/// The serial reader thread.
#[derive(Debug)]
pub struct GnssSerial {
    handle: GnssHandle,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl GnssSerial {
    /// Start reading `cfg.port` with the system and monotonic clocks.
    pub fn spawn(cfg: GnssConfig) -> std::io::Result<Self> {
        Self::spawn_with_clocks(cfg, system_clock(), monotonic_clock())
    }

    /// Start reading with a given clock, serving as both the system and the
    /// monotonic clock (tests pin it).
    pub fn spawn_with_clock(cfg: GnssConfig, clock: Clock) -> std::io::Result<Self> {
        Self::spawn_with_clocks(cfg, clock.clone(), clock)
    }

    /// Start reading with a system clock and a monotonic clock.
    pub fn spawn_with_clocks(cfg: GnssConfig, clock: Clock, mono: Clock) -> std::io::Result<Self> {
        let feed = GnssFeed::new(
            FramerConfig {
                max_sentence_len: cfg.max_sentence_len,
                ..FramerConfig::default()
            },
            NmeaDecoder::new(cfg.talkers.clone()),
        )
        .with_years(cfg.years)
        .with_limits(cfg.limits);
        let mono = cfg.monotonic_checks.then_some(mono);
        let handle = GnssHandle::new(feed, clock, mono, cfg.fresh_max_ms, LinkState::Connecting);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let handle = handle.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("gnss-serial".into())
                .spawn(move || run(cfg, handle, stop))?
        };
        Ok(Self {
            handle,
            stop,
            thread: Some(thread),
        })
    }

    /// A handle for readers.
    pub fn handle(&self) -> GnssHandle {
        self.handle.clone()
    }

    /// Stop the thread and wait for it.
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

impl Drop for GnssSerial {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn set_disconnected(handle: &GnssHandle, error: String) {
    handle.update(|s, now, _| {
        let since_ms = match &s.link {
            LinkState::Disconnected { since_ms, .. } => *since_ms,
            _ => now,
        };
        s.link = LinkState::Disconnected { since_ms, error };
    });
}

fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::SeqCst) {
        let Some(left) = end.checked_duration_since(Instant::now()) else {
            return;
        };
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

fn run(cfg: GnssConfig, handle: GnssHandle, stop: Arc<AtomicBool>) {
    let mut backoff = cfg.reconnect_min;
    let mut buf = [0u8; 512];
    while !stop.load(Ordering::SeqCst) {
        handle.update(|s, _, _| {
            if !matches!(s.link, LinkState::Disconnected { .. }) {
                s.link = LinkState::Connecting;
            }
        });
        let opened = serialport::new(&cfg.port, cfg.baud)
            .timeout(Duration::from_millis(100))
            .open_native();
        let mut port = match opened {
            Ok(p) => p,
            Err(e) => {
                tracing::debug!(port = %cfg.port, error = %e, "GNSS port open failed");
                set_disconnected(&handle, e.to_string());
                sleep_unless_stopped(backoff, &stop);
                backoff = (backoff * 2).min(cfg.reconnect_max);
                continue;
            }
        };
        tracing::info!(port = %cfg.port, baud = cfg.baud, "GNSS port open");
        backoff = cfg.reconnect_min;
        handle.update(|s, _, _| {
            s.feed.note_connect();
            s.link = LinkState::Connected;
        });
        while !stop.load(Ordering::SeqCst) {
            match port.read(&mut buf) {
                Ok(0) => {
                    set_disconnected(&handle, "end of stream".into());
                    break;
                }
                Ok(n) => handle.update(|s, now, mono| s.push(&buf[..n], now, mono)),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    tracing::warn!(port = %cfg.port, error = %e, "GNSS port lost");
                    set_disconnected(&handle, e.to_string());
                    break;
                }
            }
        }
        drop(port);
        sleep_unless_stopped(backoff, &stop);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nmea_framing::render_sentence;
    use std::sync::atomic::AtomicI64;

    #[test]
    fn memory_feed_freshness_and_last_valid() {
        let now = Arc::new(AtomicI64::new(1_000));
        let clock: Clock = {
            let now = now.clone();
            Arc::new(move || now.load(Ordering::SeqCst))
        };
        let mem = MemoryGnss::new(10_000, clock);
        let h = mem.handle();
        mem.push(
            render_sentence("GPRMC,225308,A,4527.458,S,16709.165,E,000.0,094.5,241126,024.1,E")
                .as_bytes(),
        );
        assert!(h.snapshot().fresh_fix().is_some());
        now.store(12_000, Ordering::SeqCst);
        let s = h.snapshot();
        assert!(s.fresh_fix().is_none(), "stale after 11 s");
        assert_eq!(s.last_valid_age_ms, Some(11_000));
        mem.push(render_sentence("GPRMC,225320,V,,,,,,,241126,,").as_bytes());
        let s = h.snapshot();
        assert!(!s.current.as_ref().is_some_and(|f| f.valid));
        assert!(s.last_valid.is_some());
    }
}
