//! Stop desks at the server (issue 25, point 3): a courier's handover to a
//! desk is stored at once but takes effect only with the desk's matching
//! intake of the parcel (until then it is `pending`, and the device's log
//! goes on); an intake naming another handover is recorded, not honoured;
//! the buyer collects at the desk with the same code, which releases the
//! money; a parcel not collected within the holding period goes back as a
//! return, the buyer liable. Run on PostgreSQL with
//! `ESCROW_TEST_DATABASE_URL` (scripts/postgres-test.sh).

mod common;
mod doorstep;

use std::collections::BTreeMap;

use common::Harness;
use common::supervisors::next_body;
use courier_protocol::api::IssueManifestRequest;
use courier_protocol::desk_stop::DeskStop;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::desk::{HOLD_DETAIL, HOLD_EXPIRED};
use courier_protocol::vocabulary::{CodePolicy, EventKind, Liability, Outcome, Reason};
use courier_test_support::server::{Device, T0};
use doorstep::{accepted, delivered, not_honoured, upload};

const DAY_MS: i64 = 86_400_000;

fn pending() -> (String, String) {
    ("pending".into(), String::new())
}

/// A courier and a stop desk, and orders the courier carries to the desk:
/// both manifests name the desk (the desk's, issued last, holds the orders).
struct DeskDay {
    courier: Device,
    desk: Device,
    courier_manifest: SignedManifest,
    desk_manifest: SignedManifest,
    /// (parcel id, label, numeric code) of each order.
    parcels: Vec<(String, String, String)>,
}

async fn issue(h: &Harness, device: &str, ids: &[String], desk: &str) -> SignedManifest {
    let desks: BTreeMap<String, DeskStop> = ids
        .iter()
        .map(|p| {
            (
                p.clone(),
                DeskStop {
                    device_id: desk.into(),
                    holding_days: 5,
                    held_here: false,
                },
            )
        })
        .collect();
    h.admin_post(
        "/v1/admin/manifests",
        &IssueManifestRequest {
            device_id: device.into(),
            parcel_ids: ids.to_vec(),
            withdrawn: vec![],
            depot: "D".into(),
            valid_for_ms: 3_600_000,
            load_check: false,
            desks,
            photos: Default::default(),
        },
    )
    .await
}

async fn desk_day(h: &Harness, orders: usize) -> DeskDay {
    let courier = h.enroll().await;
    let desk = h.enroll().await;
    let mut created = Vec::new();
    for i in 0..orders {
        created.push(
            h.order(&format!("DK-{i}"), CodePolicy::OfflineAllowed)
                .await,
        );
    }
    let ids: Vec<String> = created.iter().map(|o| o.parcel_id.clone()).collect();
    let courier_manifest = issue(h, &courier.id, &ids, &desk.id).await;
    let desk_manifest = issue(h, &desk.id, &ids, &desk.id).await;
    // The server tells each device its side.
    assert!(courier_manifest.body.parcels.iter().all(|p| {
        p.desk
            .as_ref()
            .is_some_and(|d| !d.held_here && d.device_id == desk.id)
    }));
    assert!(
        desk_manifest
            .body
            .parcels
            .iter()
            .all(|p| p.desk.as_ref().is_some_and(|d| d.held_here))
    );
    let parcels = created
        .iter()
        .map(|o| {
            let label = courier_manifest
                .body
                .parcels
                .iter()
                .find(|p| p.parcel_id == o.parcel_id)
                .expect("listed")
                .label
                .clone();
            (o.parcel_id.clone(), label, o.numeric_code.clone())
        })
        .collect();
    DeskDay {
        courier,
        desk,
        courier_manifest,
        desk_manifest,
        parcels,
    }
}

fn handover(d: &mut DeskDay, which: usize) -> SignedEvent {
    let (pid, label, _) = d.parcels[which].clone();
    let mut body = next_body(
        &d.courier,
        EventKind::DeskHandover,
        Some(&pid),
        d.courier_manifest.body.version,
    );
    body.detail.insert("label".into(), label);
    body.detail.insert("desk_device".into(), d.desk.id.clone());
    d.courier.seal_next(body)
}

