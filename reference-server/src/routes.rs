//! HTTP routes: the device API (`/v1/enroll`, `/v1/manifest`, `/v1/events`,
//! `/v1/code-checks`) and the loopback admin API (`/v1/admin/...`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use courier_protocol::api::{
    CODE_CHECK_SCHEMA, CodeCheckBody, CodeCheckRequest, CodeCheckResponse, CodeFormWire,
    CreateOrderRequest, CreateSupervisorRequest, DayCloseFlagsResponse, DeviceEventsResponse,
    EnrollRequest, EnrollResponse, ErrorBody, ErrorCode, ErrorDetail, EventsResponse, FaultPlan,
    IssueManifestRequest, MAX_BATCH_EVENTS, MIN_BATCH_EVENTS, ManifestResponse, OnlineCheckResult,
    RECEIPT_SCHEMA, ReceiptBody, SignedCodeCheck, SignedReceipt, online_check_digest,
};
use courier_protocol::checkpoint::{CheckpointResponse, SignedCheckpoint};
use courier_protocol::code_verifier::CodeKey;
use courier_protocol::keys::{Signer, decode_lower_hex_array, sha256};
use courier_protocol::request_signing::{
    HEADER_DEVICE_ID, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_SKEW_MS, RequestAuth,
    RequestAuthError,
};
use courier_protocol::rules::parcel::is_locked;
use courier_protocol::strict_json::CheckedValue;
use serde::{Deserialize, Serialize};

/// `POST /v1/events` as received: each event kept as raw checked JSON so that
/// a fault in one event is that event's rejection, not the whole request's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatch {
    events: Vec<CheckedValue>,
}
use tokio::sync::Notify;

use crate::faults::Fault;
use crate::storage::DeviceRow;
use crate::{AppState, ServerError, admin, ingest};

/// Closes the request's connection without an answer (fault injection).
#[derive(Clone)]
pub struct ConnKill(pub Arc<Notify>);

/// The peer's address, for the loopback check of the admin API.
#[derive(Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// An error answer: status plus the documented error body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    server_time_ms: i64,
}

