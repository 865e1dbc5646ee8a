//! Appending an event: one durable transaction in which the decision is taken on
//! committed state, the event sealed at the chain tip, and its effects written.

use courier_protocol::envelope::SignedEvent;
use courier_protocol::manifest::SignedManifest;
use rusqlite::{TransactionBehavior, params};

use super::reads::Tx;
use super::row_codec::encode;
use super::store::write_parcel;
use super::store_error::{classify, refine};
use super::{MetaKey, Store, StoreError};
use crate::domain::parcel::Parcel;

/// A manifest to record together with the event that accepts it.
pub struct ManifestRow<'a> {
    /// The signed manifest.
    pub signed: &'a SignedManifest,
    /// SHA-256 of its canonical body.
    pub body_hash: [u8; 32],
    /// Acceptance time, ms.
    pub accepted_at_ms: i64,
}

/// What one event is and changes, decided inside the write transaction.
pub struct Append<'a> {
    /// The sealed event; its sequence follows the tip read in the same transaction.
    pub event: SignedEvent,
    /// Parcel rows to write (inserted or replaced; attempt counters can only rise).
    pub parcels: Vec<Parcel>,
    /// A manifest accepted by this event.
    pub manifest: Option<ManifestRow<'a>>,
    /// Meta keys to set.
    pub meta: Vec<(MetaKey, String)>,
    /// The try in flight this event answers (parcel id, attempt).
    pub settles_try: Option<(String, u32)>,
    /// A supervisor credential whose try counter a correct sign-in resets.
    pub resets_supervisor_tries: Option<String>,
    /// Photos taken before the event that it names (their rows get its seq).
    pub names_photos: Vec<String>,
}

impl Store {
    /// Appends one event and its effects in a single durable transaction.
    ///
    /// The write lock is taken first (`BEGIN IMMEDIATE`), then `decide` reads
    /// what it needs through the transaction, applies the rules and seals the
    /// event: whatever another writer (the sync thread, a second process)
    /// committed before is seen, and nothing can be committed in between.
    /// Nothing is written when `decide` refuses.
    pub fn append<'m, E: From<StoreError>>(
        &mut self,
        decide: impl FnOnce(&Tx<'_>) -> Result<Append<'m>, E>,
    ) -> Result<SignedEvent, E> {
        self.append_if(|tx| decide(tx).map(Some))?
            .ok_or_else(|| StoreError::Decode("no event was decided".into()).into())
    }

    /// Like [`Store::append`], but `decide` may find there is nothing to record
    /// (`None`): the transaction is then rolled back and nothing is written.
    pub fn append_if<'m, E: From<StoreError>>(
        &mut self,
        decide: impl FnOnce(&Tx<'_>) -> Result<Option<Append<'m>>, E>,
    ) -> Result<Option<SignedEvent>, E> {
        const CTX: &str = "recording the event";
        let path = self.path().to_owned();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify(CTX))
            .map_err(|e| refine(e, &path))?;
        let Some(append) = decide(&Tx(&tx))? else {
            return Ok(None);
        };
        let event = write(&tx, append)
            .and_then(|event| tx.commit().map(|()| event).map_err(classify(CTX)))
            .map_err(|e| refine(e, &path))?;
        Ok(Some(event))
    }
}

/// Writes the event and its effects in the open transaction.
fn write(tx: &rusqlite::Transaction<'_>, append: Append<'_>) -> Result<SignedEvent, StoreError> {
    const CTX: &str = "recording the event";
    let event = append.event;
    let body = String::from_utf8(event.body.canonical_bytes().map_err(StoreError::from)?)
        .map_err(|e| StoreError::Decode(e.to_string()))?;
    let kind = encode(&event.body.kind)?;
    tx.execute(
        "INSERT INTO events(seq, event_id, parcel_id, kind, body, hash, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            event.body.seq,
            event.body.event_id,
            event.body.parcel_id,
            kind.trim_matches('"'),
            body,
            event.hash,
            event.signature
        ],
    )
    .map_err(classify(CTX))?;
    tx.execute("INSERT INTO outbox(seq) VALUES (?1)", [event.body.seq])
        .map_err(classify(CTX))?;
    for parcel in &append.parcels {
        write_parcel(tx, parcel, event.body.seq)?;
    }
    if let Some(m) = append.manifest {
        tx.execute(
                "INSERT INTO manifests(version, body_hash, signed_json, accepted_at_ms, expires_at_ms, settings_json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    m.signed.body.version,
                    hex::encode(m.body_hash),
                    encode(m.signed)?,
                    m.accepted_at_ms,
                    m.signed.body.expires_at_ms,
                    encode(&m.signed.body.settings)?
                ],
            )
            .map_err(classify(CTX))?;
    }
    if let Some((parcel_id, attempt)) = &append.settles_try {
        tx.execute(
            "DELETE FROM tries_in_flight WHERE parcel_id = ?1 AND attempt = ?2",
            params![parcel_id, attempt],
        )
        .map_err(classify(CTX))?;
    }
    if let Some(credential) = &append.resets_supervisor_tries {
        tx.execute(
            "UPDATE supervisor_tries SET spent = 0 WHERE credential = ?1",
            [credential],
        )
        .map_err(classify(CTX))?;
    }
    for sha256 in &append.names_photos {
        let named = tx
            .execute(
                "UPDATE photos SET event_seq = ?1 WHERE sha256 = ?2 AND event_seq IS NULL AND discarded_at_ms IS NULL",
                params![event.body.seq, sha256],
            )
            .map_err(classify(CTX))?;
        if named != 1 {
            return Err(StoreError::Decode(format!(
                "photo {sha256} is not a photo waiting for its event"
            )));
        }
    }
    for (key, value) in append.meta {
        tx.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key.as_str(), value],
            )
            .map_err(classify(CTX))?;
    }
    Ok(event)
}
