//! A SQLite transaction: a session on the connection's thread, opened with
//! `BEGIN IMMEDIATE` (the file's write lock, so a second process on the same
//! file waits instead of interleaving) and rolled back by the thread if the
//! handle is dropped before a commit.

use async_trait::async_trait;
use courier_protocol::envelope::SignedEvent;
use rusqlite::{OptionalExtension, params};

use super::batch::{apply, load_context};
use super::event_log;
use super::reads::{db_err, device_in, events_query};
use super::worker::{Session, Worker};
use crate::batch::{BatchContext, BatchKeys, BatchWrites};
use crate::error::ServerError;
use crate::storage::event_log::LogLeaf;
use crate::storage::rows;
use crate::storage::transaction::{BatchTransaction, CodeCheckLog, CodeCheckTransaction, TrySpend};

/// An open SQLite transaction.
pub(super) struct SqliteTx {
    session: Session,
}

impl SqliteTx {
    /// Reserves the connection and takes the write lock.
    pub(super) async fn begin(worker: &Worker) -> Result<SqliteTx, ServerError> {
        let session = worker.session()?;
        session
            .run(|c| c.execute_batch("BEGIN IMMEDIATE").map_err(db_err))
            .await?;
        Ok(SqliteTx { session })
    }

    /// Commits.
    async fn finish(self: Box<Self>) -> Result<(), ServerError> {
        self.session
            .run(|c| c.execute_batch("COMMIT").map_err(db_err))
            .await
    }
}

#[async_trait]
impl BatchTransaction for SqliteTx {
    async fn load_batch(
        &mut self,
        device_id: &str,
        keys: &BatchKeys,
    ) -> Result<Option<BatchContext>, ServerError> {
        let (device_id, keys) = (device_id.to_owned(), keys.clone());
        self.session
            .run(move |c| match device_in(c, &device_id)? {
                Some(device) => load_context(c, device, &keys).map(Some),
                None => Ok(None),
            })
            .await
    }

    async fn apply_batch(
        &mut self,
        device_id: &str,
        writes: BatchWrites,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let device_id = device_id.to_owned();
        self.session
            .run(move |c| apply(c, &device_id, &writes, now_ms))
            .await
    }

    async fn lock_log(&mut self) -> Result<u64, ServerError> {
        // `BEGIN IMMEDIATE` holds the file's write lock already.
        self.session.run(|c| event_log::size(c)).await
    }

    async fn log_hashes(&mut self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, ServerError> {
        let indexes = indexes.to_vec();
        self.session
            .run(move |c| event_log::hashes(c, &indexes))
            .await
    }

    async fn unlogged_events(&mut self, limit: u32) -> Result<Vec<SignedEvent>, ServerError> {
        self.session
            .run(move |c| {
                events_query(
                    c,
                    "SELECT signed_json FROM events e WHERE NOT EXISTS (SELECT 1 FROM tlog_leaves l WHERE l.device_id = e.device_id AND l.seq = e.seq) ORDER BY received_at_ms, device_id, seq LIMIT ?1",
                    [limit],
                )
            })
            .await
    }

    async fn append_log(
        &mut self,
        first: u64,
        leaves: Vec<LogLeaf>,
        stored: Vec<(u64, [u8; 32])>,
    ) -> Result<(), ServerError> {
        self.session
            .run(move |c| event_log::append(c, first, &leaves, &stored))
            .await
    }

    async fn commit(self: Box<Self>) -> Result<(), ServerError> {
        self.finish().await
    }
}

#[async_trait]
impl CodeCheckTransaction for SqliteTx {
    async fn parcel_held_by(
        &mut self,
        device_id: &str,
        parcel_id: &str,
    ) -> Result<bool, ServerError> {
        let (device_id, parcel_id) = (device_id.to_owned(), parcel_id.to_owned());
        self.session
            .run(move |c| {
                c.query_row(
                    "SELECT 1 FROM orders WHERE holder = ?1 AND parcel_id = ?2",
                    [&device_id, &parcel_id],
                    |_| Ok(()),
                )
                .optional()
                .map(|o| o.is_some())
                .map_err(db_err)
            })
            .await
    }

    async fn spend_try(&mut self, parcel_id: &str) -> Result<TrySpend, ServerError> {
        let parcel_id = parcel_id.to_owned();
        self.session
            .run(move |c| {
                let spent: Option<(u32, u32, String, String)> = c
                    .query_row(
                        "UPDATE orders SET attempts_spent = attempts_spent + 1
                         WHERE parcel_id = ?1 AND attempts_spent < attempt_limit
                         RETURNING attempts_spent, attempt_limit, numeric_key, qr_key",
                        [&parcel_id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .optional()
                    .map_err(db_err)?;
                if let Some((attempts_spent, attempt_limit, nk, qk)) = spent {
                    return Ok(TrySpend::Spent {
                        attempts_spent,
                        attempt_limit,
                        numeric_key: rows::key_from_hex(&nk, "numeric key")?,
                        qr_key: rows::key_from_hex(&qk, "QR key")?,
                    });
                }
                let counter: Option<(u32, u32)> = c
                    .query_row(
                        "SELECT attempts_spent, attempt_limit FROM orders WHERE parcel_id = ?1",
                        [&parcel_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(db_err)?;
                Ok(match counter {
                    Some((attempts_spent, attempt_limit)) => TrySpend::Locked {
                        attempts_spent,
                        attempt_limit,
                    },
                    None => TrySpend::NoOrder,
                })
            })
            .await
    }

    async fn restore_try(&mut self, parcel_id: &str) -> Result<u32, ServerError> {
        let parcel_id = parcel_id.to_owned();
        self.session
            .run(move |c| {
                c.query_row(
                    "UPDATE orders SET attempts_spent = MAX(attempts_spent - 1, 0) WHERE parcel_id = ?1
                     RETURNING attempts_spent",
                    [&parcel_id],
                    |r| r.get(0),
                )
                .map_err(db_err)
            })
            .await
    }

    async fn log_code_check(&mut self, entry: &CodeCheckLog) -> Result<(), ServerError> {
        let e = entry.clone();
        self.session
            .run(move |c| {
                c.execute(
                    "INSERT INTO code_checks(device_id, parcel_id, nonce, result, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![e.device_id, e.parcel_id, e.nonce, e.result, e.at_ms],
                )
                .map(|_| ())
                .map_err(db_err)
            })
            .await
    }

    async fn commit(self: Box<Self>) -> Result<(), ServerError> {
        self.finish().await
    }
}
