//! The buyer's code and the one verifier shape that serves both its forms.
//!
//! `K = PBKDF2-HMAC-SHA256(secret, salt, iterations)`, the manifest carries
//! `V = HMAC-SHA256(K, "verify")` and an event carries
//! `proof = HMAC-SHA256(K, "proof" || event digest)`. The raw code lives only in
//! [`BuyerSecret`], which zeroes its memory on drop and never prints itself.

use std::fmt;
use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::{hmac, pbkdf2};
use thiserror::Error;
use zeroize::Zeroizing;

/// Scheme prefix of a buyer's QR text: `ESC1:<order_ref>:<token>`.
pub const QR_PREFIX: &str = "ESC1:";
/// Length of the QR token in characters (base64url, no padding, of 16 bytes).
pub const QR_TOKEN_CHARS: usize = 22;
/// Default number of digits of a numeric code.
pub const DEFAULT_DIGITS: u8 = 6;

/// Why a typed or scanned code cannot even be checked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CodeFormatError {
    /// The typed code holds something other than digits.
    #[error("the code must contain digits only")]
    NotDigits,
    /// The typed code has the wrong length.
    #[error("the code has {found} digits; this parcel's code has {expected}")]
    WrongLength {
        /// Digits typed.
        found: usize,
        /// Digits expected.
        expected: u8,
    },
    /// The scanned text is not a buyer QR.
    #[error("this QR is not a buyer's payment code (it must start with {QR_PREFIX})")]
    NotBuyerQr,
}

/// Which form of the code was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeForm {
    /// The numeric code sent by SMS.
    Numeric,
    /// The QR token from e-mail or the buyer's account.
    Qr,
}

/// The raw code as the buyer gave it. Never stored, logged or sent.
pub struct BuyerSecret {
    form: CodeForm,
    bytes: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for BuyerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BuyerSecret({:?}, <redacted>)", self.form)
    }
}

impl BuyerSecret {
    /// Takes a typed numeric code; spaces and dashes are ignored.
    pub fn numeric(typed: &str, digits: u8) -> Result<Self, CodeFormatError> {
        let cleaned: Zeroizing<Vec<u8>> = Zeroizing::new(
            typed
                .bytes()
                .filter(|b| !matches!(b, b' ' | b'-'))
                .collect(),
        );
        if !cleaned.iter().all(u8::is_ascii_digit) {
            return Err(CodeFormatError::NotDigits);
        }
        if cleaned.len() != usize::from(digits) {
            return Err(CodeFormatError::WrongLength {
                found: cleaned.len(),
                expected: digits,
            });
        }
        Ok(BuyerSecret {
            form: CodeForm::Numeric,
            bytes: cleaned,
        })
    }

    /// Takes a scanned QR text; returns the order reference it names and the secret.
    pub fn from_qr(text: &str) -> Result<(String, Self), CodeFormatError> {
        let (order_ref, token) = parse_qr(text).ok_or(CodeFormatError::NotBuyerQr)?;
        Ok((
            order_ref.to_owned(),
            BuyerSecret {
                form: CodeForm::Qr,
                bytes: Zeroizing::new(token.as_bytes().to_vec()),
            },
        ))
    }

    /// The form of this code.
    pub fn form(&self) -> CodeForm {
        self.form
    }

    /// Derives `K` with PBKDF2-HMAC-SHA256.
    pub fn derive_key(&self, salt: &[u8], iterations: NonZeroU32) -> CodeKey {
        derive_code_key(&self.bytes, salt, iterations)
    }
}

/// `K = PBKDF2-HMAC-SHA256(secret, salt, iterations)`: the one KDF of every
/// verifier (buyer codes, supervisor badges and PINs).
pub fn derive_code_key(secret: &[u8], salt: &[u8], iterations: NonZeroU32) -> CodeKey {
    let mut k = [0u8; 32];
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, salt, secret, &mut k);
    CodeKey(Zeroizing::new(k))
}

