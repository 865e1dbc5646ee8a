//! Claims on an order and its cancellation, the escrow's money states after
//! the doorstep: a claim on a delivered order opens within 24 hours of the
//! delivered event's signed time; its decision (exchange, refund, rejected)
//! takes two different operators, the second an approver; a cancellation
//! before delivery (the parcel withdrawn, full refund) and a refund after
//! delivery (an approved claim) are distinct and never reach each other.
//!
//! Pure: the server hands in the order's honoured events, its committed
//! claim and cancellation, the operator and its own clock; it stores what
//! these functions answer (`docs/protocol.md`, "Back office").

use serde::{Deserialize, Serialize};

use crate::envelope::SignedEvent;
use crate::vocabulary::{EventKind, Outcome};

use super::operator_role::OperatorRole;

/// How long after the delivered event's signed time a claim may be filed.
pub const CLAIM_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// What the buyer asks for, and what the decision grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimDecision {
    /// The item is exchanged (a new delivery; the escrow stays released).
    Exchange,
    /// The buyer is refunded after delivery.
    Refund,
    /// The claim is rejected; the delivery stands.
    Rejected,
}

impl ClaimDecision {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimDecision::Exchange => "exchange",
            ClaimDecision::Refund => "refund",
            ClaimDecision::Rejected => "rejected",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<ClaimDecision> {
        [
            ClaimDecision::Exchange,
            ClaimDecision::Refund,
            ClaimDecision::Rejected,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }

    /// The claim's final status once two operators agreed on this decision.
    pub fn final_status(self) -> ClaimStatusName {
        match self {
            ClaimDecision::Exchange => ClaimStatusName::ExchangeApproved,
            ClaimDecision::Refund => ClaimStatusName::RefundApproved,
            ClaimDecision::Rejected => ClaimStatusName::Rejected,
        }
    }
}

/// A decision given by one operator, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenDecision {
    /// What was decided.
    pub decision: ClaimDecision,
    /// Why, in the operator's words.
    pub reason: String,
    /// The operator's account name.
    pub by: String,
    /// Server time of the decision, Unix ms.
    pub at_ms: i64,
}

/// Where a claim stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimStatus {
    /// Filed, no decision yet.
    Open,
    /// One operator decided; a different approver must confirm the same decision.
    PendingSecondApproval(GivenDecision),
    /// Two operators agreed (`first` then `second`): final.
    Decided {
        /// The first decision.
        first: GivenDecision,
        /// The confirming approver's decision (the same decision).
        second: GivenDecision,
    },
}

/// A claim status's name, as the API and the extraction write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatusName {
    /// Filed, no decision yet.
    Open,
    /// One operator decided; waits for a second, different approver.
    PendingSecondApproval,
    /// Final: an exchange.
    ExchangeApproved,
    /// Final: a refund after delivery.
    RefundApproved,
    /// Final: rejected.
    Rejected,
}

impl ClaimStatusName {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatusName::Open => "open",
            ClaimStatusName::PendingSecondApproval => "pending_second_approval",
            ClaimStatusName::ExchangeApproved => "exchange_approved",
            ClaimStatusName::RefundApproved => "refund_approved",
            ClaimStatusName::Rejected => "rejected",
        }
    }
}

impl ClaimStatus {
    /// The status's name.
    pub fn name(&self) -> ClaimStatusName {
        match self {
            ClaimStatus::Open => ClaimStatusName::Open,
            ClaimStatus::PendingSecondApproval(_) => ClaimStatusName::PendingSecondApproval,
            ClaimStatus::Decided { second, .. } => second.decision.final_status(),
        }
    }
}

/// The delivered event a claim stands on: its identity in the log (the hook
/// the dispute pack starts from) and its signed time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRef {
    /// The event's id.
    pub event_id: String,
    /// The device that recorded it.
    pub device_id: String,
    /// Its place in the device's chain.
    pub seq: u64,
    /// Its envelope hash (what the device signed).
    pub hash: String,
    /// Its kind.
    pub kind: EventKind,
    /// Its signed time (GNSS time, else the device clock), Unix ms.
    pub time_ms: i64,
}

