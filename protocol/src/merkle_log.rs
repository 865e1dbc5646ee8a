//! The server's one append-only log of every recorded event, of every device:
//! a Merkle tree with RFC 6962 hashing (the tree arithmetic is the
//! `tlog_tiles` crate, Cloudflare's port of Go's `sumdb/tlog`), whose signed
//! checkpoints follow C2SP `tlog-checkpoint` over `signed-note`, and the
//! inclusion and consistency proofs the server answers with.
//!
//! A leaf is one stored event: its leaf data is the event's canonical body
//! bytes (what the device signed, whose SHA-256 is the event's `hash`)
//! followed by the 64 raw bytes of its signature; its leaf hash is
//! `SHA-256(0x00 || leaf data)` (RFC 6962 section 2.1).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
pub use tlog_tiles::Hash;

use crate::ProtocolError;
use crate::envelope::SignedEvent;
use crate::keys::{PublicKey, Signer, decode_hex_array};
use crate::signed_note::{Note, NoteError};

/// The prefix of the log's origin line; the rest is the first 16 hex digits
/// of the server key's SHA-256 fingerprint, so a log is named by its key.
pub const LOG_ORIGIN_PREFIX: &str = "courier-escrow.example/log/";

/// Proofs longer than this many hashes are refused unread (a tree of 2^64
/// leaves needs at most 64 for inclusion, about twice that for consistency).
pub const MAX_PROOF_HASHES: usize = 130;

/// The origin line (and note key name) of the log signed by `server_key`.
pub fn log_origin(server_key: &PublicKey) -> String {
    format!(
        "{LOG_ORIGIN_PREFIX}{}",
        &server_key.fingerprint().to_hex()[..16]
    )
}

/// The leaf data of a signed event: canonical body bytes, then the raw signature.
pub fn leaf_data(event: &SignedEvent) -> Result<Vec<u8>, ProtocolError> {
    let mut data = event.body.canonical_bytes()?;
    let sig = decode_hex_array::<64>(&event.signature, "signature")?;
    data.extend_from_slice(&sig);
    Ok(data)
}

/// The RFC 6962 leaf hash of a signed event.
pub fn leaf_hash(event: &SignedEvent) -> Result<Hash, ProtocolError> {
    Ok(tlog_tiles::record_hash(&leaf_data(event)?))
}

/// The leaf hash of a signed event whose body's canonical bytes are at
/// hand (as [`SignedEvent::verify_strong`] returns them): the same hash as
/// [`leaf_hash`], without encoding the body again.
pub fn leaf_hash_of(canonical_body: Vec<u8>, signature_hex: &str) -> Result<Hash, ProtocolError> {
    let mut data = canonical_body;
    data.extend_from_slice(&decode_hex_array::<64>(signature_hex, "signature")?);
    Ok(tlog_tiles::record_hash(&data))
}

/// A tree head: how many leaves, and the root hash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeHead {
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root hash (SHA-256 of the empty string for size 0).
    pub root: Hash,
}

impl TreeHead {
    /// The checkpoint text (C2SP `tlog-checkpoint`: origin, size, base64 root).
    pub fn checkpoint_text(&self, origin: &str) -> String {
        format!(
            "{origin}\n{}\n{}\n",
            self.size,
            STANDARD.encode(self.root.0)
        )
    }

    /// Signs this head as a checkpoint of the log of `signer`'s key; the note
    /// key name is the origin.
    pub fn sign(&self, signer: &dyn Signer) -> Result<String, NoteError> {
        let origin = log_origin(&signer.public_key());
        Ok(Note::sign(&self.checkpoint_text(&origin), &origin, signer)?.to_text())
    }
}

/// Why a checkpoint note is not one of this log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Not a signed note, or its signature does not verify.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The text is not origin, size and root.
    #[error("malformed checkpoint text: {0}")]
    Malformed(&'static str),
    /// Another log's checkpoint.
    #[error("the checkpoint is of log {found}, not of {expected}")]
    OtherLog {
        /// Its origin.
        found: String,
        /// The origin expected.
        expected: String,
    },
}

/// A verified checkpoint: its note and the head it signs.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCheckpoint {
    /// The parsed note (with every signature it carries).
    pub note: Note,
    /// The tree head.
    pub head: TreeHead,
}

