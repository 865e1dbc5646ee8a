//! Event ingest, written once for every engine: in one transaction, load the
//! batch's context with the device's chain locked, decide with the pure
//! [`plan()`], apply the writes and commit; a transaction that fails on
//! contention (a serialization failure, a deadlock, the same event id
//! uploaded by two devices at once) is run again from the start, a bounded
//! number of times.

pub mod plan;

pub use plan::plan;

use crate::batch::{BatchKeys, IngestOutcome, Uploaded};
use crate::error::{NotFound, ServerError};
use crate::event_log;
use crate::storage::{LogLeaf, Storage};

/// How many times a batch is tried on contention before the error is
/// answered (the device retries later).
pub const INGEST_ATTEMPTS: u32 = 8;

/// Checks and stores a batch for a device in one transaction; batches of one
/// device are serialised, across processes too.
pub async fn ingest(
    store: &dyn Storage,
    device_id: &str,
    events: &[Uploaded],
    now_ms: i64,
) -> Result<IngestOutcome, ServerError> {
    let keys = BatchKeys::of(events);
    let mut attempt = 1;
    loop {
        match ingest_once(store, device_id, events, &keys, now_ms).await {
            Err(e) if e.is_contention() && attempt < INGEST_ATTEMPTS => {
                tracing::debug!(device_id, attempt, error = %e, "batch retried");
                attempt += 1;
            }
            other => return other,
        }
    }
}

async fn ingest_once(
    store: &dyn Storage,
    device_id: &str,
    events: &[Uploaded],
    keys: &BatchKeys,
    now_ms: i64,
) -> Result<IngestOutcome, ServerError> {
    let mut tx = store.begin_batch().await?;
    let ctx = tx
        .load_batch(device_id, keys)
        .await?
        .ok_or_else(|| NotFound::Device(device_id.to_owned()))?;
    let (outcome, writes) = plan(ctx, events)?;
    let leaves = writes
        .events
        .iter()
        .map(|e| LogLeaf {
            device_id: device_id.to_owned(),
            seq: e.event.body.seq,
            leaf_hash: e.leaf_hash,
        })
        .collect();
    tx.apply_batch(device_id, writes, now_ms).await?;
    event_log::append(&mut *tx, leaves).await?;
    tx.commit().await?;
    Ok(outcome)
}
