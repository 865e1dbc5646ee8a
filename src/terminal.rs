//! The terminal service: the one API the command line and the screens call.
//!
//! It joins the pure domain with the edges (store, key, clock, position) and
//! keeps the order that makes the evidence trustworthy: spend the attempt
//! durably, then compare; commit the event, then answer.

use std::fs;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use courier_protocol::code_verifier::{BuyerSecret, CodeForm, CodeFormatError, CodeKey};
use courier_protocol::envelope::{ChainTip, SignedEvent, Verification, verify_chain};
use courier_protocol::keys::{PublicKey, Signer, sha256};
use courier_protocol::manifest::{ManifestSettings, SignedManifest};
use courier_protocol::vocabulary::{
    CheckMode, CheckResult, EventKind, Outcome, ParcelKind, Reason,
};
use courier_protocol::{ProtocolError, canonical::to_canonical_bytes};
use thiserror::Error;
use tracing::{info, warn};

use crate::clock::Clock;
use crate::device_key::{DeviceKey, KeyError};
use crate::domain::code_check::{self, BadCodeMaterial, CheckPlan, CodeVerdict};
use crate::domain::event_draft::{EventDraft, Recorder, Stamp, into_body};
use crate::domain::manifest_acceptance::{
    self, Acceptance, AcceptanceContext, ManifestChanges, ManifestRefusal,
};
use crate::domain::no_answer::{self, NoAnswerContext};
use crate::domain::parcel::{Action, ContactLog, Parcel, ParcelState, Visit};
use crate::domain::position::to_record;
use crate::domain::reconciliation::{DayLine, Reconciliation, reconcile};
use crate::domain::refusal::Refusal;
use crate::domain::trusted_clock;
use crate::position_source::PositionSource;
use crate::storage::{ManifestRow, ParcelUpdate, Store, StoreError};

/// The app version recorded in every event.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything that can stop a terminal action, each with what to do.
#[derive(Debug, Error)]
pub enum TerminalError {
    /// The doorstep rules refuse the action.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The manifest is refused.
    #[error(transparent)]
    Manifest(#[from] ManifestRefusal),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The device key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The typed or scanned code is malformed (no attempt was spent).
    #[error("{0} (no try was used)")]
    CodeFormat(#[from] CodeFormatError),
    /// The manifest's code material is unusable.
    #[error(transparent)]
    BadCodeMaterial(#[from] BadCodeMaterial),
    /// No parcel has that label.
    #[error("no parcel with label {0} in today's manifest: check the label or load the manifest")]
    UnknownLabel(String),
    /// No event with that id.
    #[error("no event {0} on this device")]
    UnknownEvent(String),
    /// The device is not initialised.
    #[error("this device is not set up ({0}): run `courier-terminal init`")]
    NotInitialised(String),
    /// A manifest or event could not be encoded.
    #[error("protocol encoding failed: {0}")]
    Protocol(#[from] ProtocolError),
    /// Setup failed.
    #[error("cannot set up {path}: {source}")]
    Setup {
        /// Path concerned.
        path: PathBuf,
        /// I/O error.
        source: std::io::Error,
    },
}

/// Files of a data directory.
#[derive(Debug, Clone)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    /// The database file.
    pub fn database(&self) -> PathBuf {
        self.0.join("terminal.db")
    }
    /// The device key file.
    pub fn key(&self) -> PathBuf {
        self.0.join("device.key")
    }
}

/// What `init` did.
#[derive(Debug, Clone)]
pub struct InitReport {
    /// Device id.
    pub device_id: String,
    /// Device public key.
    pub public_key: PublicKey,
    /// Whether a new key was generated.
    pub key_created: bool,
}

/// A code as the courier typed or scanned it.
#[derive(Debug, Clone, Copy)]
pub enum CodeEntry<'a> {
    /// Typed on the keypad.
    Keypad(&'a str),
    /// Scanned QR text.
    Qr(&'a str),
}

/// The server's answer to an online code check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlineAnswer {
    /// Whether the code matched.
    pub matched: bool,
    /// Attempts the server has counted for this parcel.
    pub attempts_spent: u32,
}

/// Checks a code with the escrow server (online-only parcels).
pub trait OnlineCodeCheck: Send + Sync {
    /// Asks the server; `Err` means it could not be reached in time.
    fn check(&self, parcel: &Parcel, form: CodeForm, key: &CodeKey)
    -> Result<OnlineAnswer, String>;
}

/// The answer to a code, after the event is durably stored.
#[derive(Debug, Clone)]
pub struct CodeAnswer {
    /// What to tell the courier.
    pub verdict: CodeVerdict,
    /// The recorded event.
    pub event: SignedEvent,
}

/// How the courier tried to reach the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactChannel {
    /// Phone call.
    Call,
    /// SMS or messaging app.
    Message,
    /// Doorbell or knock.
    Doorbell,
}

impl ContactChannel {
    /// Protocol string.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactChannel::Call => "call",
            ContactChannel::Message => "message",
            ContactChannel::Doorbell => "doorbell",
        }
    }
}

