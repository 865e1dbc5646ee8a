//! What a dispute pack holds, read from committed state: every event of the
//! order from every device that held it, the devices' keys with their
//! enrollment records, the manifest entries that gave them the parcel (code
//! verifiers only: the server never holds a code), the photos the events
//! name, and each event's inclusion proof to one signed checkpoint of the
//! event log.

use std::collections::BTreeMap;

use courier_protocol::envelope::SignedEvent;
use courier_protocol::keys::Signer;
use courier_protocol::manifest::ManifestParcel;
use courier_protocol::merkle_log::{encode_proof, log_origin};
use courier_protocol::photo::PhotoRef;
use courier_protocol::rules::operator_role::DepotScope;
use serde::Serialize;

use crate::error::{NotFound, ServerError, StorageError};
use crate::event_log;
use crate::records::Revocation;
use crate::storage::Storage;

/// A device that held the order, with its enrollment record.
#[derive(Debug, Clone, Serialize)]
pub struct PackDevice {
    /// Its id.
    pub device_id: String,
    /// Its Ed25519 public key, hex (events verify with it).
    pub public_key: String,
    /// The label printed on the hardware.
    pub hardware_label: String,
    /// Server time of its enrollment, Unix ms.
    pub enrolled_at_ms: i64,
    /// The depot its latest manifest names.
    pub depot: Option<String>,
    /// Its revocation, if any.
    pub revoked: Option<Revocation>,
}

/// One event of the pack with its place in the log.
#[derive(Debug, Clone, Serialize)]
pub struct PackEvent {
    /// The device that signed it.
    pub device_id: String,
    /// Its sequence number on that device.
    pub seq: u64,
    /// Its envelope hash.
    pub hash: String,
    /// Its leaf index in the event log.
    pub leaf_index: u64,
    /// The RFC 6962 audit path (leaf to root, hex) to the pack's checkpoint.
    pub inclusion: Vec<String>,
}

/// The manifest entry of the order a device was given.
#[derive(Debug, Clone, Serialize)]
pub struct PackManifestEntry {
    /// The device.
    pub device_id: String,
    /// The manifest's version.
    pub manifest_version: u64,
    /// When the server signed it, Unix ms.
    pub issued_at_ms: i64,
    /// The parcel as listed (code verifiers, never a code).
    pub parcel: ManifestParcel,
}

/// Everything a pack says, before it is written as files.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The order reference.
    pub order_ref: String,
    /// The server's public key, hex.
    pub server_public_key: String,
    /// The event log's origin (first line of its checkpoints).
    pub log_origin: String,
    /// The signed checkpoint note every proof leads to.
    pub checkpoint: String,
    /// Its tree size.
    pub tree_size: u64,
    /// The devices, by id.
    pub devices: Vec<PackDevice>,
    /// The events, by device then sequence.
    pub events: Vec<SignedEvent>,
    /// Their places in the log, in the same order.
    pub proofs: Vec<PackEvent>,
    /// The manifest entries, by device then version.
    pub manifests: Vec<PackManifestEntry>,
    /// The photos the events name, each with its bytes when the server holds them.
    pub photos: Vec<(PhotoRef, Option<Vec<u8>>)>,
}

/// Reads the evidence of `order_ref` that `scope` may see (the events of
/// devices of its depots); an order with no such event is not found.
pub async fn gather(
    store: &dyn Storage,
    photos: &dyn crate::photo_store::PhotoBlobs,
    signer: &(dyn Signer + Sync),
    order_ref: &str,
    scope: &DepotScope,
) -> Result<Evidence, ServerError> {
    let fleet = store.fleet().await?;
    let devices: BTreeMap<String, PackDevice> = fleet
        .into_iter()
        .filter(|d| scope.covers(d.depot.as_deref()))
        .map(|d| {
            (
                d.device_id.clone(),
                PackDevice {
                    device_id: d.device_id,
                    public_key: d.public_key_hex,
                    hardware_label: d.hardware_label,
                    enrolled_at_ms: d.enrolled_at_ms,
                    depot: d.depot,
                    revoked: d.revoked,
                },
            )
        })
        .collect();
    let mut events: Vec<SignedEvent> = store
        .events_of_order(order_ref)
        .await?
        .into_iter()
        .filter(|e| devices.contains_key(&e.body.device_id))
        .collect();
    if events.is_empty() {
        return Err(NotFound::OrderRef(order_ref.to_owned()).into());
    }
    events.sort_by(|a, b| (&a.body.device_id, a.body.seq).cmp(&(&b.body.device_id, b.body.seq)));
    let devices: Vec<PackDevice> = devices
        .into_values()
        .filter(|d| events.iter().any(|e| e.body.device_id == d.device_id))
        .collect();

    // One tree for every proof: its size read once, then each leaf proved to it.
    let head = event_log::head(store).await?;
    let mut indexes = Vec::with_capacity(events.len());
    for e in &events {
        let index = store
            .log_leaf_index(&e.body.device_id, e.body.seq)
            .await?
            .filter(|i| *i < head.size)
            .ok_or_else(|| {
                StorageError::corrupt(
                    "event log",
                    format!(
                        "event {} of device {} is stored but not in the log",
                        e.body.seq, e.body.device_id
                    ),
                )
            })?;
        indexes.push(index);
    }
    let paths = event_log::inclusions(store, head.size, &indexes).await?;
    let proofs = events
        .iter()
        .zip(indexes.iter().zip(paths))
        .map(|(e, (i, p))| PackEvent {
            device_id: e.body.device_id.clone(),
            seq: e.body.seq,
            hash: e.hash.clone(),
            leaf_index: *i,
            inclusion: encode_proof(&p),
        })
        .collect();

    let mut manifests = Vec::new();
    for d in &devices {
        for source in store.report_sources(Some(&d.device_id), None).await? {
            for m in source.manifests {
                for p in m.parcels.iter().filter(|p| p.order_ref == order_ref) {
                    manifests.push(PackManifestEntry {
                        device_id: d.device_id.clone(),
                        manifest_version: m.version,
                        issued_at_ms: m.issued_at_ms,
                        parcel: p.clone(),
                    });
                }
            }
        }
    }

    let mut named: BTreeMap<String, PhotoRef> = BTreeMap::new();
    for e in &events {
        for p in &e.body.photos {
            named.entry(p.sha256.clone()).or_insert_with(|| p.clone());
        }
    }
    let photos = named
        .into_values()
        .map(|p| {
            // A photo not uploaded yet is listed without its file.
            let bytes = photos.read(&p.sha256).ok();
            (p, bytes)
        })
        .collect();

    let server_key = signer.public_key();
    Ok(Evidence {
        order_ref: order_ref.to_owned(),
        server_public_key: server_key.to_hex(),
        log_origin: log_origin(&server_key),
        checkpoint: event_log::sign(&head, signer)?,
        tree_size: head.size,
        devices,
        events,
        proofs,
        manifests,
        photos,
    })
}
