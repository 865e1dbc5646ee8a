//! Benchmark: depot scan-in (`cargo bench --bench scan_in`).
//!
//! A day of 300 parcels, each visited (arrival, inspection offered, two
//! contact attempts) and ended without handover, then scanned in one by one by
//! the signed-in supervisor: each `Terminal::scan_return` reads the committed
//! log, sorts the label, and commits its signed event (WAL,
//! synchronous=FULL) before answering. Prints p50/p99/max in milliseconds, and
//! the same for an unexpected label at the end of the day.

use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_devtools::sample_day::{SampleSpec, sample_day};
use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::rules::ScanVerdict;
use courier_protocol::vocabulary::{Outcome, ParcelKind, Reason};
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::Reads;
use courier_terminal::terminal::{
    ContactChannel, DataDir, IntakeInput, LabelEntry, SignInAnswer, SupervisorEntry, Terminal, init,
};

const PARCELS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
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
            parcels: PARCELS,
            iterations: 1_000,
            withdrawn: &[],
            load_check: false,
            two_parcel_orders: &[],
        },
        &server,
    )?;
    let mut t = Terminal::open(&dir, Arc::new(SystemClock::new()), Arc::new(NoPosition))?;
    t.load_manifest(&day.manifest)?;
    let labels: Vec<String> = day
        .manifest
        .body
        .parcels
        .iter()
        .filter(|p| p.kind != ParcelKind::Pickup)
        .map(|p| p.label.clone())
        .collect();
    for l in &labels {
        t.arrive(l)?;
        t.offer_inspection(l)?;
        t.contact(l, ContactChannel::Call)?;
        t.contact(l, ContactChannel::Message)?;
        t.record_outcome(l, Outcome::CarrierProblem, Some(Reason::Vehicle), None)?;
    }
    let events = t.store().chain_tip()?.seq;
    match t.supervisor_sign_in(SupervisorEntry::Badge(&day.supervisor.badge_text))? {
        SignInAnswer::SignedIn(_) => {}
        other => anyhow::bail!("sign-in: {other:?}"),
    }
    let mut times = Vec::with_capacity(labels.len());
    for l in &labels {
        let start = Instant::now();
        let a = t.scan_return(LabelEntry::Scanned(l), &IntakeInput::default())?;
        times.push(start.elapsed());
        anyhow::ensure!(
            matches!(a.verdict, ScanVerdict::Received(_)),
            "{l}: {:?}",
            a.verdict
        );
    }
    let start = Instant::now();
    let a = t.scan_return(LabelEntry::Scanned("ZZ-NOT-OURS"), &IntakeInput::default())?;
    let unexpected = start.elapsed();
    anyhow::ensure!(matches!(a.verdict, ScanVerdict::Unexpected(_)));
    times.sort();
    println!(
        "scan-in, {} returns on a log of {events} events: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; unexpected label at the end {:.2} ms",
        times.len(),
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        percentile(&times, 1.0),
        unexpected.as_secs_f64() * 1000.0
    );
    Ok(())
}
