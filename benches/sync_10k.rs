//! Benchmark: sync 10,000 queued events to the local reference server
//! (`cargo bench --bench sync_10k`).
//!
//! Records 10,000 signed events through the terminal service (each a durable
//! commit), then times one `sync` of the whole outbox over loopback HTTP in
//! batches of 500: wall time, requests seen by the server, and memory (peak
//! resident set of this process, which also hosts the server, measured from a
//! reset before the sync; plus the resident set just before).

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_protocol::api::{CreateOrderRequest, IssueManifestRequest};
use courier_protocol::manifest::{Address, Recipient};
use courier_protocol::vocabulary::{CodePolicy, ParcelKind};
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::Reads;
use courier_terminal::sync::{SyncConfig, SyncEngine};
use courier_terminal::terminal::{ContactChannel, DataDir, Terminal};
use escrow_reference_server::faults::Faults;
use escrow_reference_server::{AppState, Database, ServerConfig, admin, start, system_clock};

const EVENTS: usize = 10_000;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let tmp = tempfile::tempdir()?;
    let config = ServerConfig {
        database: Database::Sqlite(tmp.path().join("server.sqlite")),
        admin_token: None,
        clock: system_clock(),
        password_cost: escrow_reference_server::back_office::PasswordCost::for_tests(),
    };
    let faults = Arc::new(Faults::default());
    let state = rt.block_on(AppState::open(&config, faults.clone()))?;
    let server = rt.block_on(start(state.clone(), "127.0.0.1:0".parse()?))?;
    let url = server.url();

    let order = rt.block_on(admin::create_order(
        state.store(),
        &CreateOrderRequest {
            order_parcels: Default::default(),
            order_ref: "BENCH-1".into(),
            label: "L-BENCH-1".into(),
            kind: ParcelKind::Delivery,
            policy: CodePolicy::OfflineAllowed,
            recipient: Recipient {
                name: "B".into(),
                phone: "1".into(),
            },
            address: Address {
                text: "x".into(),
                city: "y".into(),
                lat_e7: None,
                lon_e7: None,
            },
            amount_minor: 1,
            currency: "EUR".into(),
            collect: None,
            digits: None,
            iterations: Some(1_000),
            attempt_limit: None,
            demo_secret: None,
        },
    ))?;
    let token = rt.block_on(admin::issue_token(state.store(), state.now_ms()))?;
    let dir = DataDir(tmp.path().join("device"));
    courier_terminal::sync::enrollment::enroll(&dir, &url, &token.token, "bench")?;
    let mut t = Terminal::open(&dir, Arc::new(SystemClock::new()), Arc::new(NoPosition))?;
    let manifest = rt.block_on(admin::issue_manifest(
        state.store(),
        state.key(),
        &IssueManifestRequest {
            device_id: t.device_id().to_string(),
            parcel_ids: vec![order.parcel_id.clone()],
            withdrawn: vec![],
            depot: "D".into(),
            valid_for_ms: 3_600_000,
            load_check: false,
            desks: Default::default(),
            photos: Default::default(),
        },
        state.now_ms(),
    ))?;
    t.load_manifest(&manifest)?;
    t.arrive("L-BENCH-1")?;
    let recording = Instant::now();
    while t.store().pending_count()? < EVENTS as u64 {
        t.contact("L-BENCH-1", ContactChannel::Call)?;
    }
    let recording = recording.elapsed();
    drop(t);

    let rss_before = status_kb("VmRSS:");
    // Reset the peak resident set so it measures the sync alone (Linux >= 4.0).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let requests_before = faults.device_requests();
    let mut engine = SyncEngine::open(
        &dir,
        SyncConfig {
            batch_size: 500,
            ..SyncConfig::default()
        },
    )?;
    let started = Instant::now();
    let report = rt.block_on(engine.upload_all(true, Instant::now() + Duration::from_secs(120)))?;
    let elapsed = started.elapsed();
    let requests = faults.device_requests() - requests_before;
    let peak = status_kb("VmHWM:");
    let stored = rt
        .block_on(state.store().device_events(&report_device(&engine)?))?
        .len();
    assert_eq!(report.pending, 0, "everything synced");
    assert_eq!(stored, EVENTS, "server holds every event");
    println!(
        "sync_10k: {EVENTS} events queued (recorded in {:.1} s)",
        recording.as_secs_f64()
    );
    println!(
        "sync_10k: synced in {:.2} s, {} requests ({} batches, {} accepted), RSS before {} MiB, peak during sync {} MiB",
        elapsed.as_secs_f64(),
        requests,
        report.batches,
        report.accepted,
        rss_before / 1024,
        peak / 1024
    );
    rt.block_on(server.stop());
    Ok(())
}

fn report_device(engine: &SyncEngine) -> anyhow::Result<String> {
    engine
        .store()
        .identity()?
        .map(|i| i.device_id.to_string())
        .ok_or_else(|| anyhow::anyhow!("no device id"))
}
