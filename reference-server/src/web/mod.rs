//! The back office in a browser (issue 28): pages rendered on the server
//! from the templates of `reference-server/templates/`, in French, Arabic
//! (right to left) and English, for named operators signed in with a
//! session cookie; every form carries the session's CSRF token and every
//! action reaches the audit log with who did it. One file per page:
//! `sign_in`, `fleet`, `depots`, `orders`, `claims`; `session` admits the operator,
//! `render` draws the frame, `i18n` holds the words.

mod claims;
mod depots;
mod fleet;
mod i18n;
mod orders;
mod render;
mod session;
mod sign_in;

use std::sync::Arc;

use axum::Router;
use axum::response::Redirect;
use axum::routing::{get, post};

pub use i18n::{Lang, TEXTS};
pub use session::{LANG_COOKIE, ROOT, SESSION_COOKIE};

use crate::state::AppState;

/// The back office's routes, under [`ROOT`].
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/back-office",
            get(|| async { Redirect::to("/back-office/") }),
        )
        .route("/back-office/", get(sign_in::home))
        .route("/back-office/style.css", get(render::style))
        .route(
            "/back-office/sign-in",
            get(sign_in::form).post(sign_in::submit),
        )
        .route("/back-office/sign-out", post(sign_in::sign_out))
        .route("/back-office/lang/{code}", get(sign_in::switch_lang))
        .route("/back-office/fleet", get(fleet::list))
        .route("/back-office/fleet/{device_id}", get(fleet::device))
        .route("/back-office/fleet/{device_id}/revoke", post(fleet::revoke))
        .route("/back-office/depots", get(depots::day))
        .route("/back-office/depots/extraction.csv", get(depots::csv))
        .route("/back-office/orders", get(orders::timeline))
        .route(
            "/back-office/orders/{order_ref}/dispute-pack",
            get(orders::pack),
        )
        .route("/back-office/claims", get(claims::list))
        .route("/back-office/claims/{claim_id}", get(claims::claim))
        .route(
            "/back-office/claims/{claim_id}/decisions",
            post(claims::decide),
        )
        .with_state(state)
}
