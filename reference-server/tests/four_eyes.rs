//! Four eyes at the server (issue 21, point 2), on SQLite or PostgreSQL
//! (`ESCROW_TEST_DATABASE_URL`): a fee change needs the courier's
//! confirmation of exactly that change; after a return is scanned in or the
//! day closed, a correction of its outcome needs the supervisor; after a
//! signed close, a parcel it listed missing is delivered only after the
//! supervisor reopened the day.

mod common;

use std::num::NonZeroU32;

use common::supervisors::{
    Signer, SupervisorHarness, accepted, next_body, not_honoured, seal_signed, statuses,
};
use common::{Device, Harness};
use courier_protocol::api::CreateOrderResponse;
use courier_protocol::code_verifier::BuyerSecret;
use courier_protocol::envelope::{SignedEvent, Verification};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::{DayBook, DayCloseRecord, FeeChangeSubject};
use courier_protocol::vocabulary::{
    CheckMode, CheckResult, CodePolicy, EntryMode, EventKind, Liability, Outcome, Reason,
};

const PIN: &str = "2468";

struct Day {
    dev: Device,
    m: SignedManifest,
    order: CreateOrderResponse,
    signer: Signer,
    events: Vec<SignedEvent>,
    outcome: SignedEvent,
}

/// A device of depot D with one parcel, whose outcome was a carrier problem
/// (the carrier pays, the parcel goes back); the supervisor signed in.
async fn day(h: &Harness) -> Day {
    h.supervisor_in("SUP-1", "D", PIN).await;
    let mut dev = h.enroll().await;
    let order = h.order("FE-1", CodePolicy::OfflineAllowed).await;
    let m = h.manifest_in(&dev.id, &[&order.parcel_id], "D").await;
    let v = m.body.version;
    let acc = dev.seal_next(next_body(&dev, EventKind::ManifestAccepted, None, v));
    let mut o = next_body(&dev, EventKind::Outcome, Some(&order.parcel_id), v);
    o.outcome = Some(Outcome::CarrierProblem);
    o.reason = Some(Reason::Vehicle);
    o.liability = Some(Liability::Carrier);
    let outcome = dev.seal_next(o);
    let events = vec![acc, outcome.clone()];
    let r = h.upload(&mut dev, &events).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
    let signer = h.session(&mut dev, "SUP-1", PIN).await;
    Day {
        dev,
        m,
        order,
        signer,
        events,
        outcome,
    }
}

impl Day {
    /// Seals `body` with the supervisor's session proof.
    fn signed(&mut self, body: courier_protocol::envelope::EventBody) -> SignedEvent {
        let signer = self.signer.clone();
        seal_signed(&mut self.dev, body, &signer)
    }

    fn body(&self, kind: EventKind) -> courier_protocol::envelope::EventBody {
        next_body(
            &self.dev,
            kind,
            Some(&self.order.parcel_id),
            self.m.body.version,
        )
    }

    /// A correction of the outcome to "buyer cancelled" (the buyer pays).
    fn correction(&self) -> courier_protocol::envelope::EventBody {
        let mut c = self.body(EventKind::Correction);
        c.outcome = Some(Outcome::BuyerCancelled);
        c.reason = Some(Reason::ChangedMind);
        c.liability = Some(Outcome::BuyerCancelled.liability());
        c.corrects = Some(self.outcome.body.event_id.clone());
        c.detail.insert("note".into(), "buyer phoned".into());
        c
    }

    /// The courier's confirmation and the supervisor's close of the day's
    /// true totals (forced: the parcel is missing).
    fn close(&mut self) -> Vec<SignedEvent> {
        let totals = DayBook::from_log(&self.m.body.parcels, &self.events).totals();
        assert_eq!(
            totals.missing,
            vec![format!("LBL-{}", self.order.order_ref)]
        );
        let v = self.m.body.version;
        let mut confirm = next_body(&self.dev, EventKind::CourierConfirmed, None, v);
        confirm.detail.insert("subject".into(), "day_close".into());
        confirm
            .detail
            .insert("digest".into(), totals.digest().expect("digest"));
        let confirm = self.dev.seal_next(confirm);
        let mut close = next_body(&self.dev, EventKind::DayClosed, None, v);
        close.day = Some(DayCloseRecord {
            totals,
            head_seq: self.dev.seq,
            head_hash: self.dev.prev.clone(),
            courier_confirmation: confirm.body.event_id.clone(),
            forced: true,
            force_reason: Some("the parcel stayed in the van".into()),
        });
        let close = seal_signed(&mut self.dev, close, &self.signer);
        vec![confirm, close]
    }
}

