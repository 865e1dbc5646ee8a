//! The engine for many devices: PostgreSQL, shared by several server
//! processes. A batch locks its device's row (`SELECT ... FOR UPDATE`) and the
//! orders it touches (in parcel order, so batches never deadlock), so two
//! batches of one device racing on two processes apply one after the other and
//! the chain stays gapless. Lookups and writes of a batch are a few set
//! statements (`= ANY($1)`, `UNNEST`), not one round trip per event. A
//! transaction that still fails on a serialization failure, a deadlock or a
//! unique violation (the same event id uploaded by two devices at once) is
//! retried from the start. Versioned migrations (`migrations/postgres/`) run
//! under an advisory lock, so processes starting together migrate once.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use async_trait::async_trait;
use courier_protocol::api::DayCloseFlag;
use courier_protocol::envelope::{ChainTip, GENESIS_PREV_HASH, SignedEvent};
use courier_protocol::keys::PublicKey;
use courier_protocol::supervisor::SupervisorCredential;
use courier_protocol::vocabulary::SupervisorFactor;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, Row};

use crate::ServerError;
use crate::ingest::{
    self, BatchContext, BatchKeys, BatchWrites, IngestOutcome, Uploaded, factor_from_str,
    factor_str,
};
use crate::storage::{
    Alert, DeviceRow, NewManifest, OrderRow, ReportSource, Storage, group_report_sources,
    manifest_body, to_i64, to_u64,
};

/// The PostgreSQL migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_initial.sql"),
    include_str!("../migrations/postgres/0002_depot_supervisors.sql"),
];

/// Advisory lock key of the migrations.
const MIGRATION_LOCK: i64 = 7_262_016;

/// Connections per server process unless `ESCROW_PG_POOL_SIZE` says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// How many times a batch is retried after a serialization failure, deadlock
/// or unique violation before the error is answered (the device retries later).
const INGEST_ATTEMPTS: u32 = 8;

/// A URL with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The same URL naming another database.
pub fn with_database(url: &str, database: &str) -> Result<String, ServerError> {
    let bad = || ServerError::Invalid(format!("not a postgres:// URL: {}", redact(url)));
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let (authority, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest.split('?').next().unwrap_or(rest), ""),
    };
    let query = match (tail.split_once('?'), rest.find('/')) {
        (Some((_, q)), _) => format!("?{q}"),
        (None, None) => rest
            .split_once('?')
            .map_or(String::new(), |(_, q)| format!("?{q}")),
        (None, Some(_)) => String::new(),
    };
    Ok(format!("{scheme}://{authority}/{database}{query}"))
}

/// Creates a new empty database beside the one `url` names and returns its
/// URL (tests and the load bench each start from a fresh database).
pub async fn create_fresh_database(url: &str, name: &str) -> Result<String, ServerError> {
    let config = tokio_postgres::Config::from_str(url)
        .map_err(|e| ServerError::Invalid(format!("bad PostgreSQL URL {}: {e}", redact(url))))?;
    let (client, conn) = config.connect(NoTls).await.map_err(|e| {
        ServerError::Database(format!(
            "cannot reach PostgreSQL at {}: {e}; is it running and does the role exist?",
            redact(url)
        ))
    })?;
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .map_err(|e| ServerError::Database(format!("cannot create database {name}: {e}")))?;
    drop(client);
    let _ = task.await;
    with_database(url, name)
}

fn pg_err(e: tokio_postgres::Error) -> ServerError {
    match e.as_db_error() {
        Some(db) => ServerError::Database(format!(
            "PostgreSQL: {} ({})",
            db.message(),
            db.code().code()
        )),
        None => ServerError::Database(format!("PostgreSQL: {e}")),
    }
}

/// The message of an error without its variant's prefix.
fn detail(e: ServerError) -> String {
    match e {
        ServerError::Database(m) => m,
        other => other.to_string(),
    }
}

fn pool_err(e: deadpool_postgres::PoolError) -> ServerError {
    ServerError::Database(format!("no PostgreSQL connection available: {e}"))
}

