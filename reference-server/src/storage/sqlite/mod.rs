//! The embedded engine: one SQLite file, one connection per process, on its
//! own thread (`worker`) so that no async runtime thread ever waits on the
//! file. Transactions take the write lock first (`BEGIN IMMEDIATE`), so a
//! second process on the same file waits instead of interleaving. Versioned
//! migrations (`migrations/sqlite/`) are counted in `PRAGMA user_version`.

mod batch;
mod claims;
mod event_log;
mod operators;
mod photos;
mod reads;
mod supervisors;
mod transaction;
mod worker;

use std::path::Path;

use async_trait::async_trait;
use courier_protocol::api::DayCloseFlag;
use courier_protocol::envelope::{GENESIS_PREV_HASH, SignedEvent};
use courier_protocol::keys::PublicKey;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use self::reads::{db_err, device_in, events_query, order_in};
use self::transaction::SqliteTx;
use self::worker::Worker;
use crate::error::{Conflict, ServerError, StorageError};
use crate::records::{Alert, DeviceRow, FleetRow, NewManifest, OrderRow, ReportSource, Revocation};
use crate::storage::rows::{self, group_report_sources, to_i64, to_u64};
use crate::storage::{BatchTransaction, CodeCheckTransaction, Storage};

/// The SQLite migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_initial.sql"),
    include_str!("../../../migrations/sqlite/0002_alerts_and_back_office.sql"),
    include_str!("../../../migrations/sqlite/0003_depot_supervisors.sql"),
    include_str!("../../../migrations/sqlite/0004_holders_revocation_not_honoured.sql"),
    include_str!("../../../migrations/sqlite/0005_supervisor_sessions.sql"),
    include_str!("../../../migrations/sqlite/0006_operators_and_claims.sql"),
    include_str!("../../../migrations/sqlite/0007_tlog.sql"),
    include_str!("../../../migrations/sqlite/0008_photos.sql"),
];

/// The server's SQLite store.
pub struct SqliteStore {
    worker: Worker,
}

impl SqliteStore {
    /// Opens (or creates) the file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, ServerError> {
        let mut conn = Connection::open(path).map_err(|e| StorageError::Open {
            database: format!("SQLite file {}", path.display()),
            source: e.into(),
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            worker: Worker::start(conn)?,
        })
    }
}

fn migrate(conn: &mut Connection) -> Result<(), ServerError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let current: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(db_err)?;
    let current = usize::try_from(current).unwrap_or(0);
    if current > MIGRATIONS.len() {
        return Err(StorageError::SchemaTooNew {
            engine: "SQLite",
            found: current,
            known: MIGRATIONS.len(),
        }
        .into());
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.execute_batch(sql).map_err(|e| StorageError::Migration {
            engine: "SQLite",
            version: i + 1,
            source: e.into(),
        })?;
        tx.pragma_update(None, "user_version", i64::try_from(i + 1).unwrap_or(0))
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)
}

