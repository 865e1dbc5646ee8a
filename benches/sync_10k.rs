//! Benchmark: sync 10,000 queued events to the local reference server
//! (`cargo bench --bench sync_10k`), over plain HTTP and over HTTPS in the
//! same run.
//!
//! One reference server (SQLite) listens twice on loopback: plain HTTP, and
//! HTTPS with a throwaway carrier CA's certificate (rustls on both sides; the
//! device trusts that CA only, as with `[server] ca_file`). For each, a device
//! records 10,000 signed events through the terminal service (each a durable
//! commit), then one `sync` of the whole outbox in batches of 500 is timed:
//! wall time, requests seen by the server, and memory (peak resident set of
//! this process, which also hosts the server, measured from a reset before
//! the sync; plus the resident set just before).

#![allow(missing_docs)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_devtools::test_pki::TestPki;
use courier_protocol::api::{CreateOrderRequest, IssueManifestRequest};
use courier_protocol::enrollment_qr::Profile;
use courier_protocol::manifest::{Address, Recipient};
use courier_protocol::vocabulary::{CodePolicy, ParcelKind};
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::Reads;
use courier_terminal::sync::enrollment::{Enrollment, enroll_with};
use courier_terminal::sync::{SyncConfig, SyncEngine, TlsTrust};
use courier_terminal::terminal::{ContactChannel, DataDir, Terminal};
use escrow_reference_server::faults::Faults;
use escrow_reference_server::{
    AppState, Database, ServerConfig, admin, start, start_tls, system_clock, tls,
};

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
    let plain = rt.block_on(start(state.clone(), "127.0.0.1:0".parse()?))?;
    let pki = TestPki::create(tmp.path(), "bench")?;
    let acceptor = tls::acceptor(&pki.cert_chain, &pki.key)?;
    let https = rt.block_on(start_tls(state.clone(), "127.0.0.1:0".parse()?, acceptor))?;
    let bench = Bench {
        rt: &rt,
        state: &state,
        faults: &faults,
        dir: tmp.path(),
    };
    bench.run("plain HTTP", &plain.url(), "BENCH-1", TlsTrust::SystemRoots)?;
    bench.run(
        "HTTPS",
        &https.url(),
        "BENCH-2",
        TlsTrust::CaFile(pki.ca.clone()),
    )?;
    rt.block_on(plain.stop());
    rt.block_on(https.stop());
    Ok(())
}

/// One server, and what each run needs of it.
struct Bench<'a> {
    rt: &'a tokio::runtime::Runtime,
    state: &'a Arc<AppState>,
    faults: &'a Arc<Faults>,
    dir: &'a Path,
}

impl Bench<'_> {
    /// Enrolls a device at `url`, queues 10,000 events and times their sync.
    fn run(&self, label: &str, url: &str, order_ref: &str, trust: TlsTrust) -> anyhow::Result<()> {
        let (rt, state) = (self.rt, self.state);
        let order = rt.block_on(admin::create_order(
            state.store(),
            &CreateOrderRequest {
                order_ref: order_ref.into(),
                label: format!("L-{order_ref}"),
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
        let dir = DataDir(self.dir.join(order_ref));
        enroll_with(
            &dir,
            &Enrollment {
                server: url,
                token: &token.token,
                hardware_label: "bench",
                profile: Profile::Production,
                expect_fingerprint: None,
                tls: trust.clone(),
            },
        )?;
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
                photos: Default::default(),
            },
            state.now_ms(),
        ))?;
        t.load_manifest(&manifest)?;
        let parcel = format!("L-{order_ref}");
        t.arrive(&parcel)?;
        let recording = Instant::now();
        while t.store().pending_count()? < EVENTS as u64 {
            t.contact(&parcel, ContactChannel::Call)?;
        }
        let recording = recording.elapsed();
        drop(t);

        let rss_before = status_kb("VmRSS:");
        // Reset the peak resident set so it measures the sync alone (Linux >= 4.0).
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let requests_before = self.faults.device_requests();
        let mut engine = SyncEngine::open(
            &dir,
            SyncConfig {
                batch_size: 500,
                tls: trust,
                ..SyncConfig::default()
            },
        )?;
        let started = Instant::now();
        let report =
            rt.block_on(engine.upload_all(true, Instant::now() + Duration::from_secs(120)))?;
        let elapsed = started.elapsed();
        let requests = self.faults.device_requests() - requests_before;
        let peak = status_kb("VmHWM:");
        let stored = rt
            .block_on(state.store().device_events(&report_device(&engine)?))?
            .len();
        assert_eq!(report.pending, 0, "everything synced");
        assert_eq!(stored, EVENTS, "server holds every event");
        println!(
            "sync_10k {label}: {EVENTS} events queued (recorded in {:.1} s)",
            recording.as_secs_f64()
        );
        println!(
            "sync_10k {label}: synced in {:.2} s, {} requests ({} batches, {} accepted), RSS before {} MiB, peak during sync {} MiB",
            elapsed.as_secs_f64(),
            requests,
            report.batches,
            report.accepted,
            rss_before / 1024,
            peak / 1024
        );
        Ok(())
    }
}

fn report_device(engine: &SyncEngine) -> anyhow::Result<String> {
    engine
        .store()
        .identity()?
        .map(|i| i.device_id.to_string())
        .ok_or_else(|| anyhow::anyhow!("no device id"))
}
