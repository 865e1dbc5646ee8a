//! Test fixtures shared by every crate's tests (feature `fixtures`, which no
//! product build enables; `courier-test-support` re-exports them): a plain
//! manifest parcel, a manifest body, and event bodies built field by field
//! once, here, so a new field of the envelope is added in one place.

use std::collections::BTreeMap;

use crate::envelope::{ClockStamp, EVENT_SCHEMA, EventBody, PositionRecord, SignedEvent};
use crate::manifest::{
    Address, CodeMaterial, MANIFEST_SCHEMA, ManifestBody, ManifestParcel, ManifestSettings,
    Recipient,
};
use crate::rules::parcel::Visit;
use crate::verifier_spec::VerifierSpec;
use crate::vocabulary::{CodePolicy, EventKind, ParcelKind};

/// A plain delivery parcel `P1` (label `L1`, order `O1`, 100 DZD, offline
/// check allowed, 6 digits) with the given attempt limit.
pub fn parcel_spec(attempt_limit: u32) -> ManifestParcel {
    ManifestParcel {
        parcel_id: "P1".into(),
        label: "L1".into(),
        order_ref: "O1".into(),
        kind: ParcelKind::Delivery,
        route_order: 1,
        recipient: Recipient {
            name: "A".into(),
            phone: "0".into(),
        },
        address: Address {
            text: "x".into(),
            city: "Alger".into(),
            lat_e7: None,
            lon_e7: None,
        },
        instructions: None,
        amount_minor: 100,
        currency: "DZD".into(),
        collect: None,
        policy: CodePolicy::OfflineAllowed,
        attempt_limit,
        code: CodeMaterial {
            digits: 6,
            numeric: VerifierSpec {
                salt: "00".into(),
                iterations: 1,
                verifier: None,
            },
            qr: None,
        },
        withdrawn: false,
        load_check: false,
        order_parcels: Vec::new(),
        desk: None,
    }
}

/// A visit begun at 0 on boot `b`, without a fix, a contact or an
/// inspection offered.
pub fn visit() -> Visit {
    Visit {
        arrived_utc_ms: 0,
        arrived_monotonic_ms: 0,
        boot_id: "b".into(),
        arrival_fix_e7: None,
        contacts: Vec::new(),
        inspection_offered: false,
        order: Default::default(),
    }
}

/// An unsigned manifest body for `device_id`: issued at 0, never expiring,
/// default settings, no parcel and no supervisor (push what a test needs).
pub fn manifest_body(device_id: &str, version: u64, depot: &str) -> ManifestBody {
    ManifestBody {
        schema: MANIFEST_SCHEMA.into(),
        version,
        device_id: device_id.into(),
        issued_at_ms: 0,
        expires_at_ms: i64::MAX,
        depot: depot.into(),
        settings: ManifestSettings::default(),
        parcels: Vec::new(),
        supervisors: Vec::new(),
        offline_badge: false,
        photos: Default::default(),
    }
}

/// An event body with every optional field empty: event id `e<seq>`, clock at
/// 0 on boot `b`, no position, manifest version 1, app version `test`. Tests
/// set the fields they are about.
pub fn event_body(
    device_id: &str,
    seq: u64,
    prev_hash: &str,
    kind: EventKind,
    parcel_id: Option<&str>,
) -> EventBody {
    EventBody {
        schema: EVENT_SCHEMA.into(),
        event_id: format!("e{seq}"),
        device_id: device_id.into(),
        seq,
        prev_hash: prev_hash.into(),
        kind,
        parcel_id: parcel_id.map(str::to_owned),
        order_ref: None,
        outcome: None,
        reason: None,
        liability: None,
        verification: None,
        code_proof: None,
        inspection_offered: None,
        corrects: None,
        detail: BTreeMap::new(),
        position: PositionRecord::none(),
        clock: ClockStamp {
            device_utc_ms: 0,
            monotonic_ms: 0,
            boot_id: "b".into(),
        },
        gnss_utc_ms: None,
        manifest_version: Some(1),
        app_version: "test".into(),
        supervisor: None,
        day: None,
        load: None,
        photos: Vec::new(),
        handover: None,
    }
}

/// `body` as an unsigned event with the fake hash `h<seq>`, for rules that
/// trust their caller to have verified the chain (day book, day report).
pub fn unsigned_event(body: EventBody) -> SignedEvent {
    SignedEvent {
        hash: format!("h{}", body.seq),
        body,
        signature: String::new(),
    }
}
