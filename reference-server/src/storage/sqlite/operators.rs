//! Back-office operators on SQLite ([`OperatorStorage`]).

use async_trait::async_trait;
use courier_protocol::back_office::AuditEntry;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::reads::db_err;
use super::{SqliteStore, constraint};
use crate::error::{Conflict, ServerError};
use crate::operator_rows::{NewAudit, OperatorRow, OperatorSessionRow};
use crate::storage::OperatorStorage;
use crate::storage::rows::{self, OPERATOR_COLUMNS};

/// Appends an audit line on `c` (inside the caller's transaction, if any).
pub(super) fn audit(c: &Connection, a: &NewAudit) -> Result<(), ServerError> {
    c.execute(
        "INSERT INTO operator_audit(at_ms, operator, action, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![a.at_ms, a.operator, a.action, a.subject, a.detail],
    )
    .map_err(db_err)?;
    Ok(())
}

fn operator_in(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
) -> Result<Option<OperatorRow>, ServerError> {
    let row = c
        .query_row(sql, p, |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .optional()
        .map_err(db_err)?;
    Ok(row.map(rows::operator_row).transpose()?)
}

#[async_trait]
impl OperatorStorage for SqliteStore {
    async fn add_operator(&self, row: &OperatorRow, line: &NewAudit) -> Result<(), ServerError> {
        let roles = rows::to_json(&row.roles, "operator roles")?;
        let depots = rows::to_json(&row.depots, "operator depots")?;
        let (row, line) = (row.clone(), line.clone());
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                tx.execute(
                    "INSERT INTO operators(name, roles, depots, password_hash, created_at_ms, created_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![row.name, roles, depots, row.password_hash, row.created_at_ms, row.created_by],
                )
                .map_err(|e| {
                    if constraint(&e) {
                        Conflict::OperatorExists(row.name.clone()).into()
                    } else {
                        db_err(e)
                    }
                })?;
                audit(&tx, &line)?;
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn operator(&self, name: &str) -> Result<Option<OperatorRow>, ServerError> {
        let name = name.to_owned();
        self.worker
            .run(move |c| {
                operator_in(
                    c,
                    &format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE name = ?1"),
                    [name],
                )
            })
            .await
    }

    async fn open_operator_session(
        &self,
        s: &OperatorSessionRow,
        line: &NewAudit,
    ) -> Result<(), ServerError> {
        let (s, line) = (s.clone(), line.clone());
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                tx.execute(
                    "INSERT INTO operator_sessions(token_hash, operator, kind, csrf_hash, created_at_ms, expires_at_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![s.token_hash, s.operator, s.kind.as_str(), s.csrf_hash, s.created_at_ms, s.expires_at_ms],
                )
                .map_err(db_err)?;
                audit(&tx, &line)?;
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn close_operator_session(
        &self,
        token_hash: &str,
        at_ms: i64,
        line: &NewAudit,
    ) -> Result<(), ServerError> {
        let (token_hash, line) = (token_hash.to_owned(), line.clone());
        self.worker
            .run(move |c| {
                let tx = c
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err)?;
                tx.execute(
                    "UPDATE operator_sessions SET revoked_at_ms = ?2
                     WHERE token_hash = ?1 AND revoked_at_ms IS NULL",
                    params![token_hash, at_ms],
                )
                .map_err(db_err)?;
                audit(&tx, &line)?;
                tx.commit().map_err(db_err)
            })
            .await
    }

    async fn operator_of_session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<OperatorRow>, ServerError> {
        let token_hash = token_hash.to_owned();
        let columns = OPERATOR_COLUMNS
            .split(", ")
            .map(|c| format!("o.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.worker
            .run(move |c| {
                operator_in(
                    c,
                    &format!(
                        "SELECT {columns} FROM operator_sessions s JOIN operators o ON o.name = s.operator
                         WHERE s.token_hash = ?1 AND s.expires_at_ms > ?2 AND s.revoked_at_ms IS NULL
                           AND o.disabled_at_ms IS NULL"
                    ),
                    params![token_hash, now_ms],
                )
            })
            .await
    }

    async fn add_audit(&self, line: &NewAudit) -> Result<(), ServerError> {
        let line = line.clone();
        self.worker.run(move |c| audit(c, &line)).await
    }

    async fn audit_log(&self, after_id: i64, limit: u32) -> Result<Vec<AuditEntry>, ServerError> {
        self.worker
            .run(move |c| {
                let mut stmt = c
                    .prepare(
                        "SELECT id, at_ms, operator, action, subject, detail FROM operator_audit
                         WHERE id > ?1 ORDER BY id LIMIT ?2",
                    )
                    .map_err(db_err)?;
                let found = stmt
                    .query_map(params![after_id, limit], |r| {
                        Ok(AuditEntry {
                            id: r.get(0)?,
                            at_ms: r.get(1)?,
                            operator: r.get(2)?,
                            action: r.get(3)?,
                            subject: r.get(4)?,
                            detail: r.get(5)?,
                        })
                    })
                    .map_err(db_err)?;
                found.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }
}
