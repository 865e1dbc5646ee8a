//! Online code checks: signed verdicts bound to the nonce, attempts counted
//! before comparing, lock at the limit, parcels of other devices refused,
//! and the limit held under concurrent guesses on two server processes.
//! Run on PostgreSQL with `ESCROW_TEST_DATABASE_URL` (scripts/postgres-test.sh).

mod common;

use std::num::NonZeroU32;

use common::{Harness, error_code};
use courier_protocol::api::{
    CodeCheckRequest, CodeCheckResponse, CodeFormWire, OnlineCheckResult, online_check_digest,
};
use courier_protocol::code_verifier::BuyerSecret;
use courier_protocol::manifest::SignedManifest;
use courier_protocol::vocabulary::CodePolicy;

fn request(m: &SignedManifest, parcel: &str, code: &str, nonce: [u8; 16]) -> Vec<u8> {
    let spec = m
        .body
        .parcels
        .iter()
        .find(|p| p.parcel_id == parcel)
        .expect("parcel");
    let salt = hex::decode(&spec.code.numeric.salt).expect("salt");
    let it = NonZeroU32::new(spec.code.numeric.iterations).expect("iterations");
    let key = BuyerSecret::numeric(code, 6)
        .expect("code")
        .derive_key(&salt, it);
    serde_json::to_vec(&CodeCheckRequest {
        parcel_id: parcel.into(),
        form: CodeFormWire::Numeric,
        nonce: hex::encode(nonce),
        proof: hex::encode(key.proof(&online_check_digest(&nonce))),
    })
    .expect("json")
}

#[tokio::test]
async fn attempts_are_counted_and_the_parcel_locks_at_the_limit() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let order = h.order("OC-1", CodePolicy::OnlineOnly).await;
    let m = h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let wrong = if order.numeric_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    for n in 1..=3u8 {
        let body = request(&m, &order.parcel_id, wrong, [n; 16]);
        let (s, text) = h.signed(&mut dev, "POST", "/v1/code-checks", body).await;
        assert_eq!(s, 200, "{text}");
        let r: CodeCheckResponse = serde_json::from_str(&text).expect("json");
        let b = r
            .check
            .verify(&dev.server_key)
            .expect("signed by the server");
        assert_eq!(b.result, OnlineCheckResult::Mismatch);
        assert_eq!(b.attempts_spent, u32::from(n));
        assert_eq!(b.nonce, hex::encode([n; 16]), "bound to this check");
    }
    let body = request(&m, &order.parcel_id, &order.numeric_code, [9; 16]);
    let (_, text) = h.signed(&mut dev, "POST", "/v1/code-checks", body).await;
    let r: CodeCheckResponse = serde_json::from_str(&text).expect("json");
    let b = r.check.verify(&dev.server_key).expect("signed");
    assert_eq!(
        b.result,
        OnlineCheckResult::Locked,
        "even the right code is not checked once locked"
    );
    assert_eq!(b.attempts_spent, 3);
}

#[tokio::test]
async fn right_code_matches_and_other_devices_parcels_are_refused() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let mut other = h.enroll().await;
    let order = h.order("OC-2", CodePolicy::OnlineOnly).await;
    let m = h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let body = request(&m, &order.parcel_id, &order.numeric_code, [1; 16]);
    let (_, text) = h
        .signed(&mut dev, "POST", "/v1/code-checks", body.clone())
        .await;
    let r: CodeCheckResponse = serde_json::from_str(&text).expect("json");
    assert_eq!(
        r.check.verify(&dev.server_key).expect("signed").result,
        OnlineCheckResult::Match
    );
    let (s, text) = h.signed(&mut other, "POST", "/v1/code-checks", body).await;
    assert_eq!(s, 404, "{text}");
    assert_eq!(error_code(&text), "not_found");
}

