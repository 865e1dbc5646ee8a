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
}

/// A throwaway PostgreSQL cluster in a temporary directory.
struct PgCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
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

    fn start(bin: &Path, port: u16) -> anyhow::Result<PgCluster> {
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
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=200 -c shared_buffers=512MB -c wal_buffers=16MB -c checkpoint_timeout=15min -c max_wal_size=4GB -c synchronous_commit=on -c fsync=on",
            self.port,
            self.dir.display()
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

/// CPU ticks of every process named `postgres`.
fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(proc_ticks)
        .sum()
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

/// Syncs one device's day; returns it with its receipts.
async fn sync_day(sh: Arc<Shared>, mut dev: SimDevice) -> anyhow::Result<SimDevice> {
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
            let started = Instant::now();
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
        Engine::Postgres => Some(PgCluster::start(&args.pg_bin, args.port)?),
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
        "escrow-load: {:?}, {} server processes, {} devices x {} events in batches of {}, {} at once{}",
        args.engine,
        args.servers,
        args.devices,
        args.events,
        args.batch,
        args.concurrency,
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

    // The evening sync, measured.
    let load_before = loadavg();
    let ticks_before: Vec<u64> = servers.iter().map(ServerProc::ticks).collect();
    let pg_ticks_before = postgres_ticks();
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
            tasks.push(tokio::spawn(async move {
                let _p = gate.acquire_owned().await?;
                sync_day(sh, dev).await
            }));
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
    let pg_cpu = postgres_ticks().saturating_sub(pg_ticks_before) as f64 / 100.0;
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
    println!("load average before {load_before}, after {load_after}");
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
