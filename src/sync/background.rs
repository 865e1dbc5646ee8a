//! The background sync task: a thread with its own small runtime and its one
//! database connection (the engine's; downloaded manifests are loaded on it), so the doorstep flow never waits for the network.
//!
//! It uploads whenever nudged (a new event) and otherwise when the backoff or
//! the poll interval says so, and downloads the manifest every `manifest_every`.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use courier_protocol::manifest::SignedManifest;
use tokio::sync::{Notify, watch};
use tracing::{info, warn};

use super::engine::{SyncConfig, SyncEngine, SyncError};
use crate::storage::Store;
use crate::terminal::DataDir;

/// Called with each verified downloaded manifest and the sync thread's one
/// connection, which it gives back (load it with `Terminal::load_manifest` on
/// `Terminal::on_lent_connection`).
pub type ManifestSink = Box<dyn Fn(SignedManifest, Store) -> Store + Send>;

/// Timing of the background task.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Longest sleep between passes when nothing happens.
    pub poll: Duration,
    /// How often to download the manifest.
    pub manifest_every: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            poll: Duration::from_secs(60),
            manifest_every: Duration::from_secs(300),
        }
    }
}

/// A running background sync.
pub struct BackgroundSync {
    nudge: Arc<Notify>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl BackgroundSync {
    /// Starts the task.
    pub fn spawn(
        dir: &DataDir,
        config: SyncConfig,
        schedule: Schedule,
        on_manifest: Option<ManifestSink>,
    ) -> Result<BackgroundSync, SyncError> {
        Self::start(
            SyncEngine::open(dir, config.clone())?,
            config,
            schedule,
            on_manifest,
        )
    }

    /// Starts the task on an engine the caller opened.
    pub fn start(
        mut engine: SyncEngine,
        config: SyncConfig,
        schedule: Schedule,
        on_manifest: Option<ManifestSink>,
    ) -> Result<BackgroundSync, SyncError> {
        let nudge = Arc::new(Notify::new());
        let (stop, mut stopped) = watch::channel(false);
        let woken = nudge.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                SyncError::Permanent(super::client::CallError::Local(format!(
                    "cannot start the sync runtime: {e}"
                )))
            })?;
        let thread = std::thread::Builder::new()
            .name("courier-sync".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let mut next_manifest = Instant::now();
                    loop {
                        let deadline = Instant::now() + config.request_timeout * 2;
                        match engine.upload_all(false, deadline).await {
                            Ok(r) if r.requests > 0 => {
                                info!(
                                    accepted = r.accepted,
                                    duplicate = r.duplicate,
                                    pending = r.pending,
                                    "background sync pass"
                                )
                            }
                            Ok(_) => {}
                            Err(e) => warn!(error = %e, "background sync"),
                        }
                        // Photos after the events that name them; a failure
                        // waits with its backoff and blocks nothing.
                        match engine.upload_photos().await {
                            Ok(p) if p != Default::default() => info!(
                                uploaded = p.uploaded,
                                failed = p.failed,
                                deleted = p.deleted,
                                "background photo pass"
                            ),
                            Ok(_) => {}
                            Err(e) => warn!(error = %e, "background photo pass"),
                        }
                        if Instant::now() >= next_manifest {
                            next_manifest = Instant::now() + schedule.manifest_every;
                            match engine.pull_manifest().await {
                                Ok(Some(m)) => {
                                    if let Some(sink) = &on_manifest {
                                        engine = engine.lend_store(|store| sink(m, store));
                                    }
                                }
                                Ok(None) => {}
                                Err(e) => warn!(error = %e, "manifest download"),
                            }
                        }
                        let wait = engine
                            .store()
                            .outbox_head()
                            .ok()
                            .and_then(|h| h.first)
                            .map_or(schedule.poll, |f| {
                                let now = std::time::SystemTime::now()
                                    .duration_since(std::time::UNIX_EPOCH)
                                    .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                                    .unwrap_or(0);
                                Duration::from_millis(
                                    u64::try_from(f.next_try_ms - now).unwrap_or(0),
                                )
                                .min(schedule.poll)
                            });
                        tokio::select! {
                            _ = woken.notified() => {}
                            _ = tokio::time::sleep(wait) => {}
                            _ = stopped.changed() => break,
                        }
                    }
                });
            })
            .map_err(|e| {
                SyncError::Permanent(super::client::CallError::Local(format!(
                    "cannot start the sync thread: {e}"
                )))
            })?;
        Ok(BackgroundSync {
            nudge,
            stop,
            thread: Some(thread),
        })
    }

    /// Asks for a pass now (call after recording an event).
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    /// Stops the task (an upload in flight is abandoned; its events stay queued).
    pub fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
