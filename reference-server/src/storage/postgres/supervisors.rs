//! Depot supervisors on PostgreSQL ([`SupervisorStorage`]), and what a batch
//! loads and writes of them (inside its transaction).

use async_trait::async_trait;
use courier_protocol::supervisor::SupervisorCredential;
use courier_protocol::vocabulary::SupervisorFactor;
use deadpool_postgres::{ClientWrapper, GenericClient};

use super::PgStore;
use super::reads::pg_err;
use crate::batch::{BatchKeys, SupervisorContext};
use crate::error::ServerError;
use crate::storage::SupervisorStorage;
use crate::storage::rows::{self, factor_from_str, factor_str};
use crate::supervisor_rows::{
    SupervisorCounter, SupervisorFailure, SupervisorKey, SupervisorSessionRow, SupervisorTry,
};

fn count(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

fn as_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

#[async_trait]
impl SupervisorStorage for PgStore {
    async fn put_supervisor(
        &self,
        depot: &str,
        credential: &SupervisorCredential,
        keys: &[(SupervisorFactor, [u8; 32])],
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let json = rows::to_json(credential, "supervisor credential")?;
        let id = &credential.supervisor_id;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        retire(&tx, depot, id, now_ms).await?;
        tx.execute(
            "INSERT INTO depot_supervisors(depot, supervisor_id, credential_json, attempt_limit, tries_spent, revoked_at_ms, created_at_ms)
             VALUES ($1, $2, $3, $4, 0, NULL, $5)
             ON CONFLICT (depot, supervisor_id) DO UPDATE SET credential_json = excluded.credential_json,
                 attempt_limit = excluded.attempt_limit, tries_spent = 0, revoked_at_ms = NULL,
                 created_at_ms = excluded.created_at_ms",
            &[&depot, id, &json, &as_i32(credential.attempt_limit), &now_ms],
        )
        .await
        .map_err(pg_err)?;
        for (factor, key) in keys {
            tx.execute(
                "INSERT INTO depot_supervisor_keys(depot, supervisor_id, factor, key_hex, created_at_ms)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                &[&depot, id, &factor_str(*factor), &hex::encode(key), &now_ms],
            )
            .await
            .map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)
    }

    async fn revoke_supervisor(
        &self,
        depot: &str,
        supervisor_id: &str,
        now_ms: i64,
    ) -> Result<bool, ServerError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        let n = tx
            .execute(
                "UPDATE depot_supervisors SET revoked_at_ms = $3
                 WHERE depot = $1 AND supervisor_id = $2 AND revoked_at_ms IS NULL",
                &[&depot, &supervisor_id, &now_ms],
            )
            .await
            .map_err(pg_err)?;
        retire(&tx, depot, supervisor_id, now_ms).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(n > 0)
    }

    async fn depot_supervisors(
        &self,
        depot: &str,
    ) -> Result<Vec<SupervisorCredential>, ServerError> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT credential_json FROM depot_supervisors
                 WHERE depot = $1 AND revoked_at_ms IS NULL ORDER BY supervisor_id",
                &[&depot],
            )
            .await
            .map_err(pg_err)?;
        Ok(rows
            .iter()
            .map(|r| rows::json(r.get::<_, &str>(0), "supervisor credential"))
            .collect::<Result<_, _>>()?)
    }

    async fn spend_supervisor_try(
        &self,
        depot: &str,
        supervisor_id: &str,
    ) -> Result<SupervisorTry, ServerError> {
        let c = self.client().await?;
        let spent = c
            .query_opt(
                "UPDATE depot_supervisors SET tries_spent = tries_spent + 1
                 WHERE depot = $1 AND supervisor_id = $2 AND revoked_at_ms IS NULL
                   AND tries_spent < attempt_limit
                 RETURNING tries_spent, attempt_limit, credential_json",
                &[&depot, &supervisor_id],
            )
            .await
            .map_err(pg_err)?;
        if let Some(r) = spent {
            return Ok(SupervisorTry::Spent {
                spent: count(r.get(0)),
                limit: count(r.get(1)),
                credential: rows::json(r.get::<_, &str>(2), "supervisor credential")?,
            });
        }
        let limit = c
            .query_opt(
                "SELECT attempt_limit FROM depot_supervisors
                 WHERE depot = $1 AND supervisor_id = $2 AND revoked_at_ms IS NULL",
                &[&depot, &supervisor_id],
            )
            .await
            .map_err(pg_err)?;
        Ok(match limit {
            Some(r) => SupervisorTry::Locked {
                limit: count(r.get(0)),
            },
            None => SupervisorTry::Unknown,
        })
    }

    async fn open_supervisor_session(&self, s: &SupervisorSessionRow) -> Result<(), ServerError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        tx.execute(
            "UPDATE depot_supervisors SET tries_spent = 0 WHERE depot = $1 AND supervisor_id = $2",
            &[&s.depot, &s.supervisor_id],
        )
        .await
        .map_err(pg_err)?;
        tx.execute(
            "INSERT INTO supervisor_sessions(session_id, depot, supervisor_id, device_id, factor, key_hex, issued_at_ms, expires_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &s.session_id,
                &s.depot,
                &s.supervisor_id,
                &s.device_id,
                &factor_str(s.factor),
                &hex::encode(s.key),
                &s.issued_at_ms,
                &s.expires_at_ms,
            ],
        )
        .await
        .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)
    }

    async fn set_depot_offline_badge(&self, depot: &str, allow: bool) -> Result<(), ServerError> {
        let c = self.client().await?;
        c.execute(
            "INSERT INTO depot_settings(depot, offline_badge) VALUES ($1, $2)
             ON CONFLICT (depot) DO UPDATE SET offline_badge = excluded.offline_badge",
            &[&depot, &allow],
        )
        .await
        .map_err(pg_err)?;
        Ok(())
    }

    async fn depot_offline_badge(&self, depot: &str) -> Result<bool, ServerError> {
        let c = self.client().await?;
        Ok(c.query_opt(
            "SELECT offline_badge FROM depot_settings WHERE depot = $1",
            &[&depot],
        )
        .await
        .map_err(pg_err)?
        .is_some_and(|r| r.get::<_, bool>(0)))
    }

    async fn add_alert(
        &self,
        kind: &str,
        device_id: &str,
        detail: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        tracing::warn!(device_id, kind, detail, "alert recorded");
        let c = self.client().await?;
        c.execute(
            "INSERT INTO alerts(kind, device_id, detail, at_ms) VALUES ($1, $2, $3, $4)",
            &[&kind, &device_id, &detail, &now_ms],
        )
        .await
        .map_err(pg_err)?;
        Ok(())
    }
}

