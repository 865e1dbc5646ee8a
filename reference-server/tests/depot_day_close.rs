//! The depot supervisor at the server (issue 14): a supervisor event whose
//! proof does not verify with the credential the server issued is rejected;
//! one without a proof too; a day close that disagrees with the events the
//! server holds is accepted as the device's statement and flagged for the
//! back office, while a truthful one is not.

mod common;

use common::supervisors::{Signer, SupervisorHarness, seal_signed};
use common::{ADMIN, Device, Harness};
use courier_protocol::api::{
    CreateSupervisorRequest, CreateSupervisorResponse, DayCloseFlagsResponse,
};
use courier_protocol::code_verifier::CodeKey;
use courier_protocol::envelope::{EventBody, SignedEvent};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::{DayBook, DayCloseDifference, DayCloseRecord, DayTotals};
use courier_protocol::supervisor::{SupervisorProof, supervisor_proof};
use courier_protocol::vocabulary::{
    CodePolicy, EventKind, Liability, Outcome, Reason, SupervisorFactor,
};

const PIN: &str = "2468";

async fn supervisor(h: &Harness) -> CreateSupervisorResponse {
    h.admin_post(
        "/v1/admin/supervisors",
        &CreateSupervisorRequest {
            supervisor_id: "SUP-1".into(),
            name: "Samira".into(),
            depot: "D".into(),
            badge: true,
            pin: Some(PIN.into()),
            attempt_limit: None,
            pin_iterations: Some(1_000),
        },
    )
    .await
}

fn signed_by(dev: &mut Device, body: EventBody, signer: &Signer) -> SignedEvent {
    seal_signed(dev, body, signer)
}

fn next_body(dev: &Device, kind: EventKind, parcel: Option<&str>, version: u64) -> EventBody {
    let mut b = dev.body(dev.seq + 1, &dev.prev.clone(), kind, parcel);
    b.manifest_version = Some(version);
    b
}

