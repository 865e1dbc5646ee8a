//! An event log held in memory: the tree a forking or rewriting server
//! would compute for a history of its choosing, with its signed checkpoint
//! and proofs, to show the terminal and the witness.

use courier_protocol::keys::Signer;
use courier_protocol::merkle_log::{
    ConsistencyProof, Hash, InclusionProof, LogView, TreeHead, encode_proof,
};
use tlog_tiles::HashReader;

/// A tree of leaf hashes with its stored hashes.
pub struct MemoryLog {
    stored: Vec<Hash>,
    size: u64,
}

impl HashReader for MemoryLog {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.stored
                    .get(usize::try_from(*i).map_err(|_| tlog_tiles::Error::IndexesNotInTree)?)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl MemoryLog {
    /// The tree of these leaves, in order.
    pub fn of(leaves: &[Hash]) -> MemoryLog {
        let mut t = MemoryLog {
            stored: Vec::new(),
            size: 0,
        };
        for l in leaves {
            let new = tlog_tiles::stored_hashes_for_record_hash(t.size, *l, &t).expect("append");
            t.stored.extend(new);
            t.size += 1;
        }
        t
    }

    /// Its head.
    pub fn head(&self) -> TreeHead {
        TreeHead {
            size: self.size,
            root: tlog_tiles::tree_hash(self.size, self).expect("root"),
        }
    }

    /// Its view as a server answers it: the checkpoint signed by `signer`,
    /// the inclusion of `(seq, leaf index)` and the consistency from `from`.
    pub fn view(&self, signer: &dyn Signer, own: Option<(u64, u64)>, from: Option<u64>) -> LogView {
        LogView {
            checkpoint: self.head().sign(signer).expect("sign"),
            inclusion: own.map(|(seq, i)| InclusionProof {
                seq,
                leaf_index: i,
                tree_size: self.size,
                hashes: encode_proof(&tlog_tiles::prove_record(self.size, i, self).expect("prove")),
            }),
            consistency: from
                .filter(|m| *m > 0 && *m < self.size)
                .map(|m| ConsistencyProof {
                    from_size: m,
                    to_size: self.size,
                    hashes: encode_proof(
                        &tlog_tiles::prove_tree(self.size, m, self).expect("prove"),
                    ),
                }),
        }
    }
}
