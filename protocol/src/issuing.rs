//! The issuing side: create an order's codes and their verifier material.
//!
//! Used by the escrow server (and the demo). The raw codes leave this module
//! only to be sent to the buyer; the server keeps the derived keys `K`.

use std::num::NonZeroU32;

use ring::rand::{SecureRandom, SystemRandom};

use crate::ProtocolError;
use crate::code_verifier::{BuyerSecret, CodeKey, format_qr};
use crate::keys::sha256;
use crate::manifest::{CodeMaterial, VerifierSpec};
use crate::vocabulary::CodePolicy;

/// The random inputs of one order's codes.
#[derive(Clone)]
pub struct CodeSeed {
    /// Source of the numeric code.
    pub numeric: u64,
    /// The QR token.
    pub token: [u8; 16],
    /// Salt of the numeric form.
    pub numeric_salt: [u8; 16],
    /// Salt of the QR form.
    pub qr_salt: [u8; 16],
}

impl CodeSeed {
    /// Fresh randomness from the operating system.
    pub fn random() -> Result<Self, ProtocolError> {
        let rng = SystemRandom::new();
        let mut buf = [0u8; 56];
        rng.fill(&mut buf).map_err(|_| ProtocolError::Random)?;
        Ok(Self::from_bytes(&buf))
    }

    /// Deterministic codes for demos: anyone with `demo_secret` can print them.
    pub fn demo(demo_secret: &str, order_ref: &str) -> Self {
        let mut buf = [0u8; 56];
        let a = sha256(format!("{demo_secret}|{order_ref}|a").as_bytes());
        let b = sha256(format!("{demo_secret}|{order_ref}|b").as_bytes());
        buf[..32].copy_from_slice(&a);
        buf[32..].copy_from_slice(&b[..24]);
        Self::from_bytes(&buf)
    }

    fn from_bytes(buf: &[u8; 56]) -> Self {
        let mut numeric = [0u8; 8];
        numeric.copy_from_slice(&buf[..8]);
        let mut token = [0u8; 16];
        token.copy_from_slice(&buf[8..24]);
        let mut numeric_salt = [0u8; 16];
        numeric_salt.copy_from_slice(&buf[24..40]);
        let mut qr_salt = [0u8; 16];
        qr_salt.copy_from_slice(&buf[40..56]);
        CodeSeed {
            numeric: u64::from_le_bytes(numeric),
            token,
            numeric_salt,
            qr_salt,
        }
    }
}

/// An order's codes as issued: what the buyer gets and what the server keeps.
pub struct IssuedCodes {
    /// The numeric code, sent by SMS. Never stored by the server.
    pub numeric_code: String,
    /// The QR text, sent by e-mail or shown in the app. Never stored by the server.
    pub qr_text: String,
    /// `K` of the numeric form, kept by the server to check online proofs.
    pub numeric_key: CodeKey,
    /// `K` of the QR form.
    pub qr_key: CodeKey,
    /// What the manifest carries.
    pub material: CodeMaterial,
}

/// Iterations used for the QR form: its 128-bit token needs no stretching.
pub const QR_ITERATIONS: u32 = 1_000;

/// Issues an order's codes. `iterations` stretch the numeric form.
pub fn issue_codes(
    seed: &CodeSeed,
    order_ref: &str,
    digits: u8,
    iterations: NonZeroU32,
    policy: CodePolicy,
) -> Result<IssuedCodes, ProtocolError> {
    let modulus = 10u64.pow(u32::from(digits));
    // Reduction bias is below 2^-44 for 6 digits from a 64-bit draw.
    let numeric_code = format!(
        "{:0width$}",
        seed.numeric % modulus,
        width = usize::from(digits)
    );
    let qr_text = format_qr(order_ref, &seed.token);
    let numeric_secret = BuyerSecret::numeric(&numeric_code, digits)
        .map_err(|e| ProtocolError::Json(e.to_string()))?;
    let (_, qr_secret) =
        BuyerSecret::from_qr(&qr_text).map_err(|e| ProtocolError::Json(e.to_string()))?;
    let qr_iterations = NonZeroU32::new(QR_ITERATIONS).unwrap_or(NonZeroU32::MIN);
    let numeric_key = numeric_secret.derive_key(&seed.numeric_salt, iterations);
    let qr_key = qr_secret.derive_key(&seed.qr_salt, qr_iterations);
    let offline = policy == CodePolicy::OfflineAllowed;
    let material = CodeMaterial {
        digits,
        numeric: VerifierSpec {
            salt: hex::encode(seed.numeric_salt),
            iterations: iterations.get(),
            verifier: offline.then(|| hex::encode(numeric_key.verifier())),
        },
        qr: Some(VerifierSpec {
            salt: hex::encode(seed.qr_salt),
            iterations: qr_iterations.get(),
            verifier: offline.then(|| hex::encode(qr_key.verifier())),
        }),
    };
    Ok(IssuedCodes {
        numeric_code,
        qr_text,
        numeric_key,
        qr_key,
        material,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_codes_verify_against_their_material() {
        let seed = CodeSeed::demo("s", "ORD-9");
        let it = NonZeroU32::new(10).expect("nz");
        let codes = issue_codes(&seed, "ORD-9", 6, it, CodePolicy::OfflineAllowed).expect("issue");
        assert_eq!(codes.numeric_code.len(), 6);
        let salt = hex::decode(&codes.material.numeric.salt).expect("hex");
        let k = BuyerSecret::numeric(&codes.numeric_code, 6)
            .expect("code")
            .derive_key(&salt, it);
        let v = hex::decode(codes.material.numeric.verifier.as_deref().expect("v")).expect("hex");
        assert!(k.matches_verifier(&v));
        let online = issue_codes(&seed, "ORD-9", 6, it, CodePolicy::OnlineOnly).expect("issue");
        assert!(online.material.numeric.verifier.is_none());
        assert_eq!(online.numeric_code, codes.numeric_code);
    }
}
