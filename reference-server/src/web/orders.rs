//! The orders page: orders found by reference, label, buyer's phone or day
//! (the events signed that local day), from the devices the operator's
//! depots cover; an order's timeline in words, with a small map of the
//! positions its events signed (accuracy circles, the address's point);
//! the order's dispute pack to download (the same roles as the API's).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use courier_protocol::envelope::SignedEvent;
use minijinja::{Value, context};
use serde::Deserialize;

use super::order_map::{MapPoint, accuracy_m, order_map_svg};
use super::render::{message, page};
use super::session::WebOperator;
use crate::dispute_pack;
use crate::error::{NotFound, ServerError};
use crate::records::{OrderHit, OrderSearch};
use crate::routes::operator_auth::ClaimReaders;
use crate::state::AppState;

/// Most orders a search lists.
const MAX_HITS: u32 = 200;

/// The search (a text, a day) and the order chosen.
#[derive(Deserialize, Default)]
pub struct OrderQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    order: String,
}

/// The last four digits of a phone, the rest hidden.
fn masked_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let shown: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("…{shown}")
}

fn hit_value(h: &OrderHit, when: impl Fn(i64) -> String) -> Value {
    context! {
        order_ref => h.order_ref,
        label => h.label,
        phone => masked_phone(&h.spec.recipient.phone),
        city => h.spec.address.city,
        depot => h.depot,
        last_event => h.last_event_ms.map(when),
    }
}

/// The map's points: each event's fresh fix, or its last fix.
fn map_points(events: &[SignedEvent]) -> Vec<MapPoint> {
    events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let fix = e
                .body
                .position
                .fix
                .as_ref()
                .or(e.body.position.last_fix.as_ref())?;
            Some(MapPoint {
                lat_e7: fix.lat_e7,
                lon_e7: fix.lon_e7,
                accuracy_m: accuracy_m(fix.hdop_centi),
                label: (i + 1).to_string(),
            })
        })
        .collect()
}

/// `GET /back-office/orders?q=TEXT&date=YYYY-MM-DD&order=ORDER_REF`.
pub async fn timeline(
    State(state): State<Arc<AppState>>,
    op: WebOperator<ClaimReaders>,
    Query(query): Query<OrderQuery>,
) -> Response {
    let text = query.q.trim().to_owned();
    let date = query.date.trim().to_owned();
    let scope = op.account.scope();
    let signed_between = if date.is_empty() {
        None
    } else {
        match state.time_zone().day(&date) {
            Ok(day) => Some((day.start_ms(), day.end_ms())),
            Err(e) => {
                return message(
                    StatusCode::BAD_REQUEST,
                    &op.frame,
                    "refused",
                    &e.to_string(),
                );
            }
        }
    };
    let search = OrderSearch {
        text: (!text.is_empty()).then(|| text.clone()),
        signed_between,
        limit: MAX_HITS,
    };
    let hits: Vec<OrderHit> = match state.store().search_orders(&search).await {
        Ok(h) => h
            .into_iter()
            .filter(|h| scope.covers(h.depot.as_deref()))
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "order search failed");
            return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
        }
    };
    // The order shown: the one chosen, the only one found, or the text
    // itself as a reference (events may name an order the server never issued).
    let order_ref = if !query.order.trim().is_empty() {
        query.order.trim().to_owned()
    } else if hits.len() == 1 {
        hits[0].order_ref.clone()
    } else if hits.is_empty() && date.is_empty() {
        text.clone()
    } else {
        String::new()
    };
    let mut events: Vec<Value> = Vec::new();
    let mut map: Option<String> = None;
    if !order_ref.is_empty() {
        let (fleet, found) = match (
            state.store().fleet().await,
            state.store().events_of_order(&order_ref).await,
        ) {
            (Ok(f), Ok(e)) => (f, e),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "order timeline read failed");
                return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
            }
        };
        let visible: BTreeSet<String> = fleet
            .into_iter()
            .filter(|d| scope.covers(d.depot.as_deref()))
            .map(|d| d.device_id)
            .collect();
        let mut found: Vec<_> = found
            .into_iter()
            .filter(|e| visible.contains(&e.body.device_id))
            .collect();
        found.sort_by_key(|e| e.body.signed_time_ms());
        events = found
            .iter()
            .enumerate()
            .map(|(i, e)| {
                context! {
                    n => i + 1,
                    time => op.frame.when(e.body.signed_time_ms()),
                    device_id => e.body.device_id,
                    kind => Value::from_serialize(e.body.kind),
                    outcome => e.body.outcome.map(|o| o.as_str()),
                    parcel => e.body.parcel_id,
                }
            })
            .collect();
        if !found.is_empty() {
            // The order's address: from the hits, else found by its reference.
            let mut spec = hits
                .iter()
                .find(|h| h.order_ref == order_ref)
                .map(|h| h.spec.clone());
            if spec.is_none() {
                let by_ref = OrderSearch {
                    text: Some(order_ref.clone()),
                    signed_between: None,
                    limit: 1,
                };
                match state.store().search_orders(&by_ref).await {
                    Ok(h) => spec = h.into_iter().next().map(|h| h.spec),
                    Err(e) => tracing::warn!(error = %e, "the order's address was not read"),
                }
            }
            let destination = spec.and_then(|s| Some((s.address.lat_e7?, s.address.lon_e7?)));
            let title = op.frame.lang.texts().get("map").copied().unwrap_or("Map");
            map = order_map_svg(&map_points(&found), destination, title);
        }
    }
    let listed: Vec<Value> = hits
        .iter()
        .map(|h| hit_value(h, |ms| op.frame.when(ms)))
        .collect();
    page(
        StatusCode::OK,
        &op.frame,
        "orders.html",
        context! {
            q => text,
            date => date,
            order => order_ref,
            hits => listed,
            events => events,
            map => map.map(Value::from_safe_string),
        },
    )
}

/// `GET /back-office/orders/{order_ref}/dispute-pack`: the order's dispute
/// pack (docs/protocol.md, "Dispute pack"), times in the back office's zone.
pub async fn pack(
    State(state): State<Arc<AppState>>,
    op: WebOperator<ClaimReaders>,
    Path(order_ref): Path<String>,
) -> Response {
    match dispute_pack::build_for(
        state.store(),
        state.photos(),
        state.key(),
        &op.account.name,
        &order_ref,
        &op.account.scope(),
        state.time_zone().offset_min_at(state.now_ms()),
        state.now_ms(),
    )
    .await
    {
        Ok(pack) => pack.into_response(),
        Err(ServerError::NotFound(NotFound::OrderRef(r))) => {
            message(StatusCode::NOT_FOUND, &op.frame, "not_found", &r)
        }
        Err(e) => {
            tracing::error!(error = %e, %order_ref, "dispute pack failed");
            message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "")
        }
    }
}
