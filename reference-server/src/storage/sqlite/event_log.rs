//! The event log on SQLite: leaves and stored hashes, read and appended on
//! the connection's thread (appends inside the batch's `BEGIN IMMEDIATE`,
//! which already serialises them).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::reads::db_err;
use crate::error::{ServerError, StorageError};
use crate::storage::event_log::{LogLeaf, LogStorage};
use crate::storage::rows::{to_i64, to_u64};

/// The log's size.
pub(super) fn size(c: &Connection) -> Result<u64, ServerError> {
    c.query_row(
        "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM tlog_leaves",
        [],
        |r| r.get::<_, i64>(0),
    )
    .map(to_u64)
    .map_err(db_err)
}

/// Stored hashes by index.
pub(super) fn hashes(c: &Connection, indexes: &[u64]) -> Result<Vec<[u8; 32]>, ServerError> {
    let mut stmt = c
        .prepare_cached("SELECT hash FROM tlog_hashes WHERE hash_index = ?1")
        .map_err(db_err)?;
    indexes
        .iter()
        .map(|i| {
            let h: Option<Vec<u8>> = stmt
                .query_row([to_i64(*i)], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            h.and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
                .ok_or_else(|| StorageError::corrupt("event log hash", format!("index {i}")).into())
        })
        .collect()
}

/// Appends leaves from index `first` on, and their stored hashes.
pub(super) fn append(
    c: &Connection,
    first: u64,
    leaves: &[LogLeaf],
    stored: &[(u64, [u8; 32])],
) -> Result<(), ServerError> {
    let mut leaf = c
        .prepare_cached(
            "INSERT INTO tlog_leaves(leaf_index, device_id, seq, leaf_hash) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(db_err)?;
    for (i, l) in leaves.iter().enumerate() {
        leaf.execute(params![
            to_i64(first + i as u64),
            l.device_id,
            to_i64(l.seq),
            &l.leaf_hash[..]
        ])
        .map_err(db_err)?;
    }
    let mut hash = c
        .prepare_cached("INSERT INTO tlog_hashes(hash_index, hash) VALUES (?1, ?2)")
        .map_err(db_err)?;
    for (i, h) in stored {
        hash.execute(params![to_i64(*i), &h[..]]).map_err(db_err)?;
    }
    Ok(())
}

#[async_trait]
impl LogStorage for SqliteStore {
    async fn log_size(&self) -> Result<u64, ServerError> {
        self.worker.run(|c| size(c)).await
    }

    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, ServerError> {
        let indexes = indexes.to_vec();
        self.worker.run(move |c| hashes(c, &indexes)).await
    }

    async fn log_leaf_index(&self, device_id: &str, seq: u64) -> Result<Option<u64>, ServerError> {
        let device_id = device_id.to_owned();
        self.worker
            .run(move |c| {
                c.query_row(
                    "SELECT leaf_index FROM tlog_leaves WHERE device_id = ?1 AND seq = ?2",
                    params![device_id, to_i64(seq)],
                    |r| r.get::<_, i64>(0),
                )
                .optional()
                .map(|o| o.map(to_u64))
                .map_err(db_err)
            })
            .await
    }
}
