//! Tries in flight: a code try is spent (committed) before the comparison, and
//! marked here until the event that answers it is committed. A mark left by a
//! process that died is what the next start records as an interrupted try, so
//! the signed log and the server count every try the counter counts.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::Store;
use super::connected::Connected;
use super::store_error::{StoreError, classify, refine};

/// Who spends a try: the process and boot, to tell a live check from a dead one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryOwner {
    /// Process id.
    pub pid: u32,
    /// Boot id.
    pub boot_id: String,
    /// Device time, ms.
    pub at_ms: i64,
}

/// A try spent and not yet answered by an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryInFlight {
    /// The parcel.
    pub parcel_id: String,
    /// The attempt number it spent.
    pub attempt: u32,
    /// `keypad` or `qr`.
    pub entry: String,
    /// `offline` or `online`.
    pub check_mode: String,
    /// The parcel's attempt limit then.
    pub attempt_limit: u32,
    /// Who spent it.
    pub owner: TryOwner,
}

/// What the try is for.
#[derive(Debug, Clone, Copy)]
pub struct TrySpec<'a> {
    /// The parcel.
    pub parcel_id: &'a str,
    /// The attempt limit.
    pub limit: u32,
    /// `keypad` or `qr`.
    pub entry: &'a str,
    /// `offline` or `online`.
    pub check_mode: &'a str,
}

impl Store {
    /// Spends one code attempt durably, marks it in flight, and returns the
    /// attempts now spent.
    ///
    /// Committed (fsync) before the code is compared, so a crash never gives a
    /// free try. Returns `None` when the parcel is already at its limit.
    pub fn spend_attempt(
        &mut self,
        spec: &TrySpec<'_>,
        owner: &TryOwner,
    ) -> Result<Option<u32>, StoreError> {
        let path = self.path().to_owned();
        self.spend(spec, owner).map_err(|e| refine(e, &path))
    }

    fn spend(&mut self, spec: &TrySpec<'_>, owner: &TryOwner) -> Result<Option<u32>, StoreError> {
        const CTX: &str = "counting the attempt";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify(CTX))?;
        let spent: Option<u32> = tx
            .query_row(
                "UPDATE parcels SET attempts_spent = attempts_spent + 1
                 WHERE parcel_id = ?1 AND attempts_spent < ?2 RETURNING attempts_spent",
                params![spec.parcel_id, spec.limit],
                |r| r.get(0),
            )
            .optional()
            .map_err(classify(CTX))?;
        if let Some(attempt) = spent {
            tx.execute(
                "INSERT OR REPLACE INTO tries_in_flight
                 (parcel_id, attempt, entry, check_mode, attempt_limit, pid, boot_id, spent_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    spec.parcel_id,
                    attempt,
                    spec.entry,
                    spec.check_mode,
                    spec.limit,
                    owner.pid,
                    owner.boot_id,
                    owner.at_ms
                ],
            )
            .map_err(classify(CTX))?;
        }
        tx.commit().map_err(classify(CTX))?;
        Ok(spent)
    }
}

/// Every try still marked in flight, oldest first.
pub(super) fn tries_in_flight(
    c: &(impl Connected + ?Sized),
) -> Result<Vec<TryInFlight>, StoreError> {
    const CTX: &str = "reading tries in flight";
    let mut stmt = c
        .conn()
        .prepare(
            "SELECT parcel_id, attempt, entry, check_mode, attempt_limit, pid, boot_id, spent_at_ms
             FROM tries_in_flight ORDER BY spent_at_ms, parcel_id, attempt",
        )
        .map_err(classify(CTX))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(TryInFlight {
                parcel_id: r.get(0)?,
                attempt: r.get(1)?,
                entry: r.get(2)?,
                check_mode: r.get(3)?,
                attempt_limit: r.get(4)?,
                owner: TryOwner {
                    pid: r.get(5)?,
                    boot_id: r.get(6)?,
                    at_ms: r.get(7)?,
                },
            })
        })
        .map_err(classify(CTX))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(classify(CTX))
}