fn fee_change(
    d: &Day,
    payer: Liability,
    confirmation: Option<&str>,
) -> courier_protocol::envelope::EventBody {
    let mut f = d.body(EventKind::FeeChanged);
    f.corrects = Some(d.outcome.body.event_id.clone());
    f.liability = Some(payer);
    f.detail
        .insert("note".into(), "the seller mislabelled it".into());
    if let Some(c) = confirmation {
        f.detail.insert("courier_confirmation".into(), c.into());
    }
    f
}

fn courier_confirms(d: &mut Day, payer: Liability) -> SignedEvent {
    let subject = FeeChangeSubject {
        parcel_id: d.order.parcel_id.clone(),
        outcome_event_id: d.outcome.body.event_id.clone(),
        payer,
        note: "the seller mislabelled it".into(),
    };
    let mut c = d.body(EventKind::CourierConfirmed);
    c.detail.insert("subject".into(), "fee_change".into());
    c.detail
        .insert("digest".into(), subject.digest().expect("digest"));
    d.dev.seal_next(c)
}

#[tokio::test]
async fn a_fee_change_without_the_couriers_confirmation_moves_no_fee() {
    let h = Harness::new().await;
    let mut d = day(&h).await;
    // Supervisor-signed, uploaded with the device key, no courier confirmation.
    let f = {
        let b = fee_change(&d, Liability::Seller, None);
        d.signed(b)
    };
    let r = h.upload(&mut d.dev, &[f]).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("courier_confirmation_required")]
    );
    // The courier confirmed another change (the buyer pays): not this one.
    let other = courier_confirms(&mut d, Liability::Buyer);
    let b = fee_change(&d, Liability::Seller, Some(&other.body.event_id));
    let f = d.signed(b);
    let r = h.upload(&mut d.dev, &[other, f]).await;
    assert_eq!(
        statuses(&r),
        vec![accepted(), not_honoured("courier_confirmation_required")]
    );
    // The courier's confirmation of exactly this change: the fee moves, once.
    let mine = courier_confirms(&mut d, Liability::Seller);
    let id = mine.body.event_id.clone();
    let f = {
        let b = fee_change(&d, Liability::Seller, Some(&id));
        d.signed(b)
    };
    let r = h.upload(&mut d.dev, &[mine, f]).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
    // The same confirmation does not serve twice.
    let again = {
        let b = fee_change(&d, Liability::Buyer, Some(&id));
        d.signed(b)
    };
    let r = h.upload(&mut d.dev, &[again]).await;
    assert_eq!(
        statuses(&r),
        vec![not_honoured("courier_confirmation_required")]
    );
}