/// A summary for the status bar and `status`.
#[derive(Debug, Clone)]
pub struct Status {
    /// Device id.
    pub device_id: String,
    /// Device key fingerprint (grouped).
    pub key_fingerprint: String,
    /// Manifest version in force.
    pub manifest_version: Option<u64>,
    /// Manifest expiry, ms.
    pub manifest_expires_at_ms: Option<i64>,
    /// Parcels by display state name.
    pub parcels_total: usize,
    /// Delivered parcels.
    pub delivered: usize,
    /// Parcels still to do (incl. at door, locked).
    pub to_do: usize,
    /// Parcels failed, withdrawn or returned.
    pub not_delivered: usize,
    /// Events recorded.
    pub events: u64,
    /// Events waiting to sync.
    pub pending_sync: u64,
    /// Last successful sync, ms.
    pub last_sync_ms: Option<i64>,
    /// Device minus GNSS clock, ms.
    pub clock_skew_ms: Option<i64>,
}

/// What the terminal keeps of the manifest in force, read on every event.
#[derive(Debug, Clone)]
struct ManifestInForce {
    version: u64,
    expires_at_ms: i64,
    settings: ManifestSettings,
}

impl ManifestInForce {
    fn of(m: &SignedManifest) -> Self {
        ManifestInForce {
            version: m.body.version,
            expires_at_ms: m.body.expires_at_ms,
            settings: m.body.settings.clone(),
        }
    }
}

/// The terminal service.
pub struct Terminal {
    store: Store,
    key: DeviceKey,
    device_id: String,
    server_key: Option<PublicKey>,
    clock: Arc<dyn Clock>,
    position: Arc<dyn PositionSource>,
    online: Option<Arc<dyn OnlineCodeCheck>>,
    /// Settings and version of the manifest in force (cached: read on every event).
    manifest: Option<ManifestInForce>,
}

/// Sets up a data directory: key (0600), database, device id, pinned server key.
pub fn init(
    dir: &DataDir,
    device_id: Option<&str>,
    server_key: Option<PublicKey>,
) -> Result<InitReport, TerminalError> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir.0)
        .map_err(|source| TerminalError::Setup {
            path: dir.0.clone(),
            source,
        })?;
    let (key, key_created) = match DeviceKey::load(&dir.key()) {
        Ok(k) => (k, false),
        Err(KeyError::Missing(_)) => (DeviceKey::create(&dir.key())?, true),
        Err(e) => return Err(e.into()),
    };
    let store = Store::open(&dir.database())?;
    let public_key = key.public_key();
    let existing = store.meta("device_id")?;
    let device_id = match (existing, device_id) {
        (Some(old), Some(new)) if old != new && store.chain_tip()?.seq > 0 => {
            return Err(TerminalError::NotInitialised(format!(
                "this device already recorded events as {old}; it cannot become {new}"
            )));
        }
        (_, Some(new)) => new.to_owned(),
        (Some(old), None) => old,
        (None, None) => format!(
            "CT-{}",
            &public_key.fingerprint().to_hex()[..12].to_uppercase()
        ),
    };
    store.set_meta("device_id", &device_id)?;
    if let Some(k) = server_key {
        store.set_meta("server_public_key", &k.to_hex())?;
    }
    info!(device_id = %device_id, key_created, "data directory ready");
    Ok(InitReport {
        device_id,
        public_key,
        key_created,
    })
}

