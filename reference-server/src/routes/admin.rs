//! The admin API (`/v1/admin/...`): operator actions and back-office reads,
//! answered with the admin token only (`access`); the fault switches
//! never apply to it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use courier_protocol::api::{
    CreateOrderRequest, CreateSupervisorRequest, DayCloseFlagsResponse, DeviceEventsResponse,
    ErrorCode, IssueManifestRequest, RevokeDeviceRequest,
};
use courier_protocol::back_office::{AuditResponse, CreateOperatorRequest};
use courier_protocol::supervisor_session::{DepotSettingsRequest, RevokeSupervisorRequest};
use serde::{Deserialize, Serialize};

use super::access::{PeerAddr, require_admin};
use super::answer::{ApiError, ApiResult, ok, parse, query_of};
use super::device::signed_checkpoint;
use crate::admin;
use crate::error::{Invalid, NotFound};
use crate::records::Alert;
use crate::state::AppState;

/// `POST /v1/admin/orders`: creates an order and its codes.
pub async fn admin_order(
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

/// `POST /v1/admin/enrollment-tokens`: issues a one-time enrollment token.
pub async fn admin_token(
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

/// `POST /v1/admin/manifests`: signs and stores a device's next manifest.
pub async fn admin_manifest(
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

/// `POST /v1/admin/supervisors/revoke`: revokes a depot supervisor.
pub async fn admin_revoke_supervisor(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let req: RevokeSupervisorRequest = parse(&state, &body)?;
    admin::revoke_supervisor(state.store(), &req, state.now_ms())
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(serde_json::json!({ "revoked": true }))
}

/// `POST /v1/admin/depots`: a depot's settings (the offline badge).
pub async fn admin_depot(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let req: DepotSettingsRequest = parse(&state, &body)?;
    admin::set_depot_settings(state.store(), &req)
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(req)
}

/// `POST /v1/admin/devices/{device_id}/revoke`: revokes a device.
pub async fn admin_revoke_device(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let req: RevokeDeviceRequest = parse(&state, &body)?;
    let answer = admin::revoke_device(state.store(), &device_id, &req, state.now_ms())
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(answer)
}

/// `POST /v1/admin/supervisors`: creates or re-issues a depot supervisor.
pub async fn admin_supervisor(
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

/// `GET /v1/admin/day-close-flags`: day closes at odds with the events held.
pub async fn admin_day_close_flags(
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

/// `GET /v1/admin/devices/{device_id}/events`: a device's stored events.
pub async fn admin_device_events(
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
        .ok_or_else(|| ApiError::from_server(&state, NotFound::Device(device_id.clone()).into()))?;
    let events = db.device_events(&device_id).await.map_err(server)?;
    ok(DeviceEventsResponse {
        device_id,
        device_public_key: device.public_key,
        events,
    })
}

/// `GET /v1/admin/devices/{device_id}/checkpoint`: the server's checkpoint of a device.
pub async fn admin_device_checkpoint(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    Path(device_id): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    ok(signed_checkpoint(&state, &device_id).await?)
}

/// Query of `GET /v1/admin/alerts` and `GET /v1/admin/audit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertsQuery {
    /// Only alerts with a larger id (paging); 0 from the start.
    #[serde(default)]
    after_id: i64,
    /// At most this many (1 to 1000, default 100).
    limit: Option<u32>,
}

/// Answer of `GET /v1/admin/alerts`.
#[derive(Serialize)]
struct AlertsResponse {
    alerts: Vec<Alert>,
}

/// `GET /v1/admin/alerts`: forks and re-used event ids, oldest first.
pub async fn admin_alerts(
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
pub async fn admin_day_report(
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
    let q: DayReportQuery = query_of(uri.query().unwrap_or(""))
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
            NotFound::Device(device.clone()).into(),
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
            .map_err(|e| ApiError::from_server(&state, Invalid::Encoding(e.into()).into()))?;
        return Ok((
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            bytes,
        )
            .into_response());
    }
    ok(answer)
}

/// `POST /v1/admin/operators`: creates a named operator account (the
/// bootstrap: the admin token creates the first one); answers its initial
/// password once.
pub async fn admin_create_operator(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let req: CreateOperatorRequest = parse(&state, &body)?;
    let created = crate::back_office::create_operator(
        state.store(),
        state.password_cost(),
        &req,
        crate::back_office::ADMIN_TOKEN_ACTOR,
        state.now_ms(),
    )
    .await
    .map_err(|e| ApiError::from_server(&state, e))?;
    ok(created)
}

/// `GET /v1/admin/audit`: the audit log, oldest first (`?after_id=N&limit=N`).
pub async fn admin_audit(
    State(state): State<Arc<AppState>>,
    Extension(peer): Extension<PeerAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult {
    require_admin(&state, &headers, peer)?;
    let q: AlertsQuery = query_of(uri.query().unwrap_or("")).map_err(|e| {
        ApiError::new(
            &state,
            StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest,
            format!("bad query: {e}; use ?after_id=N&limit=N"),
        )
    })?;
    let entries = state
        .store()
        .audit_log(q.after_id, q.limit.unwrap_or(100).clamp(1, 1000))
        .await
        .map_err(|e| ApiError::from_server(&state, e))?;
    ok(AuditResponse { entries })
}
