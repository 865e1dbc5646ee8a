//! How the API answers: the documented JSON error body (with the server's
//! time) for every error, those the HTTP layer makes included, and strict
//! parsing of request bodies.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use courier_protocol::api::{ErrorBody, ErrorCode, ErrorDetail};
use courier_protocol::rules::claim::ClaimRefusal;
use serde::Serialize;

use crate::error::ServerError;
use crate::state::AppState;

/// Largest request body: 1000 events of a few kilobytes each, with room to spare.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// An error answer: status plus the documented error body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    server_time_ms: i64,
}

impl ApiError {
    /// An error answer with the server's time.
    pub fn new(
        state: &AppState,
        status: StatusCode,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            server_time_ms: state.now_ms(),
        }
    }

    /// The HTTP status of this answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The answer to a server error: a conflict or an invalid request is a
    /// bad request, something missing is not found, anything else an
    /// internal error (logged); a claim or cancellation rule's refusal is a
    /// conflict (409, `refused`), a missing approver role forbidden (403).
    pub fn from_server(state: &AppState, e: ServerError) -> Self {
        let (status, code) = match &e {
            ServerError::Conflict(_) | ServerError::Invalid(_) => {
                (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
            }
            ServerError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ServerError::Refused(ClaimRefusal::NotApprover) => {
                (StatusCode::FORBIDDEN, ErrorCode::Forbidden)
            }
            ServerError::Refused(_) => (StatusCode::CONFLICT, ErrorCode::Refused),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "request failed");
        }
        ApiError::new(state, status, code, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                retryable: self.code.retryable(),
            },
            server_time_ms: self.server_time_ms,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// What a handler answers.
pub type ApiResult = Result<Response, ApiError>;

/// A 200 answer with a JSON body.
pub fn ok<T: Serialize>(value: T) -> ApiResult {
    Ok((StatusCode::OK, axum::Json(value)).into_response())
}

/// Any path with a method it does not take.
pub async fn method_not_allowed(State(state): State<Arc<AppState>>) -> ApiError {
    ApiError::new(
        &state,
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "this method is not allowed on this path; see docs/openapi.yaml",
    )
}

/// Every error answer is the documented JSON error body with `server_time_ms`,
/// including those the HTTP layer produces itself (body too large, bad
/// content length): they are rewritten here.
pub async fn json_error_bodies(State(state): State<Arc<AppState>>, response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorCode::BatchTooLarge,
            format!(
                "the request body is larger than this endpoint takes ({} bytes for /v1/enroll, {MAX_BODY_BYTES} for the others); nothing was read",
                courier_protocol::bounds::MAX_ENROLL_BODY_BYTES
            ),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::MethodNotAllowed,
            "this method is not allowed on this path".to_owned(),
        ),
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "nothing here".to_owned()),
        s if s.is_client_error() => (
            ErrorCode::BadRequest,
            format!("the request was refused by the HTTP layer ({s})"),
        ),
        s => (
            ErrorCode::Internal,
            format!("unexpected server failure ({s})"),
        ),
    };
    ApiError::new(&state, status, code, message).into_response()
}

/// Any path this server does not serve.
pub async fn not_found(State(state): State<Arc<AppState>>) -> ApiError {
    ApiError::new(
        &state,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such endpoint; this server speaks /v1",
    )
}

/// Parses a request body strictly: a repeated key anywhere is a bad request.
pub fn parse<T: serde::de::DeserializeOwned>(state: &AppState, body: &[u8]) -> Result<T, ApiError> {
    courier_protocol::strict_json::from_slice_strict(body).map_err(|e| {
        ApiError::new(
            state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("malformed request body: {e}"),
        )
    })
}

/// Parses a query string into `T` (axum's `Query` answers a bad query with
/// plain text; this keeps the documented JSON error body).
pub(super) fn query_of<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, String> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}")
            .parse::<axum::http::Uri>()
            .map_err(|e| e.to_string())?,
    )
    .map(|q| q.0)
    .map_err(|e| e.body_text())
}
