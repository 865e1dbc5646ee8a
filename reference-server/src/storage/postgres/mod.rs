//! The engine for many devices: PostgreSQL, shared by several server
//! processes. A batch locks its device's row (`SELECT ... FOR UPDATE`) and the
//! orders it touches (in parcel order, so batches never deadlock), so two
//! batches of one device racing on two processes apply one after the other and
//! the chain stays gapless (`batch`). A transaction that still fails on a
//! serialization failure, a deadlock or a unique violation (the same event id
//! uploaded by two devices at once) is marked as contention, and the ingest
//! runs it again from the start. Versioned migrations
//! (`migrations/postgres/`) run under an advisory lock, so processes starting
//! together migrate once.

mod batch;
mod claims;
mod event_log;
mod operators;
mod photos;
mod reads;
mod supervisors;
mod transaction;
pub mod transport;
pub mod url;

use async_trait::async_trait;
use courier_protocol::api::DayCloseFlag;
use courier_protocol::envelope::{GENESIS_PREV_HASH, SignedEvent};
use courier_protocol::keys::PublicKey;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use self::reads::{device_from, order_from, pg_err, pool_err, unique_violation};
use self::transaction::PgTx;
use self::transport::PgTransport;
use self::url::redact;
use crate::error::{Conflict, ServerError, StorageError};
use crate::records::{Alert, DeviceRow, FleetRow, NewManifest, OrderRow, ReportSource, Revocation};
use crate::storage::rows::{self, group_report_sources, to_i64, to_u64};
use crate::storage::{BatchTransaction, CodeCheckTransaction, Storage};

/// The PostgreSQL migrations, in order: version `i + 1` is `MIGRATIONS[i]`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_initial.sql"),
    include_str!("../../../migrations/postgres/0002_depot_supervisors.sql"),
    include_str!("../../../migrations/postgres/0003_holders_revocation_not_honoured.sql"),
    include_str!("../../../migrations/postgres/0004_supervisor_sessions.sql"),
    include_str!("../../../migrations/postgres/0005_operators_and_claims.sql"),
    include_str!("../../../migrations/postgres/0006_tlog.sql"),
    include_str!("../../../migrations/postgres/0007_photos.sql"),
];

/// Advisory lock key of the migrations.
const MIGRATION_LOCK: i64 = 7_262_016;

/// Connections per server process unless `ESCROW_PG_POOL_SIZE` says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// What protects the connections to PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionSecurity {
    /// No encryption (this machine, or `sslmode=disable`).
    Plain,
    /// TLS; the certificate and host name were verified before connecting.
    Tls {
        /// The protocol version PostgreSQL reports (`TLSv1.3`).
        version: String,
    },
}

impl std::fmt::Display for ConnectionSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectionSecurity::Plain => f.write_str("plain (no TLS)"),
            ConnectionSecurity::Tls { version } => {
                write!(f, "{version}, certificate and host name verified")
            }
        }
    }
}

