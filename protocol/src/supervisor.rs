//! The depot supervisor's identity: credentials the server puts in the
//! manifest, the secrets (badge QR, PIN) a supervisor presents on the
//! courier's device, and the proof bound to each supervisor event.
//!
//! Same verifier shape as the buyer's code (`code_verifier`):
//! `K = PBKDF2-HMAC-SHA256(secret, salt, iterations)`, the manifest carries
//! `V = HMAC(K, "verify")`, and each supervisor event carries
//! `proof = HMAC-SHA256(K, "supervisor-proof" || SHA-256(canonical(body with supervisor.proof = "")))`.
//! No verifier of the PIN (a low-entropy secret) ever reaches a device: the
//! server checks a PIN at sign-in (`POST /v1/supervisor-sessions`, one try
//! counter per supervisor across all devices) and answers with a random
//! session key bound to the device, the supervisor, a session id and an
//! expiry; the proofs of that session use the session key and name the
//! session ([`SupervisorProof::session`]). The badge's verifier reaches a
//! device only when the depot allows the badge as an offline factor; events
//! signed with it carry no session and are flagged for review at the server.

use std::fmt;
use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use crate::ProtocolError;
use crate::canonical::to_canonical_bytes;
use crate::code_verifier::{CodeKey, derive_code_key, tag32};
use crate::keys::sha256;
use crate::verifier_spec::VerifierSpec;
use crate::vocabulary::SupervisorFactor;

/// Prefix of a badge QR's text: `courier-badge:v1:<supervisor id>:<token>`.
pub const BADGE_PREFIX: &str = "courier-badge:v1:";
/// Characters of the badge token (base64url, no padding, of 16 random bytes).
pub const BADGE_TOKEN_CHARS: usize = 22;
/// Default wrong-secret limit per supervisor on a device.
pub const DEFAULT_SUPERVISOR_ATTEMPT_LIMIT: u32 = 5;
/// Default PIN length.
pub const DEFAULT_PIN_DIGITS: u8 = 6;
/// PBKDF2 iterations of a badge: its 128-bit token needs no stretching.
pub const BADGE_ITERATIONS: u32 = 1_000;
/// Domain tag of a supervisor proof (a buyer's proof uses `"proof"`).
pub const SUPERVISOR_PROOF_TAG: &[u8] = b"supervisor-proof";

/// The longest a supervisor session lasts, milliseconds (the server's expiry).
pub const SUPERVISOR_SESSION_MAX_MS: i64 = 30 * 60 * 1000;

/// A supervisor's PIN: its length, and its verifier on the server only
/// (a manifest never carries it: [`SupervisorCredential::check`] refuses one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinSpec {
    /// Digits of the PIN.
    pub digits: u8,
    /// Salt, iterations and `V`: kept by the server, absent from manifests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier: Option<VerifierSpec>,
}

/// One depot supervisor as the manifest lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorCredential {
    /// The server's supervisor id (letters, digits, `-`, `_`).
    pub supervisor_id: String,
    /// Name as printed on the day sheet.
    pub name: String,
    /// Wrong badge or PIN entries before the device locks this supervisor.
    pub attempt_limit: u32,
    /// The badge QR's verifier: in a manifest only when the depot allows the
    /// badge as an offline factor.
    pub badge: Option<VerifierSpec>,
    /// The PIN's length (its verifier stays on the server).
    pub pin: Option<PinSpec>,
    /// The supervisor has a badge (whether or not its verifier is listed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_badge: bool,
}

impl SupervisorCredential {
    /// The verifier of one factor, if this supervisor has it.
    pub fn spec(&self, factor: SupervisorFactor) -> Option<&VerifierSpec> {
        match factor {
            SupervisorFactor::Badge => self.badge.as_ref(),
            SupervisorFactor::Pin => self.pin.as_ref().and_then(|p| p.verifier.as_ref()),
        }
    }

