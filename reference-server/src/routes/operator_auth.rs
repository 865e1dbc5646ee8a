//! Who may call the back-office API: a named operator with a live session
//! (`Authorization: Bearer <token>` from `POST /v1/operator-sessions`) who
//! holds one of the roles the route admits, over HTTPS or from this
//! machine. One extractor, [`Operator`], does it for every handler; and
//! [`StrictJson`] parses a body as every route does (a repeated key is a
//! bad request).

use std::marker::PhantomData;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use courier_protocol::api::ErrorCode;
use courier_protocol::rules::operator_role::OperatorRole;

use super::access::{PeerAddr, bearer, require_private_transport};
use super::answer::{ApiError, parse};
use crate::back_office::authenticate;
use crate::operator_rows::OperatorRow;
use crate::state::AppState;

/// The roles a route admits: an operator holding any one of them.
pub trait Admits: Send + Sync + 'static {
    /// The roles.
    const ROLES: &'static [OperatorRole];
}

/// Claims' work: filing, deciding (`rules::claim::decide` then asks for the
/// approver role on the second decision).
pub struct ClaimDesk;
impl Admits for ClaimDesk {
    const ROLES: &'static [OperatorRole] = &[OperatorRole::BackOffice, OperatorRole::Approver];
}

/// Reading claims and the extraction: the claim desk and depot managers
/// (within their depots).
pub struct ClaimReaders;
impl Admits for ClaimReaders {
    const ROLES: &'static [OperatorRole] = &[
        OperatorRole::BackOffice,
        OperatorRole::Approver,
        OperatorRole::DepotManager,
    ];
}

/// Cancelling an order before delivery: a back-office agent.
pub struct Cancellers;
impl Admits for Cancellers {
    const ROLES: &'static [OperatorRole] = &[OperatorRole::BackOffice];
}

/// An authenticated operator holding one of `R`'s roles.
pub struct Operator<R> {
    /// The account.
    pub account: OperatorRow,
    admits: PhantomData<R>,
}

impl<R: Admits> FromRequestParts<Arc<AppState>> for Operator<R> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<PeerAddr>().copied().ok_or_else(|| {
            ApiError::new(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "the connection's peer is unknown",
            )
        })?;
        require_private_transport(state, peer)?;
        let unauthorized = || {
            ApiError::new(
                state,
                StatusCode::UNAUTHORIZED,
                ErrorCode::Forbidden,
                "no live operator session (Authorization: Bearer <token> from POST /v1/operator-sessions)",
            )
        };
        let token = bearer(&parts.headers).ok_or_else(unauthorized)?;
        let account = authenticate(state.store(), token, state.now_ms())
            .await
            .map_err(|e| ApiError::from_server(state, e))?
            .ok_or_else(unauthorized)?;
        if !R::ROLES.iter().any(|r| account.has(*r)) {
            let roles: Vec<&str> = R::ROLES.iter().map(|r| r.as_str()).collect();
            return Err(ApiError::new(
                state,
                StatusCode::FORBIDDEN,
                ErrorCode::Forbidden,
                format!(
                    "operator {} lacks the role this needs (one of: {})",
                    account.name,
                    roles.join(", ")
                ),
            ));
        }
        Ok(Operator {
            account,
            admits: PhantomData,
        })
    }
}

/// A JSON body parsed strictly (a repeated key anywhere is a bad request).
pub struct StrictJson<T>(pub T);

impl<T: serde::de::DeserializeOwned> FromRequest<Arc<AppState>> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                state,
                StatusCode::BAD_REQUEST,
                ErrorCode::BadRequest,
                format!("unreadable request body: {e}"),
            )
        })?;
        parse(state, &body).map(StrictJson)
    }
}
