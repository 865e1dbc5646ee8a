//! The terminal service: the one API the command line and the screens call.
//!
//! It joins the pure domain with the edges (store, key, clock, position) and
//! keeps the order that makes the evidence trustworthy: spend the attempt
//! durably, then compare; decide on what is committed, inside the transaction
//! that writes the event; commit, then answer. One file per use case:
//! [`setup`], [`manifest`], [`doorstep`], [`code_check`], [`depot`], [`log`],
//! [`status`].

use std::sync::Arc;

use courier_protocol::ProtocolError;
use courier_protocol::code_verifier::{CodeFormatError, CodeKey};
use courier_protocol::enrollment_qr::Profile;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::keys::{PublicKey, Signer};
use courier_protocol::manifest::{ManifestSettings, SignedManifest};
use courier_protocol::rules::{EventContext, RuleViolation};
use thiserror::Error;
use tracing::info;

use crate::clock::Clock;
use crate::device_key::{DeviceKey, KeyError};
use crate::domain::code_check::BadCodeMaterial;
use crate::domain::digits::entry_text;
use crate::domain::event_draft::{EventDraft, Recorder, Stamp, into_body};
use crate::domain::identity::{DeviceId, Identity};
use crate::domain::manifest_acceptance::ManifestRefusal;
use crate::domain::parcel::Parcel;
use crate::domain::position::to_record;
use crate::domain::refusal::Refusal;
use crate::domain::trusted_clock;
use crate::position_source::PositionSource;
use crate::storage::{Append, ManifestRow, MetaKey, Reads, Store, StoreError, Tx};

pub mod code_check;
pub mod depot;
pub mod desk;
pub mod doorstep;
pub mod fees;
pub mod load_check;
pub mod log;
pub mod manifest;
pub mod order_door;
pub mod photos;
pub mod returns;
pub mod setup;
pub mod status;
pub mod supervisor;
pub mod supervisor_server;

