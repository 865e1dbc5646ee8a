//! The back-office API of named operators (`docs/protocol.md`, "Back office"):
//! sign-in, claims and their decisions, cancellations before delivery, the
//! daily extraction. Each handler takes an [`Operator`] admitted for its
//! roles, so who did what reaches the audit log with the action.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use courier_protocol::api::ErrorCode;
use courier_protocol::back_office::{
    CancelOrderRequest, ClaimDecisionRequest, ClaimsResponse, FileClaimRequest,
    OperatorSignInRequest,
};
use courier_protocol::day_window::DayWindow;
use serde::Deserialize;

use super::access::{PeerAddr, require_private_transport};
use super::answer::{ApiError, ApiResult, ok, query_of};
use super::operator_auth::{Cancellers, ClaimDesk, ClaimReaders, Operator, StrictJson};
use crate::back_office;
use crate::dispute_pack;
use crate::state::AppState;

/// `POST /v1/operator-sessions`: signs an operator in; answers a bearer token.
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    axum::extract::Extension(peer): axum::extract::Extension<PeerAddr>,
    StrictJson(req): StrictJson<OperatorSignInRequest>,
) -> ApiResult {
    require_private_transport(&state, peer)?;
    let session = back_office::sign_in(
        state.store(),
        state.password_cost(),
        &req.name,
        &req.password,
        state.now_ms(),
    )
    .await
    .map_err(|e| ApiError::from_server(&state, e))?;
    match session {
        Some(s) => ok(s),
        None => Err(ApiError::new(
            &state,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden,
            "wrong operator name or password",
        )),
    }
}

/// `POST /v1/claims`: files a buyer's claim on a delivered order.
pub async fn file_claim(
    State(state): State<Arc<AppState>>,
    op: Operator<ClaimDesk>,
    StrictJson(req): StrictJson<FileClaimRequest>,
) -> ApiResult {
    let claim = back_office::file_claim(state.store(), &op.account, &req, state.now_ms())
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(claim)
}

/// `GET /v1/claims`: the claims of the operator's depots, newest first.
pub async fn list_claims(
    State(state): State<Arc<AppState>>,
    op: Operator<ClaimReaders>,
) -> ApiResult {
    let claims = back_office::claims_in_scope(state.store(), &op.account)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(ClaimsResponse { claims })
}

/// `GET /v1/claims/{claim_id}`: one claim of the operator's depots.
pub async fn get_claim(
    State(state): State<Arc<AppState>>,
    op: Operator<ClaimReaders>,
    Path(claim_id): Path<String>,
) -> ApiResult {
    let claim = back_office::visible_claim(state.store(), &op.account, &claim_id)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(claim)
}

/// `POST /v1/claims/{claim_id}/decisions`: one operator's decision.
pub async fn decide_claim(
    State(state): State<Arc<AppState>>,
    op: Operator<ClaimDesk>,
    Path(claim_id): Path<String>,
    StrictJson(req): StrictJson<ClaimDecisionRequest>,
) -> ApiResult {
    let claim =
        back_office::decide_claim(state.store(), &op.account, &claim_id, &req, state.now_ms())
            .await
            .map_err(|e| ApiError::from_server(&state, e))?;
    ok(claim)
}

/// `POST /v1/orders/{order_ref}/cancel`: cancels an order before delivery.
pub async fn cancel_order(
    State(state): State<Arc<AppState>>,
    op: Operator<Cancellers>,
    Path(order_ref): Path<String>,
    StrictJson(req): StrictJson<CancelOrderRequest>,
) -> ApiResult {
    let answer = back_office::cancel_order(
        state.store(),
        state.key(),
        &op.account,
        &order_ref,
        &req,
        state.now_ms(),
    )
    .await
    .map_err(|e| ApiError::from_server(&state, e))?;
    ok(answer)
}

/// Query of `GET /v1/extraction`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractionQuery {
    date: String,
    utc_offset: Option<String>,
}

/// `GET /v1/extraction?date=YYYY-MM-DD&utc_offset=+01:00`: the day's CSV
/// for accounting, rows of the operator's depots.
pub async fn extraction(
    State(state): State<Arc<AppState>>,
    op: Operator<ClaimReaders>,
    uri: Uri,
) -> ApiResult {
    let bad = |m: String| ApiError::new(&state, StatusCode::BAD_REQUEST, ErrorCode::BadRequest, m);
    let q: ExtractionQuery = query_of(uri.query().unwrap_or("")).map_err(|e| {
        bad(format!(
            "bad query ({e}); expected date=YYYY-MM-DD and optional utc_offset=%2B01:00"
        ))
    })?;
    let day = DayWindow::parse(&q.date, &offset_param(q.utc_offset.as_deref()))
        .map_err(|e| bad(e.to_string()))?;
    let scope = op.account.scope();
    let bytes = back_office::extraction_csv(state.store(), &day, |d| scope.covers(d))
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    Ok((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        bytes,
    )
        .into_response())
}

/// A `utc_offset` query value: `+01:00`, default `+00:00`; a "+" in a query
/// string reads as a space, so " 01:00" is taken as "+01:00".
fn offset_param(value: Option<&str>) -> String {
    value.unwrap_or("+00:00").replacen(' ', "+", 1)
}

/// Query of `GET /v1/orders/{order_ref}/dispute-pack`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PackQuery {
    utc_offset: Option<String>,
}

/// `GET /v1/orders/{order_ref}/dispute-pack?utc_offset=+01:00`: the order's
/// dispute pack (a signed tar, docs/protocol.md "Dispute pack"), from the
/// events of the operator's depots; times told at the offset.
pub async fn dispute_pack(
    State(state): State<Arc<AppState>>,
    op: Operator<ClaimReaders>,
    Path(order_ref): Path<String>,
    uri: Uri,
) -> Result<axum::response::Response, ApiError> {
    let bad = |m: String| ApiError::new(&state, StatusCode::BAD_REQUEST, ErrorCode::BadRequest, m);
    let q: PackQuery = query_of(uri.query().unwrap_or("")).map_err(|e| {
        bad(format!(
            "bad query ({e}); expected an optional utc_offset=%2B01:00"
        ))
    })?;
    let offset = DayWindow::parse("1970-01-01", &offset_param(q.utc_offset.as_deref()))
        .map_err(|e| bad(e.to_string()))?
        .utc_offset_min;
    let pack = dispute_pack::build_for(
        state.store(),
        state.photos(),
        state.key(),
        &op.account.name,
        &order_ref,
        &op.account.scope(),
        offset,
        state.now_ms(),
    )
    .await
    .map_err(|e| ApiError::from_server(&state, e))?;
    Ok(pack.into_response())
}
