//! `courier-terminal diagnose`: what carrier IT checks on a device, each line
//! OK, a warning, or a failure with what to fix: storage, device key, clock,
//! GNSS, scanner, server, outbox. Read-only: it never writes the store.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use courier_protocol::keys::Signer;
use serde::Serialize;

pub use crate::diagnosis_fix::Fix;

use crate::assembly::{DeviceConfig, PositionInput, ScannerInput};
use crate::clock::{Clock, SystemClock};
use crate::device_key::DeviceKey;
use crate::domain::trusted_clock::SKEW_WARNING_MS;
use crate::storage::{Reads, Store};
use crate::sync::TlsTrust;
use crate::sync::client::{ApiClient, SharedSigner, http_client};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Nothing to do.
    Ok,
    /// Works, but look at it.
    Warn,
    /// Does not work: the line says what to fix.
    Fail,
}

/// One line of the diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What was checked (`storage`, `key`, `clock`, `gnss`, `scanner`, `server`, `outbox`).
    pub area: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// What to do about it (empty when OK).
    pub fix: String,
}

fn line(area: &'static str, verdict: Verdict, detail: String, fix: Fix) -> Check {
    Check {
        area,
        verdict,
        detail,
        fix: fix.to_string(),
    }
}

/// The whole diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// Every check, in order.
    pub checks: Vec<Check>,
}

impl Diagnosis {
    /// Whether anything failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.verdict == Verdict::Fail)
    }
}

/// Runs every check for the device `config` describes.
pub fn diagnose(config: &DeviceConfig) -> Diagnosis {
    let dir = config.dir();
    let clock = SystemClock::new();
    let mut checks = vec![storage(&dir.database())];
    let store = Store::open_read_only(&dir.database()).ok();
    checks.push(key(&dir.key()));
    let gnss_skew = gnss(config, &mut checks);
    checks.push(clock_check(store.as_ref(), &clock, gnss_skew));
    checks.push(scanner(&config.scanner));
    checks.push(server(&dir, store.as_ref(), &config.tls));
    checks.push(outbox(store.as_ref(), &clock));
    Diagnosis { checks }
}

fn storage(db: &Path) -> Check {
    let dir = db.parent().unwrap_or(Path::new("."));
    let store = match Store::open_read_only(db) {
        Ok(s) => s,
        Err(e) => {
            return line(
                "storage",
                Verdict::Fail,
                e.to_string(),
                Fix::EnrollOrRestore,
            );
        }
    };
    let integrity = store.integrity_check().unwrap_or_else(|e| e.to_string());
    if integrity != "ok" {
        return line(
            "storage",
            Verdict::Fail,
            format!("database integrity check: {integrity}"),
            Fix::CallSupport,
        );
    }
    match rustix::fs::statvfs(dir) {
        Ok(fs) if fs.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) => line(
            "storage",
            Verdict::Fail,
            format!("{} is on a read-only file system", dir.display()),
            Fix::Remount,
        ),
        Ok(fs) => {
            let free = fs.f_bavail.saturating_mul(fs.f_frsize);
            let mib = free / (1024 * 1024);
            if mib < 50 {
                line(
                    "storage",
                    if free == 0 {
                        Verdict::Fail
                    } else {
                        Verdict::Warn
                    },
                    format!("integrity ok, {mib} MiB free on {}", dir.display()),
                    Fix::FreeSpace,
                )
            } else {
                line(
                    "storage",
                    Verdict::Ok,
                    format!("integrity ok, writable, {mib} MiB free"),
                    Fix::Nothing,
                )
            }
        }
        Err(e) => line(
            "storage",
            Verdict::Warn,
            format!("integrity ok; free space unknown ({e})"),
            Fix::Nothing,
        ),
    }
}

fn key(path: &Path) -> Check {
    let mode = match std::fs::metadata(path) {
        Ok(m) => m.permissions().mode() & 0o777,
        Err(_) => {
            return line(
                "key",
                Verdict::Fail,
                format!("no device key at {}", path.display()),
                Fix::EnrollOrReenroll,
            );
        }
    };
    match DeviceKey::load(path) {
        Ok(k) => line(
            "key",
            Verdict::Ok,
            format!(
                "present, mode {mode:o}, loads; fingerprint {}",
                k.public_key().fingerprint().grouped()
            ),
            Fix::Nothing,
        ),
        Err(e) => line("key", Verdict::Fail, e.to_string(), Fix::KeyModeOrReenroll),
    }
}

