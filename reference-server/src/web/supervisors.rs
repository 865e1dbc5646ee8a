//! The supervisors page: a depot's supervisors (carrier IT, or a depot
//! manager within their depots), issuing and re-issuing a supervisor's badge
//! (the code path of `escrow-server create-supervisor`,
//! [`crate::admin::create_supervisor`]) and revoking it. A badge's secret is
//! shown once, on a page made to be printed, and never stored: a re-issue
//! retires the old badge. Every action is audited with the operator's name
//! (never the secret).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use courier_protocol::api::CreateSupervisorRequest;
use courier_protocol::supervisor_session::RevokeSupervisorRequest;
use minijinja::{Value, context};
use serde::Deserialize;

use super::qr_svg::qr_svg;
use super::render::{message, page};
use super::session::{FleetReaders, ROOT, WebOperator};
use crate::admin::{create_supervisor, revoke_supervisor};
use crate::error::ServerError;
use crate::operator_rows::NewAudit;
use crate::state::AppState;

/// The depot asked for, and what the page was sent back with.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    depot: String,
    #[serde(default)]
    revoked: Option<String>,
}

/// The depots an operator may act on: those the account names, else every
/// depot the fleet knows.
async fn depots_of<R>(state: &AppState, op: &WebOperator<R>) -> Result<Vec<String>, Response> {
    if !op.account.depots.is_empty() {
        return Ok(op.account.depots.clone());
    }
    let fleet = state.store().fleet().await.map_err(|e| {
        tracing::error!(error = %e, "fleet read failed");
        message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "")
    })?;
    let depots: BTreeSet<String> = fleet.into_iter().filter_map(|d| d.depot).collect();
    Ok(depots.into_iter().collect())
}

/// `GET /back-office/supervisors?depot=...`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    op: WebOperator<FleetReaders>,
    Query(q): Query<ListQuery>,
) -> Response {
    let depots = match depots_of(&state, &op).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let depot = if q.depot.is_empty() {
        depots.first().cloned().unwrap_or_default()
    } else {
        q.depot.clone()
    };
    if !depot.is_empty() && !op.account.scope().covers(Some(&depot)) {
        return message(StatusCode::NOT_FOUND, &op.frame, "not_found", &depot);
    }
    let mut rows: Vec<Value> = Vec::new();
    if !depot.is_empty() {
        match state.store().depot_supervisors(&depot).await {
            Ok(found) => {
                rows = found
                    .iter()
                    .map(|c| {
                        context! {
                            supervisor_id => c.supervisor_id,
                            name => c.name,
                            badge => c.has_badge || c.badge.is_some(),
                            pin => c.pin.is_some(),
                        }
                    })
                    .collect();
            }
            Err(e) => {
                tracing::error!(error = %e, "supervisors read failed");
                return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
            }
        }
    }
    page(
        StatusCode::OK,
        &op.frame,
        "supervisors.html",
        context! {
            depots => depots,
            depot => depot,
            supervisors => rows,
            notice => q.revoked.map(|_| "supervisor_revoked_done"),
        },
    )
}

/// The issue form: a new supervisor, or a re-issue of one (same id).
#[derive(Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    csrf: String,
    depot: String,
    supervisor_id: String,
    name: String,
}

/// The refusal page of an admin action.
fn refused<R>(op: &WebOperator<R>, e: &ServerError) -> Response {
    let status = match e {
        ServerError::NotFound(_) => StatusCode::NOT_FOUND,
        ServerError::Invalid(_) => StatusCode::BAD_REQUEST,
        _ => {
            tracing::error!(error = %e, "supervisor action failed");
            return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
        }
    };
    message(status, &op.frame, "refused", &e.to_string())
}

async fn audit(state: &AppState, operator: &str, action: &'static str, subject: String) {
    let row = NewAudit {
        at_ms: state.now_ms(),
        operator: operator.to_owned(),
        action,
        subject,
        detail: String::new(),
    };
    if let Err(e) = state.store().add_audit(&row).await {
        tracing::error!(error = %e, action, "audit of a supervisor action failed");
    }
}

/// `POST /back-office/supervisors`: issues (or re-issues) a supervisor's
/// badge and shows its secret once, to print.
pub async fn issue(
    State(state): State<Arc<AppState>>,
    op: WebOperator<FleetReaders>,
    Form(f): Form<IssueForm>,
) -> Response {
    if let Err(r) = op.check_csrf(&f.csrf) {
        return *r;
    }
    let depot = f.depot.trim().to_owned();
    if !op.account.scope().covers(Some(&depot)) {
        return message(StatusCode::NOT_FOUND, &op.frame, "not_found", &depot);
    }
    let now = state.now_ms();
    let req = CreateSupervisorRequest {
        supervisor_id: f.supervisor_id.trim().to_owned(),
        name: f.name.trim().to_owned(),
        depot: depot.clone(),
        badge: true,
        pin: None,
        attempt_limit: None,
        pin_iterations: None,
    };
    let created = match create_supervisor(state.store(), &req, now).await {
        Ok(c) => c,
        Err(e) => return refused(&op, &e),
    };
    audit(
        &state,
        &op.account.name,
        "supervisor_badge_issued",
        format!("{}/{}", created.depot, created.supervisor_id),
    )
    .await;
    let Some(badge_text) = created.badge_text else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
    };
    let title = op.frame.lang.texts().get("badge").copied().unwrap_or("QR");
    let svg = qr_svg(&badge_text, title).unwrap_or_default();
    page(
        StatusCode::OK,
        &op.frame,
        "badge.html",
        context! {
            depot => created.depot,
            supervisor_id => created.supervisor_id,
            name => req.name,
            badge_text => badge_text,
            qr_svg => Value::from_safe_string(svg),
            issued_at => op.frame.when(now),
            issued_by => op.account.name,
        },
    )
}

/// The revocation form.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    depot: String,
    supervisor_id: String,
}

/// `POST /back-office/supervisors/revoke`: revokes a supervisor's credential.
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    op: WebOperator<FleetReaders>,
    Form(f): Form<RevokeForm>,
) -> Response {
    if let Err(r) = op.check_csrf(&f.csrf) {
        return *r;
    }
    if !op.account.scope().covers(Some(&f.depot)) {
        return message(StatusCode::NOT_FOUND, &op.frame, "not_found", &f.depot);
    }
    let req = RevokeSupervisorRequest {
        depot: f.depot.clone(),
        supervisor_id: f.supervisor_id.clone(),
    };
    if let Err(e) = revoke_supervisor(state.store(), &req, state.now_ms()).await {
        return refused(&op, &e);
    }
    audit(
        &state,
        &op.account.name,
        "supervisor_revoked",
        format!("{}/{}", f.depot, f.supervisor_id),
    )
    .await;
    Redirect::to(&format!(
        "{ROOT}/supervisors?depot={}&revoked=1",
        urlencode(&f.depot)
    ))
    .into_response()
}

/// A query value, percent-encoded.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
