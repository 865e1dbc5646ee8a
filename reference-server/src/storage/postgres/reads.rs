//! How a PostgreSQL error becomes a storage error, and the rows both the
//! store and its transactions decode.

use tokio_postgres::Row;
use tokio_postgres::error::SqlState;

use crate::error::{ServerError, StorageError};
use crate::records::{DeviceRow, OrderRow};
use crate::storage::rows;

/// A PostgreSQL error as a storage error: the server's message and code when
/// it answered, marked as contention when running the transaction again may
/// succeed (a serialization failure, a deadlock, a unique key taken
/// meanwhile).
/// An error and its causes in one line ("error performing TLS handshake:
/// invalid peer certificate: UnknownIssuer"): the driver's own words stop at
/// the first.
pub(super) fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

pub(super) fn pg_err(e: tokio_postgres::Error) -> ServerError {
    let contention = matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    );
    let source: crate::error::BoxError = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()).into(),
        None => with_causes(&e).into(),
    };
    StorageError::Engine {
        engine: "PostgreSQL",
        source,
        contention,
    }
    .into()
}

/// Whether an error is a unique violation (a key taken).
pub(super) fn unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

/// No connection from the pool.
pub(super) fn pool_err(e: deadpool_postgres::PoolError) -> ServerError {
    StorageError::Unavailable {
        engine: "PostgreSQL",
        source: with_causes(&e).into(),
    }
    .into()
}

/// A device from `device_id, public_key, last_seq, last_hash, revoked_at_ms,
/// revoked_reason`.
pub(super) fn device_from(row: &Row) -> Result<DeviceRow, ServerError> {
    Ok(rows::device_row(
        row.get(0),
        row.get(1),
        row.get(2),
        row.get(3),
        (row.get(4), row.get(5)),
    )?)
}

/// An order from `parcel_id, spec_json, numeric_key, qr_key, attempts_spent, attempt_limit`.
pub(super) fn order_from(row: &Row) -> Result<OrderRow, ServerError> {
    Ok(rows::order_row(
        row.get(0),
        row.get(1),
        row.get(2),
        row.get(3),
        rows::counter(row.get(4)),
        rows::counter(row.get(5)),
    )?)
}