impl Terminal {
    /// Opens an initialised data directory.
    pub fn open(
        dir: &DataDir,
        clock: Arc<dyn Clock>,
        position: Arc<dyn PositionSource>,
    ) -> Result<Terminal, TerminalError> {
        if !dir.database().exists() {
            return Err(TerminalError::NotInitialised(format!(
                "no database in {}",
                dir.0.display()
            )));
        }
        let key = DeviceKey::load(&dir.key())?;
        let store = Store::open(&dir.database())?;
        let device_id = store
            .meta("device_id")?
            .ok_or_else(|| TerminalError::NotInitialised("no device id".into()))?;
        let server_key = store
            .meta("server_public_key")?
            .map(|h| PublicKey::from_hex(&h))
            .transpose()?;
        let manifest = store.current_manifest()?.as_ref().map(ManifestInForce::of);
        Ok(Terminal {
            store,
            key,
            device_id,
            server_key,
            clock,
            position,
            online: None,
            manifest,
        })
    }

    /// Plugs in the online code check (sync engine).
    pub fn set_online_check(&mut self, online: Arc<dyn OnlineCodeCheck>) {
        self.online = Some(online);
    }

    /// The store (read access for status screens, export, sync).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// This device's id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// This device's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Pins the server key (enrollment).
    pub fn pin_server_key(&mut self, key: PublicKey) -> Result<(), TerminalError> {
        self.store.set_meta("server_public_key", &key.to_hex())?;
        self.server_key = Some(key);
        Ok(())
    }

    /// Settings of the manifest in force. Another process (the sync task) may
    /// have loaded a newer one: a cheap version check refreshes the cache.
    /// Settings of the manifest in force (defaults before any manifest).
    pub fn settings(&mut self) -> Result<ManifestSettings, TerminalError> {
        self.refresh_manifest()?;
        Ok(self
            .manifest
            .as_ref()
            .map(|m| m.settings.clone())
            .unwrap_or_default())
    }

    /// Re-reads the manifest only when another process (the sync task) stored a
    /// newer version; otherwise a single-integer query.
    fn refresh_manifest(&mut self) -> Result<(), TerminalError> {
        let newest = self.store.highest_manifest_version()?;
        if newest != self.manifest.as_ref().map(|m| m.version) {
            self.manifest = self
                .store
                .current_manifest()?
                .as_ref()
                .map(ManifestInForce::of);
        }
        Ok(())
    }

    fn stamp(&self, settings: &ManifestSettings) -> Stamp {
        let reading = self.position.reading();
        let clock = self.clock.now();
        Stamp {
            position: to_record(&reading, i64::from(settings.fix_max_age_s) * 1000),
            gnss_utc_ms: reading.gnss_utc_ms,
            clock,
        }
    }

    /// Appends an event built from `draft`, with parcel rows and extras, durably.
    fn record(
        &mut self,
        draft: EventDraft,
        code_key: Option<&CodeKey>,
        mut update: ParcelUpdate<'_>,
    ) -> Result<SignedEvent, TerminalError> {
        let settings = self.settings()?;
        let stamp = self.stamp(&settings);
        let floor = trusted_clock::trusted_now(
            self.store.clock_floor()?,
            stamp.clock.device_utc_ms,
            stamp.gnss_utc_ms,
        );
        update.meta.push(("clock_floor_ms", floor.to_string()));
        let manifest_version = match &update.manifest {
            Some(m) => Some(m.signed.body.version),
            None => self.manifest.as_ref().map(|m| m.version),
        };
        let device_id = self.device_id.clone();
        let key = &self.key;
        let event_id = uuid::Uuid::now_v7().to_string();
        let event = self.store.append_event(
            |tip: &ChainTip| {
                let recorder = Recorder {
                    device_id: &device_id,
                    manifest_version,
                    app_version: APP_VERSION,
                };
                let mut body = into_body(draft, event_id, stamp, &recorder, tip);
                if let Some(k) = code_key {
                    body.code_proof = Some(hex::encode(k.proof(&body.proof_digest()?)));
                }
                Ok(SignedEvent::seal(body, key)?)
            },
            update,
        )?;
        info!(seq = event.body.seq, kind = ?event.body.kind, parcel = ?event.body.parcel_id, "event recorded");
        Ok(event)
    }

