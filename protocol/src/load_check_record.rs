//! What a `load_checked` event carries on the wire (`body.load`): the morning
//! load check in numbers and labels, and the courier's confirmation it
//! stands on. Plain data, apart from the rules that compute and check it
//! (`rules::load_check`), so the envelope can embed it without depending on
//! the rules.

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::keys::sha256;

/// The load check in numbers and labels, as
/// [`crate::rules::load_check::LoadBook::totals`] computes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadTotals {
    /// Parcels the manifest asks to load (not withdrawn, not ended).
    pub to_load: u32,
    /// Of those, scanned into the vehicle.
    pub loaded: u32,
    /// Labels to load and not scanned, sorted: they stay at the depot.
    pub missing: Vec<String>,
    /// Labels scanned that must not be loaded (the alarms), sorted.
    pub alarms: Vec<String>,
}

impl LoadTotals {
    /// The digest the courier's confirmation carries:
    /// `SHA-256(canonical(totals))`, lower-case hex.
    pub fn digest(&self) -> Result<String, ProtocolError> {
        Ok(hex::encode(sha256(&to_canonical_bytes(self)?)))
    }
}

/// What a `load_checked` event carries (`body.load`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadCheckRecord {
    /// The load check's totals.
    pub totals: LoadTotals,
    /// The courier's `courier_confirmed` event (subject `load_check`) for
    /// these totals: the courier stands behind them, the supervisor signs.
    pub courier_confirmation: String,
}
