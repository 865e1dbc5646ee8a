//! The shared vocabulary: parcel kinds, policies, outcomes, reasons and liability.
//!
//! All enums serialise as `snake_case` strings; those strings are part of the
//! protocol and never change meaning.

use serde::{Deserialize, Serialize};

/// What the courier does with a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParcelKind {
    /// Hand over an item.
    Delivery,
    /// Hand over the new item and collect the old one.
    Exchange,
    /// Collect an item from the buyer.
    Pickup,
}

/// How the buyer's code may be checked; chosen by the server per parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePolicy {
    /// The terminal may verify against the manifest's verifier.
    OfflineAllowed,
    /// Only the server may verify (the manifest carries no verifier).
    OnlineOnly,
}

/// The one recorded result of a delivery attempt (design brief, section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Correct code after inspection: the money goes to the seller.
    Delivered,
    /// The buyer inspected the parcel and declined it for a product reason.
    RefusedAfterInspection,
    /// The buyer declined at the door without a product reason.
    BuyerCancelled,
    /// Nobody answered after the wait and the contact attempts.
    NoAnswer,
    /// The buyer could not give a valid code, or the parcel locked.
    NoCode,
    /// The carrier could not deliver (address, damage in transit, vehicle...).
    CarrierProblem,
}

impl Outcome {
    /// Every outcome, in the order the screens list them.
    pub const ALL: [Outcome; 6] = [
        Outcome::Delivered,
        Outcome::RefusedAfterInspection,
        Outcome::BuyerCancelled,
        Outcome::NoAnswer,
        Outcome::NoCode,
        Outcome::CarrierProblem,
    ];

    /// Who pays the return fees for this outcome.
    pub fn liability(self) -> Liability {
        match self {
            Outcome::Delivered => Liability::None,
            Outcome::RefusedAfterInspection => Liability::Seller,
            Outcome::BuyerCancelled | Outcome::NoAnswer => Liability::Buyer,
            Outcome::NoCode => Liability::PerPolicy,
            Outcome::CarrierProblem => Liability::Carrier,
        }
    }

    /// The reasons a courier may give for this outcome (empty: no reason taken).
    pub fn reasons(self) -> &'static [Reason] {
        use Reason::*;
        match self {
            Outcome::Delivered => &[],
            Outcome::RefusedAfterInspection => &[Damaged, NotAsDescribed, WrongItem, Other],
            Outcome::BuyerCancelled => &[ChangedMind, Other],
            Outcome::NoAnswer => &[Absent],
            Outcome::NoCode => &[CodeUnknown, AttemptsExhausted, NeedsNetwork],
            Outcome::CarrierProblem => &[AddressNotFound, DamagedInTransit, Vehicle, Other],
        }
    }

    /// Protocol string of this outcome.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::RefusedAfterInspection => "refused_after_inspection",
            Outcome::BuyerCancelled => "buyer_cancelled",
            Outcome::NoAnswer => "no_answer",
            Outcome::NoCode => "no_code",
            Outcome::CarrierProblem => "carrier_problem",
        }
    }

    /// Parses a protocol string.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// Why an outcome happened; each outcome admits only some reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Product damaged.
    Damaged,
    /// Product not as described.
    NotAsDescribed,
    /// Wrong item in the parcel.
    WrongItem,
    /// Buyer changed their mind.
    ChangedMind,
    /// Nobody at the address.
    Absent,
    /// Buyer does not have the code.
    CodeUnknown,
    /// The wrong-code limit was reached.
    AttemptsExhausted,
    /// Online-only parcel and no network to verify.
    NeedsNetwork,
    /// Address not found.
    AddressNotFound,
    /// Parcel damaged in transit (carrier's fault).
    DamagedInTransit,
    /// Vehicle problem.
    Vehicle,
    /// Anything else (the courier adds a note).
    Other,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 12] = [
        Reason::Damaged,
        Reason::NotAsDescribed,
        Reason::WrongItem,
        Reason::ChangedMind,
        Reason::Absent,
        Reason::CodeUnknown,
        Reason::AttemptsExhausted,
        Reason::NeedsNetwork,
        Reason::AddressNotFound,
        Reason::DamagedInTransit,
        Reason::Vehicle,
        Reason::Other,
    ];

    /// Protocol string of this reason.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Damaged => "damaged",
            Reason::NotAsDescribed => "not_as_described",
            Reason::WrongItem => "wrong_item",
            Reason::ChangedMind => "changed_mind",
            Reason::Absent => "absent",
            Reason::CodeUnknown => "code_unknown",
            Reason::AttemptsExhausted => "attempts_exhausted",
            Reason::NeedsNetwork => "needs_network",
            Reason::AddressNotFound => "address_not_found",
            Reason::DamagedInTransit => "damaged_in_transit",
            Reason::Vehicle => "vehicle",
            Reason::Other => "other",
        }
    }

    /// Parses a protocol string.
    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Who pays the return fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liability {
    /// Nobody: the parcel was handed over.
    None,
    /// The buyer (no answer, cancelled at the door).
    Buyer,
    /// The seller (refused after inspection).
    Seller,
    /// The carrier (its own problem).
    Carrier,
    /// Decided by the server's return policy (re-attempt or return).
    PerPolicy,
}

