//! The rule that holds a server to one history: a new checkpoint of the log
//! is taken only if it is signed by the log key, extends the last one kept
//! (consistency proof), includes the holder's own latest event (inclusion
//! proof) and carries the cosignatures required. The terminal applies it at
//! every sync; a witness applies the consistency half before it cosigns.

use crate::keys::PublicKey;
use crate::merkle_log::{
    CheckpointError, Hash, LogView, TreeHead, VerifiedCheckpoint, check_consistency,
    check_inclusion, decode_proof, verify_checkpoint,
};

/// A witness whose cosignature a holder requires: its key name and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessKey {
    /// The witness's key name.
    pub name: String,
    /// Its Ed25519 public key.
    pub key: PublicKey,
}

/// Why a log view is refused (and kept as evidence by whoever was shown it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogRefusal {
    /// The checkpoint is not a signed checkpoint of this log.
    #[error("the log checkpoint does not verify: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The tree is smaller than the one kept: the log was cut.
    #[error("the log shrank from {kept} to {shown} events")]
    Shrunk {
        /// Size kept.
        kept: u64,
        /// Size shown.
        shown: u64,
    },
    /// No valid consistency proof from the size kept.
    #[error(
        "the log of {shown} events is not proven to extend the {kept} kept: it was rewritten or forked"
    )]
    NotConsistent {
        /// Size kept.
        kept: u64,
        /// Size shown.
        shown: u64,
    },
    /// The holder's own latest event is not proven in the tree.
    #[error("this device's event {seq} is not proven in the log of {shown} events")]
    OwnEventNotIncluded {
        /// The event's sequence number.
        seq: u64,
        /// Size shown.
        shown: u64,
    },
    /// A required witness did not cosign.
    #[error("the log checkpoint lacks a valid cosignature of witness {0}")]
    NotCosigned(String),
}

/// One's own latest event to find in the log: its sequence number and leaf hash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnLeaf {
    /// The event's sequence number in the device's chain.
    pub seq: u64,
    /// Its RFC 6962 leaf hash.
    pub leaf: Hash,
}

/// Checks a log view against the head kept (none before the first) and the
/// holder's latest accepted event; returns the verified checkpoint to keep.
pub fn check_log_view(
    view: &LogView,
    server_key: &PublicKey,
    kept: Option<&TreeHead>,
    own: Option<OwnLeaf>,
    witnesses: &[WitnessKey],
) -> Result<VerifiedCheckpoint, LogRefusal> {
    let cp = verify_checkpoint(&view.checkpoint, server_key)?;
    for w in witnesses {
        cp.note
            .verify_cosignature(&w.name, &w.key)
            .map_err(|_| LogRefusal::NotCosigned(w.name.clone()))?;
    }
    if let Some(kept) = kept {
        let proof = match &view.consistency {
            Some(p) if p.from_size == kept.size && p.to_size == cp.head.size => {
                decode_proof(&p.hashes).ok()
            }
            None if kept.size == cp.head.size || kept.size == 0 => Some(Vec::new()),
            _ => None,
        };
        check_extends(kept, &cp.head, proof.as_deref())?;
    }
    if let Some(own) = own {
        let shown = cp.head.size;
        let ok = view.inclusion.as_ref().is_some_and(|p| {
            p.seq == own.seq
                && p.tree_size == shown
                && decode_proof(&p.hashes)
                    .is_ok_and(|h| check_inclusion(&h, &cp.head, p.leaf_index, own.leaf))
        });
        if !ok {
            return Err(LogRefusal::OwnEventNotIncluded {
                seq: own.seq,
                shown,
            });
        }
    }
    Ok(cp)
}

