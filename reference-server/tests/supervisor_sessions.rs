//! Supervisor presence the courier cannot manufacture (issue 21, point 1),
//! at the server, on SQLite or PostgreSQL (`ESCROW_TEST_DATABASE_URL`):
//! no PIN verifier reaches a device; the PIN is checked by the server with
//! one try counter per supervisor across all devices; proofs use a session
//! key the server issued for one device and supervisor; a re-issue cuts old
//! keys off; bad proofs at ingest are counted and lock the credential; the
//! offline badge is honoured only where the depot allows it, and flagged;
//! the same id in two depots is two supervisors.

mod common;

use common::supervisors::{
    Signer, SupervisorHarness, accepted, next_body, not_honoured, seal_signed, statuses,
};
use common::{Device, Harness};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::supervisor::SupervisorSecret;
use courier_protocol::supervisor_session::{DepotSettingsRequest, SupervisorSignInAnswer};
use courier_protocol::vocabulary::{CodePolicy, EventKind, SupervisorFactor};
use std::num::NonZeroU32;

const PIN: &str = "2468";

/// An enrolled device of `depot` whose manifest lists its supervisors,
/// the manifest accepted at the server.
async fn device_in(h: &Harness, depot: &str, order: &str) -> (Device, SignedManifest) {
    let mut dev = h.enroll().await;
    let o = h.order(order, CodePolicy::OfflineAllowed).await;
    let m = h.manifest_in(&dev.id, &[&o.parcel_id], depot).await;
    let accepted_m = dev.seal_next(next_body(
        &dev,
        EventKind::ManifestAccepted,
        None,
        m.body.version,
    ));
    let r = h.upload(&mut dev, &[accepted_m]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
    (dev, m)
}

fn signed_in(
    dev: &mut Device,
    m: &SignedManifest,
    signer: &Signer,
) -> courier_protocol::envelope::SignedEvent {
    let body = next_body(dev, EventKind::SupervisorSignedIn, None, m.body.version);
    seal_signed(dev, body, signer)
}

#[tokio::test]
async fn the_manifest_carries_no_pin_verifier_so_there_is_nothing_to_recover() {
    let h = Harness::new().await;
    h.supervisor_in("SUP-1", "D", PIN).await;
    let (_, m) = device_in(&h, "D", "NV-1").await;
    let json = serde_json::to_value(&m).expect("json");
    let listed = json["body"]["supervisors"].as_array().expect("listed");
    assert_eq!(listed.len(), 1);
    // The PIN's length is listed (for the keypad); its salt, iterations and
    // V are not: a courier holding the manifest has no PIN oracle offline.
    assert_eq!(listed[0]["pin"]["digits"], 4);
    assert!(listed[0]["pin"].get("verifier").is_none(), "{}", listed[0]);
    // Nor the badge's, as the depot does not allow the badge offline.
    assert!(listed[0]["badge"].is_null(), "{}", listed[0]);
}

#[tokio::test]
async fn a_pin_is_checked_by_the_server_with_one_counter_across_devices() {
    let h = Harness::new().await;
    h.supervisor_in("SUP-1", "D", PIN).await;
    let (mut a, _) = device_in(&h, "D", "TC-1").await;
    let (mut b, _) = device_in(&h, "D", "TC-2").await;
    // The default limit is 5 for the supervisor, whatever the device.
    for left in [4, 3, 2] {
        assert_eq!(
            h.sign_in(&mut a, "SUP-1", "1111").await,
            SupervisorSignInAnswer::Wrong { tries_left: left }
        );
    }
    assert_eq!(
        h.sign_in(&mut b, "SUP-1", "2222").await,
        SupervisorSignInAnswer::Wrong { tries_left: 1 },
        "device B sees the tries device A spent"
    );
    assert_eq!(
        h.sign_in(&mut b, "SUP-1", "3333").await,
        SupervisorSignInAnswer::Locked { limit: 5 }
    );
    // Locked: even the right PIN, from either device, is not compared.
    assert_eq!(
        h.sign_in(&mut a, "SUP-1", PIN).await,
        SupervisorSignInAnswer::Locked { limit: 5 }
    );
    assert!(
        h.alert_kinds()
            .await
            .contains(&"supervisor_locked".to_owned())
    );
    // The back office re-issues the credential: the counter starts afresh.
    h.supervisor_in("SUP-1", "D", "9753").await;
    assert!(matches!(
        h.sign_in(&mut a, "SUP-1", "9753").await,
        SupervisorSignInAnswer::SignedIn { .. }
    ));
}

#[tokio::test]
async fn a_session_is_bound_to_its_device_its_supervisor_and_its_window() {
    let h = Harness::new().await;
    h.supervisor_in("SUP-1", "D", PIN).await;
    let (mut a, ma) = device_in(&h, "D", "SB-1").await;
    let (mut b, mb) = device_in(&h, "D", "SB-2").await;
    let session = h.session(&mut a, "SUP-1", PIN).await;
    // Device B cannot use device A's session.
    let e = signed_in(&mut b, &mb, &session);
    let r = h.upload(&mut b, &[e]).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("supervisor_session_invalid")]
    );
    // An event signed after the session's expiry (30 min, plus the request skew).
    let mut late = next_body(&a, EventKind::SupervisorSignedIn, None, ma.body.version);
    late.clock.device_utc_ms += 36 * 60 * 1000;
    let late = seal_signed(&mut a, late, &session);
    let r = h.upload(&mut a, &[late]).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("supervisor_session_invalid")]
    );
    // A session id the server never issued.
    let forged = Signer {
        session: Some("0190f0f0-0000-7000-8000-000000000000".into()),
        ..session.clone()
    };
    let e = signed_in(&mut a, &ma, &forged);
    let r = h.upload(&mut a, &[e]).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("supervisor_session_invalid")]
    );
    // The session, on its device, in its window: honoured.
    let e = signed_in(&mut a, &ma, &session);
    let r = h.upload(&mut a, &[e]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
    // A PIN proof without a session (a key derived from the PIN) is not one.
    let pin_only = Signer {
        session: None,
        ..session
    };
    let e = signed_in(&mut a, &ma, &pin_only);
    let r = h.upload(&mut a, &[e]).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("supervisor_session_invalid")]
    );
}

