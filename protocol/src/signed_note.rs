//! C2SP `signed-note`: a text followed by a blank line and signature lines
//! `— <key name> <base64(key id || signature)>`, and the two signature types
//! the log uses: Ed25519 (type `0x01`, the log's own signature) and
//! `cosignature/v1` (type `0x04`, C2SP `tlog-cosignature`, a witness's
//! timestamped cosignature of a checkpoint).
//!
//! Written here rather than taken from the `signed_note` crate: that crate
//! (0.2) knows no `cosignature/v1` key type, and our keys are `ring` key
//! pairs behind [`Signer`]; the format is a few dozen lines.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::keys::{PublicKey, Signer, sha256};

/// The signature type byte of an Ed25519 note key.
pub const ED25519_KEY_TYPE: u8 = 0x01;
/// The signature type byte of a `cosignature/v1` witness key.
pub const COSIGNATURE_KEY_TYPE: u8 = 0x04;
/// A signature line's prefix: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note does not parse or verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// Not a signed note: no blank line before the signatures, a line that
    /// is not a signature, or a text not ending in a newline.
    #[error("malformed signed note: {0}")]
    Malformed(&'static str),
    /// No signature by the expected key.
    #[error("the note carries no signature by {0}")]
    Unsigned(String),
    /// A signature by the expected key that does not verify.
    #[error("the note's signature by {0} does not verify")]
    BadSignature(String),
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The first four bytes of the key hash.
    pub key_id: [u8; 4],
    /// What follows the key id (a signature, or a timestamp and a signature).
    pub bytes: Vec<u8>,
}

impl NoteSignature {
    /// The line as written in a note, newline included.
    pub fn line(&self) -> String {
        let mut raw = self.key_id.to_vec();
        raw.extend_from_slice(&self.bytes);
        format!("{SIG_PREFIX}{} {}\n", self.name, STANDARD.encode(raw))
    }
}

/// A parsed signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending with a newline.
    pub text: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