impl EvidenceRef {
    /// The reference of a stored event.
    pub fn of(e: &SignedEvent) -> EvidenceRef {
        EvidenceRef {
            event_id: e.body.event_id.clone(),
            device_id: e.body.device_id.clone(),
            seq: e.body.seq,
            hash: e.hash.clone(),
            kind: e.body.kind,
            time_ms: e.body.signed_time_ms(),
        }
    }
}

/// What the rules read about an order, as committed when the action is decided.
#[derive(Debug, Clone, Copy)]
pub struct OrderFacts<'a> {
    /// The order's parcel.
    pub parcel_id: &'a str,
    /// The order's events the server honours (not-honoured ones left out),
    /// from every device that held it, in device then chain order.
    pub events: &'a [SignedEvent],
    /// Whether the order was cancelled before delivery.
    pub cancelled: bool,
    /// The order's claim, if one was filed.
    pub claim: Option<&'a ClaimStatus>,
}

/// Why the back office's action on an order or a claim is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRefusal {
    /// A claim needs a delivery the server honours.
    #[error(
        "the order was not delivered (no honoured delivered event): cancel it instead if it was not dispatched"
    )]
    NotDelivered,
    /// A cancelled order has nothing to claim.
    #[error(
        "the order was cancelled before delivery and fully refunded: there is nothing to claim"
    )]
    Cancelled,
    /// The window is closed.
    #[error(
        "the claim window closed at {deadline_ms} (24 hours after the delivered event's signed time {delivered_at_ms}); the claim is refused"
    )]
    WindowClosed {
        /// The delivered event's signed time, Unix ms.
        delivered_at_ms: i64,
        /// The end of the window, Unix ms.
        deadline_ms: i64,
    },
    /// One claim per order.
    #[error("this order already has a claim")]
    ClaimExists,
    /// A delivered order is not cancelled: it is refunded through a claim.
    #[error(
        "the order was delivered: it cannot be cancelled; a refund after delivery goes through a claim"
    )]
    AlreadyDelivered,
    /// Cancelled twice.
    #[error("the order is already cancelled")]
    AlreadyCancelled,
    /// The claim has its final decision.
    #[error("the claim is decided already")]
    AlreadyDecided,
    /// The same operator cannot give both decisions.
    #[error("the second decision must come from a different operator than the first ({0})")]
    SameOperator(String),
    /// The confirming decision needs the approver role.
    #[error("the second decision needs the approver role")]
    NotApprover,
    /// A decision, a claim or a cancellation needs a reason.
    #[error("a reason is required")]
    NoReason,
}

/// The honoured delivered event of `parcel_id` among `events` (a delivery is
/// never corrected: the earliest one stands).
pub fn delivered_event<'a>(events: &'a [SignedEvent], parcel_id: &str) -> Option<&'a SignedEvent> {
    events
        .iter()
        .filter(|e| {
            e.body.kind == EventKind::Outcome
                && e.body.outcome == Some(Outcome::Delivered)
                && e.body.parcel_id.as_deref() == Some(parcel_id)
        })
        .min_by_key(|e| e.body.signed_time_ms())
}

fn reason_given(reason: &str) -> Result<(), ClaimRefusal> {
    if reason.trim().is_empty() {
        return Err(ClaimRefusal::NoReason);
    }
    Ok(())
}

