//! Photo rows: a photo taken for a parcel waits for the event that names it
//! (bound inside that event's transaction, [`super::Append::names_photos`]),
//! then for its upload, which starts once the server has stored the event,
//! and for the server's signed receipt; only then, and after the retention
//! period, is its file deleted (a trigger refuses it before the receipt).

use courier_protocol::photo::PhotoRef;
use courier_protocol::photo_policy::PhotoPolicy;
use rusqlite::{Connection, OptionalExtension, params};

use super::connected::Connected;
use super::reads::Tx;
use super::row_codec::decode;
use super::{Store, StoreError};

fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

/// A photo the sync engine uploads: named by an event the server stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoUpload {
    /// The photo's hash.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// Bytes the server acknowledged so far.
    pub uploaded_bytes: u64,
    /// Failed tries so far.
    pub tries: u32,
}

/// What the screens and `status` say about photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct PhotoCounts {
    /// Taken, waiting for the event that will name them.
    pub awaiting_event: u64,
    /// Named by an event, waiting for the server's receipt.
    pub awaiting_upload: u64,
    /// Bytes of photo files on the device.
    pub bytes_on_device: u64,
}

fn waiting_for_event(conn: &Connection, parcel_id: &str) -> Result<Vec<PhotoRef>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT sha256, bytes, width, height, taken_at_ms FROM photos
             WHERE parcel_id = ?1 AND event_seq IS NULL AND discarded_at_ms IS NULL
             ORDER BY taken_at_ms, sha256",
        )
        .map_err(sql("reading photos"))?;
    let rows = stmt
        .query_map([parcel_id], |r| {
            Ok(PhotoRef {
                sha256: r.get(0)?,
                bytes: r.get(1)?,
                width: r.get(2)?,
                height: r.get(3)?,
                taken_at_ms: r.get(4)?,
            })
        })
        .map_err(sql("reading photos"))?;
    rows.collect::<Result<_, _>>()
        .map_err(sql("reading photos"))
}

fn policy(conn: &Connection) -> Result<PhotoPolicy, StoreError> {
    let json: Option<Option<String>> = conn
        .query_row(
            "SELECT json_extract(signed_json, '$.body.photos') FROM manifests ORDER BY version DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(sql("reading the photo policy"))?;
    match json.flatten() {
        Some(j) => decode("photo policy", &j),
        None => Ok(PhotoPolicy::new()),
    }
}

impl Tx<'_> {
    /// Photos taken for the parcel that no event names yet, oldest first.
    pub fn photos_waiting_for_event(&self, parcel_id: &str) -> Result<Vec<PhotoRef>, StoreError> {
        waiting_for_event(self.conn(), parcel_id)
    }

    /// The photo policy of the manifest in force (empty before any).
    pub fn photo_policy(&self) -> Result<PhotoPolicy, StoreError> {
        policy(self.conn())
    }
}

impl Store {
    /// Photos taken for the parcel that no event names yet, oldest first.
    pub fn photos_waiting_for_event(&self, parcel_id: &str) -> Result<Vec<PhotoRef>, StoreError> {
        waiting_for_event(self.conn(), parcel_id)
    }

    /// The photo policy of the manifest in force (empty before any).
    pub fn photo_policy(&self) -> Result<PhotoPolicy, StoreError> {
        policy(self.conn())
    }

