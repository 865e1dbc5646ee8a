//! Operator actions shared by the admin API and the command line: the server
//! key, orders with their codes, enrollment tokens and manifests.

use std::num::NonZeroU32;

use courier_protocol::api::{
    CreateOrderRequest, CreateOrderResponse, CreateSupervisorRequest, CreateSupervisorResponse,
    EnrollmentTokenResponse, IssueManifestRequest,
};
use courier_protocol::issuing::{CodeSeed, issue_codes};
use courier_protocol::keys::{generate_pkcs8, keypair_from_pkcs8, sha256};
use courier_protocol::manifest::{
    DEFAULT_ATTEMPT_LIMIT, MANIFEST_SCHEMA, ManifestBody, ManifestParcel, ManifestSettings,
    SignedManifest,
};
use courier_protocol::supervisor::{DEFAULT_SUPERVISOR_ATTEMPT_LIMIT, issue_supervisor};
use courier_protocol::vocabulary::SupervisorFactor;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::Ed25519KeyPair;

use crate::error::{Invalid, NotFound, ServerError, StorageError};
use crate::records::{NewManifest, OrderRow};
use crate::storage::Storage;

/// Default PBKDF2 iterations of the numeric form.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Most PBKDF2 iterations an order may ask for (each check costs the terminal that much).
pub const MAX_ITERATIONS: u32 = 2_000_000;
/// Lifetime of an enrollment token.
pub const TOKEN_LIFETIME_MS: i64 = 24 * 3600 * 1000;

/// Loads the server key from the database, creating it on first use (server
/// processes starting together on one database agree on the first one stored).
pub async fn server_key(db: &dyn Storage) -> Result<Ed25519KeyPair, ServerError> {
    let stored = match db.meta("server_key_pkcs8").await? {
        Some(h) => h,
        None => {
            let k = generate_pkcs8().map_err(ServerError::Key)?;
            db.meta_or_insert("server_key_pkcs8", &hex::encode(&k))
                .await?
        }
    };
    let pkcs8 = hex::decode(stored).map_err(|e| StorageError::corrupt("server key", e))?;
    keypair_from_pkcs8(&pkcs8).map_err(ServerError::Key)
}

/// Hash under which a token is stored (the token itself is never kept).
pub fn token_hash(token: &str) -> String {
    hex::encode(sha256(token.as_bytes()))
}

/// Random bytes as hex.
pub fn random_hex<const N: usize>() -> Result<String, ServerError> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| ServerError::Key(courier_protocol::ProtocolError::Random))?;
    Ok(hex::encode(b))
}

/// Issues a one-time enrollment token.
pub async fn issue_token(
    db: &dyn Storage,
    now_ms: i64,
) -> Result<EnrollmentTokenResponse, ServerError> {
    let token = random_hex::<16>()?;
    let expires_at_ms = now_ms + TOKEN_LIFETIME_MS;
    db.add_token(&token_hash(&token), expires_at_ms).await?;
    Ok(EnrollmentTokenResponse {
        token,
        expires_at_ms,
    })
}

/// Creates an order and its codes; the codes are returned once and never stored.
pub async fn create_order(
    db: &dyn Storage,
    req: &CreateOrderRequest,
) -> Result<CreateOrderResponse, ServerError> {
    if req.order_ref.is_empty() || req.order_ref.contains(':') || req.order_ref.len() > 64 {
        return Err(Invalid::OrderRef.into());
    }
    let digits = req.digits.unwrap_or(6);
    if !(4..=12).contains(&digits) {
        return Err(Invalid::Digits.into());
    }
    let iterations = req.iterations.unwrap_or(DEFAULT_ITERATIONS);
    if iterations > MAX_ITERATIONS {
        return Err(Invalid::TooManyIterations {
            field: "iterations",
            max: MAX_ITERATIONS,
        }
        .into());
    }
    let iterations = NonZeroU32::new(iterations).ok_or(Invalid::NoIterations {
        field: "iterations",
    })?;
    let seed = match &req.demo_secret {
        Some(s) => CodeSeed::demo(s, &req.order_ref),
        None => CodeSeed::random().map_err(ServerError::Key)?,
    };
    let codes = issue_codes(&seed, &req.order_ref, digits, iterations, req.policy)
        .map_err(Invalid::Codes)?;
    let parcel_id = format!("P-{}", uuid::Uuid::now_v7().simple());
    let attempt_limit = req.attempt_limit.unwrap_or(DEFAULT_ATTEMPT_LIMIT);
    if attempt_limit == 0 {
        return Err(Invalid::NoAttempts.into());
    }
    let spec = ManifestParcel {
        parcel_id: parcel_id.clone(),
        label: req.label.clone(),
        order_ref: req.order_ref.clone(),
        kind: req.kind,
        route_order: 0,
        recipient: req.recipient.clone(),
        address: req.address.clone(),
        instructions: None,
        amount_minor: req.amount_minor,
        currency: req.currency.clone(),
        collect: req.collect.clone(),
        policy: req.policy,
        attempt_limit,
        code: codes.material.clone(),
        withdrawn: false,
    };
    db.add_order(&OrderRow {
        spec,
        numeric_key: *codes.numeric_key.as_bytes(),
        qr_key: *codes.qr_key.as_bytes(),
        attempts_spent: 0,
        attempt_limit,
    })
    .await?;
    Ok(CreateOrderResponse {
        parcel_id,
        order_ref: req.order_ref.clone(),
        numeric_code: codes.numeric_code,
        qr_text: codes.qr_text,
    })
}