/// Checks a claim filed at server time `now_ms`: the order is delivered, not
/// cancelled, has no claim yet, and `now_ms` is within [`CLAIM_WINDOW_MS`]
/// of the delivered event's signed time. Answers the delivered event's
/// reference.
pub fn check_filing(
    facts: &OrderFacts<'_>,
    reason: &str,
    now_ms: i64,
) -> Result<EvidenceRef, ClaimRefusal> {
    reason_given(reason)?;
    if facts.cancelled {
        return Err(ClaimRefusal::Cancelled);
    }
    if facts.claim.is_some() {
        return Err(ClaimRefusal::ClaimExists);
    }
    let delivered =
        delivered_event(facts.events, facts.parcel_id).ok_or(ClaimRefusal::NotDelivered)?;
    let delivered_at_ms = delivered.body.signed_time_ms();
    let deadline_ms = delivered_at_ms.saturating_add(CLAIM_WINDOW_MS);
    if now_ms >= deadline_ms {
        return Err(ClaimRefusal::WindowClosed {
            delivered_at_ms,
            deadline_ms,
        });
    }
    Ok(EvidenceRef::of(delivered))
}

/// Checks a cancellation: only before delivery, once, and never on an order
/// with a claim (which implies a delivery).
pub fn check_cancel(facts: &OrderFacts<'_>, reason: &str) -> Result<(), ClaimRefusal> {
    reason_given(reason)?;
    if facts.cancelled {
        return Err(ClaimRefusal::AlreadyCancelled);
    }
    if facts.claim.is_some() || delivered_event(facts.events, facts.parcel_id).is_some() {
        return Err(ClaimRefusal::AlreadyDelivered);
    }
    Ok(())
}

