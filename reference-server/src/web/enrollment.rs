//! The enrollment token page: carrier IT issues a one-time enrollment token
//! from the fleet page (the code path of `escrow-server issue-token`,
//! [`crate::admin::issue_token`]) and gets it once, with its enrollment QR,
//! on a page made to be printed; the token is stored by its hash only, so
//! the page cannot be shown again. The issue is audited with the operator's
//! name (never the token).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use courier_protocol::enrollment_qr::{EnrollmentQr, Profile};
use courier_protocol::keys::Signer;
use minijinja::context;
use serde::Deserialize;

use super::qr_svg::qr_svg;
use super::render::{message, page};
use super::session::{FleetKeepers, WebOperator};
use crate::admin::issue_token;
use crate::operator_rows::NewAudit;
use crate::state::AppState;

/// The issue form: the CSRF token, and optionally the address devices reach
/// this server at and their platform.
#[derive(Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    server_url: String,
    #[serde(default)]
    profile: String,
}

/// The address devices reach this server at, as the browser reached it
/// (the operator may type another).
fn default_server_url(headers: &HeaderMap, tls: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("{}://{host}", if tls { "https" } else { "http" })
}

/// `POST /back-office/fleet/enrollment-token`: issues a token and shows it
/// once with its QR, to print.
pub async fn issue(
    State(state): State<Arc<AppState>>,
    op: WebOperator<FleetKeepers>,
    headers: HeaderMap,
    Form(f): Form<IssueForm>,
) -> Response {
    if let Err(r) = op.check_csrf(&f.csrf) {
        return *r;
    }
    let server_url = match f.server_url.trim() {
        "" => default_server_url(&headers, op.tls),
        url => url.to_owned(),
    };
    let profile = match f.profile.as_str() {
        "" => Profile::Production,
        p => match Profile::parse(p) {
            Some(p) => p,
            None => return message(StatusCode::BAD_REQUEST, &op.frame, "refused", p),
        },
    };
    let now = state.now_ms();
    let token = match issue_token(state.store(), now).await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "enrollment token not issued");
            return message(StatusCode::INTERNAL_SERVER_ERROR, &op.frame, "refused", "");
        }
    };
    let audit = NewAudit {
        at_ms: now,
        operator: op.account.name.clone(),
        action: "enrollment_token_issued",
        subject: server_url.clone(),
        detail: format!("profile {}", profile.as_str()),
    };
    if let Err(e) = state.store().add_audit(&audit).await {
        tracing::error!(error = %e, "audit of an enrollment token failed");
    }
    let key = Signer::public_key(state.key());
    let qr_text = EnrollmentQr::new(&server_url, profile, &token.token, &key).to_string();
    let title = op
        .frame
        .lang
        .texts()
        .get("enroll_title")
        .copied()
        .unwrap_or("QR");
    let Some(svg) = qr_svg(&qr_text, title) else {
        return message(StatusCode::BAD_REQUEST, &op.frame, "refused", "QR");
    };
    page(
        StatusCode::OK,
        &op.frame,
        "enrollment.html",
        context! {
            token => token.token,
            qr_text => qr_text,
            qr_svg => minijinja::Value::from_safe_string(svg),
            server_url => server_url,
            profile => profile.as_str(),
            fingerprint => key.fingerprint().grouped(),
            expires_at => op.frame.when(token.expires_at_ms),
            issued_at => op.frame.when(now),
            issued_by => op.account.name,
        },
    )
}