fn statuses(r: &courier_protocol::api::EventsResponse) -> Vec<(String, String)> {
    let v = serde_json::to_value(&r.receipt.body.results).expect("json");
    v.as_array()
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

async fn flags(h: &Harness) -> DayCloseFlagsResponse {
    h.http
        .get(h.url("/v1/admin/day-close-flags"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("flags")
        .json()
        .await
        .expect("json")
}

/// An enrolled device whose manifest (depot "D") lists the supervisor and
/// two parcels, the manifest accepted; the supervisor signed in at the server.
async fn depot_day(h: &Harness) -> (Device, SignedManifest, Vec<SignedEvent>, Signer) {
    let created = supervisor(h).await;
    assert!(created.badge_text.is_some() && created.has_pin);
    let mut dev = h.enroll().await;
    let a = h.order("DC-1", CodePolicy::OfflineAllowed).await;
    let b = h.order("DC-2", CodePolicy::OfflineAllowed).await;
    let m = h
        .manifest(&dev.id, &[&a.parcel_id, &b.parcel_id], 3_600_000)
        .await;
    let accepted_m = {
        let body = next_body(&dev, EventKind::ManifestAccepted, None, m.body.version);
        dev.seal_next(body)
    };
    let mut outcome = next_body(&dev, EventKind::Outcome, Some(&a.parcel_id), m.body.version);
    outcome.outcome = Some(Outcome::CarrierProblem);
    outcome.reason = Some(Reason::Vehicle);
    outcome.liability = Some(Liability::Carrier);
    let outcome = dev.seal_next(outcome);
    let events = vec![accepted_m, outcome];
    let r = h.upload(&mut dev, &events).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
    let signer = h.session(&mut dev, "SUP-1", PIN).await;
    (dev, m, events, signer)
}

#[tokio::test]
async fn a_supervisor_proof_that_does_not_verify_is_rejected() {
    let h = Harness::new().await;
    let (mut dev, m, _, signer) = depot_day(&h).await;
    let v = m.body.version;
    // A proof made with a wrong key.
    let body = next_body(&dev, EventKind::SupervisorSignedIn, None, v);
    let wrong_key = Signer {
        key: [9; 32],
        ..signer.clone()
    };
    let wrong = signed_by(&mut dev, body, &wrong_key);
    let r = h.upload(&mut dev, std::slice::from_ref(&wrong)).await;
    assert_eq!(
        statuses(&r),
        vec![("not_honoured".into(), "bad_supervisor_proof".into())]
    );
    // The right key, but the body changed after the proof was made.
    let mut body = next_body(&dev, EventKind::SupervisorSignedIn, None, v);
    body.detail.insert("factor".into(), "pin".into());
    let proper = {
        let mut b = body.clone();
        b.supervisor = Some(SupervisorProof {
            supervisor_id: "SUP-1".into(),
            factor: SupervisorFactor::Pin,
            proof: String::new(),
            session: signer.session.clone(),
        });
        let d = b.supervisor_digest().expect("digest");
        hex::encode(supervisor_proof(&CodeKey::from_bytes(signer.key), &d))
    };
    body.detail.insert("name".into(), "someone else".into());
    body.supervisor = Some(SupervisorProof {
        supervisor_id: "SUP-1".into(),
        factor: SupervisorFactor::Pin,
        proof: proper,
        session: signer.session.clone(),
    });
    let tampered = dev.seal_next(body);
    let r = h.upload(&mut dev, std::slice::from_ref(&tampered)).await;
    assert_eq!(
        statuses(&r),
        vec![("not_honoured".into(), "bad_supervisor_proof".into())]
    );
    // No proof at all on a supervisor event.
    let bare = dev.seal_next(next_body(&dev, EventKind::SupervisorSignedIn, None, v));
    let r = h.upload(&mut dev, std::slice::from_ref(&bare)).await;
    assert_eq!(
        statuses(&r),
        vec![("not_honoured".into(), "supervisor_required".into())]
    );
    // A supervisor the server knows, but whom this device's manifest did not
    // list, signs nothing here.
    let other = h
        .admin_post::<_, CreateSupervisorResponse>(
            "/v1/admin/supervisors",
            &CreateSupervisorRequest {
                supervisor_id: "SUP-2".into(),
                name: "Other depot".into(),
                depot: "ELSEWHERE".into(),
                badge: true,
                pin: Some("8642".into()),
                attempt_limit: None,
                pin_iterations: Some(1_000),
            },
        )
        .await;
    assert!(other.badge_text.is_some());
    // SUP-2 signs in on a device of its own depot; its session signs nothing
    // on this device, whose manifest does not list it.
    let mut dev2 = h.enroll().await;
    let o = h.order("DC-X", CodePolicy::OfflineAllowed).await;
    let _ = h.manifest_in(&dev2.id, &[&o.parcel_id], "ELSEWHERE").await;
    let foreign_signer = h.session(&mut dev2, "SUP-2", "8642").await;
    let body = next_body(&dev, EventKind::SupervisorSignedIn, None, v);
    let foreign = signed_by(&mut dev, body, &foreign_signer);
    let r = h.upload(&mut dev, &[foreign]).await;
    assert_eq!(
        statuses(&r),
        vec![("not_honoured".into(), "supervisor_required".into())]
    );
    // The session's key: accepted.
    let body = next_body(&dev, EventKind::SupervisorSignedIn, None, v);
    let right = signed_by(&mut dev, body, &signer);
    let r = h.upload(&mut dev, &[right]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
}

/// The courier's confirmation of `totals` and a close claiming them.
fn close(
    dev: &mut Device,
    m: &SignedManifest,
    signer: &Signer,
    totals: DayTotals,
    forced: Option<&str>,
) -> Vec<SignedEvent> {
    let v = m.body.version;
    let mut confirm = next_body(dev, EventKind::CourierConfirmed, None, v);
    confirm.detail.insert("subject".into(), "day_close".into());
    confirm
        .detail
        .insert("digest".into(), totals.digest().expect("digest"));
    let confirm = dev.seal_next(confirm);
    let mut body = next_body(dev, EventKind::DayClosed, None, v);
    body.day = Some(DayCloseRecord {
        totals,
        head_seq: dev.seq,
        head_hash: dev.prev.clone(),
        courier_confirmation: confirm.body.event_id.clone(),
        forced: forced.is_some(),
        force_reason: forced.map(str::to_owned),
    });
    let closed = signed_by(dev, body, signer);
    vec![confirm, closed]
}

#[tokio::test]
async fn a_day_close_that_disagrees_with_the_events_held_is_flagged() {
    let h = Harness::new().await;
    let (mut dev, m, events, signer) = depot_day(&h).await;
    // What the events say: both parcels are expected back, neither received.
    let truth = DayBook::from_log(&m.body.parcels, &events).totals();
    assert_eq!(truth.expected, 2);
    assert_eq!(truth.missing.len(), 2);
    // The device claims everything came back.
    let lie = DayTotals {
        received: 2,
        missing: Vec::new(),
        ..truth.clone()
    };
    let batch = close(&mut dev, &m, &signer, lie.clone(), None);
    let r = h.upload(&mut dev, &batch).await;
    assert_eq!(
        statuses(&r),
        vec![accepted(), accepted()],
        "accepted, then flagged"
    );
    let f = flags(&h).await.flags;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].event_id, batch[1].body.event_id);
    assert_eq!(f[0].device_id, dev.id);
    assert!(
        f[0].differences.contains(&DayCloseDifference::Totals {
            recorded: lie,
            computed: truth.clone(),
        }),
        "{:?}",
        f[0].differences
    );
}

#[tokio::test]
async fn a_truthful_forced_close_is_not_flagged() {
    let h = Harness::new().await;
    let (mut dev, m, events, signer) = depot_day(&h).await;
    let truth = DayBook::from_log(&m.body.parcels, &events).totals();
    let batch = close(
        &mut dev,
        &m,
        &signer,
        truth,
        Some("both parcels stayed in the van"),
    );
    let r = h.upload(&mut dev, &batch).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
    assert!(flags(&h).await.flags.is_empty());
    // A close whose courier confirmation is of other totals is flagged.
    let h2 = Harness::new().await;
    let (mut dev, m, events, signer) = depot_day(&h2).await;
    let truth = DayBook::from_log(&m.body.parcels, &events).totals();
    let mut batch = close(&mut dev, &m, &signer, truth, None);
    let closed = batch.pop().expect("close");
    let r = h2.upload(&mut dev, &[batch.remove(0), closed]).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
    let f = flags(&h2).await.flags;
    assert_eq!(f.len(), 1);
    assert!(
        f[0].differences
            .contains(&DayCloseDifference::MissingNotForced)
    );
}
