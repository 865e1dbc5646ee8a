//! HTTP routes: the device API (`device`), the loopback admin API
//! (`admin`, admitted by `access`), the back-office API of named operators
//! (`back_office`, admitted by `operator_auth`) and the fault switches (`faults`);
//! every answer, errors included, is shaped by `answer`.

mod access;
mod admin;
mod answer;
mod back_office;
mod device;
mod event_log;
mod faults;
pub(crate) mod operator_auth;
mod photos;
mod supervisor_sessions;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use self::access::PeerAddr;
pub use self::answer::{ApiError, MAX_BODY_BYTES};
pub use self::faults::ConnKill;
use crate::state::AppState;
use courier_protocol::bounds::MAX_ENROLL_BODY_BYTES;

/// The full router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        // A small body limit of its own: a large body is refused before it is
        // parsed, so it never reaches the token check.
        .route(
            "/v1/enroll",
            post(device::enroll).layer(DefaultBodyLimit::max(MAX_ENROLL_BODY_BYTES)),
        )
        .route("/v1/manifest", get(device::manifest))
        .route("/v1/desk-handovers/{event_id}", get(device::desk_handover))
        .route("/v1/events", post(device::events))
        .route("/v1/code-checks", post(device::code_check))
        .route("/v1/checkpoint", get(device::checkpoint))
        .route("/v1/log/checkpoint", get(event_log::checkpoint))
        .route("/v1/log/consistency", get(event_log::consistency))
        .route(
            "/v1/photos/{sha256}",
            get(photos::photo_status).put(photos::photo_upload),
        )
        .route("/v1/admin/photos", get(photos::admin_photos))
        .route("/v1/admin/photos/{sha256}", get(photos::admin_photo))
        .route(
            "/v1/supervisor-sessions",
            post(supervisor_sessions::supervisor_sign_in),
        )
        .route(
            "/v1/admin/supervisors/revoke",
            post(admin::admin_revoke_supervisor),
        )
        .route("/v1/admin/depots", post(admin::admin_depot))
        .route("/v1/admin/orders", post(admin::admin_order))
        .route("/v1/admin/enrollment-tokens", post(admin::admin_token))
        .route("/v1/admin/manifests", post(admin::admin_manifest))
        .route("/v1/admin/supervisors", post(admin::admin_supervisor))
        .route(
            "/v1/admin/day-close-flags",
            get(admin::admin_day_close_flags),
        )
        .route(
            "/v1/admin/faults",
            post(faults::admin_faults).get(faults::admin_faults_get),
        )
        .route(
            "/v1/admin/devices/{device_id}/events",
            get(admin::admin_device_events),
        )
        .route(
            "/v1/admin/devices/{device_id}/revoke",
            post(admin::admin_revoke_device),
        )
        .route("/v1/admin/alerts", get(admin::admin_alerts))
        .route("/v1/admin/operators", post(admin::admin_create_operator))
        .route("/v1/admin/audit", get(admin::admin_audit))
        .route("/v1/operator-sessions", post(back_office::sign_in))
        .route(
            "/v1/claims",
            post(back_office::file_claim).get(back_office::list_claims),
        )
        .route("/v1/claims/{claim_id}", get(back_office::get_claim))
        .route(
            "/v1/claims/{claim_id}/decisions",
            post(back_office::decide_claim),
        )
        .route(
            "/v1/orders/{order_ref}/cancel",
            post(back_office::cancel_order),
        )
        .route("/v1/extraction", get(back_office::extraction))
        .route(
            "/v1/orders/{order_ref}/dispute-pack",
            get(back_office::dispute_pack),
        )
        .route("/v1/admin/reports/day", get(admin::admin_day_report))
        .route(
            "/v1/admin/devices/{device_id}/checkpoint",
            get(admin::admin_device_checkpoint),
        )
        .fallback(answer::not_found)
        .method_not_allowed_fallback(answer::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            answer::json_error_bodies,
        ))
        .with_state(state)
}
