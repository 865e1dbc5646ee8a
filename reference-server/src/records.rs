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