/// Reads the GNSS module for a few seconds; returns the device-minus-GNSS skew.
fn gnss(config: &DeviceConfig, checks: &mut Vec<Check>) -> Option<i64> {
    let (port, baud) = match &config.position {
        PositionInput::SerialGnss { port, baud } => (port.clone(), *baud),
        PositionInput::Fixed { lat_deg, lon_deg } => {
            checks.push(line(
                "gnss",
                Verdict::Ok,
                format!("fixed position {lat_deg:.5},{lon_deg:.5} (no receiver configured)"),
                Fix::Nothing,
            ));
            return None;
        }
        PositionInput::None => {
            checks.push(line(
                "gnss",
                Verdict::Warn,
                "no GNSS receiver configured: events record \"no fix\"".into(),
                Fix::SetGnssPort,
            ));
            return None;
        }
    };
    if !port.exists() {
        checks.push(line(
            "gnss",
            Verdict::Fail,
            format!("no device at {}", port.display()),
            Fix::GnssCable,
        ));
        return None;
    }
    let reader = match firmware_bridge::GnssSerial::spawn(firmware_bridge::GnssConfig::new(
        port.display().to_string(),
        baud,
    )) {
        Ok(r) => r,
        Err(e) => {
            checks.push(line(
                "gnss",
                Verdict::Fail,
                format!("cannot open {}: {e}", port.display()),
                Fix::GnssPermission,
            ));
            return None;
        }
    };
    let snapshot = reader
        .handle()
        .wait_for(Duration::from_secs(5), |s| s.fresh_fix().is_some())
        .unwrap_or_else(|| reader.handle().snapshot());
    reader.stop();
    let s = &snapshot.stats;
    let check = if s.sentences == 0 {
        line(
            "gnss",
            Verdict::Fail,
            format!(
                "{}: no NMEA sentence in 5 s ({} bytes, {} checksum errors)",
                port.display(),
                s.bytes,
                s.checksum_errors
            ),
            Fix::GnssBaud,
        )
    } else if let Some(fix) = snapshot.fresh_fix() {
        line(
            "gnss",
            Verdict::Ok,
            format!(
                "{}: {} sentences, fix {:?} with {} satellites, age {} ms",
                port.display(),
                s.sentences,
                fix.mode,
                fix.satellites.map_or("?".into(), |n| n.to_string()),
                snapshot.current_age_ms.unwrap_or(0)
            ),
            Fix::Nothing,
        )
    } else {
        line(
            "gnss",
            Verdict::Warn,
            format!(
                "{}: {} sentences, no valid fix yet{}{}",
                port.display(),
                s.sentences,
                crate::gnss_position::from_snapshot(&snapshot)
                    .no_fix_reason
                    .map_or(String::new(), |why| format!(": {why}")),
                snapshot
                    .last_valid_age_ms
                    .map_or(String::new(), |a| format!(" (last fix {} s ago)", a / 1000))
            ),
            Fix::GnssNoFix,
        )
    };
    checks.push(check);
    snapshot.clock_skew_ms
}

fn clock_check(store: Option<&Store>, clock: &SystemClock, gnss_skew: Option<i64>) -> Check {
    let now = clock.now().device_utc_ms;
    let floor = store.and_then(|s| s.clock_floor().ok()).unwrap_or(0);
    if floor > now + 5 * 60_000 {
        return line(
            "clock",
            Verdict::Fail,
            format!(
                "the device clock is {} s behind a time already seen from the server or GNSS",
                (floor - now) / 1000
            ),
            Fix::ClockBehind,
        );
    }
    match gnss_skew {
        Some(skew) if skew.abs() > SKEW_WARNING_MS => line(
            "clock",
            Verdict::Warn,
            format!("device clock minus GNSS time: {} s", skew / 1000),
            Fix::ClockSkew,
        ),
        Some(skew) => line(
            "clock",
            Verdict::Ok,
            format!("within {skew} ms of GNSS time"),
            Fix::Nothing,
        ),
        None => line(
            "clock",
            Verdict::Ok,
            "no GNSS time to compare; not behind the last server time".into(),
            Fix::Nothing,
        ),
    }
}

fn scanner(input: &ScannerInput) -> Check {
    match input {
        ScannerInput::Serial { port, .. } if port.exists() => line(
            "scanner",
            Verdict::Ok,
            format!("{} present", port.display()),
            Fix::Nothing,
        ),
        ScannerInput::Serial { port, .. } => line(
            "scanner",
            Verdict::Fail,
            format!("no device at {}", port.display()),
            Fix::ScannerCable,
        ),
        ScannerInput::KeyboardWedge => line(
            "scanner",
            Verdict::Ok,
            "keyboard wedge: scans arrive as key presses".into(),
            Fix::Nothing,
        ),
        ScannerInput::None => line(
            "scanner",
            Verdict::Warn,
            "no scanner configured: labels and codes are typed".into(),
            Fix::SetScanner,
        ),
    }
}