    /// The credential as a device's manifest carries it: never the PIN's
    /// verifier; the badge's only when the depot allows the badge offline.
    pub fn for_devices(&self, offline_badge: bool) -> SupervisorCredential {
        SupervisorCredential {
            supervisor_id: self.supervisor_id.clone(),
            name: self.name.clone(),
            attempt_limit: self.attempt_limit,
            badge: self.badge.clone().filter(|_| offline_badge),
            pin: self.pin.as_ref().map(|p| PinSpec {
                digits: p.digits,
                verifier: None,
            }),
            has_badge: self.has_badge || self.badge.is_some(),
        }
    }

    /// A short fingerprint of this credential: a re-issued credential (new
    /// badge or PIN) has another, so the device's try counter starts afresh.
    pub fn fingerprint(&self) -> Result<String, ProtocolError> {
        Ok(hex::encode(&sha256(&to_canonical_bytes(self)?)[..8]))
    }

    /// The content checks a terminal makes on a manifest's supervisor: a
    /// PIN verifier is refused (it would let a courier recover the PIN offline).
    pub fn check(&self) -> Result<(), String> {
        if self.pin.as_ref().is_some_and(|p| p.verifier.is_some()) {
            return Err(format!(
                "supervisor {} carries a PIN verifier: a PIN is checked by the server only",
                self.supervisor_id
            ));
        }
        self.check_material()
    }

    /// The shape checks of the server's own copy (which keeps the PIN verifier).
    pub fn check_material(&self) -> Result<(), String> {
        let id_ok = !self.supervisor_id.is_empty()
            && self.supervisor_id.len() <= 64
            && self
                .supervisor_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(format!(
                "supervisor id {:?} must be 1-64 letters, digits, '-' or '_'",
                self.supervisor_id
            ));
        }
        if self.attempt_limit == 0 {
            return Err(format!(
                "supervisor {} has an attempt limit of 0",
                self.supervisor_id
            ));
        }
        if self.badge.is_none() && !self.has_badge && self.pin.is_none() {
            return Err(format!(
                "supervisor {} has neither a badge nor a PIN",
                self.supervisor_id
            ));
        }
        if let Some(p) = &self.pin
            && !(4..=12).contains(&p.digits)
        {
            return Err(format!(
                "supervisor {} has a {}-digit PIN",
                self.supervisor_id, p.digits
            ));
        }
        for spec in self
            .badge
            .iter()
            .chain(self.pin.as_ref().and_then(|p| p.verifier.as_ref()))
        {
            let salt_ok = hex::decode(&spec.salt).is_ok_and(|s| s.len() >= 8);
            let v_ok = spec
                .verifier
                .as_deref()
                .is_some_and(|v| hex::decode(v).is_ok_and(|b| b.len() == 32));
            if spec.iterations == 0 || !salt_ok || !v_ok {
                return Err(format!(
                    "supervisor {} has unusable verifier material",
                    self.supervisor_id
                ));
            }
        }
        Ok(())
    }
}

/// Why a typed PIN or a scanned badge cannot even be checked (no try spent).
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SupervisorFormatError {
    /// The scanned text is not a supervisor badge.
    #[error("this is not a supervisor badge (it must start with {BADGE_PREFIX})")]
    NotBadge,
    /// The PIN holds something other than digits.
    #[error("the PIN must contain digits only")]
    PinNotDigits,
    /// The PIN has the wrong length.
    #[error("the PIN has {found} digits; this supervisor's PIN has {expected}")]
    PinLength {
        /// Digits typed.
        found: usize,
        /// Digits expected.
        expected: u8,
    },
}

/// A supervisor's badge token or PIN as presented. Never stored, logged or sent.
pub struct SupervisorSecret {
    factor: SupervisorFactor,
    bytes: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for SupervisorSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SupervisorSecret({:?}, <redacted>)", self.factor)
    }
}

