//! A stop desk (relay point) on a manifest (`parcels[].desk`): which desk's
//! terminal takes a parcel in custody from the courier, how long it holds it
//! for the buyer, and whether this manifest's device is that desk. Plain
//! data; the rules that use it are `rules::desk`.

use serde::{Deserialize, Serialize};

/// Days a desk holds a parcel for the buyer when the manifest says nothing.
pub const DEFAULT_HOLDING_DAYS: u32 = 5;

/// One day, in milliseconds.
const DAY_MS: i64 = 86_400_000;

fn default_holding_days() -> u32 {
    DEFAULT_HOLDING_DAYS
}

/// The stop desk a parcel goes to instead of the buyer's door.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskStop {
    /// The desk's terminal (its enrolled device id): the courier's handover
    /// names it, and only its intake discharges the courier.
    pub device_id: String,
    /// Days the desk holds the parcel for the buyer after its intake; after
    /// them it goes back as a return, the buyer liable (default 5).
    #[serde(default = "default_holding_days")]
    pub holding_days: u32,
    /// This manifest's device is the desk itself (it takes the parcel in
    /// and hands it to the buyer); false on the courier's manifest.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held_here: bool,
}

impl DeskStop {
    /// The holding period in milliseconds.
    pub fn holding_ms(&self) -> i64 {
        i64::from(self.holding_days).saturating_mul(DAY_MS)
    }
}
