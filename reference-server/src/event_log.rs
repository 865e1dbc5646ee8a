//! The server side of the one Merkle log of every stored event, written once
//! over the storage traits: appending a batch's leaves inside its
//! transaction, and the checkpoint and proofs of the committed tree, computed
//! from stored hashes (a root or a proof reads O(log n) of them).

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use courier_protocol::envelope::SignedEvent;
use courier_protocol::keys::Signer;
use courier_protocol::merkle_log::{
    ConsistencyProof, Hash, InclusionProof, LogView, TreeHead, encode_proof, leaf_hash,
};
use tlog_tiles::HashReader;

use crate::error::{ServerError, StorageError};
use crate::storage::{BatchTransaction, LogLeaf, LogStorage, Storage};

/// The leaves of events about to be stored, in chain order.
pub fn leaves_of<'a>(
    device_id: &str,
    events: impl IntoIterator<Item = &'a SignedEvent>,
) -> Result<Vec<LogLeaf>, ServerError> {
    events
        .into_iter()
        .map(|e| {
            Ok(LogLeaf {
                device_id: device_id.to_owned(),
                seq: e.body.seq,
                leaf_hash: leaf_hash(e).map_err(ServerError::Key)?.0,
            })
        })
        .collect()
}

/// Appends leaves to the log inside the open batch transaction (taking the
/// log's append lock until it ends); returns the new size.
pub async fn append(
    tx: &mut dyn BatchTransaction,
    leaves: Vec<LogLeaf>,
) -> Result<u64, ServerError> {
    let n = tx.lock_log().await?;
    if leaves.is_empty() {
        return Ok(n);
    }
    // The hashes of the complete subtrees the new leaves join, already stored.
    let before = tlog_tiles::stored_hash_count(n);
    let mut need = BTreeSet::new();
    for m in n..n + leaves.len() as u64 {
        for level in 0..(m + 1).trailing_zeros() {
            let idx = tlog_tiles::stored_hash_index(level as u8, (m >> level) - 1);
            if idx < before {
                need.insert(idx);
            }
        }
    }
    let need: Vec<u64> = need.into_iter().collect();
    let got = tx.log_hashes(&need).await?;
    let reader = Fetched::with(need.into_iter().zip(got.into_iter().map(Hash)));
    let mut stored = Vec::new();
    for (j, l) in leaves.iter().enumerate() {
        let m = n + j as u64;
        let new = tlog_tiles::stored_hashes_for_record_hash(m, Hash(l.leaf_hash), &reader)
            .map_err(corrupt)?;
        let start = tlog_tiles::stored_hash_index(0, m);
        for (k, h) in new.into_iter().enumerate() {
            reader.known.borrow_mut().insert(start + k as u64, h);
            stored.push((start + k as u64, h.0));
        }
    }
    let size = n + leaves.len() as u64;
    tx.append_log(n, leaves, stored).await?;
    Ok(size)
}

/// Events stored per backfill transaction.
const BACKFILL_BATCH: u32 = 1000;

/// Appends to the log the events stored before it existed (a server
/// upgraded from before issue 23), oldest received first, in transactions
/// of [`BACKFILL_BATCH`]; a meta flag makes later starts skip the scan.
/// Returns how many were appended.
pub async fn backfill(store: &dyn Storage) -> Result<u64, ServerError> {
    const DONE: &str = "tlog_backfilled";
    if store.meta(DONE).await?.is_some() {
        return Ok(0);
    }
    let mut appended = 0;
    loop {
        let mut tx = store.begin_batch().await?;
        tx.lock_log().await?;
        let events = tx.unlogged_events(BACKFILL_BATCH).await?;
        if events.is_empty() {
            tx.commit().await?;
            break;
        }
        let mut leaves = Vec::with_capacity(events.len());
        for e in &events {
            leaves.extend(leaves_of(&e.body.device_id, [e])?);
        }
        appended += leaves.len() as u64;
        append(&mut *tx, leaves).await?;
        tx.commit().await?;
    }
    store.meta_or_insert(DONE, "1").await?;
    if appended > 0 {
        tracing::info!(
            appended,
            "events stored before the event log appended to it"
        );
    }
    Ok(appended)
}

/// The committed tree's head at its current size.
pub async fn head(store: &dyn LogStorage) -> Result<TreeHead, ServerError> {
    root_at(store, store.log_size().await?).await
}