/// The server's PostgreSQL store: a pool of connections.
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Connects, migrates, and makes sure the coming months have partitions.
    pub async fn open(url: &str) -> Result<Self, ServerError> {
        let target = transport::target(url)?;
        let size = std::env::var("ESCROW_PG_POOL_SIZE")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_POOL_SIZE);
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match target.transport {
            PgTransport::Plain => Manager::from_config(target.config, NoTls, manager_config),
            PgTransport::Verified(tls) => Manager::from_config(target.config, tls, manager_config),
        };
        let pool =
            Pool::builder(manager)
                .max_size(size)
                .build()
                .map_err(|e| StorageError::Open {
                    database: format!("PostgreSQL at {}", redact(url)),
                    source: e.into(),
                })?;
        let store = PgStore { pool };
        store.migrate().await.map_err(|e| {
            let hint =
                transport::open_hint(&e.to_string(), "is it running and does the database exist?");
            StorageError::Open {
                database: format!("PostgreSQL at {} ({hint})", redact(url)),
                source: e.into(),
            }
        })?;
        let security = store.connection_security().await?;
        tracing::info!(database = %redact(url), %security, "PostgreSQL connected");
        Ok(store)
    }

    /// What protects this server's connections to the database, as PostgreSQL
    /// itself reports it (`pg_stat_ssl`): for the start-up log and carrier IT.
    pub async fn connection_security(&self) -> Result<ConnectionSecurity, ServerError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(pg_err)?;
        Ok(match row {
            Some(r) if r.get::<_, bool>(0) => ConnectionSecurity::Tls {
                version: r.get::<_, Option<String>>(1).unwrap_or_default(),
            },
            _ => ConnectionSecurity::Plain,
        })
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
            return Err(StorageError::SchemaTooNew {
                engine: "PostgreSQL",
                found: current,
                known: MIGRATIONS.len(),
            }
            .into());
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.batch_execute(sql)
                .await
                .map_err(|e| StorageError::Migration {
                    engine: "PostgreSQL",
                    version: i + 1,
                    source: pg_err(e).into(),
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

    async fn events_where(
        &self,
        sql: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<SignedEvent>, ServerError> {
        let client = self.client().await?;
        let rows = client.query(sql, params).await.map_err(pg_err)?;
        Ok(rows
            .iter()
            .map(|r| rows::event(r.get::<_, &str>(0)))
            .collect::<Result<_, _>>()?)
    }
}

#[async_trait]
impl Storage for PgStore {
    fn engine(&self) -> &'static str {
        "postgres"
    }

    async fn begin_batch(&self) -> Result<Box<dyn BatchTransaction + '_>, ServerError> {
        Ok(Box::new(PgTx::begin(&self.pool).await?))
    }

    async fn begin_code_check(&self) -> Result<Box<dyn CodeCheckTransaction + '_>, ServerError> {
        Ok(Box::new(PgTx::begin(&self.pool).await?))
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
            return Err(Conflict::TokenUsed.into());
        }
        tx.execute(
            "INSERT INTO devices(device_id, public_key, hardware_label, enrolled_at_ms, last_seq, last_hash)
             VALUES ($1, $2, $3, $4, 0, $5)",
            &[&device_id, &key.to_hex(), &hardware_label, &now_ms, &GENESIS_PREV_HASH],
        )
        .await
        .map_err(|e| {
            if unique_violation(&e) {
                Conflict::KeyEnrolled.into()
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
                "SELECT device_id, public_key, last_seq, last_hash, revoked_at_ms, revoked_reason
                 FROM devices WHERE device_id = $1",
            )
            .await
            .map_err(pg_err)?;
        let row = c.query_opt(&stmt, &[&device_id]).await.map_err(pg_err)?;
        row.as_ref().map(device_from).transpose()
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
        let spec = rows::to_json(&order.spec, "order spec")?;
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
            if unique_violation(&e) {
                Conflict::OrderExists {
                    order_ref: order.spec.order_ref.clone(),
                    label: order.spec.label.clone(),
                }
                .into()
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
            if unique_violation(&e) {
                Conflict::ManifestIssuedMeanwhile {
                    device_id: m.device_id.to_owned(),
                    version: m.version,
                }
                .into()
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
        // One holder per order: giving it here takes it from any other
        // device; withdrawing it from its holder leaves none.
        let given: Vec<&String> = m
            .parcel_ids
            .iter()
            .filter(|p| !m.withdrawn.contains(p))
            .collect();
        tx.execute(
            "UPDATE orders SET holder = $1 WHERE parcel_id = ANY($2)",
            &[&m.device_id, &given],
        )
        .await
        .map_err(pg_err)?;
        tx.execute(
            "UPDATE orders SET holder = NULL WHERE parcel_id = ANY($2) AND holder = $1",
            &[&m.device_id, &m.withdrawn],
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

    async fn holder(&self, parcel_id: &str) -> Result<Option<String>, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT holder FROM orders WHERE parcel_id = $1",
                &[&parcel_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.and_then(|r| r.get::<_, Option<String>>(0)))
    }

    async fn revoke_device(
        &self,
        device_id: &str,
        revocation: &Revocation,
    ) -> Result<bool, ServerError> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE devices SET revoked_at_ms = $2, revoked_reason = $3 WHERE device_id = $1",
                &[&device_id, &revocation.at_ms, &revocation.reason],
            )
            .await
            .map_err(pg_err)?;
        Ok(n > 0)
    }

    async fn honoured_event(&self, event_id: &str) -> Result<Option<SignedEvent>, ServerError> {
        Ok(self
            .events_where(
                "SELECT signed_json FROM events WHERE event_id = $1 AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = events.event_id)",
                &[&event_id],
            )
            .await?
            .into_iter()
            .next())
    }

    async fn parcel_ledger(
        &self,
        device_id: &str,
        parcel_id: &str,
    ) -> Result<Option<courier_protocol::rules::ParcelLedger>, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT ledger_json FROM parcel_ledgers WHERE device_id = $1 AND parcel_id = $2",
                &[&device_id, &parcel_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(row
            .map(|r| rows::json(r.get::<_, &str>(0), "parcel ledger"))
            .transpose()?)
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

    async fn fleet(&self) -> Result<Vec<FleetRow>, ServerError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT d.device_id, d.hardware_label, d.depot, d.enrolled_at_ms, d.public_key, d.last_seq,
                        (SELECT MAX(e.received_at_ms) FROM events e WHERE e.device_id = d.device_id),
                        d.revoked_at_ms, d.revoked_reason
                 FROM devices d ORDER BY d.device_id",
                &[],
            )
            .await
            .map_err(pg_err)?;
        Ok(rows
            .iter()
            .map(|r| {
                rows::fleet_row(
                    (r.get(0), r.get(1), r.get(2)),
                    r.get(3),
                    r.get(4),
                    r.get(5),
                    r.get(6),
                    (r.get(7), r.get(8)),
                )
            })
            .collect())
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
        Ok(rows
            .iter()
            .map(|r| rows::day_close_flag(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect::<Result<_, _>>()?)
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
                    "SELECT signed_json FROM events WHERE device_id = $1 AND NOT EXISTS (SELECT 1 FROM not_honoured n WHERE n.event_id = events.event_id) ORDER BY seq",
                    &[&source.device_id],
                )
                .await?;
        }
        Ok(out)
    }
}
