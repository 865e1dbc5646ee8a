//! Signing in and out of the browser back office, and the language switch.
//! The sign-in form carries a token of its own (double submit: the same
//! random value in a `SameSite=Strict` cookie and in the form), since no
//! session exists yet.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use courier_protocol::keys::sha256;
use courier_protocol::rules::operator_role::OperatorRole;
use minijinja::context;
use serde::Deserialize;

use super::i18n::Lang;
use super::render::{Frame, page};
use super::session::{
    LANG_COOKIE, ROOT, SESSION_COOKIE, WebOperator, anonymous_frame, cookie, require_private,
    set_cookie,
};
use crate::admin::{random_hex, token_hash};
use crate::back_office::{self, SESSION_LIFETIME_MS};
use crate::operator_rows::NewAudit;
use crate::routes::PeerAddr;
use crate::routes::operator_auth::Admits;
use crate::state::AppState;

/// The sign-in form's cookie.
const LOGIN_COOKIE: &str = "bo_login";

/// Any signed-in operator.
pub struct AnyRole;
impl Admits for AnyRole {
    const ROLES: &'static [OperatorRole] = &OperatorRole::ALL;
}

fn sign_in_page(frame: &Frame, status: StatusCode, refused: bool, tls: bool) -> Response {
    let token = match random_hex::<16>() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "no randomness for the sign-in form");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut frame = frame.clone();
    frame.csrf = token.clone();
    let mut r = page(
        status,
        &frame,
        "sign_in.html",
        context! { refused => refused },
    );
    if let Ok(v) = set_cookie(LOGIN_COOKIE, &token, 3600, tls).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// `GET /back-office/sign-in`.
pub async fn form(headers: HeaderMap, peer: Option<Extension<PeerAddr>>) -> Response {
    let frame = anonymous_frame(&headers, &format!("{ROOT}/sign-in"));
    match require_private(peer.map(|p| p.0), &frame) {
        Ok(p) => sign_in_page(&frame, StatusCode::OK, false, p.tls),
        Err(r) => *r,
    }
}

/// The sign-in form's fields.
#[derive(Deserialize)]
pub struct SignInForm {
    name: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /back-office/sign-in`: opens a cookie session.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    peer: Option<Extension<PeerAddr>>,
    Form(f): Form<SignInForm>,
) -> Response {
    let frame = anonymous_frame(&headers, &format!("{ROOT}/sign-in"));
    let peer = match require_private(peer.map(|p| p.0), &frame) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let same = cookie(&headers, LOGIN_COOKIE)
        .is_some_and(|c| !c.is_empty() && sha256(c.as_bytes()) == sha256(f.csrf.as_bytes()));
    if !same {
        return super::render::message(StatusCode::FORBIDDEN, &frame, "csrf_refused", "");
    }
    let session = back_office::sign_in_cookie(
        state.store(),
        state.password_cost(),
        &f.name,
        &f.password,
        state.now_ms(),
    )
    .await;
    match session {
        Ok(Some(s)) => {
            let mut r = Redirect::to(&format!("{ROOT}/")).into_response();
            let cookie = set_cookie(
                SESSION_COOKIE,
                &s.token,
                SESSION_LIFETIME_MS / 1000,
                peer.tls,
            );
            if let Ok(v) = cookie.parse() {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Ok(None) => sign_in_page(&frame, StatusCode::UNAUTHORIZED, true, peer.tls),
        Err(e) => {
            tracing::error!(error = %e, "back-office sign-in failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A form with only its CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /back-office/sign-out`: ends the session.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    op: WebOperator<AnyRole>,
    Form(f): Form<CsrfOnly>,
) -> Response {
    if let Err(r) = op.check_csrf(&f.csrf) {
        return *r;
    }
    let now = state.now_ms();
    let audit = NewAudit {
        at_ms: now,
        operator: op.account.name.clone(),
        action: "signed_out",
        subject: op.account.name.clone(),
        detail: "cookie session ended".into(),
    };
    if let Err(e) = state
        .store()
        .close_operator_session(&token_hash(&op.session_token), now, &audit)
        .await
    {
        tracing::error!(error = %e, "back-office sign-out failed");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let mut r = Redirect::to(&format!("{ROOT}/sign-in")).into_response();
    if let Ok(v) = set_cookie(SESSION_COOKIE, "", 0, op.tls).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// Query of the language switch.
#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /back-office/lang/{code}?back=/back-office/...`: sets the language
/// and goes back to the page (within the back office only).
pub async fn switch_lang(
    Path(code): Path<String>,
    Query(q): Query<Back>,
    peer: Option<Extension<PeerAddr>>,
) -> Response {
    let back = q
        .back
        .filter(|b| b.starts_with(ROOT) && !b.contains("//") && !b.contains('\\'))
        .unwrap_or_else(|| format!("{ROOT}/"));
    let mut r = Redirect::to(&back).into_response();
    if let Some(l) = Lang::from_code(&code) {
        let tls = peer.is_some_and(|p| p.0.tls);
        if let Ok(v) = set_cookie(LANG_COOKIE, l.code(), 365 * 24 * 3600, tls).parse() {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// `GET /back-office/`: the first page the operator's roles open.
pub async fn home(op: WebOperator<AnyRole>) -> Response {
    let to =
        if op.account.has(OperatorRole::CarrierIt) || op.account.has(OperatorRole::DepotManager) {
            "fleet"
        } else {
            "claims"
        };
    Redirect::to(&format!("{ROOT}/{to}")).into_response()
}
