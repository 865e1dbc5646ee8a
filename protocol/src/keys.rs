//! Ed25519 keys: the signer trait, public keys, fingerprints and verification.

use std::fmt;

use ring::digest;
use ring::signature::{self, Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};

use crate::ProtocolError;

/// Something that signs with an Ed25519 key (the device key, the server key).
pub trait Signer {
    /// The public half of the key.
    fn public_key(&self) -> PublicKey;
    /// Signs a message.
    fn sign(&self, message: &[u8]) -> [u8; 64];
}

impl Signer for Ed25519KeyPair {
    fn public_key(&self) -> PublicKey {
        let mut pk = [0u8; 32];
        pk.copy_from_slice(KeyPair::public_key(self).as_ref());
        PublicKey(pk)
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        let mut sig = [0u8; 64];
        sig.copy_from_slice(Ed25519KeyPair::sign(self, message).as_ref());
        sig
    }
}

/// A raw 32-byte Ed25519 public key; hex on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Parses 64 hex characters.
    pub fn from_hex(s: &str) -> Result<Self, ProtocolError> {
        let bytes = decode_hex_array::<32>(s.trim(), "public_key")?;
        Ok(PublicKey(bytes))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// SHA-256 fingerprint of the raw key.
    pub fn fingerprint(&self) -> Fingerprint {
        let d = digest::digest(&digest::SHA256, &self.0);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        Fingerprint(out)
    }

    /// Verifies an Ed25519 signature over `message`.
    pub fn verify(
        &self,
        message: &[u8],
        signature_bytes: &[u8],
        what: &'static str,
    ) -> Result<(), ProtocolError> {
        signature::UnparsedPublicKey::new(&signature::ED25519, &self.0)
            .verify(message, signature_bytes)
            .map_err(|_| ProtocolError::BadSignature(what))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl TryFrom<String> for PublicKey {
    type Error = ProtocolError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PublicKey::from_hex(&s)
    }
}

impl From<PublicKey> for String {
    fn from(pk: PublicKey) -> String {
        pk.to_hex()
    }
}

/// SHA-256 of a public key: what fleet inventories and pinning compare.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// Full lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Human form: the first 16 bytes in groups of four hex digits.
    pub fn grouped(&self) -> String {
        let h = hex::encode(&self.0[..16]);
        h.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

/// SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = digest::digest(&digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Decodes hex into a fixed-size array, naming the field on error.
pub fn decode_hex_array<const N: usize>(
    s: &str,
    field: &'static str,
) -> Result<[u8; N], ProtocolError> {
    let bad = || ProtocolError::BadHex { field, expected: N };
    let v = hex::decode(s).map_err(|_| bad())?;
    v.try_into().map_err(|_| bad())
}

/// Generates a new Ed25519 key pair as PKCS#8 bytes.
pub fn generate_pkcs8() -> Result<Vec<u8>, ProtocolError> {
    let rng = ring::rand::SystemRandom::new();
    let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| ProtocolError::Random)?;
    Ok(doc.as_ref().to_vec())
}

/// Loads an Ed25519 key pair from PKCS#8 bytes.
pub fn keypair_from_pkcs8(bytes: &[u8]) -> Result<Ed25519KeyPair, ProtocolError> {
    Ed25519KeyPair::from_pkcs8(bytes).map_err(|e| ProtocolError::BadKey(e.to_string()))
}
