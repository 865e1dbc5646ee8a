//! The server's depot tables, in one place: supervisor credentials (what
//! manifests carry, and the keys `K` that check supervisor proofs) and the
//! day-close flags the back office reads.

use courier_protocol::api::DayCloseFlag;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::manifest::{ManifestParcel, SignedManifest};
use courier_protocol::supervisor::SupervisorCredential;
use courier_protocol::vocabulary::SupervisorFactor;
use rusqlite::{Connection, OptionalExtension, params};

use crate::ServerError;
use crate::db::ServerDb;

/// The depot tables (created with the rest of the schema).
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS supervisors (
    supervisor_id TEXT PRIMARY KEY,
    depot TEXT NOT NULL,
    credential_json TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS supervisor_keys (
    supervisor_id TEXT NOT NULL,
    factor TEXT NOT NULL,
    key_hex TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (supervisor_id, factor, key_hex)
);
CREATE TABLE IF NOT EXISTS day_close_flags (
    event_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    differences_json TEXT NOT NULL,
    flagged_at_ms INTEGER NOT NULL
);
"#;

fn db_err(e: rusqlite::Error) -> ServerError {
    ServerError::Database(e.to_string())
}

fn factor_str(f: SupervisorFactor) -> &'static str {
    match f {
        SupervisorFactor::Badge => "badge",
        SupervisorFactor::Pin => "pin",
    }
}

impl ServerDb {
    /// Stores (or re-issues) a supervisor's credential and keys. Earlier keys
    /// stay, so events signed under a manifest carrying the old credential
    /// still verify.
    pub fn put_supervisor(
        &mut self,
        depot: &str,
        credential: &SupervisorCredential,
        keys: &[(SupervisorFactor, [u8; 32])],
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let json =
            serde_json::to_string(credential).map_err(|e| ServerError::Database(e.to_string()))?;
        let tx = self.conn.transaction().map_err(db_err)?;
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

    /// The credentials of a depot's supervisors, for its manifests.
    pub fn depot_supervisors(&self, depot: &str) -> Result<Vec<SupervisorCredential>, ServerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT credential_json FROM supervisors WHERE depot = ?1 ORDER BY supervisor_id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([depot], |r| r.get::<_, String>(0))
            .map_err(db_err)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(
                serde_json::from_str(&row.map_err(db_err)?)
                    .map_err(|e| ServerError::Database(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// Records a day close at odds with the events held (once per event).
    pub fn flag_day_close(conn: &Connection, flag: &DayCloseFlag) -> Result<(), ServerError> {
        let json = serde_json::to_string(&flag.differences)
            .map_err(|e| ServerError::Database(e.to_string()))?;
        conn.execute(
            "INSERT OR IGNORE INTO day_close_flags(event_id, device_id, seq, differences_json, flagged_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                flag.event_id,
                flag.device_id,
                i64::try_from(flag.seq).unwrap_or(i64::MAX),
                json,
                flag.flagged_at_ms
            ],
        )
        .map(|_| ())
        .map_err(db_err)
    }

    /// Every day-close flag, oldest first.
    pub fn day_close_flags(&self) -> Result<Vec<DayCloseFlag>, ServerError> {
        let mut stmt = self
            .conn
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
                seq: u64::try_from(seq).unwrap_or(0),
                differences: serde_json::from_str(&json)
                    .map_err(|e| ServerError::Database(e.to_string()))?,
                flagged_at_ms: at,
            });
        }
        Ok(out)
    }
}

/// Every key `K` ever issued to a supervisor for a factor.
pub(crate) fn supervisor_keys(
    conn: &Connection,
    supervisor_id: &str,
    factor: SupervisorFactor,
) -> Result<Vec<[u8; 32]>, ServerError> {
    let mut stmt = conn
        .prepare("SELECT key_hex FROM supervisor_keys WHERE supervisor_id = ?1 AND factor = ?2")
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![supervisor_id, factor_str(factor)], |r| {
            r.get::<_, String>(0)
        })
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(
            courier_protocol::keys::decode_hex_array::<32>(&row.map_err(db_err)?, "key")
                .map_err(|e| ServerError::Database(e.to_string()))?,
        );
    }
    Ok(out)
}

/// A device's stored events, in order, on a connection or open transaction.
pub(crate) fn device_events_in(
    conn: &Connection,
    device_id: &str,
) -> Result<Vec<SignedEvent>, ServerError> {
    let mut stmt = conn
        .prepare("SELECT signed_json FROM events WHERE device_id = ?1 ORDER BY seq")
        .map_err(db_err)?;
    let rows = stmt
        .query_map([device_id], |r| r.get::<_, String>(0))
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(
            serde_json::from_str(&row.map_err(db_err)?)
                .map_err(|e| ServerError::Database(e.to_string()))?,
        );
    }
    Ok(out)
}

/// The parcels a device holds after accepting the manifest `versions` (in
/// order): the last listing of each parcel wins, as on the terminal.
pub(crate) fn day_parcels_in(
    conn: &Connection,
    device_id: &str,
    versions: &[u64],
) -> Result<Vec<ManifestParcel>, ServerError> {
    let mut manifests: Vec<SignedManifest> = Vec::new();
    for v in versions {
        let json: Option<String> = conn
            .query_row(
                "SELECT signed_json FROM manifests WHERE device_id = ?1 AND version = ?2",
                params![device_id, i64::try_from(*v).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        if let Some(json) = json {
            manifests.push(
                serde_json::from_str(&json).map_err(|e| ServerError::Database(e.to_string()))?,
            );
        }
    }
    Ok(courier_protocol::rules::returns::day_parcels(
        manifests.iter().map(|m| m.body.parcels.as_slice()),
    ))
}

/// Whether the device's manifest `version` lists the supervisor: a supervisor
/// signs only on devices whose manifest carried their credential.
pub(crate) fn listed_in_manifest(
    conn: &Connection,
    device_id: &str,
    version: u64,
    supervisor_id: &str,
) -> Result<bool, ServerError> {
    conn.query_row(
        "SELECT 1 FROM manifests m, json_each(m.signed_json, '$.body.supervisors') j
         WHERE m.device_id = ?1 AND m.version = ?2
           AND json_extract(j.value, '$.supervisor_id') = ?3",
        params![
            device_id,
            i64::try_from(version).unwrap_or(i64::MAX),
            supervisor_id
        ],
        |_| Ok(()),
    )
    .optional()
    .map(|o| o.is_some())
    .map_err(db_err)
}