pub use code_check::{CodeAnswer, CodeEntry, OnlineAnswer, OnlineCodeCheck};
pub use desk::{HandoverAnswer, HeldParcel};
pub use doorstep::ContactChannel;
pub use fees::FeeChangeRequest;
pub use load_check::{LoadAnswer, LoadCounts};
pub use log::{VerifyReport, verify_log};
pub use order_door::{DoorParcel, DoorScanAnswer, OrderDoor};
pub use returns::{IntakeInput, LabelEntry, ScanAnswer, ScanCounts};
pub use setup::{DataDir, InitReport, init, record_enrollment};
pub use status::Status;
pub use supervisor::{
    SessionInfo, SignInAnswer, SupervisorEntry, SupervisorInfo, SupervisorRefusal,
};
pub use supervisor_server::{SignInUnavailable, SupervisorSignInServer};

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
    /// Several parcels end with the typed characters.
    #[error("{matches} parcels end with {text:?}: type more of the label")]
    AmbiguousLabel {
        /// What was typed.
        text: String,
        /// How many labels end with it.
        matches: usize,
    },
    /// No event with that id.
    #[error("no event {0} on this device")]
    UnknownEvent(String),
    /// The event would pass a bound of the protocol (a note or a label too
    /// long): the server would refuse it, so it is not recorded.
    #[error("{0}: nothing was recorded; shorten it and try again")]
    OutOfBounds(#[from] courier_protocol::bounds::OutOfBounds),
    /// The device is not initialised.
    #[error("this device is not set up: {0}")]
    NotInitialised(String),
    /// A manifest or event could not be encoded.
    #[error("protocol encoding failed: {0}")]
    Protocol(#[from] ProtocolError),
    /// The action would replace or fork this device's identity.
    #[error("{0}")]
    Identity(String),
    /// A supervisor step without a valid supervisor, or a badge or PIN that
    /// cannot be checked.
    #[error(transparent)]
    Supervisor(#[from] SupervisorRefusal),
    /// The event this device was about to record breaks the shared rules in
    /// a way no courier input explains (a defect: nothing was recorded).
    #[error("this event would break the shared rules ({0}); nothing was recorded")]
    Inconsistent(RuleViolation),
    /// No camera is configured (`[camera]` in config.toml).
    #[error("no camera is configured on this device: set [camera] in the configuration")]
    NoCamera,
    /// The camera gave no usable frame.
    #[error("{0}: nothing was recorded; take the photo again")]
    Camera(#[from] firmware_bridge::CameraError),
    /// The frame could not be made into a photo.
    #[error("{0}: nothing was recorded; take the photo again")]
    Photo(String),
    /// The photo file could not be written durably.
    #[error("cannot write the photo file: {source}; nothing was recorded")]
    PhotoFile {
        /// I/O error.
        source: std::io::Error,
    },
    /// Setup failed.
    #[error("cannot set up {path}: {source}")]
    Setup {
        /// Path concerned.
        path: std::path::PathBuf,
        /// I/O error.
        source: std::io::Error,
    },
}

impl From<RuleViolation> for TerminalError {
    fn from(v: RuleViolation) -> Self {
        match v {
            RuleViolation::Refused(r) => TerminalError::Refused(r),
            other => TerminalError::Inconsistent(other),
        }
    }
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

    /// The manifest in force as stored, read without decoding the manifest.
    fn read(store: &Store) -> Result<Option<Self>, StoreError> {
        Ok(store
            .manifest_in_force()?
            .map(|(version, expires_at_ms, settings)| ManifestInForce {
                version,
                expires_at_ms,
                settings,
            }))
    }
}

/// The rules' context of an event stamped `stamp` (no code proof, no corrected event).
pub(crate) fn context(stamp: &Stamp) -> EventContext<'_> {
    EventContext {
        clock: &stamp.clock,
        fix_e7: stamp.position.fix.as_ref().map(|f| (f.lat_e7, f.lon_e7)),
        code_proof: false,
        corrected: None,
        supervised: false,
        day: None,
    }
}

/// Kinds of events that name the photos taken for their parcel before them:
/// an outcome and a return's intake or condition.
fn names_photos(kind: courier_protocol::vocabulary::EventKind) -> bool {
    use courier_protocol::vocabulary::EventKind as K;
    matches!(
        kind,
        K::Outcome | K::ReturnCheckIn | K::ItemReceived | K::ReturnCondition
    )
}

/// What an action decided on the state it read inside the write transaction.
pub(crate) struct Decision<'m> {
    /// The event to record.
    pub draft: EventDraft,
    /// The parcel rows it changes.
    pub parcels: Vec<Parcel>,
    /// The code key whose proof the event carries (a matched code).
    pub code_key: Option<CodeKey>,
    /// A manifest accepted by this event.
    pub manifest: Option<ManifestRow<'m>>,
    /// The try in flight this event answers (parcel id, attempt).
    pub settles_try: Option<(String, u32)>,
    /// A supervisor event: it carries the signed-in supervisor's proof, and is
    /// refused without a live supervisor session.
    pub supervised: bool,
    /// A supervisor credential whose try counter this event resets (a sign-in).
    pub resets_supervisor_tries: Option<String>,
}

impl Decision<'_> {
    /// An event about the parcel `before`: the parcel it leaves is the shared
    /// rules' ([`Parcel::apply`]), or the rules' refusal.
    pub fn apply(
        draft: EventDraft,
        before: &Parcel,
        ctx: &EventContext<'_>,
    ) -> Result<Self, TerminalError> {
        let after = before.apply(&draft, ctx)?;
        Ok(Decision {
            draft,
            parcels: vec![after],
            code_key: None,
            manifest: None,
            settles_try: None,
            supervised: false,
            resets_supervisor_tries: None,
        })
    }

    /// An event that changes no parcel.
    pub fn event(draft: EventDraft) -> Self {
        Decision {
            draft,
            parcels: Vec::new(),
            code_key: None,
            manifest: None,
            settles_try: None,
            supervised: false,
            resets_supervisor_tries: None,
        }
    }
}

