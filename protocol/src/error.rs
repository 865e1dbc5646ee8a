//! Errors raised while encoding, decoding or verifying protocol objects.

use thiserror::Error;

/// What went wrong with a protocol object; each variant says what to check.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ProtocolError {
    /// The object holds a floating-point number, which canonical bytes forbid.
    #[error("canonical encoding refuses floating-point numbers (field {0}); use integers")]
    FloatInCanonical(String),
    /// JSON could not be encoded or decoded.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// A hex field does not decode or has the wrong length.
    #[error("field {field} is not valid hex of {expected} bytes")]
    BadHex {
        /// Field name.
        field: &'static str,
        /// Expected length in bytes.
        expected: usize,
    },
    /// An Ed25519 signature does not verify against the expected key.
    #[error("signature does not verify for {0}: the data was altered or signed by another key")]
    BadSignature(&'static str),
    /// The stated hash does not match the canonical bytes.
    #[error("hash mismatch for event seq {seq}: the event was altered")]
    HashMismatch {
        /// Sequence number of the event.
        seq: u64,
    },
    /// The chain is broken: wrong previous hash, gap or reorder in sequence.
    #[error("chain broken at seq {seq}: {detail}")]
    ChainBroken {
        /// Sequence number where the break was found.
        seq: u64,
        /// What exactly is wrong.
        detail: String,
    },
    /// A key could not be parsed.
    #[error("invalid key material: {0}")]
    BadKey(String),
    /// The schema tag is not one this version understands.
    #[error("unknown schema {found:?}, expected {expected:?}")]
    WrongSchema {
        /// Schema found.
        found: String,
        /// Schema expected.
        expected: &'static str,
    },
    /// A JSON object repeats a key (a reader keeping the first would see other content).
    #[error("JSON object repeats the key {0}; every key must appear once")]
    DuplicateKey(String),
    /// A field breaks the wire form (UUIDv7, lower-case hex, lengths).
    #[error("field {field} is not in wire form: {expected}")]
    NotWireForm {
        /// Field name.
        field: &'static str,
        /// What the field must look like.
        expected: &'static str,
    },
    /// A public key is valid Ed25519 encoding but weak, or not a point at all.
    #[error("weak or invalid Ed25519 public key: {0}")]
    WeakKey(&'static str),
    /// Randomness could not be obtained from the operating system.
    #[error("the system random generator failed")]
    Random,
}
