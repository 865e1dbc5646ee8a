//! Photo rows on SQLite ([`PhotoStorage`]), and the named photos a batch
//! writes with its events (inside its transaction).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::reads::db_err;
use crate::batch::NewEvent;
use crate::error::ServerError;
use crate::storage::photos::sql;
use crate::storage::rows::{to_i64, to_u64};
use crate::storage::{NamedPhoto, PhotoStorage};

fn named(r: &rusqlite::Row<'_>) -> rusqlite::Result<NamedPhoto> {
    Ok(NamedPhoto {
        sha256: r.get(0)?,
        bytes: to_u64(r.get(1)?),
        width: r.get(2)?,
        height: r.get(3)?,
        taken_at_ms: r.get(4)?,
        device_id: r.get(5)?,
        seq: to_u64(r.get(6)?),
        event_id: r.get(7)?,
        parcel_id: r.get(8)?,
        order_ref: r.get(9)?,
        depot: r.get(10)?,
        signed_at_ms: r.get(11)?,
        stored_at_ms: r.get(12)?,
    })
}

/// Writes the photos a stored event names.
pub(super) fn insert_refs(
    tx: &Connection,
    device_id: &str,
    e: &NewEvent,
) -> Result<(), ServerError> {
    for p in &e.event.body.photos {
        tx.prepare_cached(sql::INSERT_REF)
            .map_err(db_err)?
            .execute(params![
                device_id,
                to_i64(e.event.body.seq),
                p.sha256,
                e.event.body.event_id,
                e.event.body.parcel_id,
                e.order_ref,
                e.depot,
                to_i64(p.bytes),
                p.width,
                p.height,
                p.taken_at_ms,
                e.signed_at_ms
            ])
            .map_err(db_err)?;
    }
    Ok(())
}

#[async_trait]
impl PhotoStorage for SqliteStore {
    async fn photo_named_by(
        &self,
        device_id: &str,
        sha256: &str,
    ) -> Result<Option<NamedPhoto>, ServerError> {
        let (device_id, sha256) = (device_id.to_owned(), sha256.to_owned());
        self.worker
            .run(move |c| {
                c.query_row(
                    &format!(
                        "SELECT {} FROM photo_refs r LEFT JOIN photos_stored s ON s.sha256 = r.sha256
                         WHERE r.device_id = ?1 AND r.sha256 = ?2 ORDER BY r.seq LIMIT 1",
                        sql::COLUMNS
                    ),
                    params![device_id, sha256],
                    named,
                )
                .optional()
                .map_err(db_err)
            })
            .await
    }

    async fn photo_stored(
        &self,
        sha256: &str,
        bytes: u64,
        device_id: &str,
        now_ms: i64,
    ) -> Result<i64, ServerError> {
        let (sha256, device_id) = (sha256.to_owned(), device_id.to_owned());
        self.worker
            .run(move |c| {
                c.execute(
                    sql::INSERT_STORED,
                    params![sha256, to_i64(bytes), device_id, now_ms],
                )
                .map_err(db_err)?;
                c.query_row(sql::STORED_AT, [sha256], |r| r.get(0))
                    .map_err(db_err)
            })
            .await
    }

    async fn photos_between(
        &self,
        depot: Option<&str>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<NamedPhoto>, ServerError> {
        let depot = depot.map(str::to_owned);
        self.worker
            .run(move |c| {
                let mut stmt = c
                    .prepare(&format!(
                        "SELECT {} FROM photo_refs r LEFT JOIN photos_stored s ON s.sha256 = r.sha256
                         WHERE r.signed_at_ms >= ?1 AND r.signed_at_ms < ?2 AND (?3 IS NULL OR r.depot = ?3)
                         ORDER BY r.signed_at_ms, r.device_id, r.seq, r.sha256",
                        sql::COLUMNS
                    ))
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![from_ms, to_ms, depot], named)
                    .map_err(db_err)?;
                rows.collect::<Result<Vec<_>, _>>().map_err(db_err)
            })
            .await
    }
}
