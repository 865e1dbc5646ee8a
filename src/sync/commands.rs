//! The `enroll` and `sync` commands (wired into `cli.rs`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use courier_protocol::keys::PublicKey;

use super::backoff::Backoff;
use super::client::{ApiClient, SharedSigner, enroll as enroll_call, http_client};
use super::engine::{META_SERVER_URL, SyncConfig, SyncEngine, SyncError};
use super::online_check::{DEFAULT_TIMEOUT, HttpOnlineCheck};
use crate::clock::SystemClock;
use crate::device_key::DeviceKey;
use crate::position_source::PositionSource;
use crate::storage::Store;
use crate::terminal::{self, DataDir, OnlineCodeCheck, Terminal};

/// Exit code of a sync that left events queued after a temporary failure.
pub const EXIT_SYNC_INCOMPLETE: u8 = 4;
/// Exit code of a sync whose downloaded manifest was refused (the current one stays).
pub const EXIT_MANIFEST_REFUSED: u8 = 5;

/// Options of `sync`.
#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// Server base URL (default: the one given at enrollment).
    #[arg(long)]
    pub server: Option<String>,
    /// Only print the pending count and the last success (no network).
    #[arg(long)]
    pub status: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Give up retrying temporary failures after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub deadline_s: u64,
    /// Events per upload.
    #[arg(long, default_value_t = 500, hide = true)]
    pub batch_size: u32,
    /// Request timeout, milliseconds.
    #[arg(long, default_value_t = 15_000, hide = true)]
    pub request_timeout_ms: u64,
    /// First backoff step, milliseconds.
    #[arg(long, default_value_t = 1_000, hide = true)]
    pub backoff_base_ms: u64,
    /// Skip the manifest download.
    #[arg(long)]
    pub no_manifest: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

/// `enroll`: registers this device with a one-time token and pins the server key.
pub fn enroll(dir: &DataDir, server: &str, token: &str, hardware_label: &str) -> Result<u8> {
    let first = terminal::init(dir, None, None)?;
    let http = http_client(Duration::from_secs(15))?;
    let answer = runtime()?
        .block_on(enroll_call(
            &http,
            server,
            token,
            first.public_key,
            hardware_label,
        ))
        .with_context(|| format!("enrollment with {server} failed"))?;
    let report = terminal::init(dir, Some(&answer.device_id), Some(answer.server_public_key))?;
    let store = Store::open(&dir.database())?;
    store.set_meta(META_SERVER_URL, server.trim_end_matches('/'))?;
    store.raise_clock_floor(answer.server_time_ms)?;
    println!("enrolled as   {}", report.device_id);
    println!(
        "device key    {}",
        report.public_key.fingerprint().grouped()
    );
    println!(
        "server key    {} (pinned)",
        answer.server_public_key.fingerprint().grouped()
    );
    Ok(0)
}

