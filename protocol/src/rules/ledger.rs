//! The server's view of one parcel on one device, rebuilt from the device's
//! events in sequence order with the same rules the terminal applied.
//!
//! Each event goes through [`Parcel::apply`], the one function the terminal
//! records with too; the ledger keeps what only the server needs (outcome
//! events for corrections, the fee payer, the effect on the try counter).
//! Proof verification and the try counter stay with the server, which holds
//! the code keys; the counter it passes in decides whether the parcel is locked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::envelope::EventBody;
use crate::manifest::ManifestParcel;
use crate::vocabulary::{CheckMode, CheckResult, EventKind, Liability, Outcome};

use super::apply::{Corrected, EventContext};
use super::day_close::DayStatus;
use super::draft::EventDraft;
use super::fees::{check_fee_change, check_fee_confirmation};
use super::order_at_door::OrderAtDoor;
use super::parcel::{Parcel, ParcelState, Visit};
pub use super::violation::RuleViolation;

/// What the server knows of a parcel from one device's accepted events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParcelLedger {
    /// The state the terminal holds after these events.
    pub state: ParcelState,
    /// Highest attempt count the device recorded.
    pub attempts_recorded: u32,
    /// Whether a visit is under way (arrival recorded, no outcome yet).
    pub at_door: bool,
    /// Whether inspection was offered during that visit.
    pub inspection_offered: bool,
    /// The collected item's label, once scanned.
    pub collected_label: Option<String>,
    /// Outcome events of this parcel (event id → outcome), for corrections.
    pub outcomes: BTreeMap<String, Outcome>,
    /// Who pays the return fees after a fee change (none: the outcome's liability).
    #[serde(default)]
    pub fee_payer: Option<Liability>,
    /// The courier's unused fee-change confirmations of this parcel
    /// (`courier_confirmed` event id → its digest).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fee_confirmations: BTreeMap<String, String>,
    /// Scanned into the vehicle at the morning load check.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub loaded: bool,
    /// An order of several parcels at the door: what the visit scanned and
    /// refused (empty otherwise).
    #[serde(default, skip_serializing_if = "OrderAtDoor::is_empty")]
    pub door: OrderAtDoor,
    /// Its custody at a stop desk, as this device's events leave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desk: Option<super::desk::DeskCustody>,
}

impl Default for ParcelLedger {
    fn default() -> Self {
        ParcelLedger {
            state: ParcelState::Pending,
            attempts_recorded: 0,
            at_door: false,
            inspection_offered: false,
            collected_label: None,
            outcomes: BTreeMap::new(),
            fee_payer: None,
            fee_confirmations: BTreeMap::new(),
            loaded: false,
            door: OrderAtDoor::default(),
            desk: None,
        }
    }
}

/// What changed in the try counter by accepting an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterEffect {
    /// Nothing to count.
    None,
    /// The device spent tries offline: the counter is at least this.
    AtLeast(u32),
    /// A delivery: its proof must verify with the order's key.
    NeedsProof,
}

impl ParcelLedger {
    /// The parcel as the terminal's rules see it.
    pub fn parcel(&self, spec: &ManifestParcel, tries_spent: u32) -> Parcel {
        Parcel {
            spec: spec.clone(),
            state: self.state,
            attempts_spent: tries_spent.max(self.attempts_recorded),
            visit: self.at_door.then(|| Visit {
                arrived_utc_ms: 0,
                arrived_monotonic_ms: 0,
                boot_id: String::new(),
                arrival_fix_e7: None,
                contacts: Vec::new(),
                inspection_offered: self.inspection_offered,
                order: self.door.clone(),
            }),
            collected_label: self.collected_label.clone(),
            loaded: self.loaded,
            desk: self.desk.clone(),
        }
    }

    /// Applies one event of this parcel. `withdrawn` tells whether a manifest
    /// the event's `manifest_version` covers withdrew the parcel; `tries_spent`
    /// is the server's try counter of the parcel. The parcel's next state comes
    /// from [`Parcel::apply`], as on the terminal; the ledger adds what only the
    /// server keeps (outcome events for corrections, fee payer, try counter).
    pub fn apply(
        &self,
        spec: &ManifestParcel,
        withdrawn: bool,
        tries_spent: u32,
        body: &EventBody,
        day: &DayStatus,
    ) -> Result<(ParcelLedger, CounterEffect), RuleViolation> {
        let mut next = self.clone();
        if withdrawn {
            next.take(&next.parcel(spec, tries_spent).withdrawn());
        }
        let corrected = body
            .corrects
            .as_deref()
            .and_then(|id| self.outcomes.get(id))
            .map(|o| Corrected {
                kind: EventKind::Outcome,
                outcome: Some(*o),
            });
        let after = next.parcel(spec, tries_spent).apply(
            &EventDraft::of_body(body),
            &EventContext::of_body(body, corrected).with_day(day),
        )?;
        next.take(&after);
        let mut effect = CounterEffect::None;
        match body.kind {
            EventKind::CodeAttempt => {
                if let Some(v) = &body.verification
                    && matches!(
                        v.result,
                        CheckResult::Match | CheckResult::Mismatch | CheckResult::Interrupted
                    )
                {
                    next.attempts_recorded = next.attempts_recorded.max(v.attempt);
                    if v.check == CheckMode::Offline {
                        effect = CounterEffect::AtLeast(v.attempt);
                    }
                }
            }
            EventKind::Outcome => {
                if let Some(outcome) = body.outcome {
                    if outcome == Outcome::Delivered {
                        effect = CounterEffect::NeedsProof;
                    }
                    next.outcomes.insert(body.event_id.clone(), outcome);
                }
            }
            EventKind::Correction => {
                if let (Some(outcome), Some(id), Some(_)) =
                    (body.outcome, body.corrects.as_deref(), corrected)
                {
                    // The outcome event now stands for the corrected outcome
                    // (a fee change re-assigns the corrected liability).
                    next.outcomes.insert(id.to_owned(), outcome);
                }
            }
            EventKind::FeeChanged => {
                let new = body.liability.unwrap_or(Liability::None);
                let outcome = body
                    .corrects
                    .as_deref()
                    .and_then(|id| self.outcomes.get(id))
                    .copied();
                let current = self
                    .fee_payer
                    .or(outcome.map(Outcome::liability))
                    .unwrap_or(Liability::None);
                check_fee_change(
                    outcome,
                    current,
                    new,
                    body.detail.get("note").map_or("", String::as_str),
                )?;
                let used = check_fee_confirmation(body, &self.fee_confirmations)?;
                next.fee_confirmations.remove(&used);
                next.fee_payer = Some(new);
            }
            EventKind::CourierConfirmed => {
                if body.detail.get("subject").map(String::as_str) == Some("fee_change")
                    && let Some(digest) = body.detail.get("digest")
                {
                    next.fee_confirmations
                        .insert(body.event_id.clone(), digest.clone());
                }
            }
            _ => {}
        }
        Ok((next, effect))
    }

    /// Takes the parcel's state, visit and collected item from `p`.
    fn take(&mut self, p: &Parcel) {
        self.state = p.state;
        self.at_door = p.visit.is_some();
        self.inspection_offered = p.visit.as_ref().is_some_and(|v| v.inspection_offered);
        self.collected_label.clone_from(&p.collected_label);
        self.loaded = p.loaded;
        self.door = p
            .visit
            .as_ref()
            .map(|v| v.order.clone())
            .unwrap_or_default();
        self.desk.clone_from(&p.desk);
    }
}
