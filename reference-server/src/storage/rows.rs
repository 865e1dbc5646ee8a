//! Row decoding and encoding both engines share: the columns of an order and
//! a device, stored manifests, day-report sources, counters and supervisor
//! factors. Each engine reads its columns and hands them here.

use courier_protocol::api::DayCloseFlag;
use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::keys::{PublicKey, decode_hex_array};
use courier_protocol::manifest::{ManifestBody, SignedManifest};
use courier_protocol::vocabulary::SupervisorFactor;

use crate::error::StorageError;
use crate::records::{
    DeviceReported, DeviceRow, FleetRow, OrderHit, OrderRow, OrderSearch, ReportSource, Revocation,
    phone_tail,
};

/// A device from its stored columns.
pub(crate) fn device_row(
    device_id: String,
    public_key: &str,
    last_seq: i64,
    last_hash: String,
    revoked: (Option<i64>, Option<String>),
) -> Result<DeviceRow, StorageError> {
    Ok(DeviceRow {
        revoked: revoked.0.map(|at_ms| Revocation {
            at_ms,
            reason: revoked.1.unwrap_or_default(),
        }),
        public_key: PublicKey::from_hex(public_key)
            .map_err(|e| StorageError::corrupt(format!("key of device {device_id}"), e))?,
        device_id,
        tip: ChainTip {
            seq: to_u64(last_seq),
            hash: last_hash,
        },
    })
}

/// A fleet row from its stored columns: `(device_id, hardware_label, depot)`,
/// enrollment time, key, last sequence number, last upload and revocation.
pub(crate) fn fleet_row(
    (device_id, hardware_label, depot): (String, String, Option<String>),
    enrolled_at_ms: i64,
    public_key_hex: String,
    last_seq: i64,
    last_sync_ms: Option<i64>,
    revoked: (Option<i64>, Option<String>),
    reported: DeviceReported,
) -> FleetRow {
    FleetRow {
        device_id,
        hardware_label,
        depot,
        enrolled_at_ms,
        public_key_hex,
        last_seq,
        last_sync_ms,
        revoked: revoked.0.map(|at_ms| Revocation {
            at_ms,
            reason: revoked.1.unwrap_or_default(),
        }),
        reported,
    }
}

/// An order from its stored columns.
pub(crate) fn order_row(
    parcel_id: &str,
    spec: &str,
    numeric_key: &str,
    qr_key: &str,
    spent: u32,
    limit: u32,
) -> Result<OrderRow, StorageError> {
    let corrupt = |what: &str, e: courier_protocol::ProtocolError| {
        StorageError::corrupt(format!("{what} of order {parcel_id}"), e)
    };
    Ok(OrderRow {
        spec: serde_json::from_str(spec)
            .map_err(|e| StorageError::corrupt(format!("spec of order {parcel_id}"), e))?,
        numeric_key: decode_hex_array(numeric_key, "numeric_key").map_err(|e| corrupt("key", e))?,
        qr_key: decode_hex_array(qr_key, "qr_key").map_err(|e| corrupt("key", e))?,
        attempts_spent: spent,
        attempt_limit: limit,
    })
}

/// A code key `K` from its stored hex.
pub(crate) fn key_from_hex(hex: &str, what: &str) -> Result<[u8; 32], StorageError> {
    decode_hex_array::<32>(hex, "key").map_err(|e| StorageError::corrupt(what, e))
}

/// A stored event.
pub(crate) fn event(json: &str) -> Result<SignedEvent, StorageError> {
    serde_json::from_str(json).map_err(|e| StorageError::corrupt("event", e))
}

/// A stored JSON value of some kind (`what` names it in the error).
pub(crate) fn json<T: serde::de::DeserializeOwned>(
    json: &str,
    what: &str,
) -> Result<T, StorageError> {
    serde_json::from_str(json).map_err(|e| StorageError::corrupt(what, e))
}

/// A value to store as JSON.
pub(crate) fn to_json<T: serde::Serialize>(value: &T, what: &str) -> Result<String, StorageError> {
    serde_json::to_string(value).map_err(|e| StorageError::corrupt(what, e))
}

