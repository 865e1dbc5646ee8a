//! Depot pages: a depot's day, per device, as the devices' own report
//! computes it (`courier_protocol::rules::day_report`), and the day's
//! accounting extraction as CSV, for the operator's depots.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use courier_protocol::day_window::DayWindow;
use courier_protocol::rules::day_report::{DayInput, day_report};
use minijinja::{Value, context};
use serde::Deserialize;

use super::render::{message, page};
use super::session::WebOperator;
use super::sign_in::AnyRole;
use crate::back_office::extraction_csv;
use crate::routes::operator_auth::ClaimReaders;
use crate::state::AppState;

/// The depot and day asked for.
#[derive(Deserialize, Default)]
pub struct DayQuery {
    #[serde(default)]
    depot: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

fn day_of(state: &AppState, date: Option<&str>) -> Result<DayWindow, String> {
    match date.filter(|d| !d.is_empty()) {
        Some(d) => DayWindow::parse(d, "+00:00").map_err(|e| e.to_string()),
        None => Ok(DayWindow::containing(state.now_ms(), 0)),
    }
}

/// `GET /back-office/depots?depot=...&date=YYYY-MM-DD`.
pub async fn day(
    State(state): State<Arc<AppState>>,
    op: WebOperator<AnyRole>,
    Query(q): Query<DayQuery>,
) -> Response {
    let scope = op.account.scope();
    let depots: BTreeSet<String> = match state.store().fleet().await {
        Ok(f) => f
            .into_iter()
            .filter_map(|d| d.depot)
            .filter(|d| scope.covers(Some(d)))
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "fleet read failed");
            return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
        }
    };
    let day = match day_of(&state, q.date.as_deref()) {
        Ok(d) => d,
        Err(e) => return message(StatusCode::BAD_REQUEST, &op.frame, "refused", &e),
    };
    let depot = q.depot.filter(|d| !d.is_empty());
    if let Some(d) = &depot
        && !scope.covers(Some(d))
    {
        return message(StatusCode::NOT_FOUND, &op.frame, "not_found", d);
    }
    let mut devices: Vec<Value> = Vec::new();
    if let Some(d) = &depot {
        let sources = match state.store().report_sources(None, Some(d)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "report sources read failed");
                return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
            }
        };
        for s in &sources {
            let r = day_report(DayInput {
                device_id: &s.device_id,
                day: &day,
                manifests: &s.manifests,
                events: &s.events,
            });
            let rows: Vec<Value> = r
                .rows
                .iter()
                .map(|row| {
                    context! {
                        label => row.label,
                        order_ref => row.order_ref,
                        outcome => row.outcome.map(|o| o.as_str()),
                        withdrawn => row.withdrawn,
                    }
                })
                .collect();
            let t = &r.totals;
            devices.push(context! {
                device_id => r.device_id,
                parcels => t.parcels,
                delivered => t.delivered,
                failed => t.failed.values().sum::<u32>(),
                missing => t.missing,
                unexpected => t.unexpected,
                closed => r.day_closed.is_some(),
                rows => rows,
            });
        }
    }
    page(
        StatusCode::OK,
        &op.frame,
        "depots.html",
        context! {
            depots => depots,
            depot => depot,
            date => day.date,
            devices => devices,
        },
    )
}

/// `GET /back-office/depots/extraction.csv?date=YYYY-MM-DD`: the day's
/// accounting extraction, rows of the operator's depots.
pub async fn csv(
    State(state): State<Arc<AppState>>,
    op: WebOperator<ClaimReaders>,
    Query(q): Query<DayQuery>,
) -> Response {
    let day = match day_of(&state, q.date.as_deref()) {
        Ok(d) => d,
        Err(e) => return message(StatusCode::BAD_REQUEST, &op.frame, "refused", &e),
    };
    let scope = op.account.scope();
    match extraction_csv(state.store(), &day, |d| scope.covers(d)).await {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"extraction-{}.csv\"", day.date),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "extraction failed");
            message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "")
        }
    }
}