/// The next status of a claim after `given`, decided by an operator holding
/// `roles` (the route admitted a back-office agent or an approver). The
/// first decision makes the claim pending; a different approver confirming
/// the same decision makes it final; an approver giving another decision
/// replaces the pending one (which then needs yet another approver).
pub fn decide(
    status: &ClaimStatus,
    roles: &[OperatorRole],
    given: GivenDecision,
) -> Result<ClaimStatus, ClaimRefusal> {
    reason_given(&given.reason)?;
    match status {
        ClaimStatus::Open => Ok(ClaimStatus::PendingSecondApproval(given)),
        ClaimStatus::PendingSecondApproval(first) => {
            if first.by == given.by {
                return Err(ClaimRefusal::SameOperator(first.by.clone()));
            }
            if !roles.contains(&OperatorRole::Approver) {
                return Err(ClaimRefusal::NotApprover);
            }
            if first.decision == given.decision {
                Ok(ClaimStatus::Decided {
                    first: first.clone(),
                    second: given,
                })
            } else {
                Ok(ClaimStatus::PendingSecondApproval(given))
            }
        }
        ClaimStatus::Decided { .. } => Err(ClaimRefusal::AlreadyDecided),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{event_body, unsigned_event};

    const PARCEL: &str = "P-1";
    const T: i64 = 1_780_000_000_000;

    fn event(seq: u64, kind: EventKind, outcome: Option<Outcome>, at: i64) -> SignedEvent {
        let mut body = event_body("D1", seq, "", kind, Some(PARCEL));
        body.outcome = outcome;
        body.clock.device_utc_ms = at;
        unsigned_event(body)
    }

    fn delivered_at(at: i64) -> Vec<SignedEvent> {
        vec![
            event(1, EventKind::Arrived, None, at - 60_000),
            event(2, EventKind::Outcome, Some(Outcome::Delivered), at),
        ]
    }

    fn facts<'a>(events: &'a [SignedEvent], cancelled: bool) -> OrderFacts<'a> {
        OrderFacts {
            parcel_id: PARCEL,
            events,
            cancelled,
            claim: None,
        }
    }

    fn given(decision: ClaimDecision, by: &str) -> GivenDecision {
        GivenDecision {
            decision,
            reason: "photo shows the seal broken".into(),
            by: by.into(),
            at_ms: T,
        }
    }

    #[test]
    fn a_claim_is_accepted_until_24_hours_after_the_signed_delivery_and_refused_from_then() {
        let events = delivered_at(T);
        let f = facts(&events, false);
        let ok = check_filing(&f, "broken", T + CLAIM_WINDOW_MS - 1).expect("last millisecond");
        assert_eq!(ok.event_id, events[1].body.event_id);
        assert_eq!(ok.hash, events[1].hash);
        assert_eq!(
            check_filing(&f, "broken", T + CLAIM_WINDOW_MS),
            Err(ClaimRefusal::WindowClosed {
                delivered_at_ms: T,
                deadline_ms: T + CLAIM_WINDOW_MS
            })
        );
    }

    #[test]
    fn no_claim_without_a_delivery_after_a_cancellation_or_twice() {
        let arrived = vec![event(1, EventKind::Arrived, None, T)];
        assert_eq!(
            check_filing(&facts(&arrived, false), "r", T),
            Err(ClaimRefusal::NotDelivered)
        );
        assert_eq!(
            check_filing(&facts(&arrived, true), "r", T),
            Err(ClaimRefusal::Cancelled)
        );
        let events = delivered_at(T);
        let open = ClaimStatus::Open;
        let with_claim = OrderFacts {
            claim: Some(&open),
            ..facts(&events, false)
        };
        assert_eq!(
            check_filing(&with_claim, "r", T),
            Err(ClaimRefusal::ClaimExists)
        );
        assert_eq!(
            check_filing(&facts(&events, false), " ", T),
            Err(ClaimRefusal::NoReason)
        );
    }

    #[test]
    fn cancel_is_before_delivery_only_and_refund_after_delivery_only() {
        let arrived = vec![event(1, EventKind::Arrived, None, T)];
        assert!(check_cancel(&facts(&arrived, false), "buyer cancelled").is_ok());
        assert_eq!(
            check_cancel(&facts(&arrived, true), "again"),
            Err(ClaimRefusal::AlreadyCancelled)
        );
        let events = delivered_at(T);
        assert_eq!(
            check_cancel(&facts(&events, false), "too late"),
            Err(ClaimRefusal::AlreadyDelivered)
        );
        // The refund path (a claim) is closed to the undelivered order.
        assert_eq!(
            check_filing(&facts(&arrived, false), "refund me", T),
            Err(ClaimRefusal::NotDelivered)
        );
    }

    #[test]
    fn a_refund_takes_two_different_operators_the_second_an_approver() {
        let agent = [OperatorRole::BackOffice];
        let approver = [OperatorRole::Approver];
        let pending = decide(
            &ClaimStatus::Open,
            &agent,
            given(ClaimDecision::Refund, "amina"),
        )
        .expect("first");
        assert_eq!(pending.name(), ClaimStatusName::PendingSecondApproval);
        assert_eq!(
            decide(&pending, &approver, given(ClaimDecision::Refund, "amina")),
            Err(ClaimRefusal::SameOperator("amina".into()))
        );
        assert_eq!(
            decide(&pending, &agent, given(ClaimDecision::Refund, "karim")),
            Err(ClaimRefusal::NotApprover)
        );
        let done =
            decide(&pending, &approver, given(ClaimDecision::Refund, "sami")).expect("second");
        assert_eq!(done.name(), ClaimStatusName::RefundApproved);
        assert_eq!(
            decide(&done, &approver, given(ClaimDecision::Rejected, "lina")),
            Err(ClaimRefusal::AlreadyDecided)
        );
    }

    #[test]
    fn an_approver_who_disagrees_replaces_the_pending_decision() {
        let approver = [OperatorRole::Approver];
        let pending = decide(
            &ClaimStatus::Open,
            &approver,
            given(ClaimDecision::Refund, "amina"),
        )
        .expect("first");
        let other =
            decide(&pending, &approver, given(ClaimDecision::Exchange, "sami")).expect("other");
        let ClaimStatus::PendingSecondApproval(g) = &other else {
            panic!("still pending: {other:?}");
        };
        assert_eq!(
            (g.decision, g.by.as_str()),
            (ClaimDecision::Exchange, "sami")
        );
        let done =
            decide(&other, &approver, given(ClaimDecision::Exchange, "lina")).expect("confirmed");
        assert_eq!(done.name(), ClaimStatusName::ExchangeApproved);
    }
}