    /// Checks and loads a signed manifest; the current one stays on refusal.
    pub fn load_manifest(
        &mut self,
        signed: &SignedManifest,
    ) -> Result<ManifestChanges, TerminalError> {
        let server_key = self.server_key.ok_or_else(|| {
            TerminalError::NotInitialised("no server key is pinned; enroll the device".into())
        })?;
        let body_hash = sha256(&to_canonical_bytes(&signed.body)?);
        let clock = self.clock.now();
        let gnss = self.position.reading().gnss_utc_ms;
        let ctx = AcceptanceContext {
            server_key: &server_key,
            device_id: &self.device_id,
            highest: self.store.highest_manifest()?,
            trusted_now_ms: trusted_clock::trusted_now(
                self.store.clock_floor()?,
                clock.device_utc_ms,
                gnss,
            ),
        };
        let verdict = manifest_acceptance::check(signed, body_hash, &ctx);
        let acceptance = match verdict {
            Ok(a) => a,
            Err(refusal) => {
                warn!(%refusal, "manifest refused");
                return Err(refusal.into());
            }
        };
        if acceptance == Acceptance::AlreadyCurrent {
            return Ok(ManifestChanges::default());
        }
        let held = self.store.parcels()?;
        let changes = manifest_acceptance::plan_changes(&held, &signed.body);
        let mut rows: Vec<Parcel> = Vec::new();
        for spec in &signed.body.parcels {
            let old = held.iter().find(|p| p.spec.parcel_id == spec.parcel_id);
            let mut p = old.cloned().unwrap_or(Parcel {
                spec: spec.clone(),
                state: ParcelState::Pending,
                attempts_spent: 0,
                visit: None,
                collected_label: None,
            });
            p.spec = spec.clone();
            if spec.withdrawn
                && let Ok(next) = p.next_state(&Action::Withdraw)
            {
                if next == ParcelState::Withdrawn {
                    p.visit = None;
                }
                p.state = next;
            }
            rows.push(p);
        }
        let draft = EventDraft::new(EventKind::ManifestAccepted)
            .detail("parcels", signed.body.parcels.len().to_string())
            .detail("added", changes.added.len().to_string())
            .detail("withdrawn", changes.withdrawn.join(","))
            .detail(
                "withdrawn_after_delivery",
                changes.withdrawn_after_delivery.join(","),
            );
        let update = ParcelUpdate {
            parcels: rows.iter().collect(),
            manifest: Some(ManifestRow {
                signed,
                body_hash,
                accepted_at_ms: clock.device_utc_ms,
            }),
            meta: Vec::new(),
        };
        self.record(draft, None, update)?;
        self.manifest = Some(ManifestInForce::of(signed));
        if !changes.withdrawn_after_delivery.is_empty() {
            warn!(parcels = ?changes.withdrawn_after_delivery, "server withdrew parcels already delivered");
        }
        Ok(changes)
    }

    /// All parcels in route order.
    pub fn parcels(&self) -> Result<Vec<Parcel>, TerminalError> {
        Ok(self.store.parcels()?)
    }

    /// The parcel with this label.
    pub fn parcel(&self, label: &str) -> Result<Parcel, TerminalError> {
        self.store
            .parcel_by_label(label.trim())?
            .ok_or_else(|| TerminalError::UnknownLabel(label.trim().to_owned()))
    }

