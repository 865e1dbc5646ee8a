//! The event log on PostgreSQL: leaves and stored hashes. A batch appends
//! under `LOCK TABLE tlog_leaves IN SHARE ROW EXCLUSIVE MODE` (self-exclusive:
//! appends of concurrent batches queue until the holder commits; reads go
//! on), so leaf indexes are dense and the tree is one.

use async_trait::async_trait;
use deadpool_postgres::ClientWrapper;

use super::PgStore;
use super::reads::pg_err;
use crate::error::{ServerError, StorageError};
use crate::storage::event_log::{LogLeaf, LogStorage};
use crate::storage::rows::{to_i64, to_u64};

/// The log's size.
pub(super) async fn size(c: &ClientWrapper) -> Result<u64, ServerError> {
    let row = c
        .query_one(
            "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM tlog_leaves",
            &[],
        )
        .await
        .map_err(pg_err)?;
    Ok(to_u64(row.get(0)))
}

/// Stored hashes by index, in the order asked.
pub(super) async fn hashes(
    c: &ClientWrapper,
    indexes: &[u64],
) -> Result<Vec<[u8; 32]>, ServerError> {
    let wanted: Vec<i64> = indexes.iter().map(|i| to_i64(*i)).collect();
    let rows = c
        .query(
            "SELECT hash_index, hash FROM tlog_hashes WHERE hash_index = ANY($1)",
            &[&wanted],
        )
        .await
        .map_err(pg_err)?;
    let found: std::collections::HashMap<i64, Vec<u8>> =
        rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    wanted
        .iter()
        .map(|i| {
            found
                .get(i)
                .and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
                .ok_or_else(|| StorageError::corrupt("event log hash", format!("index {i}")).into())
        })
        .collect()
}

/// Takes the append lock and returns the size.
pub(super) async fn lock(c: &ClientWrapper) -> Result<u64, ServerError> {
    c.batch_execute("LOCK TABLE tlog_leaves IN SHARE ROW EXCLUSIVE MODE")
        .await
        .map_err(pg_err)?;
    size(c).await
}

/// Appends leaves from index `first` on, and their stored hashes.
pub(super) async fn append(
    c: &ClientWrapper,
    first: u64,
    leaves: &[LogLeaf],
    stored: &[(u64, [u8; 32])],
) -> Result<(), ServerError> {
    let indexes: Vec<i64> = (0..leaves.len() as u64)
        .map(|i| to_i64(first + i))
        .collect();
    let devices: Vec<&str> = leaves.iter().map(|l| l.device_id.as_str()).collect();
    let seqs: Vec<i64> = leaves.iter().map(|l| to_i64(l.seq)).collect();
    let leaf_hashes: Vec<&[u8]> = leaves.iter().map(|l| &l.leaf_hash[..]).collect();
    c.execute(
        "INSERT INTO tlog_leaves(leaf_index, device_id, seq, leaf_hash)
         SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::BYTEA[])",
        &[&indexes, &devices, &seqs, &leaf_hashes],
    )
    .await
    .map_err(pg_err)?;
    let hash_indexes: Vec<i64> = stored.iter().map(|(i, _)| to_i64(*i)).collect();
    let hashes: Vec<&[u8]> = stored.iter().map(|(_, h)| &h[..]).collect();
    c.execute(
        "INSERT INTO tlog_hashes(hash_index, hash) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])",
        &[&hash_indexes, &hashes],
    )
    .await
    .map_err(pg_err)?;
    Ok(())
}

#[async_trait]
impl LogStorage for PgStore {
    async fn log_size(&self) -> Result<u64, ServerError> {
        size(&*self.client().await?).await
    }

    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, ServerError> {
        hashes(&*self.client().await?, indexes).await
    }

    async fn log_leaf_index(&self, device_id: &str, seq: u64) -> Result<Option<u64>, ServerError> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT leaf_index FROM tlog_leaves WHERE device_id = $1 AND seq = $2",
                &[&device_id, &to_i64(seq)],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.map(|r| to_u64(r.get(0))))
    }
}
