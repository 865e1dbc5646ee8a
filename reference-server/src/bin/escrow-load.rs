//! `escrow-load`: the reference server under a carrier's evening, on loopback.
//!
//! Starts a throwaway PostgreSQL cluster (or a SQLite file), two (or more)
//! `escrow-server` processes on it, enrolls N simulated devices through the
//! admin and device API, then lets them sync a day of signed events each in
//! batches, C devices at a time, alternating servers, retrying on any failure
//! as a terminal does. With `--chaos` one server process is SIGKILLed and
//! restarted mid-run and PostgreSQL is restarted once. At the end it checks
//! that the database holds every event exactly once, that every device's chain
//! verifies, and that every device holds a verified receipt for every event.
//! It prints events/s, p50/p99 per batch, CPU and memory of the server
//! processes (from /proc) and the load average. Bounded by `--max-seconds`.
//!
//! Before the sync it measures, on this machine and in the same run, the
//! floor of ingest: what a server cannot avoid per event (the body's
//! canonical bytes and their hash, one strict Ed25519 verification) and per
//! batch (one durable commit on the same PostgreSQL cluster); after it, the
//! CPU the servers and PostgreSQL spent per event, beside that floor.
//!
//! With `--arrival-rate EVENTS_PER_S` the load is open-loop: devices arrive
//! one after another at that rate in events (as at the evening peak, each
//! syncing its day as soon as it arrives, whatever is still in flight), and
//! p50/p99 per batch count from the device's arrival for its first batch.

use std::collections::HashSet;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use courier_protocol::api::{
    CreateOrderRequest, CreateOrderResponse, EnrollRequest, EnrollResponse,
    EnrollmentTokenResponse, EventBatch, EventStatus, EventsResponse, IssueManifestRequest,
};
use courier_protocol::envelope::{
    ChainTip, ClockStamp, EVENT_SCHEMA, EventBody, GENESIS_PREV_HASH, PositionRecord, SignedEvent,
    verify_chain,
};
use courier_protocol::keys::{PublicKey, Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::manifest::{Address, Recipient};
use courier_protocol::request_signing::sign_request;
use courier_protocol::vocabulary::{CodePolicy, EventKind, ParcelKind};
use escrow_reference_server::storage::open::open_storage;
use escrow_reference_server::{Database, system_clock};
use ring::signature::Ed25519KeyPair;
use tokio::sync::Semaphore;

const ADMIN: &str = "load-admin";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Engine {
    Postgres,
    Sqlite,
}

/// Load test of the reference escrow server (loopback only).
#[derive(Parser, Debug, Clone)]
struct Args {
    /// Storage engine under test.
    #[arg(long, value_enum, default_value = "postgres")]
    engine: Engine,
    /// Simulated devices in total.
    #[arg(long, default_value_t = 5000)]
    devices: usize,
    /// Devices syncing at the same time.
    #[arg(long, default_value_t = 500)]
    concurrency: usize,
    /// Signed events per device (a day).
    #[arg(long, default_value_t = 150)]
    events: u64,
    /// Events per upload batch.
    #[arg(long, default_value_t = 50)]
    batch: u64,
    /// Server processes on the one database.
    #[arg(long, default_value_t = 2)]
    servers: usize,
    /// SIGKILL and restart one server mid-run, and restart PostgreSQL once.
    #[arg(long)]
    chaos: bool,
    /// Give up (and fail) after this long.
    #[arg(long, default_value_t = 1500)]
    max_seconds: u64,
    /// The escrow-server binary (default: beside this one).
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// PostgreSQL server binaries (initdb, pg_ctl).
    #[arg(long, default_value = "/usr/lib/postgresql/15/bin")]
    pg_bin: PathBuf,
    /// First loopback port (PostgreSQL on it, servers after it).
    #[arg(long, default_value_t = 56000)]
    port: u16,
    /// Open loop: devices arrive at this rate, in events per second (each
    /// syncs its day on arrival; `--concurrency` no longer applies).
    #[arg(long)]
    arrival_rate: Option<f64>,
    /// Load `pg_stat_statements` and print the statements that took most
    /// of PostgreSQL's time during the sync (the database's profile).
    #[arg(long)]
    pg_statements: bool,
}

/// A throwaway PostgreSQL cluster in a temporary directory.
struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
    /// More `-c` settings (e.g. `shared_preload_libraries`).
    extra: String,
}

