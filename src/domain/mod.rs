//! The pure heart of the terminal: no I/O, no clock reads, no randomness.
//!
//! Time, position, ids and keys come in as arguments, so every rule here is
//! tested with pinned inputs.

pub mod code_check;
pub mod day_counts;
pub mod digits;
pub mod event_draft;
pub mod identity;
pub mod manifest_acceptance;
pub mod no_answer;
pub mod parcel;
pub mod parcel_scan;
pub mod position;
pub mod refusal;
pub mod trusted_clock;
