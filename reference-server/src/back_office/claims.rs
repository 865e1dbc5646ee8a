//! Claims: filed by a back-office agent for a buyer, within 24 hours of the
//! delivered event's signed time; decided by two different operators, the
//! second an approver. Each step is decided by
//! `courier_protocol::rules::claim` inside the transaction that writes the
//! claim, its journal line and its audit line. An operator sees and acts on
//! the claims of its depots only; another depot's claim is "not found".

use courier_protocol::back_office::{Claim, ClaimDecisionRequest, FileClaimRequest};
use courier_protocol::rules::claim::{
    ClaimDecision, ClaimStatus, ClaimStatusName, EvidenceRef, GivenDecision, OrderFacts,
    check_filing, decide,
};

use crate::claim_rows::{OrderDecision, OrderState, OrderWrites, StatusChange};
use crate::error::{Invalid, NotFound, ServerError};
use crate::operator_rows::{NewAudit, OperatorRow};
use crate::storage::Storage;

/// A stored claim's status, as the rules read it.
pub(super) fn status_of(claim: &Claim) -> ClaimStatus {
    let d = &claim.decisions;
    match (claim.status, d.as_slice()) {
        (ClaimStatusName::Open, _) | (_, []) => ClaimStatus::Open,
        (ClaimStatusName::PendingSecondApproval, [.., last]) => {
            ClaimStatus::PendingSecondApproval(last.clone())
        }
        (_, [.., first, second]) => ClaimStatus::Decided {
            first: first.clone(),
            second: second.clone(),
        },
        (_, [only]) => ClaimStatus::PendingSecondApproval(only.clone()),
    }
}

/// The facts the rules read of an order.
pub(super) fn facts<'a>(s: &'a OrderState, claim: Option<&'a ClaimStatus>) -> OrderFacts<'a> {
    OrderFacts {
        parcel_id: &s.spec.parcel_id,
        events: &s.events,
        cancelled: s.cancellation.is_some(),
        claim,
    }
}

/// A journal line for the order in `s`.
pub(super) fn journal(
    s: &OrderState,
    status: String,
    claim_id: Option<&str>,
    refund_minor: i64,
    operator: String,
    reason: &str,
    at_ms: i64,
) -> StatusChange {
    StatusChange {
        at_ms,
        order_ref: s.spec.order_ref.clone(),
        parcel_id: s.spec.parcel_id.clone(),
        depot: s.depot.clone(),
        status,
        claim_id: claim_id.map(str::to_owned),
        refund_minor,
        amount_minor: s.spec.amount_minor,
        currency: s.spec.currency.clone(),
        operator,
        reason: reason.to_owned(),
    }
}

/// Files a buyer's claim on a delivered order of the operator's depots.
pub async fn file_claim(
    db: &dyn Storage,
    op: &OperatorRow,
    req: &FileClaimRequest,
    now_ms: i64,
) -> Result<Claim, ServerError> {
    if req.asked == ClaimDecision::Rejected {
        return Err(Invalid::ClaimAsked.into());
    }
    let (by, scope, req_) = (op.name.clone(), op.scope(), req.clone());
    let decision: OrderDecision = Box::new(move |s: &OrderState| {
        let req = req_;
        if !scope.covers(s.depot.as_deref()) {
            return Err(NotFound::OrderRef(req.order_ref).into());
        }
        let existing = s.claim.as_ref().map(status_of);
        let delivered = check_filing(&facts(s, existing.as_ref()), &req.reason, now_ms)?;
        let claim = Claim {
            claim_id: uuid::Uuid::now_v7().to_string(),
            order_ref: s.spec.order_ref.clone(),
            parcel_id: s.spec.parcel_id.clone(),
            depot: s.depot.clone(),
            asked: req.asked,
            reason: req.reason.clone(),
            status: ClaimStatusName::Open,
            delivered,
            evidence: s.events.iter().map(EvidenceRef::of).collect(),
            amount_minor: s.spec.amount_minor,
            currency: s.spec.currency.clone(),
            filed_at_ms: now_ms,
            filed_by: by.clone(),
            decisions: Vec::new(),
        };
        Ok(OrderWrites {
            changes: vec![journal(
                s,
                "claim_open".into(),
                Some(&claim.claim_id),
                0,
                by.clone(),
                &req.reason,
                now_ms,
            )],
            audit: vec![NewAudit {
                at_ms: now_ms,
                operator: by,
                action: "claim_filed",
                subject: claim.claim_id.clone(),
                detail: format!(
                    "order {}: {} asked, {}",
                    claim.order_ref,
                    req.asked.as_str(),
                    req.reason
                ),
            }],
            claim: Some(claim),
            cancellation: None,
        })
    });
    let (_, written) = db.act_on_order(&req.order_ref, decision).await?;
    written
        .claim
        .ok_or_else(|| NotFound::OrderRef(req.order_ref.clone()).into())
}

