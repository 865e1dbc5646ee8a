//! The day's manifest for one device, as the escrow server signs it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::keys::{PublicKey, Signer, decode_hex_array};
use crate::order_parcels::OrderParcel;
use crate::photo_policy::{PhotoPolicy, check_photo_policy};
use crate::supervisor::SupervisorCredential;
pub use crate::verifier_spec::VerifierSpec;
use crate::vocabulary::{CodePolicy, ParcelKind};

/// Schema tag of manifest bodies.
pub const MANIFEST_SCHEMA: &str = "courier.manifest.v1";
/// Default wrong-code limit per parcel.
pub const DEFAULT_ATTEMPT_LIMIT: u32 = 5;

/// The buyer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Name as the buyer gave it.
    pub name: String,
    /// Phone number to call or message.
    pub phone: String,
}

/// Where to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Street address as printed on the label.
    pub text: String,
    /// City or commune.
    pub city: String,
    /// Latitude in 1e-7 degrees, when the server knows it.
    pub lat_e7: Option<i64>,
    /// Longitude in 1e-7 degrees, when the server knows it.
    pub lon_e7: Option<i64>,
}

/// What to collect for an exchange or a pick-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collect {
    /// What the item is.
    pub description: String,
    /// The label expected on the collected item, if it has one.
    pub label: Option<String>,
}

/// The code material of a parcel: both forms share one shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeMaterial {
    /// Number of digits of the numeric code.
    pub digits: u8,
    /// The numeric (SMS) form.
    pub numeric: VerifierSpec,
    /// The QR (e-mail, app) form.
    pub qr: Option<VerifierSpec>,
}

/// One parcel of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestParcel {
    /// Server's parcel id.
    pub parcel_id: String,
    /// Barcode on the parcel label.
    pub label: String,
    /// The merchant's order reference (what the buyer knows).
    pub order_ref: String,
    /// Delivery, exchange or pick-up.
    pub kind: ParcelKind,
    /// Position in the route, from 1.
    pub route_order: u32,
    /// The buyer.
    pub recipient: Recipient,
    /// The address.
    pub address: Address,
    /// Delivery instructions.
    pub instructions: Option<String>,
    /// Amount held in escrow, in minor units.
    pub amount_minor: i64,
    /// ISO 4217 currency code.
    pub currency: String,
    /// Item to collect (exchange, pick-up).
    pub collect: Option<Collect>,
    /// Offline or online-only code check.
    pub policy: CodePolicy,
    /// Wrong-code limit.
    pub attempt_limit: u32,
    /// Code verifier material.
    pub code: CodeMaterial,
    /// Cancelled before dispatch: must go back to the depot.
    pub withdrawn: bool,
    /// The parcel must be scanned into the vehicle at the morning load check
    /// before it can be delivered, and only once loaded is it expected back
    /// (absent: false, today's manifests; a pick-up carries nothing out and
    /// is never loaded).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub load_check: bool,
    /// An order of several parcels under this entry's one code: every parcel
    /// of the order with its amount, the first being this entry's `label`;
    /// the amounts add up to `amount_minor`. Absent: the order is the one
    /// parcel `label` (today's manifests).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_parcels: Vec<OrderParcel>,
    /// The stop desk the parcel goes to instead of the buyer's door (absent:
    /// delivered at the door).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk: Option<crate::desk_stop::DeskStop>,
}

impl ManifestParcel {
    /// Whether the morning load check must scan this parcel into the vehicle
    /// (the manifest asks for it, and the parcel carries something out).
    pub fn must_be_loaded(&self) -> bool {
        self.load_check && self.kind != ParcelKind::Pickup
    }

    /// Whether this entry is an order of several parcels under one code.
    pub fn has_several_parcels(&self) -> bool {
        !self.order_parcels.is_empty()
    }

    /// Every parcel label of the order, in the manifest's order (the entry's
    /// own label alone for a one-parcel order).
    pub fn order_labels(&self) -> Vec<&str> {
        if self.order_parcels.is_empty() {
            vec![self.label.as_str()]
        } else {
            self.order_parcels
                .iter()
                .map(|o| o.label.as_str())
                .collect()
        }
    }

    /// The parcel of the order with this label, if it is one.
    pub fn order_parcel(&self, label: &str) -> Option<&OrderParcel> {
        self.order_parcels.iter().find(|o| o.label == label)
    }

    /// Checks an order of several parcels: at least two, the first is the
    /// entry's label, a plain delivery, amounts not negative adding up to
    /// the order's.
    fn check_order_parcels(&self) -> Result<(), String> {
        if self.order_parcels.is_empty() {
            return Ok(());
        }
        let id = &self.parcel_id;
        if self.order_parcels.len() < 2 {
            return Err(format!(
                "parcel {id}: an order of several parcels lists at least two"
            ));
        }
        if self.order_parcels[0].label != self.label {
            return Err(format!(
                "parcel {id}: the order's first parcel must be its label {}",
                self.label
            ));
        }
        if self.kind != ParcelKind::Delivery {
            return Err(format!(
                "parcel {id}: only a delivery may hold several parcels"
            ));
        }
        let mut sum: i64 = 0;
        for o in &self.order_parcels {
            if o.amount_minor < 0 {
                return Err(format!(
                    "parcel {id}: parcel {} has a negative amount",
                    o.label
                ));
            }
            sum = sum
                .checked_add(o.amount_minor)
                .ok_or_else(|| format!("parcel {id}: the order's amounts overflow"))?;
        }
        if sum != self.amount_minor {
            return Err(format!(
                "parcel {id}: the parcels' amounts add up to {sum}, the order's is {}",
                self.amount_minor
            ));
        }
        Ok(())
    }
}

