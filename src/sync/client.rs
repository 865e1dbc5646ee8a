//! The HTTP client of the device API: signs every request with the device key.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use courier_protocol::api::{
    CodeCheckRequest, CodeCheckResponse, DeviceReport, EnrollRequest, EnrollResponse, ErrorBody,
    EventsResponse, ManifestResponse,
};
use courier_protocol::envelope::SignedEvent;
use courier_protocol::keys::{PublicKey, Signer};
use courier_protocol::request_signing::{
    HEADER_DEVICE_ID, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP, sign_request,
};
use ring::rand::{SecureRandom, SystemRandom};
use thiserror::Error;

use super::backoff::{Retry, classify_status};
use super::tls_trust::{TlsTrust, certificate_refusal};
use crate::clock::Clock;

/// A failed call, classified.
#[derive(Debug, Clone, Error)]
pub enum CallError {
    /// No answer: connect error, reset, timeout.
    #[error("no answer from the server ({0}); will retry")]
    Transport(String),
    /// The server answered with an error.
    #[error("server answered {status} {code}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The error code from the body (or `unknown`).
        code: String,
        /// The server's message.
        message: String,
        /// Whether the server says retrying can help.
        retryable: bool,
        /// The server clock from the error body, if it sent one.
        server_time_ms: Option<i64>,
    },
    /// The server's TLS certificate was refused: no request reached it.
    #[error(
        "the server is not trusted: {0}; check the server URL, its certificate and the \
         carrier CA ([server] ca_file)"
    )]
    Untrusted(String),
    /// The answer could not be decoded.
    #[error("unreadable answer from the server: {0}")]
    Decode(String),
    /// The request could not be built.
    #[error("cannot build the request: {0}")]
    Local(String),
}

impl CallError {
    /// The server's words when it refused the call because this device is
    /// revoked (`device_revoked`).
    pub fn revoked(&self) -> Option<&str> {
        match self {
            CallError::Server { code, message, .. } if code == "device_revoked" => Some(message),
            _ => None,
        }
    }

    /// Temporary (retry with backoff) or permanent (surface to a person).
    pub fn retry(&self) -> Retry {
        match self {
            CallError::Transport(_) | CallError::Decode(_) => Retry::Temporary,
            CallError::Server {
                status, retryable, ..
            } => {
                if *retryable {
                    Retry::Temporary
                } else {
                    classify_status(Some(*status))
                }
            }
            CallError::Local(_) | CallError::Untrusted(_) => Retry::Permanent,
        }
    }
}

/// Device signer shared with the client.
pub type SharedSigner = Arc<dyn Signer + Send + Sync>;

/// Client of one escrow server for one device.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    device_id: String,
    signer: SharedSigner,
    /// Server clock minus device clock, learned from a `stale_timestamp` answer.
    offset_ms: Arc<AtomicI64>,
    clock: Arc<dyn Clock>,
}

/// Builds the HTTP client (rustls with `trust`'s roots, no proxies, bounded timeouts).
pub fn http_client(
    request_timeout: Duration,
    trust: &TlsTrust,
) -> Result<reqwest::Client, CallError> {
    let builder = trust
        .apply(reqwest::Client::builder())
        .map_err(|e| CallError::Local(e.to_string()))?;
    builder
        .timeout(request_timeout)
        .connect_timeout(request_timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(30))
        .user_agent(concat!("courier-terminal/", env!("CARGO_PKG_VERSION")))
        // The device API never redirects; following one could carry a signed
        // request to another (or a plain-HTTP) address.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CallError::Local(e.to_string()))
}

fn transport(e: reqwest::Error) -> CallError {
    if let Some(refusal) = certificate_refusal(&e) {
        return CallError::Untrusted(refusal);
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "connection failed"
    };
    CallError::Transport(format!("{kind}: {e}"))
}

/// The largest answer read from the server: a day's manifest is well below it
/// (see `terminal::manifest::MAX_MANIFEST_BYTES`); anything larger is refused
/// before it is held in memory.
pub const MAX_ANSWER_BYTES: usize = crate::terminal::manifest::MAX_MANIFEST_BYTES + 64 * 1024;