/// Parses a checkpoint note's text into its head, checking the origin.
pub fn parse_checkpoint(note: &Note, origin: &str) -> Result<TreeHead, CheckpointError> {
    let mut lines = note.text.split('\n');
    let found = lines.next().unwrap_or_default();
    if found != origin {
        return Err(CheckpointError::OtherLog {
            found: found.to_owned(),
            expected: origin.to_owned(),
        });
    }
    let size = lines
        .next()
        .filter(|s| !s.starts_with('0') || *s == "0")
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or(CheckpointError::Malformed(
            "the second line is not a tree size",
        ))?;
    let root = lines
        .next()
        .and_then(|s| STANDARD.decode(s).ok())
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or(CheckpointError::Malformed(
            "the third line is not a base64 SHA-256 hash",
        ))?;
    Ok(TreeHead {
        size,
        root: Hash(root),
    })
}

/// Parses and verifies a checkpoint note of the log of `server_key`.
pub fn verify_checkpoint(
    note: &str,
    server_key: &PublicKey,
) -> Result<VerifiedCheckpoint, CheckpointError> {
    let origin = log_origin(server_key);
    let note = Note::parse(note)?;
    note.verify(&origin, server_key)?;
    let head = parse_checkpoint(&note, &origin)?;
    Ok(VerifiedCheckpoint { note, head })
}

/// That leaf `leaf_index` of the tree of `tree_size` leaves is the device's
/// event `seq` (RFC 6962 audit path, leaf to root, lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The device's event this leaf is.
    pub seq: u64,
    /// Its index in the log, from 0.
    pub leaf_index: u64,
    /// The tree the proof is to.
    pub tree_size: u64,
    /// The audit path, hex.
    pub hashes: Vec<String>,
}

/// That the tree of `to_size` leaves extends the tree of `from_size` (RFC
/// 6962 consistency proof, lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// The older tree.
    pub from_size: u64,
    /// The newer tree.
    pub to_size: u64,
    /// The proof, hex.
    pub hashes: Vec<String>,
}

/// The log as the server shows it to a device after an upload: its signed
/// checkpoint, the inclusion of the device's last accepted event, and the
/// consistency with the tree size the device said it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogView {
    /// The signed checkpoint note (with any witness cosignatures).
    pub checkpoint: String,
    /// The inclusion of the device's last accepted event (absent: none yet).
    #[serde(default)]
    pub inclusion: Option<InclusionProof>,
    /// The consistency with the size the device holds (absent when it holds none).
    #[serde(default)]
    pub consistency: Option<ConsistencyProof>,
}

/// Decodes a proof's hex hashes.
pub fn decode_proof(hashes: &[String]) -> Result<Vec<Hash>, ProtocolError> {
    if hashes.len() > MAX_PROOF_HASHES {
        return Err(ProtocolError::BadHex {
            field: "proof",
            expected: 32,
        });
    }
    hashes
        .iter()
        .map(|h| decode_hex_array::<32>(h, "proof hash").map(Hash))
        .collect()
}

/// Encodes proof hashes as lower-case hex.
pub fn encode_proof(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| hex::encode(h.0)).collect()
}

/// Checks that `leaf` is leaf `index` of the tree `head` by the audit path `proof`.
pub fn check_inclusion(proof: &[Hash], head: &TreeHead, index: u64, leaf: Hash) -> bool {
    index < head.size
        && proof.len() <= MAX_PROOF_HASHES
        && tlog_tiles::check_record(&proof.to_vec(), head.size, head.root, index, leaf).is_ok()
}

