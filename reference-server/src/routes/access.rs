//! Who may call the admin API: whoever presents the admin token, over a
//! connection that keeps it secret. The token is checked whatever the peer's
//! address (a reverse proxy on the same machine makes every caller look like
//! loopback); over plain HTTP the API answers this machine only, because from
//! anywhere else the token would have crossed the network in clear.

use std::net::SocketAddr;

use axum::http::{HeaderMap, StatusCode};
use courier_protocol::api::ErrorCode;
use courier_protocol::keys::sha256;

use super::answer::ApiError;
use crate::state::AppState;

/// The connection a request came on: the peer's address, and whether it is TLS.
#[derive(Clone, Copy)]
pub struct PeerAddr {
    /// The peer's address (a proxy's, behind one).
    pub addr: SocketAddr,
    /// The connection is HTTPS.
    pub tls: bool,
}

/// Admits a call that carries a secret (the admin token, an operator's
/// password or session): over HTTPS, or over plain HTTP from this machine.
pub(super) fn require_private_transport(state: &AppState, peer: PeerAddr) -> Result<(), ApiError> {
    if !peer.tls && !peer.addr.ip().is_loopback() {
        return Err(ApiError::new(
            state,
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "the admin and back-office API over plain HTTP answers this machine only (the token \
             or password would cross the network in clear): call it over HTTPS, or through a TLS \
             proxy on the server's machine (docs/deployment.md); if a token was sent, issue a new one",
        ));
    }
    Ok(())
}

/// The bearer token of a request, if any.
pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// Admits an admin call: the admin token, over HTTPS or from this machine.
pub(super) fn require_admin(
    state: &AppState,
    headers: &HeaderMap,
    peer: PeerAddr,
) -> Result<(), ApiError> {
    let forbidden = |m: &str| ApiError::new(state, StatusCode::FORBIDDEN, ErrorCode::Forbidden, m);
    require_private_transport(state, peer)?;
    let Some(expected) = state.admin_token() else {
        return Err(forbidden(
            "the admin API is disabled (no admin token configured)",
        ));
    };
    let given = bearer(headers);
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::http::HeaderValue;

    use super::*;
    use crate::faults::Faults;
    use crate::state::{ServerConfig, system_clock};
    use crate::storage::open::Database;

    async fn state(dir: &tempfile::TempDir) -> Arc<AppState> {
        let config = ServerConfig {
            database: Database::Sqlite(dir.path().join("server.sqlite")),
            admin_token: Some("admin-secret".into()),
            clock: system_clock(),
            password_cost: crate::back_office::PasswordCost::for_tests(),
        };
        AppState::open(&config, Arc::new(Faults::default()))
            .await
            .expect("state")
    }

    fn status(r: Result<(), ApiError>) -> Option<StatusCode> {
        r.err().map(|e| e.status())
    }

    #[tokio::test]
    async fn the_token_is_needed_from_every_peer_and_never_accepted_in_clear_from_afar() {
        let dir = tempfile::tempdir().expect("tmp");
        let state = state(&dir).await;
        let mut with_token = HeaderMap::new();
        with_token.insert(
            "authorization",
            HeaderValue::from_static("Bearer admin-secret"),
        );
        let none = HeaderMap::new();
        let peer = |addr: &str, tls| PeerAddr {
            addr: addr.parse().expect("addr"),
            tls,
        };
        let (local, remote) = ("127.0.0.1:50000", "192.0.2.7:50000");

        // Loopback (a proxy on the server's machine): the token decides.
        assert_eq!(
            status(require_admin(&state, &none, peer(local, false))),
            Some(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            status(require_admin(&state, &with_token, peer(local, false))),
            None
        );
        // Another machine over HTTPS: the token decides too.
        assert_eq!(
            status(require_admin(&state, &none, peer(remote, true))),
            Some(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            status(require_admin(&state, &with_token, peer(remote, true))),
            None
        );
        // Another machine over plain HTTP: refused even with the right token.
        assert_eq!(
            status(require_admin(&state, &with_token, peer(remote, false))),
            Some(StatusCode::FORBIDDEN)
        );
    }
}
