//! Depot supervisors in the server's tests: issuing one, signing in at the
//! server (`POST /v1/supervisor-sessions`) and sealing events with a
//! supervisor's proof made with a session key (or an offline badge's key).
#![allow(dead_code)]

use courier_protocol::api::{CreateSupervisorRequest, CreateSupervisorResponse, EventsResponse};
use courier_protocol::code_verifier::CodeKey;
use courier_protocol::envelope::{EventBody, SignedEvent};
use courier_protocol::keys::decode_hex_array;
use courier_protocol::supervisor::{SupervisorProof, supervisor_proof};
use courier_protocol::supervisor_session::{
    SUPERVISOR_SESSIONS_PATH, SupervisorSignInAnswer, SupervisorSignInRequest,
    SupervisorSignInResponse,
};
use courier_protocol::vocabulary::{EventKind, SupervisorFactor};

use super::{ADMIN, Device, Harness};

/// What signs a supervisor event: a session's key and id, or (offline) the
/// badge's key and no session.
#[derive(Clone)]
pub struct Signer {
    pub supervisor_id: String,
    pub factor: SupervisorFactor,
    /// The key's bytes (a session key, or the badge's `K`).
    pub key: [u8; 32],
    pub session: Option<String>,
}

/// The supervisor calls of the server's test harness.
#[allow(async_fn_in_trait)]
pub trait SupervisorHarness {
    /// Creates (or re-issues) a supervisor of `depot` with a PIN and a badge.
    async fn supervisor_in(&self, id: &str, depot: &str, pin: &str) -> CreateSupervisorResponse;
    /// A sign-in from `device`; status and body.
    async fn sign_in_raw(
        &self,
        device: &mut Device,
        id: &str,
        factor: SupervisorFactor,
        secret: &str,
    ) -> (u16, String);
    /// A PIN sign-in's answer.
    async fn sign_in(&self, device: &mut Device, id: &str, pin: &str) -> SupervisorSignInAnswer;
    /// Signs in with the right PIN and returns the session's signer.
    async fn session(&self, device: &mut Device, id: &str, pin: &str) -> Signer;
    /// Issues `device` a manifest of `depot` listing `parcels`.
    async fn manifest_in(
        &self,
        device: &str,
        parcels: &[&str],
        depot: &str,
    ) -> courier_protocol::manifest::SignedManifest;
    /// The kinds of the alerts recorded so far, oldest first.
    async fn alert_kinds(&self) -> Vec<String>;
}

impl SupervisorHarness for Harness {
    /// Creates (or re-issues) a supervisor of `depot` with a PIN and a badge.
    async fn supervisor_in(&self, id: &str, depot: &str, pin: &str) -> CreateSupervisorResponse {
        self.admin_post(
            "/v1/admin/supervisors",
            &CreateSupervisorRequest {
                supervisor_id: id.into(),
                name: format!("Supervisor {id}"),
                depot: depot.into(),
                badge: true,
                pin: Some(pin.into()),
                attempt_limit: None,
                pin_iterations: Some(1_000),
            },
        )
        .await
    }

    /// A sign-in from `device`; status and body.
    async fn sign_in_raw(
        &self,
        device: &mut Device,
        id: &str,
        factor: SupervisorFactor,
        secret: &str,
    ) -> (u16, String) {
        let body = serde_json::to_vec(&SupervisorSignInRequest {
            supervisor_id: id.into(),
            factor,
            secret: secret.into(),
        })
        .expect("json");
        self.signed(device, "POST", SUPERVISOR_SESSIONS_PATH, body)
            .await
    }

    /// A PIN sign-in's answer.
    async fn sign_in(&self, device: &mut Device, id: &str, pin: &str) -> SupervisorSignInAnswer {
        let (status, text) = self
            .sign_in_raw(device, id, SupervisorFactor::Pin, pin)
            .await;
        assert_eq!(status, 200, "{text}");
        serde_json::from_str::<SupervisorSignInResponse>(&text)
            .expect("sign-in answer")
            .answer
    }

    /// Signs in with the right PIN and returns the session's signer.
    async fn session(&self, device: &mut Device, id: &str, pin: &str) -> Signer {
        match self.sign_in(device, id, pin).await {
            SupervisorSignInAnswer::SignedIn { session } => Signer {
                supervisor_id: session.supervisor_id,
                factor: SupervisorFactor::Pin,
                key: decode_hex_array::<32>(&session.session_key, "session key").expect("key"),
                session: Some(session.session_id),
            },
            other => panic!("sign-in refused: {other:?}"),
        }
    }
    /// Issues `device` a manifest of `depot` listing `parcels`.
    async fn manifest_in(
        &self,
        device: &str,
        parcels: &[&str],
        depot: &str,
    ) -> courier_protocol::manifest::SignedManifest {
        self.admin_post(
            "/v1/admin/manifests",
            &courier_protocol::api::IssueManifestRequest {
                device_id: device.into(),
                parcel_ids: parcels.iter().map(|s| s.to_string()).collect(),
                withdrawn: vec![],
                depot: depot.into(),
                valid_for_ms: 3_600_000,
                load_check: false,
                desks: Default::default(),
                photos: Default::default(),
            },
        )
        .await
    }

    /// The kinds of the alerts recorded so far, oldest first.
    async fn alert_kinds(&self) -> Vec<String> {
        let v: serde_json::Value = self
            .http
            .get(self.url("/v1/admin/alerts"))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("alerts")
            .json()
            .await
            .expect("json");
        v["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .map(|a| a["kind"].as_str().unwrap_or("").to_owned())
            .collect()
    }
}

/// Seals `body` with `signer`'s supervisor proof.
pub fn seal_signed(dev: &mut Device, mut body: EventBody, signer: &Signer) -> SignedEvent {
    body.supervisor = Some(SupervisorProof {
        supervisor_id: signer.supervisor_id.clone(),
        factor: signer.factor,
        proof: String::new(),
        session: signer.session.clone(),
    });
    let digest = body.supervisor_digest().expect("digest");
    if let Some(s) = &mut body.supervisor {
        s.proof = hex::encode(supervisor_proof(&CodeKey::from_bytes(signer.key), &digest));
    }
    dev.seal_next(body)
}

/// The next event's body under manifest `version`.
pub fn next_body(dev: &Device, kind: EventKind, parcel: Option<&str>, version: u64) -> EventBody {
    let mut b = dev.body(dev.seq + 1, &dev.prev.clone(), kind, parcel);
    b.manifest_version = Some(version);
    b
}

/// `(status, reason)` of each event of a receipt.
pub fn statuses(r: &EventsResponse) -> Vec<(String, String)> {
    let v = serde_json::to_value(&r.receipt.body.results).expect("json");
    v.as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap_or("").to_owned(),
                r["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// After a rejection, the device's chain goes back to what the server holds.
pub fn rewind(dev: &mut Device, r: &EventsResponse) {
    dev.seq = r.receipt.body.last_seq;
    dev.prev = r.receipt.body.last_hash.clone();
}

pub fn accepted() -> (String, String) {
    ("accepted".into(), String::new())
}

/// Stored as evidence, no effect (a rule or the supervisor check decided).
pub fn not_honoured(reason: &str) -> (String, String) {
    ("not_honoured".into(), reason.into())
}

pub fn rejected(reason: &str) -> (String, String) {
    ("rejected".into(), reason.into())
}