/// The terminal service.
pub struct Terminal {
    store: Store,
    key: Arc<DeviceKey>,
    identity: Identity,
    clock: Arc<dyn Clock>,
    position: Arc<dyn PositionSource>,
    online: Option<Arc<dyn OnlineCodeCheck>>,
    /// The server that checks supervisors' PINs (none: not enrolled).
    supervisor_server: Option<Arc<dyn SupervisorSignInServer>>,
    /// Settings and version of the manifest in force (cached: read on every event).
    manifest: Option<ManifestInForce>,
    /// The signed-in depot supervisor, in memory only (never stored).
    supervisor: Option<supervisor::Session>,
    /// The camera photos are taken with (none: not configured).
    camera: Option<Box<dyn firmware_bridge::Camera>>,
}

impl Terminal {
    /// Opens an initialised data directory.
    pub fn open(
        dir: &DataDir,
        clock: Arc<dyn Clock>,
        position: Arc<dyn PositionSource>,
    ) -> Result<Terminal, TerminalError> {
        Self::open_with(dir, clock, position, false)
    }

    /// Opens an initialised data directory for reading only: status and
    /// reports work on a full or read-only disk; any write is refused by SQLite.
    pub fn open_read_only(
        dir: &DataDir,
        clock: Arc<dyn Clock>,
        position: Arc<dyn PositionSource>,
    ) -> Result<Terminal, TerminalError> {
        Self::open_with(dir, clock, position, true)
    }

    fn open_with(
        dir: &DataDir,
        clock: Arc<dyn Clock>,
        position: Arc<dyn PositionSource>,
        read_only: bool,
    ) -> Result<Terminal, TerminalError> {
        if let Some(e) = setup::unusable(dir) {
            return Err(e);
        }
        let key = Arc::new(DeviceKey::load(&dir.key())?);
        let store = if read_only {
            Store::open_read_only(&dir.database())?
        } else {
            Store::open(&dir.database())?
        };
        Self::from_parts(store, key, clock, position, read_only)
    }

    /// A terminal on a store and a device key the caller opened (the assembly
    /// opens the key once and hands it to every part that signs).
    pub fn from_parts(
        store: Store,
        key: Arc<DeviceKey>,
        clock: Arc<dyn Clock>,
        position: Arc<dyn PositionSource>,
        read_only: bool,
    ) -> Result<Terminal, TerminalError> {
        let identity = store
            .identity()?
            .ok_or_else(|| {
                TerminalError::NotInitialised(
                    "its database records no device id (a set-up that stopped half way): move the data directory aside and enroll on a fresh one (README, \"Re-enrollment\")".into(),
                )
            })?;
        let manifest = ManifestInForce::read(&store)?;
        let mut terminal = Terminal {
            store,
            key,
            identity,
            clock,
            position,
            online: None,
            supervisor_server: None,
            manifest,
            supervisor: None,
            camera: None,
        };
        if !read_only {
            terminal.record_interrupted_tries()?;
        }
        Ok(terminal)
    }

    /// Runs `f` on a terminal over a connection lent for it, and gives the
    /// connection back whatever happens: the sync thread loads the manifests
    /// it downloads on the sync engine's own connection, one per thread. No
    /// interrupted try is recorded here (the screens' terminal does at start).
    pub fn on_lent_connection<R>(
        store: Store,
        key: Arc<DeviceKey>,
        clock: Arc<dyn Clock>,
        position: Arc<dyn PositionSource>,
        f: impl FnOnce(&mut Terminal) -> R,
    ) -> (Store, Result<R, TerminalError>) {
        let identity = match store.identity() {
            Ok(Some(identity)) => identity,
            Ok(None) => {
                return (
                    store,
                    Err(TerminalError::NotInitialised("no device id".into())),
                );
            }
            Err(e) => return (store, Err(e.into())),
        };
        let manifest = match ManifestInForce::read(&store) {
            Ok(m) => m,
            Err(e) => return (store, Err(e.into())),
        };
        let mut terminal = Terminal {
            store,
            key,
            identity,
            clock,
            position,
            online: None,
            supervisor_server: None,
            manifest,
            supervisor: None,
            camera: None,
        };
        let answer = f(&mut terminal);
        (terminal.store, Ok(answer))
    }

    /// The device key, shared (the online check and sync sign with it).
    pub fn device_key(&self) -> Arc<DeviceKey> {
        self.key.clone()
    }

