//! The photo outbox: photos travel after the events that name them, each in
//! its own requests (chunks of [`MAX_PHOTO_CHUNK_BYTES`], resumed from what
//! the server holds), with the events' backoff, and never block the
//! courier nor the events. A photo's file is deleted only after the
//! server's signed receipt names its hash and [`PHOTO_RETENTION_MS`] passed
//! (sooner when the photos on the device pass [`PHOTO_BUDGET_BYTES`], still
//! only those with a receipt); a trigger refuses any other deletion.

use courier_protocol::keys::PublicKey;
use courier_protocol::photo::{MAX_PHOTO_CHUNK_BYTES, PhotoReceipt};
use tracing::{info, warn};

use super::backoff::Backoff;
use super::client::{ApiClient, CallError};
use crate::photo_files::PhotoFiles;
use crate::storage::Store;
use crate::storage::photos::PhotoUpload;

/// How long a photo stays on the device after its receipt: two days, so a
/// claim opened the next day can still be answered from the device.
pub const PHOTO_RETENTION_MS: i64 = 2 * 24 * 3_600_000;
/// The photos one device keeps at most before it deletes received ones
/// early: 1 GiB holds a full day of 200 parcels with 3 photos each (600
/// photos of at most 1 MiB; about 0.3 to 0.5 MiB measured, `docs/benchmarks.md`)
/// with room for the next day's while the first is still uploading.
pub const PHOTO_BUDGET_BYTES: u64 = 1 << 30;
/// Photos looked at per run.
const PHOTOS_PER_RUN: u32 = 100;

/// What one photo run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PhotoReport {
    /// Photos the server now holds (receipt verified and kept).
    pub uploaded: u64,
    /// Photos whose upload failed this time (retried with backoff).
    pub failed: u64,
    /// Photo files deleted from the device (after their receipt).
    pub deleted: u64,
}

/// Everything a photo run needs of the engine.
pub struct PhotoSync<'a> {
    /// The API client.
    pub client: &'a ApiClient,
    /// The engine's store connection.
    pub store: &'a mut Store,
    /// The pinned server key (receipts verify with it).
    pub server_key: &'a PublicKey,
    /// This device.
    pub device_id: &'a str,
    /// The retry backoff.
    pub backoff: &'a Backoff,
    /// Now, device clock.
    pub now_ms: i64,
    /// Jitter for the backoff.
    pub jitter: u64,
}

impl PhotoSync<'_> {
    /// Uploads the photos due, then deletes the files whose receipts allow it.
    pub async fn run(mut self) -> Result<PhotoReport, crate::storage::StoreError> {
        let files = PhotoFiles::of_data_dir(
            self.store
                .path()
                .parent()
                .unwrap_or(std::path::Path::new(".")),
        );
        let mut report = PhotoReport::default();
        for photo in self.store.photos_to_upload(self.now_ms, PHOTOS_PER_RUN)? {
            match self.upload_one(&files, &photo).await {
                Ok(receipt) => {
                    let json = serde_json::to_string(&receipt)
                        .map_err(|e| crate::storage::StoreError::Decode(e.to_string()))?;
                    self.store
                        .photo_received(&photo.sha256, &json, self.now_ms)?;
                    info!(sha256 = %photo.sha256, bytes = photo.bytes, "photo received by the server");
                    report.uploaded += 1;
                }
                Err(error) => {
                    let tries = photo.tries.saturating_add(1);
                    let delay = self.backoff.delay_ms(tries, self.jitter);
                    let next = self
                        .now_ms
                        .saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
                    warn!(sha256 = %photo.sha256, tries, delay_ms = delay, %error, "photo upload failed; will retry");
                    self.store
                        .photo_failed(&photo.sha256, next, &error.to_string())?;
                    report.failed += 1;
                    if matches!(error, CallError::Transport(_) | CallError::Untrusted(_)) {
                        break;
                    }
                }
            }
        }
        let over_budget = self.store.photo_counts()?.bytes_on_device > PHOTO_BUDGET_BYTES;
        let retention = if over_budget { 0 } else { PHOTO_RETENTION_MS };
        for sha256 in self.store.photos_to_delete(self.now_ms, retention)? {
            match files.remove(&sha256) {
                Ok(()) => {
                    self.store.photo_deleted(&sha256, self.now_ms)?;
                    report.deleted += 1;
                }
                Err(e) => warn!(%sha256, error = %e, "a photo's file could not be deleted"),
            }
        }
        Ok(report)
    }

    /// Sends what the server lacks of one photo and returns its verified receipt.
    async fn upload_one(
        &mut self,
        files: &PhotoFiles,
        photo: &PhotoUpload,
    ) -> Result<PhotoReceipt, CallError> {
        let bytes = files
            .read(&photo.sha256)
            .map_err(|e| CallError::Local(format!("photo file {}: {e}", photo.sha256)))?;
        let total = bytes.len() as u64;
        let mut answer = self.client.photo_status(&photo.sha256).await?;
        loop {
            if let Some(receipt) = answer.receipt {
                return self.verified(receipt, photo, total);
            }
            let offset = answer.received;
            let end = usize::try_from(offset)
                .ok()
                .filter(|o| *o < bytes.len())
                .map(|o| (o, bytes.len().min(o + MAX_PHOTO_CHUNK_BYTES)))
                .ok_or_else(|| {
                    CallError::Decode(format!(
                        "the server holds {offset} bytes of a {total}-byte photo without a receipt"
                    ))
                })?;
            answer = self
                .client
                .photo_chunk(&photo.sha256, offset, total, bytes[end.0..end.1].to_vec())
                .await?;
            if answer.received <= offset && answer.receipt.is_none() {
                return Err(CallError::Decode(format!(
                    "the server's copy did not grow past {offset} bytes"
                )));
            }
            if let Err(e) = self.store.photo_progress(&photo.sha256, answer.received) {
                warn!(error = %e, "upload progress not recorded (the server's copy tells)");
            }
        }
    }

    fn verified(
        &self,
        receipt: PhotoReceipt,
        photo: &PhotoUpload,
        total: u64,
    ) -> Result<PhotoReceipt, CallError> {
        receipt
            .verify(self.server_key, &photo.sha256)
            .map_err(|e| CallError::Decode(format!("photo receipt refused: {e}")))?;
        if receipt.body.device_id != self.device_id || receipt.body.bytes != total {
            return Err(CallError::Decode(
                "the photo receipt names another device or size".into(),
            ));
        }
        Ok(receipt)
    }
}
