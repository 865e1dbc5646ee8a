//! Cancelling an order before delivery: decided on the order as committed
//! (never once an honoured delivery is held, never twice), journalled as a
//! full refund, and the parcel withdrawn from the device holding it: the
//! server issues that device's next manifest at once, listing the parcel as
//! withdrawn (when the device's manifest has expired, its next manifest
//! withdraws it). A refund after delivery is a claim's decision, never this.

use courier_protocol::api::IssueManifestRequest;
use courier_protocol::back_office::{CancelOrderRequest, CancelOrderResponse};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::claim::check_cancel;
use ring::signature::Ed25519KeyPair;

use super::claims::{facts, journal, status_of};
use crate::admin::issue_manifest;
use crate::claim_rows::{Cancellation, OrderDecision, OrderState, OrderWrites};
use crate::error::{NotFound, ServerError, StorageError};
use crate::operator_rows::{NewAudit, OperatorRow};
use crate::storage::Storage;

/// Cancels order `order_ref` of the operator's depots before delivery.
pub async fn cancel_order(
    db: &dyn Storage,
    key: &Ed25519KeyPair,
    op: &OperatorRow,
    order_ref: &str,
    req: &CancelOrderRequest,
    now_ms: i64,
) -> Result<CancelOrderResponse, ServerError> {
    let (by, scope, reason, wanted) = (
        op.name.clone(),
        op.scope(),
        req.reason.clone(),
        order_ref.to_owned(),
    );
    let decision: OrderDecision = Box::new(move |s: &OrderState| {
        if !scope.covers(s.depot.as_deref()) {
            return Err(NotFound::OrderRef(wanted).into());
        }
        let existing = s.claim.as_ref().map(status_of);
        check_cancel(&facts(s, existing.as_ref()), &reason)?;
        Ok(OrderWrites {
            cancellation: Some(Cancellation {
                at_ms: now_ms,
                by: by.clone(),
                reason: reason.clone(),
            }),
            claim: None,
            changes: vec![journal(
                s,
                "cancelled".into(),
                None,
                s.spec.amount_minor,
                by.clone(),
                &reason,
                now_ms,
            )],
            audit: vec![NewAudit {
                at_ms: now_ms,
                operator: by,
                action: "order_cancelled",
                subject: s.spec.order_ref.clone(),
                detail: format!(
                    "full refund {} {}; withdrawn from {}: {reason}",
                    s.spec.amount_minor,
                    s.spec.currency,
                    s.holder.as_deref().unwrap_or("no device")
                ),
            }],
        })
    });
    let (state, _) = db.act_on_order(order_ref, decision).await?;
    let manifest_version = match &state.holder {
        Some(device) => withdraw(db, key, device, &state.spec.parcel_id, now_ms).await?,
        None => None,
    };
    Ok(CancelOrderResponse {
        order_ref: state.spec.order_ref,
        parcel_id: state.spec.parcel_id,
        status: "cancelled".into(),
        refund_minor: state.spec.amount_minor,
        currency: state.spec.currency,
        withdrawn_from: state.holder,
        manifest_version,
    })
}

/// Issues `device`'s next manifest with `parcel` withdrawn and the rest of
/// its current manifest unchanged, until the same expiry; nothing when that
/// manifest has expired (the next one withdraws the parcel).
async fn withdraw(
    db: &dyn Storage,
    key: &Ed25519KeyPair,
    device: &str,
    parcel: &str,
    now_ms: i64,
) -> Result<Option<u64>, ServerError> {
    let Some((_, json)) = db.latest_manifest(device).await? else {
        return Ok(None);
    };
    let latest: SignedManifest =
        serde_json::from_str(&json).map_err(|e| StorageError::corrupt("manifest", e))?;
    let valid_for_ms = latest.body.expires_at_ms.saturating_sub(now_ms);
    if valid_for_ms <= 0 {
        return Ok(None);
    }
    let mut parcel_ids = Vec::new();
    for p in latest.body.parcels.iter().filter(|p| !p.withdrawn) {
        if p.parcel_id != parcel && !db.order_cancelled(&p.parcel_id).await? {
            parcel_ids.push(p.parcel_id.clone());
        }
    }
    let issued = issue_manifest(
        db,
        key,
        &IssueManifestRequest {
            device_id: device.to_owned(),
            parcel_ids,
            withdrawn: vec![parcel.to_owned()],
            depot: latest.body.depot.clone(),
            valid_for_ms,
            load_check: false,
            desks: Default::default(),
            photos: Default::default(),
        },
        now_ms,
    )
    .await?;
    Ok(Some(issued.body.version))
}