impl SupervisorSecret {
    /// Takes a scanned badge; returns the supervisor id it names and the secret.
    pub fn badge(text: &str) -> Result<(String, Self), SupervisorFormatError> {
        let (id, token) = parse_badge(text).ok_or(SupervisorFormatError::NotBadge)?;
        Ok((
            id.to_owned(),
            SupervisorSecret {
                factor: SupervisorFactor::Badge,
                bytes: Zeroizing::new(token.as_bytes().to_vec()),
            },
        ))
    }

    /// Takes a typed PIN (ASCII digits; spaces ignored).
    pub fn pin(typed: &str, digits: u8) -> Result<Self, SupervisorFormatError> {
        let cleaned: Zeroizing<Vec<u8>> =
            Zeroizing::new(typed.bytes().filter(|b| *b != b' ').collect());
        if !cleaned.iter().all(u8::is_ascii_digit) {
            return Err(SupervisorFormatError::PinNotDigits);
        }
        if cleaned.len() != usize::from(digits) {
            return Err(SupervisorFormatError::PinLength {
                found: cleaned.len(),
                expected: digits,
            });
        }
        Ok(SupervisorSecret {
            factor: SupervisorFactor::Pin,
            bytes: cleaned,
        })
    }

    /// Badge or PIN.
    pub fn factor(&self) -> SupervisorFactor {
        self.factor
    }

    /// Derives `K` (PBKDF2-HMAC-SHA256, the buyer code's KDF).
    pub fn derive_key(&self, salt: &[u8], iterations: NonZeroU32) -> CodeKey {
        derive_code_key(&self.bytes, salt, iterations)
    }
}

/// Splits `courier-badge:v1:<id>:<token>` when it has exactly that shape.
pub fn parse_badge(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim().strip_prefix(BADGE_PREFIX)?;
    let (id, token) = rest.rsplit_once(':')?;
    let token_ok = token.len() == BADGE_TOKEN_CHARS
        && URL_SAFE_NO_PAD
            .decode(token)
            .is_ok_and(|bytes| bytes.len() == 16);
    let id_ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (token_ok && id_ok).then_some((id, token))
}

/// Formats a badge's QR text for a supervisor id and a 16-byte token.
pub fn format_badge(supervisor_id: &str, token: &[u8; 16]) -> String {
    format!(
        "{BADGE_PREFIX}{supervisor_id}:{}",
        URL_SAFE_NO_PAD.encode(token)
    )
}

/// The supervisor's proof as a supervisor event carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupervisorProof {
    /// Who signed.
    pub supervisor_id: String,
    /// With what (the server picks the matching `K`).
    pub factor: SupervisorFactor,
    /// `HMAC-SHA256(K, "supervisor-proof" || digest)`, lower-case hex; empty
    /// in the bytes the digest is taken over. `K` is the session key when
    /// `session` is set, else the badge's key (offline badge).
    pub proof: String,
    /// The server's session id the proof's key belongs to (absent: an
    /// offline badge proof, flagged for review at the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// `HMAC(K, "supervisor-proof" || digest)`.
pub fn supervisor_proof(key: &CodeKey, digest: &[u8; 32]) -> [u8; 32] {
    let mut ctx = hmac::Context::with_key(&key.hmac_key());
    ctx.update(SUPERVISOR_PROOF_TAG);
    ctx.update(digest);
    tag32(ctx.sign())
}

/// Constant-time check of a supervisor proof.
pub fn verify_supervisor_proof(key: &CodeKey, digest: &[u8; 32], proof: &[u8]) -> bool {
    let mut msg = Vec::with_capacity(SUPERVISOR_PROOF_TAG.len() + 32);
    msg.extend_from_slice(SUPERVISOR_PROOF_TAG);
    msg.extend_from_slice(digest);
    hmac::verify(&key.hmac_key(), &msg, proof).is_ok()
}

