//! What a `day_closed` event carries on the wire (`body.day`): the day's
//! totals and the head of the chain the close stands on. Plain data, apart
//! from the rules that compute and check it (`rules::day_close`), so the event
//! envelope can embed it without depending on the rules.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::keys::sha256;
use crate::vocabulary::Liability;

/// The day in numbers and labels, as [`crate::rules::returns::DayBook::totals`] computes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTotals {
    /// Parcels of the day.
    pub parcels: u32,
    /// Delivered this day.
    pub delivered: u32,
    /// Returns expected back (parcels and collected items).
    pub expected: u32,
    /// Expected returns received.
    pub received: u32,
    /// Labels expected and not received, sorted.
    pub missing: Vec<String>,
    /// Labels scanned and not expected, sorted.
    pub unexpected: Vec<String>,
    /// Fee changes recorded this day.
    pub fee_changes: u32,
    /// Who pays each expected return's fees, by label (after corrections
    /// and fee changes): a change of payer changes the totals.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub payers: BTreeMap<String, Liability>,
}

impl DayTotals {
    /// The digest the courier's confirmation carries:
    /// `SHA-256(canonical(totals))`, lower-case hex.
    pub fn digest(&self) -> Result<String, ProtocolError> {
        Ok(hex::encode(sha256(&to_canonical_bytes(self)?)))
    }
}

/// What a `day_closed` event carries (`body.day`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCloseRecord {
    /// The day's totals.
    pub totals: DayTotals,
    /// Sequence number of the head of the chain the close stands on (its `seq - 1`).
    pub head_seq: u64,
    /// Hash of that head (its `prev_hash`).
    pub head_hash: String,
    /// The courier's `courier_confirmed` event for these totals.
    pub courier_confirmation: String,
    /// Closed while returns were missing.
    pub forced: bool,
    /// The supervisor's reason for forcing (required when forced): the signed discrepancy.
    pub force_reason: Option<String>,
}
