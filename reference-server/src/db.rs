//! The server's SQLite file: key, devices, tokens, orders, manifests, events, nonces.

use std::path::Path;

use courier_protocol::envelope::{ChainTip, GENESIS_PREV_HASH, SignedEvent};
use courier_protocol::keys::PublicKey;
use courier_protocol::manifest::ManifestParcel;
use rusqlite::{Connection, OptionalExtension, params};

use crate::ServerError;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enroll_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at_ms INTEGER NOT NULL,
    used_by TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    public_key TEXT NOT NULL UNIQUE,
    hardware_label TEXT NOT NULL,
    enrolled_at_ms INTEGER NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    parcel_id TEXT PRIMARY KEY,
    order_ref TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL UNIQUE,
    spec_json TEXT NOT NULL,
    numeric_key TEXT NOT NULL,
    qr_key TEXT NOT NULL,
    attempts_spent INTEGER NOT NULL DEFAULT 0,
    attempt_limit INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS manifests (
    device_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    signed_json TEXT NOT NULL,
    PRIMARY KEY (device_id, version)
);
CREATE TABLE IF NOT EXISTS manifest_parcels (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    PRIMARY KEY (device_id, parcel_id)
);
CREATE TABLE IF NOT EXISTS events (
    device_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL UNIQUE,
    hash TEXT NOT NULL,
    signed_json TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE TABLE IF NOT EXISTS nonces (
    device_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
CREATE TABLE IF NOT EXISTS withdrawals (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (device_id, parcel_id, version)
);
CREATE TABLE IF NOT EXISTS parcel_ledgers (
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    ledger_json TEXT NOT NULL,
    PRIMARY KEY (device_id, parcel_id)
);
CREATE TABLE IF NOT EXISTS proof_failures (
    event_hash TEXT PRIMARY KEY,
    parcel_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS code_checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    parcel_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    result TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
"#;

/// An enrolled device.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    /// Its id.
    pub device_id: String,
    /// Its key.
    pub public_key: PublicKey,
    /// The last stored event.
    pub tip: ChainTip,
}

/// An order as the server keeps it: the parcel spec and the derived keys only.
#[derive(Debug, Clone)]
pub struct OrderRow {
    /// The parcel as a manifest lists it (route order and withdrawn set at issue).
    pub spec: ManifestParcel,
    /// `K` of the numeric form.
    pub numeric_key: [u8; 32],
    /// `K` of the QR form.
    pub qr_key: [u8; 32],
    /// Attempts counted by online checks.
    pub attempts_spent: u32,
    /// Wrong-code limit.
    pub attempt_limit: u32,
}

/// The server's database connection.
pub struct ServerDb {
    pub(crate) conn: Connection,
}

fn db_err(e: rusqlite::Error) -> ServerError {
    ServerError::Database(e.to_string())
}

impl ServerDb {
    /// Opens (or creates) the database file.
    pub fn open(path: &Path) -> Result<Self, ServerError> {
        let conn = Connection::open(path).map_err(db_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db_err)?;
        conn.execute_batch(SCHEMA).map_err(db_err)?;
        conn.execute_batch(crate::supervisors_db::SCHEMA)
            .map_err(db_err)?;
        Ok(ServerDb { conn })
    }

    /// Reads a meta value.
    pub fn meta(&self, key: &str) -> Result<Option<String>, ServerError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(db_err)
    }

    /// Writes a meta value.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), ServerError> {
        self.conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Stores a new enrollment token (by its hash).
    pub fn add_token(&self, token_hash: &str, expires_at_ms: i64) -> Result<(), ServerError> {
        self.conn
            .execute(
                "INSERT INTO enroll_tokens(token_hash, expires_at_ms) VALUES (?1, ?2)",
                params![token_hash, expires_at_ms],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// A token's expiry and the device it enrolled, if any.
    pub fn token(&self, token_hash: &str) -> Result<Option<(i64, Option<String>)>, ServerError> {
        self.conn
            .query_row(
                "SELECT expires_at_ms, used_by FROM enroll_tokens WHERE token_hash = ?1",
                [token_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)
    }

    /// Enrolls a device and spends the token, atomically.
    pub fn enroll(
        &mut self,
        token_hash: &str,
        device_id: &str,
        key: &PublicKey,
        hardware_label: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        let tx = self.conn.transaction().map_err(db_err)?;
        tx.execute(
            "INSERT INTO devices(device_id, public_key, hardware_label, enrolled_at_ms, last_seq, last_hash)
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            params![device_id, key.to_hex(), hardware_label, now_ms, GENESIS_PREV_HASH],
        )
        .map_err(db_err)?;
        tx.execute(
            "UPDATE enroll_tokens SET used_by = ?2 WHERE token_hash = ?1",
            params![token_hash, device_id],
        )
        .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    /// Looks a device up.
    pub fn device(&self, device_id: &str) -> Result<Option<DeviceRow>, ServerError> {
        let row: Option<(String, String, i64, String)> = self
            .conn
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
                public_key: PublicKey::from_hex(&pk)
                    .map_err(|e| ServerError::Database(e.to_string()))?,
                tip: ChainTip {
                    seq: u64::try_from(seq).unwrap_or(0),
                    hash,
                },
            })
        })
        .transpose()
    }

    /// Records a request nonce; `false` when it was already used.
    pub fn use_nonce(
        &self,
        device_id: &str,
        nonce: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<bool, ServerError> {
        self.conn
            .execute(
                "DELETE FROM nonces WHERE ts_ms < ?1",
                [now_ms - 2 * window_ms],
            )
            .map_err(db_err)?;
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO nonces(device_id, nonce, ts_ms) VALUES (?1, ?2, ?3)",
                params![device_id, nonce, now_ms],
            )
            .map_err(db_err)?;
        Ok(n == 1)
    }

    /// Stores a new order.
    pub fn add_order(&self, order: &OrderRow) -> Result<(), ServerError> {
        let spec =
            serde_json::to_string(&order.spec).map_err(|e| ServerError::Database(e.to_string()))?;
        self.conn
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

    /// Looks an order up by parcel id.
    pub fn order(&self, parcel_id: &str) -> Result<Option<OrderRow>, ServerError> {
        Self::order_in(&self.conn, parcel_id)
    }

    /// Looks an order up by parcel id on a connection or transaction.
    pub fn order_in(conn: &Connection, parcel_id: &str) -> Result<Option<OrderRow>, ServerError> {
        let row: Option<(String, String, String, u32, u32)> = conn
            .query_row(
                "SELECT spec_json, numeric_key, qr_key, attempts_spent, attempt_limit FROM orders WHERE parcel_id = ?1",
                [parcel_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(db_err)?;
        let corrupt = |what: &str| ServerError::Database(format!("order {parcel_id}: bad {what}"));
        row.map(|(spec, nk, qk, spent, limit)| {
            Ok(OrderRow {
                spec: serde_json::from_str(&spec).map_err(|_| corrupt("spec"))?,
                numeric_key: courier_protocol::keys::decode_hex_array(&nk, "numeric_key")
                    .map_err(|_| corrupt("key"))?,
                qr_key: courier_protocol::keys::decode_hex_array(&qk, "qr_key")
                    .map_err(|_| corrupt("key"))?,
                attempts_spent: spent,
                attempt_limit: limit,
            })
        })
        .transpose()
    }

    /// Gives a correct code its try back (never below zero); returns the count.
    pub fn restore_attempt(&self, parcel_id: &str) -> Result<u32, ServerError> {
        self.conn
            .query_row(
                "UPDATE orders SET attempts_spent = MAX(attempts_spent - 1, 0) WHERE parcel_id = ?1
                 RETURNING attempts_spent",
                [parcel_id],
                |r| r.get(0),
            )
            .map_err(db_err)
    }

    /// Counts one online attempt durably; returns the new count.
    pub fn spend_attempt(&self, parcel_id: &str) -> Result<u32, ServerError> {
        self.conn
            .query_row(
                "UPDATE orders SET attempts_spent = attempts_spent + 1 WHERE parcel_id = ?1
                 RETURNING attempts_spent",
                [parcel_id],
                |r| r.get(0),
            )
            .map_err(db_err)
    }

    /// Logs an online check.
    pub fn log_code_check(
        &self,
        device_id: &str,
        parcel_id: &str,
        nonce: &str,
        result: &str,
        now_ms: i64,
    ) -> Result<(), ServerError> {
        self.conn
            .execute(
                "INSERT INTO code_checks(device_id, parcel_id, nonce, result, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![device_id, parcel_id, nonce, result, now_ms],
            )
            .map(|_| ())
            .map_err(db_err)
    }

    /// Highest manifest version issued to a device (0 when none).
    pub fn latest_manifest(&self, device_id: &str) -> Result<Option<(u64, String)>, ServerError> {
        self.conn
            .query_row(
                "SELECT version, signed_json FROM manifests WHERE device_id = ?1 ORDER BY version DESC LIMIT 1",
                [device_id],
                |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)
            .map(|o| o.map(|(v, s)| (u64::try_from(v).unwrap_or(0), s)))
    }

    /// Stores a signed manifest, the parcels it gives the device and those it withdraws.
    pub fn add_manifest(
        &mut self,
        device_id: &str,
        version: u64,
        signed_json: &str,
        parcel_ids: &[String],
        withdrawn: &[String],
    ) -> Result<(), ServerError> {
        let tx = self.conn.transaction().map_err(db_err)?;
        for p in withdrawn {
            tx.execute(
                "INSERT OR IGNORE INTO withdrawals(device_id, parcel_id, version) VALUES (?1, ?2, ?3)",
                params![device_id, p, i64::try_from(version).unwrap_or(i64::MAX)],
            )
            .map_err(db_err)?;
        }
        tx.execute(
            "INSERT INTO manifests(device_id, version, signed_json) VALUES (?1, ?2, ?3)",
            params![
                device_id,
                i64::try_from(version).unwrap_or(i64::MAX),
                signed_json
            ],
        )
        .map_err(db_err)?;
        for p in parcel_ids {
            tx.execute(
                "INSERT OR IGNORE INTO manifest_parcels(device_id, parcel_id) VALUES (?1, ?2)",
                params![device_id, p],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    /// Whether a parcel was ever in a manifest issued to the device.
    pub fn parcel_issued_to(&self, device_id: &str, parcel_id: &str) -> Result<bool, ServerError> {
        self.conn
            .query_row(
                "SELECT 1 FROM manifest_parcels WHERE device_id = ?1 AND parcel_id = ?2",
                [device_id, parcel_id],
                |_| Ok(()),
            )
            .optional()
            .map(|o| o.is_some())
            .map_err(db_err)
    }

    /// A stored event's device and hash, by event id.
    pub fn event_hash(&self, event_id: &str) -> Result<Option<(String, String)>, ServerError> {
        self.conn
            .query_row(
                "SELECT device_id, hash FROM events WHERE event_id = ?1",
                [event_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)
    }

    /// Every stored event of a device, in order.
    pub fn device_events(&self, device_id: &str) -> Result<Vec<SignedEvent>, ServerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT signed_json FROM events WHERE device_id = ?1 ORDER BY seq")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([device_id], |r| r.get::<_, String>(0))
            .map_err(db_err)?;
        let mut out = Vec::new();
        for row in rows {
            let json = row.map_err(db_err)?;
            out.push(
                serde_json::from_str(&json).map_err(|e| ServerError::Database(e.to_string()))?,
            );
        }
        Ok(out)
    }
}