/// A supervisor credential as issued: what the server keeps (the credential
/// with its verifiers, and the keys), what the supervisor gets once (the
/// badge text); manifests carry [`SupervisorCredential::for_devices`] of it.
pub struct IssuedSupervisor {
    /// The server's copy (with the PIN verifier).
    pub credential: SupervisorCredential,
    /// The badge's QR text, printed once on the badge; never stored by the server.
    pub badge_text: Option<String>,
    /// `K` of the badge.
    pub badge_key: Option<CodeKey>,
    /// `K` of the PIN.
    pub pin_key: Option<CodeKey>,
}

/// Issues a supervisor credential: a fresh badge when `badge` is true, and a
/// PIN verifier when `pin` is given (checked for digits and length).
pub fn issue_supervisor(
    supervisor_id: &str,
    name: &str,
    badge: bool,
    pin: Option<&str>,
    pin_iterations: NonZeroU32,
    attempt_limit: u32,
) -> Result<IssuedSupervisor, IssueSupervisorError> {
    let rng = SystemRandom::new();
    let mut random = [0u8; 48];
    rng.fill(&mut random)
        .map_err(|_| IssueSupervisorError::Protocol(ProtocolError::Random))?;
    issue_supervisor_from(
        &random,
        supervisor_id,
        name,
        badge,
        pin,
        pin_iterations,
        attempt_limit,
    )
}

/// Like [`issue_supervisor`] from given random bytes (badge token, badge
/// salt, PIN salt: 16 each). Demos derive them from a demo secret so the
/// badge they print stays the same; a server uses fresh randomness.
pub fn issue_supervisor_from(
    random: &[u8; 48],
    supervisor_id: &str,
    name: &str,
    badge: bool,
    pin: Option<&str>,
    pin_iterations: NonZeroU32,
    attempt_limit: u32,
) -> Result<IssuedSupervisor, IssueSupervisorError> {
    let spec_of = |key: &CodeKey, salt: &[u8], iterations: u32| VerifierSpec {
        salt: hex::encode(salt),
        iterations,
        verifier: Some(hex::encode(key.verifier())),
    };
    let (mut badge_spec, mut badge_text, mut badge_key) = (None, None, None);
    if badge {
        let mut token = [0u8; 16];
        token.copy_from_slice(&random[..16]);
        let text = format_badge(supervisor_id, &token);
        let (_, secret) = SupervisorSecret::badge(&text).map_err(IssueSupervisorError::Format)?;
        let iterations = NonZeroU32::new(BADGE_ITERATIONS).unwrap_or(NonZeroU32::MIN);
        let key = secret.derive_key(&random[16..32], iterations);
        badge_spec = Some(spec_of(&key, &random[16..32], BADGE_ITERATIONS));
        badge_text = Some(text);
        badge_key = Some(key);
    }
    let (mut pin_spec, mut pin_key) = (None, None);
    if let Some(pin) = pin {
        let digits = u8::try_from(pin.trim().len()).unwrap_or(u8::MAX);
        if !(4..=12).contains(&digits) {
            return Err(IssueSupervisorError::Format(
                SupervisorFormatError::PinLength {
                    found: pin.trim().len(),
                    expected: DEFAULT_PIN_DIGITS,
                },
            ));
        }
        let secret =
            SupervisorSecret::pin(pin.trim(), digits).map_err(IssueSupervisorError::Format)?;
        let key = secret.derive_key(&random[32..48], pin_iterations);
        pin_spec = Some(PinSpec {
            digits,
            verifier: Some(spec_of(&key, &random[32..48], pin_iterations.get())),
        });
        pin_key = Some(key);
    }
    let credential = SupervisorCredential {
        supervisor_id: supervisor_id.to_owned(),
        name: name.to_owned(),
        attempt_limit,
        has_badge: badge_spec.is_some(),
        badge: badge_spec,
        pin: pin_spec,
    };
    credential
        .check_material()
        .map_err(IssueSupervisorError::Invalid)?;
    credential
        .for_devices(true)
        .check()
        .map_err(IssueSupervisorError::Invalid)?;
    Ok(IssuedSupervisor {
        credential,
        badge_text,
        badge_key,
        pin_key,
    })
}