/// The desk's intake at `at_ms`, naming `ticket` (courier device, handover
/// event, hash) when scanned from the courier's screen.
fn intake(
    d: &mut DeskDay,
    which: usize,
    ticket: Option<(&str, &str, &str)>,
    at_ms: i64,
) -> SignedEvent {
    let (pid, label, _) = d.parcels[which].clone();
    let mut body = next_body(
        &d.desk,
        EventKind::DeskIntake,
        Some(&pid),
        d.desk_manifest.body.version,
    );
    body.clock.device_utc_ms = at_ms;
    body.detail.insert("label".into(), label);
    if let Some((device, event, hash)) = ticket {
        body.detail.insert("courier_device".into(), device.into());
        body.detail.insert("handover_event".into(), event.into());
        body.detail.insert("handover_hash".into(), hash.into());
    }
    d.desk.seal_next(body)
}

fn desk_event(d: &mut DeskDay, kind: EventKind, which: usize, at_ms: i64) -> SignedEvent {
    let pid = d.parcels[which].0.clone();
    let mut body = next_body(&d.desk, kind, Some(&pid), d.desk_manifest.body.version);
    body.clock.device_utc_ms = at_ms;
    d.desk.seal_next(body)
}

/// The desk's end of a hold at `at_ms`: "no answer", the buyer liable.
fn hold_ended(d: &mut DeskDay, which: usize, at_ms: i64) -> SignedEvent {
    let pid = d.parcels[which].0.clone();
    let mut body = next_body(
        &d.desk,
        EventKind::Outcome,
        Some(&pid),
        d.desk_manifest.body.version,
    );
    body.clock.device_utc_ms = at_ms;
    body.outcome = Some(Outcome::NoAnswer);
    body.reason = Some(Reason::Absent);
    body.liability = Some(Liability::Buyer);
    body.detail.insert(HOLD_DETAIL.into(), HOLD_EXPIRED.into());
    d.desk.seal_next(body)
}

#[tokio::test]
async fn a_handover_takes_effect_only_with_the_desks_matching_intake() {
    let h = Harness::new().await;
    let mut d = desk_day(&h, 3).await;

    // Parcel 0: the courier syncs first. His handover is stored and pending.
    let given = handover(&mut d, 0);
    let (event_id, hash) = (given.body.event_id.clone(), given.hash.clone());
    let r = upload(&h, &mut d.courier, &[given]).await;
    assert_eq!(r, vec![pending()]);
    // His log goes on; he can no longer deliver the parcel at a door.
    let at_door = d.courier.next(EventKind::Arrived, Some(&d.parcels[0].0));
    let r = upload(&h, &mut d.courier, &[at_door]).await;
    assert_eq!(r, vec![not_honoured("not_allowed_now")]);
    // The server learns the desk's view: pending until the intake.
    assert_eq!(
        handover_status(&h, &mut d.courier, &event_id).await,
        "pending"
    );
    // An intake naming another hash is recorded and not honoured.
    let courier_id = d.courier.id.clone();
    let forged = intake(
        &mut d,
        0,
        Some((&courier_id, &event_id, &"0".repeat(64))),
        T0,
    );
    assert_eq!(
        upload(&h, &mut d.desk, &[forged]).await,
        vec![not_honoured("handover_mismatch")]
    );
    assert_eq!(
        handover_status(&h, &mut d.courier, &event_id).await,
        "pending"
    );
    // The desk scans the courier's ticket: the handover is confirmed.
    let taken = intake(&mut d, 0, Some((&courier_id, &event_id, &hash)), T0);
    assert_eq!(upload(&h, &mut d.desk, &[taken]).await, vec![accepted()]);
    assert_eq!(
        handover_status(&h, &mut d.courier, &event_id).await,
        "confirmed"
    );

    // Parcel 1: the desk, offline, scanned the courier's ticket and syncs
    // first; the courier's handover is then accepted at once.
    let given = handover(&mut d, 1);
    let ticket = (given.body.event_id.clone(), given.hash.clone());
    let taken = intake(&mut d, 1, Some((&courier_id, &ticket.0, &ticket.1)), T0);
    assert_eq!(upload(&h, &mut d.desk, &[taken]).await, vec![accepted()]);
    assert_eq!(upload(&h, &mut d.courier, &[given]).await, vec![accepted()]);

    // Parcel 2: the desk typed the label (no ticket): the intake of the
    // same parcel by the desk the handover names confirms it too.
    let taken = intake(&mut d, 2, None, T0);
    assert_eq!(upload(&h, &mut d.desk, &[taken]).await, vec![accepted()]);
    let given = handover(&mut d, 2);
    assert_eq!(upload(&h, &mut d.courier, &[given]).await, vec![accepted()]);
}

