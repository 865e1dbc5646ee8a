//! The server's storage: one trait, two engines. SQLite ([`crate::sqlite`]) is
//! the embedded default (demo, tests, a small depot); PostgreSQL
//! ([`crate::postgres`]) serves many devices from several server processes on
//! one database. Nothing another process needs lives in process memory: keys,
//! tokens, nonces, chains, ledgers, counters, supervisors' keys, alerts and
//! day-close flags are all rows.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use courier_protocol::api::DayCloseFlag;
use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::keys::PublicKey;
use courier_protocol::manifest::{ManifestBody, ManifestParcel};
use courier_protocol::supervisor::SupervisorCredential;
use courier_protocol::vocabulary::SupervisorFactor;
use serde::{Deserialize, Serialize};

use crate::ServerError;
use crate::ingest::{IngestOutcome, Uploaded};

/// Where the server keeps its data: a SQLite file or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An embedded SQLite file (the default).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl Database {
    /// Reads `--database`: a `postgres://` or `postgresql://` URL, else a SQLite path.
    pub fn parse(text: &str) -> Database {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Database::Postgres(text.to_owned())
        } else {
            Database::Sqlite(PathBuf::from(text))
        }
    }

    /// A description without any password, for logs and error messages.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(p) => format!("SQLite file {}", p.display()),
            Database::Postgres(url) => format!("PostgreSQL {}", crate::postgres::redact(url)),
        }
    }
}

/// Opens (and migrates) the storage a configuration names.
pub async fn open_storage(database: &Database) -> Result<Arc<dyn Storage>, ServerError> {
    Ok(match database {
        Database::Sqlite(path) => Arc::new(crate::sqlite::SqliteStore::open(path)?),
        Database::Postgres(url) => Arc::new(crate::postgres::PgStore::open(url).await?),
    })
}

/// An enrolled device.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    /// Its id.
    pub device_id: String,
    /// Its key.
    pub public_key: PublicKey,
    /// The last stored event.
    pub tip: ChainTip,
}

/// An order as the server keeps it: the parcel spec and the derived keys only.
#[derive(Debug, Clone)]
pub struct OrderRow {
    /// The parcel as a manifest lists it (route order and withdrawn set at issue).
    pub spec: ManifestParcel,
    /// `K` of the numeric form.
    pub numeric_key: [u8; 32],
    /// `K` of the QR form.
    pub qr_key: [u8; 32],
    /// Attempts counted by online checks.
    pub attempts_spent: u32,
    /// Wrong-code limit.
    pub attempt_limit: u32,
}

/// Something the back office must look at (a fork of a device's chain, an
/// event id reused with other content): recorded, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Row id, increasing.
    pub id: i64,
    /// What happened: `fork` or `event_id_conflict`.
    pub kind: String,
    /// The device that uploaded it.
    pub device_id: String,
    /// A sentence with the sequence number, both hashes and the event id.
    pub detail: String,
    /// Server time of the upload, Unix milliseconds.
    pub at_ms: i64,
}

/// Every read and write the server makes. Implementations keep each method
/// atomic; [`Storage::ingest`] is one transaction that holds the device's
/// chain (and the orders it touches) against concurrent batches.
#[async_trait]
pub trait Storage: Send + Sync {
    /// Which engine this is (`sqlite` or `postgres`).
    fn engine(&self) -> &'static str;

    /// Reads a meta value.
    async fn meta(&self, key: &str) -> Result<Option<String>, ServerError>;

    /// Stores `value` under `key` unless a value is there already; returns
    /// the stored value (so racing processes agree on one server key).
    async fn meta_or_insert(&self, key: &str, value: &str) -> Result<String, ServerError>;

    /// Stores a new enrollment token (by its hash).
    async fn add_token(&self, token_hash: &str, expires_at_ms: i64) -> Result<(), ServerError>;

    /// A token's expiry and the device it enrolled, if any.
    async fn token(&self, token_hash: &str) -> Result<Option<(i64, Option<String>)>, ServerError>;

    /// Enrolls a device and spends the token, atomically; a token spent
    /// meanwhile or a key already enrolled is a [`ServerError::Conflict`].
    async fn enroll(
        &self,
        token_hash: &str,
        device_id: &str,
        key: &PublicKey,
        hardware_label: &str,
        now_ms: i64,
    ) -> Result<(), ServerError>;

    /// Looks a device up.
    async fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, ServerError>;

    /// Records a request nonce; `false` when it was already used. Nonces
    /// older than twice the window are forgotten.
    async fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<bool, ServerError>;

    /// Stores a new order; a reference or label in use is a conflict.
    async fn add_order(&self, order: &OrderRow) -> Result<(), ServerError>;

    /// Looks an order up by parcel id.
    async fn order(&self, parcel_id: &str) -> Result<Option<OrderRow>, ServerError>;

    /// Counts one online attempt durably; returns the new count.
    async fn spend_attempt(&self, parcel_id: &str) -> Result<u32, ServerError>;

    /// Gives a correct code its try back (never below zero); returns the count.
    async fn restore_attempt(&self, parcel_id: &str) -> Result<u32, ServerError>;

    /// Logs an online check.
    async fn log_code_check(
        &self,
        device_id: &str,
        parcel_id: &str,
        nonce: &str,
        result: &str,
        now_ms: i64,
    ) -> Result<(), ServerError>;

    /// Highest manifest version issued to a device, with its signed JSON.
    async fn latest_manifest(&self, device_id: &str) -> Result<Option<(u64, String)>, ServerError>;