/// Retires a supervisor's keys and revokes its sessions.
async fn retire(
    tx: &impl GenericClient,
    depot: &str,
    id: &str,
    now_ms: i64,
) -> Result<(), ServerError> {
    tx.execute(
        "UPDATE depot_supervisor_keys SET retired_at_ms = $3
         WHERE depot = $1 AND supervisor_id = $2 AND retired_at_ms IS NULL",
        &[&depot, &id, &now_ms],
    )
    .await
    .map_err(pg_err)?;
    tx.execute(
        "UPDATE supervisor_sessions SET revoked_at_ms = $3
         WHERE depot = $1 AND supervisor_id = $2 AND revoked_at_ms IS NULL",
        &[&depot, &id, &now_ms],
    )
    .await
    .map_err(pg_err)?;
    Ok(())
}

/// Loads what the batch's supervisor proofs need: the named supervisors'
/// counters and keys in every depot, and the sessions named.
pub(super) async fn load(
    tx: &ClientWrapper,
    keys: &BatchKeys,
) -> Result<SupervisorContext, ServerError> {
    let mut out = SupervisorContext::default();
    if !keys.supervisors.is_empty() {
        let ids: Vec<&str> = keys.supervisors.iter().map(|(id, _)| id.as_str()).collect();
        let stmt = tx
            .prepare_cached(
                "SELECT depot, supervisor_id, factor, key_hex, retired_at_ms
                 FROM depot_supervisor_keys WHERE supervisor_id = ANY($1)",
            )
            .await
            .map_err(pg_err)?;
        for r in tx.query(&stmt, &[&ids]).await.map_err(pg_err)? {
            let Some(factor) = factor_from_str(r.get(2)) else {
                continue;
            };
            out.keys
                .entry((r.get(0), r.get(1), factor))
                .or_default()
                .push(SupervisorKey {
                    key: rows::key_from_hex(r.get(3), "supervisor key")?,
                    retired_at_ms: r.get(4),
                });
        }
        let stmt = tx
            .prepare_cached(
                "SELECT depot, supervisor_id, tries_spent, attempt_limit, revoked_at_ms
                 FROM depot_supervisors WHERE supervisor_id = ANY($1)",
            )
            .await
            .map_err(pg_err)?;
        for r in tx.query(&stmt, &[&ids]).await.map_err(pg_err)? {
            out.counters.insert(
                (r.get(0), r.get(1)),
                SupervisorCounter {
                    tries_spent: count(r.get(2)),
                    attempt_limit: count(r.get(3)),
                    revoked: r.get::<_, Option<i64>>(4).is_some(),
                },
            );
        }
    }
    if !keys.sessions.is_empty() {
        let stmt = tx
            .prepare_cached(
                "SELECT session_id, depot, supervisor_id, device_id, factor, key_hex,
                        issued_at_ms, expires_at_ms, revoked_at_ms
                 FROM supervisor_sessions WHERE session_id = ANY($1)",
            )
            .await
            .map_err(pg_err)?;
        for r in tx.query(&stmt, &[&keys.sessions]).await.map_err(pg_err)? {
            let Some(factor) = factor_from_str(r.get(4)) else {
                continue;
            };
            let session_id: String = r.get(0);
            out.sessions.insert(
                session_id.clone(),
                SupervisorSessionRow {
                    session_id,
                    depot: r.get(1),
                    supervisor_id: r.get(2),
                    device_id: r.get(3),
                    factor,
                    key: rows::key_from_hex(r.get(5), "session key")?,
                    issued_at_ms: r.get(6),
                    expires_at_ms: r.get(7),
                    revoked_at_ms: r.get(8),
                },
            );
        }
    }
    Ok(out)
}

/// Counts the batch's bad supervisor proofs, once per event, each with a
/// conditional update (the counter never passes the limit).
pub(super) async fn count_failures(
    tx: &ClientWrapper,
    failures: &[SupervisorFailure],
) -> Result<(), ServerError> {
    for f in failures {
        let marker = format!("supervisor:{}:{}", f.depot, f.supervisor_id);
        let first = tx
            .execute(
                "INSERT INTO proof_failures(event_hash, parcel_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&f.event_hash, &marker],
            )
            .await
            .map_err(pg_err)?;
        if first > 0 {
            tx.execute(
                "UPDATE depot_supervisors SET tries_spent = tries_spent + 1
                 WHERE depot = $1 AND supervisor_id = $2 AND tries_spent < attempt_limit",
                &[&f.depot, &f.supervisor_id],
            )
            .await
            .map_err(pg_err)?;
        }
    }
    Ok(())
}