    /// Records a photo taken for a parcel, its file already on disk. The
    /// same bytes taken again for the same parcel are one photo.
    pub fn add_photo(&mut self, parcel_id: &str, photo: &PhotoRef) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO photos(sha256, parcel_id, bytes, width, height, taken_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sha256) DO NOTHING",
                params![
                    photo.sha256,
                    parcel_id,
                    photo.bytes,
                    photo.width,
                    photo.height,
                    photo.taken_at_ms
                ],
            )
            .map_err(sql("recording a photo"))?;
        Ok(())
    }

    /// Sets aside a photo no event names yet (a retake); `false` when an
    /// event names it already (then it stays evidence).
    pub fn discard_photo(&mut self, sha256: &str, at_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE photos SET discarded_at_ms = ?2
                 WHERE sha256 = ?1 AND event_seq IS NULL AND discarded_at_ms IS NULL",
                params![sha256, at_ms],
            )
            .map_err(sql("discarding a photo"))?;
        Ok(n == 1)
    }

    /// Photos to upload now: named by an event the server stored, without
    /// a receipt, due for a try at `now_ms`; in the order of their events.
    pub fn photos_to_upload(
        &self,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<PhotoUpload>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT p.sha256, p.bytes, p.uploaded_bytes, p.tries FROM photos p
                 JOIN outbox o ON o.seq = p.event_seq
                 WHERE p.receipt_json IS NULL AND p.next_try_ms <= ?1
                   AND o.acked_status IN ('accepted', 'duplicate', 'not_honoured')
                 ORDER BY p.event_seq, p.taken_at_ms LIMIT ?2",
            )
            .map_err(sql("reading photos to upload"))?;
        let rows = stmt
            .query_map(params![now_ms, limit], |r| {
                Ok(PhotoUpload {
                    sha256: r.get(0)?,
                    bytes: r.get(1)?,
                    uploaded_bytes: r.get(2)?,
                    tries: r.get(3)?,
                })
            })
            .map_err(sql("reading photos to upload"))?;
        rows.collect::<Result<_, _>>()
            .map_err(sql("reading photos to upload"))
    }

    /// Notes how many bytes the server holds of a photo.
    pub fn photo_progress(&mut self, sha256: &str, uploaded: u64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE photos SET uploaded_bytes = ?2, last_error = NULL WHERE sha256 = ?1",
                params![sha256, uploaded],
            )
            .map_err(sql("recording upload progress"))?;
        Ok(())
    }

    /// Notes a failed upload try and when to try again.
    pub fn photo_failed(
        &mut self,
        sha256: &str,
        next_try_ms: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE photos SET tries = tries + 1, next_try_ms = ?2, last_error = ?3 WHERE sha256 = ?1",
                params![sha256, next_try_ms, error],
            )
            .map_err(sql("recording an upload failure"))?;
        Ok(())
    }

    /// Keeps the server's verified receipt of a photo.
    pub fn photo_received(
        &mut self,
        sha256: &str,
        receipt_json: &str,
        at_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE photos SET receipt_json = ?2, receipt_at_ms = ?3, uploaded_bytes = bytes,
                 last_error = NULL WHERE sha256 = ?1",
                params![sha256, receipt_json, at_ms],
            )
            .map_err(sql("recording a photo receipt"))?;
        Ok(())
    }

    /// Photo files the device may delete at `now_ms`: those with a receipt
    /// older than `retention_ms`, and retakes no event names.
    pub fn photos_to_delete(
        &self,
        now_ms: i64,
        retention_ms: i64,
    ) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT sha256 FROM photos WHERE deleted_at_ms IS NULL AND (
                    (receipt_json IS NOT NULL AND receipt_at_ms + ?2 <= ?1)
                    OR (event_seq IS NULL AND discarded_at_ms IS NOT NULL))
                 ORDER BY sha256",
            )
            .map_err(sql("reading photos to delete"))?;
        let rows = stmt
            .query_map(params![now_ms, retention_ms], |r| r.get(0))
            .map_err(sql("reading photos to delete"))?;
        rows.collect::<Result<_, _>>()
            .map_err(sql("reading photos to delete"))
    }

    /// Marks a photo's file deleted (refused by a trigger for a photo an
    /// event names before its receipt).
    pub fn photo_deleted(&mut self, sha256: &str, at_ms: i64) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE photos SET deleted_at_ms = ?2 WHERE sha256 = ?1 AND deleted_at_ms IS NULL",
                params![sha256, at_ms],
            )
            .map_err(sql("recording a photo deleted"))?;
        Ok(())
    }

    /// Photos waiting, and the bytes of photo files on the device.
    pub fn photo_counts(&self) -> Result<PhotoCounts, StoreError> {
        self.conn
            .query_row(
                "SELECT
                    COALESCE(SUM(event_seq IS NULL AND discarded_at_ms IS NULL), 0),
                    COALESCE(SUM(event_seq IS NOT NULL AND receipt_json IS NULL), 0),
                    COALESCE(SUM(CASE WHEN deleted_at_ms IS NULL THEN bytes ELSE 0 END), 0)
                 FROM photos",
                [],
                |r| {
                    Ok(PhotoCounts {
                        awaiting_event: r.get(0)?,
                        awaiting_upload: r.get(1)?,
                        bytes_on_device: r.get(2)?,
                    })
                },
            )
            .map_err(sql("counting photos"))
    }
}