/// A claim the operator's depots cover.
pub async fn visible_claim(
    db: &dyn Storage,
    op: &OperatorRow,
    claim_id: &str,
) -> Result<Claim, ServerError> {
    db.claim(claim_id)
        .await?
        .filter(|c| op.scope().covers(c.depot.as_deref()))
        .ok_or_else(|| NotFound::Claim(claim_id.to_owned()).into())
}

/// Every claim the operator's depots cover, newest first.
pub async fn claims_in_scope(
    db: &dyn Storage,
    op: &OperatorRow,
) -> Result<Vec<Claim>, ServerError> {
    let scope = op.scope();
    Ok(db
        .claims()
        .await?
        .into_iter()
        .filter(|c| scope.covers(c.depot.as_deref()))
        .collect())
}

/// One operator's decision on a claim: the first makes it pending, a
/// different approver's same decision makes it final.
pub async fn decide_claim(
    db: &dyn Storage,
    op: &OperatorRow,
    claim_id: &str,
    req: &ClaimDecisionRequest,
    now_ms: i64,
) -> Result<Claim, ServerError> {
    let order_ref = visible_claim(db, op, claim_id).await?.order_ref;
    let (op_, id, req_) = (op.clone(), claim_id.to_owned(), req.clone());
    let decision: OrderDecision = Box::new(move |s: &OrderState| {
        let (op, req) = (op_, req_);
        let mut claim = s
            .claim
            .clone()
            .filter(|c| c.claim_id == id)
            .ok_or_else(|| NotFound::Claim(id.clone()))?;
        let given = GivenDecision {
            decision: req.decision,
            reason: req.reason.clone(),
            by: op.name.clone(),
            at_ms: now_ms,
        };
        let next = decide(&status_of(&claim), &op.roles, given.clone())?;
        claim.status = next.name();
        claim.decisions.push(given);
        let (refund, operator) = match &next {
            ClaimStatus::Decided { first, second } => (
                if second.decision == ClaimDecision::Refund {
                    claim.amount_minor
                } else {
                    0
                },
                format!("{}+{}", first.by, second.by),
            ),
            _ => (0, op.name.clone()),
        };
        let status = match next.name() {
            ClaimStatusName::Rejected => "claim_rejected".to_owned(),
            other => format!("claim_{}", other.as_str()),
        };
        Ok(OrderWrites {
            changes: vec![journal(
                s,
                status,
                Some(&claim.claim_id),
                refund,
                operator,
                &req.reason,
                now_ms,
            )],
            audit: vec![NewAudit {
                at_ms: now_ms,
                operator: op.name.clone(),
                action: "claim_decision",
                subject: claim.claim_id.clone(),
                detail: format!(
                    "{}: {} now {}",
                    req.decision.as_str(),
                    req.reason,
                    claim.status.as_str()
                ),
            }],
            claim: Some(claim),
            cancellation: None,
        })
    });
    let (_, written) = db.act_on_order(&order_ref, decision).await?;
    written
        .claim
        .ok_or_else(|| NotFound::Claim(claim_id.to_owned()).into())
}