/// Day-level settings the server sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestSettings {
    /// Wait at the door before "no answer", seconds.
    pub no_answer_wait_s: u32,
    /// Radius around the address that counts as "at the address", metres.
    pub no_answer_radius_m: u32,
    /// Contact attempts (call, message) required before "no answer".
    pub no_answer_contacts: u32,
    /// A fix older than this is not evidence, seconds.
    pub fix_max_age_s: u32,
}

impl Default for ManifestSettings {
    fn default() -> Self {
        ManifestSettings {
            no_answer_wait_s: 600,
            no_answer_radius_m: 150,
            no_answer_contacts: 2,
            fix_max_age_s: 10,
        }
    }
}

/// The signed content of a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestBody {
    /// Always [`MANIFEST_SCHEMA`].
    pub schema: String,
    /// Monotonic version for this device; lower versions are refused.
    pub version: u64,
    /// The device this manifest is for.
    pub device_id: String,
    /// Issue time, Unix milliseconds.
    pub issued_at_ms: i64,
    /// Expiry, Unix milliseconds.
    pub expires_at_ms: i64,
    /// Depot name.
    pub depot: String,
    /// Day settings.
    pub settings: ManifestSettings,
    /// The parcels, in any order (`route_order` orders them).
    pub parcels: Vec<ManifestParcel>,
    /// The depot's supervisors (absent when none, and then absent from the
    /// canonical bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supervisors: Vec<SupervisorCredential>,
    /// The depot allows a supervisor's badge as an offline factor: the
    /// credentials then carry the badge's verifier, and every event signed
    /// with it is flagged for review at the server (absent: false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub offline_badge: bool,
    /// Which outcomes and intakes need a photo, and how many (absent: none,
    /// and then absent from the canonical bytes).
    #[serde(default, skip_serializing_if = "PhotoPolicy::is_empty")]
    pub photos: PhotoPolicy,
}

/// A manifest with the server's signature, as downloaded or loaded from a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedManifest {
    /// The signed content.
    pub body: ManifestBody,
    /// Ed25519 signature of the canonical body by the server key, hex.
    pub signature: String,
}

impl SignedManifest {
    /// Signs a body with the server key.
    pub fn sign(body: ManifestBody, signer: &dyn Signer) -> Result<Self, ProtocolError> {
        let bytes = to_canonical_bytes(&body)?;
        Ok(SignedManifest {
            body,
            signature: hex::encode(signer.sign(&bytes)),
        })
    }

    /// Verifies the signature against the pinned server key and the schema tag.
    pub fn verify(&self, server_key: &PublicKey) -> Result<&ManifestBody, ProtocolError> {
        if self.body.schema != MANIFEST_SCHEMA {
            return Err(ProtocolError::WrongSchema {
                found: self.body.schema.clone(),
                expected: MANIFEST_SCHEMA,
            });
        }
        let bytes = to_canonical_bytes(&self.body)?;
        let sig = decode_hex_array::<64>(&self.signature, "signature")?;
        server_key.verify(&bytes, &sig, "manifest")?;
        Ok(&self.body)
    }

    /// Parses JSON, refusing repeated keys.
    pub fn from_json(text: &str) -> Result<Self, ProtocolError> {
        crate::strict_json::from_slice_strict(text.as_bytes())
    }
}

impl ManifestBody {
    /// The content checks a terminal makes before accepting a manifest (after
    /// its signature, device and version): the issuing side runs the same ones
    /// before signing, so it never signs what every terminal would refuse.
    pub fn check_content(&self) -> Result<(), String> {
        if self.schema != MANIFEST_SCHEMA {
            return Err(format!("schema must be {MANIFEST_SCHEMA}"));
        }
        if self.expires_at_ms <= self.issued_at_ms {
            return Err("it expires before it is issued".into());
        }
        check_photo_policy(&self.photos)?;
        let mut supervisor_ids = BTreeSet::new();
        for s in &self.supervisors {
            s.check()?;
            if s.badge.is_some() && !self.offline_badge {
                return Err(format!(
                    "supervisor {} carries a badge verifier, yet the depot does not allow the badge offline",
                    s.supervisor_id
                ));
            }
            if !supervisor_ids.insert(&s.supervisor_id) {
                return Err(format!("supervisor {} appears twice", s.supervisor_id));
            }
        }
        let mut ids = BTreeSet::new();
        let mut labels = BTreeSet::new();
        for p in &self.parcels {
            if !ids.insert(&p.parcel_id) {
                return Err(format!("parcel id {} appears twice", p.parcel_id));
            }
            if !labels.insert(&p.label) {
                return Err(format!("label {} appears twice", p.label));
            }
            p.check_order_parcels()?;
            for o in p.order_parcels.iter().skip(1) {
                if !labels.insert(&o.label) {
                    return Err(format!("label {} appears twice", o.label));
                }
            }
            if p.attempt_limit == 0 {
                return Err(format!("parcel {} has an attempt limit of 0", p.parcel_id));
            }
            if !(4..=12).contains(&p.code.digits) {
                return Err(format!(
                    "parcel {} has {}-digit codes",
                    p.parcel_id, p.code.digits
                ));
            }
            for spec in std::iter::once(&p.code.numeric).chain(p.code.qr.as_ref()) {
                if spec.iterations == 0 || hex::decode(&spec.salt).map_or(true, |s| s.len() < 8) {
                    return Err(format!(
                        "parcel {} has unusable KDF parameters",
                        p.parcel_id
                    ));
                }
                if spec.verifier.is_some() != (p.policy == CodePolicy::OfflineAllowed) {
                    return Err(format!(
                        "parcel {}: verifier presence does not match its policy",
                        p.parcel_id
                    ));
                }
            }
        }
        Ok(())
    }
}
