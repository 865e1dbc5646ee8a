//! The embedded engine: one SQLite file, one connection per process behind a
//! mutex. Batches take the write lock first (`BEGIN IMMEDIATE`), so a second
//! process on the same file waits instead of interleaving. Versioned
//! migrations (`migrations/sqlite/`) are counted in `PRAGMA user_version`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use courier_protocol::api::DayCloseFlag;
use courier_protocol::envelope::{GENESIS_PREV_HASH, SignedEvent};
use courier_protocol::keys::PublicKey;
use courier_protocol::supervisor::SupervisorCredential;
use courier_protocol::vocabulary::SupervisorFactor;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::ServerError;
use crate::ingest::{
    self, BatchContext, BatchKeys, BatchWrites, IngestOutcome, Uploaded, factor_str,
};
use crate::storage::{
    Alert, DeviceRow, NewManifest, OrderRow, ReportSource, Storage, group_report_sources,
    manifest_body, to_i64, to_u64,
};

/// The SQLite migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_initial.sql"),
    include_str!("../migrations/sqlite/0002_alerts_and_back_office.sql"),
    include_str!("../migrations/sqlite/0003_depot_supervisors.sql"),
];

fn db_err(e: rusqlite::Error) -> ServerError {
    ServerError::Database(e.to_string())
}

fn corrupt(e: impl std::fmt::Display) -> ServerError {
    ServerError::Database(e.to_string())
}

