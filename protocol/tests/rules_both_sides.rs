//! The same rules on both sides: random doorstep sequences are driven through
//! the terminal's steps (`Parcel::next_state`, `record_outcome_step`,
//! `code_check_step`) and the events they produce are replayed by the server's
//! `ParcelLedger`. Every event the terminal records is accepted and leads to the
//! same state; every event for a step the terminal refuses (as a rogue device
//! would still send it) is refused by the server too.

use std::collections::BTreeMap;

use courier_protocol::envelope::{
    ClockStamp, EVENT_SCHEMA, EventBody, GENESIS_PREV_HASH, PositionRecord, Verification,
};
use courier_protocol::manifest::{
    Address, CodeMaterial, Collect, ManifestParcel, Recipient, VerifierSpec,
};
use courier_protocol::rules::parcel::{Action, Parcel, ParcelState, Visit};
use courier_protocol::rules::{CounterEffect, ParcelLedger, code_check_step, record_outcome_step};
use courier_protocol::vocabulary::{
    CheckMode, CheckResult, CodePolicy, EntryMode, EventKind, Outcome, ParcelKind, Reason,
};
use proptest::prelude::*;

fn spec(limit: u32, kind: ParcelKind) -> ManifestParcel {
    ManifestParcel {
        parcel_id: "P1".into(),
        label: "L1".into(),
        order_ref: "O1".into(),
        kind,
        route_order: 1,
        recipient: Recipient {
            name: "A".into(),
            phone: "0".into(),
        },
        address: Address {
            text: "x".into(),
            city: "Alger".into(),
            lat_e7: None,
            lon_e7: None,
        },
        instructions: None,
        amount_minor: 100,
        currency: "DZD".into(),
        collect: (kind != ParcelKind::Delivery).then(|| Collect {
            description: "old item".into(),
            label: Some("OLD-1".into()),
        }),
        policy: CodePolicy::OfflineAllowed,
        attempt_limit: limit,
        code: CodeMaterial {
            digits: 6,
            numeric: VerifierSpec {
                salt: "00".repeat(16),
                iterations: 1,
                verifier: Some("00".repeat(32)),
            },
            qr: None,
        },
        withdrawn: false,
    }
}

#[derive(Debug, Clone)]
enum Step {
    Act(Action, bool),
    Outcome(Outcome, usize),
}

fn step_strategy() -> impl Strategy<Value = Step> {
    let outcome = prop::sample::select(Outcome::ALL.to_vec());
    prop_oneof![
        Just(Step::Act(Action::Arrive, false)),
        Just(Step::Act(Action::OfferInspection, false)),
        Just(Step::Act(Action::Contact, false)),
        prop::bool::weighted(0.15).prop_map(|m| Step::Act(Action::CheckCode, m)),
        Just(Step::Act(Action::Collect, false)),
        Just(Step::Act(Action::Withdraw, false)),
        Just(Step::Act(Action::CheckIn, false)),
        (outcome, 0usize..5).prop_map(|(o, r)| Step::Outcome(o, r)),
    ]
}

fn body(kind: EventKind, n: u64) -> EventBody {
    EventBody {
        schema: EVENT_SCHEMA.into(),
        event_id: format!("0190f5d2-7a00-7000-8000-{n:012x}"),
        device_id: "D".into(),
        seq: n,
        prev_hash: GENESIS_PREV_HASH.into(),
        kind,
        parcel_id: Some("P1".into()),
        order_ref: Some("O1".into()),
        outcome: None,
        reason: None,
        liability: None,
        verification: None,
        code_proof: None,
        inspection_offered: None,
        corrects: None,
        detail: BTreeMap::new(),
        position: PositionRecord::none(),
        clock: ClockStamp {
            device_utc_ms: 0,
            monotonic_ms: 0,
            boot_id: "b".into(),
        },
        gnss_utc_ms: None,
        manifest_version: Some(1),
        app_version: "t".into(),
        supervisor: None,
        day: None,
    }
}

fn visit() -> Visit {
    Visit {
        arrived_utc_ms: 0,
        arrived_monotonic_ms: 0,
        boot_id: "b".into(),
        arrival_fix_e7: None,
        contacts: Vec::new(),
        inspection_offered: false,
    }
}

fn verification(result: CheckResult, attempt: u32, limit: u32) -> Option<Verification> {
    Some(Verification {
        entry: EntryMode::Keypad,
        check: CheckMode::Offline,
        result,
        attempt,
        attempt_limit: limit,
    })
}