/// `sync`: uploads the outbox, downloads and loads the manifest, uploads again.
pub fn sync(dir: &DataDir, position: Arc<dyn PositionSource>, args: &SyncArgs) -> Result<u8> {
    if args.status {
        let s = Store::open(&dir.database())?.sync_status()?;
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "pending": s.pending, "rejected": s.rejected, "last_sync_ms": s.last_sync_ms,
                    "last_error": s.last_error, "next_try_ms": s.next_try_ms, "receipts": s.receipts,
                })
            );
        } else {
            println!("pending       {}", s.pending);
            println!("rejected      {}", s.rejected);
            println!(
                "last sync     {}",
                s.last_sync_ms
                    .map_or("never".into(), |t| format!("{t} (Unix ms)"))
            );
            if let Some(e) = s.last_error {
                println!("last error    {e}");
            }
        }
        return Ok(0);
    }
    let config = SyncConfig {
        server_url: args.server.clone(),
        batch_size: args.batch_size,
        request_timeout: Duration::from_millis(args.request_timeout_ms),
        backoff: Backoff {
            base_ms: args.backoff_base_ms,
            ..Backoff::default()
        },
    };
    let rt = runtime()?;
    let mut engine = SyncEngine::open(dir, config)?;
    let deadline = Instant::now() + Duration::from_secs(args.deadline_s);
    let mut manifest_refused = false;
    let outcome = rt.block_on(async {
        let mut report = engine.upload_all(true, deadline).await?;
        if args.no_manifest {
            return Ok::<_, anyhow::Error>(report);
        }
        let pulled = match engine.pull_manifest().await {
            Err(SyncError::BadManifest(e)) => {
                eprintln!("downloaded manifest refused: {e}; the current manifest stays in force");
                manifest_refused = true;
                None
            }
            other => other?,
        };
        if let Some(m) = pulled {
            let mut t = Terminal::open(dir, Arc::new(SystemClock::new()), position)?;
            match t.load_manifest(&m) {
                Ok(c)
                    if !c.added.is_empty() || !c.updated.is_empty() || !c.withdrawn.is_empty() =>
                {
                    println!("manifest version {} loaded", m.body.version);
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("manifest version {} refused: {e}", m.body.version);
                    manifest_refused = true;
                }
            }
            drop(t);
            let more = engine.upload_all(false, deadline).await?;
            report.requests += more.requests;
            report.batches += more.batches;
            report.accepted += more.accepted;
            report.duplicate += more.duplicate;
            report.pending = more.pending;
        }
        Ok(report)
    });
    match outcome {
        Ok(r) => {
            println!(
                "synced: {} accepted, {} duplicate, {} pending ({} requests)",
                r.accepted, r.duplicate, r.pending, r.requests
            );
            Ok(if manifest_refused {
                EXIT_MANIFEST_REFUSED
            } else {
                0
            })
        }
        Err(e) => match e.downcast::<SyncError>() {
            Ok(SyncError::Temporary { error, next_try_ms }) => {
                let pending = engine.store().pending_count()?;
                eprintln!(
                    "sync incomplete: {error}; {pending} events stay queued, next try at {next_try_ms} (Unix ms)"
                );
                Ok(EXIT_SYNC_INCOMPLETE)
            }
            Ok(other) => Err(other.into()),
            Err(other) => Err(other),
        },
    }
}

/// The online code check for `deliver`, when the device is enrolled.
pub fn online_checker(dir: &DataDir) -> Result<Option<Arc<dyn OnlineCodeCheck>>> {
    let store = Store::open(&dir.database())?;
    let (Some(url), Some(key_hex), Some(device_id)) = (
        store.meta(META_SERVER_URL)?,
        store.meta("server_public_key")?,
        store.meta("device_id")?,
    ) else {
        return Ok(None);
    };
    let server_key = PublicKey::from_hex(&key_hex)?;
    let key = DeviceKey::load(&dir.key())?;
    let signer: SharedSigner = Arc::new(key);
    let client = ApiClient::new(http_client(DEFAULT_TIMEOUT)?, &url, &device_id, signer);
    let check = HttpOnlineCheck::new(client, server_key, &device_id, DEFAULT_TIMEOUT)?;
    Ok(Some(Arc::new(check)))
}

/// Starts background sync for the app when the device is enrolled (`None` otherwise).
///
/// Downloaded manifests are loaded through their own [`Terminal`] on the sync
/// thread; the app's terminal sees them at its next event (WAL, one writer at a time).
pub fn start_background(
    dir: &DataDir,
    position: Arc<dyn PositionSource>,
    schedule: super::background::Schedule,
) -> Result<Option<super::background::BackgroundSync>> {
    if Store::open(&dir.database())?
        .meta(META_SERVER_URL)?
        .is_none()
    {
        return Ok(None);
    }
    let loader =
        std::sync::Mutex::new(Terminal::open(dir, Arc::new(SystemClock::new()), position)?);
    let sink: super::background::ManifestSink = Box::new(move |manifest| {
        let mut t = loader.lock().unwrap_or_else(|e| e.into_inner());
        match t.load_manifest(&manifest) {
            Ok(c) => tracing::info!(
                version = manifest.body.version,
                added = c.added.len(),
                withdrawn = c.withdrawn.len(),
                "manifest loaded"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "downloaded manifest refused; the current one stays")
            }
        }
    });
    let sync =
        super::background::BackgroundSync::spawn(dir, SyncConfig::default(), schedule, Some(sink))?;
    Ok(Some(sync))
}
