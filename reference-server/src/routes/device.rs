//! The device API: `/v1/enroll`, `/v1/manifest`, `/v1/events`,
//! `/v1/code-checks` and `/v1/checkpoint`. Every request but the enrollment
//! is signed by the device and carries a fresh nonce; the fault switches
//! apply to all of them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use courier_protocol::api::{
    CODE_CHECK_SCHEMA, CodeCheckBody, CodeCheckRequest, CodeCheckResponse, EnrollRequest,
    EnrollResponse, ErrorCode, EventsResponse, MAX_BATCH_EVENTS, MIN_BATCH_EVENTS,
    ManifestResponse, RECEIPT_SCHEMA, ReceiptBody, SignedCodeCheck, SignedReceipt,
};
use courier_protocol::checkpoint::{CheckpointResponse, SignedCheckpoint};
use courier_protocol::keys::Signer;
use courier_protocol::request_signing::{
    HEADER_DEVICE_ID, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAX_SKEW_MS, RequestAuth,
    RequestAuthError,
};
use courier_protocol::strict_json::CheckedValue;
use serde::Deserialize;

use super::answer::{ApiError, ApiResult, ok, parse};
use super::faults::{ConnKill, hang_up, pre_fault};
use crate::admin;
use crate::batch::Uploaded;
use crate::code_check::{CodeCheck, Verdict, check_code};
use crate::error::{NotFound, ServerError, StorageError};
use crate::event_log;
use crate::faults::Fault;
use crate::ingest::ingest;
use crate::records::DeviceRow;
use crate::state::AppState;

/// `GET /v1/desk-handovers/{event_id}`: where this device's handover to a
/// stop desk stands (pending until the desk's matching intake).
pub async fn desk_handover(
    State(state): State<Arc<AppState>>,
    axum::extract::Path(event_id): axum::extract::Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let device = authenticate(&state, &headers, &method, &uri, b"").await?;
    let status = crate::desk_handover::handover_status(state.store(), &device.device_id, &event_id)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?
        .ok_or_else(|| {
            ApiError::from_server(&state, NotFound::DeskHandover(event_id.clone()).into())
        })?;
    ok(courier_protocol::api::DeskHandoverResponse { event_id, status })
}

/// `POST /v1/events` as received: each event kept as raw checked JSON so that
/// a fault in one event is that event's rejection, not the whole request's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatch {
    events: Vec<CheckedValue>,
    /// The size of the event log's checkpoint the device keeps (its
    /// consistency proof comes with the answer).
    #[serde(default)]
    log_size: Option<u64>,
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
pub(super) async fn authenticate(
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

/// Refuses a revoked device's request (every request but its uploads, which
/// are kept: events it signed before the revocation are recorded and flagged,
/// those after it recorded but not honoured).
fn refuse_revoked(state: &AppState, device: &DeviceRow) -> Result<(), ApiError> {
    let Some(r) = &device.revoked else {
        return Ok(());
    };
    Err(ApiError::new(
        state,
        StatusCode::FORBIDDEN,
        ErrorCode::DeviceRevoked,
        format!(
            "this device was revoked at {} (Unix ms): {}; its events are still kept: call carrier IT",
            r.at_ms, r.reason
        ),
    ))
}

/// `POST /v1/enroll`: enrolls a device with a one-time token.
pub async fn enroll(
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
                    ServerError::Conflict(c) => invalid(&c.to_string()),
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

/// `GET /v1/manifest`: the device's latest manifest.
pub async fn manifest(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, b"").await?;
    refuse_revoked(&state, &device)?;
    let latest = state
        .store()
        .latest_manifest(&device.device_id)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    let manifest = latest
        .map(|(_, json)| serde_json::from_str(&json))
        .transpose()
        .map_err(|e| ApiError::from_server(&state, StorageError::corrupt("manifest", e).into()))?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(ManifestResponse {
        manifest,
        server_time_ms: state.now_ms(),
    })
}

/// `POST /v1/events`: ingests a batch and answers a signed receipt and checkpoint.
pub async fn events(
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
    let uploaded: Vec<Uploaded> = batch.events.into_iter().map(Uploaded::parse).collect();
    let received = uploaded.len();
    let now = state.now_ms();
    let run = || ingest(state.store(), &device.device_id, &uploaded, now);
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
        .map_err(|e| ApiError::from_server(&state, ServerError::Key(e)))?;
    let log = event_log::view(
        state.store(),
        state.key(),
        &device.device_id,
        outcome.tip.seq,
        batch.log_size,
    )
    .await
    .map_err(|e| ApiError::from_server(&state, e))?;
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
    .map_err(|e| ApiError::from_server(&state, ServerError::Key(e)))?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(EventsResponse {
        receipt,
        checkpoint: Some(checkpoint),
        log: Some(log),
        server_time_ms: now,
    })
}

/// `POST /v1/code-checks`: an online code check, signed and bound to the nonce.
pub async fn code_check(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, &body).await?;
    refuse_revoked(&state, &device)?;
    if let Err(wait_ms) = state.code_checks.admit(&device.device_id, state.now_ms()) {
        return Err(ApiError::new(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            format!(
                "more than {} code checks from this device in one minute: try again in {} s",
                crate::rate_limit::MAX_CODE_CHECKS_PER_MINUTE,
                (wait_ms + 999) / 1000
            ),
        ));
    }
    let req: CodeCheckRequest = parse(&state, &body)?;
    let check = CodeCheck::parse(req).map_err(|e| {
        ApiError::new(
            &state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            e.to_string(),
        )
    })?;
    let now = state.now_ms();
    let verdict = check_code(state.store(), &device.device_id, &check, now)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    let (result, attempts_spent, attempt_limit) = match verdict {
        Verdict::Checked {
            result,
            attempts_spent,
            attempt_limit,
        } => (result, attempts_spent, attempt_limit),
        Verdict::NotIssued => {
            return Err(ApiError::new(
                &state,
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                format!(
                    "parcel {} is not issued to this device now",
                    check.parcel_id
                ),
            ));
        }
        Verdict::NotOnlineOnly => {
            return Err(ApiError::new(
                &state,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!(
                    "parcel {} is checked on the device (offline allowed); the server checks online-only parcels only",
                    check.parcel_id
                ),
            ));
        }
    };
    let body = CodeCheckBody {
        schema: CODE_CHECK_SCHEMA.into(),
        device_id: device.device_id.clone(),
        parcel_id: check.parcel_id.clone(),
        nonce: check.nonce_hex.clone(),
        result,
        attempts_spent,
        attempt_limit,
        server_time_ms: now,
    };
    let check = SignedCodeCheck::sign(body, state.key())
        .map_err(|e| ApiError::from_server(&state, ServerError::Key(e)))?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(CodeCheckResponse {
        check,
        server_time_ms: now,
    })
}

/// `GET /v1/checkpoint`: the server's signed checkpoint of the calling device's log.
pub async fn checkpoint(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, b"").await?;
    refuse_revoked(&state, &device)?;
    let answer = signed_checkpoint(&state, &device.device_id).await?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(answer)
}

/// The server's signed checkpoint of a device's log (the device API and the admin API).
pub(super) async fn signed_checkpoint(
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
            ApiError::from_server(state, NotFound::Device(device_id.to_owned()).into())
        })?;
    let checkpoint = SignedCheckpoint::sign(device_id, &device.tip, now, state.key())
        .map_err(|e| ApiError::from_server(state, ServerError::Key(e)))?;
    Ok(CheckpointResponse {
        checkpoint,
        server_time_ms: now,
    })
}
