//! Claims pages: the claims of the operator's depots, searchable by order
//! reference; a claim with its evidence and decisions; the decision form.
//! The rules (`courier_protocol::rules::claim`) decide, in the transaction
//! that writes the decision: a first decision makes a claim pending, a
//! second, different operator holding the approver role makes it final.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courier_protocol::back_office::{Claim, ClaimDecisionRequest};
use courier_protocol::rules::claim::ClaimDecision;
use minijinja::{Value, context};
use serde::Deserialize;

use super::render::{Frame, message, page};
use super::session::{ROOT, WebOperator};
use crate::back_office::{claims_in_scope, decide_claim, visible_claim};
use crate::error::ServerError;
use crate::routes::operator_auth::{Admits, ClaimDesk, ClaimReaders};
use crate::state::AppState;

/// The search of the claims page.
#[derive(Deserialize, Default)]
pub struct ClaimsQuery {
    #[serde(default)]
    q: String,
}

/// An amount in minor units, written with its currency (`1250.00 DZD`).
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", m / 100, m % 100)
}

fn claim_value(c: &Claim, frame: &Frame) -> Value {
    let when = |ms| frame.when(ms);
    let decisions: Vec<Value> = c
        .decisions
        .iter()
        .map(|d| {
            context! {
                decision => d.decision.as_str(),
                reason => d.reason,
                by => d.by,
                at => when(d.at_ms),
            }
        })
        .collect();
    let evidence: Vec<Value> = c
        .evidence
        .iter()
        .map(|e| {
            context! {
                device_id => e.device_id,
                seq => e.seq,
                kind => Value::from_serialize(e.kind),
                time => when(e.time_ms),
                hash => e.hash,
            }
        })
        .collect();
    context! {
        claim_id => c.claim_id,
        order_ref => c.order_ref,
        parcel_id => c.parcel_id,
        depot => c.depot,
        asked => c.asked.as_str(),
        reason => c.reason,
        status => c.status.as_str(),
        amount => money(c.amount_minor, &c.currency),
        filed_at => when(c.filed_at_ms),
        filed_by => c.filed_by,
        delivered_at => when(c.delivered.time_ms),
        delivered_by => c.delivered.device_id,
        decisions => decisions,
        evidence => evidence,
        final => c.decisions.len() >= 2 && c.status.as_str() != "pending_second_approval",
    }
}

fn server_error<R>(op: &WebOperator<R>, e: ServerError) -> Response {
    let status = match &e {
        ServerError::NotFound(_) => StatusCode::NOT_FOUND,
        ServerError::Refused(_) => StatusCode::CONFLICT,
        ServerError::Invalid(_) | ServerError::Conflict(_) => StatusCode::BAD_REQUEST,
        _ => {
            tracing::error!(error = %e, "back-office claim action failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let key = if status == StatusCode::NOT_FOUND {
        "not_found"
    } else {
        "refused"
    };
    message(status, &op.frame, key, &e.to_string())
}

/// `GET /back-office/claims?q=...`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    op: WebOperator<ClaimReaders>,
    Query(query): Query<ClaimsQuery>,
) -> Response {
    let claims = match claims_in_scope(state.store(), &op.account).await {
        Ok(c) => c,
        Err(e) => return server_error(&op, e),
    };
    let needle = query.q.trim().to_lowercase();
    let rows: Vec<Value> = claims
        .iter()
        .filter(|c| {
            needle.is_empty()
                || c.order_ref.to_lowercase().contains(&needle)
                || c.parcel_id.to_lowercase().contains(&needle)
        })
        .map(|c| claim_value(c, &op.frame))
        .collect();
    page(
        StatusCode::OK,
        &op.frame,
        "claims.html",
        context! { q => query.q, claims => rows },
    )
}

/// What a claim's page was sent back with.
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    decided: Option<String>,
}

/// `GET /back-office/claims/{claim_id}`.
pub async fn claim(
    State(state): State<Arc<AppState>>,
    op: WebOperator<ClaimReaders>,
    Path(claim_id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let c = match visible_claim(state.store(), &op.account, &claim_id).await {
        Ok(c) => c,
        Err(e) => return server_error(&op, e),
    };
    let may_decide = ClaimDesk::ROLES.iter().any(|r| op.account.has(*r));
    page(
        StatusCode::OK,
        &op.frame,
        "claim.html",
        context! {
            claim => claim_value(&c, &op.frame),
            may_decide => may_decide,
            notice => done.decided.map(|_| "decision_recorded"),
        },
    )
}

/// The decision form.
#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    decision: String,
    reason: String,
}

/// `POST /back-office/claims/{claim_id}/decisions`: one operator's decision.
pub async fn decide(
    State(state): State<Arc<AppState>>,
    op: WebOperator<ClaimDesk>,
    Path(claim_id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    if let Err(r) = op.check_csrf(&f.csrf) {
        return *r;
    }
    let decision = match f.decision.as_str() {
        "exchange" => ClaimDecision::Exchange,
        "refund" => ClaimDecision::Refund,
        "rejected" => ClaimDecision::Rejected,
        other => {
            return message(StatusCode::BAD_REQUEST, &op.frame, "refused", other);
        }
    };
    let req = ClaimDecisionRequest {
        decision,
        reason: f.reason,
    };
    match decide_claim(state.store(), &op.account, &claim_id, &req, state.now_ms()).await {
        Ok(_) => Redirect::to(&format!("{ROOT}/claims/{claim_id}?decided=1")).into_response(),
        Err(e) => server_error(&op, e),
    }
}
