//! Every attack the ingest and request checks must refuse, one test each.

mod common;

use std::num::NonZeroU32;

use common::{Harness, T0, error_code};
use courier_protocol::api::{EventStatus, ManifestResponse, RejectReason, SignedReceipt};
use courier_protocol::code_verifier::BuyerSecret;
use courier_protocol::envelope::{SignedEvent, Verification};
use courier_protocol::keys::{generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::request_signing::sign_request;
use courier_protocol::vocabulary::{
    CheckMode, CheckResult, CodePolicy, EntryMode, EventKind, Outcome,
};

fn statuses(r: &SignedReceipt) -> Vec<(EventStatus, Option<RejectReason>)> {
    r.body
        .results
        .iter()
        .map(|x| (x.status, x.reason))
        .collect()
}

/// A `delivered` event for `parcel` whose proof is made from `code`.
fn delivered(
    dev: &mut common::Device,
    manifest: &SignedManifest,
    parcel: &str,
    code: &str,
) -> SignedEvent {
    let spec = manifest
        .body
        .parcels
        .iter()
        .find(|p| p.parcel_id == parcel)
        .expect("parcel in manifest");
    let salt = hex::decode(&spec.code.numeric.salt).expect("salt");
    let it = NonZeroU32::new(spec.code.numeric.iterations).expect("iterations");
    let key = BuyerSecret::numeric(code, 6)
        .expect("code")
        .derive_key(&salt, it);
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::Outcome,
        Some(parcel),
    );
    body.outcome = Some(Outcome::Delivered);
    body.liability = Some(courier_protocol::vocabulary::Liability::None);
    body.verification = Some(Verification {
        entry: EntryMode::Keypad,
        check: CheckMode::Offline,
        result: CheckResult::Match,
        attempt: 1,
        attempt_limit: 3,
    });
    body.inspection_offered = Some(true);
    let digest = body.proof_digest().expect("digest");
    body.code_proof = Some(hex::encode(key.proof(&digest)));
    dev.seal_next(body)
}

#[tokio::test]
async fn accepted_then_duplicate_with_a_verifiable_receipt() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let events: Vec<_> = (0..3)
        .map(|_| dev.next(EventKind::ManifestAccepted, None))
        .collect();
    let r = h.upload(&mut dev, &events).await;
    r.receipt.verify(&dev.server_key).expect("receipt verifies");
    assert_eq!(r.receipt.body.last_seq, 3);
    assert!(
        statuses(&r.receipt)
            .iter()
            .all(|s| s.0 == EventStatus::Accepted)
    );
    let again = h.upload(&mut dev, &events).await;
    assert!(
        statuses(&again.receipt)
            .iter()
            .all(|s| s.0 == EventStatus::Duplicate)
    );
    let stored = h
        .server
        .state
        .store()
        .device_events(&dev.id)
        .await
        .expect("events");
    assert_eq!(stored, events);
}

#[tokio::test]
async fn forged_request_signature_is_refused() {
    let h = Harness::new().await;
    let dev = h.enroll().await;
    let other = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
    let auth = sign_request(&other, &dev.id, "GET", "/v1/manifest", b"", T0, [1; 16]);
    let (status, text) = h.send_with(&auth, "GET", "/v1/manifest", vec![]).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&text), "bad_request_signature");
}

#[tokio::test]
async fn request_from_an_unknown_device_is_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    dev.id = "dev-never-enrolled".into();
    let (status, text) = h.signed(&mut dev, "GET", "/v1/manifest", vec![]).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&text), "unknown_device");
}

#[tokio::test]
async fn replayed_request_is_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let e = dev.next(EventKind::ManifestAccepted, None);
    let body =
        serde_json::to_vec(&courier_protocol::api::EventBatch { events: vec![e] }).expect("json");
    let auth = sign_request(&dev.key, &dev.id, "POST", "/v1/events", &body, T0, [9; 16]);
    let (s1, _) = h.send_with(&auth, "POST", "/v1/events", body.clone()).await;
    assert_eq!(s1, 200);
    let (s2, text) = h.send_with(&auth, "POST", "/v1/events", body).await;
    assert_eq!(s2, 401);
    assert_eq!(error_code(&text), "replayed_nonce");
}