/// 64 wrong guesses at once, half on each of two server processes sharing
/// the database, on a multi-thread runtime, two rounds: each try is spent by
/// a conditional update inside the check's transaction, so exactly the limit
/// of codes are compared and every other guess is answered `locked`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_guesses_never_compare_more_codes_than_the_limit() {
    const GUESSES: u8 = 64;
    let h = Harness::new().await;
    let twin = h.twin().await;
    let mut dev = h.enroll().await;
    for round in 0..2 {
        let order = h
            .order(&format!("OC-RACE-{round}"), CodePolicy::OnlineOnly)
            .await;
        let m = h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
        let wrong = if order.numeric_code == "000000" {
            "111111"
        } else {
            "000000"
        };
        // Signed one after the other (each request has its own nonce), sent all at once.
        let mut sends = Vec::new();
        for n in 0..GUESSES {
            let body = request(&m, &order.parcel_id, wrong, [n; 16]);
            let auth = h.sign(&mut dev, "POST", "/v1/code-checks", &body);
            let url = if n % 2 == 0 {
                h.url("/v1/code-checks")
            } else {
                twin.url("/v1/code-checks")
            };
            let http = h.http.clone();
            sends.push(tokio::spawn(async move {
                let r = http
                    .post(url)
                    .header("x-device-id", &auth.device_id)
                    .header("x-timestamp", auth.timestamp_ms.to_string())
                    .header("x-nonce", &auth.nonce)
                    .header("x-signature", &auth.signature)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("send");
                let status = r.status().as_u16();
                (status, r.text().await.expect("text"))
            }));
        }
        let mut compared = Vec::new();
        let mut locked = 0;
        for send in sends {
            let (status, text) = send.await.expect("join");
            assert_eq!(status, 200, "{text}");
            let r: CodeCheckResponse = serde_json::from_str(&text).expect("json");
            let b = r.check.verify(&dev.server_key).expect("signed");
            assert_eq!(b.attempt_limit, 3);
            match b.result {
                OnlineCheckResult::Mismatch => compared.push(b.attempts_spent),
                OnlineCheckResult::Locked => {
                    assert_eq!(b.attempts_spent, 3, "locked only at the limit");
                    locked += 1;
                }
                OnlineCheckResult::Match => panic!("a wrong code matched"),
            }
        }
        compared.sort_unstable();
        assert_eq!(
            compared,
            vec![1, 2, 3],
            "round {round}: exactly the limit of codes compared, each try counted once"
        );
        assert_eq!(locked, usize::from(GUESSES) - 3);
        let spent = h
            .server
            .state
            .store()
            .order(&order.parcel_id)
            .await
            .expect("db")
            .expect("order")
            .attempts_spent;
        assert_eq!(spent, 3, "round {round}: the counter stops at the limit");
    }
}

/// Issue 21, point 5: the server checks only online-only parcels, and only
/// for the device that holds the order now: a parcel whose verifier is on the
/// device is not an oracle at the server, and a parcel given to another
/// device is no longer checkable by the first.
#[tokio::test]
async fn only_online_only_parcels_issued_to_the_caller_now_are_checked() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let mut other = h.enroll().await;
    let offline = h.order("OC-OFF", CodePolicy::OfflineAllowed).await;
    let online = h.order("OC-ON", CodePolicy::OnlineOnly).await;
    let m = h
        .manifest(&dev.id, &[&offline.parcel_id, &online.parcel_id], 3_600_000)
        .await;
    let body = request(&m, &offline.parcel_id, &offline.numeric_code, [1; 16]);
    let (s, text) = h.signed(&mut dev, "POST", "/v1/code-checks", body).await;
    assert_eq!(s, 400, "an offline-allowed parcel is not checked: {text}");
    assert_eq!(error_code(&text), "bad_request");

    let body = request(&m, &online.parcel_id, &online.numeric_code, [2; 16]);
    let (s, text) = h.signed(&mut dev, "POST", "/v1/code-checks", body).await;
    assert_eq!(s, 200, "{text}");

    // The order goes to the other device: the first may no longer check it.
    let m2 = h.manifest(&other.id, &[&online.parcel_id], 3_600_000).await;
    let body = request(&m, &online.parcel_id, &online.numeric_code, [3; 16]);
    let (s, text) = h.signed(&mut dev, "POST", "/v1/code-checks", body).await;
    assert_eq!(s, 404, "{text}");
    assert_eq!(error_code(&text), "not_found");
    let body = request(&m2, &online.parcel_id, &online.numeric_code, [4; 16]);
    let (s, text) = h.signed(&mut other, "POST", "/v1/code-checks", body).await;
    assert_eq!(s, 200, "the holder checks it: {text}");
}