/// Checks that `shown` extends `kept` by `proof` (`None`: no usable proof).
pub fn check_extends(
    kept: &TreeHead,
    shown: &TreeHead,
    proof: Option<&[Hash]>,
) -> Result<(), LogRefusal> {
    if shown.size < kept.size {
        return Err(LogRefusal::Shrunk {
            kept: kept.size,
            shown: shown.size,
        });
    }
    if proof.is_some_and(|p| check_consistency(p, kept, shown)) {
        Ok(())
    } else {
        Err(LogRefusal::NotConsistent {
            kept: kept.size,
            shown: shown.size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
    use crate::merkle_log::{ConsistencyProof, InclusionProof, encode_proof};
    use tlog_tiles::{HashReader, record_hash};

    struct Stored(Vec<Hash>);
    impl HashReader for Stored {
        fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
            Ok(indexes.iter().map(|i| self.0[*i as usize]).collect())
        }
    }

    /// A log held in memory, as a server would hold it.
    fn log(leaves: &[Hash]) -> Stored {
        let mut s = Stored(Vec::new());
        for (n, l) in leaves.iter().enumerate() {
            let new = tlog_tiles::stored_hashes_for_record_hash(n as u64, *l, &s).expect("append");
            s.0.extend(new);
        }
        s
    }

    fn view(
        signer: &dyn Signer,
        leaves: &[Hash],
        from: u64,
        own_index: Option<(u64, u64)>,
    ) -> LogView {
        let s = log(leaves);
        let t = leaves.len() as u64;
        let head = TreeHead {
            size: t,
            root: tlog_tiles::tree_hash(t, &s).expect("root"),
        };
        LogView {
            checkpoint: head.sign(signer).expect("sign"),
            inclusion: own_index.map(|(seq, i)| InclusionProof {
                seq,
                leaf_index: i,
                tree_size: t,
                hashes: encode_proof(&tlog_tiles::prove_record(t, i, &s).expect("prove")),
            }),
            consistency: (from > 0 && from < t).then(|| ConsistencyProof {
                from_size: from,
                to_size: t,
                hashes: encode_proof(&tlog_tiles::prove_tree(t, from, &s).expect("prove")),
            }),
        }
    }

    #[test]
    fn an_extending_log_that_holds_the_event_is_taken_and_a_rewritten_one_is_not() {
        let k = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
        let pk = k.public_key();
        let leaves: Vec<Hash> = (0..20u8).map(|i| record_hash(&[i])).collect();
        let first = check_log_view(
            &view(&k, &leaves[..7], 0, Some((1, 6))),
            &pk,
            None,
            Some(OwnLeaf {
                seq: 1,
                leaf: leaves[6],
            }),
            &[],
        )
        .expect("first view");
        let kept = first.head;
        let own = OwnLeaf {
            seq: 2,
            leaf: leaves[15],
        };
        check_log_view(
            &view(&k, &leaves[..16], 7, Some((2, 15))),
            &pk,
            Some(&kept),
            Some(own),
            &[],
        )
        .expect("extends");
        // The same size again needs the same root.
        check_log_view(
            &view(&k, &leaves[..7], 0, None),
            &pk,
            Some(&kept),
            None,
            &[],
        )
        .expect("same tree");
        // Leaf 3 rewritten: no consistency from the head kept.
        let mut rewritten = leaves[..16].to_vec();
        rewritten[3] = record_hash(b"rewritten");
        assert_eq!(
            check_log_view(
                &view(&k, &rewritten, 7, Some((2, 15))),
                &pk,
                Some(&kept),
                Some(own),
                &[]
            ),
            Err(LogRefusal::NotConsistent { kept: 7, shown: 16 })
        );
        // Cut short.
        assert_eq!(
            check_log_view(
                &view(&k, &leaves[..5], 0, None),
                &pk,
                Some(&kept),
                None,
                &[]
            ),
            Err(LogRefusal::Shrunk { kept: 7, shown: 5 })
        );
        // The device's event left out (another leaf proven in its place).
        assert_eq!(
            check_log_view(
                &view(&k, &leaves[..16], 7, Some((2, 14))),
                &pk,
                Some(&kept),
                Some(own),
                &[]
            ),
            Err(LogRefusal::OwnEventNotIncluded { seq: 2, shown: 16 })
        );
        // No proof at all.
        let mut bare = view(&k, &leaves[..16], 7, None);
        bare.consistency = None;
        assert!(matches!(
            check_log_view(&bare, &pk, Some(&kept), None, &[]),
            Err(LogRefusal::NotConsistent { .. })
        ));
    }

    #[test]
    fn a_required_witness_must_have_cosigned() {
        let k = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
        let w = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
        let witness = WitnessKey {
            name: "witness.example".into(),
            key: w.public_key(),
        };
        let leaves: Vec<Hash> = (0..3u8).map(|i| record_hash(&[i])).collect();
        let mut v = view(&k, &leaves, 0, None);
        assert_eq!(
            check_log_view(
                &v,
                &k.public_key(),
                None,
                None,
                std::slice::from_ref(&witness)
            ),
            Err(LogRefusal::NotCosigned("witness.example".into()))
        );
        let mut note = crate::signed_note::Note::parse(&v.checkpoint).expect("note");
        note.signatures.push(note.cosign("witness.example", &w, 1));
        v.checkpoint = note.to_text();
        check_log_view(&v, &k.public_key(), None, None, &[witness]).expect("cosigned");
    }
}