#[tokio::test]
async fn stale_request_timestamp_is_refused() {
    let h = Harness::new().await;
    let dev = h.enroll().await;
    let auth = sign_request(
        &dev.key,
        &dev.id,
        "GET",
        "/v1/manifest",
        b"",
        T0 - 6 * 60 * 1000,
        [2; 16],
    );
    let (status, text) = h.send_with(&auth, "GET", "/v1/manifest", vec![]).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&text), "stale_timestamp");
    let body: courier_protocol::api::ErrorBody = serde_json::from_str(&text).expect("body");
    assert_eq!(body.server_time_ms, T0);
}

#[tokio::test]
async fn reordered_sequence_is_refused_and_stops_the_batch() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let e1 = dev.next(EventKind::ManifestAccepted, None);
    let e2 = dev.next(EventKind::ManifestAccepted, None);
    let e3 = dev.next(EventKind::ManifestAccepted, None);
    let r = h
        .upload(&mut dev, &[e2.clone(), e1.clone(), e3.clone()])
        .await;
    assert_eq!(
        statuses(&r.receipt),
        vec![
            (EventStatus::Rejected, Some(RejectReason::SequenceGap)),
            (EventStatus::Rejected, Some(RejectReason::NotProcessed)),
            (EventStatus::Rejected, Some(RejectReason::NotProcessed)),
        ]
    );
    assert_eq!(r.receipt.body.last_seq, 0);
    // In order, the same events are accepted.
    let ok = h.upload(&mut dev, &[e1, e2, e3]).await;
    assert_eq!(ok.receipt.body.last_seq, 3);
}

#[tokio::test]
async fn missing_sequence_number_is_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let e1 = dev.next(EventKind::ManifestAccepted, None);
    let _lost = dev.next(EventKind::ManifestAccepted, None);
    let e3 = dev.next(EventKind::ManifestAccepted, None);
    let r = h.upload(&mut dev, &[e1, e3]).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![
            (EventStatus::Accepted, None),
            (EventStatus::Rejected, Some(RejectReason::SequenceGap)),
        ]
    );
}

#[tokio::test]
async fn broken_chain_is_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let e1 = dev.next(EventKind::ManifestAccepted, None);
    dev.prev = "ab".repeat(32);
    let e2 = dev.next(EventKind::ManifestAccepted, None);
    let r = h.upload(&mut dev, &[e1, e2]).await;
    assert_eq!(
        statuses(&r.receipt)[1],
        (EventStatus::Rejected, Some(RejectReason::ChainBroken))
    );
}

#[tokio::test]
async fn edited_event_is_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let mut e1 = dev.next(EventKind::ManifestAccepted, None);
    e1.body
        .detail
        .insert("note".into(), "edited after signing".into());
    let r = h.upload(&mut dev, std::slice::from_ref(&e1)).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![(EventStatus::Rejected, Some(RejectReason::BadSignature))]
    );
    // Re-hashing does not help: the signature still covers the original bytes.
    e1.hash = hex::encode(courier_protocol::keys::sha256(
        &e1.body.canonical_bytes().expect("bytes"),
    ));
    let r = h.upload(&mut dev, &[e1]).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![(EventStatus::Rejected, Some(RejectReason::BadSignature))]
    );
}

#[tokio::test]
async fn event_signed_by_another_key_is_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let other = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
    let body = dev.body(
        1,
        courier_protocol::envelope::GENESIS_PREV_HASH,
        EventKind::ManifestAccepted,
        None,
    );
    let forged = SignedEvent::seal(body, &other).expect("seal");
    let r = h.upload(&mut dev, &[forged]).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![(EventStatus::Rejected, Some(RejectReason::BadSignature))]
    );
}

#[tokio::test]
async fn event_naming_another_device_is_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let mut body = dev.body(
        1,
        courier_protocol::envelope::GENESIS_PREV_HASH,
        EventKind::ManifestAccepted,
        None,
    );
    body.device_id = "dev-someone-else".into();
    let e = dev.seal_next(body);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![(EventStatus::Rejected, Some(RejectReason::WrongDevice))]
    );
}

#[tokio::test]
async fn same_event_id_with_other_content_is_a_conflict() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let e1 = dev.next(EventKind::ManifestAccepted, None);
    h.upload(&mut dev, std::slice::from_ref(&e1)).await;
    let mut body = dev.body(2, &dev.prev.clone(), EventKind::ManifestAccepted, None);
    body.event_id = e1.body.event_id.clone();
    let e2 = dev.seal_next(body);
    let r = h.upload(&mut dev, &[e2]).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![(EventStatus::Rejected, Some(RejectReason::Conflict))]
    );
}