fn corrupt(e: impl std::fmt::Display) -> ServerError {
    ServerError::Database(e.to_string())
}

/// Whether a failed transaction may succeed when run again.
fn retryable(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    )
}

/// The server's PostgreSQL store: a pool of connections.
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Connects, migrates, and makes sure the coming months have partitions.
    pub async fn open(url: &str) -> Result<Self, ServerError> {
        let config = tokio_postgres::Config::from_str(url).map_err(|e| {
            ServerError::Invalid(format!("bad PostgreSQL URL {}: {e}", redact(url)))
        })?;
        let size = std::env::var("ESCROW_PG_POOL_SIZE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_POOL_SIZE);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(size)
            .build()
            .map_err(|e| ServerError::Database(format!("cannot build the pool: {e}")))?;
        let store = PgStore { pool };
        store.migrate().await.map_err(|e| {
            ServerError::Database(format!(
                "PostgreSQL at {}: {}; is it running and does the database exist?",
                redact(url),
                detail(e)
            ))
        })?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, ServerError> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn migrate(&self) -> Result<(), ServerError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(pg_err)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        .await
        .map_err(pg_err)?;
        let current: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(pg_err)?
            .get(0);
        let current = usize::try_from(current).unwrap_or(0);
        if current > MIGRATIONS.len() {
            return Err(ServerError::Database(format!(
                "the database is at schema version {current}, newer than this server ({}): run a newer server",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.batch_execute(sql).await.map_err(|e| {
                ServerError::Database(format!(
                    "PostgreSQL migration {version}: {}",
                    detail(pg_err(e))
                ))
            })?;
            tx.execute(
                "INSERT INTO schema_migrations(version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(pg_err)?;
            tracing::info!(version, "PostgreSQL migration applied");
        }
        tx.commit().await.map_err(pg_err)?;
        client
            .execute(
                "SELECT escrow_ensure_event_partitions(
                    (extract(epoch FROM now() - interval '1 month') * 1000)::BIGINT,
                    (extract(epoch FROM now() + interval '3 months') * 1000)::BIGINT)",
                &[],
            )
            .await
            .map_err(pg_err)?;
        Ok(())
    }

    /// One attempt at a batch; `Err(Ok(e))` may be retried.
    async fn ingest_once(
        &self,
        device_id: &str,
        events: &[Uploaded],
        now_ms: i64,
    ) -> Result<IngestOutcome, Result<tokio_postgres::Error, ServerError>> {
        let fatal = Err::<IngestOutcome, _>;
        let mut client = self.client().await.map_err(Err)?;
        let tx = client.transaction().await.map_err(Ok)?;
        let row = tx
            .query_opt(
                "SELECT device_id, public_key, last_seq, last_hash, depot FROM devices
                 WHERE device_id = $1 FOR UPDATE",
                &[&device_id],
            )
            .await
            .map_err(Ok)?;
        let Some(row) = row else {
            return fatal(Err(ServerError::NotFound(format!(
                "device {device_id} is not enrolled"
            ))));
        };
        let depot: Option<String> = row.get(4);
        let device = device_row(&row).map_err(Err)?;
        let keys = BatchKeys::of(events);
        let ctx = load_context(&tx, device, depot, &keys).await?;
        let (outcome, writes) = ingest::plan(ctx, events).map_err(Err)?;
        apply(&tx, device_id, &writes, now_ms).await?;
        tx.commit().await.map_err(Ok)?;
        Ok(outcome)
    }

    async fn events_where(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<SignedEvent>, ServerError> {
        let client = self.client().await?;
        let rows = client.query(sql, params).await.map_err(pg_err)?;
        rows.iter()
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(corrupt))
            .collect()
    }
}

fn device_row(row: &Row) -> Result<DeviceRow, ServerError> {
    let pk: &str = row.get(1);
    Ok(DeviceRow {
        device_id: row.get(0),
        public_key: PublicKey::from_hex(pk).map_err(corrupt)?,
        tip: ChainTip {
            seq: to_u64(row.get(2)),
            hash: row.get(3),
        },
    })
}

fn order_from(row: &Row) -> Result<OrderRow, ServerError> {
    let spent: i32 = row.get(4);
    let limit: i32 = row.get(5);
    crate::sqlite::order_row(
        row.get(0),
        row.get(1),
        row.get(2),
        row.get(3),
        u32::try_from(spent).unwrap_or(0),
        u32::try_from(limit).unwrap_or(0),
    )
}

type TxResult<T> = Result<T, Result<tokio_postgres::Error, ServerError>>;

async fn load_context(
    tx: &deadpool_postgres::Transaction<'_>,
    device: DeviceRow,
    depot: Option<String>,
    keys: &BatchKeys,
) -> TxResult<BatchContext> {
    let mut known = HashMap::new();
    let mut at_seq = HashMap::new();
    if !keys.event_ids.is_empty() {
        let stmt = tx
            .prepare_cached(
                "SELECT event_id, device_id, seq, hash FROM event_ids WHERE event_id = ANY($1)",
            )
            .await
            .map_err(Ok)?;
        for r in tx.query(&stmt, &[&keys.event_ids]).await.map_err(Ok)? {
            known.insert(
                r.get::<_, String>(0),
                (r.get(1), to_u64(r.get(2)), r.get(3)),
            );
        }
        let old: Vec<i64> = keys
            .seqs
            .iter()
            .filter(|s| **s <= device.tip.seq)
            .map(|s| to_i64(*s))
            .collect();
        if !old.is_empty() {
            let stmt = tx
                .prepare_cached(
                    "SELECT seq, hash FROM event_ids WHERE device_id = $1 AND seq = ANY($2)",
                )
                .await
                .map_err(Ok)?;
            for r in tx
                .query(&stmt, &[&device.device_id, &old])
                .await
                .map_err(Ok)?
            {
                at_seq.insert(to_u64(r.get(0)), r.get(1));
            }
        }
    }
    let mut issued = HashSet::new();
    let mut orders = HashMap::new();
    let mut withdrawals: HashMap<String, Vec<u64>> = HashMap::new();
    let mut ledgers = HashMap::new();
    if !keys.parcel_ids.is_empty() {
        let p = &keys.parcel_ids;
        let stmt = tx
            .prepare_cached(
                "SELECT parcel_id, spec_json, numeric_key, qr_key, attempts_spent, attempt_limit
                 FROM orders WHERE parcel_id = ANY($1) ORDER BY parcel_id FOR UPDATE",
            )
            .await
            .map_err(Ok)?;
        for r in tx.query(&stmt, &[p]).await.map_err(Ok)? {
            orders.insert(r.get::<_, String>(0), order_from(&r).map_err(Err)?);
        }
        let stmt = tx
            .prepare_cached(
                "SELECT parcel_id FROM manifest_parcels WHERE device_id = $1 AND parcel_id = ANY($2)",
            )
            .await
            .map_err(Ok)?;
        for r in tx.query(&stmt, &[&device.device_id, p]).await.map_err(Ok)? {
            issued.insert(r.get::<_, String>(0));
        }
        let stmt = tx
            .prepare_cached(
                "SELECT parcel_id, version FROM withdrawals WHERE device_id = $1 AND parcel_id = ANY($2)",
            )
            .await
            .map_err(Ok)?;
        for r in tx.query(&stmt, &[&device.device_id, p]).await.map_err(Ok)? {
            withdrawals
                .entry(r.get::<_, String>(0))
                .or_default()
                .push(to_u64(r.get(1)));
        }
        let stmt = tx
            .prepare_cached(
                "SELECT parcel_id, ledger_json FROM parcel_ledgers WHERE device_id = $1 AND parcel_id = ANY($2)",
            )
            .await
            .map_err(Ok)?;
        for r in tx.query(&stmt, &[&device.device_id, p]).await.map_err(Ok)? {
            let ledger = serde_json::from_str(r.get::<_, &str>(1)).map_err(|e| Err(corrupt(e)))?;
            ledgers.insert(r.get::<_, String>(0), ledger);
        }
    }
    let mut proof_failures = HashSet::new();
    if !keys.parcel_ids.is_empty() && !keys.hashes.is_empty() {
        let stmt = tx
            .prepare_cached("SELECT event_hash FROM proof_failures WHERE event_hash = ANY($1)")
            .await
            .map_err(Ok)?;
        for r in tx.query(&stmt, &[&keys.hashes]).await.map_err(Ok)? {
            proof_failures.insert(r.get::<_, String>(0));
        }
    }
    let mut supervisor_keys: HashMap<(String, SupervisorFactor), Vec<[u8; 32]>> = HashMap::new();
    if !keys.supervisors.is_empty() {
        let ids: Vec<&str> = keys.supervisors.iter().map(|(id, _)| id.as_str()).collect();
        let stmt = tx
            .prepare_cached(
                "SELECT supervisor_id, factor, key_hex FROM supervisor_keys WHERE supervisor_id = ANY($1)",
            )
            .await
            .map_err(Ok)?;
        for r in tx.query(&stmt, &[&ids]).await.map_err(Ok)? {
            let id: String = r.get(0);
            let Some(factor) = factor_from_str(r.get(1)) else {
                continue;
            };
            if !keys
                .supervisors
                .iter()
                .any(|(i, f)| *i == id && *f == factor)
            {
                continue;
            }
            let key = courier_protocol::keys::decode_hex_array::<32>(r.get(2), "key")
                .map_err(|e| Err(corrupt(e)))?;
            supervisor_keys.entry((id, factor)).or_default().push(key);
        }
    }
    let held_events = if keys.day_close {
        let stmt = tx
            .prepare_cached("SELECT signed_json FROM events WHERE device_id = $1 ORDER BY seq")
            .await
            .map_err(Ok)?;
        tx.query(&stmt, &[&device.device_id])
            .await
            .map_err(Ok)?
            .iter()
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(|e| Err(corrupt(e))))
            .collect::<Result<Vec<SignedEvent>, _>>()?
    } else {
        Vec::new()
    };
    let mut manifests = HashMap::new();
    let versions: Vec<i64> = keys
        .manifest_versions(&held_events)
        .into_iter()
        .map(to_i64)
        .collect();
    if !versions.is_empty() {
        let stmt = tx
            .prepare_cached(
                "SELECT version, signed_json FROM manifests WHERE device_id = $1 AND version = ANY($2)",
            )
            .await
            .map_err(Ok)?;
        for r in tx
            .query(&stmt, &[&device.device_id, &versions])
            .await
            .map_err(Ok)?
        {
            manifests.insert(to_u64(r.get(0)), manifest_body(r.get(1)).map_err(Err)?);
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

async fn apply(
    tx: &deadpool_postgres::Transaction<'_>,
    device_id: &str,
    writes: &BatchWrites,
    now_ms: i64,
) -> TxResult<()> {
    if !writes.events.is_empty() {
        let ids: Vec<&str> = writes
            .events
            .iter()
            .map(|e| e.event.body.event_id.as_str())
            .collect();
        let seqs: Vec<i64> = writes
            .events
            .iter()
            .map(|e| to_i64(e.event.body.seq))
            .collect();
        let hashes: Vec<&str> = writes
            .events
            .iter()
            .map(|e| e.event.hash.as_str())
            .collect();
        let times: Vec<i64> = writes.events.iter().map(|e| e.signed_at_ms).collect();
        let jsons: Vec<&str> = writes.events.iter().map(|e| e.json.as_str()).collect();
        let refs: Vec<Option<&str>> = writes
            .events
            .iter()
            .map(|e| e.order_ref.as_deref())
            .collect();
        let depots: Vec<Option<&str>> = writes.events.iter().map(|e| e.depot.as_deref()).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO event_ids(event_id, device_id, seq, hash, signed_at_ms)
                 SELECT id, $2, seq, hash, t FROM UNNEST($1::text[], $3::bigint[], $4::text[], $5::bigint[]) AS u(id, seq, hash, t)",
            )
            .await
            .map_err(Ok)?;
        tx.execute(&stmt, &[&ids, &device_id, &seqs, &hashes, &times])
            .await
            .map_err(Ok)?;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO events(device_id, seq, event_id, hash, signed_json, received_at_ms, signed_at_ms, order_ref, depot)
                 SELECT $1, seq, id, hash, js, $2, t, r, d
                 FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[])
                 AS u(seq, id, hash, js, t, r, d)",
            )
            .await
            .map_err(Ok)?;
        tx.execute(
            &stmt,
            &[
                &device_id, &now_ms, &seqs, &ids, &hashes, &jsons, &times, &refs, &depots,
            ],
        )
        .await
        .map_err(Ok)?;
    }
    if !writes.ledgers.is_empty() {
        let parcels: Vec<&str> = writes.ledgers.keys().map(String::as_str).collect();
        let jsons = writes
            .ledgers
            .values()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Err(corrupt(e)))?;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO parcel_ledgers(device_id, parcel_id, ledger_json)
                 SELECT $1, p, j FROM UNNEST($2::text[], $3::text[]) AS u(p, j)
                 ON CONFLICT (device_id, parcel_id) DO UPDATE SET ledger_json = excluded.ledger_json",
            )
            .await
            .map_err(Ok)?;
        tx.execute(&stmt, &[&device_id, &parcels, &jsons])
            .await
            .map_err(Ok)?;
    }
    for (hash, parcel_id) in &writes.proof_failures {
        tx.execute(
            "INSERT INTO proof_failures(event_hash, parcel_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[hash, parcel_id],
        )
        .await
        .map_err(Ok)?;
    }
    for (parcel_id, n) in &writes.attempts {
        let n = i32::try_from(*n).unwrap_or(i32::MAX);
        tx.execute(
            "UPDATE orders SET attempts_spent = $2 WHERE parcel_id = $1",
            &[parcel_id, &n],
        )
        .await
        .map_err(Ok)?;
    }
    for a in &writes.alerts {
        tracing::warn!(device_id, kind = a.kind, detail = %a.detail, "alert recorded");
        tx.execute(
            "INSERT INTO alerts(kind, device_id, detail, at_ms) VALUES ($1, $2, $3, $4)",
            &[&a.kind, &device_id, &a.detail, &now_ms],
        )
        .await
        .map_err(Ok)?;
    }
    for f in &writes.day_close_flags {
        let json = serde_json::to_string(&f.differences).map_err(|e| Err(corrupt(e)))?;
        tx.execute(
            "INSERT INTO day_close_flags(event_id, device_id, seq, differences_json, flagged_at_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&f.event_id, &device_id, &to_i64(f.seq), &json, &now_ms],
        )
        .await
        .map_err(Ok)?;
    }
    let stmt = tx
        .prepare_cached("UPDATE devices SET last_seq = $2, last_hash = $3 WHERE device_id = $1")
        .await
        .map_err(Ok)?;
    tx.execute(
        &stmt,
        &[&device_id, &to_i64(writes.tip.seq), &writes.tip.hash],
    )
    .await
    .map_err(Ok)?;
    Ok(())
}

