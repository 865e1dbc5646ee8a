//! The orders page: an order's timeline in words, found by its reference,
//! from the events of the devices the operator's depots cover.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use serde::Deserialize;

use super::fleet::when;
use super::render::{message, page};
use super::session::WebOperator;
use crate::routes::operator_auth::ClaimReaders;
use crate::state::AppState;

/// The order asked for.
#[derive(Deserialize, Default)]
pub struct OrderQuery {
    #[serde(default)]
    q: String,
}

/// `GET /back-office/orders?q=ORDER_REF`.
pub async fn timeline(
    State(state): State<Arc<AppState>>,
    op: WebOperator<ClaimReaders>,
    Query(query): Query<OrderQuery>,
) -> Response {
    let order_ref = query.q.trim().to_owned();
    let mut events: Vec<Value> = Vec::new();
    if !order_ref.is_empty() {
        let scope = op.account.scope();
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
            .map(|e| {
                context! {
                    time => when(e.body.signed_time_ms()),
                    device_id => e.body.device_id,
                    kind => Value::from_serialize(e.body.kind),
                    outcome => e.body.outcome.map(|o| o.as_str()),
                    parcel => e.body.parcel_id,
                }
            })
            .collect();
    }
    page(
        StatusCode::OK,
        &op.frame,
        "orders.html",
        context! { q => order_ref, events => events },
    )
}
