//! Online code checks for `online_only` parcels: the server decides, with a
//! short timeout; no answer means "no network: cannot validate, do not hand over".
//!
//! The proof sent is `HMAC(K, "proof" || SHA-256("online-check" || nonce))` with a
//! fresh nonce, so neither the code nor `K` leaves the device and an answer
//! cannot be replayed for another check. The terminal then records the
//! evidence event through the normal log; the server re-verifies that event's
//! own proof at ingest.

use std::time::Duration;

use courier_protocol::api::{
    CodeCheckRequest, CodeFormWire, OnlineCheckResult, online_check_digest,
};
use courier_protocol::code_verifier::{CodeForm, CodeKey};
use courier_protocol::keys::PublicKey;
use ring::rand::{SecureRandom, SystemRandom};

use super::client::ApiClient;
use crate::domain::code_check::TrySpend;
use crate::domain::parcel::Parcel;
use crate::terminal::{OnlineAnswer, OnlineCodeCheck};

/// Default time the courier waits for the server at the door.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);

/// Online checks over HTTP, for the synchronous terminal service.
pub struct HttpOnlineCheck {
    runtime: tokio::runtime::Runtime,
    client: ApiClient,
    server_key: PublicKey,
    device_id: String,
    timeout: Duration,
}

impl HttpOnlineCheck {
    /// Builds the checker; it owns a small runtime, so call it from plain
    /// threads (the CLI, the UI's worker), not from inside another runtime.
    pub fn new(
        client: ApiClient,
        server_key: PublicKey,
        device_id: &str,
        timeout: Duration,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(HttpOnlineCheck {
            runtime,
            client,
            server_key,
            device_id: device_id.to_owned(),
            timeout,
        })
    }
}

impl OnlineCodeCheck for HttpOnlineCheck {
    fn check(
        &self,
        parcel: &Parcel,
        form: CodeForm,
        key: &CodeKey,
    ) -> Result<OnlineAnswer, String> {
        let no_network =
            |why: String| format!("no network: cannot validate, do not hand over ({why})");
        let mut nonce = [0u8; 16];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| no_network("no randomness".into()))?;
        let req = CodeCheckRequest {
            parcel_id: parcel.spec.parcel_id.clone(),
            form: match form {
                CodeForm::Numeric => CodeFormWire::Numeric,
                CodeForm::Qr => CodeFormWire::Qr,
            },
            nonce: hex::encode(nonce),
            proof: hex::encode(key.proof(&online_check_digest(&nonce))),
        };
        let answer = self
            .runtime
            .block_on(async {
                tokio::time::timeout(self.timeout, self.client.code_check(&req)).await
            })
            .map_err(|_| no_network(format!("no answer within {} ms", self.timeout.as_millis())))?
            .map_err(|e| no_network(e.to_string()))?;
        let body = answer
            .check
            .verify(&self.server_key)
            .map_err(|e| no_network(format!("answer not signed by the enrolled server: {e}")))?;
        if body.nonce != req.nonce
            || body.parcel_id != req.parcel_id
            || body.device_id != self.device_id
        {
            return Err(no_network("answer is for another check".into()));
        }
        Ok(OnlineAnswer {
            matched: body.result == OnlineCheckResult::Match,
            spend: match body.result {
                OnlineCheckResult::Locked => TrySpend::NoneLeft,
                OnlineCheckResult::Match | OnlineCheckResult::Mismatch => {
                    TrySpend::Spent(body.attempts_spent)
                }
            },
        })
    }
}