    /// Records arrival at the address and starts the visit (and its wait timer).
    pub fn arrive(&mut self, label: &str) -> Result<SignedEvent, TerminalError> {
        let mut p = self.parcel(label)?;
        let next = p.next_state(&Action::Arrive)?;
        let settings = self.settings()?;
        let stamp = self.stamp(&settings);
        p.state = next;
        p.visit = Some(Visit {
            arrived_utc_ms: stamp.clock.device_utc_ms,
            arrived_monotonic_ms: stamp.clock.monotonic_ms,
            boot_id: stamp.clock.boot_id.clone(),
            arrival_fix_e7: stamp.position.fix.as_ref().map(|f| (f.lat_e7, f.lon_e7)),
            contacts: Vec::new(),
            inspection_offered: false,
        });
        let draft =
            EventDraft::new(EventKind::Arrived).parcel(&p.spec.parcel_id, &p.spec.order_ref);
        self.record(draft, None, one(&p))
    }

    /// Records that the buyer was offered to inspect the parcel.
    pub fn offer_inspection(&mut self, label: &str) -> Result<SignedEvent, TerminalError> {
        let mut p = self.parcel(label)?;
        p.check(&Action::OfferInspection)?;
        if let Some(v) = p.visit.as_mut() {
            v.inspection_offered = true;
        }
        let mut draft = EventDraft::new(EventKind::InspectionOffered)
            .parcel(&p.spec.parcel_id, &p.spec.order_ref);
        draft.inspection_offered = Some(true);
        self.record(draft, None, one(&p))
    }

    /// Logs an attempt to reach the buyer.
    pub fn contact(
        &mut self,
        label: &str,
        channel: ContactChannel,
    ) -> Result<SignedEvent, TerminalError> {
        let mut p = self.parcel(label)?;
        p.check(&Action::Contact)?;
        let at_utc_ms = self.clock.now().device_utc_ms;
        if let Some(v) = p.visit.as_mut() {
            v.contacts.push(ContactLog {
                channel: channel.as_str().to_owned(),
                at_utc_ms,
            });
        }
        let draft = EventDraft::new(EventKind::ContactAttempt)
            .parcel(&p.spec.parcel_id, &p.spec.order_ref)
            .detail("channel", channel.as_str());
        self.record(draft, None, one(&p))
    }

    /// Records the item collected from the buyer (exchange, pick-up).
    pub fn collect(&mut self, label: &str, scanned: &str) -> Result<SignedEvent, TerminalError> {
        let mut p = self.parcel(label)?;
        p.check(&Action::Collect)?;
        let scanned = scanned.trim();
        if let Some(expected) = p.spec.collect.as_ref().and_then(|c| c.label.as_ref())
            && expected != scanned
        {
            return Err(Refusal::WrongCollectedItem {
                expected: expected.clone(),
                scanned: scanned.to_owned(),
            }
            .into());
        }
        p.collected_label = Some(scanned.to_owned());
        let draft = EventDraft::new(EventKind::ItemCollected)
            .parcel(&p.spec.parcel_id, &p.spec.order_ref)
            .detail("collected_label", scanned);
        self.record(draft, None, one(&p))
    }

    /// Checks the buyer's code; answers only after the event is durably stored.
    ///
    /// Records arrival first if the courier had not. Malformed input spends no try.
    pub fn submit_code(
        &mut self,
        label: &str,
        entry: CodeEntry<'_>,
    ) -> Result<CodeAnswer, TerminalError> {
        let mut p = self.parcel(label)?;
        let (secret, qr_order) = match entry {
            CodeEntry::Keypad(typed) => (BuyerSecret::numeric(typed, p.spec.code.digits)?, None),
            CodeEntry::Qr(text) => {
                let (order, secret) = BuyerSecret::from_qr(text)?;
                (secret, Some(order))
            }
        };
        if p.visit.is_none() {
            p.check(&Action::Arrive)?;
            self.arrive(label)?;
            p = self.parcel(label)?;
        }
        if matches!(p.spec.kind, ParcelKind::Exchange | ParcelKind::Pickup)
            && p.collected_label.is_none()
        {
            return Err(Refusal::CollectFirst.into());
        }
        let plan = code_check::plan(&p, &secret, qr_order.as_deref())??;
        match plan.check {
            CheckMode::Offline => self.check_offline(p, &plan, &secret),
            CheckMode::Online => self.check_online(p, &plan, &secret),
        }
    }

