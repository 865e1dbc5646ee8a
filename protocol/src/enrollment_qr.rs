//! The enrollment QR: what carrier IT scans (or pastes) to enroll a device in a
//! minute. It names the server, the platform profile, a one-time token and the
//! server key's fingerprint, so the device checks it talks to the server the
//! QR was made for before it pins anything.
//!
//! Text form: `courier-enroll:v1?server=URL&profile=test|production&token=T&fingerprint=HEX`
//! (query values percent-encoded; the fingerprint is the full SHA-256 of the
//! server's public key, 64 lower-case hex digits).

use std::fmt;

use crate::keys::PublicKey;
pub use crate::profile::Profile;

/// The URI scheme and version of the enrollment QR.
pub const PREFIX: &str = "courier-enroll:v1";

/// What an enrollment QR says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentQr {
    /// The server's base URL.
    pub server: String,
    /// The platform profile.
    pub profile: Profile,
    /// The one-time enrollment token.
    pub token: String,
    /// SHA-256 of the server's public key (hex).
    pub fingerprint: String,
}

/// Why a text is not an enrollment QR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "this is not an enrollment QR ({0}); scan the QR the fleet operator printed for this device"
)]
pub struct BadEnrollmentQr(pub String);

impl EnrollmentQr {
    /// The QR for a server key.
    pub fn new(server: &str, profile: Profile, token: &str, server_key: &PublicKey) -> Self {
        EnrollmentQr {
            server: server.trim_end_matches('/').to_owned(),
            profile,
            token: token.to_owned(),
            fingerprint: server_key.fingerprint().to_hex(),
        }
    }

    /// Parses the scanned or pasted text.
    pub fn parse(text: &str) -> Result<Self, BadEnrollmentQr> {
        let bad = |m: &str| BadEnrollmentQr(m.to_owned());
        let text = text.trim();
        let query = text
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.strip_prefix('?'))
            .ok_or_else(|| bad(&format!("it does not start with {PREFIX}?")))?;
        let mut server = None;
        let mut profile = None;
        let mut token = None;
        let mut fingerprint = None;
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match k.as_ref() {
                "server" => &mut server,
                "profile" => &mut profile,
                "token" => &mut token,
                "fingerprint" => &mut fingerprint,
                other => return Err(bad(&format!("unknown field {other:?}"))),
            };
            if slot.replace(v.into_owned()).is_some() {
                return Err(bad(&format!("field {k:?} given twice")));
            }
        }
        let server = server.ok_or_else(|| bad("no server"))?;
        let parsed = url::Url::parse(&server).map_err(|_| bad("the server is not a URL"))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(bad("the server is not an http(s) URL"));
        }
        let profile = profile
            .as_deref()
            .and_then(Profile::parse)
            .ok_or_else(|| bad("the profile is neither test nor production"))?;
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| bad("no token"))?;
        let fingerprint = fingerprint
            .filter(|f| {
                f.len() == 64
                    && f.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
            .ok_or_else(|| bad("the fingerprint is not 64 lower-case hex digits"))?;
        Ok(EnrollmentQr {
            server: server.trim_end_matches('/').to_owned(),
            profile,
            token,
            fingerprint,
        })
    }

    /// Whether `key` is the server key this QR names.
    pub fn names(&self, key: &PublicKey) -> bool {
        key.fingerprint().to_hex() == self.fingerprint
    }
}

impl fmt::Display for EnrollmentQr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("server", &self.server)
            .append_pair("profile", self.profile.as_str())
            .append_pair("token", &self.token)
            .append_pair("fingerprint", &self.fingerprint)
            .finish();
        write!(f, "{PREFIX}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_round_trips_and_names_its_key() {
        let key = PublicKey([3; 32]);
        let qr = EnrollmentQr::new(
            "https://escrow.example.dz/api/",
            Profile::Test,
            "tok-1&x",
            &key,
        );
        let text = qr.to_string();
        assert!(
            text.starts_with("courier-enroll:v1?server=https%3A%2F%2F"),
            "{text}"
        );
        let back = EnrollmentQr::parse(&text).expect("parses");
        assert_eq!(back, qr);
        assert!(back.names(&key));
        assert!(!back.names(&PublicKey([4; 32])));
    }

    #[test]
    fn other_texts_are_refused_with_the_reason() {
        for (text, why) in [
            ("ESC1:CMD-1:abc", "does not start"),
            (
                "courier-enroll:v1?server=ftp%3A%2F%2Fx&profile=test&token=t&fingerprint=00",
                "http(s)",
            ),
            (
                "courier-enroll:v1?server=https%3A%2F%2Fx&profile=prod&token=t",
                "profile",
            ),
            (
                "courier-enroll:v1?server=https%3A%2F%2Fx&profile=test&token=t&fingerprint=AB",
                "64 lower-case",
            ),
            (
                "courier-enroll:v1?server=https%3A%2F%2Fx&server=https%3A%2F%2Fy",
                "twice",
            ),
        ] {
            let e = EnrollmentQr::parse(text).expect_err(text);
            assert!(e.to_string().contains(why), "{text}: {e}");
        }
    }
}
