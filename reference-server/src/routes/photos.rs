//! Photos: `GET /v1/photos/{sha256}` (how much the server holds) and
//! `PUT /v1/photos/{sha256}?offset=N&total=T` (the next chunk), signed by
//! the device like every device request; `GET /v1/admin/photos` (the photos
//! of a time window, for the back office) and
//! `GET /v1/admin/photos/{sha256}` (the JPEG).
//!
//! A photo is taken only when a stored event of the uploading device names
//! its hash; its size must be the one signed there. Chunks append where the
//! server's copy ends (an upload cut off resumes from `GET`), the complete
//! bytes must hash to the name, and the answer then carries the server's
//! signed receipt, which is what lets the device delete its copy. A photo
//! already held is answered with its receipt again: uploads are idempotent
//! by hash.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use courier_protocol::api::ErrorCode;
use courier_protocol::keys::decode_lower_hex_array;
use courier_protocol::photo::{
    MAX_PHOTO_CHUNK_BYTES, PHOTO_RECEIPT_SCHEMA, PhotoReceipt, PhotoReceiptBody,
    PhotoUploadResponse,
};
use serde::Deserialize;

use super::access::{PeerAddr, require_admin};
use super::answer::{ApiError, ApiResult, ok};
use super::device::authenticate;
use super::faults::{ConnKill, hang_up, pre_fault};
use crate::error::ServerError;
use crate::faults::Fault;
use crate::photo_store::{BlobError, Held};
use crate::records::DeviceRow;
use crate::state::AppState;
use crate::storage::NamedPhoto;

/// `offset` and `total` of a chunk.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChunkQuery {
    offset: u64,
    total: u64,
}

fn error(state: &AppState, status: StatusCode, code: ErrorCode, m: impl Into<String>) -> ApiError {
    ApiError::new(state, status, code, m)
}

fn blob_error(state: &AppState, e: BlobError) -> ApiError {
    match e {
        BlobError::Offset { .. } => error(
            state,
            StatusCode::CONFLICT,
            ErrorCode::PhotoOffset,
            e.to_string(),
        ),
        BlobError::Mismatch(m) => error(
            state,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PhotoMismatch,
            m,
        ),
        BlobError::Io(io) => {
            tracing::error!(error = %io, "photo store failed");
            error(
                state,
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "the photo store failed; try again later",
            )
        }
    }
}

/// The photo as this device's stored events name it, or why not.
async fn named(state: &AppState, device: &DeviceRow, sha256: &str) -> Result<NamedPhoto, ApiError> {
    if decode_lower_hex_array::<32>(sha256, "sha256").is_err() {
        return Err(error(
            state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            "a photo is named by 64 lower-case hex characters (its SHA-256)",
        ));
    }
    state
        .store()
        .photo_named_by(&device.device_id, sha256)
        .await
        .map_err(|e| ApiError::from_server(state, e))?
        .ok_or_else(|| {
            error(
                state,
                StatusCode::NOT_FOUND,
                ErrorCode::PhotoNotNamed,
                format!(
                    "no stored event of device {} names photo {sha256}: upload the event first",
                    device.device_id
                ),
            )
        })
}

/// The answer for what is held, with a receipt once the photo is whole.
async fn answer(
    state: &AppState,
    device: &DeviceRow,
    photo: &NamedPhoto,
    held: Held,
) -> Result<PhotoUploadResponse, ApiError> {
    let server = |e: ServerError| ApiError::from_server(state, e);
    let (received, receipt) = match held {
        Held::Partial(n) => (n, None),
        Held::Complete(n) => {
            let stored_at_ms = state
                .store()
                .photo_stored(&photo.sha256, n, &device.device_id, state.now_ms())
                .await
                .map_err(server)?;
            let body = PhotoReceiptBody {
                schema: PHOTO_RECEIPT_SCHEMA.into(),
                sha256: photo.sha256.clone(),
                bytes: n,
                device_id: device.device_id.clone(),
                stored_at_ms,
            };
            let receipt =
                PhotoReceipt::sign(body, state.key()).map_err(|e| server(ServerError::Key(e)))?;
            (n, Some(receipt))
        }
    };
    Ok(PhotoUploadResponse {
        sha256: photo.sha256.clone(),
        received,
        receipt,
    })
}

