//! What can go wrong with the terminal's database, phrased for the person who
//! must fix it, and the mapping from SQLite's errors (and the file system's
//! state) to those few cases.

use std::path::{Path, PathBuf};

use courier_protocol::ProtocolError;
use rusqlite::ErrorCode;
use thiserror::Error;

/// A storage failure, phrased for the person who must fix it.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The disk is full.
    #[error(
        "storage is full while {doing}: free space on the device (old logs, exports); everything recorded before is safe{tail}",
        doing = .0,
        tail = step_tail(.0)
    )]
    Full(&'static str),
    /// The database cannot be written.
    #[error(
        "storage is read-only while {doing}: check the data directory's permissions and mount; nothing recorded is lost{tail}",
        doing = .0,
        tail = step_tail(.0)
    )]
    ReadOnly(&'static str),
    /// The database file is damaged.
    #[error(
        "the database is damaged ({0}): stop using this device and call carrier IT; nothing will be recorded until it is repaired"
    )]
    Corrupt(&'static str),
    /// The database file is missing or empty.
    #[error(
        "no usable database at {0} (missing, or an empty file): a device never set up is enrolled with `courier-terminal enroll`; a device whose database was lost is re-enrolled on a fresh data directory (README, \"Re-enrollment\")"
    )]
    Missing(PathBuf),
    /// Another process holds the database.
    #[error(
        "the database is busy while {0}: another courier-terminal process is running; close it and retry"
    )]
    Busy(&'static str),
    /// The database is newer than this app or migration failed.
    #[error("cannot prepare the database schema: {0}")]
    Schema(String),
    /// A stored row does not decode.
    #[error("stored data is unreadable ({0}): call carrier IT")]
    Decode(String),
    /// Building or signing the event failed.
    #[error("could not build the event: {0}")]
    Protocol(#[from] ProtocolError),
    /// Any other SQLite error.
    #[error("storage error while {context}: {source}")]
    Sqlite {
        /// What the store was doing.
        context: &'static str,
        /// The SQLite error.
        source: rusqlite::Error,
    },
}

/// What the end of a storage message says about the step: a write was not
/// recorded; a read had nothing to record.
fn step_tail(context: &str) -> &'static str {
    if is_read(context) {
        " (this command only reads: nothing was to be recorded)"
    } else {
        ", and this step was NOT recorded"
    }
}

/// Whether a storage context names a read (nothing to record).
fn is_read(context: &str) -> bool {
    context.starts_with("reading")
        || context.contains("read-only")
        || context == "checking integrity"
}

/// Maps SQLite errors to the few the screen must tell apart.
pub(super) fn classify(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => StoreError::Full(context),
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly(context),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt(context),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(context),
        _ => StoreError::Sqlite { context, source: e },
    }
}

/// Names an I/O failure by the state of the file system the database is on:
/// SQLite says "disk I/O error" (for example when the WAL index cannot grow)
/// where the person in front of the screen needs "full" or "read-only".
pub(super) fn refine(e: StoreError, db: &Path) -> StoreError {
    let context = match &e {
        StoreError::Sqlite { context, source }
            if matches!(
                source.sqlite_error_code(),
                Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen)
            ) =>
        {
            *context
        }
        _ => return e,
    };
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match rustix::fs::statvfs(dir) {
        Ok(fs) if fs.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY) => {
            StoreError::ReadOnly(context)
        }
        Ok(fs) if fs.f_bavail == 0 => StoreError::Full(context),
        _ => e,
    }
}
