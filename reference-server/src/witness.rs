//! A witness (C2SP `tlog-witness`, cosigning per `tlog-cosignature`): it
//! keeps the last checkpoint of the log it cosigned, and cosigns a new one
//! only when it is signed by the log's key and proven consistent with that
//! one. A server showing two histories (a split view, a rewrite) cannot get
//! both cosigned: whichever comes second is refused. Run by the carrier or a
//! third party as `escrow-witness`; the state is one file holding the last
//! checkpoint cosigned, replaced atomically.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use courier_protocol::keys::{PublicKey, Signer};
use courier_protocol::log_consistency::{LogRefusal, check_extends};
use courier_protocol::merkle_log::{CheckpointError, Hash, TreeHead, verify_checkpoint};
use courier_protocol::signed_note::NoteSignature;
use ring::signature::Ed25519KeyPair;

/// Why a witness does not cosign.
#[derive(Debug, thiserror::Error)]
pub enum WitnessRefusal {
    /// The request is not `old N`, proof lines, a blank line and a note.
    #[error("malformed add-checkpoint request: {0}")]
    Malformed(&'static str),
    /// The old size is not the size the witness holds (HTTP 409, with it).
    #[error("the witness holds the log at size {known}, not {claimed}")]
    Conflict {
        /// The size the witness holds.
        known: u64,
        /// The size the request claims.
        claimed: u64,
    },
    /// Not a checkpoint signed by the log's key (HTTP 403).
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// Not proven consistent with what the witness cosigned (HTTP 422).
    #[error(transparent)]
    Inconsistent(LogRefusal),
    /// The state file could not be written (HTTP 500).
    #[error("the witness state {path} cannot be written: {source}")]
    State {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// A witness of one log.
pub struct Witness {
    name: String,
    key: Ed25519KeyPair,
    log_key: PublicKey,
    state: Option<PathBuf>,
    latest: Option<TreeHead>,
}

impl Witness {
    /// A witness named `name` (its key name in cosignatures) of the log
    /// whose key is `log_key`; `state` (if given) keeps the last checkpoint
    /// cosigned across restarts and is read now.
    pub fn new(
        name: &str,
        key: Ed25519KeyPair,
        log_key: PublicKey,
        state: Option<PathBuf>,
    ) -> Result<Witness, WitnessRefusal> {
        let latest = match &state {
            Some(p) if p.exists() => {
                let note = std::fs::read_to_string(p).map_err(|source| WitnessRefusal::State {
                    path: p.display().to_string(),
                    source,
                })?;
                Some(verify_checkpoint(&note, &log_key)?.head)
            }
            _ => None,
        };
        Ok(Witness {
            name: name.to_owned(),
            key,
            log_key,
            state,
            latest,
        })
    }

    /// The witness's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }

    /// The size of the last checkpoint cosigned (0 before any).
    pub fn size(&self) -> u64 {
        self.latest.map_or(0, |h| h.size)
    }

    /// Cosigns `note` if it is the log's and `proof` shows it extends the
    /// checkpoint of size `old_size` the witness holds; returns the
    /// cosignature line, timestamped `now_s` (Unix seconds).
    pub fn add_checkpoint(
        &mut self,
        old_size: u64,
        proof: &[Hash],
        note: &str,
        now_s: u64,
    ) -> Result<NoteSignature, WitnessRefusal> {
        let cp = verify_checkpoint(note, &self.log_key)?;
        if old_size != self.size() {
            return Err(WitnessRefusal::Conflict {
                known: self.size(),
                claimed: old_size,
            });
        }
        if let Some(latest) = &self.latest {
            check_extends(latest, &cp.head, Some(proof)).map_err(WitnessRefusal::Inconsistent)?;
        }
        if let Some(path) = &self.state {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, note)
                .and_then(|()| std::fs::rename(&tmp, path))
                .map_err(|source| WitnessRefusal::State {
                    path: path.display().to_string(),
                    source,
                })?;
        }
        self.latest = Some(cp.head);
        Ok(cp.note.cosign(&self.name, &self.key, now_s))
    }

    /// Answers a C2SP `tlog-witness` add-checkpoint request body: `old N`,
    /// one base64 proof hash per line, a blank line, the checkpoint note.
    pub fn add_checkpoint_request(
        &mut self,
        body: &str,
        now_s: u64,
    ) -> Result<NoteSignature, WitnessRefusal> {
        let (head, note) = body.split_once("\n\n").ok_or(WitnessRefusal::Malformed(
            "no blank line before the checkpoint",
        ))?;
        let mut lines = head.split('\n');
        let old = lines
            .next()
            .and_then(|l| l.strip_prefix("old "))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or(WitnessRefusal::Malformed(
                "the first line is not `old <size>`",
            ))?;
        let proof = lines
            .map(|l| {
                STANDARD
                    .decode(l)
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
                    .map(Hash)
                    .ok_or(WitnessRefusal::Malformed(
                        "a proof line is not a base64 hash",
                    ))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.add_checkpoint(old, &proof, note, now_s)
    }
}

/// The body of an add-checkpoint request (the counterpart of
/// [`Witness::add_checkpoint_request`]).
pub fn add_checkpoint_body(old_size: u64, proof: &[Hash], note: &str) -> String {
    let mut out = format!("old {old_size}\n");
    for h in proof {
        out.push_str(&STANDARD.encode(h.0));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(note);
    out
}
