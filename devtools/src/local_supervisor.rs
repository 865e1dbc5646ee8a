//! A stand-in for the escrow server's supervisor sign-in, for tests, benches
//! and screenshots that run a terminal without a server: it checks a PIN or
//! badge against the sample supervisor's server-side credential (the
//! verifiers no manifest carries), with one try counter, and answers
//! sessions with random keys. Nothing here ships.

use std::num::NonZeroU32;
use std::sync::Mutex;

use courier_protocol::keys::decode_hex_array;
use courier_protocol::supervisor::{
    IssuedSupervisor, SUPERVISOR_SESSION_MAX_MS, SupervisorCredential, SupervisorSecret,
};
use courier_protocol::supervisor_session::{
    SupervisorSessionGrant, SupervisorSignInAnswer, SupervisorSignInRequest,
};
use courier_protocol::vocabulary::SupervisorFactor;
use courier_terminal::terminal::{SignInUnavailable, SupervisorSignInServer};
use ring::rand::{SecureRandom, SystemRandom};

/// The server's side of sign-in, in process.
pub struct LocalSupervisorServer {
    credential: SupervisorCredential,
    depot: String,
    spent: Mutex<u32>,
}

impl LocalSupervisorServer {
    /// Checks entries against `issued` (the server's copy) of `depot`.
    pub fn new(issued: &IssuedSupervisor, depot: &str) -> Self {
        LocalSupervisorServer {
            credential: issued.credential.clone(),
            depot: depot.to_owned(),
            spent: Mutex::new(0),
        }
    }

    /// The sample depot's supervisor (`sample_day::sample_supervisor`).
    pub fn sample(iterations: u32) -> Self {
        let (issued, _) =
            crate::sample_day::sample_supervisor(iterations).expect("the sample supervisor");
        Self::new(&issued, crate::sample_day::SAMPLE_DEPOT)
    }

    fn matches(&self, req: &SupervisorSignInRequest) -> bool {
        let secret = match req.factor {
            SupervisorFactor::Pin => self
                .credential
                .pin
                .as_ref()
                .and_then(|p| SupervisorSecret::pin(&req.secret, p.digits).ok()),
            SupervisorFactor::Badge => SupervisorSecret::badge(&req.secret)
                .ok()
                .filter(|(id, _)| *id == self.credential.supervisor_id)
                .map(|(_, s)| s),
        };
        let (Some(secret), Some(spec)) = (secret, self.credential.spec(req.factor)) else {
            return false;
        };
        let (Ok(salt), Some(iterations), Some(Ok(v))) = (
            hex::decode(&spec.salt),
            NonZeroU32::new(spec.iterations),
            spec.verifier
                .as_deref()
                .map(|v| decode_hex_array::<32>(v, "verifier")),
        ) else {
            return false;
        };
        secret.derive_key(&salt, iterations).matches_verifier(&v)
    }
}

impl SupervisorSignInServer for LocalSupervisorServer {
    fn sign_in(
        &self,
        req: &SupervisorSignInRequest,
    ) -> Result<SupervisorSignInAnswer, SignInUnavailable> {
        if req.supervisor_id != self.credential.supervisor_id {
            return Err(SignInUnavailable::Refused(format!(
                "no supervisor {} in this depot",
                req.supervisor_id
            )));
        }
        let limit = self.credential.attempt_limit;
        let mut spent = self
            .spent
            .lock()
            .map_err(|_| SignInUnavailable::Unreachable("poisoned counter".into()))?;
        if *spent >= limit {
            return Ok(SupervisorSignInAnswer::Locked { limit });
        }
        *spent += 1;
        if !self.matches(req) {
            return Ok(if *spent >= limit {
                SupervisorSignInAnswer::Locked { limit }
            } else {
                SupervisorSignInAnswer::Wrong {
                    tries_left: limit - *spent,
                }
            });
        }
        *spent = 0;
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| SignInUnavailable::Unreachable("no randomness".into()))?;
        let now = crate::fixture::now_ms();
        Ok(SupervisorSignInAnswer::SignedIn {
            session: SupervisorSessionGrant {
                session_id: uuid::Uuid::now_v7().to_string(),
                session_key: hex::encode(key),
                supervisor_id: self.credential.supervisor_id.clone(),
                name: self.credential.name.clone(),
                depot: self.depot.clone(),
                factor: req.factor,
                issued_at_ms: now,
                expires_at_ms: now + SUPERVISOR_SESSION_MAX_MS,
            },
        })
    }
}
