//! Ed25519 keys: the signer trait, public keys, fingerprints and verification.

use std::fmt;

use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, VerifyingKey};
use ring::digest;
use ring::signature::{Ed25519KeyPair, KeyPair};
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

    /// Checks that the key is a strong Ed25519 key: a canonical encoding of a
    /// point on the curve that is not of small order (identity, order 2, 4, 8,
    /// or with a small-order component). Enrollment refuses anything else.
    pub fn check_strong(&self) -> Result<(), ProtocolError> {
        let compressed = CompressedEdwardsY(self.0);
        let point = compressed
            .decompress()
            .ok_or(ProtocolError::WeakKey("not a point on the Ed25519 curve"))?;
        if point.compress().0 != self.0 {
            return Err(ProtocolError::WeakKey(
                "non-canonical encoding (coordinate not reduced, or sign of x = 0 set)",
            ));
        }
        if point.is_small_order() {
            return Err(ProtocolError::WeakKey(
                "small-order point: signatures with it need no private key",
            ));
        }
        if !point.is_torsion_free() {
            return Err(ProtocolError::WeakKey(
                "point with a small-order component (not in the prime-order subgroup)",
            ));
        }
        Ok(())
    }

    /// Verifies an Ed25519 signature over `message`, strictly: the key must be
    /// strong ([`PublicKey::check_strong`]), `S` must be below the group order
    /// and `R` must not be of small order (ed25519-dalek's `verify_strict`).
    pub fn verify(
        &self,
        message: &[u8],
        signature_bytes: &[u8],
        what: &'static str,
    ) -> Result<(), ProtocolError> {
        self.strong()
            .map_err(|_| ProtocolError::BadSignature(what))?
            .verify(message, signature_bytes, what)
    }

    /// The key checked once ([`PublicKey::check_strong`]) and decoded, to
    /// verify many signatures with it (a batch of one device's events): the
    /// check is a scalar multiplication, as dear as a verification.
    pub fn strong(&self) -> Result<StrongKey, ProtocolError> {
        self.check_strong()?;
        let key = VerifyingKey::from_bytes(&self.0)
            .map_err(|_| ProtocolError::WeakKey("not a point on the Ed25519 curve"))?;
        Ok(StrongKey(key))
    }
}

/// A public key that passed [`PublicKey::check_strong`], decoded for
/// verification ([`PublicKey::strong`]).
#[derive(Clone, Copy)]
pub struct StrongKey(VerifyingKey);

impl StrongKey {
    /// Verifies an Ed25519 signature over `message` strictly, as
    /// [`PublicKey::verify`] does, without checking the key again.
    pub fn verify(
        &self,
        message: &[u8],
        signature_bytes: &[u8],
        what: &'static str,
    ) -> Result<(), ProtocolError> {
        let bad = || ProtocolError::BadSignature(what);
        let sig_bytes: [u8; 64] = signature_bytes.try_into().map_err(|_| bad())?;
        self.0
            .verify_strict(message, &Signature::from_bytes(&sig_bytes))
            .map_err(|_| bad())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl TryFrom<String> for PublicKey {
    type Error = ProtocolError;
    /// On the wire a key is exactly 64 lower-case hex characters.
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Ok(PublicKey(decode_lower_hex_array::<32>(&s, "public_key")?))
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

/// Whether `s` is non-empty lower-case hex of an even length.
pub fn is_lower_hex(s: &str) -> bool {
    !s.is_empty()
        && s.len().is_multiple_of(2)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Decodes exactly `2 * N` lower-case hex characters (the wire form).
pub fn decode_lower_hex_array<const N: usize>(
    s: &str,
    field: &'static str,
) -> Result<[u8; N], ProtocolError> {
    if s.len() != 2 * N || !is_lower_hex(s) {
        return Err(ProtocolError::BadHex { field, expected: N });
    }
    decode_hex_array(s, field)
}

/// Whether `s` is a UUIDv7 in its canonical lower-case hyphenated form
/// (`xxxxxxxx-xxxx-7xxx-[89ab]xxx-xxxxxxxxxxxx`).
pub fn is_uuid_v7(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
        && b[14] == b'7'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Small-order points (and non-canonical encodings of them), as listed in
    /// `docs/protocol.md`; every one is refused.
    pub(crate) const WEAK_KEYS: [&str; 7] = [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "0100000000000000000000000000000000000000000000000000000000000080",
    ];

    #[test]
    fn small_order_and_off_curve_keys_are_refused() {
        for k in WEAK_KEYS {
            let pk = PublicKey::from_hex(k).expect("hex");
            assert!(pk.check_strong().is_err(), "{k} accepted");
            // The no-private-key forgery: R = identity, S = 0.
            let mut sig = [0u8; 64];
            sig[0] = 1;
            assert!(pk.verify(b"any message", &sig, "test").is_err(), "{k}");
        }
        // y = p + 3 encodes the point with y = 3 non-canonically.
        let non_canonical =
            PublicKey::from_hex("f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
                .expect("hex");
        assert!(matches!(
            non_canonical.check_strong(),
            Err(ProtocolError::WeakKey(why)) if why.starts_with("non-canonical")
        ));
        // y = 2 is not on the curve.
        let mut off = [0u8; 32];
        off[0] = 2;
        assert!(PublicKey(off).check_strong().is_err());
    }

    #[test]
    fn non_canonical_s_and_small_order_r_are_refused() {
        let kp = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
        let pk = Signer::public_key(&kp);
        pk.check_strong().expect("a generated key is strong");
        let sig = Signer::sign(&kp, b"m");
        assert!(pk.verify(b"m", &sig, "t").is_ok());
        // S + L encodes the same scalar, non-canonically.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut high = sig;
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(high[32 + i]) + u16::from(L[i]) + carry;
            high[32 + i] = (v & 0xff) as u8;
            carry = v >> 8;
        }
        assert!(pk.verify(b"m", &high, "t").is_err());
        let mut small_r = sig;
        small_r[..32].copy_from_slice(&hex::decode(WEAK_KEYS[0]).expect("hex"));
        assert!(pk.verify(b"m", &small_r, "t").is_err());
    }

    #[test]
    fn wire_form_helpers() {
        assert!(is_uuid_v7("0190f5d2-7a00-7000-8000-000000000001"));
        assert!(!is_uuid_v7("0190F5D2-7A00-7000-8000-000000000001"));
        assert!(!is_uuid_v7("0190f5d2-7a00-4000-8000-000000000001"));
        assert!(!is_uuid_v7("0190f5d2-7a00-7000-c000-000000000001"));
        assert!(decode_lower_hex_array::<2>("abcd", "f").is_ok());
        assert!(decode_lower_hex_array::<2>("ABCD", "f").is_err());
    }
}
