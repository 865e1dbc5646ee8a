//! The fault switches as the HTTP side applies them: before a device
//! request (fail, drop, delay) and after it (lose the answer, answer a
//! duplicate), and the admin calls that set them. Tests only.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode};
use courier_protocol::api::{ErrorCode, FaultPlan};
use serde::Serialize;
use tokio::sync::Notify;

use super::access::{PeerAddr, require_admin};
use super::answer::{ApiError, ApiResult, ok, parse};
use crate::faults::Fault;
use crate::state::AppState;

/// Closes the request's connection without an answer (fault injection).
#[derive(Clone)]
pub struct ConnKill(pub Arc<Notify>);

/// Applies the fault plan before processing; returns the fault to apply after.
pub async fn pre_fault(
    state: &AppState,
    kill: &ConnKill,
    upload: bool,
) -> Result<Option<Fault>, ApiError> {
    match state.faults.next(upload) {
        Some(Fault::Fail) => Err(ApiError::new(
            state,
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unavailable,
            "injected fault: temporary failure",
        )),
        Some(Fault::Drop) => hang_up(kill).await,
        Some(Fault::Delay(ms)) => {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(None)
        }
        other => Ok(other),
    }
}

/// Closes the connection without an answer; never returns.
pub async fn hang_up<T>(kill: &ConnKill) -> T {
    kill.0.notify_one();
    std::future::pending().await
}

#[derive(Serialize)]
struct FaultStatus {
    pending: FaultPlan,
    device_requests: u64,
    injected: u64,
}

/// `POST /v1/admin/faults`: adds a fault plan (an empty plan clears them).
pub async fn admin_faults(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let plan: FaultPlan = parse(&state, &body)?;
    if plan == FaultPlan::default() {
        state.faults.clear();
    } else {
        state.faults.add(&plan);
    }
    admin_faults_get(State(state), Extension(peer), headers).await
}

/// `GET /v1/admin/faults`: pending faults and counters.
pub async fn admin_faults_get(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    ok(FaultStatus {
        pending: state.faults.pending(),
        device_requests: state.faults.device_requests(),
        injected: state.faults.injected(),
    })
}