impl ApiError {
    fn new(
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

    fn from_server(state: &AppState, e: ServerError) -> Self {
        let (status, code) = match &e {
            ServerError::Conflict(_) | ServerError::Invalid(_) => {
                (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
            }
            ServerError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
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

type ApiResult = Result<Response, ApiError>;

fn ok<T: Serialize>(value: T) -> ApiResult {
    Ok((StatusCode::OK, axum::Json(value)).into_response())
}

/// The full router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/v1/enroll", post(enroll))
        .route("/v1/manifest", get(manifest))
        .route("/v1/events", post(events))
        .route("/v1/code-checks", post(code_check))
        .route("/v1/admin/orders", post(admin_order))
        .route("/v1/admin/enrollment-tokens", post(admin_token))
        .route("/v1/admin/manifests", post(admin_manifest))
        .route("/v1/admin/supervisors", post(admin_supervisor))
        .route("/v1/admin/day-close-flags", get(admin_day_close_flags))
        .route("/v1/admin/faults", post(admin_faults).get(admin_faults_get))
        .route(
            "/v1/admin/devices/{device_id}/events",
            get(admin_device_events),
        )
        .route("/v1/admin/alerts", get(admin_alerts))
        .route("/v1/admin/reports/day", get(admin_day_report))
        .route("/v1/checkpoint", get(checkpoint))
        .route(
            "/v1/admin/devices/{device_id}/checkpoint",
            get(admin_device_checkpoint),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            json_error_bodies,
        ))
        .with_state(state)
}

/// Largest request body: 1000 events of a few kilobytes each, with room to spare.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

async fn method_not_allowed(State(state): State<Arc<AppState>>) -> ApiError {
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
async fn json_error_bodies(State(state): State<Arc<AppState>>, response: Response) -> Response {
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
            format!("the request body exceeds {MAX_BODY_BYTES} bytes"),
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

async fn not_found(State(state): State<Arc<AppState>>) -> ApiError {
    ApiError::new(
        &state,
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "no such endpoint; this server speaks /v1",
    )
}

/// Parses a request body strictly: a repeated key anywhere is a bad request.
fn parse<T: serde::de::DeserializeOwned>(state: &AppState, body: &[u8]) -> Result<T, ApiError> {
    courier_protocol::strict_json::from_slice_strict(body).map_err(|e| {
        ApiError::new(
            state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("malformed request body: {e}"),
        )
    })
}

/// Applies the fault plan before processing; returns the fault to apply after.
async fn pre_fault(
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

async fn hang_up<T>(kill: &ConnKill) -> T {
    kill.0.notify_one();
    std::future::pending().await
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, RequestAuthError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(RequestAuthError::MissingHeader(name))
}

fn auth_error(state: &AppState, e: RequestAuthError) -> ApiError {
    let code = match e {
        RequestAuthError::StaleTimestamp { .. } => ErrorCode::StaleTimestamp,
        _ => ErrorCode::BadRequestSignature,
    };
    ApiError::new(state, StatusCode::UNAUTHORIZED, code, e.to_string())
}

/// Verifies device, timestamp, signature and nonce freshness.
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
    body: &[u8],
) -> Result<DeviceRow, ApiError> {
    let parse_auth = || -> Result<RequestAuth, RequestAuthError> {
        Ok(RequestAuth {
            device_id: header(headers, HEADER_DEVICE_ID)?.to_owned(),
            timestamp_ms: header(headers, HEADER_TIMESTAMP)?
                .parse()
                .map_err(|_| RequestAuthError::MissingHeader(HEADER_TIMESTAMP))?,
            nonce: header(headers, HEADER_NONCE)?.to_owned(),
            signature: header(headers, HEADER_SIGNATURE)?.to_owned(),
        })
    };
    let auth = parse_auth().map_err(|e| auth_error(state, e))?;
    let now = state.now_ms();
    let db = state.store();
    let device = db
        .device(&auth.device_id)
        .await
        .map_err(|e| ApiError::from_server(state, e))?
        .ok_or_else(|| {
            ApiError::new(
                state,
                StatusCode::UNAUTHORIZED,
                ErrorCode::UnknownDevice,
                format!(
                    "device {} is not enrolled; enroll it with a token",
                    auth.device_id
                ),
            )
        })?;
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    auth.verify(&device.public_key, method.as_str(), path, body, now)
        .map_err(|e| auth_error(state, e))?;
    let fresh = db
        .use_nonce(&device.device_id, &auth.nonce, now, MAX_SKEW_MS)
        .await
        .map_err(|e| ApiError::from_server(state, e))?;
    if !fresh {
        return Err(ApiError::new(
            state,
            StatusCode::UNAUTHORIZED,
            ErrorCode::ReplayedNonce,
            "this request nonce was already used: replayed request refused",
        ));
    }
    Ok(device)
}

async fn enroll(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    body: Bytes,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let req: EnrollRequest = parse(&state, &body)?;
    if let Err(e) = req.device_public_key.check_strong() {
        return Err(ApiError::new(
            &state,
            StatusCode::BAD_REQUEST,
            ErrorCode::WeakKey,
            format!("{e}; generate a fresh key with a standard Ed25519 implementation"),
        ));
    }
    let now = state.now_ms();
    let answer = {
        let db = state.store();
        let invalid =
            |m: &str| ApiError::new(&state, StatusCode::UNAUTHORIZED, ErrorCode::InvalidToken, m);
        let hash = admin::token_hash(&req.token);
        let (expires, used_by) = db
            .token(&hash)
            .await
            .map_err(|e| ApiError::from_server(&state, e))?
            .ok_or_else(|| {
                invalid("unknown enrollment token; ask the fleet operator for a new one")
            })?;
        let device_id = match used_by {
            Some(dev) => {
                // Idempotent retry by the same key (its first answer was lost).
                let same = db
                    .device(&dev)
                    .await
                    .map_err(|e| ApiError::from_server(&state, e))?
                    .is_some_and(|d| d.public_key == req.device_public_key);
                if !same {
                    return Err(invalid("this enrollment token was already used"));
                }
                dev
            }
            None => {
                if expires < now {
                    return Err(invalid("this enrollment token has expired"));
                }
                let dev = format!("dev-{}", uuid::Uuid::now_v7().simple());
                db.enroll(
                    &hash,
                    &dev,
                    &req.device_public_key,
                    &req.hardware_label,
                    now,
                )
                .await
                .map_err(|e| match e {
                    ServerError::Conflict(m) => invalid(&m),
                    other => ApiError::from_server(&state, other),
                })?;
                tracing::info!(device_id = %dev, "device enrolled");
                dev
            }
        };
        EnrollResponse {
            device_id,
            server_public_key: Signer::public_key(state.key()),
            server_time_ms: now,
        }
    };
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(answer)
}

async fn manifest(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, b"").await?;
    let latest = state
        .store()
        .latest_manifest(&device.device_id)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    let manifest = latest
        .map(|(_, json)| serde_json::from_str(&json))
        .transpose()
        .map_err(|e| ApiError::from_server(&state, ServerError::Database(e.to_string())))?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(ManifestResponse {
        manifest,
        server_time_ms: state.now_ms(),
    })
}

async fn events(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let after = pre_fault(&state, &kill, true).await?;
    let device = authenticate(&state, &headers, &method, &uri, &body).await?;
    let batch: RawBatch = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            &state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("malformed request body: {e}; expected {{\"events\": [...]}}"),
        )
    })?;
    if batch.events.len() < MIN_BATCH_EVENTS {
        return Err(ApiError::new(
            &state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!(
                "a batch holds {MIN_BATCH_EVENTS} to {MAX_BATCH_EVENTS} events; this one is empty"
            ),
        ));
    }
    if batch.events.len() > MAX_BATCH_EVENTS {
        return Err(ApiError::new(
            &state,
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BatchTooLarge,
            format!("a batch holds at most {MAX_BATCH_EVENTS} events"),
        ));
    }
    let uploaded: Vec<ingest::Uploaded> = batch
        .events
        .into_iter()
        .map(ingest::Uploaded::parse)
        .collect();
    let received = uploaded.len();
    let now = state.now_ms();
    let run = || state.store().ingest(&device.device_id, &uploaded, now);
    let mut outcome = run().await.map_err(|e| ApiError::from_server(&state, e))?;
    if after == Some(Fault::Duplicate) {
        outcome = run().await.map_err(|e| ApiError::from_server(&state, e))?;
    }
    let accepted = outcome
        .results
        .iter()
        .filter(|r| r.status == courier_protocol::api::EventStatus::Accepted)
        .count();
    tracing::info!(device_id = %device.device_id, received, accepted, last_seq = outcome.tip.seq, "events ingested");
    let checkpoint = SignedCheckpoint::sign(&device.device_id, &outcome.tip, now, state.key())
        .map_err(|e| ApiError::from_server(&state, ServerError::Key(e.to_string())))?;
    let receipt = SignedReceipt::sign(
        ReceiptBody {
            schema: RECEIPT_SCHEMA.into(),
            device_id: device.device_id.clone(),
            results: outcome.results,
            last_seq: outcome.tip.seq,
            last_hash: outcome.tip.hash,
            server_time_ms: now,
        },
        state.key(),
    )
    .map_err(|e| ApiError::from_server(&state, ServerError::Key(e.to_string())))?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(EventsResponse {
        receipt,
        checkpoint: Some(checkpoint),
        server_time_ms: now,
    })
}

async fn code_check(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, &body).await?;
    let req: CodeCheckRequest = parse(&state, &body)?;
    let bad = |m: &str| ApiError::new(&state, StatusCode::BAD_REQUEST, ErrorCode::BadRequest, m);
    let nonce: [u8; 16] = decode_lower_hex_array(&req.nonce, "nonce")
        .map_err(|_| bad("nonce must be 32 lower-case hex characters (16 bytes)"))?;
    let proof: [u8; 32] = decode_lower_hex_array(&req.proof, "proof")
        .map_err(|_| bad("proof must be 64 lower-case hex characters (32 bytes)"))?;
    let now = state.now_ms();
    let body = {
        let db = state.store();
        let server = |e| ApiError::from_server(&state, e);
        let not_issued = || {
            ApiError::new(
                &state,
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!(
                    "parcel {} is not in a manifest of this device",
                    req.parcel_id
                ),
            )
        };
        if !db
            .parcel_issued_to(&device.device_id, &req.parcel_id)
            .await
            .map_err(server)?
        {
            return Err(not_issued());
        }
        let order = db
            .order(&req.parcel_id)
            .await
            .map_err(server)?
            .ok_or_else(not_issued)?;
        let (result, spent) = if is_locked(order.attempts_spent, order.attempt_limit) {
            (OnlineCheckResult::Locked, order.attempts_spent)
        } else {
            // Count the attempt durably before comparing.
            let spent = db.spend_attempt(&req.parcel_id).await.map_err(server)?;
            let key = CodeKey::from_bytes(match req.form {
                CodeFormWire::Numeric => order.numeric_key,
                CodeFormWire::Qr => order.qr_key,
            });
            if key.verify_proof(&online_check_digest(&nonce), &proof) {
                // A correct code gives back its own try, and nothing more.
                let restored = db.restore_attempt(&req.parcel_id).await.map_err(server)?;
                (OnlineCheckResult::Match, restored)
            } else {
                (OnlineCheckResult::Mismatch, spent)
            }
        };
        let label = match result {
            OnlineCheckResult::Match => "match",
            OnlineCheckResult::Mismatch => "mismatch",
            OnlineCheckResult::Locked => "locked",
        };
        db.log_code_check(&device.device_id, &req.parcel_id, &req.nonce, label, now)
            .await
            .map_err(server)?;
        CodeCheckBody {
            schema: CODE_CHECK_SCHEMA.into(),
            device_id: device.device_id.clone(),
            parcel_id: req.parcel_id.clone(),
            nonce: req.nonce.clone(),
            result,
            attempts_spent: spent,
            attempt_limit: order.attempt_limit,
            server_time_ms: now,
        }
    };
    let check = SignedCodeCheck::sign(body, state.key())
        .map_err(|e| ApiError::from_server(&state, ServerError::Key(e.to_string())))?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(CodeCheckResponse {
        check,
        server_time_ms: now,
    })
}

