//! Photo rows: the photos accepted events name (written with the events at
//! ingest) and the photos whose bytes the server holds. The bytes live in a
//! [`crate::photo_store::PhotoBlobs`], content-addressed. Part of
//! [`super::Storage`]; kept apart so the engines implement it in files of
//! their own.

use async_trait::async_trait;

use crate::error::ServerError;

/// A photo as a stored event names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NamedPhoto {
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Its size, as the event signs it.
    pub bytes: u64,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// When it was taken (device clock).
    pub taken_at_ms: i64,
    /// The device whose event names it.
    pub device_id: String,
    /// That event's sequence number.
    pub seq: u64,
    /// That event's id.
    pub event_id: String,
    /// The parcel of the event.
    pub parcel_id: Option<String>,
    /// The order of the parcel.
    pub order_ref: Option<String>,
    /// The device's depot when the event was received.
    pub depot: Option<String>,
    /// The event's signed time.
    pub signed_at_ms: i64,
    /// When the server stored the bytes (none: not uploaded yet).
    pub stored_at_ms: Option<i64>,
}

/// The photos' reads and writes; each method is atomic.
#[async_trait]
pub trait PhotoStorage: Send + Sync {
    /// The photo with this hash as the device's stored events name it
    /// (the earliest event); `None` when none of its events names it.
    async fn photo_named_by(
        &self,
        device_id: &str,
        sha256: &str,
    ) -> Result<Option<NamedPhoto>, ServerError>;

    /// Records that the server holds the bytes of a photo; returns when it
    /// was first stored (an upload of the same photo again keeps that time).
    async fn photo_stored(
        &self,
        sha256: &str,
        bytes: u64,
        device_id: &str,
        now_ms: i64,
    ) -> Result<i64, ServerError>;

    /// The photos named by events signed in `[from_ms, to_ms)`, of a depot
    /// or of all, in signed-time order.
    async fn photos_between(
        &self,
        depot: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<NamedPhoto>, ServerError>;
}

/// The SQL both engines run, with `$n` placeholders (SQLite reads them too).
pub(crate) mod sql {
    /// Columns of a [`super::NamedPhoto`], in its field order.
    pub const COLUMNS: &str = "r.sha256, r.bytes, r.width, r.height, r.taken_at_ms, r.device_id, r.seq, r.event_id, r.parcel_id, r.order_ref, r.depot, r.signed_at_ms, s.stored_at_ms";
    /// Inserts one named photo (once per event and hash).
    pub const INSERT_REF: &str = "INSERT INTO photo_refs(device_id, seq, sha256, event_id, parcel_id, order_ref, depot, bytes, width, height, taken_at_ms, signed_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING";
    /// Records the bytes held (first time kept).
    pub const INSERT_STORED: &str =
        "INSERT INTO photos_stored(sha256, bytes, device_id, stored_at_ms) VALUES ($1, $2, $3, $4)
         ON CONFLICT(sha256) DO NOTHING";
    /// When the bytes were first stored.
    pub const STORED_AT: &str = "SELECT stored_at_ms FROM photos_stored WHERE sha256 = $1";
}