/// The log as shown to a device after an upload: the signed checkpoint of
/// the current tree, the inclusion of the device's event `seq` (if in the
/// log) and the consistency with the size `held` it keeps (if smaller).
pub async fn view(
    store: &dyn LogStorage,
    signer: &(dyn Signer + Sync),
    device_id: &str,
    seq: u64,
    held: Option<u64>,
) -> Result<LogView, ServerError> {
    let size = store.log_size().await?;
    let leaf = match seq {
        0 => None,
        s => store.log_leaf_index(device_id, s).await?,
    }
    .filter(|i| *i < size);
    let from = held.filter(|h| *h > 0 && *h < size);
    let (root, inclusion, consistency) = compute(store, |r| {
        let root = tlog_tiles::tree_hash(size, r)?;
        let inclusion = leaf
            .map(|i| tlog_tiles::prove_record(size, i, r))
            .transpose()?;
        let consistency = from
            .map(|m| tlog_tiles::prove_tree(size, m, r))
            .transpose()?;
        Ok((root, inclusion, consistency))
    })
    .await?;
    let head = TreeHead { size, root };
    Ok(LogView {
        checkpoint: sign(&head, signer)?,
        inclusion: leaf.zip(inclusion).map(|(i, p)| InclusionProof {
            seq,
            leaf_index: i,
            tree_size: size,
            hashes: encode_proof(&p),
        }),
        consistency: from.zip(consistency).map(|(m, p)| ConsistencyProof {
            from_size: m,
            to_size: size,
            hashes: encode_proof(&p),
        }),
    })
}

/// The audit paths of leaves `indexes` (each below `size`) to the tree of
/// `size` leaves, all to one root: the proofs of a dispute pack.
pub async fn inclusions(
    store: &dyn LogStorage,
    size: u64,
    indexes: &[u64],
) -> Result<Vec<Vec<Hash>>, ServerError> {
    let mut proofs = Vec::with_capacity(indexes.len());
    for i in indexes {
        proofs.push(compute(store, |r| tlog_tiles::prove_record(size, *i, r)).await?);
    }
    Ok(proofs)
}

/// The root of the committed tree's first `size` leaves.
pub async fn root_at(store: &dyn LogStorage, size: u64) -> Result<TreeHead, ServerError> {
    let root = compute(store, |r| tlog_tiles::tree_hash(size, r)).await?;
    Ok(TreeHead { size, root })
}

/// The consistency proof from `from` to `to` (both at most the committed size).
pub async fn consistency(
    store: &dyn LogStorage,
    from: u64,
    to: u64,
) -> Result<ConsistencyProof, ServerError> {
    let hashes = if from == 0 || from == to {
        Vec::new()
    } else {
        compute(store, |r| tlog_tiles::prove_tree(to, from, r)).await?
    };
    Ok(ConsistencyProof {
        from_size: from,
        to_size: to,
        hashes: encode_proof(&hashes),
    })
}

/// Signs a head as the server's checkpoint note.
pub fn sign(head: &TreeHead, signer: &dyn Signer) -> Result<String, ServerError> {
    head.sign(signer)
        .map_err(|e| StorageError::corrupt("event log checkpoint", e).into())
}

fn corrupt(e: tlog_tiles::Error) -> ServerError {
    StorageError::corrupt("event log", e).into()
}

/// A hash reader over hashes fetched so far; it notes the ones it lacks, so
/// a computation runs, fetches what it lacked, and runs again.
#[derive(Default)]
struct Fetched {
    known: RefCell<HashMap<u64, Hash>>,
    missing: RefCell<BTreeSet<u64>>,
}

impl Fetched {
    fn with(hashes: impl IntoIterator<Item = (u64, Hash)>) -> Fetched {
        Fetched {
            known: RefCell::new(hashes.into_iter().collect()),
            missing: RefCell::default(),
        }
    }
}

impl HashReader for Fetched {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let known = self.known.borrow();
        let out: Vec<Hash> = indexes
            .iter()
            .filter_map(|i| known.get(i).copied())
            .collect();
        if out.len() == indexes.len() {
            return Ok(out);
        }
        self.missing
            .borrow_mut()
            .extend(indexes.iter().filter(|i| !known.contains_key(i)));
        Err(tlog_tiles::Error::IndexesNotInTree)
    }
}

/// Runs `f` over stored hashes, fetching what it asks for (each of the
/// tree functions asks once, so a few rounds suffice).
async fn compute<T>(
    store: &dyn LogStorage,
    f: impl Fn(&Fetched) -> Result<T, tlog_tiles::Error>,
) -> Result<T, ServerError> {
    let reader = Fetched::default();
    for _ in 0..8 {
        match f(&reader) {
            Ok(v) => return Ok(v),
            Err(e) => {
                let missing: Vec<u64> = reader.missing.take().into_iter().collect();
                if missing.is_empty() {
                    return Err(corrupt(e));
                }
                let got = store.log_hashes(&missing).await?;
                reader
                    .known
                    .borrow_mut()
                    .extend(missing.into_iter().zip(got.into_iter().map(Hash)));
            }
        }
    }
    Err(corrupt(tlog_tiles::Error::IndexesNotInTree))
}
