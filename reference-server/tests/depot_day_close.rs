//! The depot supervisor at the server (issue 14): a supervisor event whose
//! proof does not verify with the credential the server issued is rejected;
//! one without a proof too; a day close that disagrees with the events the
//! server holds is accepted as the device's statement and flagged for the
//! back office, while a truthful one is not.

mod common;

use std::num::NonZeroU32;

use common::{ADMIN, Device, Harness};
use courier_protocol::api::{
    CreateSupervisorRequest, CreateSupervisorResponse, DayCloseFlagsResponse,
};
use courier_protocol::code_verifier::CodeKey;
use courier_protocol::envelope::{EventBody, SignedEvent};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::{DayBook, DayCloseDifference, DayCloseRecord, DayTotals};
use courier_protocol::supervisor::{SupervisorProof, SupervisorSecret, supervisor_proof};
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

fn pin_key(m: &SignedManifest, pin: &str) -> CodeKey {
    let c = m
        .body
        .supervisors
        .first()
        .expect("the manifest lists the supervisor");
    let spec = &c.pin.as_ref().expect("pin").verifier;
    SupervisorSecret::pin(pin, 4).expect("pin").derive_key(
        &hex::decode(&spec.salt).expect("salt"),
        NonZeroU32::new(spec.iterations).expect("iterations"),
    )
}

fn signed_by(dev: &mut Device, mut body: EventBody, key: &CodeKey) -> SignedEvent {
    body.supervisor = Some(SupervisorProof {
        supervisor_id: "SUP-1".into(),
        factor: SupervisorFactor::Pin,
        proof: String::new(),
    });
    let digest = body.supervisor_digest().expect("digest");
    if let Some(s) = &mut body.supervisor {
        s.proof = hex::encode(supervisor_proof(key, &digest));
    }
    dev.seal_next(body)
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

/// After a rejection, the device's chain goes back to what the server holds.
fn rewind(dev: &mut Device, r: &courier_protocol::api::EventsResponse) {
    dev.seq = r.receipt.body.last_seq;
    dev.prev = r.receipt.body.last_hash.clone();
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
/// two parcels, the manifest accepted.
async fn depot_day(h: &Harness) -> (Device, SignedManifest, Vec<SignedEvent>) {
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
    (dev, m, events)
}

#[tokio::test]
async fn a_supervisor_proof_that_does_not_verify_is_rejected() {
    let h = Harness::new().await;
    let (mut dev, m, _) = depot_day(&h).await;
    let v = m.body.version;
    // A proof made with a wrong PIN's key.
    let body = next_body(&dev, EventKind::SupervisorSignedIn, None, v);
    let wrong = signed_by(&mut dev, body, &pin_key(&m, "1357"));
    let r = h.upload(&mut dev, std::slice::from_ref(&wrong)).await;
    assert_eq!(
        statuses(&r),
        vec![("not_honoured".into(), "bad_supervisor_proof".into())]
    );
    // The right key, but the body changed after the proof was made.
    rewind(&mut dev, &r);
    let mut body = next_body(&dev, EventKind::SupervisorSignedIn, None, v);
    body.detail.insert("factor".into(), "pin".into());
    let proper = {
        let mut b = body.clone();
        b.supervisor = Some(SupervisorProof {
            supervisor_id: "SUP-1".into(),
            factor: SupervisorFactor::Pin,
            proof: String::new(),
        });
        let d = b.supervisor_digest().expect("digest");
        hex::encode(supervisor_proof(&pin_key(&m, PIN), &d))
    };
    body.detail.insert("name".into(), "someone else".into());
    body.supervisor = Some(SupervisorProof {
        supervisor_id: "SUP-1".into(),
        factor: SupervisorFactor::Pin,
        proof: proper,
    });
    let tampered = dev.seal_next(body);
    let r = h.upload(&mut dev, std::slice::from_ref(&tampered)).await;
    assert_eq!(
        statuses(&r),
        vec![("not_honoured".into(), "bad_supervisor_proof".into())]
    );
    // No proof at all on a supervisor event.
    rewind(&mut dev, &r);
    let bare = dev.seal_next(next_body(&dev, EventKind::SupervisorSignedIn, None, v));
    let r = h.upload(&mut dev, std::slice::from_ref(&bare)).await;
    assert_eq!(
        statuses(&r),
        vec![("not_honoured".into(), "supervisor_required".into())]
    );
    rewind(&mut dev, &r);
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
                pin: None,
                attempt_limit: None,
                pin_iterations: None,
            },
        )
        .await;
    let text = other.badge_text.expect("badge");
    let (_, secret) = SupervisorSecret::badge(&text).expect("badge");
    let other_m = {
        let dev2 = h.enroll().await;
        let o = h.order("DC-X", CodePolicy::OfflineAllowed).await;
        h.admin_post::<_, SignedManifest>(
            "/v1/admin/manifests",
            &courier_protocol::api::IssueManifestRequest {
                device_id: dev2.id.clone(),
                parcel_ids: vec![o.parcel_id],
                withdrawn: vec![],
                depot: "ELSEWHERE".into(),
                valid_for_ms: 3_600_000,
            },
        )
        .await
    };
    let spec = other_m.body.supervisors[0]
        .badge
        .clone()
        .expect("badge spec");
    let k2 = secret.derive_key(
        &hex::decode(&spec.salt).expect("salt"),
        NonZeroU32::new(spec.iterations).expect("iterations"),
    );
    let mut body = next_body(&dev, EventKind::SupervisorSignedIn, None, v);
    body.supervisor = Some(SupervisorProof {
        supervisor_id: "SUP-2".into(),
        factor: SupervisorFactor::Badge,
        proof: String::new(),
    });
    let d = body.supervisor_digest().expect("digest");
    if let Some(s) = &mut body.supervisor {
        s.proof = hex::encode(supervisor_proof(&k2, &d));
    }
    let foreign = dev.seal_next(body);
    let r = h.upload(&mut dev, &[foreign]).await;
    assert_eq!(
        statuses(&r),
        vec![("not_honoured".into(), "supervisor_required".into())]
    );
    // The right PIN's key: accepted.
    rewind(&mut dev, &r);
    let body = next_body(&dev, EventKind::SupervisorSignedIn, None, v);
    let right = signed_by(&mut dev, body, &pin_key(&m, PIN));
    let r = h.upload(&mut dev, &[right]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
}

/// The courier's confirmation of `totals` and a close claiming them.
fn close(
    dev: &mut Device,
    m: &SignedManifest,
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
    let closed = signed_by(dev, body, &pin_key(m, PIN));
    vec![confirm, closed]
}

#[tokio::test]
async fn a_day_close_that_disagrees_with_the_events_held_is_flagged() {
    let h = Harness::new().await;
    let (mut dev, m, events) = depot_day(&h).await;
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
    let batch = close(&mut dev, &m, lie.clone(), None);
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
    let (mut dev, m, events) = depot_day(&h).await;
    let truth = DayBook::from_log(&m.body.parcels, &events).totals();
    let batch = close(&mut dev, &m, truth, Some("both parcels stayed in the van"));
    let r = h.upload(&mut dev, &batch).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
    assert!(flags(&h).await.flags.is_empty());
    // A close whose courier confirmation is of other totals is flagged.
    let h2 = Harness::new().await;
    let (mut dev, m, events) = depot_day(&h2).await;
    let truth = DayBook::from_log(&m.body.parcels, &events).totals();
    let mut batch = close(&mut dev, &m, truth, None);
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
