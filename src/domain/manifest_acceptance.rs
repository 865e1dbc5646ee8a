//! Whether a signed manifest may replace the current one, and what it changes.

use std::collections::{BTreeSet, HashMap};

use courier_protocol::ProtocolError;
use courier_protocol::keys::PublicKey;
use courier_protocol::manifest::{ManifestBody, SignedManifest};
use courier_protocol::vocabulary::CodePolicy;
use thiserror::Error;

use super::parcel::{Parcel, ParcelState};
use crate::local_time::LocalTime;

/// Why a manifest is refused; the current one stays in force.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum ManifestRefusal {
    /// Bad signature or key.
    #[error(
        "manifest refused: {0}. It was not issued by the server this device is enrolled with; keep the current manifest and ask the depot for a fresh one"
    )]
    Signature(ProtocolError),
    /// Another device's manifest.
    #[error("manifest refused: it is for device {for_device}, this device is {this_device}")]
    OtherDevice {
        /// Device named in the manifest.
        for_device: String,
        /// This device.
        this_device: String,
    },
    /// Expired by the trusted clock.
    #[error(
        "manifest refused: it expired at {}, and the device's trusted time is {}; download today's manifest (`courier-terminal sync`) or ask the depot for it",
        LocalTime::of(.expired_at_ms),
        LocalTime::of(.now_ms)
    )]
    Expired {
        /// Expiry.
        expired_at_ms: i64,
        /// Trusted now.
        now_ms: i64,
    },
    /// Rollback to an older version.
    #[error(
        "manifest refused: version {offered} is older than version {highest} already accepted (rollback)"
    )]
    Rollback {
        /// Version offered.
        offered: u64,
        /// Highest version accepted.
        highest: u64,
    },
    /// Same version number, different content.
    #[error("manifest refused: version {0} was already accepted with different content")]
    VersionReused(u64),
    /// Inconsistent content.
    #[error("manifest refused: {0}")]
    Invalid(String),
}

/// What the terminal already holds.
#[derive(Debug, Clone)]
pub struct AcceptanceContext<'a> {
    /// Pinned server key.
    pub server_key: &'a PublicKey,
    /// This device's id.
    pub device_id: &'a str,
    /// Highest version accepted so far, and the canonical bytes' hash of it.
    pub highest: Option<(u64, [u8; 32])>,
    /// Trusted now, ms.
    pub trusted_now_ms: i64,
}

/// Result of a successful check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acceptance {
    /// A new version to apply.
    New,
    /// The very manifest already in force: nothing to do.
    AlreadyCurrent,
}

/// Checks signature, device, expiry, version and content.
pub fn check(
    signed: &SignedManifest,
    body_hash: [u8; 32],
    ctx: &AcceptanceContext<'_>,
) -> Result<Acceptance, ManifestRefusal> {
    let body = signed
        .verify(ctx.server_key)
        .map_err(ManifestRefusal::Signature)?;
    if body.device_id != ctx.device_id {
        return Err(ManifestRefusal::OtherDevice {
            for_device: body.device_id.clone(),
            this_device: ctx.device_id.to_owned(),
        });
    }
    if let Some((highest, hash)) = ctx.highest {
        if body.version < highest {
            return Err(ManifestRefusal::Rollback {
                offered: body.version,
                highest,
            });
        }
        if body.version == highest {
            return if hash == body_hash {
                Ok(Acceptance::AlreadyCurrent)
            } else {
                Err(ManifestRefusal::VersionReused(highest))
            };
        }
    }
    if body.expires_at_ms <= ctx.trusted_now_ms {
        return Err(ManifestRefusal::Expired {
            expired_at_ms: body.expires_at_ms,
            now_ms: ctx.trusted_now_ms,
        });
    }
    validate(body)?;
    Ok(Acceptance::New)
}

/// The most parcels one manifest may list (a courier's day is a few hundred).
pub const MAX_PARCELS: usize = 2_000;