/// Splits `ESC1:<order_ref>:<token>` when it has exactly that shape.
pub fn parse_qr(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim().strip_prefix(QR_PREFIX)?;
    let (order_ref, token) = rest.rsplit_once(':')?;
    let token_ok = token.len() == QR_TOKEN_CHARS
        && URL_SAFE_NO_PAD
            .decode(token)
            .is_ok_and(|bytes| bytes.len() == 16);
    let ref_ok = !order_ref.is_empty()
        && order_ref.len() <= 64
        && order_ref.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    (token_ok && ref_ok).then_some((order_ref, token))
}

/// Formats the QR text for an order and a 16-byte token.
pub fn format_qr(order_ref: &str, token: &[u8; 16]) -> String {
    format!("{QR_PREFIX}{order_ref}:{}", URL_SAFE_NO_PAD.encode(token))
}

/// The derived key `K`; zeroed on drop.
pub struct CodeKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeKey(<redacted>)")
    }
}

impl CodeKey {
    /// Wraps key bytes held by the server.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        CodeKey(Zeroizing::new(bytes))
    }

    /// The key bytes (the server stores them; the terminal never does).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.0.as_slice())
    }

    /// `V = HMAC(K, "verify")`, as the manifest carries it.
    pub fn verifier(&self) -> [u8; 32] {
        tag32(hmac::sign(&self.hmac_key(), b"verify"))
    }

    /// Constant-time comparison with a manifest verifier.
    pub fn matches_verifier(&self, verifier: &[u8]) -> bool {
        hmac::verify(&self.hmac_key(), b"verify", verifier).is_ok()
    }

    /// `proof = HMAC(K, "proof" || digest)`, binding the code to one event.
    pub fn proof(&self, event_digest: &[u8; 32]) -> [u8; 32] {
        let mut ctx = hmac::Context::with_key(&self.hmac_key());
        ctx.update(b"proof");
        ctx.update(event_digest);
        tag32(ctx.sign())
    }

    /// Constant-time check of a proof.
    pub fn verify_proof(&self, event_digest: &[u8; 32], proof: &[u8]) -> bool {
        let mut msg = Vec::with_capacity(37);
        msg.extend_from_slice(b"proof");
        msg.extend_from_slice(event_digest);
        hmac::verify(&self.hmac_key(), &msg, proof).is_ok()
    }
}

pub(crate) fn tag32(tag: hmac::Tag) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iters(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).expect("non-zero")
    }

    #[test]
    fn numeric_code_accepts_spaces_and_refuses_letters() {
        assert!(BuyerSecret::numeric("123 456", 6).is_ok());
        assert_eq!(
            BuyerSecret::numeric("12a456", 6).err(),
            Some(CodeFormatError::NotDigits)
        );
        assert_eq!(
            BuyerSecret::numeric("12345", 6).err(),
            Some(CodeFormatError::WrongLength {
                found: 5,
                expected: 6
            })
        );
    }

    #[test]
    fn right_code_matches_and_wrong_code_does_not() {
        let salt = b"0123456789abcdef";
        let k = BuyerSecret::numeric("482913", 6)
            .expect("code")
            .derive_key(salt, iters(10));
        let v = k.verifier();
        assert!(k.matches_verifier(&v));
        let wrong = BuyerSecret::numeric("482914", 6)
            .expect("code")
            .derive_key(salt, iters(10));
        assert!(!wrong.matches_verifier(&v));
        let digest = [7u8; 32];
        assert!(k.verify_proof(&digest, &k.proof(&digest)));
        assert!(!k.verify_proof(&[8u8; 32], &k.proof(&digest)));
    }

    #[test]
    fn qr_round_trips_and_rejects_other_shapes() {
        let text = format_qr("ORD-1", &[9u8; 16]);
        let (order, secret) = BuyerSecret::from_qr(&text).expect("qr");
        assert_eq!(order, "ORD-1");
        assert_eq!(secret.form(), CodeForm::Qr);
        assert!(BuyerSecret::from_qr("ESC1:ORD-1:short").is_err());
        assert!(BuyerSecret::from_qr("http://example.com").is_err());
        assert!(BuyerSecret::from_qr("ESC1::AAAAAAAAAAAAAAAAAAAAAA").is_err());
    }

    #[test]
    fn secrets_never_print() {
        let s = BuyerSecret::numeric("482913", 6).expect("code");
        assert!(!format!("{s:?}").contains("482913"));
    }
}
