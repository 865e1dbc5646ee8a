//! Which engine a configuration names, and opening it: the one place that
//! knows both engines.

use std::path::PathBuf;
use std::sync::Arc;

use crate::error::ServerError;
use crate::storage::Storage;
use crate::storage::postgres::PgStore;
use crate::storage::postgres::url::redact;
use crate::storage::sqlite::SqliteStore;

/// Where the server keeps its data: a SQLite file or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An embedded SQLite file (the default).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl Database {
    /// Reads `--database`: a `postgres://` or `postgresql://` URL, else a SQLite path.
    pub fn parse(text: &str) -> Database {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Database::Postgres(text.to_owned())
        } else {
            Database::Sqlite(PathBuf::from(text))
        }
    }

    /// Where the reference photo store keeps photo bytes:
    /// `ESCROW_PHOTO_DIR` when set, else beside a SQLite file
    /// (`<file>.photos/`); for PostgreSQL set `ESCROW_PHOTO_DIR` (the
    /// default, under the system's temporary directory, is for tests).
    pub fn photo_dir(&self) -> PathBuf {
        if let Some(dir) = std::env::var_os("ESCROW_PHOTO_DIR") {
            return PathBuf::from(dir);
        }
        match self {
            Database::Sqlite(p) => PathBuf::from(format!("{}.photos", p.display())),
            Database::Postgres(_) => std::env::temp_dir().join("escrow-photos"),
        }
    }

    /// A description without any password, for logs and error messages.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(p) => format!("SQLite file {}", p.display()),
            Database::Postgres(url) => format!("PostgreSQL {}", redact(url)),
        }
    }
}

/// Opens (and migrates) the storage a configuration names.
pub async fn open_storage(database: &Database) -> Result<Arc<dyn Storage>, ServerError> {
    Ok(match database {
        Database::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
        Database::Postgres(url) => Arc::new(PgStore::open(url).await?),
    })
}
