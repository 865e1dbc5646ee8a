//! Online code checks: signed verdicts bound to the nonce, attempts counted
//! before comparing, lock at the limit, parcels of other devices refused.

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