#[tokio::test]
async fn after_a_reissue_the_old_session_key_is_not_honoured() {
    let h = Harness::new().await;
    h.supervisor_in("SUP-1", "D", PIN).await;
    let (mut dev, m) = device_in(&h, "D", "RI-1").await;
    let old = h.session(&mut dev, "SUP-1", PIN).await;
    // The back office re-issues the credential (a new PIN).
    h.supervisor_in("SUP-1", "D", "9753").await;
    let e = signed_in(&mut dev, &m, &old);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(statuses(&r), vec![not_honoured("supervisor_revoked")]);
    // The old PIN opens nothing any more; the new one does.
    assert!(matches!(
        h.sign_in(&mut dev, "SUP-1", PIN).await,
        SupervisorSignInAnswer::Wrong { .. }
    ));
    let new = h.session(&mut dev, "SUP-1", "9753").await;
    let e = signed_in(&mut dev, &m, &new);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
    // A revocation cuts the new session off too.
    let _: serde_json::Value = h
        .admin_post(
            "/v1/admin/supervisors/revoke",
            &serde_json::json!({ "depot": "D", "supervisor_id": "SUP-1" }),
        )
        .await;
    let e = signed_in(&mut dev, &m, &new);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(statuses(&r), vec![not_honoured("supervisor_revoked")]);
}

#[tokio::test]
async fn bad_proofs_at_ingest_are_counted_and_lock_the_credential() {
    let h = Harness::new().await;
    h.supervisor_in("SUP-1", "D", PIN).await;
    let (mut dev, m) = device_in(&h, "D", "BP-1").await;
    let session = h.session(&mut dev, "SUP-1", PIN).await;
    // Five events, each with a proof made with a guessed key.
    for guess in 0..5u8 {
        let wrong = Signer {
            key: [guess; 32],
            ..session.clone()
        };
        let e = signed_in(&mut dev, &m, &wrong);
        let r = h.upload(&mut dev, std::slice::from_ref(&e)).await;
        assert_eq!(statuses(&r), vec![not_honoured("bad_supervisor_proof")]);
        // The same bytes sent again are a duplicate: not counted again.
        if guess == 0 {
            let r = h.upload(&mut dev, std::slice::from_ref(&e)).await;
            assert_eq!(
                r.receipt.body.results[0].status,
                courier_protocol::api::EventStatus::Duplicate
            );
        }
    }
    assert!(
        h.alert_kinds()
            .await
            .contains(&"supervisor_locked".to_owned())
    );
    // Locked: the right session's proof is not honoured, no PIN is compared.
    let e = signed_in(&mut dev, &m, &session);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(statuses(&r), vec![not_honoured("supervisor_locked")]);
    assert_eq!(
        h.sign_in(&mut dev, "SUP-1", PIN).await,
        SupervisorSignInAnswer::Locked { limit: 5 }
    );
}

