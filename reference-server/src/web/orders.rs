//! The orders page: an order's timeline in words, found by its reference,
//! from the events of the devices the operator's depots cover, and the
//! order's dispute pack to download (the same roles as the API's).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minijinja::{Value, context};
use serde::Deserialize;

use super::fleet::when;
use super::render::{message, page};
use super::session::WebOperator;
use crate::dispute_pack;
use crate::error::{NotFound, ServerError};
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

/// `GET /back-office/orders/{order_ref}/dispute-pack`: the order's dispute
/// pack (docs/protocol.md, "Dispute pack"), times in the server's zone (UTC).
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
        0,
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