/// `GET /v1/photos/{sha256}`: how much of the photo the server holds.
pub async fn photo_status(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(sha256): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, b"").await?;
    let photo = named(&state, &device, &sha256).await?;
    let held = state
        .photos()
        .held(&sha256)
        .map_err(|e| blob_error(&state, e))?;
    let answer = answer(&state, &device, &photo, held).await?;
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(answer)
}

/// `PUT /v1/photos/{sha256}?offset=N&total=T`: the next chunk of a photo.
pub async fn photo_upload(
    State(state): State<Arc<AppState>>,
    Extension(kill): Extension<ConnKill>,
    Path(sha256): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let after = pre_fault(&state, &kill, false).await?;
    let device = authenticate(&state, &headers, &method, &uri, &body).await?;
    let q: ChunkQuery = axum::extract::Query::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| {
            error(
                &state,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("expected ?offset=N&total=T: {}", e.body_text()),
            )
        })?;
    if body.len() > MAX_PHOTO_CHUNK_BYTES {
        return Err(error(
            &state,
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BatchTooLarge,
            format!("a chunk holds at most {MAX_PHOTO_CHUNK_BYTES} bytes"),
        ));
    }
    let photo = named(&state, &device, &sha256).await?;
    if q.total != photo.bytes {
        return Err(error(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::PhotoMismatch,
            format!(
                "the event names a photo of {} bytes, not {}",
                photo.bytes, q.total
            ),
        ));
    }
    let store = state.photos();
    let held = store
        .append(&sha256, q.offset, q.total, &body)
        .map_err(|e| blob_error(&state, e))?;
    let answer = answer(&state, &device, &photo, held).await?;
    if answer.receipt.is_some() && q.offset + body.len() as u64 == q.total {
        tracing::info!(device_id = %device.device_id, sha256, bytes = q.total, "photo stored");
    }
    if after == Some(Fault::LoseAnswer) {
        return hang_up(&kill).await;
    }
    ok(answer)
}

/// The window of `GET /v1/admin/photos`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PhotosQuery {
    from_ms: i64,
    to_ms: i64,
    depot: Option<String>,
}

/// `GET /v1/admin/photos?from_ms=&to_ms=[&depot=]`: the photos named by
/// events signed in the window, with whether the server holds them.
pub async fn admin_photos(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let q: PhotosQuery = axum::extract::Query::try_from_uri(&uri)
        .map(|q| q.0)
        .map_err(|e| {
            error(
                &state,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("expected ?from_ms=&to_ms=[&depot=]: {}", e.body_text()),
            )
        })?;
    let photos = state
        .store()
        .photos_between(q.depot.as_deref(), q.from_ms, q.to_ms)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(serde_json::json!({ "photos": photos }))
}

/// `GET /v1/admin/photos/{sha256}`: the photo's JPEG, as the device took it.
pub async fn admin_photo(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    Path(sha256): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let not_held = || {
        error(
            &state,
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("the server does not hold photo {sha256}"),
        )
    };
    if decode_lower_hex_array::<32>(&sha256, "sha256").is_err() {
        return Err(not_held());
    }
    match state
        .photos()
        .held(&sha256)
        .map_err(|e| blob_error(&state, e))?
    {
        Held::Complete(_) => {}
        Held::Partial(_) => return Err(not_held()),
    }
    let bytes = state
        .photos()
        .read(&sha256)
        .map_err(|e| blob_error(&state, e))?;
    Ok((
        StatusCode::OK,
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            (
                axum::http::header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
        .into_response())
}
