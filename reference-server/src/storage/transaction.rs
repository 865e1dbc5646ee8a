//! The transactions of the decisions that must see and change rows
//! together, each a small trait: ingest ([`crate::ingest`]) loads a batch's
//! context and applies its writes; the online code check
//! ([`crate::code_check`]) spends a try with a conditional update, compares,
//! and logs. Both decisions are written once over these traits; each engine
//! implements them on one connection.

use async_trait::async_trait;
use courier_protocol::envelope::SignedEvent;

use crate::batch::{BatchContext, BatchKeys, BatchWrites};
use crate::error::ServerError;
use crate::storage::event_log::LogLeaf;

/// What spending one online try found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrySpend {
    /// A try was left and is now spent (one conditional update): the count
    /// after it, the limit, and the keys to compare with.
    Spent {
        /// Tries spent, this one included.
        attempts_spent: u32,
        /// The wrong-code limit.
        attempt_limit: u32,
        /// `K` of the numeric form.
        numeric_key: [u8; 32],
        /// `K` of the QR form.
        qr_key: [u8; 32],
    },
    /// No try left: nothing was spent.
    Locked {
        /// Tries spent.
        attempts_spent: u32,
        /// The wrong-code limit.
        attempt_limit: u32,
    },
    /// No order with this parcel id.
    NoOrder,
}

/// One online code check, as logged.
#[derive(Debug, Clone)]
pub struct CodeCheckLog {
    /// The device that asked.
    pub device_id: String,
    /// The parcel.
    pub parcel_id: String,
    /// The request's nonce, hex.
    pub nonce: String,
    /// `match`, `mismatch` or `locked`.
    pub result: &'static str,
    /// Server time, Unix milliseconds.
    pub at_ms: i64,
}

/// An open transaction of a batch. Dropped without
/// [`BatchTransaction::commit`], it rolls back (a request cancelled halfway
/// writes nothing).
#[async_trait]
pub trait BatchTransaction: Send {
    /// Locks the device's chain (and the orders of the batch's parcels, in
    /// parcel order) and loads what [`crate::ingest::plan()`] reads; `None`
    /// when the device is not enrolled.
    async fn load_batch(
        &mut self,
        device_id: &str,
        keys: &BatchKeys,
    ) -> Result<Option<BatchContext>, ServerError>;

    /// Writes what the plan decided: events, ledgers, counters, alerts,
    /// flags and the device's new tip.
    async fn apply_batch(
        &mut self,
        device_id: &str,
        writes: BatchWrites,
        now_ms: i64,
    ) -> Result<(), ServerError>;

    /// Takes the event log's append lock (held until the transaction ends,
    /// so appends of concurrent batches queue) and returns its size.
    async fn lock_log(&mut self) -> Result<u64, ServerError>;

    /// Stored hashes of the log by index (all of the size locked).
    async fn log_hashes(&mut self, indexes: &[u64]) -> Result<Vec<[u8; 32]>, ServerError>;

    /// Appends leaves from index `first` on (the size locked) and the
    /// stored hashes they complete.
    async fn append_log(
        &mut self,
        first: u64,
        leaves: Vec<LogLeaf>,
        stored: Vec<(u64, [u8; 32])>,
    ) -> Result<(), ServerError>;

    /// Stored events not yet in the log (stored before it existed), at
    /// most `limit`, oldest received first (the backfill, under the lock).
    async fn unlogged_events(&mut self, limit: u32) -> Result<Vec<SignedEvent>, ServerError>;

    /// Commits.
    async fn commit(self: Box<Self>) -> Result<(), ServerError>;
}

/// An open transaction of an online code check. Dropped without
/// [`CodeCheckTransaction::commit`], it rolls back.
#[async_trait]
pub trait CodeCheckTransaction: Send {
    /// Whether the parcel is issued to the device now (it is the order's
    /// one holder).
    async fn parcel_held_by(
        &mut self,
        device_id: &str,
        parcel_id: &str,
    ) -> Result<bool, ServerError>;

    /// Spends one try of an order if one is left, in one conditional update
    /// (`attempts_spent < attempt_limit`), so concurrent checks never pass
    /// the limit; the row stays locked until the transaction ends.
    async fn spend_try(&mut self, parcel_id: &str) -> Result<TrySpend, ServerError>;

    /// Gives a correct code its try back (never below zero); returns the count.
    async fn restore_try(&mut self, parcel_id: &str) -> Result<u32, ServerError>;

    /// Logs an online check.
    async fn log_code_check(&mut self, entry: &CodeCheckLog) -> Result<(), ServerError>;

    /// Commits.
    async fn commit(self: Box<Self>) -> Result<(), ServerError>;
}
