//! Holding the server to one history: at every upload the terminal checks
//! the server's view of the one event log (`courier_protocol::log_consistency`)
//! against the checkpoint it kept: the new checkpoint must extend it and
//! include this device's latest stored event. A view that passes becomes
//! the kept checkpoint; one that fails is kept as evidence with why (shown
//! by `sync --status`, `diagnose` and the status bar) and the kept one
//! stays. Neither ever touches the outbox: the events were delivered.

use courier_protocol::keys::PublicKey;
use courier_protocol::log_consistency::{LogRefusal, OwnLeaf, check_log_view};
use courier_protocol::merkle_log::{LogView, TreeHead, leaf_hash, verify_checkpoint};
use tracing::{info, warn};

use crate::storage::{MetaKey, Reads, Store, StoreError};

/// The head of the log checkpoint this device keeps, if any.
pub fn kept_head(store: &Store, server_key: &PublicKey) -> Result<Option<TreeHead>, StoreError> {
    Ok(store
        .meta(MetaKey::LastLogCheckpoint)?
        .and_then(|note| verify_checkpoint(&note, server_key).ok())
        .map(|cp| cp.head))
}

/// Checks the server's log view after an upload whose receipt ends at
/// `last_seq`; keeps it, or keeps it as evidence. Returns the refusal, if any.
pub fn keep_log_view(
    store: &Store,
    server_key: &PublicKey,
    view: &LogView,
    last_seq: u64,
    now_ms: i64,
) -> Result<Option<LogRefusal>, StoreError> {
    let kept = kept_head(store, server_key)?;
    let own = if last_seq == 0 {
        None
    } else {
        store
            .events(last_seq, 1)?
            .into_iter()
            .find(|e| e.body.seq == last_seq)
            .and_then(|e| leaf_hash(&e).ok())
            .map(|leaf| OwnLeaf {
                seq: last_seq,
                leaf,
            })
    };
    let refusal = match own {
        None if last_seq > 0 => Some(LogRefusal::OwnEventNotIncluded {
            seq: last_seq,
            shown: 0,
        }),
        _ => check_log_view(view, server_key, kept.as_ref(), own, &[]).err(),
    };
    match refusal {
        None => {
            store.set_meta(MetaKey::LastLogCheckpoint, &view.checkpoint)?;
            info!(
                "event log checkpoint kept: consistent with the last one, this device's events included"
            );
            Ok(None)
        }
        Some(refusal) => {
            warn!(%refusal, "server log checkpoint refused and kept as evidence: call carrier IT");
            let json = serde_json::to_string(view)
                .map_err(|e| StoreError::Decode(format!("log view: {e}")))?;
            store.record_refused_checkpoint(&json, &refusal.to_string(), now_ms)?;
            Ok(Some(refusal))
        }
    }
}