#[tokio::test]
async fn the_offline_badge_counts_only_where_the_depot_allows_it_and_is_flagged() {
    let h = Harness::new().await;
    let created = h.supervisor_in("SUP-1", "D", PIN).await;
    let badge = created.badge_text.expect("badge");
    // Not allowed: the manifest lists no badge verifier and the server
    // honours no proof without a session.
    let (mut dev, m) = device_in(&h, "D", "OB-1").await;
    assert!(m.body.supervisors[0].badge.is_none() && !m.body.offline_badge);
    let _: DepotSettingsRequest = h
        .admin_post(
            "/v1/admin/depots",
            &DepotSettingsRequest {
                depot: "D".into(),
                offline_badge: true,
            },
        )
        .await;
    let m2 = h.manifest_in(&dev.id, &[], "D").await;
    assert!(m2.body.offline_badge);
    let spec = m2.body.supervisors[0]
        .badge
        .clone()
        .expect("badge verifier");
    assert!(
        m2.body.supervisors[0]
            .pin
            .as_ref()
            .is_some_and(|p| p.verifier.is_none())
    );
    let (_, secret) = SupervisorSecret::badge(&badge).expect("badge");
    let badge_key = secret.derive_key(
        &hex::decode(&spec.salt).expect("salt"),
        NonZeroU32::new(spec.iterations).expect("iterations"),
    );
    let offline = Signer {
        supervisor_id: "SUP-1".into(),
        factor: SupervisorFactor::Badge,
        key: *badge_key.as_bytes(),
        session: None,
    };
    // Under the first manifest (badge not allowed): refused.
    let e = signed_in(&mut dev, &m, &offline);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("supervisor_session_invalid")]
    );
    // Under the second: honoured, and flagged for review.
    let e = signed_in(&mut dev, &m2, &offline);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
    assert!(
        h.alert_kinds()
            .await
            .contains(&"supervisor_offline_review".to_owned())
    );
    // After a re-issue, the old badge's key is cut off.
    h.supervisor_in("SUP-1", "D", PIN).await;
    let e = signed_in(&mut dev, &m2, &offline);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(statuses(&r), vec![not_honoured("supervisor_revoked")]);
}

#[tokio::test]
async fn the_same_id_in_two_depots_is_two_supervisors() {
    let h = Harness::new().await;
    h.supervisor_in("SUP-1", "D", PIN).await;
    h.supervisor_in("SUP-1", "E", "8642").await;
    let (mut d, md) = device_in(&h, "D", "SC-1").await;
    let (mut e, _) = device_in(&h, "E", "SC-2").await;
    // Depot E's SUP-1 has its own PIN and counter.
    assert!(matches!(
        h.sign_in(&mut e, "SUP-1", PIN).await,
        SupervisorSignInAnswer::Wrong { tries_left: 4 }
    ));
    assert!(matches!(
        h.sign_in(&mut d, "SUP-1", PIN).await,
        SupervisorSignInAnswer::SignedIn { .. }
    ));
    let e_session = h.session(&mut e, "SUP-1", "8642").await;
    // E's session signs nothing under D's manifest (another supervisor).
    let ev = signed_in(&mut d, &md, &e_session);
    let r = h.upload(&mut d, &[ev]).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("supervisor_session_invalid")]
    );
    // Re-issuing D's SUP-1 leaves E's untouched.
    h.supervisor_in("SUP-1", "D", "1357").await;
    assert!(matches!(
        h.sign_in(&mut e, "SUP-1", "8642").await,
        SupervisorSignInAnswer::SignedIn { .. }
    ));
}
