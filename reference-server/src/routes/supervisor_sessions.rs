//! `POST /v1/supervisor-sessions`: a supervisor signs in on a device; the
//! server checks the PIN (or badge) and answers a session. Authenticated like
//! every device request (signed, fresh nonce); the fault switches apply.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use courier_protocol::api::ErrorCode;
use courier_protocol::supervisor_session::{SupervisorSignInRequest, SupervisorSignInResponse};

use super::answer::{ApiError, ApiResult, ok, parse};
use super::device::authenticate;
use super::faults::{ConnKill, hang_up, pre_fault};
use crate::faults::Fault;
use crate::state::AppState;
use crate::supervisor_session::sign_in;

/// `POST /v1/supervisor-sessions`.
pub async fn supervisor_sign_in(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, &body).await?;
    let req: SupervisorSignInRequest = parse(&state, &body)?;
    let now = state.now_ms();
    let answer = sign_in(state.store(), &device.device_id, &req, now)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?
        .map_err(|e| {
            ApiError::new(
                &state,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                e.to_string(),
            )
        })?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(SupervisorSignInResponse {
        answer,
        server_time_ms: now,
    })
}