#[tokio::test]
async fn the_buyer_collects_at_the_desk_with_the_code_and_the_money_is_released() {
    let h = Harness::new().await;
    let mut d = desk_day(&h, 1).await;
    let (pid, _, code) = d.parcels[0].clone();
    // Before the intake the desk cannot serve the buyer.
    let early = desk_event(&mut d, EventKind::Arrived, 0, T0);
    assert_eq!(
        upload(&h, &mut d.desk, &[early]).await,
        vec![not_honoured("not_allowed_now")]
    );
    let given = handover(&mut d, 0);
    assert_eq!(upload(&h, &mut d.courier, &[given]).await, vec![pending()]);
    let taken = intake(&mut d, 0, None, T0);
    let counter = desk_event(&mut d, EventKind::Arrived, 0, T0 + DAY_MS);
    let m = d.desk_manifest.clone();
    let paid = delivered(&mut d.desk, &m, &pid, &code, 1);
    assert_eq!(
        upload(&h, &mut d.desk, &[taken, counter, paid]).await,
        vec![accepted(), accepted(), accepted()]
    );
    // The delivery is honoured (accepted, not "not honoured"): the order's
    // money goes to the seller, exactly as at a door.
}

#[tokio::test]
async fn a_parcel_not_collected_in_its_holding_period_goes_back_with_the_buyer_liable() {
    let h = Harness::new().await;
    let mut d = desk_day(&h, 1).await;
    let taken = intake(&mut d, 0, None, T0);
    assert_eq!(upload(&h, &mut d.desk, &[taken]).await, vec![accepted()]);
    // Within the five days the hold cannot end.
    let early = hold_ended(&mut d, 0, T0 + 4 * DAY_MS);
    assert_eq!(
        upload(&h, &mut d.desk, &[early]).await,
        vec![not_honoured("not_allowed_now")]
    );
    // After them: the buyer can no longer collect, and the return is his.
    let late_buyer = desk_event(&mut d, EventKind::Arrived, 0, T0 + 5 * DAY_MS);
    let ended = hold_ended(&mut d, 0, T0 + 5 * DAY_MS + 1);
    assert_eq!(
        upload(&h, &mut d.desk, &[late_buyer, ended]).await,
        vec![not_honoured("not_allowed_now"), accepted()]
    );
    // The hold's end must say the buyer pays, as the fees table does.
    let mut body = next_body(
        &d.desk,
        EventKind::Outcome,
        Some(&d.parcels[0].0),
        d.desk_manifest.body.version,
    );
    body.clock.device_utc_ms = T0 + 6 * DAY_MS;
    body.outcome = Some(Outcome::NoAnswer);
    body.reason = Some(Reason::Absent);
    body.liability = Some(Liability::Seller);
    body.detail.insert(HOLD_DETAIL.into(), HOLD_EXPIRED.into());
    let wrong_payer = d.desk.seal_next(body);
    assert_eq!(
        upload(&h, &mut d.desk, &[wrong_payer]).await,
        vec![not_honoured("wrong_liability")]
    );
}

/// `GET /v1/desk-handovers/{event_id}`, signed by the courier's device:
/// the handover's status.
async fn handover_status(h: &Harness, courier: &mut Device, event_id: &str) -> String {
    let path = format!("/v1/desk-handovers/{event_id}");
    let (status, text) = h.signed(courier, "GET", &path, Vec::new()).await;
    assert_eq!(status, 200, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["status"].as_str().unwrap_or("").to_owned()
}