    fn check_offline(
        &mut self,
        mut p: Parcel,
        plan: &CheckPlan,
        secret: &BuyerSecret,
    ) -> Result<CodeAnswer, TerminalError> {
        let limit = p.spec.attempt_limit;
        // Spend the try durably before comparing, like a card's PIN counter.
        let Some(spent) = self.store.spend_attempt(&p.spec.parcel_id, limit)? else {
            return Err(Refusal::Locked { limit }.into());
        };
        p.attempts_spent = spent;
        let key = plan.derive(secret);
        let matched = plan.compare(&key);
        self.finish_check(
            p,
            plan,
            matched,
            spent,
            if matched { Some(&key) } else { None },
        )
    }

    fn check_online(
        &mut self,
        mut p: Parcel,
        plan: &CheckPlan,
        secret: &BuyerSecret,
    ) -> Result<CodeAnswer, TerminalError> {
        let key = plan.derive(secret);
        let answer = match &self.online {
            Some(online) => online.check(&p, secret.form(), &key),
            None => Err("no server connection configured".to_owned()),
        };
        match answer {
            Ok(a) => {
                let spent = a.attempts_spent.max(p.attempts_spent);
                if spent > p.attempts_spent {
                    p.attempts_spent = spent;
                }
                self.finish_check(
                    p,
                    plan,
                    a.matched,
                    spent,
                    if a.matched { Some(&key) } else { None },
                )
            }
            Err(why) => {
                warn!(reason = %why, "online code check unavailable");
                let verification = Verification {
                    entry: plan.entry,
                    check: CheckMode::Online,
                    result: CheckResult::Unreachable,
                    attempt: p.attempts_spent,
                    attempt_limit: p.spec.attempt_limit,
                };
                let mut draft = EventDraft::new(EventKind::CodeAttempt)
                    .parcel(&p.spec.parcel_id, &p.spec.order_ref);
                draft.verification = Some(verification);
                let event = self.record(draft, None, one(&p))?;
                Ok(CodeAnswer {
                    verdict: CodeVerdict::NeedsNetwork,
                    event,
                })
            }
        }
    }

    fn finish_check(
        &mut self,
        mut p: Parcel,
        plan: &CheckPlan,
        matched: bool,
        spent: u32,
        key: Option<&CodeKey>,
    ) -> Result<CodeAnswer, TerminalError> {
        let limit = p.spec.attempt_limit;
        let verification = Verification {
            entry: plan.entry,
            check: plan.check,
            result: if matched {
                CheckResult::Match
            } else {
                CheckResult::Mismatch
            },
            attempt: spent,
            attempt_limit: limit,
        };
        let inspection = p.visit.as_ref().map(|v| v.inspection_offered);
        let (draft, verdict) = if matched {
            p.state = ParcelState::Delivered;
            p.visit = None;
            let mut d = EventDraft::new(EventKind::Outcome)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                .outcome(Outcome::Delivered, None);
            d.inspection_offered = inspection;
            (d, CodeVerdict::Delivered)
        } else {
            let d = EventDraft::new(EventKind::CodeAttempt)
                .parcel(&p.spec.parcel_id, &p.spec.order_ref);
            (d, code_check::verdict_after_mismatch(spent, limit))
        };
        let mut draft = draft;
        draft.verification = Some(verification);
        if let Some(collected) = &p.collected_label {
            draft = draft.detail("collected_label", collected.clone());
        }
        let event = self.record(draft, key, one(&p))?;
        Ok(CodeAnswer { verdict, event })
    }

