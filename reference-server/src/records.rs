//! The rows the server keeps, as plain values: what the storage returns
//! and takes, and what the rules read.

use courier_protocol::envelope::{ChainTip, SignedEvent};
use courier_protocol::keys::PublicKey;
use courier_protocol::manifest::{ManifestBody, ManifestParcel};
use serde::{Deserialize, Serialize};

/// An enrolled device.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    /// Its id.
    pub device_id: String,
    /// Its key.
    pub public_key: PublicKey,
    /// The last stored event.
    pub tip: ChainTip,
    /// When and why the back office revoked it, if it did.
    pub revoked: Option<Revocation>,
}

/// A device as the fleet page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetRow {
    /// Its id.
    pub device_id: String,
    /// The label printed on the hardware.
    pub hardware_label: String,
    /// The depot its latest manifest names, if any.
    pub depot: Option<String>,
    /// Server time of enrollment, Unix ms.
    pub enrolled_at_ms: i64,
    /// Its public key, hex.
    pub public_key_hex: String,
    /// Sequence number of its last stored event.
    pub last_seq: i64,
    /// Server time of its last upload that stored an event, if any.
    pub last_sync_ms: Option<i64>,
    /// When and why it was revoked, if it was.
    pub revoked: Option<Revocation>,
    /// What it said of itself with its last upload.
    pub reported: DeviceReported,
}

/// What a device said of itself with its uploads, as last reported (each
/// field as last sent: a device that does not send one keeps the old value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceReported {
    /// The app's version.
    pub app_version: Option<String>,
    /// Its platform: `test` or `production`.
    pub profile: Option<String>,
    /// Events still waiting in its outbox behind its last batch.
    pub events_waiting: Option<i64>,
    /// The size of the event log's checkpoint it keeps.
    pub log_size: Option<i64>,
    /// Server time of the report, Unix ms.
    pub at_ms: Option<i64>,
}

/// A device's revocation: its requests are refused from then on, and its
/// events signed after `at_ms` are stored but not honoured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// From when, Unix milliseconds.
    pub at_ms: i64,
    /// Why, in the operator's words.
    pub reason: String,
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

/// Something the back office must look at (a fork of a device's chain, an
/// event id reused with other content): recorded, never dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// Row id, increasing.
    pub id: i64,
    /// What happened: `fork` or `event_id_conflict`.
    pub kind: String,
    /// The device that uploaded it.
    pub device_id: String,
    /// A sentence with the sequence number, both hashes and the event id.
    pub detail: String,
    /// Server time of the upload, Unix milliseconds.
    pub at_ms: i64,
}

/// What one device's day report is computed from.
#[derive(Debug, Clone)]
pub struct ReportSource {
    /// The device.
    pub device_id: String,
    /// Every manifest issued to it, by version.
    pub manifests: Vec<ManifestBody>,
    /// Every event it uploaded that the server honoured, in sequence order
    /// (verified at ingest; those stored as not honoured are left out).
    pub events: Vec<SignedEvent>,
}

/// A manifest to store.
pub struct NewManifest<'a> {
    /// The device.
    pub device_id: &'a str,
    /// Its version.
    pub version: u64,
    /// The signed manifest as JSON.
    pub signed_json: &'a str,
    /// Parcels it lists (withdrawn ones included).
    pub parcel_ids: &'a [String],
    /// Parcels it withdraws.
    pub withdrawn: &'a [String],
    /// The depot it names.
    pub depot: &'a str,
}

/// A stored event's signed time: the GNSS time when the device had one, else
/// its wall clock. Partitions and day queries use it.
pub fn signed_time_ms(event: &SignedEvent) -> i64 {
    event.body.signed_time_ms()
}

/// An event stored as evidence but not honoured, for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotHonouredRow {
    /// The device.
    pub device_id: String,
    /// Its sequence number.
    pub seq: i64,
    /// The order it names, if any.
    pub order_ref: Option<String>,
    /// Its signed time, Unix ms.
    pub signed_at_ms: i64,
    /// Why it was not honoured.
    pub reason: String,
}

/// The last eight digits of a phone number, how orders are found by the
/// buyer's phone (`+216 98 123 456`, `98123456` and `0021698123456` meet).
pub fn phone_tail(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    digits[digits.len().saturating_sub(8)..].iter().collect()
}

/// What the orders page searches by: a text (an order reference, a label or
/// a phone number, matched exactly) and a span of signed time (a local day).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderSearch {
    /// An order reference, a label or a buyer's phone.
    pub text: Option<String>,
    /// Orders with an event signed in `[from, to)`, Unix ms.
    pub signed_between: Option<(i64, i64)>,
    /// At most this many orders.
    pub limit: u32,
}

/// An order found: its identity, its buyer's phone, and its latest event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderHit {
    /// The parcel.
    pub parcel_id: String,
    /// The order reference.
    pub order_ref: String,
    /// The label.
    pub label: String,
    /// The spec as issued (recipient, address, amount).
    pub spec: ManifestParcel,
    /// Signed time of its latest event, if any.
    pub last_event_ms: Option<i64>,
    /// The depot of its latest event, if any.
    pub depot: Option<String>,
}
