//! Orders and their codes: the codes are returned once, the server keeps the
//! derived keys only.

use std::num::NonZeroU32;

use courier_protocol::api::{CreateOrderRequest, CreateOrderResponse};
use courier_protocol::issuing::{CodeSeed, issue_codes};
use courier_protocol::manifest::{DEFAULT_ATTEMPT_LIMIT, ManifestParcel};

use crate::error::{Invalid, ServerError};
use crate::records::OrderRow;
use crate::storage::Storage;

/// Default PBKDF2 iterations of the numeric form.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Most PBKDF2 iterations an order may ask for (each check costs the terminal that much).
pub const MAX_ITERATIONS: u32 = 2_000_000;
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
        load_check: false,
        order_parcels: req.order_parcels.clone(),
        desk: None,
    };
    if spec.has_several_parcels() {
        // The same checks every terminal makes on the manifest.
        let body = courier_protocol::manifest::ManifestBody {
            schema: courier_protocol::manifest::MANIFEST_SCHEMA.into(),
            version: 1,
            device_id: String::new(),
            issued_at_ms: 0,
            expires_at_ms: 1,
            depot: String::new(),
            settings: Default::default(),
            parcels: vec![spec.clone()],
            supervisors: Vec::new(),
            offline_badge: false,
            photos: Default::default(),
        };
        body.check_content().map_err(Invalid::ManifestContent)?;
    }
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
