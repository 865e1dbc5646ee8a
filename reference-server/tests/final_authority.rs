//! The server as final authority (issue 11): one test per finding of the
//! outside integrator. Written against the wire (JSON) so that each one also
//! runs, and fails, against the server as it was before the fix.

mod common;

use std::num::NonZeroU32;

use common::{Device, Harness};
use courier_protocol::api::{CodeCheckRequest, CodeFormWire, EventBatch, online_check_digest};
use courier_protocol::code_verifier::BuyerSecret;
use courier_protocol::envelope::{SignedEvent, Verification};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::vocabulary::{
    CheckMode, CheckResult, CodePolicy, EntryMode, EventKind, Liability, Outcome, Reason,
};
use serde_json::{Value, json};

const LIMIT: u32 = 3;

fn wrong_code(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

fn code_key(
    m: &SignedManifest,
    parcel: &str,
    code: &str,
) -> courier_protocol::code_verifier::CodeKey {
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

/// A `delivered` outcome at the device's next seq (not advancing the chain
/// unless `advance`), proved with `code`.
fn delivered(
    dev: &mut Device,
    m: &SignedManifest,
    parcel: &str,
    code: &str,
    advance: bool,
) -> SignedEvent {
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::Outcome,
        Some(parcel),
    );
    body.outcome = Some(Outcome::Delivered);
    body.liability = Some(Liability::None);
    body.verification = Some(Verification {
        entry: EntryMode::Keypad,
        check: CheckMode::Offline,
        result: CheckResult::Match,
        attempt: 1,
        attempt_limit: LIMIT,
    });
    body.inspection_offered = Some(true);
    let digest = body.proof_digest().expect("digest");
    body.code_proof = Some(hex::encode(code_key(m, parcel, code).proof(&digest)));
    if advance {
        dev.seal_next(body)
    } else {
        SignedEvent::seal(body, &dev.key).expect("seal")
    }
}

async fn upload_raw(h: &Harness, dev: &mut Device, body: Vec<u8>) -> (u16, Value) {
    let (status, text) = h.signed(dev, "POST", "/v1/events", body).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Uploads events; returns each result's (status, reason) as strings.
async fn upload(h: &Harness, dev: &mut Device, events: &[SignedEvent]) -> Vec<(String, String)> {
    let body = serde_json::to_vec(&EventBatch {
        events: events.to_vec(),
    })
    .expect("json");
    let (status, v) = upload_raw(h, dev, body).await;
    assert_eq!(status, 200, "{v}");
    results(&v)
}

fn results(v: &Value) -> Vec<(String, String)> {
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

fn accepted() -> (String, String) {
    ("accepted".into(), String::new())
}

fn rejected(reason: &str) -> (String, String) {
    ("rejected".into(), reason.into())
}

/// Stored as evidence, with no effect (the chain goes on past it).
fn not_honoured(reason: &str) -> (String, String) {
    ("not_honoured".into(), reason.into())
}

async fn online_check(
    h: &Harness,
    dev: &mut Device,
    m: &SignedManifest,
    parcel: &str,
    code: &str,
    n: u8,
) -> Value {
    let nonce = [n; 16];
    let body = serde_json::to_vec(&CodeCheckRequest {
        parcel_id: parcel.into(),
        form: CodeFormWire::Numeric,
        nonce: hex::encode(nonce),
        proof: hex::encode(code_key(m, parcel, code).proof(&online_check_digest(&nonce))),
    })
    .expect("json");
    let (s, text) = h.signed(dev, "POST", "/v1/code-checks", body).await;
    assert_eq!(s, 200, "{text}");
    let v: Value = serde_json::from_str(&text).expect("json");
    v["check"]["body"].clone()
}

/// An enrolled device with one order of `policy` in its manifest, arrived at the door.
async fn at_the_door(
    h: &Harness,
    order_ref: &str,
    policy: CodePolicy,
) -> (Device, SignedManifest, String, String) {
    let mut dev = h.enroll().await;
    let order = h.order(order_ref, policy).await;
    let m = h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let arrived = dev.next(EventKind::Arrived, Some(&order.parcel_id));
    assert_eq!(upload(h, &mut dev, &[arrived]).await, vec![accepted()]);
    (dev, m, order.parcel_id, order.numeric_code)
}

// ---- Finding 1: unlimited code guessing ----

#[tokio::test]
async fn wrong_proofs_at_ingest_spend_the_parcels_tries_and_lock_it() {
    let h = Harness::new().await;
    let (mut dev, m, parcel, code) = at_the_door(&h, "G-1", CodePolicy::OnlineOnly).await;
    for _ in 0..LIMIT {
        let guess = delivered(&mut dev, &m, &parcel, wrong_code(&code), true);
        assert_eq!(
            upload(&h, &mut dev, &[guess]).await,
            vec![not_honoured("bad_proof")]
        );
    }
    // The lock holds on the online path: even the right code is not checked.
    let b = online_check(&h, &mut dev, &m, &parcel, &code, 1).await;
    assert_eq!(b["result"], "locked", "{b}");
    assert_eq!(b["attempts_spent"], LIMIT);
    // And on ingest: a locked parcel honours no delivery, even with a valid proof.
    let right = delivered(&mut dev, &m, &parcel, &code, true);
    assert_eq!(
        upload(&h, &mut dev, &[right]).await,
        vec![not_honoured("parcel_locked")]
    );
}

#[tokio::test]
async fn resending_the_same_rejected_event_spends_no_second_try() {
    let h = Harness::new().await;
    let (mut dev, m, parcel, code) = at_the_door(&h, "G-2", CodePolicy::OnlineOnly).await;
    let guess = delivered(&mut dev, &m, &parcel, wrong_code(&code), true);
    assert_eq!(
        upload(&h, &mut dev, std::slice::from_ref(&guess)).await,
        vec![not_honoured("bad_proof")]
    );
    for _ in 0..(LIMIT + 2) {
        assert_eq!(
            upload(&h, &mut dev, std::slice::from_ref(&guess)).await,
            vec![("duplicate".into(), String::new())]
        );
    }
    let spent = h
        .server
        .state
        .store()
        .order(&parcel)
        .await
        .expect("db")
        .expect("order")
        .attempts_spent;
    assert_eq!(
        spent, 1,
        "one guess, however often it is re-sent (a lost answer is retried)"
    );
}

#[tokio::test]
async fn right_codes_do_not_count_at_the_online_check() {
    let h = Harness::new().await;
    let (mut dev, m, parcel, code) = at_the_door(&h, "G-3", CodePolicy::OnlineOnly).await;
    for n in 1..=(LIMIT as u8 + 2) {
        let b = online_check(&h, &mut dev, &m, &parcel, &code, n).await;
        assert_eq!(b["result"], "match", "check {n}: {b}");
        assert_eq!(b["attempts_spent"], 0, "a right code gives its try back");
    }
}

#[tokio::test]
async fn every_guessing_path_together_is_bounded_by_the_manifests_limit() {
    let h = Harness::new().await;
    let (mut dev, m, parcel, code) = at_the_door(&h, "G-4", CodePolicy::OnlineOnly).await;
    let wrong = wrong_code(&code);
    // Alternate the two paths; count the guesses the server actually compared.
    let mut compared = 0u32;
    for round in 0..(2 * LIMIT) {
        if round % 2 == 0 {
            let b = online_check(&h, &mut dev, &m, &parcel, wrong, 10 + round as u8).await;
            if b["result"] == "mismatch" {
                compared += 1;
            } else {
                assert_eq!(b["result"], "locked", "{b}");
            }
        } else {
            let guess = delivered(&mut dev, &m, &parcel, wrong, true);
            match upload(&h, &mut dev, &[guess]).await[0].1.as_str() {
                "bad_proof" => compared += 1,
                other => assert_eq!(other, "parcel_locked"),
            }
        }
    }
    assert_eq!(compared, LIMIT, "guesses compared across both paths");
    // Locked on every path, the QR form and the right code included.
    let b = online_check(&h, &mut dev, &m, &parcel, &code, 99).await;
    assert_eq!(b["result"], "locked");
    let right = delivered(&mut dev, &m, &parcel, &code, true);
    assert_eq!(
        upload(&h, &mut dev, &[right]).await,
        vec![not_honoured("parcel_locked")]
    );
    let qr = serde_json::to_vec(&json!({
        "parcel_id": parcel, "form": "qr", "nonce": "ab".repeat(16), "proof": "cd".repeat(32)
    }))
    .expect("json");
    let (_, text) = h.signed(&mut dev, "POST", "/v1/code-checks", qr).await;
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["check"]["body"]["result"], "locked", "{v}");
    let spent = h
        .server
        .state
        .store()
        .order(&parcel)
        .await
        .expect("db")
        .expect("order")
        .attempts_spent;
    assert_eq!(spent, LIMIT);
}

// ---- Finding 2: weak device keys ----

#[tokio::test]
async fn weak_device_keys_are_refused_at_enrollment() {
    let h = Harness::new().await;
    for key in [
        "0100000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000000",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "0200000000000000000000000000000000000000000000000000000000000000",
        "f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ] {
        let token: courier_protocol::api::EnrollmentTokenResponse = h
            .admin_post("/v1/admin/enrollment-tokens", &json!({}))
            .await;
        let r = h
            .http
            .post(h.url("/v1/enroll"))
            .json(&json!({"token": token.token, "device_public_key": key, "hardware_label": "x"}))
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 400, "key {key} enrolled");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["error"]["code"], "weak_key", "{v}");
    }
}

