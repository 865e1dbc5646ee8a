//! The storage of the one Merkle log of every event: its leaves (dense
//! indexes, one per stored event) and the tree's stored hashes (Go
//! `sumdb/tlog` layout). Appends run inside a batch's transaction
//! ([`crate::storage::BatchTransaction`]); the reads here serve checkpoints
//! and proofs of committed trees.

use async_trait::async_trait;

use crate::error::ServerError;

/// One leaf to append: the event it is, and its RFC 6962 leaf hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLeaf {
    /// The device whose event it is.
    pub device_id: String,
    /// The event's sequence number.
    pub seq: u64,
    /// The leaf hash.
    pub leaf_hash: [u8; 32],
}

/// Reads of the committed log.
#[async_trait]
pub trait LogStorage: Send + Sync {
    /// How many leaves the log holds.
    async fn log_size(&self) -> Result<u64, ServerError>;

    /// Stored hashes by index, in the order asked; a missing one is an error.
    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, ServerError>;

    /// The leaf index of a device's event, if it is in the log.
    async fn log_leaf_index(&self, device_id: &str, seq: u64) -> Result<Option<u64>, ServerError>;

    /// The log's size and the leaf index of a device's event (if in the
    /// log), read together: an engine may answer both in one statement.
    async fn log_size_and_leaf(
        &self,
        device_id: &str,
        seq: u64,
    ) -> Result<(u64, Option<u64>), ServerError> {
        let size = self.log_size().await?;
        Ok((size, self.log_leaf_index(device_id, seq).await?))
    }
}
