//! Enrollment: the one-time token exchanged for a device id, the server's key
//! pinned and its address kept. Done once per identity; an enrolled device
//! refuses a second enrollment (a new one is a re-enrollment, on purpose).

use std::time::Duration;

use courier_protocol::keys::{PublicKey, Signer};
use thiserror::Error;

use super::client::{CallError, enroll as enroll_call, http_client};
use super::tls_trust::TlsTrust;
use crate::device_key::DeviceKey;
use crate::domain::identity::DeviceId;
use courier_protocol::enrollment_qr::{EnrollmentQr, Profile};

use crate::storage::{MetaKey, Reads, Store};
use crate::terminal::{self, DataDir, TerminalError};

/// What enrollment gave this device.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Enrolled {
    /// The id the server knows this device by.
    pub device_id: String,
    /// This device's key fingerprint (grouped), for the fleet inventory.
    pub device_fingerprint: String,
    /// The pinned server key's fingerprint (grouped).
    pub server_fingerprint: String,
    /// The platform enrolled on.
    pub profile: &'static str,
    /// The fleet-inventory QR text (device id, key fingerprint, key).
    pub inventory: String,
}

/// Why enrollment failed.
#[derive(Debug, Error)]
pub enum EnrollError {
    /// The local side refused or failed.
    #[error(transparent)]
    Terminal(#[from] TerminalError),
    /// The server could not be reached.
    #[error(
        "cannot reach {server} ({error}): check the network and the server address; nothing was recorded, try again"
    )]
    Unreachable {
        /// The server URL.
        server: String,
        /// What happened.
        error: CallError,
    },
    /// The server's HTTPS certificate is not trusted: nothing was sent.
    #[error(
        "the server at {server} is not trusted: {why}; nothing was sent and the token is still good: \
         give the carrier CA in [server] ca_file (or --ca-file), or have the server's certificate fixed"
    )]
    Untrusted {
        /// The server URL.
        server: String,
        /// What is wrong with its certificate.
        why: String,
    },
    /// The server refused the token (unknown, used, expired) or the request.
    #[error("{server} refused the enrollment: {message}; ask the fleet operator for a new token")]
    Refused {
        /// The server URL.
        server: String,
        /// The server's words.
        message: String,
    },
    /// The server's key is not the one the enrollment QR names.
    #[error(
        "the server at {server} does not hold the key the enrollment QR names (fingerprint {expected}): this is not the server the QR was made for; nothing was recorded"
    )]
    WrongServer {
        /// The server URL.
        server: String,
        /// The fingerprint in the QR.
        expected: String,
    },
    /// Plain HTTP on the production platform: nothing was sent.
    #[error("{0}; nothing was sent or recorded")]
    PlainHttp(#[from] courier_protocol::transport::PlainHttpInProduction),
    /// The device is already enrolled.
    #[error(
        "this device is already enrolled as {0}; nothing was changed (a new enrollment is a re-enrollment: README, \"Re-enrollment\")"
    )]
    AlreadyEnrolled(DeviceId),
}

/// What an enrollment asks for.
#[derive(Debug, Clone)]
pub struct Enrollment<'a> {
    /// The server's base URL.
    pub server: &'a str,
    /// The one-time token.
    pub token: &'a str,
    /// Label for the fleet inventory.
    pub hardware_label: &'a str,
    /// The platform (test or production); the device keeps it until re-enrollment.
    pub profile: Profile,
    /// The server key's fingerprint (hex) the device must find, from an enrollment QR.
    pub expect_fingerprint: Option<&'a str>,
    /// The authorities the server's certificate must chain to.
    pub tls: TlsTrust,
}

impl<'a> Enrollment<'a> {
    /// An enrollment from a scanned or pasted enrollment QR.
    pub fn from_qr(qr: &'a EnrollmentQr, hardware_label: &'a str) -> Self {
        Enrollment {
            server: &qr.server,
            token: &qr.token,
            hardware_label,
            profile: qr.profile,
            expect_fingerprint: Some(&qr.fingerprint),
            tls: TlsTrust::SystemRoots,
        }
    }
}

/// Whether this data directory still needs an enrollment: no identity yet, or
/// an identity with no pinned server key. A directory that cannot be read does
/// not (opening it then says what is wrong).
pub fn needs_enrollment(dir: &DataDir) -> bool {
    if !terminal::setup::is_set_up(dir) {
        return true;
    }
    match Store::open_read_only(&dir.database()).and_then(|s| s.identity()) {
        Ok(Some(identity)) => identity.server_key.is_none(),
        Ok(None) => true,
        Err(_) => false,
    }
}

/// Enrolls this data directory with `server` using a one-time `token`.
pub fn enroll(
    dir: &DataDir,
    server: &str,
    token: &str,
    hardware_label: &str,
) -> Result<Enrolled, EnrollError> {
    enroll_with(
        dir,
        &Enrollment {
            server,
            token,
            hardware_label,
            profile: Profile::Production,
            expect_fingerprint: None,
            tls: TlsTrust::SystemRoots,
        },
    )
}

/// Enrolls this data directory as `e` says; the server's key is pinned only
/// when it is the one an enrollment QR names.
pub fn enroll_with(dir: &DataDir, e: &Enrollment<'_>) -> Result<Enrolled, EnrollError> {
    let (server, token, hardware_label) = (e.server, e.token, e.hardware_label);
    courier_protocol::transport::server_url_allowed(e.profile, server)?;
    let public_key = if terminal::setup::is_set_up(dir) {
        let store = Store::open(&dir.database()).map_err(TerminalError::from)?;
        if let Some(identity) = store.identity().map_err(TerminalError::from)?
            && identity.server_key.is_some()
        {
            return Err(EnrollError::AlreadyEnrolled(identity.device_id));
        }
        DeviceKey::load(&dir.key())
            .map_err(TerminalError::from)?
            .public_key()
    } else {
        terminal::init(dir, None, None)?.public_key
    };
    let server_error = |error: CallError| match error {
        CallError::Server { message, .. } => EnrollError::Refused {
            server: server.to_owned(),
            message,
        },
        CallError::Untrusted(why) => EnrollError::Untrusted {
            server: server.to_owned(),
            why,
        },
        other => EnrollError::Unreachable {
            server: server.to_owned(),
            error: other,
        },
    };
    let http = http_client(Duration::from_secs(15), &e.tls).map_err(server_error)?;
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| server_error(CallError::Local(e.to_string())))?
        .block_on(enroll_call(
            &http,
            server,
            token,
            public_key,
            hardware_label,
        ))
        .map_err(server_error)?;
    if let Some(expected) = e.expect_fingerprint
        && answer.server_public_key.fingerprint().to_hex() != expected
    {
        return Err(EnrollError::WrongServer {
            server: server.to_owned(),
            expected: expected.to_owned(),
        });
    }
    let device_id = DeviceId::new(answer.device_id);
    terminal::record_enrollment(dir, &device_id, &answer.server_public_key, server)?;
    let store = Store::open(&dir.database()).map_err(TerminalError::from)?;
    store
        .set_meta(MetaKey::Profile, e.profile.as_str())
        .map_err(TerminalError::from)?;
    store
        .raise_clock_floor(answer.server_time_ms)
        .map_err(TerminalError::from)?;
    Ok(Enrolled {
        device_id: device_id.to_string(),
        device_fingerprint: public_key.fingerprint().grouped(),
        server_fingerprint: fingerprint(&answer.server_public_key),
        profile: e.profile.as_str(),
        inventory: crate::domain::identity::inventory_text(&device_id, &public_key),
    })
}

fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint().grouped()
}
