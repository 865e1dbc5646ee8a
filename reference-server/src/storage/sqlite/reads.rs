//! The SQLite reads both the store and its transactions make, and how a
//! SQLite error becomes a storage error.

use courier_protocol::envelope::SignedEvent;
use rusqlite::{Connection, OptionalExtension};

use crate::error::{ServerError, StorageError};
use crate::records::{DeviceRow, OrderRow};
use crate::storage::rows;

/// A SQLite error as a storage error.
pub(super) fn db_err(e: rusqlite::Error) -> ServerError {
    StorageError::Engine {
        engine: "SQLite",
        source: Box::new(e),
        contention: false,
    }
    .into()
}

/// Looks a device up.
pub(super) fn device_in(
    conn: &Connection,
    device_id: &str,
) -> Result<Option<DeviceRow>, ServerError> {
    type Columns = (String, String, i64, String, Option<i64>, Option<String>);
    let row: Option<Columns> = conn
        .query_row(
            "SELECT device_id, public_key, last_seq, last_hash, revoked_at_ms, revoked_reason
             FROM devices WHERE device_id = ?1",
            [device_id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .optional()
        .map_err(db_err)?;
    Ok(row
        .map(|(device_id, pk, seq, hash, at, why)| {
            rows::device_row(device_id, &pk, seq, hash, (at, why))
        })
        .transpose()?)
}

/// Looks an order up.
pub(super) fn order_in(
    conn: &Connection,
    parcel_id: &str,
) -> Result<Option<OrderRow>, ServerError> {
    let row: Option<(String, String, String, u32, u32)> = conn
        .query_row(
            "SELECT spec_json, numeric_key, qr_key, attempts_spent, attempt_limit FROM orders WHERE parcel_id = ?1",
            [parcel_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(db_err)?;
    Ok(row
        .map(|(spec, nk, qk, spent, limit)| {
            rows::order_row(parcel_id, &spec, &nk, &qk, spent, limit)
        })
        .transpose()?)
}

/// Runs a query whose first column is an event's JSON.
pub(super) fn events_query(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<SignedEvent>, ServerError> {
    let mut stmt = conn.prepare(sql).map_err(db_err)?;
    let rows = stmt
        .query_map(params, |r| r.get::<_, String>(0))
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(rows::event(&row.map_err(db_err)?)?);
    }
    Ok(out)
}
