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
    /// A plain delivery parcel with the given attempt limit (the shared fixture).
    pub(crate) use courier_test_support::parcel_spec as spec;
}