/// What kind of event an envelope records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A signed manifest was accepted.
    ManifestAccepted,
    /// The courier is at the address.
    Arrived,
    /// The courier offered the buyer to inspect the parcel.
    InspectionOffered,
    /// The courier tried to reach the buyer (call, message, doorbell).
    ContactAttempt,
    /// A code was entered and did not release the parcel.
    CodeAttempt,
    /// An item was collected (exchange or pick-up).
    ItemCollected,
    /// The attempt's one outcome.
    Outcome,
    /// A correction of an earlier event (never an edit).
    Correction,
    /// A parcel was checked back in at the depot.
    ReturnCheckIn,
    /// The depot supervisor closed the day.
    DayClosed,
    /// A depot supervisor proved presence on the device (badge or PIN).
    SupervisorSignedIn,
    /// An item collected on an exchange or pick-up was received at the depot.
    ItemReceived,
    /// A scanned return that was not expected: not in the manifest, recorded
    /// as delivered, or never collected (an alarm).
    UnexpectedReturn,
    /// The condition of a received return, recorded again after its scan.
    ReturnCondition,
    /// The courier confirmed on the device what the supervisor then signs
    /// (a fee change, the day close): the first pair of eyes.
    CourierConfirmed,
    /// Who pays a return's fees was changed, pointing to the outcome it
    /// re-assigns (never an edit): the second pair of eyes.
    FeeChanged,
    /// The supervisor reopened a closed day (a late handover of a parcel the
    /// close listed as missing follows).
    DayReopened,
    /// A parcel was scanned into the vehicle at the morning load check
    /// (with the supervisor): it left the depot.
    ParcelLoaded,
    /// A label scanned at the load check that must not be loaded: not on
    /// today's manifest, withdrawn, or already ended (an alarm).
    LoadAlarm,
    /// The end of the morning load check: the signed `loaded` record (counts,
    /// missing labels), confirmed by the courier, signed with the supervisor.
    LoadChecked,
    /// A parcel of an order of several parcels was scanned (or its label
    /// typed) at the door: only a parcel scanned may be handed over.
    OrderParcelScanned,
    /// The buyer inspected a parcel of an order of several parcels and
    /// refused it (outcome, reason and liability as for an order's refusal):
    /// it goes back to the depot, the others may still be accepted.
    OrderParcelRefused,
    /// The courier handed a parcel to its stop desk (`detail.desk_device`):
    /// the desk's matching intake discharges him.
    DeskHandover,
    /// The stop desk took a parcel in from the courier (`detail.courier_device`,
    /// and when scanned from the courier's screen `detail.handover_event`,
    /// `detail.handover_hash`): it holds it for the buyer.
    DeskIntake,
}

impl EventKind {
    /// Kinds only a signed-in depot supervisor records: each carries the
    /// supervisor's proof bound to the event, which the server re-checks.
    pub fn needs_supervisor(self) -> bool {
        matches!(
            self,
            EventKind::DayClosed
                | EventKind::ReturnCheckIn
                | EventKind::SupervisorSignedIn
                | EventKind::ItemReceived
                | EventKind::UnexpectedReturn
                | EventKind::ReturnCondition
                | EventKind::FeeChanged
                | EventKind::DayReopened
                | EventKind::ParcelLoaded
                | EventKind::LoadAlarm
                | EventKind::LoadChecked
        )
    }
}

/// The state of a return when the depot takes it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// As it left.
    Intact,
    /// Damaged (a reason is required).
    Damaged,
    /// Opened (a reason is required).
    Opened,
}

impl Condition {
    /// Every condition, in the order the screens list them.
    pub const ALL: [Condition; 3] = [Condition::Intact, Condition::Damaged, Condition::Opened];

    /// Protocol string.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Intact => "intact",
            Condition::Damaged => "damaged",
            Condition::Opened => "opened",
        }
    }

    /// Parses a protocol string.
    pub fn parse(s: &str) -> Option<Condition> {
        Condition::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// How a depot supervisor proved presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisorFactor {
    /// The badge QR (128 random bits).
    Badge,
    /// The supervisor's PIN.
    Pin,
}

impl Liability {
    /// Protocol string.
    pub fn as_str(self) -> &'static str {
        match self {
            Liability::None => "none",
            Liability::Buyer => "buyer",
            Liability::Seller => "seller",
            Liability::Carrier => "carrier",
            Liability::PerPolicy => "per_policy",
        }
    }

    /// Parses a protocol string.
    pub fn parse(s: &str) -> Option<Liability> {
        [
            Liability::None,
            Liability::Buyer,
            Liability::Seller,
            Liability::Carrier,
            Liability::PerPolicy,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

/// How the code reached the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryMode {
    /// Typed on the keypad.
    Keypad,
    /// Scanned from the buyer's QR.
    Qr,
}

/// Where the code was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckMode {
    /// Against the manifest's verifier, on the device.
    Offline,
    /// By the escrow server.
    Online,
}

/// The result of one code check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    /// The code matched.
    Match,
    /// The code did not match.
    Mismatch,
    /// The parcel is locked; the code was not checked.
    Locked,
    /// The parcel needs the server, which could not be reached.
    Unreachable,
    /// The try was spent, then the terminal stopped (power cut, crash) before
    /// the answer was recorded: recorded at the next start, so the log counts
    /// every spent try. The code's result is unknown and nothing was handed over.
    Interrupted,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liability_follows_the_brief() {
        assert_eq!(Outcome::Delivered.liability(), Liability::None);
        assert_eq!(
            Outcome::RefusedAfterInspection.liability(),
            Liability::Seller
        );
        assert_eq!(Outcome::BuyerCancelled.liability(), Liability::Buyer);
        assert_eq!(Outcome::NoAnswer.liability(), Liability::Buyer);
        assert_eq!(Outcome::CarrierProblem.liability(), Liability::Carrier);
    }

    #[test]
    fn strings_round_trip_and_match_serde() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
            assert_eq!(
                serde_json::to_string(&o).expect("json"),
                format!("\"{}\"", o.as_str())
            );
        }
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).expect("json"),
                format!("\"{}\"", r.as_str())
            );
        }
    }
}
