//! Who is at the browser: the session cookie (`HttpOnly`, `SameSite=Strict`,
//! `Secure` over TLS) of a named operator holding one of the roles a page
//! admits, the page's language, and the CSRF token every form carries.
//! Pages answer this machine over plain HTTP, anyone over HTTPS, like the
//! back-office API.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use courier_protocol::keys::sha256;
use courier_protocol::rules::operator_role::OperatorRole;

use super::i18n::Lang;
use super::render::{Frame, message};
use crate::back_office::{authenticate, csrf_token};
use crate::operator_rows::OperatorRow;
use crate::routes::PeerAddr;
use crate::routes::operator_auth::Admits;
use crate::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "bo_session";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "bo_lang";
/// Where the back office lives.
pub const ROOT: &str = "/back-office";

/// Carrier IT and depot managers (within their depots): the fleet pages.
pub struct FleetReaders;
impl Admits for FleetReaders {
    const ROLES: &'static [OperatorRole] = &[OperatorRole::CarrierIt, OperatorRole::DepotManager];
}

/// Carrier IT: revoking a device.
pub struct FleetKeepers;
impl Admits for FleetKeepers {
    const ROLES: &'static [OperatorRole] = &[OperatorRole::CarrierIt];
}

/// A cookie's value in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, path of the back
/// office, `Secure` when served over TLS; `max_age_s` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, max_age_s: i64, tls: bool) -> String {
    let secure = if tls { "; Secure" } else { "" };
    format!("{name}={value}; Path={ROOT}; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{secure}")
}

/// The page's language: the language cookie, else the browser's first
/// language of ours, else French.
pub fn lang_of(headers: &HeaderMap) -> Lang {
    if let Some(l) = cookie(headers, LANG_COOKIE).and_then(Lang::from_code) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|part| {
            let tag = part.split(';').next()?.trim();
            Lang::from_code(tag.split('-').next()?)
        })
        .next()
        .unwrap_or(Lang::Fr)
}

/// The frame of a page for a visitor not signed in.
pub fn anonymous_frame(parts_headers: &HeaderMap, path: &str) -> Frame {
    Frame {
        lang: lang_of(parts_headers),
        operator: None,
        csrf: String::new(),
        path: path.to_owned(),
        zone: Default::default(),
    }
}

/// Refuses a page over plain HTTP from another machine.
pub fn require_private(peer: Option<PeerAddr>, frame: &Frame) -> Result<PeerAddr, Box<Response>> {
    match peer {
        Some(p) if p.tls || p.addr.ip().is_loopback() => Ok(p),
        _ => Err(Box::new(message(
            StatusCode::FORBIDDEN,
            frame,
            "refused",
            "over plain HTTP the back office answers this machine only: use HTTPS",
        ))),
    }
}

/// A signed-in operator holding one of `R`'s roles, with the page's frame.
pub struct WebOperator<R> {
    /// The account.
    pub account: OperatorRow,
    /// The page's frame (language, name, CSRF token).
    pub frame: Frame,
    /// Whether the connection is HTTPS.
    pub tls: bool,
    /// The session's token (the cookie's value).
    pub session_token: String,
    admits: PhantomData<R>,
}

impl<R> WebOperator<R> {
    /// Admits a form whose CSRF token is the session's; otherwise the
    /// refusal page (403), and nothing was done.
    pub fn check_csrf(&self, given: &str) -> Result<(), Box<Response>> {
        let expected = csrf_token(&self.session_token);
        if sha256(given.as_bytes()) == sha256(expected.as_bytes()) && !given.is_empty() {
            Ok(())
        } else {
            tracing::warn!(operator = %self.account.name, "back-office form without its CSRF token refused");
            Err(Box::new(message(
                StatusCode::FORBIDDEN,
                &self.frame,
                "csrf_refused",
                "",
            )))
        }
    }
}

impl<R: Admits> FromRequestParts<Arc<AppState>> for WebOperator<R> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let mut frame = anonymous_frame(&parts.headers, parts.uri.path());
        let peer =
            require_private(parts.extensions.get::<PeerAddr>().copied(), &frame).map_err(|r| *r)?;
        let sign_in = || Redirect::to(&format!("{ROOT}/sign-in")).into_response();
        let token = cookie(&parts.headers, SESSION_COOKIE)
            .ok_or_else(sign_in)?
            .to_owned();
        let account = authenticate(state.store(), &token, state.now_ms())
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "back-office session lookup failed");
                message(StatusCode::INTERNAL_SERVER_ERROR, &frame, "refused", "")
            })?
            .ok_or_else(sign_in)?;
        frame.operator = Some(account.name.clone());
        frame.zone = state.time_zone();
        frame.csrf = csrf_token(&token);
        if !R::ROLES.iter().any(|r| account.has(*r)) {
            return Err(message(StatusCode::FORBIDDEN, &frame, "not_allowed", ""));
        }
        Ok(WebOperator {
            account,
            frame,
            tls: peer.tls,
            session_token: token,
            admits: PhantomData,
        })
    }
}
