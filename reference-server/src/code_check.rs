//! The online code check: a pure plan and one transaction.
//!
//! The request is parsed into a [`CodeCheck`] (nonce and proof decoded); only
//! an online-only parcel is checked; in one transaction the store tells
//! whether the parcel is issued to the device now (its one holder) and spends one of its tries with a conditional update
//! (`attempts_spent < attempt_limit`, no read-then-write), so concurrent
//! guesses, on one process or several, never compare more codes than the
//! limit. [`decide`] then compares the proof (pure); a correct code gives its
//! own try back, and the check is logged before the commit.

use courier_protocol::api::{
    CodeCheckRequest, CodeFormWire, OnlineCheckResult, online_check_digest,
};
use courier_protocol::code_verifier::CodeKey;
use courier_protocol::keys::decode_lower_hex_array;
use courier_protocol::vocabulary::CodePolicy;
use thiserror::Error;

use crate::error::ServerError;
use crate::storage::Storage;
use crate::storage::transaction::{CodeCheckLog, TrySpend};

/// A code-check request, decoded.
#[derive(Debug, Clone)]
pub struct CodeCheck {
    /// The parcel.
    pub parcel_id: String,
    /// Which code form the proof was made with.
    pub form: CodeFormWire,
    /// The nonce as sent (hex), echoed in the answer and logged.
    pub nonce_hex: String,
    /// The nonce.
    pub nonce: [u8; 16],
    /// The proof over the nonce's digest.
    pub proof: [u8; 32],
}

/// Why a code-check request is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BadCodeCheck {
    /// The nonce is not 16 bytes of lower-case hex.
    #[error("nonce must be 32 lower-case hex characters (16 bytes)")]
    Nonce,
    /// The proof is not 32 bytes of lower-case hex.
    #[error("proof must be 64 lower-case hex characters (32 bytes)")]
    Proof,
}

impl CodeCheck {
    /// Decodes a request.
    pub fn parse(req: CodeCheckRequest) -> Result<CodeCheck, BadCodeCheck> {
        let nonce = decode_lower_hex_array(&req.nonce, "nonce").map_err(|_| BadCodeCheck::Nonce)?;
        let proof = decode_lower_hex_array(&req.proof, "proof").map_err(|_| BadCodeCheck::Proof)?;
        Ok(CodeCheck {
            parcel_id: req.parcel_id,
            form: req.form,
            nonce_hex: req.nonce,
            nonce,
            proof,
        })
    }

    /// Whether the proof verifies with the key of the form it names.
    pub fn matches(&self, numeric_key: &[u8; 32], qr_key: &[u8; 32]) -> bool {
        let key = CodeKey::from_bytes(match self.form {
            CodeFormWire::Numeric => *numeric_key,
            CodeFormWire::Qr => *qr_key,
        });
        key.verify_proof(&online_check_digest(&self.nonce), &self.proof)
    }
}

/// What the plan decides once a try was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// No such order: answered as a parcel not issued.
    NoOrder,
    /// No try left; nothing compared.
    Locked {
        /// Tries spent.
        attempts_spent: u32,
        /// The limit.
        attempt_limit: u32,
    },
    /// The try was spent on a wrong code.
    Mismatch {
        /// Tries spent, this one included.
        attempts_spent: u32,
        /// The limit.
        attempt_limit: u32,
    },
    /// The right code: its try is given back.
    Match {
        /// The limit.
        attempt_limit: u32,
    },
}

/// The pure rule: what a check comes to, given what spending a try found.
pub fn decide(check: &CodeCheck, spend: &TrySpend) -> Step {
    match *spend {
        TrySpend::NoOrder => Step::NoOrder,
        TrySpend::Locked {
            attempts_spent,
            attempt_limit,
        } => Step::Locked {
            attempts_spent,
            attempt_limit,
        },
        TrySpend::Spent {
            attempts_spent,
            attempt_limit,
            ref numeric_key,
            ref qr_key,
        } => {
            if check.matches(numeric_key, qr_key) {
                Step::Match { attempt_limit }
            } else {
                Step::Mismatch {
                    attempts_spent,
                    attempt_limit,
                }
            }
        }
    }
}

/// The answer of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The parcel is not issued to the device now (never, or given to
    /// another device since), or has no order.
    NotIssued,
    /// The parcel may be checked on the device (offline allowed): the server
    /// checks online-only parcels only, so its counter is not a free oracle.
    NotOnlineOnly,
    /// The check ran.
    Checked {
        /// Match, mismatch or locked.
        result: OnlineCheckResult,
        /// Tries spent after it.
        attempts_spent: u32,
        /// The limit.
        attempt_limit: u32,
    },
}