impl Note {
    /// Parses a signed note.
    pub fn parse(note: &str) -> Result<Note, NoteError> {
        let split = note
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no blank line before the signatures"))?;
        let text = &note[..=split];
        let sigs = &note[split + 2..];
        if !sigs.ends_with('\n') {
            return Err(NoteError::Malformed(
                "the last signature line has no newline",
            ));
        }
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            let rest = line.strip_prefix(SIG_PREFIX).ok_or(NoteError::Malformed(
                "a signature line must start with an em dash",
            ))?;
            let (name, b64) = rest.split_once(' ').ok_or(NoteError::Malformed(
                "a signature line needs a name and a signature",
            ))?;
            if name.is_empty() || name.contains('+') {
                return Err(NoteError::Malformed("bad key name"));
            }
            let raw = STANDARD
                .decode(b64)
                .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
            if raw.len() < 5 {
                return Err(NoteError::Malformed("a signature is too short"));
            }
            let mut key_id = [0u8; 4];
            key_id.copy_from_slice(&raw[..4]);
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_id,
                bytes: raw[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(NoteError::Malformed("no signature line"));
        }
        Ok(Note {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The note as written: text, blank line, signature lines.
    pub fn to_text(&self) -> String {
        let mut out = self.text.clone();
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.line());
        }
        out
    }

    /// Signs `text` (which must end with a newline) with an Ed25519 key named `name`.
    pub fn sign(text: &str, name: &str, signer: &dyn Signer) -> Result<Note, NoteError> {
        if !text.ends_with('\n') || text.contains("\n\n") {
            return Err(NoteError::Malformed(
                "a note text ends with one newline and has no blank line",
            ));
        }
        let sig = signer.sign(text.as_bytes());
        Ok(Note {
            text: text.to_owned(),
            signatures: vec![NoteSignature {
                name: name.to_owned(),
                key_id: key_id(name, ED25519_KEY_TYPE, &signer.public_key()),
                bytes: sig.to_vec(),
            }],
        })
    }

    /// Verifies the Ed25519 signature of the key `name`/`key`.
    pub fn verify(&self, name: &str, key: &PublicKey) -> Result<(), NoteError> {
        let id = key_id(name, ED25519_KEY_TYPE, key);
        let sig = self
            .signatures
            .iter()
            .find(|s| s.name == name && s.key_id == id)
            .ok_or_else(|| NoteError::Unsigned(name.to_owned()))?;
        let bytes: [u8; 64] = sig
            .bytes
            .as_slice()
            .try_into()
            .map_err(|_| NoteError::BadSignature(name.to_owned()))?;
        key.verify(self.text.as_bytes(), &bytes, "signed note")
            .map_err(|_| NoteError::BadSignature(name.to_owned()))
    }

    /// A witness's `cosignature/v1` line over this note's text, at `time`
    /// (Unix seconds).
    pub fn cosign(&self, name: &str, signer: &dyn Signer, time: u64) -> NoteSignature {
        let sig = signer.sign(&cosigned_message(&self.text, time));
        let mut bytes = time.to_be_bytes().to_vec();
        bytes.extend_from_slice(&sig);
        NoteSignature {
            name: name.to_owned(),
            key_id: key_id(name, COSIGNATURE_KEY_TYPE, &signer.public_key()),
            bytes,
        }
    }

    /// Verifies the `cosignature/v1` of witness `name`/`key`; returns its time.
    pub fn verify_cosignature(&self, name: &str, key: &PublicKey) -> Result<u64, NoteError> {
        let id = key_id(name, COSIGNATURE_KEY_TYPE, key);
        let sig = self
            .signatures
            .iter()
            .find(|s| s.name == name && s.key_id == id)
            .ok_or_else(|| NoteError::Unsigned(name.to_owned()))?;
        let bad = || NoteError::BadSignature(name.to_owned());
        if sig.bytes.len() != 72 {
            return Err(bad());
        }
        let mut time = [0u8; 8];
        time.copy_from_slice(&sig.bytes[..8]);
        let time = u64::from_be_bytes(time);
        let mut s = [0u8; 64];
        s.copy_from_slice(&sig.bytes[8..]);
        key.verify(&cosigned_message(&self.text, time), &s, "cosignature")
            .map_err(|_| bad())?;
        Ok(time)
    }
}

/// What a `cosignature/v1` signs: `cosignature/v1\ntime <T>\n` then the checkpoint text.
pub fn cosigned_message(text: &str, time: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {time}\n{text}").into_bytes()
}

/// A key id: the first four bytes of SHA-256(name || "\n" || type || public key).
pub fn key_id(name: &str, key_type: u8, key: &PublicKey) -> [u8; 4] {
    let mut data = name.as_bytes().to_vec();
    data.push(b'\n');
    data.push(key_type);
    data.extend_from_slice(&key.0);
    let h = sha256(&data);
    [h[0], h[1], h[2], h[3]]
}

/// A verifier key in the C2SP form `<name>+<hex key id>+<base64(type || key)>`.
pub fn verifier_key(name: &str, key_type: u8, key: &PublicKey) -> String {
    let mut raw = vec![key_type];
    raw.extend_from_slice(&key.0);
    format!(
        "{name}+{}+{}",
        hex::encode(key_id(name, key_type, key)),
        STANDARD.encode(raw)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate_pkcs8, keypair_from_pkcs8};

    fn key() -> ring::signature::Ed25519KeyPair {
        keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key")
    }

    #[test]
    fn a_note_round_trips_and_verifies_only_unaltered() {
        let k = key();
        let note = Note::sign("example.com/log\n3\nAAAA\n", "example.com/log", &k).expect("sign");
        let text = note.to_text();
        let parsed = Note::parse(&text).expect("parse");
        assert_eq!(parsed, note);
        parsed
            .verify("example.com/log", &k.public_key())
            .expect("verifies");
        let altered = Note::parse(&text.replacen("\n3\n", "\n4\n", 1)).expect("parse");
        assert_eq!(
            altered.verify("example.com/log", &k.public_key()),
            Err(NoteError::BadSignature("example.com/log".into()))
        );
        assert!(matches!(
            parsed.verify("other", &k.public_key()),
            Err(NoteError::Unsigned(_))
        ));
    }

    #[test]
    fn a_cosignature_carries_its_time_and_binds_the_text() {
        let (log, witness) = (key(), key());
        let mut note = Note::sign("o\n1\nAAAA\n", "o", &log).expect("sign");
        note.signatures
            .push(note.cosign("w", &witness, 1_700_000_000));
        let parsed = Note::parse(&note.to_text()).expect("parse");
        assert_eq!(
            parsed.verify_cosignature("w", &witness.public_key()),
            Ok(1_700_000_000)
        );
        parsed
            .verify("o", &log.public_key())
            .expect("the log's signature still verifies");
        // An Ed25519 signature is not a cosignature (another key id).
        assert!(parsed.verify_cosignature("o", &log.public_key()).is_err());
    }

    #[test]
    fn key_ids_follow_the_go_note_vector() {
        // golang.org/x/mod/sumdb/note: the example key "PeterNeumann" has
        // verifier key PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW.
        let raw = STANDARD
            .decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
            .expect("b64");
        let mut pk = [0u8; 32];
        pk.copy_from_slice(&raw[1..]);
        let key = PublicKey(pk);
        assert_eq!(
            hex::encode(key_id("PeterNeumann", ED25519_KEY_TYPE, &key)),
            "c74f20a3"
        );
        assert_eq!(
            verifier_key("PeterNeumann", ED25519_KEY_TYPE, &key),
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        );
    }
}
