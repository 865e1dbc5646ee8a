//! Benchmark: code entry to durable signed event (`cargo bench --bench code_to_event`).
//!
//! Measures `Terminal::submit_code` with the right code on parcels already at the
//! door: attempt spent durably, PBKDF2, comparison, event signed and committed
//! (WAL, synchronous=FULL). Run once at 100,000 iterations and once at 1 iteration
//! (KDF excluded), plus the KDF alone; prints p50/p99 in milliseconds.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_devtools::sample_day::{SampleSpec, sample_day};
use courier_protocol::code_verifier::BuyerSecret;
use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::vocabulary::{CodePolicy, ParcelKind};
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::NoPosition;
use courier_terminal::terminal::{CodeEntry, DataDir, Terminal, init};

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn run(iterations: u32, samples: usize) -> anyhow::Result<Vec<Duration>> {
    let tmp = tempfile::tempdir()?;
    let dir = DataDir(tmp.path().join("data"));
    let server = keypair_from_pkcs8(&generate_pkcs8()?)?;
    let report = init(&dir, Some("CT-BENCH"), Some(server.public_key()))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as i64;
    let day = sample_day(
        &SampleSpec {
            device_id: report.device_id.as_str(),
            version: 1,
            issued_at_ms: now,
            valid_for_ms: 3_600_000,
            parcels: samples * 2,
            iterations,
            withdrawn: &[],
            load_check: false,
            two_parcel_orders: &[],
        },
        &server,
    )?;
    let mut t = Terminal::open(&dir, Arc::new(SystemClock::new()), Arc::new(NoPosition))?;
    t.load_manifest(&day.manifest)?;
    let targets: Vec<_> = day
        .manifest
        .body
        .parcels
        .iter()
        .zip(&day.codes)
        .filter(|(p, _)| p.kind == ParcelKind::Delivery && p.policy == CodePolicy::OfflineAllowed)
        .take(samples)
        .map(|(p, c)| (p.label.clone(), c.numeric.clone()))
        .collect();
    for (label, _) in &targets {
        t.arrive(label)?;
    }
    let mut times = Vec::with_capacity(targets.len());
    for (label, code) in &targets {
        let start = Instant::now();
        let answer = t.submit_code(label, CodeEntry::Keypad(code))?;
        times.push(start.elapsed());
        anyhow::ensure!(answer.event.body.outcome.is_some(), "not delivered");
    }
    times.sort();
    Ok(times)
}

fn kdf_only(iterations: u32, samples: usize) -> Vec<Duration> {
    let secret = BuyerSecret::numeric("482913", 6).expect("code");
    let n = NonZeroU32::new(iterations).expect("non-zero");
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let s = Instant::now();
            std::hint::black_box(secret.derive_key(b"0123456789abcdef", n));
            s.elapsed()
        })
        .collect();
    times.sort();
    times
}

/// One durable WAL commit (synchronous=FULL), the floor under every event.
fn bare_commit(samples: usize) -> anyhow::Result<Vec<Duration>> {
    let tmp = tempfile::tempdir()?;
    let conn = rusqlite::Connection::open(tmp.path().join("c.db"))?;
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.execute_batch("PRAGMA synchronous=FULL; CREATE TABLE t(x BLOB);")?;
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        conn.execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (randomblob(600)); COMMIT;")?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times)
}

fn main() -> anyhow::Result<()> {
    if std::env::args().any(|a| a == "--list") {
        println!("code_to_event: bench");
        return Ok(());
    }
    let samples = 200;
    let kdf = kdf_only(100_000, samples);
    let full = run(100_000, samples)?;
    let no_kdf = run(1, 1000)?;
    let commit = bare_commit(1000)?;
    println!(
        "one durable WAL commit on this disk: p50 {:.2} ms  p99 {:.2} ms  (n={})",
        percentile(&commit, 0.5),
        percentile(&commit, 0.99),
        commit.len()
    );
    println!(
        "KDF alone, PBKDF2-HMAC-SHA256 100k: p50 {:.2} ms  p99 {:.2} ms  (n={})",
        percentile(&kdf, 0.5),
        percentile(&kdf, 0.99),
        kdf.len()
    );
    println!(
        "code entry to durable signed event, 100k iterations: p50 {:.2} ms  p99 {:.2} ms  (n={})",
        percentile(&full, 0.5),
        percentile(&full, 0.99),
        full.len()
    );
    println!(
        "code entry to durable signed event, KDF excluded (1 iteration): p50 {:.2} ms  p99 {:.2} ms  (n={})",
        percentile(&no_kdf, 0.5),
        percentile(&no_kdf, 0.99),
        no_kdf.len()
    );
    println!(
        "overhead over the KDF at p99: {:.2} ms (target <= 5 ms)",
        percentile(&full, 0.99) - percentile(&kdf, 0.99)
    );
    Ok(())
}