/// Runs a check for a device in one transaction.
pub async fn check_code(
    store: &dyn Storage,
    device_id: &str,
    check: &CodeCheck,
    now_ms: i64,
) -> Result<Verdict, ServerError> {
    // The policy of an order never changes: read outside the transaction.
    match store.order(&check.parcel_id).await? {
        None => return Ok(Verdict::NotIssued),
        Some(o) if o.spec.policy != CodePolicy::OnlineOnly => return Ok(Verdict::NotOnlineOnly),
        Some(_) => {}
    }
    let mut tx = store.begin_code_check().await?;
    if !tx.parcel_held_by(device_id, &check.parcel_id).await? {
        tx.commit().await?;
        return Ok(Verdict::NotIssued);
    }
    let spend = tx.spend_try(&check.parcel_id).await?;
    let (result, attempts_spent, attempt_limit) = match decide(check, &spend) {
        Step::NoOrder => {
            tx.commit().await?;
            return Ok(Verdict::NotIssued);
        }
        Step::Locked {
            attempts_spent,
            attempt_limit,
        } => (OnlineCheckResult::Locked, attempts_spent, attempt_limit),
        Step::Mismatch {
            attempts_spent,
            attempt_limit,
        } => (OnlineCheckResult::Mismatch, attempts_spent, attempt_limit),
        Step::Match { attempt_limit } => {
            let restored = tx.restore_try(&check.parcel_id).await?;
            (OnlineCheckResult::Match, restored, attempt_limit)
        }
    };
    let label = match result {
        OnlineCheckResult::Match => "match",
        OnlineCheckResult::Mismatch => "mismatch",
        OnlineCheckResult::Locked => "locked",
    };
    tx.log_code_check(&CodeCheckLog {
        device_id: device_id.to_owned(),
        parcel_id: check.parcel_id.clone(),
        nonce: check.nonce_hex.clone(),
        result: label,
        at_ms: now_ms,
    })
    .await?;
    tx.commit().await?;
    Ok(Verdict::Checked {
        result,
        attempts_spent,
        attempt_limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(key: &CodeKey) -> CodeCheck {
        let nonce = [3u8; 16];
        CodeCheck {
            parcel_id: "P-1".into(),
            form: CodeFormWire::Numeric,
            nonce_hex: hex::encode(nonce),
            nonce,
            proof: key.proof(&online_check_digest(&nonce)),
        }
    }

    #[test]
    fn a_spent_try_compares_and_a_locked_parcel_compares_nothing() {
        let right = [1u8; 32];
        let c = check(&CodeKey::from_bytes(right));
        let spent = |numeric_key| TrySpend::Spent {
            attempts_spent: 2,
            attempt_limit: 3,
            numeric_key,
            qr_key: [9; 32],
        };
        assert_eq!(decide(&c, &spent(right)), Step::Match { attempt_limit: 3 });
        assert_eq!(
            decide(&c, &spent([2; 32])),
            Step::Mismatch {
                attempts_spent: 2,
                attempt_limit: 3
            }
        );
        let locked = TrySpend::Locked {
            attempts_spent: 3,
            attempt_limit: 3,
        };
        assert_eq!(
            decide(&c, &locked),
            Step::Locked {
                attempts_spent: 3,
                attempt_limit: 3
            }
        );
        assert_eq!(decide(&c, &TrySpend::NoOrder), Step::NoOrder);
    }

    #[test]
    fn nonce_and_proof_must_be_lower_case_hex_of_their_length() {
        let req = |nonce: &str, proof: &str| CodeCheckRequest {
            parcel_id: "P".into(),
            form: CodeFormWire::Qr,
            nonce: nonce.into(),
            proof: proof.into(),
        };
        let nonce = "00".repeat(16);
        let proof = "ab".repeat(32);
        assert!(CodeCheck::parse(req(&nonce, &proof)).is_ok());
        assert_eq!(
            CodeCheck::parse(req("00", &proof)).err(),
            Some(BadCodeCheck::Nonce)
        );
        assert_eq!(
            CodeCheck::parse(req(&nonce, &"AB".repeat(32))).err(),
            Some(BadCodeCheck::Proof)
        );
    }
}
