//! The event log's public reads, for witnesses and auditors (no secret in
//! them: sizes and hashes): `GET /v1/log/checkpoint`, the signed checkpoint
//! note of the current tree, and `GET /v1/log/consistency?from=M&to=N`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use courier_protocol::api::ErrorCode;
use serde::Deserialize;

use super::answer::{ApiError, ApiResult, ok};
use crate::event_log;
use crate::state::AppState;

/// The media type of a signed checkpoint note (C2SP tlog-witness uses it too).
const CHECKPOINT_MEDIA_TYPE: &str = "text/plain; charset=utf-8";

/// `GET /v1/log/checkpoint`: the signed checkpoint of the current tree.
pub async fn checkpoint(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let head = event_log::head(state.store())
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    let note = event_log::sign(&head, state.key()).map_err(|e| ApiError::from_server(&state, e))?;
    Ok(([(header::CONTENT_TYPE, CHECKPOINT_MEDIA_TYPE)], note).into_response())
}

/// The sizes of a consistency proof.
#[derive(Debug, Deserialize)]
pub struct Sizes {
    from: u64,
    to: u64,
}

/// `GET /v1/log/consistency?from=M&to=N`: that the tree of N leaves extends the tree of M.
pub async fn consistency(
    State(state): State<Arc<AppState>>,
    Query(sizes): Query<Sizes>,
) -> ApiResult {
    let size = state
        .store()
        .log_size()
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    if sizes.from > sizes.to || sizes.to > size {
        return Err(ApiError::new(
            &state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!(
                "a consistency proof needs from <= to <= {size} (the log's size); asked {} to {}",
                sizes.from, sizes.to
            ),
        ));
    }
    let proof = event_log::consistency(state.store(), sizes.from, sizes.to)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(proof)
}
