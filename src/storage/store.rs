//! The SQLite store: open, migrate, read parcels and events, append atomically.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, params};

use super::MetaKey;
use super::connected::Connected;
use super::read_condition::{ReadCondition, ReadMode, side_file};
use super::reads::Reads;
use super::row_codec::encode;
use super::store_error::{StoreError, classify, refine};
use crate::domain::parcel::Parcel;

/// The terminal's database.
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
    read_condition: Option<ReadCondition>,
}

impl Connected for Store {
    fn conn(&self) -> &Connection {
        &self.conn
    }
}

impl Reads for Store {}

impl Store {
    /// Opens and migrates an existing database. A missing or empty file is
    /// refused (never silently given a new schema): see [`Store::create`].
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        refuse_missing_or_empty(path)?;
        Self::open_and_migrate(path).map_err(|e| refine(e, path))
    }

    /// Creates the schema in a new, empty database file (set-up only).
    pub fn create(path: &Path) -> Result<Store, StoreError> {
        Self::open_and_migrate(path)
    }

    fn open_and_migrate(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(classify("opening the database"))?;
        configure(&conn)?;
        crate::storage::migrations()
            .to_latest(&mut conn)
            .map_err(|e| match e {
                rusqlite_migration::Error::RusqliteError { err, .. } => classify("migrating")(err),
                other => StoreError::Schema(other.to_string()),
            })?;
        Ok(Store {
            conn,
            path: path.to_owned(),
            read_condition: None,
        })
    }

    /// Opens an existing database read-only (export, verify, diagnose,
    /// status, reports).
    ///
    /// It works on a full disk, a read-only mount, and with the database's
    /// side files (`-wal`, `-shm`) absent: when the shared-memory index of
    /// the WAL cannot be created there, it reads as an immutable file if the
    /// write-ahead log is absent or empty (the main file then holds every
    /// committed event), and otherwise in exclusive locking mode, which keeps
    /// that index in memory. [`Store::read_condition`] says what it found.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        const CTX: &str = "opening the database read-only";
        refuse_missing_or_empty(path)?;
        let open = |mode: ReadMode| -> Result<Connection, StoreError> {
            let (target, flags) = match mode {
                ReadMode::Immutable => (
                    immutable_uri(path),
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_URI,
                ),
                _ => (
                    path.to_string_lossy().into_owned(),
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                ),
            };
            let conn = Connection::open_with_flags(target, flags).map_err(classify(CTX))?;
            conn.busy_timeout(Duration::from_secs(5))
                .map_err(classify(CTX))?;
            if mode == ReadMode::Exclusive {
                conn.execute_batch("PRAGMA locking_mode=EXCLUSIVE")
                    .map_err(classify(CTX))?;
            }
            conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(classify(CTX))?;
            Ok(conn)
        };
        let wal_empty = std::fs::metadata(side_file(path, "-wal")).map_or(true, |m| m.len() == 0);
        let (conn, mode) = match open(ReadMode::Shared) {
            Ok(c) => (c, ReadMode::Shared),
            Err(e @ (StoreError::Busy(_) | StoreError::Corrupt(_))) => return Err(e),
            Err(_) if wal_empty => (
                open(ReadMode::Immutable).map_err(|e| refine(e, path))?,
                ReadMode::Immutable,
            ),
            Err(_) => (
                open(ReadMode::Exclusive).map_err(|e| refine(e, path))?,
                ReadMode::Exclusive,
            ),
        };
        Ok(Store {
            conn,
            path: path.to_owned(),
            read_condition: Some(ReadCondition::of(path, mode)),
        })
    }

    /// For a store opened read-only: what was found at the store (read-only
    /// mount, full disk, side files absent) and how it was read.
    pub fn read_condition(&self) -> Option<&ReadCondition> {
        self.read_condition.as_ref()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a meta value durably.
    pub fn set_meta(&self, key: MetaKey, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key.as_str(), value],
            )
            .map(|_| ())
            .map_err(classify("saving settings"))
            .map_err(|e| refine(e, &self.path))
    }

    /// Raises the stored clock floor (never lowers it).
    pub fn raise_clock_floor(&self, ms: i64) -> Result<i64, StoreError> {
        let current = self.clock_floor()?;
        if ms > current {
            self.set_meta(MetaKey::ClockFloorMs, &ms.to_string())?;
            return Ok(ms);
        }
        Ok(current)
    }

    /// SQLite's own consistency check (`ok` when healthy).
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(classify("checking integrity"))
    }
}

/// `file:PATH?immutable=1`, the path percent-encoded where URI syntax needs it.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'?' | b'#' | b'%' | 0x80.. => uri.push_str(&format!("%{b:02X}")),
            _ => uri.push(char::from(*b)),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

fn refuse_missing_or_empty(path: &Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(m) if m.len() > 0 => Ok(()),
        Ok(_) => Err(StoreError::Missing(path.to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(StoreError::Missing(path.to_owned()))
        }
        Err(_) => Err(StoreError::ReadOnly("opening the database")),
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    const CTX: &str = "configuring the database";
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(classify(CTX))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(classify(CTX))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Schema(format!(
            "the database refused WAL mode (got {mode}); is it on a network filesystem?"
        )));
    }
    conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        .map_err(classify(CTX))
}

