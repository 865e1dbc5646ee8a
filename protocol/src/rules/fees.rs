//! Who pays a return's fees, and the four-eyes change of it: a reason, the
//! courier's confirmation, then the supervisor's proof, recorded as a new
//! `fee_changed` event pointing to the outcome event (never an edit).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::envelope::EventBody;
use crate::keys::sha256;
use crate::vocabulary::{Liability, Outcome};

use super::refusal::Refusal;

/// What the courier confirms and the supervisor then signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeChangeSubject {
    /// The parcel.
    pub parcel_id: String,
    /// The outcome event whose liability is re-assigned.
    pub outcome_event_id: String,
    /// The new payer.
    pub payer: Liability,
    /// Why (free text, required).
    pub note: String,
}

impl FeeChangeSubject {
    /// `SHA-256(canonical(subject))`, lower-case hex: what the courier's
    /// `courier_confirmed` event carries as `detail.digest`.
    pub fn digest(&self) -> Result<String, ProtocolError> {
        Ok(hex::encode(sha256(&to_canonical_bytes(self)?)))
    }
}

/// Whether the fees of a return whose outcome is `outcome` and whose payer
/// is `current` may change to `new` with `note`.
pub fn check_fee_change(
    outcome: Option<Outcome>,
    current: Liability,
    new: Liability,
    note: &str,
) -> Result<(), Refusal> {
    let bad = |m: &str| Err(Refusal::BadFeeChange(m.to_owned()));
    match outcome {
        None => return bad("only a return with a recorded outcome has fees to re-assign"),
        Some(Outcome::Delivered) => return bad("a delivered parcel has no return fees"),
        Some(_) => {}
    }
    if new == Liability::None {
        return bad("a return's fees are paid by someone: choose buyer, seller, carrier or policy");
    }
    if new == current {
        return bad("this party already pays these fees");
    }
    if note.trim().is_empty() {
        return bad("a fee change needs a reason");
    }
    Ok(())
}

/// The courier's side of four eyes on a `fee_changed` event: it names
/// (`detail.courier_confirmation`) an unused `courier_confirmed` event of the
/// same parcel, among `unused` (event id → its `detail.digest`), whose digest
/// is that of exactly this change (parcel, outcome event, payer, note).
/// Returns the confirmation's id, which the change uses up.
pub fn check_fee_confirmation(
    fee_changed: &EventBody,
    unused: &BTreeMap<String, String>,
) -> Result<String, Refusal> {
    let subject = FeeChangeSubject {
        parcel_id: fee_changed.parcel_id.clone().unwrap_or_default(),
        outcome_event_id: fee_changed.corrects.clone().unwrap_or_default(),
        payer: fee_changed.liability.unwrap_or(Liability::None),
        note: fee_changed
            .detail
            .get("note")
            .map(|n| n.trim().to_owned())
            .unwrap_or_default(),
    };
    let digest = subject
        .digest()
        .map_err(|_| Refusal::CourierConfirmationRequired)?;
    let id = fee_changed
        .detail
        .get("courier_confirmation")
        .ok_or(Refusal::CourierConfirmationRequired)?;
    match unused.get(id) {
        Some(d) if *d == digest => Ok(id.clone()),
        _ => Err(Refusal::CourierConfirmationRequired),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_needs_an_outcome_a_new_payer_and_a_reason() {
        let ok = check_fee_change(
            Some(Outcome::NoAnswer),
            Liability::Buyer,
            Liability::Carrier,
            "courier arrived after the slot",
        );
        assert!(ok.is_ok());
        for (o, cur, new, note) in [
            (None, Liability::Carrier, Liability::Seller, "x"),
            (
                Some(Outcome::Delivered),
                Liability::None,
                Liability::Seller,
                "x",
            ),
            (
                Some(Outcome::NoAnswer),
                Liability::Buyer,
                Liability::Buyer,
                "x",
            ),
            (
                Some(Outcome::NoAnswer),
                Liability::Buyer,
                Liability::None,
                "x",
            ),
            (
                Some(Outcome::NoAnswer),
                Liability::Buyer,
                Liability::Seller,
                "  ",
            ),
        ] {
            assert!(check_fee_change(o, cur, new, note).is_err());
        }
    }
}
