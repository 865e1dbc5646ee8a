//! Why the terminal refuses a doorstep action, in words the courier can act on.

use crate::photo_policy::PhotoCase;
use crate::vocabulary::{Outcome, Reason};
use thiserror::Error;

/// A doorstep action the rules do not allow, with what to do instead.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum Refusal {
    /// The parcel is already delivered; nothing more can happen to it.
    #[error("this parcel is already delivered; nothing more to do")]
    AlreadyDelivered,
    /// The parcel was withdrawn by the server.
    #[error(
        "this parcel was withdrawn (cancelled before dispatch): do not deliver, return it to the depot"
    )]
    Withdrawn,
    /// The parcel is back at the depot.
    #[error("this parcel was checked back in at the depot")]
    ReturnedToDepot,
    /// Too many wrong codes.
    #[error("locked: too many wrong codes ({limit}); do not hand over, record \"no code\"")]
    Locked {
        /// The attempt limit.
        limit: u32,
    },
    /// The step needs the courier to have marked arrival first.
    #[error("mark your arrival at the address first")]
    NotArrived,
    /// Arrival was already recorded for this visit.
    #[error("arrival already recorded for this visit")]
    AlreadyArrived,
    /// The outcome is final for the day.
    #[error("this parcel already ended as {}; it goes back to the depot", .0.as_str())]
    Final(Outcome),
    /// The scanned QR belongs to another order.
    #[error("this QR is for order {scanned}, not for this parcel ({expected})")]
    QrForOtherOrder {
        /// Order in the QR.
        scanned: String,
        /// Order of the parcel.
        expected: String,
    },
    /// The parcel has no QR verifier.
    #[error("this parcel has no QR code; type the numeric code")]
    NoQrForm,
    /// "Delivered" can only come from a correct code.
    #[error("\"delivered\" is recorded only by entering the buyer's correct code")]
    DeliveredNeedsCode,
    /// The reason does not fit the outcome.
    #[error(
        "{} does not apply to the outcome {}; choose one of: {}",
        .reason.map_or("no reason".to_owned(), |r| format!("the reason {}", r.as_str())),
        .outcome.as_str(),
        .allowed.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
    )]
    ReasonNotAllowed {
        /// Outcome chosen.
        outcome: Outcome,
        /// Reason given.
        reason: Option<Reason>,
        /// Reasons allowed.
        allowed: Vec<Reason>,
    },
    /// "No answer" needs a position fix and there is none.
    #[error("no answer needs your position at the address: wait for a GNSS fix")]
    NoAnswerNeedsFix,
    /// "No answer" away from the address.
    #[error("you are {distance_m} m from the address; \"no answer\" needs you within {radius_m} m")]
    NoAnswerTooFar {
        /// Distance from the address.
        distance_m: u32,
        /// Allowed radius.
        radius_m: u32,
    },
    /// "No answer" before the wait is over.
    #[error("wait {remaining_s} s more at the door before recording \"no answer\"")]
    NoAnswerWaitNotOver {
        /// Seconds still to wait.
        remaining_s: u32,
    },
    /// "No answer" before enough contact attempts.
    #[error("try to reach the buyer first: {done} of {needed} contact attempts logged")]
    NoAnswerNeedsContacts {
        /// Attempts logged.
        done: u32,
        /// Attempts needed.
        needed: u32,
    },
    /// Collecting an item on a plain delivery.
    #[error("nothing to collect for this parcel")]
    NothingToCollect,
    /// The collected item's label is not the expected one.
    #[error("this is not the item to collect: expected label {expected}, scanned {scanned}")]
    WrongCollectedItem {
        /// Label expected.
        expected: String,
        /// Label scanned.
        scanned: String,
    },
    /// Exchange or pick-up: the item must be collected before the code.
    #[error("scan the item you collect from the buyer first")]
    CollectFirst,
    /// "Refused after inspection" needs the inspection step first.
    #[error(
        "offer the buyer to inspect the parcel first: a refusal after inspection makes the seller pay"
    )]
    InspectFirst,
    /// The day cannot close while parcels are unaccounted for.
    #[error(
        "cannot close the day: {missing} parcel(s) not checked back in and {pending} never attempted; check them in, or close with --force to record the discrepancy"
    )]
    DayNotReconciled {
        /// Failed or withdrawn parcels not checked in.
        missing: usize,
        /// Parcels never ended.
        pending: usize,
    },
    /// A correction that is not allowed.
    #[error("cannot correct this event: {0}")]
    BadCorrection(String),
    /// A fee change that is not allowed.
    #[error("cannot change who pays this return: {0}")]
    BadFeeChange(String),
    /// The supervisor's step needs the courier's confirmation first (four eyes).
    #[error(
        "the courier has not confirmed this yet: the courier confirms it on the device first, then the supervisor"
    )]
    CourierConfirmationRequired,
    /// The courier confirmed other figures than the ones now on the device
    /// (a scan, an outcome or a change came after the confirmation).
    #[error(
        "the courier confirmed other figures than these (a different change, or something was recorded after the confirmation): the courier confirms these figures on the device, then the supervisor"
    )]
    ConfirmationOutdated,
    /// The day is already closed and nothing was recorded for a new one.
    #[error(
        "the day is already closed and signed; nothing was recorded since, so there is nothing to close"
    )]
    DayAlreadyClosed,
    /// Returns are still missing and the close was not forced.
    #[error(
        "cannot close the day: {missing} missing (expected back, not scanned in); scan them in, or force the close with a reason (`depot close --force-reason TEXT`, a signed discrepancy)"
    )]
    ReturnsUnaccounted {
        /// Expected returns not received.
        missing: usize,
    },
    /// Forcing the close needs a reason.
    #[error("forcing the close needs a reason: it is recorded as a signed discrepancy")]
    ForceNeedsReason,
    /// A damaged or opened return needs a reason.
    #[error("a damaged or opened return needs a note saying what is wrong")]
    ConditionNeedsReason,
    /// After the return was scanned in or the day closed, changing an
    /// outcome (who pays) needs the supervisor.
    #[error(
        "this return was already scanned in at the depot or the day closed: changing its outcome needs the depot supervisor signed in"
    )]
    SupervisorRequired,
    /// The day was closed with this parcel missing: a late handover needs
    /// the supervisor to reopen the day first.
    #[error(
        "the day was closed with parcel {label} missing: the depot supervisor must reopen the day before it is handed over"
    )]
    DayClosedMissing {
        /// The parcel's label.
        label: String,
    },
    /// The label is not a received return (for a condition change).
    #[error("this label is not a return received today: scan it in first")]
    NotReceived,
    /// The manifest asks for the morning load check and this parcel was not
    /// scanned into the vehicle: it never left the depot.
    #[error(
        "parcel {label} was not scanned into the vehicle at the morning load check: it cannot be delivered until the supervisor scans it in"
    )]
    NotLoaded {
        /// The parcel's label.
        label: String,
    },
    /// The manifest's photo policy requires photos this event lacks.
    #[error(
        "{} needs {required} photo(s) and {taken} were taken: take the photos with the camera, then record it",
        .case.as_str()
    )]
    PhotoRequired {
        /// The case the policy names.
        case: PhotoCase,
        /// Photos required.
        required: u8,
        /// Photos the event carries.
        taken: u8,
    },
    /// A parcel of an order of several parcels was not scanned at the door:
    /// it cannot be handed over, and the code waits until every parcel is.
    #[error(
        "parcel {label} of this order is not scanned yet: scan (or type) every parcel of the order before the code"
    )]
    OrderParcelNotScanned {
        /// The parcel's label.
        label: String,
    },
    /// The scanned label is not a parcel of this order.
    #[error("parcel {label} is not part of order {order_ref}: scan a parcel of this order")]
    NotInOrder {
        /// The label scanned or typed.
        label: String,
        /// The order at the door.
        order_ref: String,
    },
    /// The buyer refused every parcel of the order: nothing to hand over.
    #[error(
        "every parcel of this order is refused: nothing to hand over, no code; record the order's refusal"
    )]
    OrderAllRefused,
    /// The parcel goes to a stop desk: the courier hands it over there, it
    /// is not delivered at the door.
    #[error(
        "parcel {label} goes to a stop desk: hand it over at the desk, it is not delivered at the door"
    )]
    DeskStopParcel {
        /// The parcel's label.
        label: String,
    },
    /// The courier handed the parcel to its stop desk: the desk has it now.
    #[error("parcel {label} was handed over to the stop desk: the desk has it now")]
    HandedToDesk {
        /// The parcel's label.
        label: String,
    },
    /// The parcel is not routed to a stop desk (or this device is the desk).
    #[error("parcel {label} does not go to a stop desk: deliver it at the door")]
    NoDeskStop {
        /// The parcel's label.
        label: String,
    },
    /// The handover names another desk than the manifest's.
    #[error("parcel {label} goes to another stop desk than this one")]
    WrongDesk {
        /// The parcel's label.
        label: String,
    },
    /// On the desk's terminal: the parcel is not one this desk receives.
    #[error("parcel {label} is not announced for this stop desk: do not take it in")]
    NotThisDesk {
        /// The parcel's label.
        label: String,
    },
    /// On the desk's terminal: not taken in from the courier yet.
    #[error("parcel {label} has not been taken in at this desk: scan the courier's handover first")]
    NotReceivedAtDesk {
        /// The parcel's label.
        label: String,
    },
    /// On the desk's terminal: taken in already.
    #[error("parcel {label} is already taken in at this desk")]
    AlreadyAtDesk {
        /// The parcel's label.
        label: String,
    },
    /// The desk's holding period is over: the parcel goes back as a return.
    #[error(
        "the holding period of parcel {label} is over: it goes back to the depot as a return, the buyer pays"
    )]
    HoldingOver {
        /// The parcel's label.
        label: String,
    },
    /// The desk's holding period is still running: the buyer may still come.
    #[error("parcel {label} is still within its holding period: the buyer may still collect it")]
    HoldingRunning {
        /// The parcel's label.
        label: String,
    },
    /// The desk's intake names a handover the server holds with another
    /// device or hash.
    #[error("the handover scanned is not the one the courier's terminal recorded")]
    HandoverMismatch,
}
