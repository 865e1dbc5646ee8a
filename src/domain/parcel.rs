//! A parcel of the day and the only legal moves of its state.
//!
//! The rules live in `courier_protocol::rules` so that the escrow server
//! re-checks every uploaded event with the very same code; this module keeps
//! the terminal's paths (`crate::domain::parcel::...`) unchanged.

pub use courier_protocol::rules::parcel::{
    Action, ContactLog, DisplayState, Parcel, ParcelState, Visit, is_locked, retryable,
};

#[cfg(test)]
pub(crate) mod tests {
    use courier_protocol::manifest::{
        Address, CodeMaterial, ManifestParcel, Recipient, VerifierSpec,
    };
    use courier_protocol::vocabulary::{CodePolicy, ParcelKind};

    /// A plain delivery parcel with the given attempt limit.
    pub(crate) fn spec(limit: u32) -> ManifestParcel {
        ManifestParcel {
            parcel_id: "P1".into(),
            label: "L1".into(),
            order_ref: "O1".into(),
            kind: ParcelKind::Delivery,
            route_order: 1,
            recipient: Recipient {
                name: "A".into(),
                phone: "0".into(),
            },
            address: Address {
                text: "x".into(),
                city: "Alger".into(),
                lat_e7: None,
                lon_e7: None,
            },
            instructions: None,
            amount_minor: 100,
            currency: "DZD".into(),
            collect: None,
            policy: CodePolicy::OfflineAllowed,
            attempt_limit: limit,
            code: CodeMaterial {
                digits: 6,
                numeric: VerifierSpec {
                    salt: "00".into(),
                    iterations: 1,
                    verifier: None,
                },
                qr: None,
            },
            withdrawn: false,
        }
    }
}
