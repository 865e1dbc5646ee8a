//! Depot supervisors' credentials: badge and PIN keys, issued here.

use std::num::NonZeroU32;

use courier_protocol::api::{CreateSupervisorRequest, CreateSupervisorResponse};
use courier_protocol::supervisor::{DEFAULT_SUPERVISOR_ATTEMPT_LIMIT, issue_supervisor};
use courier_protocol::supervisor_session::{DepotSettingsRequest, RevokeSupervisorRequest};
use courier_protocol::vocabulary::SupervisorFactor;

use super::orders::{DEFAULT_ITERATIONS, MAX_ITERATIONS};
use crate::error::{Invalid, NotFound, ServerError};
use crate::storage::Storage;

/// Creates (or re-issues) a depot supervisor's credential: a fresh badge when
/// asked (its text is returned once, never stored) and a PIN verifier when a
/// PIN is given (the PIN itself is never stored); the server keeps the keys
/// `K` and the verifiers. A re-issue retires every earlier key and revokes
/// every session of this supervisor (events received after it that use them
/// are not honoured) and resets its counter. Manifests issued for the depot
/// from now on list the credential without its PIN verifier.
pub async fn create_supervisor(
    db: &dyn Storage,
    req: &CreateSupervisorRequest,
    now_ms: i64,
) -> Result<CreateSupervisorResponse, ServerError> {
    if req.depot.trim().is_empty() {
        return Err(Invalid::NoDepot.into());
    }
    if !req.badge && req.pin.is_none() {
        return Err(Invalid::NoSupervisorFactor.into());
    }
    let iterations = req.pin_iterations.unwrap_or(DEFAULT_ITERATIONS);
    if iterations > MAX_ITERATIONS {
        return Err(Invalid::TooManyIterations {
            field: "pin_iterations",
            max: MAX_ITERATIONS,
        }
        .into());
    }
    let iterations = NonZeroU32::new(iterations).ok_or(Invalid::NoIterations {
        field: "pin_iterations",
    })?;
    let issued = issue_supervisor(
        &req.supervisor_id,
        &req.name,
        req.badge,
        req.pin.as_deref(),
        iterations,
        req.attempt_limit
            .unwrap_or(DEFAULT_SUPERVISOR_ATTEMPT_LIMIT),
    )
    .map_err(Invalid::Supervisor)?;
    let mut keys = Vec::new();
    if let Some(k) = &issued.badge_key {
        keys.push((SupervisorFactor::Badge, *k.as_bytes()));
    }
    if let Some(k) = &issued.pin_key {
        keys.push((SupervisorFactor::Pin, *k.as_bytes()));
    }
    db.put_supervisor(&req.depot, &issued.credential, &keys, now_ms)
        .await?;
    Ok(CreateSupervisorResponse {
        supervisor_id: issued.credential.supervisor_id.clone(),
        depot: req.depot.clone(),
        badge_text: issued.badge_text,
        has_pin: issued.pin_key.is_some(),
    })
}

/// Revokes a depot supervisor: its keys and sessions are cut off for every
/// event received from now on, and manifests no longer list it.
pub async fn revoke_supervisor(
    db: &dyn Storage,
    req: &RevokeSupervisorRequest,
    now_ms: i64,
) -> Result<(), ServerError> {
    if !db
        .revoke_supervisor(&req.depot, &req.supervisor_id, now_ms)
        .await?
    {
        return Err(NotFound::Supervisor(format!("{}/{}", req.depot, req.supervisor_id)).into());
    }
    tracing::info!(depot = %req.depot, supervisor = %req.supervisor_id, "supervisor revoked");
    Ok(())
}

/// Sets a depot's settings (the offline badge); manifests issued from now on follow them.
pub async fn set_depot_settings(
    db: &dyn Storage,
    req: &DepotSettingsRequest,
) -> Result<(), ServerError> {
    if req.depot.trim().is_empty() {
        return Err(Invalid::NoDepot.into());
    }
    db.set_depot_offline_badge(&req.depot, req.offline_badge)
        .await
}
