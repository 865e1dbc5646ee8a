//! Loading a signed manifest: checked and applied inside the write transaction,
//! so a withdrawal never overwrites a delivery decided by another writer, and a
//! delivery never brings back a withdrawn parcel.

use courier_protocol::canonical::to_canonical_bytes;
use courier_protocol::keys::sha256;
use courier_protocol::manifest::SignedManifest;
use courier_protocol::vocabulary::EventKind;
use tracing::warn;

use super::{Decision, ManifestInForce, Terminal, TerminalError};
use crate::domain::event_draft::EventDraft;
use crate::domain::manifest_acceptance::{self, Acceptance, AcceptanceContext, ManifestChanges};
use crate::domain::parcel::{Parcel, ParcelState};
use crate::domain::trusted_clock;
use crate::storage::{ManifestRow, Reads};

/// The largest signed manifest the terminal accepts, in bytes of JSON.
pub const MAX_MANIFEST_BYTES: usize = 8 * 1024 * 1024;

impl Terminal {
    /// Checks and loads a signed manifest; the current one stays on refusal.
    pub fn load_manifest(
        &mut self,
        signed: &SignedManifest,
    ) -> Result<ManifestChanges, TerminalError> {
        let server_key = self.identity.server_key.ok_or_else(|| {
            TerminalError::NotInitialised(
                "no server key is pinned (the device is not enrolled): run `courier-terminal enroll` with the one-time token from the fleet operator".into(),
            )
        })?;
        let body_hash = sha256(&to_canonical_bytes(&signed.body)?);
        let device_id = self.identity.device_id.clone();
        let mut changes = ManifestChanges::default();
        let recorded = self.record_if(|tx, stamp, _| {
            let ctx = AcceptanceContext {
                server_key: &server_key,
                device_id: device_id.as_str(),
                highest: tx.highest_manifest()?,
                trusted_now_ms: trusted_clock::trusted_now(
                    tx.clock_floor()?,
                    stamp.clock.device_utc_ms,
                    stamp.gnss_utc_ms,
                ),
            };
            match manifest_acceptance::check(signed, body_hash, &ctx) {
                Err(refusal) => {
                    warn!(%refusal, "manifest refused");
                    return Err(refusal.into());
                }
                Ok(Acceptance::AlreadyCurrent) => return Ok(None),
                Ok(Acceptance::New) => {}
            }
            let held = tx.parcels()?;
            changes = manifest_acceptance::plan_changes(&held, &signed.body);
            let draft = EventDraft::new(EventKind::ManifestAccepted)
                .detail("parcels", signed.body.parcels.len().to_string())
                .detail("added", changes.added.len().to_string())
                .detail("withdrawn", changes.withdrawn.join(","))
                .detail(
                    "withdrawn_after_delivery",
                    changes
                        .withdrawn_after_outcome
                        .iter()
                        .map(|s| s.parcel_id.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                );
            Ok(Some(Decision {
                draft,
                parcels: apply(&held, signed),
                code_key: None,
                manifest: Some(ManifestRow {
                    signed,
                    body_hash,
                    accepted_at_ms: stamp.clock.device_utc_ms,
                }),
                settles_try: None,
                supervised: false,
                resets_supervisor_tries: None,
            }))
        })?;
        if recorded.is_some() {
            self.manifest = Some(ManifestInForce::of(signed));
        }
        if !changes.withdrawn_after_outcome.is_empty() {
            warn!(parcels = ?changes.withdrawn_after_outcome, "server withdrew parcels already settled here");
        }
        Ok(changes)
    }
}

/// The parcel rows after a manifest: the new specs over the committed states.
fn apply(held: &[Parcel], signed: &SignedManifest) -> Vec<Parcel> {
    signed
        .body
        .parcels
        .iter()
        .map(|spec| {
            let mut p = held
                .iter()
                .find(|p| p.spec.parcel_id == spec.parcel_id)
                .cloned()
                .unwrap_or(Parcel {
                    spec: spec.clone(),
                    state: ParcelState::Pending,
                    attempts_spent: 0,
                    visit: None,
                    collected_label: None,
                    loaded: false,
                    desk: None,
                });
            p.spec = spec.clone();
            if spec.withdrawn { p.withdrawn() } else { p }
        })
        .collect()
}
