//! The verifier material of one secret (a buyer's code form, a supervisor's
//! badge or PIN): salt, iterations and `V`. Shared by the manifest and the
//! supervisor credentials, so neither depends on the other for it.

use serde::{Deserialize, Serialize};

/// Verifier material for one form of the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierSpec {
    /// Per-parcel salt, hex.
    pub salt: String,
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// `V = HMAC(K, "verify")`, hex; absent for online-only parcels.
    pub verifier: Option<String>,
}