/// Whether a SQLite error is a constraint violation (a key taken).
fn constraint(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

#[async_trait]
impl Storage for SqliteStore {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    async fn begin_batch(&self) -> Result<Box<dyn BatchTransaction + '_>, ServerError> {
        Ok(Box::new(SqliteTx::begin(&self.worker).await?))
    }

    async fn begin_code_check(&self) -> Result<Box<dyn CodeCheckTransaction + '_>, ServerError> {
        Ok(Box::new(SqliteTx::begin(&self.worker).await?))
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, ServerError> {
        let key = key.to_owned();
        self.worker
            .run(move |c| {
                c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional()
                    .map_err(db_err)
            })
            .await
    }

    async fn meta_or_insert(&self, key: &str, value: &str) -> Result<String, ServerError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.worker
            .run(move |c| {
                c.execute(
                    "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
                    params![key, value],
                )
                .map_err(db_err)?;
                c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .map_err(db_err)
            })
            .await
    }

    async fn add_token(&self, token_hash: &str, expires_at_ms: i64) -> Result<(), ServerError> {
        let token_hash = token_hash.to_owned();
        self.worker
            .run(move |c| {
                c.execute(
                    "INSERT INTO enroll_tokens(token_hash, expires_at_ms) VALUES (?1, ?2)",
                    params![token_hash, expires_at_ms],
                )
                .map(|_| ())
                .map_err(db_err)
            })
            .await
    }

    async fn token(&self, token_hash: &str) -> Result<Option<(i64, Option<String>)>, ServerError> {
        let token_hash = token_hash.to_owned();
        self.worker
            .run(move |c| {
                c.query_row(
                    "SELECT expires_at_ms, used_by FROM enroll_tokens WHERE token_hash = ?1",
                    [token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn enroll(
        &self,
        token_hash: &str,
        device_id: &str,
        key: &PublicKey,
        hardware_label: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let (token_hash, device_id) = (token_hash.to_owned(), device_id.to_owned());
        let (key, hardware_label) = (key.to_hex(), hardware_label.to_owned());
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                let spent = tx
                    .execute(
                        "UPDATE enroll_tokens SET used_by = ?2 WHERE token_hash = ?1 AND used_by IS NULL",
                        params![token_hash, device_id],
                    )
                    .map_err(db_err)?;
                if spent != 1 {
                    return Err(Conflict::TokenUsed.into());
                }
                tx.execute(
                    "INSERT INTO devices(device_id, public_key, hardware_label, enrolled_at_ms, last_seq, last_hash)
                     VALUES (?1, ?2, ?3, ?4, 0, ?5)",
                    params![device_id, key, hardware_label, now_ms, GENESIS_PREV_HASH],
                )
                .map_err(|e| {
                    if constraint(&e) {
                        Conflict::KeyEnrolled.into()
                    } else {
                        db_err(e)
                    }
                })?;
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, ServerError> {
        let device_id = device_id.to_owned();
        self.worker.run(move |c| device_in(c, &device_id)).await
    }

    async fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<bool, ServerError> {
        let (device_id, nonce) = (device_id.to_owned(), nonce.to_owned());
        self.worker
            .run(move |c| {
                c.execute(
                    "DELETE FROM nonces WHERE device_id = ?1 AND ts_ms < ?2",
                    params![device_id, now_ms - 2 * window_ms],
                )
                .map_err(db_err)?;
                let n = c
                    .execute(
                        "INSERT OR IGNORE INTO nonces(device_id, nonce, ts_ms) VALUES (?1, ?2, ?3)",
                        params![device_id, nonce, now_ms],
                    )
                    .map_err(db_err)?;
                Ok(n == 1)
            })
            .await
    }

    async fn add_order(&self, order: &OrderRow) -> Result<(), ServerError> {
        let spec = rows::to_json(&order.spec, "order spec")?;
        let order = order.clone();
        self.worker
            .run(move |c| {
                c.execute(
                    "INSERT INTO orders(parcel_id, order_ref, label, spec_json, numeric_key, qr_key, attempts_spent, attempt_limit)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
                    params![
                        order.spec.parcel_id,
                        order.spec.order_ref,
                        order.spec.label,
                        spec,
                        hex::encode(order.numeric_key),
                        hex::encode(order.qr_key),
                        order.attempt_limit
                    ],
                )
                .map(|_| ())
                .map_err(|e| {
                    if constraint(&e) {
                        Conflict::OrderExists {
                            order_ref: order.spec.order_ref.clone(),
                            label: order.spec.label.clone(),
                        }
                        .into()
                    } else {
                        db_err(e)
                    }
                })
            })
            .await
    }

    async fn order(&self, parcel_id: &str) -> Result<Option<OrderRow>, ServerError> {
        let parcel_id = parcel_id.to_owned();
        self.worker.run(move |c| order_in(c, &parcel_id)).await
    }

    async fn latest_manifest(&self, device_id: &str) -> Result<Option<(u64, String)>, ServerError> {
        let device_id = device_id.to_owned();
        self.worker
            .run(move |c| {
                c.query_row(
                    "SELECT version, signed_json FROM manifests WHERE device_id = ?1 ORDER BY version DESC LIMIT 1",
                    [device_id],
                    |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db_err)
                .map(|o| o.map(|(v, s)| (to_u64(v), s)))
            })
            .await
    }

    async fn add_manifest(&self, m: &NewManifest<'_>) -> Result<(), ServerError> {
        let device_id = m.device_id.to_owned();
        let version = to_i64(m.version);
        let signed_json = m.signed_json.to_owned();
        let parcel_ids = m.parcel_ids.to_vec();
        let withdrawn = m.withdrawn.to_vec();
        let depot = m.depot.to_owned();
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                for p in &withdrawn {
                    tx.execute(
                        "INSERT OR IGNORE INTO withdrawals(device_id, parcel_id, version) VALUES (?1, ?2, ?3)",
                        params![device_id, p, version],
                    )
                    .map_err(db_err)?;
                }
                tx.execute(
                    "INSERT INTO manifests(device_id, version, signed_json) VALUES (?1, ?2, ?3)",
                    params![device_id, version, signed_json],
                )
                .map_err(db_err)?;
                for p in &parcel_ids {
                    tx.execute(
                        "INSERT OR IGNORE INTO manifest_parcels(device_id, parcel_id) VALUES (?1, ?2)",
                        params![device_id, p],
                    )
                    .map_err(db_err)?;
                    // One holder per order: giving it here takes it from any
                    // other device; withdrawing it from its holder leaves none.
                    let sql = if withdrawn.contains(p) {
                        "UPDATE orders SET holder = NULL WHERE parcel_id = ?2 AND holder = ?1"
                    } else {
                        "UPDATE orders SET holder = ?1 WHERE parcel_id = ?2"
                    };
                    tx.execute(sql, params![device_id, p]).map_err(db_err)?;
                }
                tx.execute(
                    "UPDATE devices SET depot = ?2 WHERE device_id = ?1",
                    params![device_id, depot],
                )
                .map_err(db_err)?;
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn holder(&self, parcel_id: &str) -> Result<Option<String>, ServerError> {
        let parcel_id = parcel_id.to_owned();
        self.worker
            .run(move |c| {
                c.query_row(
                    "SELECT holder FROM orders WHERE parcel_id = ?1",
                    [parcel_id],
                    |r| r.get::<_, Option<String>>(0),
                )
                .optional()
                .map(Option::flatten)
                .map_err(db_err)
            })
            .await
    }

    async fn revoke_device(
        &self,
        device_id: &str,
        revocation: &Revocation,
    ) -> Result<bool, ServerError> {
        let (device_id, r) = (device_id.to_owned(), revocation.clone());
        self.worker
            .run(move |c| {
                c.execute(
                    "UPDATE devices SET revoked_at_ms = ?2, revoked_reason = ?3 WHERE device_id = ?1",
                    params![device_id, r.at_ms, r.reason],
                )
                .map(|n| n > 0)
                .map_err(db_err)
            })
            .await
    }

    async fn honoured_event(&self, event_id: &str) -> Result<Option<SignedEvent>, ServerError> {
        let event_id = event_id.to_owned();
        self.worker
            .run(move |c| {
                Ok(events_query(
                    c,
                    "SELECT signed_json FROM events WHERE event_id = ?1 AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = events.event_id)",
                    [event_id],
                )?
                .into_iter()
                .next())
            })
            .await
    }

    async fn parcel_ledger(
        &self,
        device_id: &str,
        parcel_id: &str,
    ) -> Result<Option<courier_protocol::rules::ParcelLedger>, ServerError> {
        let (device_id, parcel_id) = (device_id.to_owned(), parcel_id.to_owned());
        self.worker
            .run(move |c| {
                let json: Option<String> = c
                    .query_row(
                        "SELECT ledger_json FROM parcel_ledgers WHERE device_id = ?1 AND parcel_id = ?2",
                        [device_id, parcel_id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                Ok(json
                    .map(|j| rows::json(&j, "parcel ledger"))
                    .transpose()?)
            })
            .await
    }

    async fn device_events(&self, device_id: &str) -> Result<Vec<SignedEvent>, ServerError> {
        let device_id = device_id.to_owned();
        self.worker
            .run(move |c| {
                events_query(
                    c,
                    "SELECT signed_json FROM events WHERE device_id = ?1 ORDER BY seq",
                    [device_id],
                )
            })
            .await
    }

    async fn events_of_device_between(
        &self,
        device_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SignedEvent>, ServerError> {
        let device_id = device_id.to_owned();
        self.worker
            .run(move |c| {
                events_query(
                    c,
                    "SELECT signed_json FROM events WHERE device_id = ?1 AND signed_at_ms >= ?2 AND signed_at_ms < ?3 ORDER BY seq",
                    params![device_id, from_ms, to_ms],
                )
            })
            .await
    }

    async fn events_of_depot_between(
        &self,
        depot: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SignedEvent>, ServerError> {
        let depot = depot.to_owned();
        self.worker
            .run(move |c| {
                events_query(
                    c,
                    "SELECT signed_json FROM events WHERE depot = ?1 AND signed_at_ms >= ?2 AND signed_at_ms < ?3 ORDER BY device_id, seq",
                    params![depot, from_ms, to_ms],
                )
            })
            .await
    }

    async fn events_of_order(&self, order_ref: &str) -> Result<Vec<SignedEvent>, ServerError> {
        let order_ref = order_ref.to_owned();
        self.worker
            .run(move |c| {
                events_query(
                    c,
                    "SELECT signed_json FROM events WHERE order_ref = ?1 ORDER BY device_id, seq",
                    [order_ref],
                )
            })
            .await
    }

    async fn fleet(&self) -> Result<Vec<FleetRow>, ServerError> {
        self.worker
            .run(|c| {
                let mut stmt = c
                    .prepare(
                        "SELECT d.device_id, d.hardware_label, d.depot, d.enrolled_at_ms, d.public_key, d.last_seq,
                        (SELECT MAX(e.received_at_ms) FROM events e WHERE e.device_id = d.device_id),
                        d.revoked_at_ms, d.revoked_reason
                 FROM devices d ORDER BY d.device_id",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok(rows::fleet_row((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, (r.get(7)?, r.get(8)?)))
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }

    async fn alerts(&self, after_id: i64, limit: u32) -> Result<Vec<Alert>, ServerError> {
        self.worker
            .run(move |c| {
                let mut stmt = c
                    .prepare(
                        "SELECT id, kind, device_id, detail, at_ms FROM alerts WHERE id > ?1 ORDER BY id LIMIT ?2",
                    )
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![after_id, limit], |r| {
                        Ok(Alert {
                            id: r.get(0)?,
                            kind: r.get(1)?,
                            device_id: r.get(2)?,
                            detail: r.get(3)?,
                            at_ms: r.get(4)?,
                        })
                    })
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }

    async fn event_counts(&self) -> Result<(u64, u64), ServerError> {
        self.worker
            .run(|c| {
                c.query_row(
                    "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events",
                    [],
                    |r| Ok((to_u64(r.get(0)?), to_u64(r.get(1)?))),
                )
                .map_err(db_err)
            })
            .await
    }

    async fn day_close_flags(&self) -> Result<Vec<DayCloseFlag>, ServerError> {
        self.worker
            .run(|c| {
                let mut stmt = c
                    .prepare(
                        "SELECT device_id, event_id, seq, differences_json, flagged_at_ms
                         FROM day_close_flags ORDER BY flagged_at_ms, device_id, seq",
                    )
                    .map_err(db_err)?;
                let found = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, i64>(4)?,
                        ))
                    })
                    .map_err(db_err)?;
                let mut out = Vec::new();
                for row in found {
                    let (device_id, event_id, seq, json, at) = row.map_err(db_err)?;
                    out.push(rows::day_close_flag(device_id, event_id, seq, &json, at)?);
                }
                Ok(out)
            })
            .await
    }

    async fn report_sources(
        &self,
        device: Option<&str>,
        depot: Option<&str>,
    ) -> Result<Vec<ReportSource>, ServerError> {
        let (device, depot) = (device.map(str::to_owned), depot.map(str::to_owned));
        self.worker
            .run(move |c| {
                let found = {
                    let mut stmt = c
                        .prepare(
                            "SELECT d.device_id, m.signed_json FROM devices d
                             LEFT JOIN manifests m ON m.device_id = d.device_id
                             WHERE ?1 IS NULL OR d.device_id = ?1
                             ORDER BY d.device_id, m.version",
                        )
                        .map_err(db_err)?;
                    stmt.query_map([&device], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
                    })
                    .map_err(db_err)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(db_err)?
                };
                let mut out = group_report_sources(found, depot.as_deref())?;
                for source in &mut out {
                    source.events = events_query(
                        c,
                        "SELECT signed_json FROM events WHERE device_id = ?1 AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = events.event_id) ORDER BY seq",
                        [&source.device_id],
                    )?;
                }
                Ok(out)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A call waiting for the file's write lock (another process holds it)
    /// waits on the store's own thread: the runtime's only thread runs other
    /// tasks meanwhile, and the call completes once the lock is released.
    #[tokio::test(flavor = "current_thread")]
    async fn a_locked_file_blocks_no_runtime_thread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("server.sqlite");
        let store = Arc::new(SqliteStore::open(&path).expect("open"));
        let other_process = Connection::open(&path).expect("second connection");
        other_process
            .execute_batch("BEGIN IMMEDIATE")
            .expect("write lock");
        let write = tokio::spawn({
            let store = store.clone();
            async move { store.add_token("t", 1).await }
        });
        let other = tokio::spawn(async { 42 });
        assert_eq!(other.await.expect("join"), 42, "the runtime thread is free");
        assert!(!write.is_finished(), "the write waits for the lock");
        other_process.execute_batch("COMMIT").expect("release");
        write.await.expect("join").expect("the write goes through");
        assert_eq!(store.token("t").await.expect("read").map(|t| t.0), Some(1));
    }

    /// A transaction dropped before its commit is rolled back by the
    /// connection's thread, and the connection serves on.
    #[tokio::test]
    async fn a_dropped_transaction_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("server.sqlite")).expect("open");
        let mut tx = store.begin_code_check().await.expect("begin");
        tx.log_code_check(&crate::storage::transaction::CodeCheckLog {
            device_id: "d".into(),
            parcel_id: "p".into(),
            nonce: "n".into(),
            result: "mismatch",
            at_ms: 1,
        })
        .await
        .expect("log");
        drop(tx);
        let logged: i64 = store
            .worker
            .run(|c| {
                c.query_row("SELECT COUNT(*) FROM code_checks", [], |r| r.get(0))
                    .map_err(db_err)
            })
            .await
            .expect("count");
        assert_eq!(logged, 0);
    }
}