/// Why a supervisor credential cannot be issued.
#[derive(Debug, Error)]
pub enum IssueSupervisorError {
    /// The PIN or id has the wrong shape.
    #[error("{0}")]
    Format(SupervisorFormatError),
    /// The credential would be refused by every terminal.
    #[error("{0}")]
    Invalid(String),
    /// Randomness failed.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iters(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).expect("non-zero")
    }

    #[test]
    fn issued_badge_and_pin_match_their_verifiers_and_nothing_else() {
        let issued =
            issue_supervisor("S-1", "Amina", true, Some("2468"), iters(10), 5).expect("issued");
        let c = &issued.credential;
        assert!(c.check_material().is_ok());
        // The server's copy has the PIN verifier, which no device may get.
        assert!(c.check().is_err());
        let shipped = c.for_devices(false);
        assert!(shipped.check().is_ok());
        assert!(shipped.spec(SupervisorFactor::Pin).is_none());
        assert!(shipped.spec(SupervisorFactor::Badge).is_none() && shipped.has_badge);
        assert!(c.for_devices(true).spec(SupervisorFactor::Badge).is_some());
        let text = issued.badge_text.as_deref().expect("badge");
        let (id, secret) = SupervisorSecret::badge(text).expect("badge parses");
        assert_eq!(id, "S-1");
        let spec = c.spec(SupervisorFactor::Badge).expect("badge spec");
        let salt = hex::decode(&spec.salt).expect("hex");
        let k = secret.derive_key(&salt, iters(spec.iterations));
        let v = hex::decode(spec.verifier.as_deref().expect("v")).expect("hex");
        assert!(k.matches_verifier(&v));
        assert_eq!(
            k.as_bytes(),
            issued.badge_key.as_ref().expect("key").as_bytes()
        );
        let pin = c.spec(SupervisorFactor::Pin).expect("pin spec");
        let salt = hex::decode(&pin.salt).expect("hex");
        let v = hex::decode(pin.verifier.as_deref().expect("v")).expect("hex");
        let right = SupervisorSecret::pin("2468", 4).expect("pin");
        let wrong = SupervisorSecret::pin("2469", 4).expect("pin");
        assert!(right.derive_key(&salt, iters(10)).matches_verifier(&v));
        assert!(!wrong.derive_key(&salt, iters(10)).matches_verifier(&v));
    }

    #[test]
    fn a_proof_binds_to_one_digest_and_one_key() {
        let k = CodeKey::from_bytes([1; 32]);
        let other = CodeKey::from_bytes([2; 32]);
        let p = supervisor_proof(&k, &[7; 32]);
        assert!(verify_supervisor_proof(&k, &[7; 32], &p));
        assert!(!verify_supervisor_proof(&k, &[8; 32], &p));
        assert!(!verify_supervisor_proof(&other, &[7; 32], &p));
        // Not interchangeable with a buyer's code proof.
        assert_ne!(p, k.proof(&[7; 32]));
    }

    #[test]
    fn badge_text_has_one_shape_and_secrets_never_print() {
        assert!(parse_badge("courier-badge:v1:S-1:short").is_none());
        assert!(parse_badge("ESC1:ORD:AAAAAAAAAAAAAAAAAAAAAA").is_none());
        assert!(parse_badge(&format_badge("S 1", &[0; 16])).is_none());
        let text = format_badge("S-1", &[3; 16]);
        let (_, s) = SupervisorSecret::badge(&text).expect("badge");
        assert!(!format!("{s:?}").contains(&text[text.len() - 22..]));
        assert_eq!(
            SupervisorSecret::pin("12a4", 4).err(),
            Some(SupervisorFormatError::PinNotDigits)
        );
    }
}
