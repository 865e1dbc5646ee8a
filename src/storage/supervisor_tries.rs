//! The supervisor's try counter on this device: like a card's PIN counter, a
//! try is spent (committed) before the badge or PIN is compared, and a
//! supervisor locks at the credential's limit. A correct entry resets the
//! counter in the transaction that records the sign-in; a re-issued
//! credential (new badge or PIN, another fingerprint) has a counter of its own.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::Store;
use super::connected::Connected;
use super::store_error::{StoreError, classify, refine};

impl Store {
    /// Spends one try of `credential` (supervisor id and credential
    /// fingerprint) and returns the tries now spent; `None` when the
    /// credential is already at `limit` (nothing spent).
    pub fn spend_supervisor_try(
        &mut self,
        credential: &str,
        supervisor_id: &str,
        limit: u32,
        at_ms: i64,
    ) -> Result<Option<u32>, StoreError> {
        const CTX: &str = "counting the supervisor's try";
        let path = self.path().to_owned();
        let run = |store: &mut Store| -> Result<Option<u32>, StoreError> {
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(classify(CTX))?;
            tx.execute(
                "INSERT OR IGNORE INTO supervisor_tries(credential, supervisor_id, spent, last_at_ms)
                 VALUES (?1, ?2, 0, ?3)",
                params![credential, supervisor_id, at_ms],
            )
            .map_err(classify(CTX))?;
            let spent: Option<u32> = tx
                .query_row(
                    "UPDATE supervisor_tries SET spent = spent + 1, last_at_ms = ?3
                     WHERE credential = ?1 AND spent < ?2 RETURNING spent",
                    params![credential, limit, at_ms],
                    |r| r.get(0),
                )
                .optional()
                .map_err(classify(CTX))?;
            tx.commit().map_err(classify(CTX))?;
            Ok(spent)
        };
        run(self).map_err(|e| refine(e, &path))
    }
}

/// Tries spent on a credential (0 when never tried).
pub(super) fn supervisor_tries(
    c: &(impl Connected + ?Sized),
    credential: &str,
) -> Result<u32, StoreError> {
    c.conn()
        .query_row(
            "SELECT spent FROM supervisor_tries WHERE credential = ?1",
            [credential],
            |r| r.get(0),
        )
        .optional()
        .map(|o| o.unwrap_or(0))
        .map_err(classify("reading the supervisor's tries"))
}