/// The terminal's step: the event it would record and the parcel after it,
/// or `Err(event)` with the event a rogue device would send anyway.
#[allow(clippy::result_large_err)] // a test helper: the Err is the rogue event itself
fn terminal_step(p: &Parcel, step: &Step, n: u64) -> Result<(EventBody, Parcel), EventBody> {
    let limit = p.spec.attempt_limit;
    let mut next = p.clone();
    match step {
        Step::Act(Action::Arrive, _) => {
            let e = body(EventKind::Arrived, n);
            let s = p.next_state(&Action::Arrive).map_err(|_| e.clone())?;
            next.state = s;
            next.visit = Some(visit());
            Ok((e, next))
        }
        Step::Act(Action::OfferInspection, _) => {
            let e = body(EventKind::InspectionOffered, n);
            p.next_state(&Action::OfferInspection)
                .map_err(|_| e.clone())?;
            if let Some(v) = next.visit.as_mut() {
                v.inspection_offered = true;
            }
            Ok((e, next))
        }
        Step::Act(Action::Contact, _) => {
            let e = body(EventKind::ContactAttempt, n);
            p.next_state(&Action::Contact).map_err(|_| e.clone())?;
            Ok((e, next))
        }
        Step::Act(Action::Collect, _) => {
            let mut e = body(EventKind::ItemCollected, n);
            e.detail.insert("collected_label".into(), "OLD-1".into());
            p.next_state(&Action::Collect).map_err(|_| e.clone())?;
            next.collected_label = Some("OLD-1".into());
            Ok((e, next))
        }
        Step::Act(Action::CheckCode, matched) => {
            let attempt = p.attempts_spent + 1;
            let mut e = if *matched {
                let mut e = body(EventKind::Outcome, n);
                e.outcome = Some(Outcome::Delivered);
                e.liability = Some(Outcome::Delivered.liability());
                e.verification = verification(CheckResult::Match, attempt, limit);
                e.code_proof = Some("00".repeat(32));
                e
            } else {
                let mut e = body(EventKind::CodeAttempt, n);
                e.verification = verification(CheckResult::Mismatch, attempt, limit);
                e
            };
            e.inspection_offered = Some(true);
            code_check_step(p).map_err(|_| e.clone())?;
            next.attempts_spent = attempt;
            if *matched {
                next.state = ParcelState::Delivered;
                next.visit = None;
            }
            Ok((e, next))
        }
        Step::Outcome(o, r) => {
            let reasons = o.reasons();
            let reason: Option<Reason> = match reasons.len() {
                0 => None,
                len => Some(reasons[r % len]).filter(|_| r % 5 != 4),
            };
            let mut e = body(EventKind::Outcome, n);
            e.outcome = Some(*o);
            e.reason = reason;
            e.liability = Some(o.liability());
            if *o == Outcome::Delivered {
                // Only a code delivers; a rogue device claims it without one.
                e.verification = verification(CheckResult::Match, p.attempts_spent + 1, limit);
                return Err(e);
            }
            let s = record_outcome_step(p, *o, reason).map_err(|_| e.clone())?;
            next.state = s;
            next.visit = None;
            Ok((e, next))
        }
        Step::Act(Action::CheckIn, _) => {
            let mut e = body(EventKind::ReturnCheckIn, n);
            if let ParcelState::Failed(o) = p.state {
                e.outcome = Some(o);
                e.liability = Some(o.liability());
            }
            let s = p.next_state(&Action::CheckIn).map_err(|_| e.clone())?;
            next.state = s;
            next.visit = None;
            Ok((e, next))
        }
        Step::Act(Action::Withdraw, _) | Step::Act(Action::RecordOutcome(_), _) => {
            unreachable!("handled by the caller")
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn terminal_and_server_agree_on_every_step(
        limit in 1u32..5,
        kind in prop::sample::select(vec![ParcelKind::Delivery, ParcelKind::Exchange]),
        steps in prop::collection::vec(step_strategy(), 0..40),
    ) {
        let spec = spec(limit, kind);
        let mut terminal = Parcel { spec: spec.clone(), state: ParcelState::Pending, attempts_spent: 0, visit: None, collected_label: None };
        let mut server = ParcelLedger::default();
        let mut counter = 0u32;
        let mut withdrawn = false;
        for (i, step) in steps.iter().enumerate() {
            let n = i as u64 + 1;
            if let Step::Act(Action::Withdraw, _) = step {
                if let Ok(s) = terminal.next_state(&Action::Withdraw) {
                    if s == ParcelState::Withdrawn { terminal.visit = None; }
                    terminal.state = s;
                }
                withdrawn = true;
                continue;
            }
            match terminal_step(&terminal, step, n) {
                Ok((event, after)) => {
                    let applied = server.apply(&spec, withdrawn, counter, &event);
                    prop_assert!(applied.is_ok(), "server refused what the terminal recorded: {:?} {:?}", step, applied);
                    let Ok((ledger, effect)) = applied else { unreachable!() };
                    if let CounterEffect::AtLeast(k) = effect { counter = counter.max(k); }
                    prop_assert_eq!(ledger.state, after.state);
                    prop_assert_eq!(ledger.at_door, after.visit.is_some());
                    server = ledger;
                    terminal = after;
                }
                Err(rogue) => {
                    let applied = server.apply(&spec, withdrawn, counter, &rogue);
                    prop_assert!(applied.is_err(), "server accepted what the terminal refuses: {:?}", step);
                }
            }
        }
    }
}
