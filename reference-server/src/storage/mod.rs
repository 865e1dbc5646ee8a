//! The server's storage: one trait, engines beside it. SQLite ([`sqlite`]) is
//! the embedded default (demo, tests, a small depot); PostgreSQL
//! ([`postgres`]) serves many devices from several server processes on one
//! database; [`open`] picks one from the configuration. The trait names no
//! engine, the engines never import each other, and the row decoding they
//! share lives in `rows`. Nothing another process needs lives in process
//! memory: keys, tokens, nonces, chains, ledgers, counters, supervisors'
//! keys, alerts, day-close flags, operators, sessions, claims, the audit
//! log and the event log are all rows.

pub mod claims;
pub mod event_log;
pub mod open;
pub mod operators;
pub mod photos;
pub mod postgres;
pub(crate) mod rows;
pub mod sqlite;
pub mod supervisors;
pub mod transaction;

use async_trait::async_trait;
use courier_protocol::api::DayCloseFlag;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::keys::PublicKey;

pub use crate::records::{
    Alert, DeviceRow, FleetRow, NewManifest, OrderRow, ReportSource, Revocation,
};
pub use claims::ClaimStorage;
pub use event_log::{LogLeaf, LogStorage};
pub use operators::OperatorStorage;
pub use photos::{NamedPhoto, PhotoStorage};
pub use supervisors::SupervisorStorage;
pub use transaction::{BatchTransaction, CodeCheckTransaction};

use crate::error::ServerError;

/// Every read and write the server makes. Implementations keep each method
/// atomic; the decisions that read and write together (a batch, an online
/// code check) run in one transaction each ([`transaction`]), which the
/// engine opens.
#[async_trait]
pub trait Storage:
    SupervisorStorage + OperatorStorage + ClaimStorage + LogStorage + PhotoStorage + Send + Sync
{
    /// Which engine this is (`sqlite` or `postgres`).
    fn engine(&self) -> &'static str;

    /// Opens the transaction of a batch; dropped without
    /// [`BatchTransaction::commit`], it rolls back.
    async fn begin_batch(&self) -> Result<Box<dyn BatchTransaction + '_>, ServerError>;

    /// Opens the transaction of an online code check; dropped without
    /// [`CodeCheckTransaction::commit`], it rolls back.
    async fn begin_code_check(&self) -> Result<Box<dyn CodeCheckTransaction + '_>, ServerError>;

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

    /// Highest manifest version issued to a device, with its signed JSON.
    async fn latest_manifest(&self, device_id: &str) -> Result<Option<(u64, String)>, ServerError>;

    /// Stores a signed manifest, the parcels it gives the device and those it
    /// withdraws; `depot` is where the device works from now on.
    async fn add_manifest(&self, manifest: &NewManifest<'_>) -> Result<(), ServerError>;

    /// The device an order is issued to now (one at a time), if any.
    async fn holder(&self, parcel_id: &str) -> Result<Option<String>, ServerError>;

    /// Revokes a device from `revocation.at_ms` on (a later call replaces
    /// the time and reason); `false` when no such device is enrolled.
    async fn revoke_device(
        &self,
        device_id: &str,
        revocation: &Revocation,
    ) -> Result<bool, ServerError>;

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

    /// Every enrolled device with its depot and last upload, by id.
    async fn fleet(&self) -> Result<Vec<FleetRow>, ServerError>;

    /// Alerts with an id above `after_id`, oldest first, at most `limit`.
    async fn alerts(&self, after_id: i64, limit: u32) -> Result<Vec<Alert>, ServerError>;

    /// Counts of stored events: `(rows, distinct event ids)` (the load test's
    /// exactly-once check).
    async fn event_counts(&self) -> Result<(u64, u64), ServerError>;

    /// Every day-close flag, oldest first.
    async fn day_close_flags(&self) -> Result<Vec<DayCloseFlag>, ServerError>;

    /// The sources of day reports: the one device named, or every device a
    /// manifest ever sent to `depot`. A device not enrolled gives nothing.
    async fn report_sources(
        &self,
        device: Option<&str>,
        depot: Option<&str>,
    ) -> Result<Vec<ReportSource>, ServerError>;

    /// The stored event `event_id`, unless it was not honoured.
    async fn honoured_event(&self, event_id: &str) -> Result<Option<SignedEvent>, ServerError>;

    /// The ledger `device_id` holds of `parcel_id` (a stop desk's view of a
    /// parcel a courier handed over).
    async fn parcel_ledger(
        &self,
        device_id: &str,
        parcel_id: &str,
    ) -> Result<Option<courier_protocol::rules::ParcelLedger>, ServerError>;
}