fn server(dir: &crate::terminal::DataDir, store: Option<&Store>, tls: &TlsTrust) -> Check {
    let identity = store.and_then(|s| s.identity().ok().flatten());
    let Some(identity) = identity else {
        return line("server", Verdict::Fail, "not set up".into(), Fix::Enroll);
    };
    let (url, pinned) = match (identity.server_url.clone(), identity.server_key) {
        (Some(url), Some(pinned)) => (url, pinned),
        (None, Some(_)) => {
            return line(
                "server",
                Verdict::Fail,
                format!(
                    "{} has its server key pinned but no server address recorded (set up with `init --server-key`, never enrolled)",
                    identity.device_id
                ),
                Fix::EnrollKeepingKey,
            );
        }
        (_, None) => {
            return line(
                "server",
                Verdict::Fail,
                format!(
                    "{} is not enrolled (no server key pinned)",
                    identity.device_id
                ),
                Fix::EnrollCommand,
            );
        }
    };
    let key = match DeviceKey::load(&dir.key()) {
        Ok(k) => k,
        Err(e) => return line("server", Verdict::Fail, e.to_string(), Fix::SeeKey),
    };
    let signer: SharedSigner = std::sync::Arc::new(key);
    let answer = http_client(Duration::from_secs(10), tls).and_then(|http| {
        let client = ApiClient::new(
            http,
            &url,
            identity.device_id.as_str(),
            signer,
            std::sync::Arc::new(SystemClock::new()),
        );
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| crate::sync::client::CallError::Local(e.to_string()))?
            .block_on(client.manifest())
    });
    match answer {
        Err(crate::sync::client::CallError::Untrusted(why)) => line(
            "server",
            Verdict::Fail,
            format!("{url}: TLS refused: {why} (trusted: {})", tls.describe()),
            Fix::TlsTrust,
        ),
        Err(e) => line("server", Verdict::Fail, format!("{url}: {e}"), Fix::Network),
        Ok(r) => match &r.manifest {
            Some(m) if m.verify(&pinned).is_err() => line(
                "server",
                Verdict::Fail,
                format!("{url} answers, but its manifest is not signed by the pinned key"),
                Fix::OtherServer,
            ),
            Some(_) => line(
                "server",
                Verdict::Ok,
                format!(
                    "{url}: reachable, TLS valid, enrolled as {}, pinned key matches",
                    identity.device_id
                ),
                Fix::Nothing,
            ),
            None => line(
                "server",
                Verdict::Ok,
                format!(
                    "{url}: reachable, enrolled as {} (no manifest issued yet)",
                    identity.device_id
                ),
                Fix::Nothing,
            ),
        },
    }
}

fn outbox(store: Option<&Store>, clock: &SystemClock) -> Check {
    let Some(store) = store else {
        return line(
            "outbox",
            Verdict::Fail,
            "no database".into(),
            Fix::SeeStorage,
        );
    };
    let status = match store.sync_status() {
        Ok(s) => s,
        Err(e) => {
            return line("outbox", Verdict::Fail, e.to_string(), Fix::SeeStorage);
        }
    };
    let oldest = store
        .outbox_head()
        .ok()
        .and_then(|h| h.first)
        .and_then(|f| store.events(f.seq, 1).ok())
        .and_then(|e| e.first().map(|e| e.body.clock.device_utc_ms));
    let age_min = oldest.map(|t| (clock.now().device_utc_ms - t).max(0) / 60_000);
    let detail = format!(
        "{} waiting{}, {} rejected, {} not honoured{}{}{}",
        status.pending,
        age_min.map_or(String::new(), |m| format!(" (oldest {m} min)")),
        status.rejected,
        status.not_honoured,
        status
            .last_error
            .as_ref()
            .map_or(String::new(), |e| format!("; last error: {e}")),
        status
            .revoked
            .as_ref()
            .map_or(String::new(), |r| format!("; device revoked: {r}")),
        if status.checkpoints_refused > 0 {
            format!(
                "; {} server checkpoint(s) refused as not of this log, or of an event log rewritten or forked (kept as evidence)",
                status.checkpoints_refused
            )
        } else {
            String::new()
        }
    );
    if status.revoked.is_some() {
        line("outbox", Verdict::Fail, detail, Fix::Revoked)
    } else if status.checkpoints_refused > 0 {
        line("outbox", Verdict::Fail, detail, Fix::ForeignCheckpoints)
    } else if status.rejected > 0 {
        line("outbox", Verdict::Fail, detail, Fix::EventRefused)
    } else if age_min.is_some_and(|m| m > 24 * 60) {
        line("outbox", Verdict::Warn, detail, Fix::OutboxStale)
    } else {
        line("outbox", Verdict::Ok, detail, Fix::Nothing)
    }
}