    /// Stores a signed manifest, the parcels it gives the device and those it
    /// withdraws; `depot` is where the device works from now on.
    async fn add_manifest(&self, manifest: &NewManifest<'_>) -> Result<(), ServerError>;

    /// Whether a parcel was ever in a manifest issued to the device.
    async fn parcel_issued_to(&self, device_id: &str, parcel_id: &str)
    -> Result<bool, ServerError>;

    /// Checks and stores a batch for a device in one transaction (see
    /// [`crate::ingest`]); batches of one device are serialised, across
    /// processes too.
    async fn ingest(
        &self,
        device_id: &str,
        events: &[Uploaded],
        now_ms: i64,
    ) -> Result<IngestOutcome, ServerError>;

    /// Every stored event of a device, in chain order.
    async fn device_events(&self, device_id: &str) -> Result<Vec<SignedEvent>, ServerError>;

    /// A device's events whose signed time is in `[from_ms, to_ms)`, in chain order.
    async fn events_of_device_between(
        &self,
        device_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SignedEvent>, ServerError>;

    /// The events of every device of a depot whose signed time is in
    /// `[from_ms, to_ms)`, by device then chain order.
    async fn events_of_depot_between(
        &self,
        depot: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SignedEvent>, ServerError>;

    /// The events concerning an order reference, by device then chain order.
    async fn events_of_order(&self, order_ref: &str) -> Result<Vec<SignedEvent>, ServerError>;

    /// Alerts with an id above `after_id`, oldest first, at most `limit`.
    async fn alerts(&self, after_id: i64, limit: u32) -> Result<Vec<Alert>, ServerError>;

    /// Counts of stored events: `(rows, distinct event ids)` (the load test's
    /// exactly-once check).
    async fn event_counts(&self) -> Result<(u64, u64), ServerError>;

    /// Stores (or re-issues) a depot supervisor's credential and keys `K`, in
    /// one transaction. Earlier keys stay, so events signed under a manifest
    /// carrying the old credential still verify.
    async fn put_supervisor(
        &self,
        depot: &str,
        credential: &SupervisorCredential,
        keys: &[(SupervisorFactor, [u8; 32])],
        now_ms: i64,
    ) -> Result<(), ServerError>;

    /// The credentials of a depot's supervisors (for its manifests), by id.
    async fn depot_supervisors(
        &self,
        depot: &str,
    ) -> Result<Vec<SupervisorCredential>, ServerError>;

    /// Every day-close flag, oldest first.
    async fn day_close_flags(&self) -> Result<Vec<DayCloseFlag>, ServerError>;

    /// The sources of day reports: the one device named, or every device a
    /// manifest ever sent to `depot`. A device not enrolled gives nothing.
    async fn report_sources(
        &self,
        device: Option<&str>,
        depot: Option<&str>,
    ) -> Result<Vec<ReportSource>, ServerError>;
}

/// What one device's day report is computed from.
#[derive(Debug, Clone)]
pub struct ReportSource {
    /// The device.
    pub device_id: String,
    /// Every manifest issued to it, by version.
    pub manifests: Vec<ManifestBody>,
    /// Every event it uploaded, in sequence order (verified at ingest).
    pub events: Vec<SignedEvent>,
}

/// Groups `(device, signed manifest JSON)` rows (by device, then version; a
/// device without a manifest has `None`) into report sources, keeping those
/// of `depot` when one is named; the events are filled in afterwards.
pub(crate) fn group_report_sources(
    rows: impl IntoIterator<Item = (String, Option<String>)>,
    depot: Option<&str>,
) -> Result<Vec<ReportSource>, ServerError> {
    let mut out: Vec<ReportSource> = Vec::new();
    for (device_id, manifest) in rows {
        if out.last().is_none_or(|s| s.device_id != device_id) {
            out.push(ReportSource {
                device_id: device_id.clone(),
                manifests: Vec::new(),
                events: Vec::new(),
            });
        }
        if let (Some(text), Some(source)) = (manifest, out.last_mut()) {
            let signed: courier_protocol::manifest::SignedManifest = serde_json::from_str(&text)
                .map_err(|e| ServerError::Database(format!("stored manifest: {e}")))?;
            source.manifests.push(signed.body);
        }
    }
    out.retain(|s| depot.is_none_or(|d| s.manifests.iter().any(|m| m.depot == d)));
    Ok(out)
}

/// The body of a stored signed manifest.
pub(crate) fn manifest_body(json: &str) -> Result<ManifestBody, ServerError> {
    serde_json::from_str::<courier_protocol::manifest::SignedManifest>(json)
        .map(|m| m.body)
        .map_err(|e| ServerError::Database(format!("stored manifest: {e}")))
}

/// A manifest to store.
pub struct NewManifest<'a> {
    /// The device.
    pub device_id: &'a str,
    /// Its version.
    pub version: u64,
    /// The signed manifest as JSON.
    pub signed_json: &'a str,
    /// Parcels it lists (withdrawn ones included).
    pub parcel_ids: &'a [String],
    /// Parcels it withdraws.
    pub withdrawn: &'a [String],
    /// The depot it names.
    pub depot: &'a str,
}

/// An `i64` column from a count or sequence number.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A `u64` from an `i64` column (negative values are corrupt and read as 0).
pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A stored event's signed time: the GNSS time when the device had one, else
/// its wall clock. Partitions and day queries use it.
pub fn signed_time_ms(event: &SignedEvent) -> i64 {
    event
        .body
        .gnss_utc_ms
        .unwrap_or(event.body.clock.device_utc_ms)
}
