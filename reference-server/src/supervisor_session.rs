//! Supervisor sign-in at the server: the PIN (or badge) a supervisor typed on
//! a device is checked here, never on the device. One try is spent on the
//! supervisor's counter (shared by every device of the depot, a conditional
//! update committed before the comparison); a right secret resets it and
//! opens a session whose random key the device's supervisor proofs use; the
//! try that reaches the limit locks the credential and raises an alert.

use std::num::NonZeroU32;

use courier_protocol::keys::decode_hex_array;
use courier_protocol::supervisor::{
    SUPERVISOR_SESSION_MAX_MS, SupervisorCredential, SupervisorSecret,
};
use courier_protocol::supervisor_session::{
    SupervisorSessionGrant, SupervisorSignInAnswer, SupervisorSignInRequest,
};
use courier_protocol::vocabulary::SupervisorFactor;
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{NotFound, ServerError};
use crate::storage::Storage;
use crate::supervisor_rows::{SupervisorSessionRow, SupervisorTry};

/// Why a sign-in cannot even be checked (no try spent).
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The device has no manifest yet, so no depot.
    #[error("this device has no manifest yet: sync first, then sign in")]
    NoDepot,
    /// Malformed PIN or badge (the terminal checks the shape first; here the
    /// try is spent, as any entry that reached the server).
    #[error("{0}")]
    Format(#[from] courier_protocol::supervisor::SupervisorFormatError),
    /// The supervisor has no such factor.
    #[error("this supervisor has no {0}")]
    NoSuchFactor(&'static str),
}

/// Checks a sign-in from `device_id` (whose depot is that of its latest
/// manifest) and answers a session, a wrong answer or the lock.
pub async fn sign_in(
    db: &dyn Storage,
    device_id: &str,
    req: &SupervisorSignInRequest,
    now_ms: i64,
) -> Result<Result<SupervisorSignInAnswer, SignInError>, ServerError> {
    let Some(depot) = device_depot(db, device_id).await? else {
        return Ok(Err(SignInError::NoDepot));
    };
    let id = req.supervisor_id.trim();
    let (credential, spent, limit) = match db.spend_supervisor_try(&depot, id).await? {
        SupervisorTry::Unknown => {
            return Err(NotFound::Supervisor(format!("{depot}/{id}")).into());
        }
        SupervisorTry::Locked { limit } => return Ok(Ok(SupervisorSignInAnswer::Locked { limit })),
        SupervisorTry::Spent {
            spent,
            limit,
            credential,
        } => (credential, spent, limit),
    };
    // The try is committed; the KDF runs with no lock held.
    let right = match matches(&credential, req) {
        Ok(right) => right,
        Err(e) => return Ok(Err(e)),
    };
    if !right {
        tracing::warn!(device_id, depot = %depot, supervisor = %id, spent, limit, "wrong supervisor PIN or badge at sign-in");
        if spent >= limit {
            db.add_alert(
                "supervisor_locked",
                device_id,
                &format!(
                    "supervisor {id} of depot {depot} is locked after {spent} wrong PINs or bad proofs (the last from this device): re-issue the credential"
                ),
                now_ms,
            )
            .await?;
            return Ok(Ok(SupervisorSignInAnswer::Locked { limit }));
        }
        return Ok(Ok(SupervisorSignInAnswer::Wrong {
            tries_left: limit - spent,
        }));
    }
    let mut key = [0u8; 32];
    SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| ServerError::Key(courier_protocol::ProtocolError::Random))?;
    let session = SupervisorSessionRow {
        session_id: uuid::Uuid::now_v7().to_string(),
        depot: depot.clone(),
        supervisor_id: credential.supervisor_id.clone(),
        device_id: device_id.to_owned(),
        factor: req.factor,
        key,
        issued_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(SUPERVISOR_SESSION_MAX_MS),
        revoked_at_ms: None,
    };
    db.open_supervisor_session(&session).await?;
    tracing::info!(device_id, depot = %depot, supervisor = %id, session = %session.session_id, "supervisor session opened");
    Ok(Ok(SupervisorSignInAnswer::SignedIn {
        session: SupervisorSessionGrant {
            session_id: session.session_id,
            session_key: hex::encode(session.key),
            supervisor_id: session.supervisor_id,
            name: credential.name,
            depot,
            factor: req.factor,
            issued_at_ms: session.issued_at_ms,
            expires_at_ms: session.expires_at_ms,
        },
    }))
}

/// The depot of the device's latest manifest.
async fn device_depot(db: &dyn Storage, device_id: &str) -> Result<Option<String>, ServerError> {
    let Some((_, json)) = db.latest_manifest(device_id).await? else {
        return Ok(None);
    };
    let m: courier_protocol::manifest::SignedManifest = serde_json::from_str(&json)
        .map_err(|e| crate::error::StorageError::corrupt("manifest", e))?;
    Ok(Some(m.body.depot))
}

/// Whether the presented secret matches the server's verifier of that factor.
fn matches(
    credential: &SupervisorCredential,
    req: &SupervisorSignInRequest,
) -> Result<bool, SignInError> {
    let secret = match req.factor {
        SupervisorFactor::Pin => {
            let digits = credential
                .pin
                .as_ref()
                .ok_or(SignInError::NoSuchFactor("PIN"))?
                .digits;
            SupervisorSecret::pin(req.secret.trim(), digits)?
        }
        SupervisorFactor::Badge => {
            let (named, secret) = SupervisorSecret::badge(&req.secret)?;
            if named != credential.supervisor_id {
                return Ok(false);
            }
            secret
        }
    };
    let Some(spec) = credential.spec(req.factor) else {
        return Err(SignInError::NoSuchFactor(match req.factor {
            SupervisorFactor::Pin => "PIN",
            SupervisorFactor::Badge => "badge",
        }));
    };
    let (Ok(salt), Some(iterations), Some(Ok(v))) = (
        hex::decode(&spec.salt),
        NonZeroU32::new(spec.iterations),
        spec.verifier
            .as_deref()
            .map(|v| decode_hex_array::<32>(v, "verifier")),
    ) else {
        return Ok(false);
    };
    Ok(secret.derive_key(&salt, iterations).matches_verifier(&v))
}