#[async_trait]
impl Storage for PgStore {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])
            .await
            .map_err(pg_err)?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn meta_or_insert(&self, key: &str, value: &str) -> Result<String, ServerError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&key, &value],
        )
        .await
        .map_err(pg_err)?;
        let row = c
            .query_one("SELECT value FROM meta WHERE key = $1", &[&key])
            .await
            .map_err(pg_err)?;
        Ok(row.get(0))
    }

    async fn add_token(&self, token_hash: &str, expires_at_ms: i64) -> Result<(), ServerError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO enroll_tokens(token_hash, expires_at_ms) VALUES ($1, $2)",
            &[&token_hash, &expires_at_ms],
        )
        .await
        .map_err(pg_err)?;
        Ok(())
    }

    async fn token(&self, token_hash: &str) -> Result<Option<(i64, Option<String>)>, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT expires_at_ms, used_by FROM enroll_tokens WHERE token_hash = $1",
                &[&token_hash],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    async fn enroll(
        &self,
        token_hash: &str,
        device_id: &str,
        key: &PublicKey,
        hardware_label: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        let spent = tx
            .execute(
                "UPDATE enroll_tokens SET used_by = $2 WHERE token_hash = $1 AND used_by IS NULL",
                &[&token_hash, &device_id],
            )
            .await
            .map_err(pg_err)?;
        if spent != 1 {
            return Err(ServerError::Conflict(
                "this enrollment token was already used".into(),
            ));
        }
        tx.execute(
            "INSERT INTO devices(device_id, public_key, hardware_label, enrolled_at_ms, last_seq, last_hash)
             VALUES ($1, $2, $3, $4, 0, $5)",
            &[&device_id, &key.to_hex(), &hardware_label, &now_ms, &GENESIS_PREV_HASH],
        )
        .await
        .map_err(|e| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                ServerError::Conflict("this device key is already enrolled".into())
            } else {
                pg_err(e)
            }
        })?;
        tx.commit().await.map_err(pg_err)
    }

    async fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, ServerError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "SELECT device_id, public_key, last_seq, last_hash FROM devices WHERE device_id = $1",
            )
            .await
            .map_err(pg_err)?;
        let row = c.query_opt(&stmt, &[&device_id]).await.map_err(pg_err)?;
        row.as_ref().map(device_row).transpose()
    }

    async fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<bool, ServerError> {
        let c = self.client().await?;
        let stmt = c
            .prepare_cached(
                "WITH gone AS (DELETE FROM nonces WHERE device_id = $1 AND ts_ms < $4)
                 INSERT INTO nonces(device_id, nonce, ts_ms) VALUES ($1, $2, $3)
                 ON CONFLICT (device_id, nonce) DO NOTHING",
            )
            .await
            .map_err(pg_err)?;
        let n = c
            .execute(
                &stmt,
                &[&device_id, &nonce, &now_ms, &(now_ms - 2 * window_ms)],
            )
            .await
            .map_err(pg_err)?;
        Ok(n == 1)
    }

    async fn add_order(&self, order: &OrderRow) -> Result<(), ServerError> {
        let spec = serde_json::to_string(&order.spec).map_err(corrupt)?;
        let limit = i32::try_from(order.attempt_limit).unwrap_or(i32::MAX);
        let c = self.client().await?;
        c.execute(
            "INSERT INTO orders(parcel_id, order_ref, label, spec_json, numeric_key, qr_key, attempts_spent, attempt_limit)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
            &[
                &order.spec.parcel_id,
                &order.spec.order_ref,
                &order.spec.label,
                &spec,
                &hex::encode(order.numeric_key),
                &hex::encode(order.qr_key),
                &limit,
            ],
        )
        .await
        .map_err(|e| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                ServerError::Conflict(format!(
                    "an order with reference {} or label {} already exists",
                    order.spec.order_ref, order.spec.label
                ))
            } else {
                pg_err(e)
            }
        })?;
        Ok(())
    }

    async fn order(&self, parcel_id: &str) -> Result<Option<OrderRow>, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT parcel_id, spec_json, numeric_key, qr_key, attempts_spent, attempt_limit
                 FROM orders WHERE parcel_id = $1",
                &[&parcel_id],
            )
            .await
            .map_err(pg_err)?;
        row.as_ref().map(order_from).transpose()
    }

    async fn spend_attempt(&self, parcel_id: &str) -> Result<u32, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_one(
                "UPDATE orders SET attempts_spent = attempts_spent + 1 WHERE parcel_id = $1
                 RETURNING attempts_spent",
                &[&parcel_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(u32::try_from(row.get::<_, i32>(0)).unwrap_or(0))
    }

    async fn restore_attempt(&self, parcel_id: &str) -> Result<u32, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_one(
                "UPDATE orders SET attempts_spent = GREATEST(attempts_spent - 1, 0) WHERE parcel_id = $1
                 RETURNING attempts_spent",
                &[&parcel_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(u32::try_from(row.get::<_, i32>(0)).unwrap_or(0))
    }

    async fn log_code_check(
        &self,
        device_id: &str,
        parcel_id: &str,
        nonce: &str,
        result: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO code_checks(device_id, parcel_id, nonce, result, at_ms) VALUES ($1, $2, $3, $4, $5)",
            &[&device_id, &parcel_id, &nonce, &result, &now_ms],
        )
        .await
        .map_err(pg_err)?;
        Ok(())
    }

    async fn latest_manifest(&self, device_id: &str) -> Result<Option<(u64, String)>, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT version, signed_json FROM manifests WHERE device_id = $1 ORDER BY version DESC LIMIT 1",
                &[&device_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.map(|r| (to_u64(r.get(0)), r.get(1))))
    }

    async fn add_manifest(&self, m: &NewManifest<'_>) -> Result<(), ServerError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        let version = to_i64(m.version);
        tx.execute(
            "INSERT INTO withdrawals(device_id, parcel_id, version)
             SELECT $1, p, $3 FROM UNNEST($2::text[]) AS u(p) ON CONFLICT DO NOTHING",
            &[&m.device_id, &m.withdrawn, &version],
        )
        .await
        .map_err(pg_err)?;
        tx.execute(
            "INSERT INTO manifests(device_id, version, signed_json) VALUES ($1, $2, $3)",
            &[&m.device_id, &version, &m.signed_json],
        )
        .await
        .map_err(|e| {
            if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                ServerError::Conflict(format!(
                    "manifest version {} of device {} was issued meanwhile; issue again",
                    m.version, m.device_id
                ))
            } else {
                pg_err(e)
            }
        })?;
        tx.execute(
            "INSERT INTO manifest_parcels(device_id, parcel_id)
             SELECT $1, p FROM UNNEST($2::text[]) AS u(p) ON CONFLICT DO NOTHING",
            &[&m.device_id, &m.parcel_ids],
        )
        .await
        .map_err(pg_err)?;
        tx.execute(
            "UPDATE devices SET depot = $2 WHERE device_id = $1",
            &[&m.device_id, &m.depot],
        )
        .await
        .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)
    }

    async fn parcel_issued_to(
        &self,
        device_id: &str,
        parcel_id: &str,
    ) -> Result<bool, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT 1 FROM manifest_parcels WHERE device_id = $1 AND parcel_id = $2",
                &[&device_id, &parcel_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.is_some())
    }

    async fn ingest(
        &self,
        device_id: &str,
        events: &[Uploaded],
        now_ms: i64,
    ) -> Result<IngestOutcome, ServerError> {
        let mut attempt = 1;
        loop {
            match self.ingest_once(device_id, events, now_ms).await {
                Ok(outcome) => return Ok(outcome),
                Err(Err(e)) => return Err(e),
                Err(Ok(e)) if retryable(&e) && attempt < INGEST_ATTEMPTS => {
                    tracing::debug!(device_id, attempt, error = %e, "batch retried");
                    attempt += 1;
                }
                Err(Ok(e)) => return Err(pg_err(e)),
            }
        }
    }

    async fn device_events(&self, device_id: &str) -> Result<Vec<SignedEvent>, ServerError> {
        self.events_where(
            "SELECT signed_json FROM events WHERE device_id = $1 ORDER BY seq",
            &[&device_id],
        )
        .await
    }

    async fn events_of_device_between(
        &self,
        device_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SignedEvent>, ServerError> {
        self.events_where(
            "SELECT signed_json FROM events WHERE device_id = $1 AND signed_at_ms >= $2 AND signed_at_ms < $3 ORDER BY seq",
            &[&device_id, &from_ms, &to_ms],
        )
        .await
    }

    async fn events_of_depot_between(
        &self,
        depot: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<SignedEvent>, ServerError> {
        self.events_where(
            "SELECT signed_json FROM events WHERE depot = $1 AND signed_at_ms >= $2 AND signed_at_ms < $3 ORDER BY device_id, seq",
            &[&depot, &from_ms, &to_ms],
        )
        .await
    }

    async fn events_of_order(&self, order_ref: &str) -> Result<Vec<SignedEvent>, ServerError> {
        self.events_where(
            "SELECT signed_json FROM events WHERE order_ref = $1 ORDER BY device_id, seq",
            &[&order_ref],
        )
        .await
    }

    async fn alerts(&self, after_id: i64, limit: u32) -> Result<Vec<Alert>, ServerError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, kind, device_id, detail, at_ms FROM alerts WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after_id, &i64::from(limit)],
            )
            .await
            .map_err(pg_err)?;
        Ok(rows
            .iter()
            .map(|r| Alert {
                id: r.get(0),
                kind: r.get(1),
                device_id: r.get(2),
                detail: r.get(3),
                at_ms: r.get(4),
            })
            .collect())
    }

    async fn event_counts(&self) -> Result<(u64, u64), ServerError> {
        let c = self.client().await?;
        let row = c
            .query_one("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events", &[])
            .await
            .map_err(pg_err)?;
        Ok((to_u64(row.get(0)), to_u64(row.get(1))))
    }

    async fn put_supervisor(
        &self,
        depot: &str,
        credential: &SupervisorCredential,
        keys: &[(SupervisorFactor, [u8; 32])],
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let json = serde_json::to_string(credential).map_err(corrupt)?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        tx.execute(
            "INSERT INTO supervisors(supervisor_id, depot, credential_json, created_at_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (supervisor_id) DO UPDATE SET depot = excluded.depot,
                 credential_json = excluded.credential_json, created_at_ms = excluded.created_at_ms",
            &[&credential.supervisor_id, &depot, &json, &now_ms],
        )
        .await
        .map_err(pg_err)?;
        for (factor, key) in keys {
            tx.execute(
                "INSERT INTO supervisor_keys(supervisor_id, factor, key_hex, created_at_ms)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[
                    &credential.supervisor_id,
                    &factor_str(*factor),
                    &hex::encode(key),
                    &now_ms,
                ],
            )
            .await
            .map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)
    }

    async fn depot_supervisors(
        &self,
        depot: &str,
    ) -> Result<Vec<SupervisorCredential>, ServerError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT credential_json FROM supervisors WHERE depot = $1 ORDER BY supervisor_id",
                &[&depot],
            )
            .await
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| serde_json::from_str(r.get::<_, &str>(0)).map_err(corrupt))
            .collect()
    }

    async fn day_close_flags(&self) -> Result<Vec<DayCloseFlag>, ServerError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT device_id, event_id, seq, differences_json, flagged_at_ms
                 FROM day_close_flags ORDER BY flagged_at_ms, device_id, seq",
                &[],
            )
            .await
            .map_err(pg_err)?;
        rows.iter()
            .map(|r| {
                Ok(DayCloseFlag {
                    device_id: r.get(0),
                    event_id: r.get(1),
                    seq: to_u64(r.get(2)),
                    differences: serde_json::from_str(r.get::<_, &str>(3)).map_err(corrupt)?,
                    flagged_at_ms: r.get(4),
                })
            })
            .collect()
    }

    async fn report_sources(
        &self,
        device: Option<&str>,
        depot: Option<&str>,
    ) -> Result<Vec<ReportSource>, ServerError> {
        let rows = {
            let c = self.client().await?;
            c.query(
                "SELECT d.device_id, m.signed_json FROM devices d
                 LEFT JOIN manifests m ON m.device_id = d.device_id
                 WHERE $1::text IS NULL OR d.device_id = $1
                 ORDER BY d.device_id, m.version",
                &[&device],
            )
            .await
            .map_err(pg_err)?
        };
        let mut out = group_report_sources(
            rows.iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, Option<String>>(1))),
            depot,
        )?;
        for source in &mut out {
            source.events = self
                .events_where(
                    "SELECT signed_json FROM events WHERE device_id = $1 ORDER BY seq",
                    &[&source.device_id],
                )
                .await?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_another_database_and_hide_passwords() {
        assert_eq!(
            with_database("postgres://u:pw@127.0.0.1:5433/postgres", "t1").ok(),
            Some("postgres://u:pw@127.0.0.1:5433/t1".to_owned())
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t2").ok(),
            Some("postgres://u@h/t2?sslmode=disable".to_owned())
        );
        assert_eq!(
            with_database("postgres://u@h:1", "t3").ok(),
            Some("postgres://u@h:1/t3".to_owned())
        );
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }
}