#[tokio::test]
async fn after_scan_in_a_correction_of_the_outcome_needs_the_supervisor() {
    let h = Harness::new().await;
    let mut d = day(&h).await;
    let check_in = {
        let b = d.body(EventKind::ReturnCheckIn);
        d.signed(b)
    };
    let r = h.upload(&mut d.dev, &[check_in]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
    // The courier alone moves the fee from the carrier to the buyer: refused.
    let c = d.dev.seal_next(d.correction());
    let r = h.upload(&mut d.dev, &[c]).await;
    assert_eq!(statuses(&r), vec![not_honoured("supervisor_required")]);
    // With the supervisor's proof: recorded.
    let c = {
        let b = d.correction();
        d.signed(b)
    };
    let r = h.upload(&mut d.dev, &[c]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
}

#[tokio::test]
async fn after_the_close_a_correction_of_the_outcome_needs_the_supervisor() {
    let h = Harness::new().await;
    let mut d = day(&h).await;
    let close = d.close();
    let r = h.upload(&mut d.dev, &close).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
    let c = d.dev.seal_next(d.correction());
    let r = h.upload(&mut d.dev, &[c]).await;
    assert_eq!(statuses(&r), vec![not_honoured("supervisor_required")]);
    let c = {
        let b = d.correction();
        d.signed(b)
    };
    let r = h.upload(&mut d.dev, &[c]).await;
    assert_eq!(statuses(&r), vec![accepted()]);
}

/// A `delivered` outcome of the day's parcel, proved with the buyer's code.
fn delivered(d: &mut Day) -> SignedEvent {
    let mut b = d.body(EventKind::Outcome);
    b.outcome = Some(Outcome::Delivered);
    b.liability = Some(Liability::None);
    b.verification = Some(Verification {
        entry: EntryMode::Keypad,
        check: CheckMode::Offline,
        result: CheckResult::Match,
        attempt: 1,
        attempt_limit: 3,
    });
    let spec = &d.m.body.parcels[0].code.numeric;
    let key = BuyerSecret::numeric(&d.order.numeric_code, d.m.body.parcels[0].code.digits)
        .expect("code")
        .derive_key(
            &hex::decode(&spec.salt).expect("salt"),
            NonZeroU32::new(spec.iterations).expect("iterations"),
        );
    let digest = b.proof_digest().expect("digest");
    b.code_proof = Some(hex::encode(key.proof(&digest)));
    d.dev.seal_next(b)
}

#[tokio::test]
async fn after_a_signed_close_a_missing_parcel_is_delivered_only_after_a_reopening() {
    let h = Harness::new().await;
    let mut d = day(&h).await;
    let close = d.close();
    let r = h.upload(&mut d.dev, &close).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
    // The courier "delivers" the parcel the close listed missing.
    let arrived = d.dev.seal_next(d.body(EventKind::Arrived));
    let late = delivered(&mut d);
    let r = h.upload(&mut d.dev, &[arrived, late]).await;
    assert_eq!(statuses(&r), vec![accepted(), not_honoured("day_closed")]);
    // A reopening needs the supervisor.
    let mut reopen = next_body(&d.dev, EventKind::DayReopened, None, d.m.body.version);
    reopen
        .detail
        .insert("note".into(), "the buyer came to the depot".into());
    let bare = d.dev.seal_next(reopen.clone());
    let r = h.upload(&mut d.dev, &[bare]).await;
    assert_eq!(statuses(&r), vec![not_honoured("supervisor_required")]);
    // The not-honoured reopening reopened nothing; the supervisor's does.
    let mut reopen = next_body(&d.dev, EventKind::DayReopened, None, d.m.body.version);
    reopen
        .detail
        .insert("note".into(), "the buyer came to the depot".into());
    let reopen = d.signed(reopen);
    let late = delivered(&mut d);
    let r = h.upload(&mut d.dev, &[reopen, late]).await;
    assert_eq!(statuses(&r), vec![accepted(), accepted()]);
}

#[tokio::test]
async fn the_payers_are_part_of_the_totals_the_server_checks_at_the_close() {
    let h = Harness::new().await;
    let mut d = day(&h).await;
    let truth = DayBook::from_log(&d.m.body.parcels, &d.events).totals();
    let label = format!("LBL-{}", d.order.order_ref);
    assert_eq!(truth.payers.get(&label), Some(&Liability::Carrier));
    // The device's close says the seller pays: the server's totals differ.
    let mut lie = truth.clone();
    lie.payers.insert(label, Liability::Seller);
    let v = d.m.body.version;
    let mut confirm = next_body(&d.dev, EventKind::CourierConfirmed, None, v);
    confirm.detail.insert("subject".into(), "day_close".into());
    confirm
        .detail
        .insert("digest".into(), lie.digest().expect("digest"));
    assert_ne!(
        lie.digest().expect("digest"),
        truth.digest().expect("digest")
    );
    let confirm = d.dev.seal_next(confirm);
    let mut close = next_body(&d.dev, EventKind::DayClosed, None, v);
    close.day = Some(DayCloseRecord {
        totals: lie,
        head_seq: d.dev.seq,
        head_hash: d.dev.prev.clone(),
        courier_confirmation: confirm.body.event_id.clone(),
        forced: true,
        force_reason: Some("the parcel stayed in the van".into()),
    });
    let close = d.signed(close);
    let r = h.upload(&mut d.dev, &[confirm, close]).await;
    assert_eq!(
        statuses(&r),
        vec![accepted(), accepted()],
        "accepted, then flagged"
    );
    let flags: serde_json::Value = h
        .http
        .get(h.url("/v1/admin/day-close-flags"))
        .bearer_auth(common::ADMIN)
        .send()
        .await
        .expect("flags")
        .json()
        .await
        .expect("json");
    let flags = flags["flags"].as_array().expect("flags");
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0]["differences"][0]["difference"], "totals");
}
