//! Doorstep events the ingest tests build on the wire: deliveries proved with
//! a code, offline code attempts, uploads answered as (status, reason)
//! strings, and the back office's alerts.
#![allow(dead_code)]

use std::num::NonZeroU32;

use courier_protocol::api::EventBatch;
use courier_protocol::code_verifier::{BuyerSecret, CodeKey};
use courier_protocol::envelope::{SignedEvent, Verification};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::vocabulary::{
    CheckMode, CheckResult, EntryMode, EventKind, Liability, Outcome,
};
use serde_json::Value;

use crate::common::{ADMIN, Device, Harness};

/// The wrong-code limit the harness gives orders.
pub const LIMIT: u32 = 3;

pub fn wrong_code(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// `K` of the numeric code `code` of `parcel` as `m` lists it.
pub fn code_key(m: &SignedManifest, parcel: &str, code: &str) -> CodeKey {
    let spec = m
        .body
        .parcels
        .iter()
        .find(|p| p.parcel_id == parcel)
        .expect("parcel in manifest");
    let salt = hex::decode(&spec.code.numeric.salt).expect("salt");
    let it = NonZeroU32::new(spec.code.numeric.iterations).expect("iterations");
    BuyerSecret::numeric(code, 6)
        .expect("code")
        .derive_key(&salt, it)
}

/// The device's next event: a `delivered` outcome checked offline with
/// `code` at try `attempt`, under manifest `version`.
pub fn delivered(
    dev: &mut Device,
    m: &SignedManifest,
    parcel: &str,
    code: &str,
    attempt: u32,
) -> SignedEvent {
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::Outcome,
        Some(parcel),
    );
    body.manifest_version = Some(m.body.version);
    body.outcome = Some(Outcome::Delivered);
    body.liability = Some(Liability::None);
    body.verification = Some(Verification {
        entry: EntryMode::Keypad,
        check: CheckMode::Offline,
        result: CheckResult::Match,
        attempt,
        attempt_limit: LIMIT,
    });
    body.inspection_offered = Some(true);
    let digest = body.proof_digest().expect("digest");
    body.code_proof = Some(hex::encode(code_key(m, parcel, code).proof(&digest)));
    dev.seal_next(body)
}

/// The device's next event: a wrong code at try `attempt`, checked offline.
pub fn wrong_attempt(dev: &mut Device, parcel: &str, attempt: u32) -> SignedEvent {
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::CodeAttempt,
        Some(parcel),
    );
    body.verification = Some(Verification {
        entry: EntryMode::Keypad,
        check: CheckMode::Offline,
        result: CheckResult::Mismatch,
        attempt,
        attempt_limit: LIMIT,
    });
    dev.seal_next(body)
}

/// Uploads events; each result as (status, reason).
pub async fn upload(
    h: &Harness,
    dev: &mut Device,
    events: &[SignedEvent],
) -> Vec<(String, String)> {
    let body = serde_json::to_vec(&EventBatch {
        events: events.to_vec(),
    })
    .expect("json");
    let (status, text) = h.signed(dev, "POST", "/v1/events", body).await;
    assert_eq!(status, 200, "{text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["receipt"]["body"]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or("").to_owned(),
                r["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

pub fn accepted() -> (String, String) {
    ("accepted".into(), String::new())
}

pub fn not_honoured(reason: &str) -> (String, String) {
    ("not_honoured".into(), reason.into())
}

/// The kinds of the back office's alerts about `device`, oldest first.
pub async fn alert_kinds(h: &Harness, device: &str) -> Vec<String> {
    let v: Value = h
        .http
        .get(h.url("/v1/admin/alerts"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("alerts")
        .json()
        .await
        .expect("json");
    v["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["device_id"] == device)
        .map(|a| a["kind"].as_str().unwrap_or("").to_owned())
        .collect()
}