    /// Records a non-delivery outcome, enforcing its reason and evidence rules.
    pub fn record_outcome(
        &mut self,
        label: &str,
        outcome: Outcome,
        reason: Option<Reason>,
        note: Option<&str>,
    ) -> Result<SignedEvent, TerminalError> {
        let mut p = self.parcel(label)?;
        let next = p.next_state(&Action::RecordOutcome(outcome))?;
        check_reason(outcome, reason)?;
        if outcome == Outcome::RefusedAfterInspection
            && !p.visit.as_ref().is_some_and(|v| v.inspection_offered)
        {
            return Err(Refusal::InspectFirst.into());
        }
        let settings = self.settings()?;
        if outcome == Outcome::NoAnswer {
            let stamp = self.stamp(&settings);
            if let Some(visit) = &p.visit {
                let ctx = NoAnswerContext {
                    address: &p.spec.address,
                    visit,
                    position_now: &stamp.position,
                    monotonic_ms: stamp.clock.monotonic_ms,
                    utc_ms: stamp.clock.device_utc_ms,
                    boot_id: &stamp.clock.boot_id,
                };
                no_answer::check(&ctx, &settings)?;
            }
        }
        let mut draft = EventDraft::new(EventKind::Outcome)
            .parcel(&p.spec.parcel_id, &p.spec.order_ref)
            .outcome(outcome, reason);
        if let Some(v) = &p.visit {
            draft.inspection_offered = Some(v.inspection_offered);
            draft = draft.detail("contacts", v.contacts.len().to_string());
        }
        if let Some(n) = note.filter(|n| !n.trim().is_empty()) {
            draft = draft.detail("note", n.trim());
        }
        p.state = next;
        p.visit = None;
        self.record(draft, None, one(&p))
    }

    /// Corrects an earlier outcome with a new event that points to it.
    pub fn correct(
        &mut self,
        event_id: &str,
        outcome: Outcome,
        reason: Option<Reason>,
        note: &str,
    ) -> Result<SignedEvent, TerminalError> {
        let old = self
            .store
            .event_by_id(event_id)?
            .ok_or_else(|| TerminalError::UnknownEvent(event_id.to_owned()))?;
        let bad = |m: &str| TerminalError::Refused(Refusal::BadCorrection(m.to_owned()));
        if old.body.kind != EventKind::Outcome {
            return Err(bad(
                "only outcomes are corrected; other events stand as recorded",
            ));
        }
        if old.body.outcome == Some(Outcome::Delivered) || outcome == Outcome::Delivered {
            return Err(bad(
                "a delivery is proved by the buyer's code and cannot be corrected from the terminal",
            ));
        }
        if note.trim().is_empty() {
            return Err(bad("a correction needs a note saying why"));
        }
        check_reason(outcome, reason)?;
        let parcel_id = old.body.parcel_id.clone().unwrap_or_default();
        let mut p = self
            .store
            .parcel_by_id(&parcel_id)?
            .ok_or_else(|| TerminalError::UnknownEvent(event_id.to_owned()))?;
        if let ParcelState::Failed(_) = p.state {
            p.state = ParcelState::Failed(outcome);
        }
        let mut draft = EventDraft::new(EventKind::Correction)
            .parcel(&p.spec.parcel_id, &p.spec.order_ref)
            .outcome(outcome, reason)
            .detail("note", note.trim());
        draft.corrects = Some(event_id.to_owned());
        self.record(draft, None, one(&p))
    }

    /// Depot check-in of a returned parcel.
    pub fn check_in(&mut self, label: &str) -> Result<SignedEvent, TerminalError> {
        let mut p = self.parcel(label)?;
        let next = p.next_state(&Action::CheckIn)?;
        let previous = p.state;
        p.state = next;
        p.visit = None;
        let mut draft = EventDraft::new(EventKind::ReturnCheckIn)
            .parcel(&p.spec.parcel_id, &p.spec.order_ref)
            .detail("previous_state", previous.as_db());
        if let ParcelState::Failed(o) = previous {
            draft.outcome = Some(o);
            draft.liability = Some(o.liability());
        }
        self.record(draft, None, one(&p))
    }