/// Creates (or re-issues) a depot supervisor's credential: a fresh badge when
/// asked (its text is returned once, never stored) and a PIN verifier when a
/// PIN is given (never stored either); the server keeps the keys `K` only.
/// Manifests issued for the depot from now on carry the credential.
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

/// Builds, signs and stores a device's next manifest, refusing one that a
/// terminal would refuse (see [`ManifestBody::check_content`]).
pub async fn issue_manifest(
    db: &dyn Storage,
    key: &Ed25519KeyPair,
    req: &IssueManifestRequest,
    now_ms: i64,
) -> Result<SignedManifest, ServerError> {
    issue(db, key, req, now_ms, true).await
}

/// Like [`issue_manifest`] without the content checks: for tests that need a
/// manifest every terminal must refuse (expired, repeated parcels). Never
/// reachable through the HTTP API.
pub async fn issue_manifest_unchecked(
    db: &dyn Storage,
    key: &Ed25519KeyPair,
    req: &IssueManifestRequest,
    now_ms: i64,
) -> Result<SignedManifest, ServerError> {
    issue(db, key, req, now_ms, false).await
}

async fn issue(
    db: &dyn Storage,
    key: &Ed25519KeyPair,
    req: &IssueManifestRequest,
    now_ms: i64,
    checked: bool,
) -> Result<SignedManifest, ServerError> {
    if checked && req.valid_for_ms <= 0 {
        return Err(Invalid::ManifestValidity.into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for p in req.parcel_ids.iter().chain(&req.withdrawn) {
        if checked && !seen.insert(p) {
            return Err(Invalid::ParcelTwice(p.clone()).into());
        }
    }
    if db.device(&req.device_id).await?.is_none() {
        return Err(NotFound::Device(req.device_id.clone()).into());
    }
    let mut parcels = Vec::new();
    let all = req.parcel_ids.iter().map(|p| (p, false));
    let withdrawn = req.withdrawn.iter().map(|p| (p, true));
    for (i, (pid, is_withdrawn)) in all.chain(withdrawn).enumerate() {
        let order = db
            .order(pid)
            .await?
            .ok_or_else(|| NotFound::Order(pid.clone()))?;
        let mut spec = order.spec;
        spec.route_order = u32::try_from(i + 1).unwrap_or(u32::MAX);
        spec.withdrawn = is_withdrawn;
        parcels.push(spec);
    }
    let version = db
        .latest_manifest(&req.device_id)
        .await?
        .map_or(1, |(v, _)| v + 1);
    let body = ManifestBody {
        schema: MANIFEST_SCHEMA.into(),
        version,
        device_id: req.device_id.clone(),
        issued_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(req.valid_for_ms),
        depot: req.depot.clone(),
        settings: ManifestSettings::default(),
        parcels,
        supervisors: db.depot_supervisors(&req.depot).await?,
    };
    if checked {
        body.check_content().map_err(Invalid::ManifestContent)?;
    }
    let signed = SignedManifest::sign(body, key).map_err(ServerError::Key)?;
    let json = serde_json::to_string(&signed).map_err(|e| Invalid::Encoding(e.into()))?;
    let ids: Vec<String> = req
        .parcel_ids
        .iter()
        .chain(&req.withdrawn)
        .cloned()
        .collect();
    db.add_manifest(&NewManifest {
        device_id: &req.device_id,
        version,
        signed_json: &json,
        parcel_ids: &ids,
        withdrawn: &req.withdrawn,
        depot: &req.depot,
    })
    .await?;
    Ok(signed)
}