/// The server's SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (or creates) the file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, ServerError> {
        let mut conn = Connection::open(path).map_err(|e| {
            ServerError::Database(format!("cannot open SQLite file {}: {e}", path.display()))
        })?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db_err)?;
        migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    /// The connection (poisoning is ignored: SQLite keeps its own consistency).
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
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
        return Err(ServerError::Database(format!(
            "the SQLite file is at schema version {current}, newer than this server ({}): run a newer server",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.execute_batch(sql)
            .map_err(|e| ServerError::Database(format!("SQLite migration {}: {e}", i + 1)))?;
        tx.pragma_update(None, "user_version", i64::try_from(i + 1).unwrap_or(0))
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)
}

fn device_in(conn: &Connection, device_id: &str) -> Result<Option<DeviceRow>, ServerError> {
    let row: Option<(String, String, i64, String)> = conn
        .query_row(
            "SELECT device_id, public_key, last_seq, last_hash FROM devices WHERE device_id = ?1",
            [device_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(db_err)?;
    row.map(|(device_id, pk, seq, hash)| {
        Ok(DeviceRow {
            device_id,
            public_key: PublicKey::from_hex(&pk).map_err(corrupt)?,
            tip: courier_protocol::envelope::ChainTip {
                seq: to_u64(seq),
                hash,
            },
        })
    })
    .transpose()
}

fn order_in(conn: &Connection, parcel_id: &str) -> Result<Option<OrderRow>, ServerError> {
    let row: Option<(String, String, String, u32, u32)> = conn
        .query_row(
            "SELECT spec_json, numeric_key, qr_key, attempts_spent, attempt_limit FROM orders WHERE parcel_id = ?1",
            [parcel_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(db_err)?;
    row.map(|(spec, nk, qk, spent, limit)| order_row(parcel_id, &spec, &nk, &qk, spent, limit))
        .transpose()
}

/// An order from its stored columns.
pub(crate) fn order_row(
    parcel_id: &str,
    spec: &str,
    nk: &str,
    qk: &str,
    spent: u32,
    limit: u32,
) -> Result<OrderRow, ServerError> {
    let corrupt = |what: &str| ServerError::Database(format!("order {parcel_id}: bad {what}"));
    Ok(OrderRow {
        spec: serde_json::from_str(spec).map_err(|_| corrupt("spec"))?,
        numeric_key: courier_protocol::keys::decode_hex_array(nk, "numeric_key")
            .map_err(|_| corrupt("key"))?,
        qr_key: courier_protocol::keys::decode_hex_array(qk, "qr_key")
            .map_err(|_| corrupt("key"))?,
        attempts_spent: spent,
        attempt_limit: limit,
    })
}

fn events_query(
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
        out.push(serde_json::from_str(&row.map_err(db_err)?).map_err(corrupt)?);
    }
    Ok(out)
}

fn load_context(
    tx: &Connection,
    device: DeviceRow,
    keys: &BatchKeys,
) -> Result<BatchContext, ServerError> {
    let mut known = HashMap::new();
    let mut at_seq = HashMap::new();
    {
        let mut by_id = tx
            .prepare_cached("SELECT device_id, seq, hash FROM events WHERE event_id = ?1")
            .map_err(db_err)?;
        for id in &keys.event_ids {
            if let Some((d, s, h)) = by_id
                .query_row([id], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?))
                })
                .optional()
                .map_err(db_err)?
            {
                known.insert(id.clone(), (d, to_u64(s), h));
            }
        }
        let mut by_seq = tx
            .prepare_cached("SELECT hash FROM events WHERE device_id = ?1 AND seq = ?2")
            .map_err(db_err)?;
        for seq in &keys.seqs {
            if *seq <= device.tip.seq
                && let Some(h) = by_seq
                    .query_row(params![device.device_id, to_i64(*seq)], |r| r.get(0))
                    .optional()
                    .map_err(db_err)?
            {
                at_seq.insert(*seq, h);
            }
        }
    }
    let mut issued = HashSet::new();
    let mut orders = HashMap::new();
    let mut withdrawals = HashMap::new();
    let mut ledgers = HashMap::new();
    for p in &keys.parcel_ids {
        let is_issued = tx
            .query_row(
                "SELECT 1 FROM manifest_parcels WHERE device_id = ?1 AND parcel_id = ?2",
                [&device.device_id, p],
                |_| Ok(()),
            )
            .optional()
            .map_err(db_err)?
            .is_some();
        if is_issued {
            issued.insert(p.clone());
        }
        if let Some(o) = order_in(tx, p)? {
            orders.insert(p.clone(), o);
        }
        let mut stmt = tx
            .prepare_cached(
                "SELECT version FROM withdrawals WHERE device_id = ?1 AND parcel_id = ?2",
            )
            .map_err(db_err)?;
        let versions = stmt
            .query_map([&device.device_id, p], |r| r.get::<_, i64>(0))
            .map_err(db_err)?
            .map(|v| v.map(to_u64))
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        if !versions.is_empty() {
            withdrawals.insert(p.clone(), versions);
        }
        let ledger: Option<String> = tx
            .query_row(
                "SELECT ledger_json FROM parcel_ledgers WHERE device_id = ?1 AND parcel_id = ?2",
                [&device.device_id, p],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        if let Some(j) = ledger {
            ledgers.insert(p.clone(), serde_json::from_str(&j).map_err(corrupt)?);
        }
    }
    let mut proof_failures = HashSet::new();
    for h in &keys.hashes {
        let seen = tx
            .query_row(
                "SELECT 1 FROM proof_failures WHERE event_hash = ?1",
                [h],
                |_| Ok(()),
            )
            .optional()
            .map_err(db_err)?
            .is_some();
        if seen {
            proof_failures.insert(h.clone());
        }
    }
    let depot: Option<String> = tx
        .query_row(
            "SELECT depot FROM devices WHERE device_id = ?1",
            [&device.device_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?
        .flatten();
    let mut supervisor_keys = HashMap::new();
    for (id, factor) in &keys.supervisors {
        let mut stmt = tx
            .prepare_cached(
                "SELECT key_hex FROM supervisor_keys WHERE supervisor_id = ?1 AND factor = ?2",
            )
            .map_err(db_err)?;
        let found = stmt
            .query_map(params![id, factor_str(*factor)], |r| r.get::<_, String>(0))
            .map_err(db_err)?
            .map(|k| {
                courier_protocol::keys::decode_hex_array::<32>(&k.map_err(db_err)?, "key")
                    .map_err(corrupt)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !found.is_empty() {
            supervisor_keys.insert((id.clone(), *factor), found);
        }
    }
    let held_events = if keys.day_close {
        events_query(
            tx,
            "SELECT signed_json FROM events WHERE device_id = ?1 ORDER BY seq",
            [&device.device_id],
        )?
    } else {
        Vec::new()
    };
    let mut manifests = HashMap::new();
    for v in keys.manifest_versions(&held_events) {
        let json: Option<String> = tx
            .prepare_cached(
                "SELECT signed_json FROM manifests WHERE device_id = ?1 AND version = ?2",
            )
            .map_err(db_err)?
            .query_row(params![device.device_id, to_i64(v)], |r| r.get(0))
            .optional()
            .map_err(db_err)?;
        if let Some(json) = json {
            manifests.insert(v, manifest_body(&json)?);
        }
    }
    Ok(BatchContext {
        device,
        known,
        at_seq,
        issued,
        orders,
        withdrawals,
        ledgers,
        proof_failures,
        depot,
        supervisor_keys,
        manifests,
        held_events,
    })
}

fn apply(
    tx: &Connection,
    device_id: &str,
    writes: &BatchWrites,
    now_ms: i64,
) -> Result<(), ServerError> {
    for e in &writes.events {
        tx.prepare_cached(
            "INSERT INTO events(device_id, seq, event_id, hash, signed_json, received_at_ms, signed_at_ms, order_ref, depot)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(db_err)?
        .execute(params![
            device_id,
            to_i64(e.event.body.seq),
            e.event.body.event_id,
            e.event.hash,
            e.json,
            now_ms,
            e.signed_at_ms,
            e.order_ref,
            e.depot
        ])
        .map_err(db_err)?;
    }
    for (parcel_id, ledger) in &writes.ledgers {
        let json = serde_json::to_string(ledger).map_err(corrupt)?;
        tx.execute(
            "INSERT INTO parcel_ledgers(device_id, parcel_id, ledger_json) VALUES (?1, ?2, ?3)
             ON CONFLICT(device_id, parcel_id) DO UPDATE SET ledger_json = excluded.ledger_json",
            params![device_id, parcel_id, json],
        )
        .map_err(db_err)?;
    }
    for (hash, parcel_id) in &writes.proof_failures {
        tx.execute(
            "INSERT OR IGNORE INTO proof_failures(event_hash, parcel_id) VALUES (?1, ?2)",
            params![hash, parcel_id],
        )
        .map_err(db_err)?;
    }
    for (parcel_id, n) in &writes.attempts {
        tx.execute(
            "UPDATE orders SET attempts_spent = ?2 WHERE parcel_id = ?1",
            params![parcel_id, n],
        )
        .map_err(db_err)?;
    }
    for a in &writes.alerts {
        tracing::warn!(device_id, kind = a.kind, detail = %a.detail, "alert recorded");
        tx.execute(
            "INSERT INTO alerts(kind, device_id, detail, at_ms) VALUES (?1, ?2, ?3, ?4)",
            params![a.kind, device_id, a.detail, now_ms],
        )
        .map_err(db_err)?;
    }
    for f in &writes.day_close_flags {
        let json = serde_json::to_string(&f.differences).map_err(corrupt)?;
        tx.execute(
            "INSERT OR IGNORE INTO day_close_flags(event_id, device_id, seq, differences_json, flagged_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![f.event_id, device_id, to_i64(f.seq), json, now_ms],
        )
        .map_err(db_err)?;
    }
    tx.execute(
        "UPDATE devices SET last_seq = ?2, last_hash = ?3 WHERE device_id = ?1",
        params![device_id, to_i64(writes.tip.seq), writes.tip.hash],
    )
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl Storage for SqliteStore {
    fn engine(&self) -> &'static str {
        "sqlite"
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, ServerError> {
        self.conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(db_err)
    }

    async fn meta_or_insert(&self, key: &str, value: &str) -> Result<String, ServerError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
            params![key, value],
        )
        .map_err(db_err)?;
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .map_err(db_err)
    }

    async fn add_token(&self, token_hash: &str, expires_at_ms: i64) -> Result<(), ServerError> {
        self.conn()
            .execute(
                "INSERT INTO enroll_tokens(token_hash, expires_at_ms) VALUES (?1, ?2)",
                params![token_hash, expires_at_ms],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    async fn token(&self, token_hash: &str) -> Result<Option<(i64, Option<String>)>, ServerError> {
        self.conn()
            .query_row(
                "SELECT expires_at_ms, used_by FROM enroll_tokens WHERE token_hash = ?1",
                [token_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)
    }

    async fn enroll(
        &self,
        token_hash: &str,
        device_id: &str,
        key: &PublicKey,
        hardware_label: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let spent = tx
            .execute(
                "UPDATE enroll_tokens SET used_by = ?2 WHERE token_hash = ?1 AND used_by IS NULL",
                params![token_hash, device_id],
            )
            .map_err(db_err)?;
        if spent != 1 {
            return Err(ServerError::Conflict(
                "this enrollment token was already used".into(),
            ));
        }
        tx.execute(
            "INSERT INTO devices(device_id, public_key, hardware_label, enrolled_at_ms, last_seq, last_hash)
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            params![device_id, key.to_hex(), hardware_label, now_ms, GENESIS_PREV_HASH],
        )
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                ServerError::Conflict("this device key is already enrolled".into())
            }
            other => db_err(other),
        })?;
        tx.commit().map_err(db_err)
    }

    async fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, ServerError> {
        device_in(&self.conn(), device_id)
    }

    async fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<bool, ServerError> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM nonces WHERE device_id = ?1 AND ts_ms < ?2",
            params![device_id, now_ms - 2 * window_ms],
        )
        .map_err(db_err)?;
        let n = conn
            .execute(
                "INSERT OR IGNORE INTO nonces(device_id, nonce, ts_ms) VALUES (?1, ?2, ?3)",
                params![device_id, nonce, now_ms],
            )
            .map_err(db_err)?;
        Ok(n == 1)
    }

    async fn add_order(&self, order: &OrderRow) -> Result<(), ServerError> {
        let spec = serde_json::to_string(&order.spec).map_err(corrupt)?;
        self.conn()
            .execute(
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
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    ServerError::Conflict(format!(
                        "an order with reference {} or label {} already exists",
                        order.spec.order_ref, order.spec.label
                    ))
                }
                other => db_err(other),
            })
    }

    async fn order(&self, parcel_id: &str) -> Result<Option<OrderRow>, ServerError> {
        order_in(&self.conn(), parcel_id)
    }

    async fn spend_attempt(&self, parcel_id: &str) -> Result<u32, ServerError> {
        self.conn()
            .query_row(
                "UPDATE orders SET attempts_spent = attempts_spent + 1 WHERE parcel_id = ?1
                 RETURNING attempts_spent",
                [parcel_id],
                |r| r.get(0),
            )
            .map_err(db_err)
    }

    async fn restore_attempt(&self, parcel_id: &str) -> Result<u32, ServerError> {
        self.conn()
            .query_row(
                "UPDATE orders SET attempts_spent = MAX(attempts_spent - 1, 0) WHERE parcel_id = ?1
                 RETURNING attempts_spent",
                [parcel_id],
                |r| r.get(0),
            )
            .map_err(db_err)
    }

    async fn log_code_check(
        &self,
        device_id: &str,
        parcel_id: &str,
        nonce: &str,
        result: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        self.conn()
            .execute(
                "INSERT INTO code_checks(device_id, parcel_id, nonce, result, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![device_id, parcel_id, nonce, result, now_ms],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    async fn latest_manifest(&self, device_id: &str) -> Result<Option<(u64, String)>, ServerError> {
        self.conn()
            .query_row(
                "SELECT version, signed_json FROM manifests WHERE device_id = ?1 ORDER BY version DESC LIMIT 1",
                [device_id],
                |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)
            .map(|o| o.map(|(v, s)| (to_u64(v), s)))
    }

    async fn add_manifest(&self, m: &NewManifest<'_>) -> Result<(), ServerError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let version = to_i64(m.version);
        for p in m.withdrawn {
            tx.execute(
                "INSERT OR IGNORE INTO withdrawals(device_id, parcel_id, version) VALUES (?1, ?2, ?3)",
                params![m.device_id, p, version],
            )
            .map_err(db_err)?;
        }
        tx.execute(
            "INSERT INTO manifests(device_id, version, signed_json) VALUES (?1, ?2, ?3)",
            params![m.device_id, version, m.signed_json],
        )
        .map_err(db_err)?;
        for p in m.parcel_ids {
            tx.execute(
                "INSERT OR IGNORE INTO manifest_parcels(device_id, parcel_id) VALUES (?1, ?2)",
                params![m.device_id, p],
            )
            .map_err(db_err)?;
        }
        tx.execute(
            "UPDATE devices SET depot = ?2 WHERE device_id = ?1",
            params![m.device_id, m.depot],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    async fn parcel_issued_to(
        &self,
        device_id: &str,
        parcel_id: &str,
    ) -> Result<bool, ServerError> {
        self.conn()
            .query_row(
                "SELECT 1 FROM manifest_parcels WHERE device_id = ?1 AND parcel_id = ?2",
                [device_id, parcel_id],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(db_err)
    }

    async fn ingest(
        &self,
        device_id: &str,
        events: &[Uploaded],
        now_ms: i64,
    ) -> Result<IngestOutcome, ServerError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let device = device_in(&tx, device_id)?
            .ok_or_else(|| ServerError::NotFound(format!("device {device_id} is not enrolled")))?;
        let ctx = load_context(&tx, device, &BatchKeys::of(events))?;
        let (outcome, writes) = ingest::plan(ctx, events)?;
        apply(&tx, device_id, &writes, now_ms)?;
        tx.commit().map_err(db_err)?;
        Ok(outcome)
    }

    async fn device_events(&self, device_id: &str) -> Result<Vec<SignedEvent>, ServerError> {
        events_query(
            &self.conn(),
            "SELECT signed_json FROM events WHERE device_id = ?1 ORDER BY seq",
            [device_id],
        )
    }

    async fn events_of_device_between(
        &self,
        device_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SignedEvent>, ServerError> {
        events_query(
            &self.conn(),
            "SELECT signed_json FROM events WHERE device_id = ?1 AND signed_at_ms >= ?2 AND signed_at_ms < ?3 ORDER BY seq",
            params![device_id, from_ms, to_ms],
        )
    }

    async fn events_of_depot_between(
        &self,
        depot: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SignedEvent>, ServerError> {
        events_query(
            &self.conn(),
            "SELECT signed_json FROM events WHERE depot = ?1 AND signed_at_ms >= ?2 AND signed_at_ms < ?3 ORDER BY device_id, seq",
            params![depot, from_ms, to_ms],
        )
    }

    async fn events_of_order(&self, order_ref: &str) -> Result<Vec<SignedEvent>, ServerError> {
        events_query(
            &self.conn(),
            "SELECT signed_json FROM events WHERE order_ref = ?1 ORDER BY device_id, seq",
            [order_ref],
        )
    }

    async fn alerts(&self, after_id: i64, limit: u32) -> Result<Vec<Alert>, ServerError> {
        let conn = self.conn();
        let mut stmt = conn
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
    }

    async fn event_counts(&self) -> Result<(u64, u64), ServerError> {
        self.conn()
            .query_row(
                "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events",
                [],
                |r| Ok((to_u64(r.get(0)?), to_u64(r.get(1)?))),
            )
            .map_err(db_err)
    }

    async fn put_supervisor(
        &self,
        depot: &str,
        credential: &SupervisorCredential,
        keys: &[(SupervisorFactor, [u8; 32])],
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let json = serde_json::to_string(credential).map_err(corrupt)?;
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        tx.execute(
            "INSERT INTO supervisors(supervisor_id, depot, credential_json, created_at_ms)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(supervisor_id) DO UPDATE SET depot = excluded.depot,
                 credential_json = excluded.credential_json, created_at_ms = excluded.created_at_ms",
            params![credential.supervisor_id, depot, json, now_ms],
        )
        .map_err(db_err)?;
        for (factor, key) in keys {
            tx.execute(
                "INSERT OR IGNORE INTO supervisor_keys(supervisor_id, factor, key_hex, created_at_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    credential.supervisor_id,
                    factor_str(*factor),
                    hex::encode(key),
                    now_ms
                ],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    async fn depot_supervisors(
        &self,
        depot: &str,
    ) -> Result<Vec<SupervisorCredential>, ServerError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT credential_json FROM supervisors WHERE depot = ?1 ORDER BY supervisor_id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([depot], |r| r.get::<_, String>(0))
            .map_err(db_err)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row.map_err(db_err)?).map_err(corrupt)?);
        }
        Ok(out)
    }

    async fn day_close_flags(&self) -> Result<Vec<DayCloseFlag>, ServerError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT device_id, event_id, seq, differences_json, flagged_at_ms
                 FROM day_close_flags ORDER BY flagged_at_ms, device_id, seq",
            )
            .map_err(db_err)?;
        let rows = stmt
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
        for row in rows {
            let (device_id, event_id, seq, json, at) = row.map_err(db_err)?;
            out.push(DayCloseFlag {
                device_id,
                event_id,
                seq: to_u64(seq),
                differences: serde_json::from_str(&json).map_err(corrupt)?,
                flagged_at_ms: at,
            });
        }
        Ok(out)
    }

    async fn report_sources(
        &self,
        device: Option<&str>,
        depot: Option<&str>,
    ) -> Result<Vec<ReportSource>, ServerError> {
        let conn = self.conn();
        let rows = {
            let mut stmt = conn
                .prepare(
                    "SELECT d.device_id, m.signed_json FROM devices d
                     LEFT JOIN manifests m ON m.device_id = d.device_id
                     WHERE ?1 IS NULL OR d.device_id = ?1
                     ORDER BY d.device_id, m.version",
                )
                .map_err(db_err)?;
            stmt.query_map([device], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
            })
            .map_err(db_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?
        };
        let mut out = group_report_sources(rows, depot)?;
        for source in &mut out {
            source.events = events_query(
                &conn,
                "SELECT signed_json FROM events WHERE device_id = ?1 ORDER BY seq",
                [&source.device_id],
            )?;
        }
        Ok(out)
    }
}
