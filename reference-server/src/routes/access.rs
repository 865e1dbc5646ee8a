//! Who may call the admin API: a peer on loopback with the admin token.

use std::net::SocketAddr;

use axum::http::{HeaderMap, StatusCode};
use courier_protocol::api::ErrorCode;
use courier_protocol::keys::sha256;

use super::answer::ApiError;
use crate::state::AppState;

/// The peer's address, for the loopback check of the admin API.
#[derive(Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

/// Admits an admin call: from loopback, with the admin token.
pub(super) fn require_admin(
    state: &AppState,
    headers: &HeaderMap,
    peer: PeerAddr,
) -> Result<(), ApiError> {
    let forbidden = |m: &str| ApiError::new(state, StatusCode::FORBIDDEN, ErrorCode::Forbidden, m);
    if !peer.0.ip().is_loopback() {
        return Err(forbidden("the admin API answers on loopback only"));
    }
    let Some(expected) = state.admin_token() else {
        return Err(forbidden(
            "the admin API is disabled (no admin token configured)",
        ));
    };
    let given = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let same = given.is_some_and(|g| sha256(g.as_bytes()) == sha256(expected.as_bytes()));
    if same {
        Ok(())
    } else {
        Err(ApiError::new(
            state,
            StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden,
            "wrong or missing admin token (Authorization: Bearer <token>)",
        ))
    }
}