pub(super) fn write_parcel(conn: &Connection, p: &Parcel, seq: u64) -> Result<(), StoreError> {
    const CTX: &str = "saving the parcel";
    let visit = p.visit.as_ref().map(encode).transpose()?;
    let desk = p.desk.as_ref().map(encode).transpose()?;
    conn.execute(
        "INSERT INTO parcels(parcel_id, label, order_ref, route_order, spec_json, state, attempts_spent, visit_json, collected_label, updated_seq, loaded, desk_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT(parcel_id) DO UPDATE SET label = excluded.label, order_ref = excluded.order_ref,
           route_order = excluded.route_order, spec_json = excluded.spec_json, state = excluded.state,
           attempts_spent = MAX(attempts_spent, excluded.attempts_spent), visit_json = excluded.visit_json,
           collected_label = excluded.collected_label, updated_seq = excluded.updated_seq,
           loaded = excluded.loaded, desk_json = excluded.desk_json",
        params![
            p.spec.parcel_id,
            p.spec.label,
            p.spec.order_ref,
            p.spec.route_order,
            encode(&p.spec)?,
            p.state.as_db(),
            p.attempts_spent,
            visit,
            p.collected_label,
            seq,
            p.loaded,
            desk
        ],
    )
    .map(|_| ())
    .map_err(classify(CTX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event_draft::{EventDraft, Recorder, Stamp, into_body};
    use crate::domain::parcel::ParcelState;
    use crate::domain::parcel::tests::spec;
    use crate::storage::Append;
    use courier_protocol::envelope::SignedEvent;
    use courier_protocol::envelope::{ClockStamp, PositionRecord};
    use courier_protocol::keys::{generate_pkcs8, keypair_from_pkcs8};
    use courier_protocol::vocabulary::EventKind;

    fn append(
        store: &mut Store,
        key: &ring::signature::Ed25519KeyPair,
        note_len: usize,
    ) -> Result<SignedEvent, StoreError> {
        let parcel = Parcel {
            spec: spec(5),
            state: ParcelState::Pending,
            attempts_spent: 0,
            visit: None,
            collected_label: None,
            loaded: false,
            desk: None,
        };
        store.append(|tx| {
            let tip = tx.chain_tip()?;
            let draft =
                EventDraft::new(EventKind::ContactAttempt).detail("note", "x".repeat(note_len));
            let stamp = Stamp {
                position: PositionRecord::none(),
                clock: ClockStamp {
                    device_utc_ms: 1,
                    monotonic_ms: 1,
                    boot_id: "b".into(),
                },
                gnss_utc_ms: None,
            };
            let recorder = Recorder {
                device_id: "D",
                manifest_version: None,
                app_version: "t",
            };
            let body = into_body(draft, format!("id-{}", tip.seq + 1), stamp, &recorder, &tip);
            Ok::<_, StoreError>(Append {
                event: SignedEvent::seal(body, key)?,
                parcels: vec![parcel],
                manifest: None,
                meta: Vec::new(),
                settles_try: None,
                resets_supervisor_tries: None,
                names_photos: Vec::new(),
            })
        })
    }

    fn new_store(dir: &Path) -> Store {
        let path = dir.join("t.db");
        std::fs::File::create(&path).expect("create");
        Store::create(&path).expect("open")
    }

    #[test]
    fn a_full_disk_refuses_the_new_event_and_keeps_every_old_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let key = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
        let mut store = new_store(dir.path());
        for _ in 0..3 {
            append(&mut store, &key, 10).expect("room for small events");
        }
        let pages: i64 = store
            .conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .expect("page count");
        store
            .conn
            .execute_batch(&format!("PRAGMA max_page_count = {pages}"))
            .expect("cap size");
        let err = append(&mut store, &key, 200_000).expect_err("no room");
        assert!(matches!(err, StoreError::Full(_)), "{err:?}");
        assert!(err.to_string().contains("storage is full"));
        assert_eq!(
            store.chain_tip().expect("tip").seq,
            3,
            "nothing half-written"
        );
        assert_eq!(store.pending_count().expect("outbox"), 3);
        assert_eq!(store.integrity_check().expect("check"), "ok");
        store
            .conn
            .execute_batch("PRAGMA max_page_count = 1000000")
            .expect("free space");
        assert_eq!(
            append(&mut store, &key, 200_000)
                .expect("room again")
                .body
                .seq,
            4
        );
    }

    #[test]
    fn a_read_only_database_says_so_and_loses_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("t.db");
        let key = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
        let mut store = new_store(dir.path());
        append(&mut store, &key, 10).expect("append");
        drop(store);
        let mut ro = Store::open_read_only(&path).expect("open read-only");
        let err = append(&mut ro, &key, 10).expect_err("read-only");
        assert!(matches!(err, StoreError::ReadOnly(_)), "{err:?}");
        assert_eq!(ro.chain_tip().expect("tip").seq, 1);
    }

    #[test]
    fn events_cannot_be_edited_or_deleted_and_counters_never_drop() {
        let dir = tempfile::tempdir().expect("tmp");
        let key = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
        let mut store = new_store(dir.path());
        append(&mut store, &key, 10).expect("append");
        assert!(
            store
                .conn
                .execute("UPDATE events SET body = 'x'", [])
                .is_err()
        );
        assert!(store.conn.execute("DELETE FROM events", []).is_err());
        assert!(store.conn.execute("DELETE FROM outbox", []).is_err());
        let spec = crate::storage::TrySpec {
            parcel_id: "P1",
            limit: 5,
            entry: "keypad",
            check_mode: "offline",
        };
        let owner = crate::storage::TryOwner {
            pid: 1,
            boot_id: "b".into(),
            at_ms: 1,
        };
        assert_eq!(store.spend_attempt(&spec, &owner).expect("spend"), Some(1));
        assert!(
            store
                .conn
                .execute("UPDATE parcels SET attempts_spent = 0", [])
                .is_err()
        );
        for _ in 0..4 {
            store.spend_attempt(&spec, &owner).expect("spend");
        }
        assert_eq!(store.spend_attempt(&spec, &owner).expect("at limit"), None);
    }
}
