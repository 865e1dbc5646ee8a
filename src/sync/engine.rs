//! The sync engine: uploads the outbox in seq order and in batches, keeps the
//! server's signed receipts, backs off on temporary failures (persisted in the
//! outbox) and stops on permanent ones. It uses its own SQLite connection and
//! holds the write lock only to store a receipt, so the doorstep flow never waits.

use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_protocol::api::{DeviceReport, EventStatus, EventsResponse, RejectReason};
use courier_protocol::checkpoint::check_own_checkpoint;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::keys::PublicKey;
use courier_protocol::manifest::SignedManifest;
use courier_protocol::profile::Profile;
use ring::rand::{SecureRandom, SystemRandom};
use thiserror::Error;
use tracing::{info, warn};

use super::backoff::{Backoff, Retry};
use super::client::{ApiClient, CallError, SharedSigner, http_client};
use super::log_watch;
use super::plan::{Step, next_step};
use super::tls_trust::TlsTrust;
use crate::clock::{Clock, SystemClock};
use crate::device_key::{DeviceKey, KeyError};
use crate::storage::outbox::Ack;
use crate::storage::{MetaKey, Reads, Store, StoreError};
use crate::terminal::DataDir;

/// How to sync.
#[derive(Clone)]
pub struct SyncConfig {
    /// Server base URL; `None` uses the one stored at enrollment.
    pub server_url: Option<String>,
    /// Events per upload.
    pub batch_size: u32,
    /// Timeout of one request.
    pub request_timeout: Duration,
    /// Retry backoff.
    pub backoff: Backoff,
    /// The device clock (request times, backoff, last sync).
    pub clock: Arc<dyn Clock>,
    /// The authorities the server's certificate must chain to.
    pub tls: TlsTrust,
}

impl std::fmt::Debug for SyncConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncConfig")
            .field("server_url", &self.server_url)
            .field("batch_size", &self.batch_size)
            .field("request_timeout", &self.request_timeout)
            .field("backoff", &self.backoff)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            server_url: None,
            batch_size: 500,
            request_timeout: Duration::from_secs(15),
            backoff: Backoff::default(),
            clock: Arc::new(SystemClock::new()),
            tls: TlsTrust::SystemRoots,
        }
    }
}

/// Why sync stopped short.
#[derive(Debug, Error)]
pub enum SyncError {
    /// The device is not enrolled.
    #[error(
        "this device is not enrolled ({0}): run `courier-terminal enroll --server URL --token TOKEN`"
    )]
    NotEnrolled(&'static str),
    /// Local storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The device key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A temporary failure; the next try is scheduled.
    #[error("{error}; next try at {}, the events stay queued", crate::local_time::LocalTime::of(.next_try_ms))]
    Temporary {
        /// What failed.
        error: CallError,
        /// When the next try is due.
        next_try_ms: i64,
    },
    /// A failure retrying cannot fix.
    #[error("{0}; sync stopped: check the enrollment, the server address and the device clock")]
    Permanent(CallError),
    /// The server refused an event.
    #[error(
        "the server refused event seq {seq} ({reason}); later events wait behind it: call carrier IT"
    )]
    Blocked {
        /// The refused event.
        seq: u64,
        /// The server's reason code.
        reason: String,
    },
    /// The server address is plain HTTP on the production platform: nothing is sent.
    #[error(
        "{0}; nothing was sent: give the https:// address (`sync --server`), or re-enroll with the fleet operator's QR"
    )]
    PlainHttp(#[from] courier_protocol::transport::PlainHttpInProduction),
    /// The manifest does not verify with the pinned server key.
    #[error("downloaded manifest refused: {0}")]
    BadManifest(courier_protocol::ProtocolError),
}

/// What one sync run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Requests sent (answered or not).
    pub requests: u32,
    /// Batches acknowledged by a verified receipt.
    pub batches: u32,
    /// Events newly stored by the server.
    pub accepted: u64,
    /// Events the server already held.
    pub duplicate: u64,
    /// Events still waiting.
    pub pending: u64,
    /// Events the server stored without effect, with its reason (acknowledged:
    /// the sync went on past them).
    pub not_honoured: Vec<NotHonouredAnswer>,
    /// Server checkpoints refused as not of this log (kept as evidence).
    pub checkpoints_refused: u64,
}