    /// Plugs in the online code check (sync engine).
    pub fn set_online_check(&mut self, online: Arc<dyn OnlineCodeCheck>) {
        self.online = Some(online);
    }

    /// Plugs in the server that checks supervisors' PINs at sign-in.
    pub fn set_supervisor_server(&mut self, server: Arc<dyn SupervisorSignInServer>) {
        self.supervisor_server = Some(server);
    }

    /// The store (read access for status screens, export, sync).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// This device's id.
    pub fn device_id(&self) -> &DeviceId {
        &self.identity.device_id
    }

    /// Who this device is and whom it trusts.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// This device's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// Pins the server key (enrollment).
    pub fn pin_server_key(&mut self, key: PublicKey) -> Result<(), TerminalError> {
        self.store.pin_server_key(&key)?;
        self.identity.server_key = Some(key);
        Ok(())
    }

    /// The latest time this device has evidence for (device clock, GNSS time,
    /// every server time seen): a clock that never goes back.
    pub fn trusted_now_ms(&self) -> Result<i64, TerminalError> {
        let reading = self.position.reading();
        Ok(trusted_clock::trusted_now(
            self.store.clock_floor()?,
            self.clock.now().device_utc_ms,
            reading.gnss_utc_ms,
        ))
    }

    /// Settings of the manifest in force (defaults before any manifest).
    ///
    /// Another writer (the sync thread) may have loaded a newer manifest: a
    /// one-integer query tells, and only then is the manifest read again.
    pub fn settings(&mut self) -> Result<ManifestSettings, TerminalError> {
        self.refresh_manifest()?;
        Ok(self
            .manifest
            .as_ref()
            .map(|m| m.settings.clone())
            .unwrap_or_default())
    }

    fn refresh_manifest(&mut self) -> Result<(), TerminalError> {
        let newest = self.store.highest_manifest_version()?;
        if newest != self.manifest.as_ref().map(|m| m.version) {
            self.manifest = ManifestInForce::read(&self.store)?;
        }
        Ok(())
    }

    /// The moment of an event: position and clocks, read once.
    fn stamp(&self, settings: &ManifestSettings) -> Stamp {
        let reading = self.position.reading();
        Stamp {
            position: to_record(&reading, i64::from(settings.fix_max_age_s) * 1000),
            gnss_utc_ms: reading.gnss_utc_ms,
            clock: self.clock.now(),
        }
    }

    /// Records one event, decided by `decide` on the state committed when the
    /// write transaction starts; nothing is written when it refuses.
    fn record<'m>(
        &mut self,
        decide: impl FnOnce(&Tx<'_>, &Stamp, &ManifestSettings) -> Result<Decision<'m>, TerminalError>,
    ) -> Result<SignedEvent, TerminalError> {
        self.record_if(|tx, stamp, settings| decide(tx, stamp, settings).map(Some))?
            .ok_or_else(|| StoreError::Decode("no event was decided".into()).into())
    }

