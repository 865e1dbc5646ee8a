//! Depot pages: a depot's day, per device, as the devices' own report
//! computes it (`courier_protocol::rules::day_report`), with the flags of
//! its day closes and the events not honoured to review; the day sheet to
//! print (an HTML view of the same report); and the day's
//! accounting extraction as CSV, for the operator's depots. The day is the
//! server's local day ([`crate::display_zone::DisplayZone`]).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use courier_protocol::api::DayCloseFlag;
use courier_protocol::day_window::DayWindow;
use courier_protocol::rules::day_report::{DayInput, day_report};
use minijinja::{Value, context};
use serde::Deserialize;

use super::render::{message, page};
use super::session::WebOperator;
use super::sign_in::AnyRole;
use crate::back_office::extraction_csv;
use crate::error::ServerError;
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
        Some(d) => state.time_zone().day(d).map_err(|e| e.to_string()),
        None => Ok(state.time_zone().day_containing(state.now_ms())),
    }
}

/// What the depot page and its day sheet show: the depots the operator
/// covers, the one chosen, the day, and per device its report, the flags
/// of its day close and the events not honoured.
struct DepotDay {
    depots: BTreeSet<String>,
    depot: Option<String>,
    day: DayWindow,
    devices: Vec<Value>,
    not_honoured: Vec<Value>,
}

/// The kinds of difference of a day-close flag, in words of the table's keys.
fn differences(flag: &DayCloseFlag) -> Vec<String> {
    flag.differences
        .iter()
        .map(|d| {
            serde_json::to_value(d)
                .ok()
                .and_then(|v| v.get("difference")?.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect()
}

async fn depot_day<R>(
    state: &AppState,
    op: &WebOperator<R>,
    q: DayQuery,
) -> Result<DepotDay, Response> {
    let scope = op.account.scope();
    let server_error = |e: ServerError| {
        tracing::error!(error = %e, "depot day read failed");
        message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "")
    };
    let depots: BTreeSet<String> = state
        .store()
        .fleet()
        .await
        .map_err(server_error)?
        .into_iter()
        .filter_map(|d| d.depot)
        .filter(|d| scope.covers(Some(d)))
        .collect();
    let day = day_of(state, q.date.as_deref())
        .map_err(|e| message(StatusCode::BAD_REQUEST, &op.frame, "refused", &e))?;
    let depot = q.depot.filter(|d| !d.is_empty());
    if let Some(d) = &depot
        && !scope.covers(Some(d))
    {
        return Err(message(StatusCode::NOT_FOUND, &op.frame, "not_found", d));
    }
    let mut devices: Vec<Value> = Vec::new();
    let mut not_honoured: Vec<Value> = Vec::new();
    if let Some(d) = &depot {
        let sources = state
            .store()
            .report_sources(None, Some(d))
            .await
            .map_err(server_error)?;
        let flags = state
            .store()
            .day_close_flags()
            .await
            .map_err(server_error)?;
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
                        route_order => row.route_order,
                        outcome => row.outcome.map(|o| o.as_str()),
                        reason => row.reason.map(Value::from_serialize),
                        withdrawn => row.withdrawn,
                        code_tries => row.code_tries,
                        time => row.outcome_ms.map(|ms| day.format_clock(ms)),
                    }
                })
                .collect();
            let close_flags: Vec<Value> = r
                .day_closed
                .as_ref()
                .map(|c| {
                    flags
                        .iter()
                        .filter(|f| f.device_id == r.device_id && f.event_id == c.event_id)
                        .map(|f| context! { differences => differences(f), at => op.frame.when(f.flagged_at_ms) })
                        .collect()
                })
                .unwrap_or_default();
            let t = &r.totals;
            devices.push(context! {
                device_id => r.device_id,
                courier => r.courier,
                supervisor => r.supervisor,
                manifest_version => r.manifest_version,
                parcels => t.parcels,
                delivered => t.delivered,
                failed => t.failed.values().sum::<u32>(),
                missing => t.missing,
                unexpected => t.unexpected,
                expected_back => t.expected_back,
                returned_in => t.returned_in,
                closed => r.day_closed.is_some(),
                close => r.day_closed.as_ref().map(|c| context! {
                    at => op.frame.when(c.at_ms),
                    hash => c.hash,
                    forced => c.forced,
                    reason => c.reason,
                    matches_log => c.matches_log,
                    supervisor_id => c.supervisor_id,
                }),
                flags => close_flags,
                rows => rows,
            });
        }
        not_honoured = state
            .store()
            .not_honoured_between(d, day.start_ms(), day.end_ms())
            .await
            .map_err(server_error)?
            .into_iter()
            .map(|n| {
                context! {
                    device_id => n.device_id,
                    seq => n.seq,
                    order_ref => n.order_ref,
                    time => op.frame.when(n.signed_at_ms),
                    reason => n.reason,
                }
            })
            .collect();
    }
    Ok(DepotDay {
        depots,
        depot,
        day,
        devices,
        not_honoured,
    })
}

fn depot_page<R>(op: &WebOperator<R>, template: &str, d: DepotDay) -> Response {
    page(
        StatusCode::OK,
        &op.frame,
        template,
        context! {
            depots => d.depots,
            depot => d.depot,
            date => d.day.date,
            offset => d.day.offset_text(),
            devices => d.devices,
            not_honoured => d.not_honoured,
        },
    )
}

/// `GET /back-office/depots?depot=...&date=YYYY-MM-DD`.
pub async fn day(
    State(state): State<Arc<AppState>>,
    op: WebOperator<AnyRole>,
    Query(q): Query<DayQuery>,
) -> Response {
    match depot_day(&state, &op, q).await {
        Ok(d) => depot_page(&op, "depots.html", d),
        Err(r) => r,
    }
}

/// `GET /back-office/depots/day-sheet?depot=...&date=YYYY-MM-DD`: the day
/// sheet to print, from the same `day_report` as the terminal's PDF.
pub async fn sheet(
    State(state): State<Arc<AppState>>,
    op: WebOperator<AnyRole>,
    Query(q): Query<DayQuery>,
) -> Response {
    match depot_day(&state, &op, q).await {
        Ok(d) => depot_page(&op, "day_sheet.html", d),
        Err(r) => r,
    }
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