/// One event the server recorded but did not honour.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotHonouredAnswer {
    /// The event's sequence number.
    pub seq: u64,
    /// Its parcel, if any.
    pub parcel_id: Option<String>,
    /// The server's reason.
    pub reason: RejectReason,
}

/// What one verified receipt gave.
#[derive(Debug, Default)]
struct Taken {
    accepted: u64,
    duplicate: u64,
    not_honoured: Vec<NotHonouredAnswer>,
    checkpoint_refused: bool,
}

/// The engine for one data directory.
pub struct SyncEngine {
    store: Store,
    client: ApiClient,
    server_key: PublicKey,
    device_id: String,
    profile: Profile,
    config: SyncConfig,
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // On failure the jitter is zero: still a valid (earliest) retry time.
    let _ = SystemRandom::new().fill(&mut b);
    u64::from_le_bytes(b)
}

impl SyncEngine {
    /// Opens the engine on its own connection to the terminal database.
    pub fn open(dir: &DataDir, config: SyncConfig) -> Result<Self, SyncError> {
        let store = Store::open(&dir.database())?;
        let key = DeviceKey::load(&dir.key())?;
        Self::on(store, std::sync::Arc::new(key), config)
    }

    /// The engine on a connection and a device key the caller opened.
    pub fn on(store: Store, signer: SharedSigner, config: SyncConfig) -> Result<Self, SyncError> {
        let identity = store
            .identity()?
            .ok_or(SyncError::NotEnrolled("no device id"))?;
        let device_id = identity.device_id.to_string();
        let server_key = identity
            .server_key
            .ok_or(SyncError::NotEnrolled("no pinned server key"))?;
        let url = match config.server_url.clone().or(identity.server_url) {
            Some(u) => u,
            None => return Err(SyncError::NotEnrolled("no server address")),
        };
        // A device enrolled before profiles were recorded is on production.
        let profile = identity.profile.unwrap_or(Profile::Production);
        courier_protocol::transport::server_url_allowed(profile, &url)?;
        let http =
            http_client(config.request_timeout, &config.tls).map_err(SyncError::Permanent)?;
        let client = ApiClient::new(http, &url, &device_id, signer, config.clock.clone());
        Ok(SyncEngine {
            store,
            client,
            server_key,
            device_id,
            profile,
            config,
        })
    }

    /// The engine's store connection (status queries).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Lends the engine's connection to `f`, which gives it back: the sync
    /// thread's manifest loader writes on it, so the thread has one connection.
    pub fn lend_store(self, f: impl FnOnce(Store) -> Store) -> Self {
        let SyncEngine {
            store,
            client,
            server_key,
            device_id,
            profile,
            config,
        } = self;
        SyncEngine {
            store: f(store),
            client,
            server_key,
            device_id,
            profile,
            config,
        }
    }

