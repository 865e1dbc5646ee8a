//! The SQLite store: open, migrate, read parcels and events, append atomically.

use std::path::{Path, PathBuf};
use std::time::Duration;

use courier_protocol::ProtocolError;
use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::manifest::{ManifestParcel, SignedManifest};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use thiserror::Error;

use crate::domain::parcel::{Parcel, ParcelState, Visit};

/// A storage failure, phrased for the person who must fix it.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The disk is full.
    #[error(
        "storage is full while {0}: free space on the device (old logs, exports); everything recorded before is safe, and this step was NOT recorded"
    )]
    Full(&'static str),
    /// The database cannot be written.
    #[error(
        "storage is read-only while {0}: check the data directory's permissions and mount; nothing recorded is lost, and this step was NOT recorded"
    )]
    ReadOnly(&'static str),
    /// The database file is damaged.
    #[error(
        "the database is damaged ({0}): stop using this device and call carrier IT (run `courier-terminal diagnose`)"
    )]
    Corrupt(&'static str),
    /// Another process holds the database.
    #[error(
        "the database is busy while {0}: another courier-terminal process is running; close it and retry"
    )]
    Busy(&'static str),
    /// The database is newer than this app or migration failed.
    #[error("cannot prepare the database schema: {0}")]
    Schema(String),
    /// A stored row does not decode.
    #[error("stored data is unreadable ({0}); run `courier-terminal diagnose`")]
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

/// Maps SQLite errors to the few the screen must tell apart.
fn classify(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => StoreError::Full(context),
        Some(ErrorCode::ReadOnly) => StoreError::ReadOnly(context),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt(context),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(context),
        _ => StoreError::Sqlite { context, source: e },
    }
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Decode(format!("{what}: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Decode(e.to_string()))
}

/// A manifest to record together with an event.
pub struct ManifestRow<'a> {
    /// The signed manifest.
    pub signed: &'a SignedManifest,
    /// SHA-256 of its canonical body.
    pub body_hash: [u8; 32],
    /// Acceptance time, ms.
    pub accepted_at_ms: i64,
}

/// What else an appended event changes, in the same transaction.
#[derive(Default)]
pub struct ParcelUpdate<'a> {
    /// Parcel rows to write (inserted or replaced; counters can only rise).
    pub parcels: Vec<&'a Parcel>,
    /// A manifest accepted by this event.
    pub manifest: Option<ManifestRow<'a>>,
    /// Meta keys to set.
    pub meta: Vec<(&'static str, String)>,
}

/// The terminal's database.
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) and migrates the database.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let mut conn = Connection::open(path).map_err(classify("opening the database"))?;
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
        })
    }

    /// Opens an existing database read-only (export, verify, diagnose).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(classify("opening the database read-only"))?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(classify("opening the database read-only"))?;
        Ok(Store {
            conn,
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads a meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(classify("reading settings"))
    }

    /// Writes a meta value durably.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(classify("saving settings"))
    }

    /// Raises the stored clock floor (never lowers it).
    pub fn raise_clock_floor(&self, ms: i64) -> Result<i64, StoreError> {
        let current = self.clock_floor()?;
        if ms > current {
            self.set_meta("clock_floor_ms", &ms.to_string())?;
            return Ok(ms);
        }
        Ok(current)
    }

    /// The stored clock floor, ms.
    pub fn clock_floor(&self) -> Result<i64, StoreError> {
        Ok(self
            .meta("clock_floor_ms")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The last event's seq and hash.
    pub fn chain_tip(&self) -> Result<ChainTip, StoreError> {
        tip(&self.conn)
    }

    /// Highest manifest version accepted, with its body hash.
    pub fn highest_manifest(&self) -> Result<Option<(u64, [u8; 32])>, StoreError> {
        let row: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT version, body_hash FROM manifests ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(classify("reading manifests"))?;
        row.map(|(v, h)| {
            let hash = courier_protocol::keys::decode_hex_array::<32>(&h, "body_hash")?;
            Ok((u64::try_from(v).unwrap_or(0), hash))
        })
        .transpose()
    }

    /// Version of the manifest in force (no JSON decoding).
    pub fn highest_manifest_version(&self) -> Result<Option<u64>, StoreError> {
        self.conn
            .query_row("SELECT MAX(version) FROM manifests", [], |r| r.get(0))
            .map_err(classify("reading manifests"))
    }

    /// The manifest in force.
    pub fn current_manifest(&self) -> Result<Option<SignedManifest>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT signed_json FROM manifests ORDER BY version DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(classify("reading manifests"))?;
        text.map(|t| decode("manifest", &t)).transpose()
    }

    /// All parcels in route order.
    pub fn parcels(&self) -> Result<Vec<Parcel>, StoreError> {
        self.query_parcels("ORDER BY route_order, label", [])
    }

    /// A parcel by its label barcode.
    pub fn parcel_by_label(&self, label: &str) -> Result<Option<Parcel>, StoreError> {
        Ok(self.query_parcels("WHERE label = ?1", [label])?.pop())
    }

    /// A parcel by id.
    pub fn parcel_by_id(&self, parcel_id: &str) -> Result<Option<Parcel>, StoreError> {
        Ok(self
            .query_parcels("WHERE parcel_id = ?1", [parcel_id])?
            .pop())
    }

    fn query_parcels<P: rusqlite::Params>(
        &self,
        tail: &str,
        params: P,
    ) -> Result<Vec<Parcel>, StoreError> {
        let sql = format!(
            "SELECT spec_json, state, attempts_spent, visit_json, collected_label FROM parcels {tail}"
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(classify("reading parcels"))?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(classify("reading parcels"))?;
        let mut out = Vec::new();
        for row in rows {
            let (spec, state, attempts_spent, visit, collected_label) =
                row.map_err(classify("reading parcels"))?;
            let spec: ManifestParcel = decode("parcel", &spec)?;
            let state = ParcelState::from_db(&state)
                .ok_or_else(|| StoreError::Decode(format!("parcel state {state}")))?;
            let visit: Option<Visit> = visit.map(|v| decode("visit", &v)).transpose()?;
            out.push(Parcel {
                spec,
                state,
                attempts_spent,
                visit,
                collected_label,
            });
        }
        Ok(out)
    }

    /// Spends one code attempt durably and returns the attempts now spent.
    ///
    /// Committed (fsync) before the code is compared, so a crash never gives a
    /// free try. Returns `None` when the parcel is already at its limit.
    pub fn spend_attempt(
        &mut self,
        parcel_id: &str,
        limit: u32,
    ) -> Result<Option<u32>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify("counting the attempt"))?;
        let spent: Option<u32> = tx
            .query_row(
                "UPDATE parcels SET attempts_spent = attempts_spent + 1
                 WHERE parcel_id = ?1 AND attempts_spent < ?2 RETURNING attempts_spent",
                params![parcel_id, limit],
                |r| r.get(0),
            )
            .optional()
            .map_err(classify("counting the attempt"))?;
        tx.commit().map_err(classify("counting the attempt"))?;
        Ok(spent)
    }

    /// Appends one event and its effects in a single durable transaction.
    ///
    /// `build` receives the chain tip and returns the sealed event; it runs
    /// inside the transaction so the sequence is gapless.
    pub fn append_event(
        &mut self,
        build: impl FnOnce(&ChainTip) -> Result<SignedEvent, StoreError>,
        update: ParcelUpdate<'_>,
    ) -> Result<SignedEvent, StoreError> {
        const CTX: &str = "recording the event";
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify(CTX))?;
        let tip = tip(&tx)?;
        let event = build(&tip)?;
        let body = String::from_utf8(event.body.canonical_bytes()?)
            .map_err(|e| StoreError::Decode(e.to_string()))?;
        let kind = encode(&event.body.kind)?;
        tx.execute(
            "INSERT INTO events(seq, event_id, parcel_id, kind, body, hash, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                event.body.seq,
                event.body.event_id,
                event.body.parcel_id,
                kind.trim_matches('"'),
                body,
                event.hash,
                event.signature
            ],
        )
        .map_err(classify(CTX))?;
        tx.execute("INSERT INTO outbox(seq) VALUES (?1)", [event.body.seq])
            .map_err(classify(CTX))?;
        for parcel in update.parcels {
            write_parcel(&tx, parcel, event.body.seq)?;
        }
        if let Some(m) = update.manifest {
            tx.execute(
                "INSERT INTO manifests(version, body_hash, signed_json, accepted_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![
                    m.signed.body.version,
                    hex::encode(m.body_hash),
                    encode(m.signed)?,
                    m.accepted_at_ms
                ],
            )
            .map_err(classify(CTX))?;
        }
        for (key, value) in update.meta {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map_err(classify(CTX))?;
        }
        tx.commit().map_err(classify(CTX))?;
        Ok(event)
    }

    /// Events from `from_seq` on, at most `limit`, in sequence order.
    pub fn events(&self, from_seq: u64, limit: u32) -> Result<Vec<SignedEvent>, StoreError> {
        self.query_events(
            "WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
            params![from_seq, limit],
        )
    }

    /// Events of one parcel, oldest first.
    pub fn parcel_events(&self, parcel_id: &str) -> Result<Vec<SignedEvent>, StoreError> {
        self.query_events("WHERE parcel_id = ?1 ORDER BY seq", [parcel_id])
    }

    /// One event by id.
    pub fn event_by_id(&self, event_id: &str) -> Result<Option<SignedEvent>, StoreError> {
        Ok(self.query_events("WHERE event_id = ?1", [event_id])?.pop())
    }

    fn query_events<P: rusqlite::Params>(
        &self,
        tail: &str,
        params: P,
    ) -> Result<Vec<SignedEvent>, StoreError> {
        const CTX: &str = "reading events";
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT body, hash, signature FROM events {tail}"))
            .map_err(classify(CTX))?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(classify(CTX))?;
        let mut out = Vec::new();
        for row in rows {
            let (body, hash, signature) = row.map_err(classify(CTX))?;
            out.push(SignedEvent {
                body: decode("event", &body)?,
                hash,
                signature,
            });
        }
        Ok(out)
    }

    /// Events not yet acknowledged by the server.
    pub fn pending_count(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE acked_status IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(classify("counting the outbox"))
    }

    /// SQLite's own consistency check (`ok` when healthy).
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(classify("checking integrity"))
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

