//! What a reading command found about the store it reads: a read-only file
//! system, a full one, the database's side files (`-wal`, `-shm`) absent, and
//! how it read in spite of them. Said to the reader, never a failure: carrier
//! IT exports the evidence exactly when the device is in trouble.

use std::path::{Path, PathBuf};

/// How the database was opened for reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// The ordinary way, sharing the WAL index with other processes.
    Shared,
    /// In exclusive locking mode: the WAL index kept in memory, because its
    /// shared-memory file could not be created.
    Exclusive,
    /// As an immutable file (no lock, no side file): the write-ahead log is
    /// absent or empty, so the main file holds every committed event.
    Immutable,
}

/// What was found at the store when it was opened for reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadCondition {
    /// The data directory is on a read-only mount, or cannot be written.
    pub read_only: bool,
    /// The file system has no free space left.
    pub full: bool,
    /// The database's side files absent (`-wal`, `-shm`), by name.
    pub side_files_absent: Vec<&'static str>,
    /// How it was read.
    pub mode: ReadMode,
}

impl ReadCondition {
    /// Looks at the database's directory and side files.
    pub(super) fn of(db: &Path, mode: ReadMode) -> ReadCondition {
        let dir = db
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let fs = rustix::fs::statvfs(dir).ok();
        let read_only = fs
            .as_ref()
            .is_some_and(|fs| fs.f_flag.contains(rustix::fs::StatVfsMountFlags::RDONLY))
            || rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_err();
        let full = fs.as_ref().is_some_and(|fs| fs.f_bavail == 0);
        let side_files_absent = ["-wal", "-shm"]
            .into_iter()
            .filter(|s| !side_file(db, s).exists())
            .collect();
        ReadCondition {
            read_only,
            full,
            side_files_absent,
            mode,
        }
    }

    /// Whether anything out of the ordinary was found.
    pub fn is_ordinary(&self) -> bool {
        !self.read_only && !self.full && self.mode == ReadMode::Shared
    }

    /// One line for the person reading: what was found, and that reading
    /// works (nothing is to be recorded by a reading command).
    pub fn describe(&self) -> String {
        let mut found = Vec::new();
        if self.read_only {
            found.push(
                "the data directory cannot be written (read-only mount or permissions)".to_owned(),
            );
        }
        if self.full {
            found.push("the storage is full".to_owned());
        }
        if !self.side_files_absent.is_empty() {
            found.push(format!(
                "the database's side file(s) {} are absent",
                self.side_files_absent.join(" and ")
            ));
        }
        if found.is_empty() {
            found.push("the database's shared index cannot be used".to_owned());
        }
        let how = match self.mode {
            ReadMode::Shared => "read as usual",
            ReadMode::Exclusive => "read with the log's index in memory",
            ReadMode::Immutable => {
                "read from the database file alone (its write-ahead log is empty, so it holds every recorded event)"
            }
        };
        format!(
            "note: {}; {how}; reading needs no write, nothing is lost",
            found.join(", ")
        )
    }
}

/// The path of a side file of the database (`-wal`, `-shm`).
pub(super) fn side_file(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