/// Checks that `new` extends `old` by the consistency proof `proof` (equal
/// sizes need equal roots and no proof; the empty tree is extended by all).
pub fn check_consistency(proof: &[Hash], old: &TreeHead, new: &TreeHead) -> bool {
    if old.size == 0 {
        return proof.is_empty();
    }
    if old.size > new.size || proof.len() > MAX_PROOF_HASHES {
        return false;
    }
    if old.size == new.size {
        return proof.is_empty() && old.root == new.root;
    }
    tlog_tiles::check_tree(&proof.to_vec(), new.size, new.root, old.size, old.root).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlog_tiles::{HashReader, record_hash};

    /// RFC 6962's reference tree hash, computed by its recursive definition.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => tlog_tiles::EMPTY_HASH,
            1 => leaves[0],
            n => {
                let k = split(n);
                tlog_tiles::node_hash(mth(&leaves[..k]), mth(&leaves[k..]))
            }
        }
    }

    /// RFC 6962 section 2.1.1 PATH(m, D[n]), leaf to root.
    fn path(m: usize, leaves: &[Hash]) -> Vec<Hash> {
        let n = leaves.len();
        if n <= 1 {
            return vec![];
        }
        let k = split(n);
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// RFC 6962 section 2.1.2 SUBPROOF(m, D[n], b).
    fn subproof(m: usize, leaves: &[Hash], b: bool) -> Vec<Hash> {
        let n = leaves.len();
        if m == n {
            return if b { vec![] } else { vec![mth(leaves)] };
        }
        let k = split(n);
        if m <= k {
            let mut p = subproof(m, &leaves[..k], b);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = subproof(m - k, &leaves[k..], false);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    /// The largest power of two smaller than `n`.
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// The eight leaves of RFC 6962's test data (certificate-transparency's merkle tree tests).
    fn rfc_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|h| record_hash(&hex::decode(h).expect("hex")))
        .collect()
    }

    struct Stored(Vec<Hash>);
    impl HashReader for Stored {
        fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
            Ok(indexes.iter().map(|i| self.0[*i as usize]).collect())
        }
    }

    fn stored(leaves: &[Hash]) -> Stored {
        let mut s = Stored(Vec::new());
        for (n, l) in leaves.iter().enumerate() {
            let new = tlog_tiles::stored_hashes_for_record_hash(n as u64, *l, &s).expect("append");
            s.0.extend(new);
        }
        s
    }

    #[test]
    fn roots_match_the_rfc_6962_test_vectors() {
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let leaves = rfc_leaves();
        let s = stored(&leaves);
        for (i, want) in roots.iter().enumerate() {
            let n = i as u64 + 1;
            assert_eq!(
                hex::encode(mth(&leaves[..=i]).0),
                *want,
                "reference, size {n}"
            );
            assert_eq!(
                hex::encode(tlog_tiles::tree_hash(n, &s).expect("root").0),
                *want,
                "stored, size {n}"
            );
        }
    }

    #[test]
    fn proofs_are_the_rfc_6962_paths_and_verify() {
        let leaves: Vec<Hash> = (0..37u32).map(|i| record_hash(&i.to_be_bytes())).collect();
        let s = stored(&leaves);
        for t in 1..=leaves.len() {
            let head = TreeHead {
                size: t as u64,
                root: mth(&leaves[..t]),
            };
            for m in 0..t {
                let p = tlog_tiles::prove_record(t as u64, m as u64, &s).expect("prove");
                assert_eq!(p, path(m, &leaves[..t]), "inclusion {m} in {t}");
                assert!(check_inclusion(&p, &head, m as u64, leaves[m]));
                assert!(!check_inclusion(&p, &head, m as u64, leaves[(m + 1) % t]) || t == 1);
            }
            for m in 1..=t {
                let old = TreeHead {
                    size: m as u64,
                    root: mth(&leaves[..m]),
                };
                let p = if m == t {
                    vec![]
                } else {
                    tlog_tiles::prove_tree(t as u64, m as u64, &s).expect("prove")
                };
                if m < t {
                    assert_eq!(p, subproof(m, &leaves[..t], true), "consistency {m} to {t}");
                }
                assert!(check_consistency(&p, &old, &head));
                let forked = TreeHead {
                    size: m as u64,
                    root: record_hash(b"another history"),
                };
                assert!(!check_consistency(&p, &forked, &head), "fork {m} to {t}");
            }
        }
    }

    #[test]
    fn a_checkpoint_is_signed_by_the_log_key_and_names_its_origin() {
        let k = crate::keys::keypair_from_pkcs8(&crate::keys::generate_pkcs8().expect("key"))
            .expect("key");
        let other = crate::keys::keypair_from_pkcs8(&crate::keys::generate_pkcs8().expect("key"))
            .expect("key");
        let head = TreeHead {
            size: 8,
            root: rfc_leaves()[0],
        };
        let note = head.sign(&k).expect("sign");
        let origin = log_origin(&k.public_key());
        assert!(note.starts_with(&format!("{origin}\n8\n")));
        assert_eq!(
            verify_checkpoint(&note, &k.public_key()).expect("ok").head,
            head
        );
        assert!(verify_checkpoint(&note, &other.public_key()).is_err());
        let forged = note.replacen("\n8\n", "\n9\n", 1);
        assert!(verify_checkpoint(&forged, &k.public_key()).is_err());
    }
}
