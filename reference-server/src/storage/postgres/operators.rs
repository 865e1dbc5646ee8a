//! Back-office operators on PostgreSQL ([`OperatorStorage`]).

use async_trait::async_trait;
use courier_protocol::back_office::AuditEntry;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::PgStore;
use super::reads::{pg_err, unique_violation};
use crate::error::{Conflict, ServerError};
use crate::operator_rows::{NewAudit, OperatorRow, OperatorSessionRow};
use crate::storage::OperatorStorage;
use crate::storage::rows::{self, OPERATOR_COLUMNS};

/// Appends an audit line on `c` (inside the caller's transaction, if any).
pub(super) async fn audit(c: &impl GenericClient, a: &NewAudit) -> Result<(), ServerError> {
    c.execute(
        "INSERT INTO operator_audit(at_ms, operator, action, subject, detail) VALUES ($1, $2, $3, $4, $5)",
        &[&a.at_ms, &a.operator, &a.action, &a.subject, &a.detail],
    )
    .await
    .map_err(pg_err)?;
    Ok(())
}

fn operator_from(r: &Row) -> Result<OperatorRow, ServerError> {
    Ok(rows::operator_row((
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
    ))?)
}

#[async_trait]
impl OperatorStorage for PgStore {
    async fn add_operator(&self, row: &OperatorRow, line: &NewAudit) -> Result<(), ServerError> {
        let roles = rows::to_json(&row.roles, "operator roles")?;
        let depots = rows::to_json(&row.depots, "operator depots")?;
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        tx.execute(
            "INSERT INTO operators(name, roles, depots, password_hash, created_at_ms, created_by)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &row.name,
                &roles,
                &depots,
                &row.password_hash,
                &row.created_at_ms,
                &row.created_by,
            ],
        )
        .await
        .map_err(|e| {
            if unique_violation(&e) {
                Conflict::OperatorExists(row.name.clone()).into()
            } else {
                pg_err(e)
            }
        })?;
        audit(&tx, line).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn operator(&self, name: &str) -> Result<Option<OperatorRow>, ServerError> {
        let c = self.client().await?;
        c.query_opt(
            &format!("SELECT {OPERATOR_COLUMNS} FROM operators WHERE name = $1"),
            &[&name],
        )
        .await
        .map_err(pg_err)?
        .as_ref()
        .map(operator_from)
        .transpose()
    }

    async fn open_operator_session(
        &self,
        s: &OperatorSessionRow,
        line: &NewAudit,
    ) -> Result<(), ServerError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        tx.execute(
            "INSERT INTO operator_sessions(token_hash, operator, kind, csrf_hash, created_at_ms, expires_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &s.token_hash,
                &s.operator,
                &s.kind.as_str(),
                &s.csrf_hash,
                &s.created_at_ms,
                &s.expires_at_ms,
            ],
        )
        .await
        .map_err(pg_err)?;
        audit(&tx, line).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn close_operator_session(
        &self,
        token_hash: &str,
        at_ms: i64,
        line: &NewAudit,
    ) -> Result<(), ServerError> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg_err)?;
        tx.execute(
            "UPDATE operator_sessions SET revoked_at_ms = $2
             WHERE token_hash = $1 AND revoked_at_ms IS NULL",
            &[&token_hash, &at_ms],
        )
        .await
        .map_err(pg_err)?;
        audit(&tx, line).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn operator_of_session(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<OperatorRow>, ServerError> {
        let columns = OPERATOR_COLUMNS
            .split(", ")
            .map(|c| format!("o.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let c = self.client().await?;
        c.query_opt(
            &format!(
                "SELECT {columns} FROM operator_sessions s JOIN operators o ON o.name = s.operator
                 WHERE s.token_hash = $1 AND s.expires_at_ms > $2 AND s.revoked_at_ms IS NULL
                   AND o.disabled_at_ms IS NULL"
            ),
            &[&token_hash, &now_ms],
        )
        .await
        .map_err(pg_err)?
        .as_ref()
        .map(operator_from)
        .transpose()
    }

    async fn add_audit(&self, line: &NewAudit) -> Result<(), ServerError> {
        let c = self.client().await?;
        audit(&c, line).await
    }

    async fn audit_log(&self, after_id: i64, limit: u32) -> Result<Vec<AuditEntry>, ServerError> {
        let c = self.client().await?;
        let found = c
            .query(
                "SELECT id, at_ms, operator, action, subject, detail FROM operator_audit
                 WHERE id > $1 ORDER BY id LIMIT $2",
                &[&after_id, &i64::from(limit)],
            )
            .await
            .map_err(pg_err)?;
        Ok(found
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at_ms: r.get(1),
                operator: r.get(2),
                action: r.get(3),
                subject: r.get(4),
                detail: r.get(5),
            })
            .collect())
    }
}