fn validate(body: &ManifestBody) -> Result<(), ManifestRefusal> {
    let invalid = |m: String| Err(ManifestRefusal::Invalid(m));
    if body.parcels.len() > MAX_PARCELS {
        return invalid(format!(
            "{} parcels, more than the {MAX_PARCELS} one manifest may list",
            body.parcels.len()
        ));
    }
    let mut ids = BTreeSet::new();
    let mut labels = BTreeSet::new();
    for p in &body.parcels {
        if !ids.insert(&p.parcel_id) {
            return invalid(format!("parcel id {} appears twice", p.parcel_id));
        }
        if !labels.insert(&p.label) {
            return invalid(format!("label {} appears twice", p.label));
        }
        if p.attempt_limit == 0 {
            return invalid(format!("parcel {} has an attempt limit of 0", p.parcel_id));
        }
        if !(4..=12).contains(&p.code.digits) {
            return invalid(format!(
                "parcel {} has {}-digit codes",
                p.parcel_id, p.code.digits
            ));
        }
        for spec in std::iter::once(&p.code.numeric).chain(p.code.qr.as_ref()) {
            if spec.iterations == 0 || hex::decode(&spec.salt).map_or(true, |s| s.len() < 8) {
                return invalid(format!(
                    "parcel {} has unusable KDF parameters",
                    p.parcel_id
                ));
            }
            let has_v = spec.verifier.is_some();
            if has_v != (p.policy == CodePolicy::OfflineAllowed) {
                return invalid(format!(
                    "parcel {}: verifier presence does not match its policy",
                    p.parcel_id
                ));
            }
        }
    }
    Ok(())
}

/// How a new manifest changes the parcels already held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestChanges {
    /// Parcels new to this device.
    pub added: Vec<String>,
    /// Parcels already held whose details were updated.
    pub updated: Vec<String>,
    /// Parcels now withdrawn.
    pub withdrawn: Vec<String>,
    /// Withdrawn by the server (for the first time) after their outcome was
    /// final here (delivered, or returned to the depot): the server must settle.
    pub withdrawn_after_outcome: Vec<SettledHere>,
    /// Parcels the manifest lists again, not withdrawn, that this device had
    /// withdrawn: they stay withdrawn (a withdrawal is final on the device).
    pub still_withdrawn: Vec<String>,
    /// Parcels held here that the new manifest no longer lists (kept as they are).
    pub missing: Vec<String>,
}

/// A parcel whose outcome is final on this device, named for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledHere {
    /// The server's parcel id (for the log).
    pub parcel_id: String,
    /// Its label, as printed on the parcel.
    pub label: String,
    /// Its final state here.
    pub state: ParcelState,
}

impl SettledHere {
    /// What happened to it here, in words: `delivered`, `returned to the depot`.
    pub fn outcome_text(&self) -> &'static str {
        match self.state {
            ParcelState::Delivered => "delivered",
            ParcelState::ReturnedToDepot => "returned to the depot",
            _ => "settled",
        }
    }
}

/// Plans the change from the parcels held to a new manifest body.
pub fn plan_changes(held: &[Parcel], body: &ManifestBody) -> ManifestChanges {
    let by_id: HashMap<&str, &Parcel> = held
        .iter()
        .map(|p| (p.spec.parcel_id.as_str(), p))
        .collect();
    let mut changes = ManifestChanges::default();
    for p in &body.parcels {
        match by_id.get(p.parcel_id.as_str()) {
            None if p.withdrawn => changes.withdrawn.push(p.parcel_id.clone()),
            None => changes.added.push(p.parcel_id.clone()),
            // Already told: the previous manifest withdrew it too.
            Some(old) if p.withdrawn && old.spec.withdrawn => {}
            Some(old) if p.withdrawn && old.state != ParcelState::Withdrawn => {
                match old.withdrawn().state {
                    ParcelState::Withdrawn => changes.withdrawn.push(p.parcel_id.clone()),
                    state => changes.withdrawn_after_outcome.push(SettledHere {
                        parcel_id: p.parcel_id.clone(),
                        label: old.spec.label.clone(),
                        state,
                    }),
                }
            }
            Some(old) if !p.withdrawn && old.state == ParcelState::Withdrawn => {
                if old.spec.withdrawn {
                    changes.still_withdrawn.push(old.spec.label.clone());
                }
            }
            Some(old) if old.spec != *p => changes.updated.push(p.parcel_id.clone()),
            Some(_) => {}
        }
    }
    let listed: BTreeSet<&str> = body.parcels.iter().map(|p| p.parcel_id.as_str()).collect();
    changes.missing = held
        .iter()
        .filter(|p| !listed.contains(p.spec.parcel_id.as_str()))
        .map(|p| p.spec.parcel_id.clone())
        .collect();
    changes
}
