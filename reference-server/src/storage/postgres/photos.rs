//! Photo rows on PostgreSQL ([`PhotoStorage`]), and the named photos a
//! batch writes with its events (inside its transaction).

use async_trait::async_trait;
use deadpool_postgres::{ClientWrapper, GenericClient};

use super::PgStore;
use super::reads::pg_err;
use crate::batch::NewEvent;
use crate::error::ServerError;
use crate::storage::photos::sql;
use crate::storage::rows::{to_i64, to_u64};
use crate::storage::{NamedPhoto, PhotoStorage};

fn named(r: &tokio_postgres::Row) -> NamedPhoto {
    NamedPhoto {
        sha256: r.get(0),
        bytes: to_u64(r.get(1)),
        width: u32::try_from(r.get::<_, i32>(2)).unwrap_or(0),
        height: u32::try_from(r.get::<_, i32>(3)).unwrap_or(0),
        taken_at_ms: r.get(4),
        device_id: r.get(5),
        seq: to_u64(r.get(6)),
        event_id: r.get(7),
        parcel_id: r.get(8),
        order_ref: r.get(9),
        depot: r.get(10),
        signed_at_ms: r.get(11),
        stored_at_ms: r.get(12),
    }
}

fn px(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// Writes the photos a stored event names.
pub(super) async fn insert_refs(
    tx: &ClientWrapper,
    device_id: &str,
    e: &NewEvent,
) -> Result<(), ServerError> {
    for p in &e.event.body.photos {
        let stmt = tx.prepare_cached(sql::INSERT_REF).await.map_err(pg_err)?;
        tx.execute(
            &stmt,
            &[
                &device_id,
                &to_i64(e.event.body.seq),
                &p.sha256,
                &e.event.body.event_id,
                &e.event.body.parcel_id,
                &e.order_ref,
                &e.depot,
                &to_i64(p.bytes),
                &px(p.width),
                &px(p.height),
                &p.taken_at_ms,
                &e.signed_at_ms,
            ],
        )
        .await
        .map_err(pg_err)?;
    }
    Ok(())
}

#[async_trait]
impl PhotoStorage for PgStore {
    async fn photo_named_by(
        &self,
        device_id: &str,
        sha256: &str,
    ) -> Result<Option<NamedPhoto>, ServerError> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                &format!(
                    "SELECT {} FROM photo_refs r LEFT JOIN photos_stored s ON s.sha256 = r.sha256
                     WHERE r.device_id = $1 AND r.sha256 = $2 ORDER BY r.seq LIMIT 1",
                    sql::COLUMNS
                ),
                &[&device_id, &sha256],
            )
            .await
            .map_err(pg_err)?;
        Ok(row.as_ref().map(named))
    }

    async fn photo_stored(
        &self,
        sha256: &str,
        bytes: u64,
        device_id: &str,
        now_ms: i64,
    ) -> Result<i64, ServerError> {
        let c = self.client().await?;
        c.execute(
            sql::INSERT_STORED,
            &[&sha256, &to_i64(bytes), &device_id, &now_ms],
        )
        .await
        .map_err(pg_err)?;
        let row = c
            .query_one(sql::STORED_AT, &[&sha256])
            .await
            .map_err(pg_err)?;
        Ok(row.get(0))
    }

    async fn photos_between(
        &self,
        depot: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<NamedPhoto>, ServerError> {
        let c = self.client().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {} FROM photo_refs r LEFT JOIN photos_stored s ON s.sha256 = r.sha256
                     WHERE r.signed_at_ms >= $1 AND r.signed_at_ms < $2 AND ($3::text IS NULL OR r.depot = $3)
                     ORDER BY r.signed_at_ms, r.device_id, r.seq, r.sha256",
                    sql::COLUMNS
                ),
                &[&from_ms, &to_ms, &depot],
            )
            .await
            .map_err(pg_err)?;
        Ok(rows.iter().map(named).collect())
    }
}