fn tip(conn: &Connection) -> Result<ChainTip, StoreError> {
    let row: Option<(u64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(classify("reading the chain tip"))?;
    Ok(row.map_or_else(ChainTip::genesis, |(seq, hash)| ChainTip { seq, hash }))
}

fn write_parcel(conn: &Connection, p: &Parcel, seq: u64) -> Result<(), StoreError> {
    const CTX: &str = "saving the parcel";
    let visit = p.visit.as_ref().map(encode).transpose()?;
    conn.execute(
        "INSERT INTO parcels(parcel_id, label, order_ref, route_order, spec_json, state, attempts_spent, visit_json, collected_label, updated_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT(parcel_id) DO UPDATE SET label = excluded.label, order_ref = excluded.order_ref,
           route_order = excluded.route_order, spec_json = excluded.spec_json, state = excluded.state,
           attempts_spent = MAX(attempts_spent, excluded.attempts_spent), visit_json = excluded.visit_json,
           collected_label = excluded.collected_label, updated_seq = excluded.updated_seq",
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
            seq
        ],
    )
    .map(|_| ())
    .map_err(classify(CTX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event_draft::{EventDraft, Recorder, Stamp, into_body};
    use crate::domain::parcel::tests::spec;
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
        };
        store.append_event(
            |tip| {
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
                let body = into_body(draft, format!("id-{}", tip.seq + 1), stamp, &recorder, tip);
                Ok(SignedEvent::seal(body, key)?)
            },
            ParcelUpdate {
                parcels: vec![&parcel],
                ..ParcelUpdate::default()
            },
        )
    }

    #[test]
    fn a_full_disk_refuses_the_new_event_and_keeps_every_old_one() {
        let dir = tempfile::tempdir().expect("tmp");
        let key = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
        let mut store = Store::open(&dir.path().join("t.db")).expect("open");
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
        let mut store = Store::open(&path).expect("open");
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
        let mut store = Store::open(&dir.path().join("t.db")).expect("open");
        append(&mut store, &key, 10).expect("append");
        assert!(
            store
                .conn
                .execute("UPDATE events SET body = 'x'", [])
                .is_err()
        );
        assert!(store.conn.execute("DELETE FROM events", []).is_err());
        assert!(store.conn.execute("DELETE FROM outbox", []).is_err());
        assert_eq!(store.spend_attempt("P1", 5).expect("spend"), Some(1));
        assert!(
            store
                .conn
                .execute("UPDATE parcels SET attempts_spent = 0", [])
                .is_err()
        );
        for _ in 0..4 {
            store.spend_attempt("P1", 5).expect("spend");
        }
        assert_eq!(store.spend_attempt("P1", 5).expect("at limit"), None);
    }
}
