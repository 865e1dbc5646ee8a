//! Device revocation (issue 21, point 6): the admin call revokes a device
//! with a reason and a time; its later requests are refused with
//! `device_revoked` and the reason; its uploads are still taken: events it
//! signed before the revocation are recorded and flagged, those after it
//! recorded but not honoured. Run on PostgreSQL with
//! `ESCROW_TEST_DATABASE_URL` (scripts/postgres-test.sh).

mod common;
mod doorstep;

use std::sync::atomic::Ordering;

use common::{ADMIN, Harness, T0, error_code};
use courier_protocol::api::{CodeCheckRequest, CodeFormWire};
use courier_protocol::vocabulary::{CodePolicy, EventKind};
use doorstep::{accepted, alert_kinds, not_honoured, upload};
use serde_json::json;

#[tokio::test]
async fn a_revoked_device_is_refused_with_its_reason_and_nothing_it_recorded_is_lost() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let order = h.order("RV-1", CodePolicy::OnlineOnly).await;
    h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    // Recorded before the theft, not yet uploaded.
    let before = dev.next(EventKind::Arrived, Some(&order.parcel_id));

    let revoked: serde_json::Value = h
        .admin_post(
            &format!("/v1/admin/devices/{}/revoke", dev.id),
            &json!({"reason": "reported stolen", "at_ms": T0 + 1_000}),
        )
        .await;
    assert_eq!(revoked["revoked_at_ms"], T0 + 1_000, "{revoked}");
    h.clock.store(T0 + 2_000, Ordering::SeqCst);

    // Every request but the upload is refused, with the reason.
    let (s, text) = h.signed(&mut dev, "GET", "/v1/manifest", vec![]).await;
    assert_eq!(s, 403, "{text}");
    assert_eq!(error_code(&text), "device_revoked");
    assert!(text.contains("reported stolen"), "{text}");
    let check = serde_json::to_vec(&CodeCheckRequest {
        parcel_id: order.parcel_id.clone(),
        form: CodeFormWire::Numeric,
        nonce: "ab".repeat(16),
        proof: "cd".repeat(32),
    })
    .expect("json");
    let (s, text) = h.signed(&mut dev, "POST", "/v1/code-checks", check).await;
    assert_eq!(s, 403, "{text}");
    assert_eq!(error_code(&text), "device_revoked");

    // The upload: the earlier event is kept and flagged; one signed after
    // the revocation is recorded, not honoured.
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::ContactAttempt,
        Some(&order.parcel_id),
    );
    body.clock.device_utc_ms = T0 + 1_500;
    body.detail.insert("channel".into(), "call".into());
    let after = dev.seal_next(body);
    assert_eq!(
        upload(&h, &mut dev, &[before, after]).await,
        vec![accepted(), not_honoured("device_revoked")]
    );
    let kinds = alert_kinds(&h, &dev.id).await;
    assert!(
        kinds.contains(&"received_after_revocation".to_owned()),
        "{kinds:?}"
    );
    let stored = h
        .server
        .state
        .store()
        .device_events(&dev.id)
        .await
        .expect("events");
    assert_eq!(stored.len(), 2, "nothing lost");
}

#[tokio::test]
async fn revoking_needs_a_reason_and_a_known_device() {
    let h = Harness::new().await;
    let dev = h.enroll().await;
    let post = |path: String, body: serde_json::Value| {
        h.http
            .post(h.url(&path))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
    };
    let r = post(
        format!("/v1/admin/devices/{}/revoke", dev.id),
        json!({"reason": "  "}),
    )
    .await
    .expect("send");
    assert_eq!(r.status(), 400);
    let r = post(
        "/v1/admin/devices/dev-nobody/revoke".into(),
        json!({"reason": "lost"}),
    )
    .await
    .expect("send");
    assert_eq!(r.status(), 404);
}
