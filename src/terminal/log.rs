//! The evidence log as a whole: verification of every stored event.

use courier_protocol::envelope::{ChainTip, verify_chain};
use courier_protocol::keys::PublicKey;

use super::TerminalError;
use crate::storage::{Reads, Store};

/// The result of verifying the whole local log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    /// Events checked.
    pub events: u64,
    /// Last hash.
    pub tip_hash: String,
}

/// Verifies every stored event: schema, hash, signature, sequence, chain.
pub fn verify_log(store: &Store, key: &PublicKey) -> Result<VerifyReport, TerminalError> {
    let mut tip = ChainTip::genesis();
    loop {
        let batch = store.events(tip.seq + 1, 1000)?;
        if batch.is_empty() {
            break;
        }
        tip = verify_chain(&batch, key, tip)?;
    }
    Ok(VerifyReport {
        events: tip.seq,
        tip_hash: tip.hash,
    })
}