// ---- Finding 3: device rules not re-checked at ingest ----

#[tokio::test]
async fn delivery_of_a_withdrawn_parcel_is_refused() {
    let h = Harness::new().await;
    let (mut dev, m, parcel, code) = at_the_door(&h, "R-1", CodePolicy::OfflineAllowed).await;
    let _v2: SignedManifest = h
        .admin_post(
            "/v1/admin/manifests",
            &json!({"device_id": dev.id, "parcel_ids": [], "withdrawn": [parcel], "depot": "D", "valid_for_ms": 3_600_000}),
        )
        .await;
    let mut e = delivered(&mut dev, &m, &parcel, &code, false);
    e.body.manifest_version = Some(2);
    let digest = e.body.proof_digest().expect("digest");
    e.body.code_proof = Some(hex::encode(code_key(&m, &parcel, &code).proof(&digest)));
    let e = SignedEvent::seal(e.body, &dev.key).expect("seal");
    assert_eq!(
        upload(&h, &mut dev, &[e]).await,
        vec![not_honoured("parcel_withdrawn")]
    );
}

#[tokio::test]
async fn a_second_delivery_of_one_parcel_is_refused() {
    let h = Harness::new().await;
    let (mut dev, m, parcel, code) = at_the_door(&h, "R-2", CodePolicy::OfflineAllowed).await;
    let first = delivered(&mut dev, &m, &parcel, &code, true);
    let second = delivered(&mut dev, &m, &parcel, &code, true);
    assert_eq!(
        upload(&h, &mut dev, &[first, second]).await,
        vec![accepted(), not_honoured("already_delivered")]
    );
}

