//! How rows hold values: JSON text for structured columns, and the chain tip
//! read from the events table.

use courier_protocol::envelope::ChainTip;
use rusqlite::{Connection, OptionalExtension};

use super::store_error::{StoreError, classify};

pub(super) fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Decode(format!("{what}: {e}")))
}

pub(super) fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Decode(e.to_string()))
}

pub(super) fn tip(conn: &Connection) -> Result<ChainTip, StoreError> {
    let row: Option<(u64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(classify("reading the chain tip"))?;
    Ok(row.map_or_else(ChainTip::genesis, |(seq, hash)| ChainTip { seq, hash }))
}
