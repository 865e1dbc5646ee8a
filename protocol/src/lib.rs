//! Wire formats shared by the courier terminal and the escrow server.
//!
//! Everything here is pure (no I/O): canonical bytes, the signed event envelope,
//! the signed manifest, the buyer-code verifier shape and the issuing side that
//! creates codes and signs manifests, the doorstep rules both the terminal and
//! the server apply ([`rules`]), server checkpoints of device logs, and the one Merkle log of every
//! event with its C2SP checkpoints and proofs ([`merkle_log`], [`log_consistency`]). `docs/protocol.md` specifies the same bytes
//! for third parties; the test vectors there are checked by this crate's tests.

pub mod api;
pub mod back_office;
pub mod bounds;
pub mod canonical;
pub mod checkpoint;
pub mod code_verifier;
pub mod day_close_record;
pub mod day_report_csv;
pub mod day_report_words;
pub mod day_window;
pub mod desk_stop;
pub mod enrollment_qr;
pub mod envelope;
pub mod error;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod issuing;
pub mod keys;
pub mod load_check_record;
pub mod log_consistency;
pub mod manifest;
pub mod merkle_log;
pub mod order_parcels;
pub mod photo;
pub mod photo_policy;
pub mod profile;
pub mod request_signing;
pub mod rules;
pub mod signed_day_report;
pub mod signed_note;
pub mod strict_json;
pub mod supervisor;
pub mod supervisor_session;
pub mod transport;
pub mod verifier_spec;
pub mod vocabulary;

pub use error::ProtocolError;