fn require_admin(state: &AppState, headers: &HeaderMap, peer: PeerAddr) -> Result<(), ApiError> {
    let forbidden = |m: &str| ApiError::new(state, StatusCode::FORBIDDEN, ErrorCode::Forbidden, m);
    if !peer.0.ip().is_loopback() {
        return Err(forbidden("the admin API answers on loopback only"));
    }
    let Some(expected) = state.admin_token.as_deref() else {
        return Err(forbidden(
            "the admin API is disabled (no admin token configured)",
        ));
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let same = given.is_some_and(|g| sha256(g.as_bytes()) == sha256(expected.as_bytes()));
    if same {
        Ok(())
    } else {
        Err(ApiError::new(
            state,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden,
            "wrong or missing admin token (Authorization: Bearer <token>)",
        ))
    }
}

async fn admin_order(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let req: CreateOrderRequest = parse(&state, &body)?;
    let created = admin::create_order(state.store(), &req)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(created)
}

async fn admin_token(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let t = admin::issue_token(state.store(), state.now_ms())
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(t)
}

async fn admin_manifest(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let req: IssueManifestRequest = parse(&state, &body)?;
    let now = state.now_ms();
    let m = admin::issue_manifest(state.store(), state.key(), &req, now)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(m)
}

async fn admin_supervisor(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let req: CreateSupervisorRequest = parse(&state, &body)?;
    let now = state.now_ms();
    let created = admin::create_supervisor(state.store(), &req, now)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(created)
}

async fn admin_day_close_flags(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let flags = state
        .store()
        .day_close_flags()
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(DayCloseFlagsResponse { flags })
}

#[derive(Serialize)]
struct FaultStatus {
    pending: FaultPlan,
    device_requests: u64,
    injected: u64,
}

async fn admin_faults(
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

async fn admin_faults_get(
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

async fn admin_device_events(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let db = state.store();
    let server = |e| ApiError::from_server(&state, e);
    let device = db
        .device(&device_id)
        .await
        .map_err(server)?
        .ok_or_else(|| {
            ApiError::from_server(
                &state,
                ServerError::NotFound(format!("device {device_id} is not enrolled")),
            )
        })?;
    let events = db.device_events(&device_id).await.map_err(server)?;
    ok(DeviceEventsResponse {
        device_id,
        device_public_key: device.public_key,
        events,
    })
}

/// `GET /v1/checkpoint`: the server's signed checkpoint of the calling device's log.
async fn checkpoint(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, b"").await?;
    let answer = signed_checkpoint(&state, &device.device_id).await?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(answer)
}

async fn admin_device_checkpoint(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    ok(signed_checkpoint(&state, &device_id).await?)
}

async fn signed_checkpoint(
    state: &AppState,
    device_id: &str,
) -> Result<CheckpointResponse, ApiError> {
    let now = state.now_ms();
    let device = state
        .store()
        .device(device_id)
        .await
        .map_err(|e| ApiError::from_server(state, e))?
        .ok_or_else(|| {
            ApiError::from_server(
                state,
                ServerError::NotFound(format!("device {device_id} is not enrolled")),
            )
        })?;
    let checkpoint = SignedCheckpoint::sign(device_id, &device.tip, now, state.key())
        .map_err(|e| ApiError::from_server(state, ServerError::Key(e.to_string())))?;
    Ok(CheckpointResponse {
        checkpoint,
        server_time_ms: now,
    })
}

/// Query of `GET /v1/admin/alerts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsQuery {
    /// Only alerts with a larger id (paging); 0 from the start.
    #[serde(default)]
    after_id: i64,
    /// At most this many (1 to 1000, default 100).
    limit: Option<u32>,
}

/// Answer of `GET /v1/admin/alerts`.
#[derive(Serialize)]
struct AlertsResponse {
    alerts: Vec<crate::storage::Alert>,
}

/// `GET /v1/admin/alerts`: forks and re-used event ids, oldest first.
async fn admin_alerts(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    query: Result<axum::extract::Query<AlertsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let axum::extract::Query(q) = query.map_err(|e| {
        ApiError::new(
            &state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("bad query: {e}; use ?after_id=N&limit=N"),
        )
    })?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let alerts = state
        .store()
        .alerts(q.after_id, limit)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(AlertsResponse { alerts })
}

/// `GET /v1/admin/reports/day` query: one of `depot` or `device`, the day,
/// the offset it is counted in, and the format.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DayReportQuery {
    depot: Option<String>,
    device: Option<String>,
    date: String,
    utc_offset: Option<String>,
    format: Option<String>,
}

