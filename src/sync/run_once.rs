//! One sync run, as the `sync` command does it: upload the outbox, download and
//! load the manifest, upload what that recorded. It returns what happened; the
//! command line prints it.

use std::time::{Duration, Instant};

use courier_protocol::manifest::SignedManifest;

use super::backoff::Backoff;
use super::engine::{NotHonouredAnswer, SyncConfig, SyncEngine, SyncError, SyncReport};
use super::tls_trust::TlsTrust;
use crate::storage::Reads;
use crate::terminal::{DataDir, Terminal, TerminalError};

/// How one run goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Server base URL (default: the one given at enrollment).
    pub server: Option<String>,
    /// Give up retrying temporary failures after this long.
    pub deadline: Duration,
    /// Events per upload.
    pub batch_size: u32,
    /// Request timeout.
    pub request_timeout: Duration,
    /// First backoff step, milliseconds.
    pub backoff_base_ms: u64,
    /// Skip the manifest download.
    pub no_manifest: bool,
    /// The authorities the server's certificate must chain to.
    pub tls: TlsTrust,
}

/// What became of the downloaded manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "manifest", rename_all = "snake_case")]
pub enum ManifestResult {
    /// Not asked for, or the server has none.
    None,
    /// The manifest already in force.
    Unchanged {
        /// Its version.
        version: u64,
    },
    /// A newer manifest was loaded.
    Loaded {
        /// Its version.
        version: u64,
    },
    /// Refused; the current one stays in force.
    Refused {
        /// Why.
        reason: String,
    },
}

/// What one run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    /// Upload figures.
    #[serde(flatten)]
    pub upload: UploadFigures,
    /// The manifest.
    pub manifest: ManifestResult,
    /// The photo outbox's run, after the events.
    pub photos: super::photo_upload::PhotoReport,
}

/// The upload's figures.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UploadFigures {
    /// Requests sent.
    pub requests: u32,
    /// Events newly stored by the server.
    pub accepted: u64,
    /// Events the server already held.
    pub duplicate: u64,
    /// Events still waiting.
    pub pending: u64,
    /// Events the server recorded without effect, with its reason.
    pub not_honoured: Vec<NotHonouredAnswer>,
    /// Server checkpoints refused as not of this log.
    pub checkpoints_refused: u64,
}

impl UploadFigures {
    fn add(&mut self, r: &SyncReport) {
        self.requests += r.requests;
        self.accepted += r.accepted;
        self.duplicate += r.duplicate;
        self.pending = r.pending;
        self.not_honoured.extend(r.not_honoured.iter().cloned());
        self.checkpoints_refused += r.checkpoints_refused;
    }
}

/// Runs one sync. `open_terminal` opens the terminal that loads a downloaded
/// manifest (the caller's assembly: same clock and position as its events).
pub fn run_once(
    dir: &DataDir,
    options: &RunOptions,
    open_terminal: impl FnOnce() -> Result<Terminal, RunError>,
) -> Result<RunReport, RunError> {
    let config = SyncConfig {
        server_url: options.server.clone(),
        batch_size: options.batch_size,
        request_timeout: options.request_timeout,
        backoff: Backoff {
            base_ms: options.backoff_base_ms,
            ..Backoff::default()
        },
        tls: options.tls.clone(),
        ..SyncConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError::Runtime(e.to_string()))?;
    let mut engine = SyncEngine::open(dir, config)?;
    let deadline = Instant::now() + options.deadline;
    let mut figures = UploadFigures::default();
    let mut manifest = ManifestResult::None;
    let mut photos = super::photo_upload::PhotoReport::default();
    let outcome = runtime.block_on(async {
        figures.add(&engine.upload_all(true, deadline).await?);
        // Photos travel after the events that name them, in requests of
        // their own: a photo that fails waits with its backoff.
        photos = engine.upload_photos().await?;
        if options.no_manifest {
            return Ok::<_, RunError>(());
        }
        let pulled: Option<SignedManifest> = match engine.pull_manifest().await {
            Err(SyncError::BadManifest(e)) => {
                manifest = ManifestResult::Refused {
                    reason: e.to_string(),
                };
                None
            }
            other => other?,
        };
        if let Some(m) = pulled {
            let mut t = open_terminal()?;
            let version = m.body.version;
            manifest = match t.load_manifest(&m) {
                Ok(c) if c.added.is_empty() && c.updated.is_empty() && c.withdrawn.is_empty() => {
                    ManifestResult::Unchanged { version }
                }
                Ok(_) => ManifestResult::Loaded { version },
                Err(e) => ManifestResult::Refused {
                    reason: e.to_string(),
                },
            };
            drop(t);
            figures.add(&engine.upload_all(false, deadline).await?);
        }
        Ok(())
    });
    match outcome {
        Ok(()) => Ok(RunReport {
            upload: figures,
            manifest,
            photos,
        }),
        Err(RunError::Sync(SyncError::Temporary { error, next_try_ms })) => {
            Err(RunError::Incomplete {
                error: error.to_string(),
                next_try_ms,
                pending: engine.store().pending_count().unwrap_or(0),
            })
        }
        Err(e) => Err(e),
    }
}

/// Why a run stopped short.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A temporary failure: the events stay queued and are retried later.
    #[error(
        "sync incomplete: {error}; {pending} events stay queued, next try at {}",
        crate::local_time::LocalTime::of(.next_try_ms)
    )]
    Incomplete {
        /// What failed.
        error: String,
        /// When the next try is due.
        next_try_ms: i64,
        /// Events still queued.
        pending: u64,
    },
    /// The sync itself failed.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The terminal that loads the manifest failed.
    #[error(transparent)]
    Terminal(#[from] TerminalError),
    /// The terminal that loads the manifest could not be assembled.
    #[error("{0}")]
    Assembly(String),
    /// No async runtime.
    #[error("cannot start the network runtime: {0}")]
    Runtime(String),
}
