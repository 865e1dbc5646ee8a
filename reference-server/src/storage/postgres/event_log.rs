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
    let stmt = c.prepare_cached(SIZE).await.map_err(pg_err)?;
    let row = c.query_one(&stmt, &[]).await.map_err(pg_err)?;
    Ok(to_u64(row.get(0)))
}

const SIZE: &str = "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM tlog_leaves";

/// Stored hashes by index, in the order asked.
pub(super) async fn hashes(
    c: &ClientWrapper,
    indexes: &[u64],
) -> Result<Vec<[u8; 32]>, ServerError> {
    let wanted: Vec<i64> = indexes.iter().map(|i| to_i64(*i)).collect();
    let stmt = c
        .prepare_cached("SELECT hash_index, hash FROM tlog_hashes WHERE hash_index = ANY($1)")
        .await
        .map_err(pg_err)?;
    let rows = c.query(&stmt, &[&wanted]).await.map_err(pg_err)?;
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

/// Takes the append lock and returns the size (one round trip).
pub(super) async fn lock(c: &ClientWrapper) -> Result<u64, ServerError> {
    let answers = c
        .simple_query(&format!(
            "LOCK TABLE tlog_leaves IN SHARE ROW EXCLUSIVE MODE; {SIZE}"
        ))
        .await
        .map_err(pg_err)?;
    answers
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0),
            _ => None,
        })
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| StorageError::corrupt("event log size", "no size answered").into())
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
    let hash_indexes: Vec<i64> = stored.iter().map(|(i, _)| to_i64(*i)).collect();
    let hashes: Vec<&[u8]> = stored.iter().map(|(_, h)| &h[..]).collect();
    // Both inserts go out together (pipelined on the one connection).
    tokio::try_join!(
        async {
            let stmt = c
                .prepare_cached(
                    "INSERT INTO tlog_leaves(leaf_index, device_id, seq, leaf_hash)
                     SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::BYTEA[])",
                )
                .await
                .map_err(pg_err)?;
            c.execute(&stmt, &[&indexes, &devices, &seqs, &leaf_hashes])
                .await
                .map_err(pg_err)
        },
        async {
            let stmt = c
                .prepare_cached(
                    "INSERT INTO tlog_hashes(hash_index, hash) SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[])",
                )
                .await
                .map_err(pg_err)?;
            c.execute(&stmt, &[&hash_indexes, &hashes])
                .await
                .map_err(pg_err)
        },
    )?;
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
        let c = self.client().await?;
        let stmt = c
            .prepare_cached("SELECT leaf_index FROM tlog_leaves WHERE device_id = $1 AND seq = $2")
            .await
            .map_err(pg_err)?;
        let row = c
            .query_opt(&stmt, &[&device_id, &to_i64(seq)])
            .await
            .map_err(pg_err)?;
        Ok(row.map(|r| to_u64(r.get(0))))
    }

    async fn log_size_and_leaf(
        &self,
        device_id: &str,
        seq: u64,
    ) -> Result<(u64, Option<u64>), ServerError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT (SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM tlog_leaves),
                        (SELECT leaf_index FROM tlog_leaves WHERE device_id = $1 AND seq = $2)",
            )
            .await
            .map_err(pg_err)?;
        let row = c
            .query_one(&stmt, &[&device_id, &to_i64(seq)])
            .await
            .map_err(pg_err)?;
        Ok((to_u64(row.get(0)), row.get::<_, Option<i64>>(1).map(to_u64)))
    }
}