/// A reason code as stored (its wire name, e.g. `not_holder`).
pub(crate) fn reason_code(reason: courier_protocol::api::RejectReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A day-close flag from its stored columns.
pub(crate) fn day_close_flag(
    device_id: String,
    event_id: String,
    seq: i64,
    differences_json: &str,
    flagged_at_ms: i64,
) -> Result<DayCloseFlag, StorageError> {
    Ok(DayCloseFlag {
        device_id,
        event_id,
        seq: to_u64(seq),
        differences: json(differences_json, "day-close differences")?,
        flagged_at_ms,
    })
}

/// Groups `(device, signed manifest JSON)` rows (by device, then version; a
/// device without a manifest has `None`) into report sources, keeping those
/// of `depot` when one is named; the events are filled in afterwards.
pub(crate) fn group_report_sources(
    rows: impl IntoIterator<Item = (String, Option<String>)>,
    depot: Option<&str>,
) -> Result<Vec<ReportSource>, StorageError> {
    let mut out: Vec<ReportSource> = Vec::new();
    for (device_id, manifest) in rows {
        if out.last().is_none_or(|s| s.device_id != device_id) {
            out.push(ReportSource {
                device_id: device_id.clone(),
                manifests: Vec::new(),
                events: Vec::new(),
            });
        }
        if let (Some(text), Some(source)) = (manifest, out.last_mut()) {
            source.manifests.push(manifest_body(&text)?);
        }
    }
    out.retain(|s| depot.is_none_or(|d| s.manifests.iter().any(|m| m.depot == d)));
    Ok(out)
}

/// The body of a stored signed manifest.
pub(crate) fn manifest_body(json: &str) -> Result<ManifestBody, StorageError> {
    serde_json::from_str::<SignedManifest>(json)
        .map(|m| m.body)
        .map_err(|e| StorageError::corrupt("manifest", e))
}

/// An `i64` column from a count or sequence number.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A `u64` from an `i64` column (negative values are corrupt and read as 0).
pub(crate) fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A `u32` counter from an `i32` column (negative values read as 0).
pub(crate) fn counter(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// A factor as the stores write it.
pub(crate) fn factor_str(f: SupervisorFactor) -> &'static str {
    match f {
        SupervisorFactor::Badge => "badge",
        SupervisorFactor::Pin => "pin",
    }
}

/// A factor from its stored text.
pub(crate) fn factor_from_str(s: &str) -> Option<SupervisorFactor> {
    match s {
        "badge" => Some(SupervisorFactor::Badge),
        "pin" => Some(SupervisorFactor::Pin),
        _ => None,
    }
}

/// An operator account as stored (roles and depots as JSON arrays).
pub(crate) fn operator_row(
    columns: (String, String, String, String, i64, String, Option<i64>),
) -> Result<crate::operator_rows::OperatorRow, StorageError> {
    let (name, roles, depots, password_hash, created_at_ms, created_by, disabled_at_ms) = columns;
    Ok(crate::operator_rows::OperatorRow {
        name,
        roles: json(&roles, "operator roles")?,
        depots: json(&depots, "operator depots")?,
        password_hash,
        created_at_ms,
        created_by,
        disabled_at_ms,
    })
}

/// The columns an operator account is read from, in [`operator_row`]'s order.
pub(crate) const OPERATOR_COLUMNS: &str =
    "name, roles, depots, password_hash, created_at_ms, created_by, disabled_at_ms";

/// A parameter of an order search's SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SearchParam {
    /// A text.
    Text(String),
    /// A number.
    Int(i64),
}

/// An order search as SQL (`None` when it asks for nothing): the orders
/// matching the text exactly by reference, label or phone tail, with an
/// event signed in the span, their latest event's time and depot, by
/// reference; placeholders written by `ph(1)`, `ph(2)`, ...
pub(crate) fn order_search_sql(
    search: &OrderSearch,
    ph: impl Fn(usize) -> String,
) -> Option<(String, Vec<SearchParam>)> {
    let mut conds = Vec::new();
    let mut params = Vec::new();
    if let Some(text) = search
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        params.push(SearchParam::Text(text.to_owned()));
        let p = ph(params.len());
        let tail = phone_tail(text);
        if tail.len() >= 6 {
            params.push(SearchParam::Text(tail));
            let t = ph(params.len());
            conds.push(format!(
                "(o.order_ref = {p} OR o.label = {p} OR o.phone_tail = {t})"
            ));
        } else {
            conds.push(format!("(o.order_ref = {p} OR o.label = {p})"));
        }
    }
    if let Some((from, to)) = search.signed_between {
        params.push(SearchParam::Int(from));
        let f = ph(params.len());
        params.push(SearchParam::Int(to));
        let t = ph(params.len());
        conds.push(format!(
            "o.order_ref IN (SELECT e.order_ref FROM events e WHERE e.signed_at_ms >= {f} AND e.signed_at_ms < {t} AND e.order_ref IS NOT NULL)"
        ));
    }
    if conds.is_empty() {
        return None;
    }
    params.push(SearchParam::Int(i64::from(search.limit)));
    let l = ph(params.len());
    let latest =
        "FROM events e WHERE e.order_ref = o.order_ref ORDER BY e.signed_at_ms DESC LIMIT 1";
    Some((
        format!(
            "SELECT o.parcel_id, o.order_ref, o.label, o.spec_json, (SELECT e.signed_at_ms {latest}), (SELECT e.depot {latest})
             FROM orders o WHERE {} ORDER BY o.order_ref LIMIT {l}",
            conds.join(" AND ")
        ),
        params,
    ))
}

/// An order hit from its columns.
pub(crate) fn order_hit(
    (parcel_id, order_ref, label): (String, String, String),
    spec_json: &str,
    last_event_ms: Option<i64>,
    depot: Option<String>,
) -> Result<OrderHit, StorageError> {
    Ok(OrderHit {
        spec: json(spec_json, "order spec")?,
        parcel_id,
        order_ref,
        label,
        last_event_ms,
        depot,
    })
}
