//! Fleet pages: every device of the operator's depots with its depot,
//! platform, app version, last sync, events waiting and the event log's
//! checkpoint it keeps (as it last reported them), last event and alerts,
//! searchable and filtered by depot, status and alerts; a device's page with its recent
//! events, enrollment and key fingerprint; revocation with a reason,
//! confirmed twice (the reason, then the device id typed again).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courier_protocol::api::RevokeDeviceRequest;
use courier_protocol::keys::sha256;
use courier_protocol::rules::operator_role::OperatorRole;
use minijinja::{Value, context};
use serde::Deserialize;

use super::render::{Frame, message, page};
use super::session::{FleetKeepers, FleetReaders, ROOT, WebOperator};
use crate::admin::revoke_device;
use crate::operator_rows::NewAudit;
use crate::records::FleetRow;
use crate::state::AppState;

/// Recent events a device's page lists.
const RECENT_EVENTS: usize = 50;

/// The search and filters of the fleet page.
#[derive(Deserialize, Default)]
pub struct FleetQuery {
    #[serde(default)]
    q: String,
    /// One depot (empty: all of the operator's).
    #[serde(default)]
    depot: String,
    /// `active` or `revoked` (empty: both).
    #[serde(default)]
    status: String,
    /// `with` or `without` alerts (empty: both).
    #[serde(default)]
    alerts: String,
}

impl FleetQuery {
    /// Whether a device with `alerts` alerts passes the filters and the search.
    fn admits(&self, d: &FleetRow, alerts: usize) -> bool {
        let needle = self.q.trim().to_lowercase();
        let text = needle.is_empty()
            || d.device_id.to_lowercase().contains(&needle)
            || d.hardware_label.to_lowercase().contains(&needle)
            || d.depot
                .as_deref()
                .is_some_and(|x| x.to_lowercase().contains(&needle))
            || d.reported
                .app_version
                .as_deref()
                .is_some_and(|v| v.to_lowercase().contains(&needle));
        let depot = self.depot.is_empty() || d.depot.as_deref() == Some(self.depot.as_str());
        let status = match self.status.as_str() {
            "active" => d.revoked.is_none(),
            "revoked" => d.revoked.is_some(),
            _ => true,
        };
        let alerted = match self.alerts.as_str() {
            "with" => alerts > 0,
            "without" => alerts == 0,
            _ => true,
        };
        text && depot && status && alerted
    }
}

fn row_value(d: &FleetRow, alerts: usize, frame: &Frame) -> Value {
    let when = |ms| frame.when(ms);
    context! {
        device_id => d.device_id,
        hardware_label => d.hardware_label,
        depot => d.depot,
        last_sync => d.last_sync_ms.map(when),
        last_seq => d.last_seq,
        enrolled_at => when(d.enrolled_at_ms),
        revoked => d.revoked.as_ref().map(|r| context! { at => when(r.at_ms), reason => r.reason }),
        alerts => alerts,
        profile => d.reported.profile,
        app_version => d.reported.app_version,
        events_waiting => d.reported.events_waiting,
        log_size => d.reported.log_size,
        reported_at => d.reported.at_ms.map(when),
    }
}

/// The devices the operator's depots cover (a device not yet sent to a
/// depot is carrier IT's with every depot only).
async fn visible_fleet<R>(
    state: &AppState,
    op: &WebOperator<R>,
) -> Result<Vec<FleetRow>, Response> {
    let scope = op.account.scope();
    let all = state.store().fleet().await.map_err(|e| {
        tracing::error!(error = %e, "fleet read failed");
        message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "")
    })?;
    Ok(all
        .into_iter()
        .filter(|d| scope.covers(d.depot.as_deref()))
        .collect())
}

async fn alert_counts(state: &AppState) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    match state.store().alerts(0, 1000).await {
        Ok(alerts) => {
            for a in alerts {
                *counts.entry(a.device_id).or_insert(0) += 1;
            }
        }
        Err(e) => tracing::error!(error = %e, "alerts read failed"),
    }
    counts
}

/// `GET /back-office/fleet?q=...`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    op: WebOperator<FleetReaders>,
    Query(query): Query<FleetQuery>,
) -> Response {
    let fleet = match visible_fleet(&state, &op).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let alerts = alert_counts(&state).await;
    let depots: BTreeSet<&str> = fleet.iter().filter_map(|d| d.depot.as_deref()).collect();
    let rows: Vec<Value> = fleet
        .iter()
        .filter_map(|d| {
            let n = alerts.get(&d.device_id).copied().unwrap_or(0);
            query.admits(d, n).then(|| row_value(d, n, &op.frame))
        })
        .collect();
    let may_enroll = op.account.has(OperatorRole::CarrierIt);
    page(
        StatusCode::OK,
        &op.frame,
        "fleet.html",
        context! {
            q => query.q,
            depot => query.depot,
            status => query.status,
            alerts => query.alerts,
            depots => depots,
            devices => rows,
            may_enroll => may_enroll,
        },
    )
}