async fn decode<T: serde::de::DeserializeOwned>(mut r: reqwest::Response) -> Result<T, CallError> {
    let status = r.status().as_u16();
    let too_large = || {
        CallError::Decode(format!(
            "the answer is larger than {} MiB; refused",
            MAX_ANSWER_BYTES / (1024 * 1024)
        ))
    };
    if r.content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(transport)? {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    if (200..300).contains(&status) {
        // Repeated keys are refused: a first value must not hide the real one.
        return courier_protocol::strict_json::from_slice_strict(&bytes)
            .map_err(|e| CallError::Decode(e.to_string()));
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(b) => Err(CallError::Server {
            status,
            code: serde_json::to_value(b.error.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".into()),
            message: b.error.message,
            retryable: b.error.retryable,
            server_time_ms: Some(b.server_time_ms),
        }),
        Err(_) => Err(CallError::Server {
            status,
            code: "unknown".into(),
            message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            retryable: false,
            server_time_ms: None,
        }),
    }
}

/// Enrolls a device (the only unsigned call).
pub async fn enroll(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    key: PublicKey,
    hardware_label: &str,
) -> Result<EnrollResponse, CallError> {
    let r = http
        .post(format!("{}/v1/enroll", base.trim_end_matches('/')))
        .json(&EnrollRequest {
            token: token.to_owned(),
            device_public_key: key,
            hardware_label: hardware_label.to_owned(),
        })
        .send()
        .await
        .map_err(transport)?;
    decode(r).await
}

impl ApiClient {
    /// A client for `base` (e.g. `https://escrow.example`) signing as `device_id`.
    pub fn new(
        http: reqwest::Client,
        base: &str,
        device_id: &str,
        signer: SharedSigner,
        clock: Arc<dyn Clock>,
    ) -> Self {
        ApiClient {
            http,
            base: base.trim_end_matches('/').to_owned(),
            device_id: device_id.to_owned(),
            signer,
            offset_ms: Arc::new(AtomicI64::new(0)),
            clock,
        }
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().device_utc_ms
    }

    /// Sends a signed request and decodes the answer. A device clock more than
    /// five minutes off gets `stale_timestamp` with the server time: the client
    /// then signs with the server's time and tries once more (the signature and
    /// the nonce still protect the request; only the window moves).
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, CallError> {
        let mut adjusted = false;
        loop {
            let r = self.signed(method.clone(), path, body.clone()).await?;
            match decode(r).await {
                Err(CallError::Server {
                    code,
                    server_time_ms: Some(server),
                    ..
                }) if code == "stale_timestamp" && !adjusted => {
                    let offset = server.saturating_sub(self.now_ms());
                    tracing::warn!(
                        offset_ms = offset,
                        "device clock differs from server time; signing with server time"
                    );
                    self.offset_ms.store(offset, Ordering::Relaxed);
                    adjusted = true;
                }
                other => return other,
            }
        }
    }

    async fn signed(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::Response, CallError> {
        let mut nonce = [0u8; 16];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| CallError::Local("system random generator failed".into()))?;
        let auth = sign_request(
            self.signer.as_ref(),
            &self.device_id,
            method.as_str(),
            path,
            &body,
            self.now_ms()
                .saturating_add(self.offset_ms.load(Ordering::Relaxed)),
            nonce,
        );
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(HEADER_DEVICE_ID, auth.device_id)
            .header(HEADER_TIMESTAMP, auth.timestamp_ms.to_string())
            .header(HEADER_NONCE, auth.nonce)
            .header(HEADER_SIGNATURE, auth.signature);
        if !body.is_empty() {
            // Photo chunks are the JPEG's bytes; every other body is JSON.
            let content_type = if path.starts_with("/v1/photos/") {
                "application/octet-stream"
            } else {
                "application/json"
            };
            req = req.header("content-type", content_type).body(body);
        }
        req.send().await.map_err(transport)
    }

    /// Downloads the latest manifest (not yet verified).
    pub async fn manifest(&self) -> Result<ManifestResponse, CallError> {
        self.call(reqwest::Method::GET, "/v1/manifest", Vec::new())
            .await
    }

    /// Uploads a batch of events, saying the size of the event log's
    /// checkpoint this device keeps (for the consistency proof) and what the
    /// device says of itself (for the fleet page, not evidence).
    pub async fn upload(
        &self,
        events: &[SignedEvent],
        log_size: Option<u64>,
        device: &DeviceReport,
    ) -> Result<EventsResponse, CallError> {
        #[derive(serde::Serialize)]
        struct Borrowed<'a> {
            events: &'a [SignedEvent],
            #[serde(skip_serializing_if = "Option::is_none")]
            log_size: Option<u64>,
            device: &'a DeviceReport,
        }
        let body = serde_json::to_vec(&Borrowed {
            events,
            log_size,
            device,
        })
        .map_err(|e| CallError::Local(e.to_string()))?;
        self.call(reqwest::Method::POST, "/v1/events", body).await
    }

    /// Relays a supervisor's sign-in; the server answers a session.
    pub async fn supervisor_sign_in(
        &self,
        req: &courier_protocol::supervisor_session::SupervisorSignInRequest,
    ) -> Result<courier_protocol::supervisor_session::SupervisorSignInResponse, CallError> {
        let body = serde_json::to_vec(req).map_err(|e| CallError::Local(e.to_string()))?;
        self.call(
            reqwest::Method::POST,
            courier_protocol::supervisor_session::SUPERVISOR_SESSIONS_PATH,
            body,
        )
        .await
    }

    /// How much of a photo the server holds (with its receipt once whole).
    pub async fn photo_status(
        &self,
        sha256: &str,
    ) -> Result<courier_protocol::photo::PhotoUploadResponse, CallError> {
        let path = courier_protocol::photo::photo_path(sha256);
        self.call(reqwest::Method::GET, &path, Vec::new()).await
    }

    /// Sends one chunk of a photo of `total` bytes, starting at `offset`.
    pub async fn photo_chunk(
        &self,
        sha256: &str,
        offset: u64,
        total: u64,
        chunk: Vec<u8>,
    ) -> Result<courier_protocol::photo::PhotoUploadResponse, CallError> {
        let path = format!(
            "{}?offset={offset}&total={total}",
            courier_protocol::photo::photo_path(sha256)
        );
        self.call(reqwest::Method::PUT, &path, chunk).await
    }

    /// Asks the server to check a code of an online-only parcel.
    pub async fn code_check(&self, req: &CodeCheckRequest) -> Result<CodeCheckResponse, CallError> {
        let body = serde_json::to_vec(req).map_err(|e| CallError::Local(e.to_string()))?;
        self.call(reqwest::Method::POST, "/v1/code-checks", body)
            .await
    }
}
