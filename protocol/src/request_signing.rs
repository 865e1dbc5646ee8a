//! Device request signing: every call after enrollment is signed by the device key.
//!
//! The signed string is
//! `"courier-request-v1\n" + METHOD + "\n" + PATH + "\n" + timestamp + "\n" + nonce + "\n" + hex(sha256(body))`
//! where `PATH` is the path with its query string (if any) exactly as sent,
//! `timestamp` is Unix milliseconds in decimal and `nonce` is 32 lower-case hex
//! characters (16 random bytes). The server refuses a timestamp more than
//! [`MAX_SKEW_MS`] away from its clock and a nonce it has already seen within
//! that window, so a captured request cannot be replayed.

use thiserror::Error;

use crate::keys::{PublicKey, Signer, decode_hex_array, sha256};

/// Header naming the device.
pub const HEADER_DEVICE_ID: &str = "x-device-id";
/// Header with the request time, Unix milliseconds.
pub const HEADER_TIMESTAMP: &str = "x-timestamp";
/// Header with the request nonce, 32 hex characters.
pub const HEADER_NONCE: &str = "x-nonce";
/// Header with the Ed25519 signature, 128 hex characters.
pub const HEADER_SIGNATURE: &str = "x-signature";
/// First line of the signed string; names the scheme version.
pub const REQUEST_SCHEME: &str = "courier-request-v1";
/// How far a request timestamp may be from the server clock, either way.
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;

/// Why a signed request is refused.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum RequestAuthError {
    /// A required header is absent or not valid text.
    #[error("request header {0} is missing or malformed")]
    MissingHeader(&'static str),
    /// The timestamp is too far from the server clock.
    #[error(
        "request timestamp {timestamp_ms} is {skew_ms} ms away from server time; check the device clock"
    )]
    StaleTimestamp {
        /// Timestamp sent.
        timestamp_ms: i64,
        /// Difference to the server clock.
        skew_ms: i64,
    },
    /// The nonce is not 16 bytes of hex.
    #[error("request nonce must be 32 hex characters")]
    BadNonce,
    /// The signature does not verify with the device's key.
    #[error("request signature does not verify with the enrolled device key")]
    BadSignature,
}

/// The four authentication headers of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAuth {
    /// Device id (`X-Device-Id`).
    pub device_id: String,
    /// Unix milliseconds (`X-Timestamp`).
    pub timestamp_ms: i64,
    /// 32 hex characters (`X-Nonce`).
    pub nonce: String,
    /// 128 hex characters (`X-Signature`).
    pub signature: String,
}

/// The exact bytes signed for a request.
pub fn signing_string(
    method: &str,
    path_and_query: &str,
    timestamp_ms: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    format!(
        "{REQUEST_SCHEME}\n{}\n{path_and_query}\n{timestamp_ms}\n{nonce}\n{}",
        method.to_ascii_uppercase(),
        hex::encode(sha256(body))
    )
    .into_bytes()
}

/// Signs a request with the device key. `nonce` must be 16 fresh random bytes.
pub fn sign_request(
    signer: &dyn Signer,
    device_id: &str,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    timestamp_ms: i64,
    nonce: [u8; 16],
) -> RequestAuth {
    let nonce = hex::encode(nonce);
    let msg = signing_string(method, path_and_query, timestamp_ms, &nonce, body);
    RequestAuth {
        device_id: device_id.to_owned(),
        timestamp_ms,
        nonce,
        signature: hex::encode(signer.sign(&msg)),
    }
}

impl RequestAuth {
    /// Checks the timestamp window and the signature (not the nonce's freshness,
    /// which needs the server's nonce store).
    pub fn verify(
        &self,
        device_key: &PublicKey,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        server_now_ms: i64,
    ) -> Result<(), RequestAuthError> {
        let skew_ms = self.timestamp_ms.saturating_sub(server_now_ms);
        if skew_ms.abs() > MAX_SKEW_MS {
            return Err(RequestAuthError::StaleTimestamp {
                timestamp_ms: self.timestamp_ms,
                skew_ms,
            });
        }
        if self.nonce.len() != 32
            || !self
                .nonce
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(RequestAuthError::BadNonce);
        }
        let sig = decode_hex_array::<64>(&self.signature, "x-signature")
            .map_err(|_| RequestAuthError::BadSignature)?;
        let msg = signing_string(method, path_and_query, self.timestamp_ms, &self.nonce, body);
        device_key
            .verify(&msg, &sig, "request")
            .map_err(|_| RequestAuthError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{generate_pkcs8, keypair_from_pkcs8};

    #[test]
    fn signed_request_verifies_and_any_change_breaks_it() {
        let kp = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
        let pk = Signer::public_key(&kp);
        let auth = sign_request(
            &kp,
            "dev-1",
            "post",
            "/v1/events",
            b"{}",
            1_000_000,
            [7; 16],
        );
        assert!(
            auth.verify(&pk, "POST", "/v1/events", b"{}", 1_000_000)
                .is_ok()
        );
        assert_eq!(
            auth.verify(&pk, "POST", "/v1/events", b"{ }", 1_000_000),
            Err(RequestAuthError::BadSignature)
        );
        assert_eq!(
            auth.verify(&pk, "POST", "/v1/manifest", b"{}", 1_000_000),
            Err(RequestAuthError::BadSignature)
        );
        assert!(matches!(
            auth.verify(
                &pk,
                "POST",
                "/v1/events",
                b"{}",
                1_000_000 + MAX_SKEW_MS + 1
            ),
            Err(RequestAuthError::StaleTimestamp { .. })
        ));
    }

    #[test]
    fn signing_string_matches_the_documented_example() {
        let s = String::from_utf8(signing_string("GET", "/v1/manifest", 42, "00ff", b""))
            .expect("utf8");
        assert_eq!(
            s,
            "courier-request-v1\nGET\n/v1/manifest\n42\n00ff\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let doc = include_str!("../../docs/protocol.md");
        assert!(
            doc.contains(&format!("```\n{s}\n```")),
            "docs/protocol.md shows this example"
        );
    }
}
