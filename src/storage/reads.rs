//! The read queries, the same on the store and inside a write transaction, so
//! that a decision can be taken on what is committed (see [`super::Store::append`]).

use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::manifest::{ManifestParcel, SignedManifest};
use rusqlite::{Connection, OptionalExtension, params};

use super::connected::Connected;
use super::identity::{self, MetaKey};
use super::row_codec::{decode, encode, tip};
use super::store_error::{StoreError, classify};
use crate::domain::identity::Identity;
use crate::domain::parcel::{Parcel, ParcelState, Visit};

/// An open write transaction: what a decision reads is what it commits against.
pub struct Tx<'c>(pub(crate) &'c Connection);

impl Connected for Tx<'_> {
    fn conn(&self) -> &Connection {
        self.0
    }
}

impl Reads for Tx<'_> {}

/// Every read of the terminal's database.
pub trait Reads: Connected {
    /// Reads a meta value.
    fn meta(&self, key: MetaKey) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [key.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(classify("reading settings"))
    }

    /// Who this device is (`None` before `init`).
    fn identity(&self) -> Result<Option<Identity>, StoreError> {
        identity::identity(self)
    }

    /// The last successful sync, device time, ms.
    fn last_sync_ms(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.meta(MetaKey::LastSyncMs)?.and_then(|v| v.parse().ok()))
    }

    /// The stored clock floor, ms.
    fn clock_floor(&self) -> Result<i64, StoreError> {
        Ok(self
            .meta(MetaKey::ClockFloorMs)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The last event's seq and hash.
    fn chain_tip(&self) -> Result<ChainTip, StoreError> {
        tip(self.conn())
    }

    /// Highest manifest version accepted, with its body hash.
    fn highest_manifest(&self) -> Result<Option<(u64, [u8; 32])>, StoreError> {
        let row: Option<(i64, String)> = self
            .conn()
            .query_row(
                "SELECT version, body_hash FROM manifests ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(classify("reading manifests"))?;
        row.map(|(v, h)| {
            let hash = courier_protocol::keys::decode_hex_array::<32>(&h, "body_hash")?;
            Ok((u64::try_from(v).unwrap_or(0), hash))
        })
        .transpose()
    }

    /// Version of the manifest in force (no JSON decoding).
    fn highest_manifest_version(&self) -> Result<Option<u64>, StoreError> {
        self.conn()
            .query_row("SELECT MAX(version) FROM manifests", [], |r| r.get(0))
            .map_err(classify("reading manifests"))
    }

    /// The manifest in force.
    fn current_manifest(&self) -> Result<Option<SignedManifest>, StoreError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT signed_json FROM manifests ORDER BY version DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(classify("reading manifests"))?;
        text.map(|t| decode("manifest", &t)).transpose()
    }

    /// Every manifest accepted, oldest version first (day reports look up
    /// the version each `manifest_accepted` event names).
    fn manifests(&self) -> Result<Vec<SignedManifest>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT signed_json FROM manifests ORDER BY version")
            .map_err(classify("reading manifests"))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(classify("reading manifests"))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(decode(
                "manifest",
                &row.map_err(classify("reading manifests"))?,
            )?);
        }
        Ok(out)
    }

    /// All parcels in route order.
    fn parcels(&self) -> Result<Vec<Parcel>, StoreError> {
        query_parcels(self.conn(), "ORDER BY route_order, label", [])
    }

    /// A parcel by its label barcode.
    fn parcel_by_label(&self, label: &str) -> Result<Option<Parcel>, StoreError> {
        Ok(query_parcels(self.conn(), "WHERE label = ?1", [label])?.pop())
    }

    /// A parcel by id.
    fn parcel_by_id(&self, parcel_id: &str) -> Result<Option<Parcel>, StoreError> {
        Ok(query_parcels(self.conn(), "WHERE parcel_id = ?1", [parcel_id])?.pop())
    }

    /// Events from `from_seq` on, at most `limit`, in sequence order.
    fn events(&self, from_seq: u64, limit: u32) -> Result<Vec<SignedEvent>, StoreError> {
        query_events(
            self.conn(),
            "WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
            params![from_seq, limit],
        )
    }

    /// Events of one parcel, oldest first.
    fn parcel_events(&self, parcel_id: &str) -> Result<Vec<SignedEvent>, StoreError> {
        query_events(
            self.conn(),
            "WHERE parcel_id = ?1 ORDER BY seq",
            [parcel_id],
        )
    }

    /// One event by id.
    fn event_by_id(&self, event_id: &str) -> Result<Option<SignedEvent>, StoreError> {
        Ok(query_events(self.conn(), "WHERE event_id = ?1", [event_id])?.pop())
    }

    /// Tries spent and not yet answered by an event, oldest first.
    fn tries_in_flight(&self) -> Result<Vec<super::TryInFlight>, StoreError> {
        super::tries::tries_in_flight(self)
    }

    /// Tries spent on a supervisor credential (`<supervisor id>:<fingerprint>`).
    fn supervisor_tries(&self, credential: &str) -> Result<u32, StoreError> {
        super::supervisor_tries::supervisor_tries(self, credential)
    }

    /// Every event, in sequence order.
    fn all_events(&self) -> Result<Vec<SignedEvent>, StoreError> {
        query_events(self.conn(), "WHERE seq >= ?1 ORDER BY seq", [1])
    }

    /// The events the day's book reads, in sequence order: every event but
    /// the kinds it ignores (`courier_protocol::rules::returns::KINDS_THE_BOOK_IGNORES`),
    /// so a scan at the depot decodes a fraction of the day's log.
    fn events_for_day_book(&self) -> Result<Vec<SignedEvent>, StoreError> {
        let ignored: Vec<String> = courier_protocol::rules::returns::KINDS_THE_BOOK_IGNORES
            .iter()
            .map(|k| encode(k).map(|s| format!("'{}'", s.trim_matches('"'))))
            .collect::<Result<_, _>>()?;
        query_events(
            self.conn(),
            &format!("WHERE kind NOT IN ({}) ORDER BY seq", ignored.join(",")),
            [],
        )
    }

    /// The events the day's status reads (`DayStatus::KINDS_IT_READS`: closes,
    /// reopenings, manifests), in sequence order, found by the `events_kind`
    /// index: a code entry does not decode the whole day's log.
    fn events_for_day_status(&self) -> Result<Vec<SignedEvent>, StoreError> {
        let kinds: Vec<String> = courier_protocol::rules::DayStatus::KINDS_IT_READS
            .iter()
            .map(|k| encode(k).map(|s| format!("'{}'", s.trim_matches('"'))))
            .collect::<Result<_, _>>()?;
        query_events(
            self.conn(),
            &format!("WHERE kind IN ({}) ORDER BY seq", kinds.join(",")),
            [],
        )
    }

    /// Version, expiry and settings of the manifest in force, without decoding it.
    fn manifest_in_force(
        &self,
    ) -> Result<Option<(u64, i64, courier_protocol::manifest::ManifestSettings)>, StoreError> {
        let row: Option<(u64, Option<i64>, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT version, expires_at_ms, settings_json FROM manifests ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(classify("reading manifests"))?;
        row.map(|(version, expires, settings)| {
            Ok((
                version,
                expires.unwrap_or(0),
                match settings {
                    Some(s) => decode("manifest settings", &s)?,
                    None => Default::default(),
                },
            ))
        })
        .transpose()
    }

    /// Events not yet acknowledged by the server.
    fn pending_count(&self) -> Result<u64, StoreError> {
        self.conn()
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE acked_status IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(classify("counting the outbox"))
    }
}