#[tokio::test]
async fn an_attempt_past_the_limit_is_refused() {
    let h = Harness::new().await;
    let (mut dev, _m, parcel, _code) = at_the_door(&h, "R-3", CodePolicy::OfflineAllowed).await;
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::CodeAttempt,
        Some(&parcel),
    );
    body.verification = Some(Verification {
        entry: EntryMode::Keypad,
        check: CheckMode::Offline,
        result: CheckResult::Mismatch,
        attempt: 99,
        attempt_limit: 5,
    });
    let e = dev.seal_next(body);
    assert_eq!(
        upload(&h, &mut dev, &[e]).await,
        vec![not_honoured("bad_attempt")]
    );
}

#[tokio::test]
async fn a_liability_against_the_table_is_refused() {
    let h = Harness::new().await;
    let (mut dev, _m, parcel, _code) = at_the_door(&h, "R-4", CodePolicy::OfflineAllowed).await;
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::Outcome,
        Some(&parcel),
    );
    body.outcome = Some(Outcome::NoAnswer);
    body.reason = Some(Reason::Absent);
    body.liability = Some(Liability::Seller);
    let e = dev.seal_next(body);
    assert_eq!(
        upload(&h, &mut dev, &[e]).await,
        vec![not_honoured("wrong_liability")]
    );
}