    /// The API client (online code checks share it).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// Uploads until the outbox is empty, a permanent error, or `deadline`
    /// (temporary failures are retried with backoff until then). `force`
    /// ignores a pending backoff for the first try (a manual sync).
    pub async fn upload_all(
        &mut self,
        force: bool,
        deadline: Instant,
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let mut force = force;
        loop {
            let head = self.store.outbox_head()?;
            match next_step(&head, self.now_ms(), self.config.batch_size, force) {
                Step::Idle => break,
                Step::Blocked { seq, reason } => return Err(SyncError::Blocked { seq, reason }),
                Step::Wait { until_ms } => {
                    let wait =
                        Duration::from_millis(u64::try_from(until_ms - self.now_ms()).unwrap_or(0));
                    if Instant::now() + wait > deadline {
                        let error = head
                            .first
                            .and_then(|f| f.last_error)
                            .unwrap_or_else(|| "earlier failure".into());
                        return Err(SyncError::Temporary {
                            error: CallError::Transport(error),
                            next_try_ms: until_ms,
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
                Step::Upload {
                    from_seq,
                    max_events,
                } => {
                    force = false;
                    let batch = self.store.pending_events(from_seq, max_events)?;
                    let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
                        break;
                    };
                    let (first, last) = (first.body.seq, last.body.seq);
                    report.requests += 1;
                    let log_size =
                        log_watch::kept_head(&self.store, &self.server_key)?.map(|h| h.size);
                    // What the device says of itself, for the fleet page:
                    // the events still waiting behind this batch.
                    let waiting = self.store.pending_count()?;
                    let device = DeviceReport {
                        app_version: env!("CARGO_PKG_VERSION").to_owned(),
                        profile: self.profile,
                        events_waiting: waiting.saturating_sub(batch.len() as u64),
                    };
                    match self.client.upload(&batch, log_size, &device).await {
                        Ok(answer) => match self.accept_receipt(&batch, &answer) {
                            Ok(taken) => {
                                report.batches += 1;
                                report.accepted += taken.accepted;
                                report.duplicate += taken.duplicate;
                                report.not_honoured.extend(taken.not_honoured);
                                report.checkpoints_refused += u64::from(taken.checkpoint_refused);
                            }
                            Err(SyncError::Temporary { error, .. }) => {
                                self.fail(first, last, &error)?;
                            }
                            Err(e) => return Err(e),
                        },
                        Err(error) => match error.retry() {
                            Retry::Temporary => {
                                self.fail(first, last, &error)?;
                            }
                            Retry::Permanent => {
                                self.store.record_sync_failure(
                                    first,
                                    last,
                                    self.now_ms(),
                                    &error.to_string(),
                                )?;
                                return Err(SyncError::Permanent(error));
                            }
                        },
                    }
                }
            }
        }
        report.pending = self.store.pending_count()?;
        Ok(report)
    }

    /// The photo outbox: uploads the photos whose events the server stored
    /// and deletes the files their receipts allow (see [`super::photo_upload`]).
    pub async fn upload_photos(&mut self) -> Result<super::photo_upload::PhotoReport, SyncError> {
        let now_ms = self.now_ms();
        Ok(super::photo_upload::PhotoSync {
            client: &self.client,
            store: &mut self.store,
            server_key: &self.server_key,
            device_id: &self.device_id,
            backoff: &self.config.backoff,
            now_ms,
            jitter: random_u64(),
        }
        .run()
        .await?)
    }

    fn now_ms(&self) -> i64 {
        self.config.clock.now().device_utc_ms
    }

    fn fail(&mut self, first: u64, last: u64, error: &CallError) -> Result<(), SyncError> {
        let tries = self
            .store
            .outbox_head()?
            .first
            .map_or(0, |f| f.tries)
            .saturating_add(1);
        let delay = self.config.backoff.delay_ms(tries, random_u64());
        let next = self
            .now_ms()
            .saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
        warn!(first, last, tries, delay_ms = delay, error = %error, "upload failed; will retry");
        self.store
            .record_sync_failure(first, last, next, &error.to_string())?;
        Ok(())
    }

    /// Verifies a receipt against what was sent and stores it with its acks.
    fn accept_receipt(
        &mut self,
        sent: &[SignedEvent],
        answer: &EventsResponse,
    ) -> Result<Taken, SyncError> {
        let bad = |why: String| SyncError::Temporary {
            error: CallError::Decode(format!("receipt refused: {why}")),
            next_try_ms: 0,
        };
        let body = answer
            .receipt
            .verify(&self.server_key)
            .map_err(|e| bad(e.to_string()))?;
        if body.device_id != self.device_id {
            return Err(bad(format!("it names device {}", body.device_id)));
        }
        if body.results.len() != sent.len() {
            return Err(bad("it does not list every event sent".into()));
        }
        let mut acks = Vec::with_capacity(sent.len());
        let mut taken = Taken::default();
        let mut blocked = None;
        let mut revoked = false;
        for (r, e) in body.results.iter().zip(sent) {
            if r.event_id != e.body.event_id || r.seq != e.body.seq || r.hash != e.hash {
                return Err(bad(format!(
                    "result for seq {} does not match the event sent",
                    r.seq
                )));
            }
            match r.status {
                // Pending: stored, its effect waits for another device's
                // event (a stop desk's intake): delivered to the server.
                EventStatus::Accepted | EventStatus::Pending => taken.accepted += 1,
                EventStatus::Duplicate => taken.duplicate += 1,
                EventStatus::NotHonoured => {
                    // Delivered to the server, with no effect: acknowledged,
                    // shown, and the sync goes on.
                    let reason = r
                        .reason
                        .ok_or_else(|| bad("not honoured without reason".into()))?;
                    revoked |= reason == RejectReason::DeviceRevoked;
                    warn!(
                        seq = r.seq,
                        ?reason,
                        "the server recorded an event but did not honour it"
                    );
                    taken.not_honoured.push(NotHonouredAnswer {
                        seq: r.seq,
                        parcel_id: e.body.parcel_id.clone(),
                        reason,
                    });
                }
                EventStatus::Rejected => {
                    let reason = r
                        .reason
                        .ok_or_else(|| bad("rejection without reason".into()))?;
                    if reason != RejectReason::NotProcessed && blocked.is_none() {
                        let code = serde_json::to_value(reason)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default();
                        blocked = Some((r.seq, code));
                    }
                }
            }
            acks.push(Ack {
                seq: r.seq,
                status: r.status,
                reason: r.reason,
            });
        }
        let server_time = body.server_time_ms;
        self.store
            .store_receipt(&answer.receipt, &acks, self.now_ms())?;
        self.store.raise_clock_floor(server_time)?;
        if revoked {
            self.note_revoked(
                "the server recorded events signed after this device's revocation without effect",
            )?;
        }
        // The server's signed head of this log: a third party holding it can
        // tell a cut or rewritten log (`events verify --checkpoint`). Only a
        // checkpoint of this very log is kept as such; any other is evidence.
        if let Some(cp) = &answer.checkpoint
            && cp.verify(&self.server_key).is_ok()
            && let Ok(json) = serde_json::to_string(cp)
        {
            let head = self.store.chain_tip()?.seq;
            let at = if cp.body.seq == 0 {
                None
            } else {
                self.store
                    .events(cp.body.seq, 1)?
                    .into_iter()
                    .find(|e| e.body.seq == cp.body.seq)
                    .map(|e| e.hash)
            };
            match check_own_checkpoint(&cp.body, &self.device_id, head, at.as_deref()) {
                Ok(()) => self.store.set_meta(MetaKey::LastCheckpoint, &json)?,
                Err(refusal) => {
                    warn!(%refusal, "server checkpoint refused and kept as evidence: call carrier IT");
                    self.store.record_refused_checkpoint(
                        &json,
                        &refusal.to_string(),
                        self.now_ms(),
                    )?;
                    taken.checkpoint_refused = true;
                }
            }
        }
        // The one log of every event: consistent with the checkpoint kept,
        // and holding this device's latest stored event.
        if let Some(view) = &answer.log
            && log_watch::keep_log_view(
                &self.store,
                &self.server_key,
                view,
                body.last_seq,
                self.now_ms(),
            )?
            .is_some()
        {
            taken.checkpoint_refused = true;
        }
        info!(
            events = sent.len(),
            accepted = taken.accepted,
            duplicate = taken.duplicate,
            not_honoured = taken.not_honoured.len(),
            "receipt stored"
        );
        if let Some((seq, reason)) = blocked {
            return Err(SyncError::Blocked { seq, reason });
        }
        Ok(taken)
    }

    /// Keeps the server's word that this device is revoked (status, diagnose).
    fn note_revoked(&self, words: &str) -> Result<(), SyncError> {
        self.store.set_meta(MetaKey::Revoked, words)?;
        Ok(())
    }

    /// Downloads the latest manifest and verifies its signature with the pinned
    /// key. The caller hands it to `Terminal::load_manifest`, which also checks
    /// device, expiry and rollback and keeps the current one on refusal.
    pub async fn pull_manifest(&mut self) -> Result<Option<SignedManifest>, SyncError> {
        let answer = self.client.manifest().await;
        if let Err(e) = &answer
            && let Some(words) = e.revoked()
        {
            self.note_revoked(words)?;
        }
        let answer = answer.map_err(|e| match e.retry() {
            Retry::Temporary => SyncError::Temporary {
                error: e,
                next_try_ms: self.now_ms(),
            },
            Retry::Permanent => SyncError::Permanent(e),
        })?;
        let Some(m) = answer.manifest else {
            return Ok(None);
        };
        m.verify(&self.server_key).map_err(SyncError::BadManifest)?;
        self.store
            .set_meta(MetaKey::LastSyncMs, &self.now_ms().to_string())?;
        Ok(Some(m))
    }
}