/// `GET /v1/admin/reports/day`: the day reports of a depot's devices, or of
/// one device, computed from the events the server holds by the same pure
/// function as the terminals' exports; JSON, or CSV (`format=csv` or
/// `Accept: text/csv`).
async fn admin_day_report(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    use courier_protocol::day_report_csv::to_csv;
    use courier_protocol::day_window::DayWindow;
    use courier_protocol::rules::day_report::{DayInput, DayReports, day_report};

    require_admin(&state, &headers, peer)?;
    let bad = |m: String| ApiError::new(&state, StatusCode::BAD_REQUEST, ErrorCode::BadRequest, m);
    let q: DayReportQuery = serde_urlencoded_query(uri.query().unwrap_or(""))
        .map_err(|e| bad(format!("bad query ({e}); expected depot=... or device=..., date=YYYY-MM-DD, optional utc_offset=%2B01:00 and format=json|csv")))?;
    if q.depot.is_some() == q.device.is_some() {
        return Err(bad("give exactly one of depot=... or device=...".into()));
    }
    // A "+" in a query string reads as a space: take " 01:00" as "+01:00".
    let offset = q
        .utc_offset
        .as_deref()
        .unwrap_or("+00:00")
        .replacen(' ', "+", 1);
    let day = DayWindow::parse(&q.date, &offset).map_err(|e| bad(e.to_string()))?;
    let csv = match q.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(other) => return Err(bad(format!("format {other:?} is not json or csv"))),
        None => headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/csv")),
    };
    let db = state.store();
    if let Some(device) = &q.device
        && db
            .device(device)
            .await
            .map_err(|e| ApiError::from_server(&state, e))?
            .is_none()
    {
        return Err(ApiError::from_server(
            &state,
            ServerError::NotFound(format!("device {device} is not enrolled")),
        ));
    }
    let sources = db
        .report_sources(q.device.as_deref(), q.depot.as_deref())
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    let reports = sources.iter().map(|s| {
        day_report(DayInput {
            device_id: &s.device_id,
            day: &day,
            manifests: &s.manifests,
            events: &s.events,
        })
    });
    let answer = DayReports::gather(&day, q.depot.as_deref(), q.device.as_deref(), reports);
    if csv {
        let bytes = to_csv(&answer.reports.iter().collect::<Vec<_>>())
            .map_err(|e| ApiError::from_server(&state, ServerError::Invalid(e.to_string())))?;
        return Ok((
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            bytes,
        )
            .into_response());
    }
    ok(answer)
}

/// Parses a query string into `T` (axum's `Query` answers a bad query with
/// plain text; this keeps the documented JSON error body).
fn serde_urlencoded_query<T: serde::de::DeserializeOwned>(query: &str) -> Result<T, String> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{query}")
            .parse::<Uri>()
            .map_err(|e| e.to_string())?,
    )
    .map(|q| q.0)
    .map_err(|e| e.body_text())
}