impl PgCluster {
    fn cmd(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn start(bin: &Path, port: u16, extra: &str) -> anyhow::Result<PgCluster> {
        let dir = std::env::temp_dir().join(format!("escrow-load-pg-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let as_postgres = rustix_is_root();
        if as_postgres {
            let ok = Command::new("chown").arg("postgres").arg(&dir).status()?;
            if !ok.success() {
                bail!("cannot give {} to the postgres user", dir.display());
            }
        }
        let pg = PgCluster {
            dir,
            bin: bin.to_owned(),
            port,
            as_postgres,
            extra: extra.to_owned(),
        };
        let data = pg.dir.join("data");
        run(pg.cmd("initdb").arg("-D").arg(&data).args([
            "-U",
            "escrow",
            "--auth=trust",
            "-E",
            "UTF8",
        ]))?;
        pg.pg_ctl("start")?;
        Ok(pg)
    }

    fn pg_ctl(&self, action: &str) -> anyhow::Result<()> {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=200 -c shared_buffers=512MB -c wal_buffers=16MB -c checkpoint_timeout=15min -c max_wal_size=4GB -c synchronous_commit=on -c fsync=on {}",
            self.port,
            self.dir.display(),
            self.extra
        );
        run(self
            .cmd("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(["-w", "-m", "fast", "-o", &opts, action]))
    }

    fn url(&self) -> String {
        format!("postgres://escrow@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl("stop");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rustix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let out = cmd
        .stdout(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// One `escrow-server serve` process.
struct ServerProc {
    child: Child,
    addr: SocketAddr,
    bin: PathBuf,
    db: String,
    /// CPU ticks of earlier incarnations (killed ones).
    ticks_before: u64,
    peak_kib: u64,
}

impl ServerProc {
    fn start_child(bin: &Path, db: &str, addr: SocketAddr) -> anyhow::Result<Child> {
        Command::new(bin)
            .args(["--db", db, "serve", "--listen", &addr.to_string()])
            .args(["--admin-token", ADMIN])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))
    }

    fn spawn(bin: &Path, db: &str, addr: SocketAddr) -> anyhow::Result<ServerProc> {
        let child = ServerProc::start_child(bin, db, addr)?;
        let p = ServerProc {
            child,
            addr,
            bin: bin.to_owned(),
            db: db.to_owned(),
            ticks_before: 0,
            peak_kib: 0,
        };
        p.wait_ready()?;
        Ok(p)
    }

    fn wait_ready(&self) -> anyhow::Result<()> {
        let until = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(self.addr).is_err() {
            if Instant::now() > until {
                bail!("server on {} did not start", self.addr);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn ticks(&self) -> u64 {
        proc_ticks(self.child.id()).unwrap_or(0) + self.ticks_before
    }

    fn kib(&self, field: &str) -> u64 {
        proc_status_kib(self.child.id(), field).unwrap_or(0)
    }

    /// SIGKILL, then the same command again on the same port.
    fn kill_and_restart(&mut self) -> anyhow::Result<()> {
        self.ticks_before += proc_ticks(self.child.id()).unwrap_or(0);
        self.peak_kib = self.peak_kib.max(self.kib("VmHWM:"));
        self.child.kill()?;
        self.child.wait()?;
        self.child = ServerProc::start_child(&self.bin, &self.db, self.addr)?;
        self.wait_ready()
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proc_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat: 12 and 13 after "pid (comm) ".
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Without `events`: creates and resets `pg_stat_statements`. With them:
/// prints the statements that took most of the time since, per event.
async fn pg_statements(pg: &PgCluster, events: Option<u64>) -> anyhow::Result<()> {
    let (client, conn) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls).await?;
    let conn = tokio::spawn(conn);
    match events {
        None => {
            client
                .batch_execute(
                    "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()",
                )
                .await?
        }
        Some(events) => {
            let rows = client
                .query(
                    "SELECT calls, total_exec_time, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110)
                     FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25",
                    &[],
                )
                .await?;
            let all: f64 = client
                .query_one("SELECT sum(total_exec_time) FROM pg_stat_statements", &[])
                .await?
                .get(0);
            println!(
                "pg_stat_statements: {:.1} us of execution per event in all; the top statements:",
                all * 1000.0 / events.max(1) as f64
            );
            for r in rows {
                let calls: i64 = r.get(0);
                let total_ms: f64 = r.get(1);
                println!(
                    "  {:>6.1} us/event {:>7.1} us/call {:>8} calls  {}",
                    total_ms * 1000.0 / events.max(1) as f64,
                    total_ms * 1000.0 / calls.max(1) as f64,
                    calls,
                    r.get::<_, String>(3)
                );
            }
        }
    }
    drop(client);
    let _ = conn.await;
    Ok(())
}

/// The parent's pid from `/proc/PID/stat`.
fn proc_ppid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The processes of this run's cluster: its postmaster (`postmaster.pid`)
/// and its children (backends, writers), not other clusters on the machine.
fn cluster_pids(pg: &PgCluster) -> Vec<u32> {
    let Some(master) = std::fs::read_to_string(pg.dir.join("data").join("postmaster.pid"))
        .ok()
        .and_then(|s| s.lines().next()?.trim().parse::<u32>().ok())
    else {
        return Vec::new();
    };
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![master];
    };
    let mut pids: Vec<u32> = dir
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| proc_ppid(*pid) == Some(master))
        .collect();
    pids.push(master);
    pids
}

/// CPU ticks of this run's PostgreSQL processes.
fn postgres_ticks(pg: Option<&PgCluster>) -> u64 {
    pg.map_or(0, |pg| {
        cluster_pids(pg).into_iter().filter_map(proc_ticks).sum()
    })
}

/// CPU nanoseconds of this run's PostgreSQL processes (`schedstat`: each
/// PostgreSQL process has one thread).
fn postgres_cpu_ns(pg: &PgCluster) -> u64 {
    cluster_pids(pg)
        .into_iter()
        .filter_map(|pid| schedstat_ns(&format!("/proc/{pid}/schedstat")))
        .sum()
}

/// The first field of a `schedstat` file: nanoseconds on a CPU.
fn schedstat_ns(path: &str) -> Option<u64> {
    std::fs::read_to_string(path)
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU nanoseconds of the calling thread.
fn thread_cpu_ns() -> u64 {
    schedstat_ns("/proc/thread-self/schedstat").unwrap_or(0)
}

/// What ingest cannot avoid, measured on this machine in this run.
struct Floor {
    /// CPU per event: the body's canonical bytes and their SHA-256.
    canonical_us: f64,
    /// CPU per event: one strict Ed25519 verification (key checked once).
    verify_us: f64,
    /// PostgreSQL CPU per durable commit of one row.
    commit_cpu_us: f64,
    /// Wall time per durable commit, one after another.
    commit_wall_us: f64,
}

impl Floor {
    /// CPU per event, a commit shared by a batch of `batch` events.
    fn per_event_us(&self, batch: u64) -> f64 {
        self.canonical_us + self.verify_us + self.commit_cpu_us / batch as f64
    }
}

/// Events signed by a throwaway device, for the floor.
fn floor_events(n: usize) -> anyhow::Result<(Vec<SignedEvent>, PublicKey)> {
    let key = keypair_from_pkcs8(&generate_pkcs8()?)?;
    let public = Signer::public_key(&key);
    let mut dev = SimDevice {
        index: 0,
        id: "dev-floor".into(),
        key,
        parcel_id: "P-FLOOR".into(),
        seq: 0,
        prev: GENESIS_PREV_HASH.into(),
        nonce: 0,
        day_start_ms: 1_780_000_000_000,
        receipted: HashSet::new(),
    };
    let events = (0..n).map(|_| dev.next()).collect::<anyhow::Result<_>>()?;
    Ok((events, public))
}

/// The per-event floor: canonical bytes and hash, then verification, each
/// timed on one thread's CPU clock.
fn measure_event_floor(n: usize) -> anyhow::Result<(f64, f64)> {
    let (events, public) = floor_events(n)?;
    std::thread::spawn(move || -> anyhow::Result<(f64, f64)> {
        let key = public.strong()?;
        let t0 = thread_cpu_ns();
        let mut bytes = Vec::with_capacity(events.len());
        for e in &events {
            let b = e.body.canonical_bytes()?;
            if hex::encode(courier_protocol::keys::sha256(&b)) != e.hash {
                bail!("floor: hash mismatch");
            }
            bytes.push(b);
        }
        let t1 = thread_cpu_ns();
        for (e, b) in events.iter().zip(&bytes) {
            let sig = hex::decode(&e.signature)?;
            key.verify(b, &sig, "event")?;
        }
        let t2 = thread_cpu_ns();
        let per = |ns: u64| ns as f64 / 1000.0 / events.len() as f64;
        Ok((per(t1 - t0), per(t2 - t1)))
    })
    .join()
    .map_err(|_| anyhow::anyhow!("floor thread panicked"))?
}

/// The per-batch floor: `n` durable commits of one row each, one after
/// another on one connection, on this run's cluster (`fsync` and
/// `synchronous_commit` on): PostgreSQL's CPU and the wall time per commit.
async fn measure_commit_floor(pg: &PgCluster, n: u32) -> anyhow::Result<(f64, f64)> {
    let (client, conn) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls).await?;
    let conn = tokio::spawn(conn);
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS load_floor (n BIGINT NOT NULL)")
        .await?;
    let insert = client
        .prepare("INSERT INTO load_floor(n) VALUES ($1)")
        .await?;
    let cpu0 = postgres_cpu_ns(pg);
    let t0 = Instant::now();
    for i in 0..n {
        client.execute(&insert, &[&i64::from(i)]).await?;
    }
    let wall = t0.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    let cpu = postgres_cpu_ns(pg).saturating_sub(cpu0) as f64 / 1000.0 / f64::from(n);
    client.batch_execute("DROP TABLE load_floor").await?;
    drop(client);
    let _ = conn.await;
    Ok((cpu, wall))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// One simulated terminal.
struct SimDevice {
    index: usize,
    id: String,
    key: Ed25519KeyPair,
    parcel_id: String,
    seq: u64,
    prev: String,
    nonce: u64,
    day_start_ms: i64,
    receipted: HashSet<String>,
}

impl SimDevice {
    fn next(&mut self) -> anyhow::Result<SignedEvent> {
        let seq = self.seq + 1;
        let (kind, parcel) = match seq {
            1 => (EventKind::ManifestAccepted, None),
            2 => (EventKind::Arrived, Some(self.parcel_id.clone())),
            _ => (EventKind::ContactAttempt, Some(self.parcel_id.clone())),
        };
        let mut detail = std::collections::BTreeMap::new();
        if kind == EventKind::ContactAttempt {
            detail.insert("channel".to_owned(), "call".to_owned());
        }
        let at = self.day_start_ms + i64::try_from(seq).unwrap_or(0) * 180_000;
        let body = EventBody {
            handover: Default::default(),
            schema: EVENT_SCHEMA.into(),
            event_id: uuid::Uuid::now_v7().to_string(),
            device_id: self.id.clone(),
            seq,
            prev_hash: self.prev.clone(),
            kind,
            parcel_id: parcel,
            order_ref: None,
            outcome: None,
            reason: None,
            liability: None,
            verification: None,
            code_proof: None,
            inspection_offered: None,
            corrects: None,
            detail,
            position: PositionRecord::none(),
            clock: ClockStamp {
                device_utc_ms: at,
                monotonic_ms: i64::try_from(seq).unwrap_or(0) * 180_000,
                boot_id: "load".into(),
            },
            gnss_utc_ms: None,
            manifest_version: Some(1),
            app_version: "escrow-load".into(),
            supervisor: None,
            day: None,
            load: None,
            photos: Vec::new(),
        };
        let e = SignedEvent::seal(body, &self.key).context("seal")?;
        self.seq = seq;
        self.prev = e.hash.clone();
        Ok(e)
    }
}

#[derive(Default)]
struct Stats {
    /// Devices syncing now, and the most at once (open loop).
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    accepted: AtomicU64,
    duplicates: AtomicU64,
    retries: AtomicU64,
    batches: AtomicU64,
    latencies_us: Mutex<Vec<u64>>,
}

struct Shared {
    http: reqwest::Client,
    urls: Vec<String>,
    server_key: Mutex<Option<PublicKey>>,
    stats: Stats,
    deadline: Instant,
    args: Args,
}

async fn admin_post<T: serde::Serialize, R: serde::de::DeserializeOwned>(
    sh: &Shared,
    url: &str,
    path: &str,
    body: &T,
) -> anyhow::Result<R> {
    loop {
        let r = sh
            .http
            .post(format!("{url}{path}"))
            .bearer_auth(ADMIN)
            .json(body)
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => return Ok(r.json().await?),
            Ok(r) if r.status().is_server_error() => {}
            Ok(r) => bail!("{path}: {} {}", r.status(), r.text().await?),
            Err(_) => {}
        }
        if Instant::now() > sh.deadline {
            bail!("{path}: no answer before the deadline");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn setup_device(sh: &Shared, index: usize, day_start_ms: i64) -> anyhow::Result<SimDevice> {
    let url = &sh.urls[index % sh.urls.len()];
    let token: EnrollmentTokenResponse = admin_post(
        sh,
        url,
        "/v1/admin/enrollment-tokens",
        &serde_json::json!({}),
    )
    .await?;
    let key = keypair_from_pkcs8(&generate_pkcs8()?)?;
    let enrolled: EnrollResponse = sh
        .http
        .post(format!("{url}/v1/enroll"))
        .json(&EnrollRequest {
            token: token.token,
            device_public_key: Signer::public_key(&key),
            hardware_label: "load".into(),
        })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    *sh.server_key.lock().unwrap_or_else(|e| e.into_inner()) = Some(enrolled.server_public_key);
    let order_ref = format!("LOAD-{index}");
    let order: CreateOrderResponse = admin_post(
        sh,
        url,
        "/v1/admin/orders",
        &CreateOrderRequest {
            order_parcels: Default::default(),
            order_ref: order_ref.clone(),
            label: format!("L-{order_ref}"),
            kind: ParcelKind::Delivery,
            policy: CodePolicy::OfflineAllowed,
            recipient: Recipient {
                name: "Buyer".into(),
                phone: "+1".into(),
            },
            address: Address {
                text: "1 Street".into(),
                city: "City".into(),
                lat_e7: None,
                lon_e7: None,
            },
            amount_minor: 1000,
            currency: "EUR".into(),
            collect: None,
            digits: None,
            iterations: Some(1),
            attempt_limit: None,
            demo_secret: None,
        },
    )
    .await?;
    let _: serde_json::Value = admin_post(
        sh,
        url,
        "/v1/admin/manifests",
        &IssueManifestRequest {
            device_id: enrolled.device_id.clone(),
            parcel_ids: vec![order.parcel_id.clone()],
            withdrawn: vec![],
            depot: format!("Depot-{}", index % 20),
            valid_for_ms: 24 * 3_600_000,
            load_check: false,
            desks: Default::default(),
            photos: Default::default(),
        },
    )
    .await?;
    Ok(SimDevice {
        index,
        id: enrolled.device_id,
        key,
        parcel_id: order.parcel_id,
        seq: 0,
        prev: GENESIS_PREV_HASH.into(),
        nonce: 0,
        day_start_ms,
        receipted: HashSet::new(),
    })
}

/// Syncs one device's day; returns it with its receipts. With `arrival`
/// (open loop), the first batch's latency counts from it.
async fn sync_day(
    sh: Arc<Shared>,
    mut dev: SimDevice,
    mut arrival: Option<Instant>,
) -> anyhow::Result<SimDevice> {
    let total = sh.args.events;
    let server_key = sh
        .server_key
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .context("no server key")?;
    let mut k = 0usize;
    while dev.seq < total {
        let n = sh.args.batch.min(total - dev.seq);
        let events = (0..n)
            .map(|_| dev.next())
            .collect::<anyhow::Result<Vec<_>>>()?;
        let body = serde_json::to_vec(&EventBatch { events })?;
        let mut attempt = 0usize;
        loop {
            if Instant::now() > sh.deadline {
                bail!("device {} not done before the deadline", dev.index);
            }
            let url = &sh.urls[(dev.index + k + attempt) % sh.urls.len()];
            dev.nonce += 1;
            let mut nonce = [0u8; 16];
            nonce[..8].copy_from_slice(&dev.nonce.to_le_bytes());
            let now = (system_clock())();
            let auth = sign_request(&dev.key, &dev.id, "POST", "/v1/events", &body, now, nonce);
            let started = arrival.take().unwrap_or_else(Instant::now);
            let answer = sh
                .http
                .post(format!("{url}/v1/events"))
                .header("x-device-id", &auth.device_id)
                .header("x-timestamp", auth.timestamp_ms.to_string())
                .header("x-nonce", &auth.nonce)
                .header("x-signature", &auth.signature)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            let ok = match answer {
                Ok(r) if r.status().is_success() => r.json::<EventsResponse>().await.ok(),
                Ok(r) if r.status().is_client_error() => {
                    bail!(
                        "device {}: {} {}",
                        dev.index,
                        r.status(),
                        r.text().await.unwrap_or_default()
                    )
                }
                _ => None,
            };
            let Some(resp) = ok else {
                sh.stats.retries.fetch_add(1, Ordering::Relaxed);
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let elapsed = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            let receipt = resp
                .receipt
                .verify(&server_key)
                .map_err(|e| anyhow::anyhow!("receipt does not verify: {e}"))?;
            for r in &receipt.results {
                match r.status {
                    EventStatus::Accepted | EventStatus::Pending => {
                        sh.stats.accepted.fetch_add(1, Ordering::Relaxed);
                    }
                    EventStatus::Duplicate => {
                        sh.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                    }
                    EventStatus::Rejected | EventStatus::NotHonoured => {
                        bail!(
                            "device {}: event {} {:?}: {:?}",
                            dev.index,
                            r.seq,
                            r.status,
                            r.reason
                        )
                    }
                }
                dev.receipted.insert(r.event_id.clone());
            }
            sh.stats.batches.fetch_add(1, Ordering::Relaxed);
            sh.stats
                .latencies_us
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(elapsed);
            break;
        }
        k += 1;
    }
    Ok(dev)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.devices == 0 || args.events < 3 || args.batch == 0 || args.servers == 0 {
        bail!("--devices, --servers and --batch must be positive and --events at least 3");
    }
    let server_bin = match &args.server_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("no directory")?
            .join("escrow-server"),
    };
    let tmp = tempfile::tempdir()?;
    let pg = match args.engine {
        Engine::Postgres => Some(PgCluster::start(
            &args.pg_bin,
            args.port,
            if args.pg_statements {
                "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
            } else {
                ""
            },
        )?),
        Engine::Sqlite => None,
    };
    let db = match &pg {
        Some(pg) => pg.url(),
        None => tmp.path().join("server.sqlite").display().to_string(),
    };
    let mut servers = Vec::new();
    for i in 0..args.servers {
        let port = args.port + 1 + u16::try_from(i)?;
        servers.push(ServerProc::spawn(
            &server_bin,
            &db,
            SocketAddr::from(([127, 0, 0, 1], port)),
        )?);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let deadline = Instant::now() + Duration::from_secs(args.max_seconds);
    let shared = Arc::new(Shared {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(args.concurrency)
            .timeout(Duration::from_secs(60))
            .build()?,
        urls: servers
            .iter()
            .map(|s| format!("http://{}", s.addr))
            .collect(),
        server_key: Mutex::new(None),
        stats: Stats::default(),
        deadline,
        args: args.clone(),
    });
    println!(
        "escrow-load: {:?}, {} server processes, {} devices x {} events in batches of {}, {}{}",
        args.engine,
        args.servers,
        args.devices,
        args.events,
        args.batch,
        match args.arrival_rate {
            Some(r) => format!(
                "open loop: devices arriving at {r:.0} events/s (one every {:.1} ms)",
                args.events as f64 / r * 1000.0
            ),
            None => format!("{} at once", args.concurrency),
        },
        if args.chaos {
            ", chaos (SIGKILL + restart of server 1, PostgreSQL restart)"
        } else {
            ""
        }
    );

    // Enrollment, orders and manifests: not measured.
    let setup = Instant::now();
    let day_start_ms = (system_clock())() - 10 * 3_600_000;
    let devices: Vec<SimDevice> = rt.block_on(async {
        let gate = Arc::new(Semaphore::new(64));
        let mut tasks = Vec::new();
        for i in 0..args.devices {
            let sh = shared.clone();
            let gate = gate.clone();
            tasks.push(tokio::spawn(async move {
                let _p = gate.acquire_owned().await?;
                setup_device(&sh, i, day_start_ms).await
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await??);
        }
        anyhow::Ok(out)
    })?;
    println!(
        "setup: {} devices enrolled with an order and a manifest in {:.1} s",
        devices.len(),
        setup.elapsed().as_secs_f64()
    );

    // The floor, on this machine now: per event, then per commit.
    let (canonical_us, verify_us) = measure_event_floor(2000)?;
    let (commit_cpu_us, commit_wall_us) = match &pg {
        Some(pg) => rt.block_on(measure_commit_floor(pg, 500))?,
        None => (0.0, 0.0),
    };
    let floor = Floor {
        canonical_us,
        verify_us,
        commit_cpu_us,
        commit_wall_us,
    };
    println!(
        "floor: canonical bytes + SHA-256 {:.1} us/event, strict Ed25519 verification {:.1} us/event (CPU of one thread); durable commit {:.0} us PostgreSQL CPU, {:.0} us wall (500 one-row commits in a row) = {:.1} us/event in batches of {}; floor {:.1} us CPU/event",
        floor.canonical_us,
        floor.verify_us,
        floor.commit_cpu_us,
        floor.commit_wall_us,
        floor.commit_cpu_us / args.batch as f64,
        args.batch,
        floor.per_event_us(args.batch)
    );

    if let (Some(pg), true) = (&pg, args.pg_statements) {
        rt.block_on(pg_statements(pg, None))?;
    }

    // The evening sync, measured.
    let load_before = loadavg();
    let ticks_before: Vec<u64> = servers.iter().map(ServerProc::ticks).collect();
    let pg_ticks_before = postgres_ticks(pg.as_ref());
    let own_ticks_before = proc_ticks(std::process::id()).unwrap_or(0);
    let started = Instant::now();
    let expected = args.devices as u64 * args.events;
    let chaos_log = Arc::new(Mutex::new(Vec::<String>::new()));
    let finished: Vec<SimDevice> = rt.block_on(async {
        let gate = Arc::new(Semaphore::new(args.concurrency));
        let mut tasks = Vec::new();
        for dev in devices {
            let sh = shared.clone();
            let gate = gate.clone();
            match args.arrival_rate {
                Some(rate) => {
                    let at = started
                        + Duration::from_secs_f64(dev.index as f64 * args.events as f64 / rate);
                    tasks.push(tokio::spawn(async move {
                        tokio::time::sleep_until(at.into()).await;
                        let now = sh.stats.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
                        sh.stats.max_in_flight.fetch_max(now, Ordering::Relaxed);
                        let done = sync_day(sh.clone(), dev, Some(at)).await;
                        sh.stats.in_flight.fetch_sub(1, Ordering::Relaxed);
                        done
                    }));
                }
                None => tasks.push(tokio::spawn(async move {
                    let _p = gate.acquire_owned().await?;
                    sync_day(sh, dev, None).await
                })),
            }
        }
        if args.chaos {
            let sh = shared.clone();
            let log = chaos_log.clone();
            let mut first = servers.remove(0);
            let pg_ref = pg.as_ref();
            let wait_for = |fraction: f64| {
                let sh = sh.clone();
                async move {
                    while (sh.stats.accepted.load(Ordering::Relaxed) as f64)
                        < expected as f64 * fraction
                    {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            };
            wait_for(0.3).await;
            let at = started.elapsed().as_secs_f64();
            first.kill_and_restart()?;
            log.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                "t={at:.1}s server 1 SIGKILLed, restarted after {:.1} s",
                started.elapsed().as_secs_f64() - at
            ));
            if let Some(pg) = pg_ref {
                wait_for(0.6).await;
                let at = started.elapsed().as_secs_f64();
                pg.pg_ctl("restart")?;
                log.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                    "t={at:.1}s PostgreSQL restarted (fast shutdown), back after {:.1} s",
                    started.elapsed().as_secs_f64() - at
                ));
            }
            servers.insert(0, first);
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await??);
        }
        anyhow::Ok(out)
    })?;
    let elapsed = started.elapsed().as_secs_f64();
    let load_after = loadavg();
    let cpu: Vec<f64> = servers
        .iter()
        .zip(&ticks_before)
        .map(|(s, b)| (s.ticks().saturating_sub(*b)) as f64 / 100.0)
        .collect();
    let pg_cpu = postgres_ticks(pg.as_ref()).saturating_sub(pg_ticks_before) as f64 / 100.0;
    let mem: Vec<(u64, u64)> = servers
        .iter()
        .map(|s| {
            (
                s.kib("VmRSS:") / 1024,
                s.kib("VmHWM:").max(s.peak_kib) / 1024,
            )
        })
        .collect();
    let stats = &shared.stats;
    let max_in_flight = stats.max_in_flight.load(Ordering::Relaxed);
    let mut lat = stats
        .latencies_us
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    lat.sort_unstable();
    let accepted = stats.accepted.load(Ordering::Relaxed);
    println!(
        "sync: {accepted} events accepted ({} answered duplicate after a lost answer) in {elapsed:.1} s = {:.0} events/s; {} batches, p50 {:.1} ms, p99 {:.1} ms per batch; {} retried requests",
        stats.duplicates.load(Ordering::Relaxed),
        accepted as f64 / elapsed,
        stats.batches.load(Ordering::Relaxed),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        stats.retries.load(Ordering::Relaxed),
    );
    for (i, (c, (rss, peak))) in cpu.iter().zip(&mem).enumerate() {
        println!(
            "server {}: CPU {c:.1} s ({:.0}% of one core), RSS {rss} MiB at the end, peak {peak} MiB",
            i + 1,
            c / elapsed * 100.0
        );
    }
    if pg.is_some() && !args.chaos {
        println!(
            "postgres processes: CPU {pg_cpu:.1} s ({:.0}% of one core)",
            pg_cpu / elapsed * 100.0
        );
    }
    let own = proc_ticks(std::process::id())
        .unwrap_or(0)
        .saturating_sub(own_ticks_before) as f64
        / 100.0;
    println!(
        "devices (this process: signing, JSON, receipts): CPU {own:.1} s ({:.0}% of one core)",
        own / elapsed * 100.0
    );
    if args.arrival_rate.is_some() {
        println!("open loop: at most {max_in_flight} devices syncing at once");
    }
    if accepted > 0 && (pg.is_none() || !args.chaos) {
        let servers_cpu: f64 = cpu.iter().sum();
        let per_event = (servers_cpu + pg_cpu) * 1e6 / accepted as f64;
        let floor_us = floor.per_event_us(args.batch);
        println!(
            "per event: servers {:.1} us + PostgreSQL {:.1} us = {per_event:.1} us CPU ({:.0} events/s on 2 cores at this cost); floor {floor_us:.1} us, everything else {:.1} us; devices' signing apart: {:.1} us",
            servers_cpu * 1e6 / accepted as f64,
            pg_cpu * 1e6 / accepted as f64,
            2e6 / per_event,
            per_event - floor_us,
            own * 1e6 / accepted as f64,
        );
    }
    println!("load average before {load_before}, after {load_after}");
    if let (Some(pg), true) = (&pg, args.pg_statements) {
        rt.block_on(pg_statements(pg, Some(accepted)))?;
    }
    for line in chaos_log.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        println!("chaos: {line}");
    }

    // Exactly once, chains verify, receipts for everything.
    drop(servers);
    let check = Instant::now();
    let database = Database::parse(&db);
    rt.block_on(async {
        let store = open_storage(&database).await?;
        let (rows, distinct) = store.event_counts().await?;
        let mut receipts_missing = 0u64;
        for dev in &finished {
            let events = store.device_events(&dev.id).await?;
            if events.len() as u64 != args.events {
                bail!("device {} holds {} events on the server", dev.id, events.len());
            }
            verify_chain(&events, &Signer::public_key(&dev.key), ChainTip::genesis())
                .with_context(|| format!("chain of {}", dev.id))?;
            receipts_missing += args.events.saturating_sub(dev.receipted.len() as u64);
        }
        println!(
            "check: {rows} event rows, {distinct} distinct ids, {expected} expected: lost {}, duplicated {}; {} chains verify; receipts missing {receipts_missing} ({:.1} s)",
            expected.saturating_sub(distinct),
            rows - distinct,
            finished.len(),
            check.elapsed().as_secs_f64()
        );
        if rows != expected || distinct != expected || receipts_missing != 0 {
            bail!("the database does not hold every event exactly once");
        }
        anyhow::Ok(())
    })?;
    drop(pg);
    Ok(())
}
