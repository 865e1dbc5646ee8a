//! An order of several parcels under one code: the manifest lists every
//! parcel of the order with its amount, and the signed delivery names the
//! parcels handed over and the amount released (wire types only; the rules
//! are `rules::order_at_door`).

use serde::{Deserialize, Serialize};

/// One parcel of an order of several parcels, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderParcel {
    /// Barcode on this parcel's label (unique in the manifest).
    pub label: String,
    /// This parcel's share of the order's amount, minor units.
    pub amount_minor: i64,
    /// What it holds, as the buyer will recognise it (absent: nothing said).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a delivery of an order of several parcels hands over: exactly the
/// parcels the buyer accepted, and the amount the escrow releases for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// Labels handed over, in the manifest's order.
    pub labels: Vec<String>,
    /// The sum of their amounts, minor units: what the escrow releases.
    pub amount_minor: i64,
}