#[tokio::test]
async fn a_correction_of_a_delivery_is_refused() {
    let h = Harness::new().await;
    let (mut dev, m, parcel, code) = at_the_door(&h, "R-5", CodePolicy::OfflineAllowed).await;
    let d = delivered(&mut dev, &m, &parcel, &code, true);
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::Correction,
        Some(&parcel),
    );
    body.outcome = Some(Outcome::BuyerCancelled);
    body.reason = Some(Reason::ChangedMind);
    body.liability = Some(Liability::Buyer);
    body.corrects = Some(d.body.event_id.clone());
    body.detail
        .insert("note".into(), "buyer wants the money back".into());
    let c = dev.seal_next(body);
    assert_eq!(
        upload(&h, &mut dev, &[d, c]).await,
        vec![accepted(), not_honoured("bad_correction")]
    );
}

// ---- Finding 4: a log cut short; a key that hides another ----

#[tokio::test]
async fn every_receipt_carries_a_signed_checkpoint_of_the_head() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let events: Vec<_> = (0..4)
        .map(|_| dev.next(EventKind::ManifestAccepted, None))
        .collect();
    let body = serde_json::to_vec(&EventBatch {
        events: events.clone(),
    })
    .expect("json");
    let (status, v) = upload_raw(&h, &mut dev, body).await;
    assert_eq!(status, 200);
    let cp = &v["checkpoint"]["body"];
    assert_eq!(cp["seq"], 4, "{v}");
    assert_eq!(cp["head_hash"], events[3].hash);
    assert_eq!(cp["schema"], "courier.checkpoint.v1");
    let (s, text) = h.signed(&mut dev, "GET", "/v1/checkpoint", vec![]).await;
    assert_eq!(s, 200, "{text}");
    let got: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(got["checkpoint"]["body"]["seq"], 4);
}

#[tokio::test]
async fn a_repeated_json_key_in_an_event_is_a_per_event_rejection() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let e = dev.next(EventKind::ManifestAccepted, None);
    let mut text = serde_json::to_string(&EventBatch { events: vec![e] }).expect("json");
    // A first "kind" hiding the real one (serde_json keeps the last).
    text = text.replacen("\"kind\":", "\"kind\":\"outcome\",\"kind\":", 1);
    let (status, v) = upload_raw(&h, &mut dev, text.into_bytes()).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(results(&v), vec![rejected("malformed")]);
}

// ---- Finding 5: a loose contract ----

#[tokio::test]
async fn an_empty_batch_is_a_bad_request() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let (status, v) = upload_raw(&h, &mut dev, br#"{"events":[]}"#.to_vec()).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["code"], "bad_request");
}

#[tokio::test]
async fn a_schema_fault_in_one_event_is_a_per_event_rejection() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let good = dev.next(EventKind::ManifestAccepted, None);
    let mut bad = serde_json::to_value(dev.next(EventKind::ManifestAccepted, None)).expect("json");
    bad["body"]["seq"] = json!("two");
    let after = dev.next(EventKind::ManifestAccepted, None);
    let body = serde_json::to_vec(&json!({"events": [good, bad, after]})).expect("json");
    let (status, v) = upload_raw(&h, &mut dev, body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        results(&v),
        vec![accepted(), rejected("malformed"), rejected("not_processed")]
    );
}

#[tokio::test]
async fn non_uuid_v7_ids_and_upper_case_hex_are_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let mut body = dev.body(
        1,
        courier_protocol::envelope::GENESIS_PREV_HASH,
        EventKind::ManifestAccepted,
        None,
    );
    body.event_id = "0190f5d2-7a00-4000-8000-000000000001".into();
    let v4 = SignedEvent::seal(body, &dev.key).expect("seal");
    assert_eq!(
        upload(&h, &mut dev, &[v4]).await,
        vec![rejected("malformed")]
    );
    let mut upper = dev.next(EventKind::ManifestAccepted, None);
    upper.signature = upper.signature.to_uppercase();
    assert_eq!(
        upload(&h, &mut dev, &[upper]).await,
        vec![rejected("malformed")]
    );
}