#[tokio::test]
async fn parcel_not_in_the_devices_manifest_is_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let mut other = h.enroll().await;
    let mine = h.order("ORD-1", CodePolicy::OfflineAllowed).await;
    let theirs = h.order("ORD-2", CodePolicy::OfflineAllowed).await;
    h.manifest(&dev.id, &[&mine.parcel_id], 3_600_000).await;
    h.manifest(&other.id, &[&theirs.parcel_id], 3_600_000).await;
    let ok = dev.next(EventKind::Arrived, Some(&mine.parcel_id));
    let bad = dev.next(EventKind::Arrived, Some(&theirs.parcel_id));
    let r = h.upload(&mut dev, &[ok, bad]).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![
            (EventStatus::Accepted, None),
            (EventStatus::NotHonoured, Some(RejectReason::UnknownParcel)),
        ]
    );
    let e = other.next(EventKind::Arrived, Some(&theirs.parcel_id));
    let r = h.upload(&mut other, &[e]).await;
    assert_eq!(statuses(&r.receipt), vec![(EventStatus::Accepted, None)]);
}

#[tokio::test]
async fn wrong_code_proof_is_refused_and_right_one_accepted() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let order = h.order("ORD-7", CodePolicy::OfflineAllowed).await;
    let m = h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let wrong = if order.numeric_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    // The shared rules want the courier at the door before any code.
    let arrived = dev.next(EventKind::Arrived, Some(&order.parcel_id));
    h.upload(&mut dev, &[arrived]).await;
    let bad = delivered(&mut dev, &m, &order.parcel_id, wrong);
    let r = h.upload(&mut dev, &[bad]).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![(EventStatus::NotHonoured, Some(RejectReason::BadProof))]
    );
    let good = delivered(&mut dev, &m, &order.parcel_id, &order.numeric_code);
    let r = h.upload(&mut dev, &[good]).await;
    assert_eq!(statuses(&r.receipt), vec![(EventStatus::Accepted, None)]);
}

#[tokio::test]
async fn manifest_download_is_signed_by_the_pinned_key() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let (s, text) = h.signed(&mut dev, "GET", "/v1/manifest", vec![]).await;
    assert_eq!(s, 200);
    let none: ManifestResponse = serde_json::from_str(&text).expect("json");
    assert!(none.manifest.is_none());
    let order = h.order("ORD-3", CodePolicy::OnlineOnly).await;
    h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let (_, text) = h.signed(&mut dev, "GET", "/v1/manifest", vec![]).await;
    let got: ManifestResponse = serde_json::from_str(&text).expect("json");
    let m = got.manifest.expect("manifest");
    m.verify(&dev.server_key).expect("verifies");
    assert!(
        m.body.parcels[0].code.numeric.verifier.is_none(),
        "online-only carries no verifier"
    );
    assert_eq!(got.server_time_ms, T0);
}

#[tokio::test]
async fn enrollment_token_is_one_time() {
    let h = Harness::new().await;
    let token: courier_protocol::api::EnrollmentTokenResponse = h
        .admin_post("/v1/admin/enrollment-tokens", &serde_json::json!({}))
        .await;
    let key = |_: ()| keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
    let k1 = key(());
    let req = |k: &ring::signature::Ed25519KeyPair| courier_protocol::api::EnrollRequest {
        token: token.token.clone(),
        device_public_key: courier_protocol::keys::Signer::public_key(k),
        hardware_label: "x".into(),
    };
    let post = |r| h.http.post(h.url("/v1/enroll")).json(&r).send();
    let a = post(req(&k1)).await.expect("send");
    assert_eq!(a.status(), 200);
    let a: courier_protocol::api::EnrollResponse = a.json().await.expect("json");
    // Same key again (lost answer): same device id.
    let b: courier_protocol::api::EnrollResponse = post(req(&k1))
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(a.device_id, b.device_id);
    // Another key with the spent token: refused.
    let c = post(req(&key(()))).await.expect("send");
    assert_eq!(c.status(), 401);
    assert_eq!(error_code(&c.text().await.expect("text")), "invalid_token");
}
