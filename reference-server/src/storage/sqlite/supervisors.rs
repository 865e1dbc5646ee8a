//! Depot supervisors on SQLite ([`SupervisorStorage`]), and what a batch
//! loads and writes of them (inside its transaction).

use async_trait::async_trait;
use courier_protocol::supervisor::SupervisorCredential;
use courier_protocol::vocabulary::SupervisorFactor;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::SqliteStore;
use super::reads::db_err;
use crate::batch::{BatchKeys, SupervisorContext};
use crate::error::ServerError;
use crate::storage::SupervisorStorage;
use crate::storage::rows::{self, factor_from_str, factor_str};
use crate::supervisor_rows::{
    SupervisorCounter, SupervisorFailure, SupervisorKey, SupervisorSessionRow, SupervisorTry,
};

fn count(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

#[async_trait]
impl SupervisorStorage for SqliteStore {
    async fn put_supervisor(
        &self,
        depot: &str,
        credential: &SupervisorCredential,
        keys: &[(SupervisorFactor, [u8; 32])],
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let json = rows::to_json(credential, "supervisor credential")?;
        let (depot, id, keys, limit) = (
            depot.to_owned(),
            credential.supervisor_id.clone(),
            keys.to_vec(),
            credential.attempt_limit,
        );
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                retire(&tx, &depot, &id, now_ms)?;
                tx.execute(
                    "INSERT INTO depot_supervisors(depot, supervisor_id, credential_json, attempt_limit, tries_spent, revoked_at_ms, created_at_ms)
                     VALUES (?1, ?2, ?3, ?4, 0, NULL, ?5)
                     ON CONFLICT(depot, supervisor_id) DO UPDATE SET credential_json = excluded.credential_json,
                         attempt_limit = excluded.attempt_limit, tries_spent = 0, revoked_at_ms = NULL,
                         created_at_ms = excluded.created_at_ms",
                    params![depot, id, json, limit, now_ms],
                )
                .map_err(db_err)?;
                for (factor, key) in &keys {
                    tx.execute(
                        "INSERT OR IGNORE INTO depot_supervisor_keys(depot, supervisor_id, factor, key_hex, created_at_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![depot, id, factor_str(*factor), hex::encode(key), now_ms],
                    )
                    .map_err(db_err)?;
                }
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn revoke_supervisor(
        &self,
        depot: &str,
        supervisor_id: &str,
        now_ms: i64,
    ) -> Result<bool, ServerError> {
        let (depot, id) = (depot.to_owned(), supervisor_id.to_owned());
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                let n = tx
                    .execute(
                        "UPDATE depot_supervisors SET revoked_at_ms = ?3
                         WHERE depot = ?1 AND supervisor_id = ?2 AND revoked_at_ms IS NULL",
                        params![depot, id, now_ms],
                    )
                    .map_err(db_err)?;
                retire(&tx, &depot, &id, now_ms)?;
                tx.commit().map_err(db_err)?;
                Ok(n > 0)
            })
            .await
    }

    async fn depot_supervisors(
        &self,
        depot: &str,
    ) -> Result<Vec<SupervisorCredential>, ServerError> {
        let depot = depot.to_owned();
        self.worker
            .run(move |c| {
                let mut stmt = c
                    .prepare(
                        "SELECT credential_json FROM depot_supervisors
                         WHERE depot = ?1 AND revoked_at_ms IS NULL ORDER BY supervisor_id",
                    )
                    .map_err(db_err)?;
                let found = stmt
                    .query_map([depot], |r| r.get::<_, String>(0))
                    .map_err(db_err)?;
                let mut out = Vec::new();
                for row in found {
                    out.push(rows::json(&row.map_err(db_err)?, "supervisor credential")?);
                }
                Ok(out)
            })
            .await
    }

    async fn spend_supervisor_try(
        &self,
        depot: &str,
        supervisor_id: &str,
    ) -> Result<SupervisorTry, ServerError> {
        let (depot, id) = (depot.to_owned(), supervisor_id.to_owned());
        self.worker
            .run(move |c| {
                let spent = c
                    .query_row(
                        "UPDATE depot_supervisors SET tries_spent = tries_spent + 1
                         WHERE depot = ?1 AND supervisor_id = ?2 AND revoked_at_ms IS NULL
                           AND tries_spent < attempt_limit
                         RETURNING tries_spent, attempt_limit, credential_json",
                        params![depot, id],
                        |r| {
                            Ok((
                                r.get::<_, i64>(0)?,
                                r.get::<_, i64>(1)?,
                                r.get::<_, String>(2)?,
                            ))
                        },
                    )
                    .optional()
                    .map_err(db_err)?;
                if let Some((spent, limit, json)) = spent {
                    return Ok(SupervisorTry::Spent {
                        spent: count(spent),
                        limit: count(limit),
                        credential: rows::json(&json, "supervisor credential")?,
                    });
                }
                let limit: Option<i64> = c
                    .query_row(
                        "SELECT attempt_limit FROM depot_supervisors
                         WHERE depot = ?1 AND supervisor_id = ?2 AND revoked_at_ms IS NULL",
                        params![depot, id],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                Ok(match limit {
                    Some(l) => SupervisorTry::Locked { limit: count(l) },
                    None => SupervisorTry::Unknown,
                })
            })
            .await
    }

    async fn open_supervisor_session(&self, s: &SupervisorSessionRow) -> Result<(), ServerError> {
        let s = s.clone();
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                tx.execute(
                    "UPDATE depot_supervisors SET tries_spent = 0 WHERE depot = ?1 AND supervisor_id = ?2",
                    params![s.depot, s.supervisor_id],
                )
                .map_err(db_err)?;
                tx.execute(
                    "INSERT INTO supervisor_sessions(session_id, depot, supervisor_id, device_id, factor, key_hex, issued_at_ms, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        s.session_id,
                        s.depot,
                        s.supervisor_id,
                        s.device_id,
                        factor_str(s.factor),
                        hex::encode(s.key),
                        s.issued_at_ms,
                        s.expires_at_ms
                    ],
                )
                .map_err(db_err)?;
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn set_depot_offline_badge(&self, depot: &str, allow: bool) -> Result<(), ServerError> {
        let depot = depot.to_owned();
        self.worker
            .run(move |c| {
                c.execute(
                    "INSERT INTO depot_settings(depot, offline_badge) VALUES (?1, ?2)
                     ON CONFLICT(depot) DO UPDATE SET offline_badge = excluded.offline_badge",
                    params![depot, allow],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }

    async fn depot_offline_badge(&self, depot: &str) -> Result<bool, ServerError> {
        let depot = depot.to_owned();
        self.worker
            .run(move |c| {
                Ok(c.query_row(
                    "SELECT offline_badge FROM depot_settings WHERE depot = ?1",
                    [depot],
                    |r| r.get::<_, bool>(0),
                )
                .optional()
                .map_err(db_err)?
                .unwrap_or(false))
            })
            .await
    }

    async fn add_alert(
        &self,
        kind: &str,
        device_id: &str,
        detail: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let (kind, device_id, detail) = (kind.to_owned(), device_id.to_owned(), detail.to_owned());
        self.worker
            .run(move |c| {
                tracing::warn!(device_id, kind, detail, "alert recorded");
                c.execute(
                    "INSERT INTO alerts(kind, device_id, detail, at_ms) VALUES (?1, ?2, ?3, ?4)",
                    params![kind, device_id, detail, now_ms],
                )
                .map_err(db_err)?;
                Ok(())
            })
            .await
    }
}

/// Retires a supervisor's keys and revokes its sessions.
fn retire(tx: &Connection, depot: &str, id: &str, now_ms: i64) -> Result<(), ServerError> {
    tx.execute(
        "UPDATE depot_supervisor_keys SET retired_at_ms = ?3
         WHERE depot = ?1 AND supervisor_id = ?2 AND retired_at_ms IS NULL",
        params![depot, id, now_ms],
    )
    .map_err(db_err)?;
    tx.execute(
        "UPDATE supervisor_sessions SET revoked_at_ms = ?3
         WHERE depot = ?1 AND supervisor_id = ?2 AND revoked_at_ms IS NULL",
        params![depot, id, now_ms],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Loads what the batch's supervisor proofs need: the named supervisors'
/// counters and keys in every depot, and the sessions named.
pub(super) fn load(tx: &Connection, keys: &BatchKeys) -> Result<SupervisorContext, ServerError> {
    let mut out = SupervisorContext::default();
    for (id, factor) in &keys.supervisors {
        let mut stmt = tx
            .prepare_cached(
                "SELECT depot, key_hex, retired_at_ms FROM depot_supervisor_keys
                 WHERE supervisor_id = ?1 AND factor = ?2",
            )
            .map_err(db_err)?;
        let found = stmt
            .query_map(params![id, factor_str(*factor)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .map_err(db_err)?;
        for row in found {
            let (depot, key, retired_at_ms) = row.map_err(db_err)?;
            out.keys
                .entry((depot, id.clone(), *factor))
                .or_default()
                .push(SupervisorKey {
                    key: rows::key_from_hex(&key, "supervisor key")?,
                    retired_at_ms,
                });
        }
        let mut stmt = tx
            .prepare_cached(
                "SELECT depot, tries_spent, attempt_limit, revoked_at_ms FROM depot_supervisors
                 WHERE supervisor_id = ?1",
            )
            .map_err(db_err)?;
        let found = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                ))
            })
            .map_err(db_err)?;
        for row in found {
            let (depot, spent, limit, revoked) = row.map_err(db_err)?;
            out.counters.insert(
                (depot, id.clone()),
                SupervisorCounter {
                    tries_spent: count(spent),
                    attempt_limit: count(limit),
                    revoked: revoked.is_some(),
                },
            );
        }
    }
    for session_id in &keys.sessions {
        let row = tx
            .prepare_cached(
                "SELECT depot, supervisor_id, device_id, factor, key_hex, issued_at_ms, expires_at_ms, revoked_at_ms
                 FROM supervisor_sessions WHERE session_id = ?1",
            )
            .map_err(db_err)?
            .query_row([session_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                ))
            })
            .optional()
            .map_err(db_err)?;
        if let Some((depot, supervisor_id, device_id, factor, key, issued, expires, revoked)) = row
            && let Some(factor) = factor_from_str(&factor)
        {
            out.sessions.insert(
                session_id.clone(),
                SupervisorSessionRow {
                    session_id: session_id.clone(),
                    depot,
                    supervisor_id,
                    device_id,
                    factor,
                    key: rows::key_from_hex(&key, "session key")?,
                    issued_at_ms: issued,
                    expires_at_ms: expires,
                    revoked_at_ms: revoked,
                },
            );
        }
    }
    Ok(out)
}

/// Counts the batch's bad supervisor proofs, once per event, each with a
/// conditional update (the counter never passes the limit).
pub(super) fn count_failures(
    tx: &Connection,
    failures: &[SupervisorFailure],
) -> Result<(), ServerError> {
    for f in failures {
        let first = tx
            .execute(
                "INSERT OR IGNORE INTO proof_failures(event_hash, parcel_id) VALUES (?1, ?2)",
                params![
                    f.event_hash,
                    format!("supervisor:{}:{}", f.depot, f.supervisor_id)
                ],
            )
            .map_err(db_err)?;
        if first > 0 {
            tx.execute(
                "UPDATE depot_supervisors SET tries_spent = tries_spent + 1
                 WHERE depot = ?1 AND supervisor_id = ?2 AND tries_spent < attempt_limit",
                params![f.depot, f.supervisor_id],
            )
            .map_err(db_err)?;
        }
    }
    Ok(())
}