#[tokio::test]
async fn error_answers_405_and_413_are_json_with_server_time() {
    let h = Harness::new().await;
    let r = h
        .http
        .delete(h.url("/v1/events"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 405);
    let v: Value = r.json().await.expect("405 body is JSON");
    assert_eq!(v["server_time_ms"], common::T0);
    assert_eq!(v["error"]["code"], "method_not_allowed");
    let big = vec![b' '; 17 * 1024 * 1024];
    let r = h
        .http
        .post(h.url("/v1/events"))
        .body(big)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), 413);
    let v: Value = r.json().await.expect("413 body is JSON");
    assert_eq!(v["server_time_ms"], common::T0);
    assert_eq!(v["error"]["code"], "batch_too_large");
}

#[tokio::test]
async fn the_admin_api_refuses_manifests_a_terminal_would_refuse() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let o = h.order("A-1", CodePolicy::OfflineAllowed).await;
    let p = o.parcel_id.clone();
    for (why, req) in [
        (
            "listed and withdrawn",
            json!({"parcel_ids": [p], "withdrawn": [p]}),
        ),
        ("repeated id", json!({"parcel_ids": [p, p]})),
        (
            "negative validity",
            json!({"parcel_ids": [p], "valid_for_ms": -1}),
        ),
    ] {
        let mut body =
            json!({"device_id": dev.id, "withdrawn": [], "depot": "D", "valid_for_ms": 3_600_000});
        for (k, v) in req.as_object().expect("obj") {
            body[k] = v.clone();
        }
        let r = h
            .http
            .post(h.url("/v1/admin/manifests"))
            .bearer_auth(common::ADMIN)
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 400, "{why}");
    }
    let (_, text) = h.signed(&mut dev, "GET", "/v1/manifest", vec![]).await;
    let v: Value = serde_json::from_str(&text).expect("json");
    assert!(v["manifest"].is_null(), "nothing refused is served: {v}");
}

#[tokio::test]
async fn a_log_cut_short_or_forked_is_detected_against_the_checkpoint() {
    use courier_protocol::checkpoint::{CheckpointVerdict, verify_log_against_checkpoint};
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let events: Vec<_> = (0..5)
        .map(|_| dev.next(EventKind::ManifestAccepted, None))
        .collect();
    let body = serde_json::to_vec(&EventBatch {
        events: events.clone(),
    })
    .expect("json");
    let (_, v) = upload_raw(&h, &mut dev, body).await;
    let cp: courier_protocol::checkpoint::SignedCheckpoint =
        serde_json::from_value(v["checkpoint"].clone()).expect("checkpoint");
    let device_key = courier_protocol::keys::Signer::public_key(&dev.key);
    let server_key = dev.server_key;
    let check = |log: &[SignedEvent]| {
        verify_log_against_checkpoint(log, &device_key, &cp, &server_key).expect("verifies")
    };
    assert!(check(&events).is_consistent());
    assert_eq!(
        check(&events[..3]),
        CheckpointVerdict::Truncated {
            log_seq: 3,
            checkpoint_seq: 5
        }
    );
    // The device rewrites its last two events: a valid chain, but not the one the server signed.
    let mut forked = events[..3].to_vec();
    dev.seq = 3;
    dev.prev = events[2].hash.clone();
    forked.push(dev.next(EventKind::ManifestAccepted, None));
    forked.push(dev.next(EventKind::ManifestAccepted, None));
    assert!(matches!(
        check(&forked),
        CheckpointVerdict::Forked { seq: 5, .. }
    ));
    // A checkpoint signed by anyone but the server does not verify.
    let mut forged = cp.clone();
    forged.body.seq = 3;
    assert!(
        verify_log_against_checkpoint(&events[..3], &device_key, &forged, &server_key).is_err()
    );
}
