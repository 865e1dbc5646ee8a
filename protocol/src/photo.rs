//! A photo as evidence: the reference an event signs (hash, size, pixels,
//! capture time) and the server's signed receipt that it holds the bytes.
//!
//! The event carries the reference the moment the photo is taken; the file
//! travels later (`PUT /v1/photos/{sha256}`), and the device deletes it only
//! after a receipt naming its hash.

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::keys::{PublicKey, Signer, decode_hex_array, decode_lower_hex_array};

/// Schema tag of photo receipts.
pub const PHOTO_RECEIPT_SCHEMA: &str = "courier.photo-receipt.v1";
/// The longest edge of a photo, in pixels: a capture is scaled down to it.
pub const MAX_PHOTO_EDGE_PX: u32 = 1920;
/// Bytes of one photo file: a JPEG at [`MAX_PHOTO_EDGE_PX`] is far below.
pub const MAX_PHOTO_BYTES: u64 = 4 * 1024 * 1024;

/// What an event signs of one photo.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PhotoRef {
    /// SHA-256 of the JPEG file's bytes (no EXIF), lower-case hex.
    pub sha256: String,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// When it was taken: the device clock, UTC, Unix milliseconds.
    pub taken_at_ms: i64,
}

impl PhotoRef {
    /// Checks the wire form: a lower-case SHA-256, a size and pixel size
    /// within the bounds.
    pub fn check(&self) -> Result<(), String> {
        if decode_lower_hex_array::<32>(&self.sha256, "sha256").is_err() {
            return Err("photos[].sha256 must be 64 lower-case hex characters".into());
        }
        if self.bytes == 0 || self.bytes > MAX_PHOTO_BYTES {
            return Err(format!(
                "photo {} is {} bytes; a photo holds 1 to {MAX_PHOTO_BYTES}",
                self.sha256, self.bytes
            ));
        }
        if self.width == 0 || self.height == 0 || self.width.max(self.height) > MAX_PHOTO_EDGE_PX {
            return Err(format!(
                "photo {} is {}x{} px; its long edge must be 1 to {MAX_PHOTO_EDGE_PX}",
                self.sha256, self.width, self.height
            ));
        }
        Ok(())
    }
}

/// The signed content of a photo receipt: the server holds these bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoReceiptBody {
    /// Always [`PHOTO_RECEIPT_SCHEMA`].
    pub schema: String,
    /// The photo's SHA-256, lower-case hex.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The device that uploaded it.
    pub device_id: String,
    /// When the server stored it, Unix milliseconds (server clock).
    pub stored_at_ms: i64,
}

/// A photo receipt with the server's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoReceipt {
    /// The signed content.
    pub body: PhotoReceiptBody,
    /// Ed25519 signature of the canonical body by the server key, hex.
    pub signature: String,
}

impl PhotoReceipt {
    /// Signs a receipt with the server key.
    pub fn sign(body: PhotoReceiptBody, signer: &dyn Signer) -> Result<Self, ProtocolError> {
        let bytes = to_canonical_bytes(&body)?;
        Ok(PhotoReceipt {
            body,
            signature: hex::encode(signer.sign(&bytes)),
        })
    }

    /// Verifies the receipt with the pinned server key and that it names
    /// `sha256`.
    pub fn verify(&self, server_key: &PublicKey, sha256: &str) -> Result<(), ProtocolError> {
        if self.body.schema != PHOTO_RECEIPT_SCHEMA {
            return Err(ProtocolError::WrongSchema {
                found: self.body.schema.clone(),
                expected: PHOTO_RECEIPT_SCHEMA,
            });
        }
        let bytes = to_canonical_bytes(&self.body)?;
        let sig = decode_hex_array::<64>(&self.signature, "signature")?;
        server_key.verify(&bytes, &sig, "photo receipt")?;
        if self.body.sha256 != sha256 {
            return Err(ProtocolError::NotWireForm {
                field: "sha256",
                expected: "the hash of the photo uploaded",
            });
        }
        Ok(())
    }
}

/// Bytes in one photo upload request (`PUT /v1/photos/{sha256}`): a photo
/// travels in chunks of at most this, each resumable: about a second on a
/// slow mobile link, so a cut-off loses little.
pub const MAX_PHOTO_CHUNK_BYTES: usize = 64 * 1024;

/// The path of a photo's upload: `GET` says how much the server holds,
/// `PUT` with `offset` and `total` sends the next chunk.
pub fn photo_path(sha256: &str) -> String {
    format!("/v1/photos/{sha256}")
}

/// The answer to `GET` and `PUT /v1/photos/{sha256}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoUploadResponse {
    /// The photo's hash.
    pub sha256: String,
    /// Bytes the server holds (all of them once the receipt is there).
    pub received: u64,
    /// The server's signed receipt, once it holds the whole photo and its
    /// hash checked.
    pub receipt: Option<PhotoReceipt>,
}
