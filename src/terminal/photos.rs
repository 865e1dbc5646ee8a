//! Photos as evidence: taken for a parcel through the camera, made into a
//! JPEG, hashed and written durably before anything is said; the next
//! outcome or intake of that parcel names them in its signed body
//! ([`Terminal::record`] binds them inside its transaction), and the rules
//! refuse one that lacks the photos the manifest requires.

use courier_protocol::photo::PhotoRef;
use courier_protocol::photo_policy::{PhotoCase, PhotoRule};
use firmware_bridge::Camera;
use tracing::info;

use super::{Terminal, TerminalError};
use crate::photo_encoding::encode_frame;
use crate::photo_files::PhotoFiles;
use crate::storage::photos::PhotoCounts;

impl Terminal {
    /// Plugs in the camera (the assembly: V4L2, or the simulator in the
    /// dev tools and tests).
    pub fn set_camera(&mut self, camera: Box<dyn Camera>) {
        self.camera = Some(camera);
    }

    /// Whether a camera is plugged in.
    pub fn has_camera(&self) -> bool {
        self.camera.is_some()
    }

    /// The photo files of this device.
    pub fn photo_files(&self) -> PhotoFiles {
        PhotoFiles::of_data_dir(
            self.store
                .path()
                .parent()
                .unwrap_or(std::path::Path::new(".")),
        )
    }

    /// Takes a photo for the parcel with `label`: captures a frame, scales
    /// it to 1920 px at most, encodes and hashes it, writes the file
    /// durably (0600) and records it as waiting for the parcel's next
    /// outcome or intake, which will name it. Returns only then.
    pub fn take_photo(&mut self, label: &str) -> Result<PhotoRef, TerminalError> {
        let parcel = self.parcel(label)?;
        let taken_at_ms = self.trusted_now_ms()?;
        let camera = self.camera.as_mut().ok_or(TerminalError::NoCamera)?;
        let frame = camera.capture()?;
        let encoded = encode_frame(&frame).map_err(|e| TerminalError::Photo(e.to_string()))?;
        self.photo_files()
            .write_durably(&encoded.sha256, &encoded.jpeg)
            .map_err(|source| TerminalError::PhotoFile { source })?;
        let photo = PhotoRef {
            sha256: encoded.sha256,
            bytes: encoded.jpeg.len() as u64,
            width: encoded.width,
            height: encoded.height,
            taken_at_ms,
        };
        self.store.add_photo(&parcel.spec.parcel_id, &photo)?;
        info!(sha256 = %photo.sha256, bytes = photo.bytes, width = photo.width, height = photo.height, label = %parcel.spec.label, "photo taken");
        Ok(photo)
    }

    /// The photos taken for the parcel that no event names yet.
    pub fn photos_taken(&self, label: &str) -> Result<Vec<PhotoRef>, TerminalError> {
        let parcel = self.parcel(label)?;
        Ok(self
            .store
            .photos_waiting_for_event(&parcel.spec.parcel_id)?)
    }

    /// Sets aside a photo no event names yet (retake); `false` when an
    /// event names it already: then it stays, as evidence.
    pub fn discard_photo(&mut self, sha256: &str) -> Result<bool, TerminalError> {
        let now = self.trusted_now_ms()?;
        let discarded = self.store.discard_photo(sha256, now)?;
        if discarded && let Err(e) = self.photo_files().remove(sha256) {
            tracing::warn!(sha256, error = %e, "a discarded photo's file stays");
        } else if discarded {
            self.store.photo_deleted(sha256, now)?;
        }
        Ok(discarded)
    }

    /// What the manifest in force asks of a case (off before any manifest).
    pub fn photo_rule(&self, case: PhotoCase) -> Result<PhotoRule, TerminalError> {
        Ok(self
            .store
            .photo_policy()?
            .get(&case)
            .copied()
            .unwrap_or_default())
    }

    /// Photos waiting for their event or their upload, and the bytes on
    /// the device.
    pub fn photo_counts(&self) -> Result<PhotoCounts, TerminalError> {
        Ok(self.store.photo_counts()?)
    }
}