    /// Like [`Terminal::record`], but `decide` may find there is nothing to
    /// record (`None`), and nothing is written.
    fn record_if<'m>(
        &mut self,
        decide: impl FnOnce(
            &Tx<'_>,
            &Stamp,
            &ManifestSettings,
        ) -> Result<Option<Decision<'m>>, TerminalError>,
    ) -> Result<Option<SignedEvent>, TerminalError> {
        let settings = self.settings()?;
        let stamp = self.stamp(&settings);
        let key = &*self.key;
        let device_id = self.identity.device_id.as_str();
        let test_platform = self.identity.profile == Some(Profile::Test);
        let session = self.supervisor.as_ref();
        let event = self.store.append_if(|tx| {
            let Some(mut decision) = decide(tx, &stamp, &settings)? else {
                return Ok(None);
            };
            if let Some(parcel_id) = decision.draft.parcel_id.clone()
                && names_photos(decision.draft.kind)
            {
                // The photos taken for the parcel since its last outcome or
                // intake go into this event, and the shared rule checks
                // the count the manifest requires, on committed state.
                decision.draft.photos = tx.photos_waiting_for_event(&parcel_id)?;
                courier_protocol::rules::check_photos(&tx.photo_policy()?, &decision.draft)?;
            }
            let names_photos = decision
                .draft
                .photos
                .iter()
                .map(|p| p.sha256.clone())
                .collect();
            if test_platform {
                // Every event of the pre-production platform says so.
                decision.draft = decision.draft.detail("platform", "test");
            }
            let floor = trusted_clock::trusted_now(
                tx.clock_floor()?,
                stamp.clock.device_utc_ms,
                stamp.gnss_utc_ms,
            );
            let manifest_version = match &decision.manifest {
                Some(m) => Some(m.signed.body.version),
                None => tx.highest_manifest_version()?,
            };
            let recorder = Recorder {
                device_id,
                manifest_version,
                app_version: APP_VERSION,
            };
            let tip = tx.chain_tip()?;
            let event_id = uuid::Uuid::now_v7().to_string();
            let mut body = into_body(decision.draft, event_id, stamp.clone(), &recorder, &tip);
            if let Some(k) = &decision.code_key {
                body.code_proof = Some(hex::encode(k.proof(&body.proof_digest()?)));
            }
            if decision.supervised {
                let s = session.ok_or(SupervisorRefusal::NotSignedIn)?;
                s.sign(&mut body)?;
            }
            // The server refuses an event past a bound: never record one.
            courier_protocol::bounds::check_event(&body)?;
            let event = SignedEvent::seal(body, key)?;
            Ok::<_, TerminalError>(Some(Append {
                event,
                parcels: decision.parcels,
                manifest: decision.manifest,
                meta: vec![(MetaKey::ClockFloorMs, floor.to_string())],
                settles_try: decision.settles_try,
                resets_supervisor_tries: decision.resets_supervisor_tries,
                names_photos,
            }))
        })?;
        if let Some(event) = &event {
            info!(seq = event.body.seq, kind = ?event.body.kind, parcel = ?event.body.parcel_id, "event recorded");
        }
        Ok(event)
    }

    /// Records an event about the parcel with `label`, decided by `decide` on
    /// the parcel as committed when the write transaction starts.
    fn record_on(
        &mut self,
        label: &str,
        decide: impl FnOnce(
            Parcel,
            &Stamp,
            &ManifestSettings,
        ) -> Result<Decision<'static>, TerminalError>,
    ) -> Result<SignedEvent, TerminalError> {
        let label = entry_text(label);
        self.record(|tx, stamp, settings| {
            let parcel = tx
                .parcel_by_label(&label)?
                .ok_or_else(|| TerminalError::UnknownLabel(label.clone()))?;
            decide(parcel, stamp, settings)
        })
    }

    /// All parcels in route order.
    pub fn parcels(&self) -> Result<Vec<Parcel>, TerminalError> {
        Ok(self.store.parcels()?)
    }

    /// The parcel with this label.
    pub fn parcel(&self, label: &str) -> Result<Parcel, TerminalError> {
        let label = entry_text(label);
        self.store
            .parcel_by_label(&label)?
            .ok_or_else(|| TerminalError::UnknownLabel(label))
    }

    /// The label of the parcel a scanned or typed text names: the label itself,
    /// or the one label that ends with the typed characters.
    pub fn resolve_label(&self, text: &str) -> Result<String, TerminalError> {
        let text = entry_text(text);
        let text = text.as_str();
        if text.is_empty() {
            return Err(TerminalError::UnknownLabel(String::new()));
        }
        // A parcel of an order of several parcels opens its order.
        match self.order_of(text) {
            Ok(p) => return Ok(p.spec.label),
            Err(TerminalError::UnknownLabel(_)) => {}
            Err(e) => return Err(e),
        }
        let upper = text.to_uppercase();
        let matches: Vec<String> = self
            .parcels()?
            .into_iter()
            .map(|p| p.spec.label)
            .filter(|l| l.ends_with(&upper))
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(TerminalError::UnknownLabel(text.to_owned())),
            many => Err(TerminalError::AmbiguousLabel {
                text: text.to_owned(),
                matches: many.len(),
            }),
        }
    }
}