/// A key's fingerprint: the first 16 bytes of its SHA-256, in groups of four hex digits.
fn fingerprint(key_hex: &str) -> String {
    let digest = hex::encode(&sha256(key_hex.as_bytes())[..16]);
    digest
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn device_page<R>(
    state: &AppState,
    op: &WebOperator<R>,
    device_id: &str,
    notice: Option<&str>,
) -> Response {
    let fleet = match visible_fleet(state, op).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(d) = fleet.iter().find(|d| d.device_id == device_id) else {
        return message(StatusCode::NOT_FOUND, &op.frame, "not_found", device_id);
    };
    let events = match state.store().device_events(device_id).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "device events read failed");
            return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
        }
    };
    let recent: Vec<Value> = events
        .iter()
        .rev()
        .take(RECENT_EVENTS)
        .map(|e| {
            context! {
                seq => e.body.seq,
                kind => Value::from_serialize(e.body.kind),
                parcel => e.body.parcel_id,
                order_ref => e.body.order_ref,
                time => op.frame.when(e.body.signed_time_ms()),
            }
        })
        .collect();
    let alerts: Vec<Value> = match state.store().alerts(0, 1000).await {
        Ok(a) => a
            .into_iter()
            .filter(|a| a.device_id == device_id)
            .map(|a| context! { kind => a.kind, detail => a.detail, at => op.frame.when(a.at_ms) })
            .collect(),
        Err(_) => Vec::new(),
    };
    let may_revoke = op.account.has(OperatorRole::CarrierIt);
    page(
        StatusCode::OK,
        &op.frame,
        "device.html",
        context! {
            device => row_value(d, alerts.len(), &op.frame),
            fingerprint => fingerprint(&d.public_key_hex),
            public_key => d.public_key_hex,
            events => recent,
            alerts => alerts,
            may_revoke => may_revoke,
            notice => notice,
        },
    )
}

/// What a page was sent back with after an action.
#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    revoked: Option<String>,
}

/// `GET /back-office/fleet/{device_id}`.
pub async fn device(
    State(state): State<Arc<AppState>>,
    op: WebOperator<FleetReaders>,
    Path(device_id): Path<String>,
    Query(done): Query<Done>,
) -> Response {
    let notice = done.revoked.map(|_| "revoked_done");
    device_page(&state, &op, &device_id, notice).await
}

/// The revocation form: the first step sends the reason, the second the
/// device id typed again.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    reason: String,
    #[serde(default)]
    confirm_id: Option<String>,
}

/// `POST /back-office/fleet/{device_id}/revoke`: without `confirm_id`, the
/// confirmation page; with it, the revocation when it matches.
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    op: WebOperator<FleetKeepers>,
    Path(device_id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Response {
    if let Err(r) = op.check_csrf(&f.csrf) {
        return *r;
    }
    let fleet = match visible_fleet(&state, &op).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if !fleet.iter().any(|d| d.device_id == device_id) {
        return message(StatusCode::NOT_FOUND, &op.frame, "not_found", &device_id);
    }
    let Some(confirm_id) = f.confirm_id else {
        return page(
            StatusCode::OK,
            &op.frame,
            "revoke_confirm.html",
            context! { device_id => device_id, reason => f.reason, mismatch => false },
        );
    };
    if confirm_id.trim() != device_id {
        return page(
            StatusCode::BAD_REQUEST,
            &op.frame,
            "revoke_confirm.html",
            context! { device_id => device_id, reason => f.reason, mismatch => true },
        );
    }
    let now = state.now_ms();
    let req = RevokeDeviceRequest {
        reason: f.reason.clone(),
        at_ms: None,
    };
    match revoke_device(state.store(), &device_id, &req, now).await {
        Ok(done) => {
            let audit = NewAudit {
                at_ms: now,
                operator: op.account.name.clone(),
                action: "device_revoked",
                subject: device_id.clone(),
                detail: done.reason,
            };
            if let Err(e) = state.store().add_audit(&audit).await {
                tracing::error!(error = %e, "audit of a revocation failed");
            }
            Redirect::to(&format!("{ROOT}/fleet/{device_id}?revoked=1")).into_response()
        }
        Err(e) => message(
            StatusCode::BAD_REQUEST,
            &op.frame,
            "refused",
            &e.to_string(),
        ),
    }
}
