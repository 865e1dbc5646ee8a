//! A device's manifests: built from its orders and its depot's supervisors,
//! signed, stored. An order is issued to one device at a time: issuing it
//! here takes it from its holder, and the previous holder's next manifest
//! lists it as withdrawn (unless the new holder is the stop desk the
//! previous holder carries it to). A cancelled order is never issued again,
//! and is withdrawn from the device that held it.

use courier_protocol::api::IssueManifestRequest;
use courier_protocol::desk_stop::DeskStop;
use courier_protocol::manifest::{MANIFEST_SCHEMA, ManifestBody, ManifestSettings, SignedManifest};
use ring::signature::Ed25519KeyPair;

use crate::error::{Conflict, Invalid, NotFound, ServerError, StorageError};
use crate::records::NewManifest;
use crate::storage::Storage;

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
    for p in &req.parcel_ids {
        if db.order_cancelled(p).await? {
            return Err(Conflict::OrderCancelled(p.clone()).into());
        }
    }
    if db.device(&req.device_id).await?.is_none() {
        return Err(NotFound::Device(req.device_id.clone()).into());
    }
    let latest = db.latest_manifest(&req.device_id).await?;
    let mut withdrawn_ids = req.withdrawn.clone();
    withdrawn_ids.extend(given_away(db, req, latest.as_ref()).await?);
    let mut parcels = Vec::new();
    let all = req.parcel_ids.iter().map(|p| (p, false));
    let withdrawn = withdrawn_ids.iter().map(|p| (p, true));
    for (i, (pid, is_withdrawn)) in all.chain(withdrawn).enumerate() {
        let order = db
            .order(pid)
            .await?
            .ok_or_else(|| NotFound::Order(pid.clone()))?;
        let mut spec = order.spec;
        spec.route_order = u32::try_from(i + 1).unwrap_or(u32::MAX);
        spec.withdrawn = is_withdrawn;
        spec.load_check = req.load_check;
        spec.desk = req.desks.get(pid).map(|stop| DeskStop {
            held_here: stop.device_id == req.device_id,
            ..stop.clone()
        });
        parcels.push(spec);
    }
    let version = latest.as_ref().map_or(1, |(v, _)| v + 1);
    // A device gets no PIN verifier, and the badge's only where the depot
    // allows the badge as an offline factor.
    let offline_badge = db.depot_offline_badge(&req.depot).await?;
    let supervisors = db
        .depot_supervisors(&req.depot)
        .await?
        .iter()
        .map(|c| c.for_devices(offline_badge))
        .collect();
    let body = ManifestBody {
        schema: MANIFEST_SCHEMA.into(),
        version,
        device_id: req.device_id.clone(),
        issued_at_ms: now_ms,
        expires_at_ms: now_ms.saturating_add(req.valid_for_ms),
        depot: req.depot.clone(),
        settings: ManifestSettings::default(),
        parcels,
        supervisors,
        offline_badge,
        photos: req.photos.clone(),
    };
    if checked {
        body.check_content().map_err(Invalid::ManifestContent)?;
    }
    let signed = SignedManifest::sign(body, key).map_err(ServerError::Key)?;
    let json = serde_json::to_string(&signed).map_err(|e| Invalid::Encoding(e.into()))?;
    let ids: Vec<String> = req
        .parcel_ids
        .iter()
        .chain(&withdrawn_ids)
        .cloned()
        .collect();
    db.add_manifest(&NewManifest {
        device_id: &req.device_id,
        version,
        signed_json: &json,
        parcel_ids: &ids,
        withdrawn: &withdrawn_ids,
        depot: &req.depot,
    })
    .await?;
    Ok(signed)
}

/// One holder per order: the parcels the device's latest manifest gave it
/// that are issued to another device now or were cancelled, and that this
/// manifest neither gives nor withdraws. The server withdraws them itself.
async fn given_away(
    db: &dyn Storage,
    req: &IssueManifestRequest,
    latest: Option<&(u64, String)>,
) -> Result<Vec<String>, ServerError> {
    let Some((_, json)) = latest else {
        return Ok(Vec::new());
    };
    let previous: SignedManifest =
        serde_json::from_str(json).map_err(|e| StorageError::corrupt("manifest", e))?;
    let mut out = Vec::new();
    for p in previous.body.parcels.iter().filter(|p| !p.withdrawn) {
        let id = &p.parcel_id;
        if req.parcel_ids.contains(id) || req.withdrawn.contains(id) {
            continue;
        }
        // A parcel the courier hands to its stop desk stays on his manifest
        // when the desk holds the order (he still carries it to the desk).
        let holder = db.holder(id).await?;
        let at_its_desk = p
            .desk
            .as_ref()
            .is_some_and(|d| holder.as_ref() == Some(&d.device_id));
        let elsewhere = holder.is_some_and(|h| h != req.device_id) && !at_its_desk;
        if elsewhere || db.order_cancelled(id).await? {
            out.push(id.clone());
        }
    }
    Ok(out)
}