fn query_parcels<P: rusqlite::Params>(
    conn: &Connection,
    tail: &str,
    params: P,
) -> Result<Vec<Parcel>, StoreError> {
    let sql = format!(
        "SELECT spec_json, state, attempts_spent, visit_json, collected_label, loaded, desk_json FROM parcels {tail}"
    );
    let mut stmt = conn.prepare(&sql).map_err(classify("reading parcels"))?;
    let rows = stmt
        .query_map(params, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })
        .map_err(classify("reading parcels"))?;
    let mut out = Vec::new();
    for row in rows {
        let (spec, state, attempts_spent, visit, collected_label, loaded, desk) =
            row.map_err(classify("reading parcels"))?;
        let spec: ManifestParcel = decode("parcel", &spec)?;
        let state = ParcelState::from_db(&state)
            .ok_or_else(|| StoreError::Decode(format!("parcel state {state}")))?;
        let visit: Option<Visit> = visit.map(|v| decode("visit", &v)).transpose()?;
        out.push(Parcel {
            spec,
            state,
            attempts_spent,
            visit,
            collected_label,
            loaded,
            desk: desk.map(|d| decode("desk custody", &d)).transpose()?,
        });
    }
    Ok(out)
}

fn query_events<P: rusqlite::Params>(
    conn: &Connection,
    tail: &str,
    params: P,
) -> Result<Vec<SignedEvent>, StoreError> {
    const CTX: &str = "reading events";
    let mut stmt = conn
        .prepare_cached(&format!("SELECT body, hash, signature FROM events {tail}"))
        .map_err(classify(CTX))?;
    let rows = stmt
        .query_map(params, |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(classify(CTX))?;
    let mut out = Vec::new();
    for row in rows {
        let (body, hash, signature) = row.map_err(classify(CTX))?;
        out.push(SignedEvent {
            body: decode("event", &body)?,
            hash,
            signature,
        });
    }
    Ok(out)
}
