//! The one set of doorstep rules, applied by the terminal when it records and
//! by the escrow server when it ingests: the parcel state machine, the
//! outcome → reason → liability table, attempt limits and corrections; and the
//! depot's: the morning load check, the day's returns from the log, fee
//! changes, the day close; stop desks (the handover to a desk, its counter,
//! the holding period); and the back office's: operators' roles, claims
//! and cancellations.
//!
//! Pure code: no I/O, no clock, no randomness.

pub mod apply;
pub mod claim;
pub mod correction;
pub mod day_close;
pub mod day_report;
pub mod desk;
pub mod draft;
pub mod fees;
pub mod ledger;
pub mod load_check;
pub mod operator_role;
pub mod order_at_door;
pub mod outcome_rules;
pub mod parcel;
pub mod photo_rule;
pub mod refusal;
pub mod returns;
pub mod violation;

pub use apply::{Corrected, EventContext};
pub use correction::{check_correction, check_correction_authority};
pub use day_close::{
    DayCloseDifference, DayCloseRecord, DayStatus, DayTotals, check_day_close, check_late_delivery,
};
pub use draft::EventDraft;
pub use fees::{FeeChangeSubject, check_fee_change, check_fee_confirmation};
pub use ledger::{CounterEffect, ParcelLedger};
pub use load_check::{LoadBook, LoadCheckDifference, LoadTotals, LoadVerdict, check_load_check};
pub use operator_role::{DepotScope, OperatorRole};
pub use order_at_door::{
    OrderAtDoor, PARCEL_REFUSALS, RefusedParcel, check_door_scan, check_handover,
    check_order_ready, check_parcel_refusal, handover_due,
};
pub use outcome_rules::{
    check_attempt, check_liability, check_reason, code_check_step, record_outcome_step,
};
pub use photo_rule::{check_photos, photo_case};
pub use returns::{DayBook, ReturnItem, ReturnLine, ScanVerdict, UnexpectedWhy};
pub use violation::{RuleViolation, SupervisorViolation};