    /// The day's reconciliation for the depot supervisor, with who pays each return.
    pub fn reconciliation(&self) -> Result<Reconciliation, TerminalError> {
        let parcels = self.store.parcels()?;
        let mut liabilities = std::collections::HashMap::new();
        for p in &parcels {
            let last = self
                .store
                .parcel_events(&p.spec.parcel_id)?
                .into_iter()
                .rev()
                .find_map(|e| match e.body.kind {
                    EventKind::Outcome | EventKind::Correction | EventKind::ReturnCheckIn => {
                        e.body.liability
                    }
                    _ => None,
                });
            liabilities.insert(p.spec.parcel_id.clone(), last);
        }
        Ok(reconcile(&parcels, |p| {
            liabilities.get(&p.spec.parcel_id).copied().flatten()
        }))
    }

    /// Closes the day with a signed summary; refuses unaccounted parcels unless forced.
    pub fn close_day(&mut self, force: bool) -> Result<SignedEvent, TerminalError> {
        let r = self.reconciliation()?;
        if !r.is_clean() && !force {
            return Err(Refusal::DayNotReconciled {
                missing: r.missing.len(),
                pending: r.not_attempted.len(),
            }
            .into());
        }
        let labels = |v: &[DayLine]| {
            v.iter()
                .map(|l| l.label.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let draft = EventDraft::new(EventKind::DayClosed)
            .detail("delivered", r.delivered.len().to_string())
            .detail("returned", r.returned.len().to_string())
            .detail("missing", labels(&r.missing))
            .detail("not_attempted", labels(&r.not_attempted))
            .detail("forced", (!r.is_clean()).to_string());
        self.record(draft, None, ParcelUpdate::default())
    }

    /// The status summary.
    pub fn status(&mut self) -> Result<Status, TerminalError> {
        self.refresh_manifest()?;
        let parcels = self.store.parcels()?;
        let manifest = self.manifest.as_ref();
        let reading = self.position.reading();
        let clock = self.clock.now();
        let delivered = parcels
            .iter()
            .filter(|p| p.state == ParcelState::Delivered)
            .count();
        let to_do = parcels
            .iter()
            .filter(|p| p.state == ParcelState::Pending)
            .count();
        Ok(Status {
            device_id: self.device_id.clone(),
            key_fingerprint: self.key.public_key().fingerprint().grouped(),
            manifest_version: manifest.map(|m| m.version),
            manifest_expires_at_ms: manifest.map(|m| m.expires_at_ms),
            parcels_total: parcels.len(),
            delivered,
            to_do,
            not_delivered: parcels.len() - delivered - to_do,
            events: self.store.chain_tip()?.seq,
            pending_sync: self.store.pending_count()?,
            last_sync_ms: self
                .store
                .meta("last_sync_ms")?
                .and_then(|v| v.parse().ok()),
            clock_skew_ms: trusted_clock::skew_ms(clock.device_utc_ms, reading.gnss_utc_ms),
        })
    }
}

fn one(p: &Parcel) -> ParcelUpdate<'_> {
    ParcelUpdate {
        parcels: vec![p],
        manifest: None,
        meta: Vec::new(),
    }
}

fn check_reason(outcome: Outcome, reason: Option<Reason>) -> Result<(), Refusal> {
    let allowed = outcome.reasons();
    let ok = match reason {
        None => allowed.is_empty() || allowed.len() == 1,
        Some(r) => allowed.contains(&r),
    };
    if ok {
        Ok(())
    } else {
        Err(Refusal::ReasonNotAllowed {
            outcome,
            reason,
            allowed: allowed.to_vec(),
        })
    }
}

/// The result of verifying the whole local log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events checked.
    pub events: u64,
    /// Last hash.
    pub tip_hash: String,
}

/// Verifies every stored event: schema, hash, signature, sequence, chain.
pub fn verify_log(store: &Store, key: &PublicKey) -> Result<VerifyReport, TerminalError> {
    let mut tip = ChainTip::genesis();
    loop {
        let batch = store.events(tip.seq + 1, 1000)?;
        if batch.is_empty() {
            break;
        }
        tip = verify_chain(&batch, key, tip)?;
    }
    Ok(VerifyReport {
        events: tip.seq,
        tip_hash: tip.hash,
    })
}

/// The data directory from a path.
pub fn data_dir(path: &Path) -> DataDir {
    DataDir(path.to_owned())
}
