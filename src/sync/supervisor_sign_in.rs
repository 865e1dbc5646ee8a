//! Supervisor sign-in over the signed device API
//! (`POST /v1/supervisor-sessions`), for the synchronous terminal service:
//! the server checks the PIN or badge and answers a session. No answer within
//! the timeout is "unreachable" (the terminal may then use the badge offline
//! where the depot allows it); an error the server answers is its refusal.

use std::time::Duration;

use courier_protocol::supervisor_session::{SupervisorSignInAnswer, SupervisorSignInRequest};

use super::client::{ApiClient, CallError};
use crate::terminal::{SignInUnavailable, SupervisorSignInServer};

/// Sign-ins over HTTP, with a small runtime of their own.
pub struct HttpSupervisorSignIn {
    runtime: tokio::runtime::Runtime,
    client: ApiClient,
    timeout: Duration,
}

impl HttpSupervisorSignIn {
    /// Builds it; call it from plain threads (the CLI, the UI's worker).
    pub fn new(client: ApiClient, timeout: Duration) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(HttpSupervisorSignIn {
            runtime,
            client,
            timeout,
        })
    }
}

impl SupervisorSignInServer for HttpSupervisorSignIn {
    fn sign_in(
        &self,
        req: &SupervisorSignInRequest,
    ) -> Result<SupervisorSignInAnswer, SignInUnavailable> {
        let answer = self
            .runtime
            .block_on(async {
                tokio::time::timeout(self.timeout, self.client.supervisor_sign_in(req)).await
            })
            .map_err(|_| {
                SignInUnavailable::Unreachable(format!(
                    "no answer within {} ms",
                    self.timeout.as_millis()
                ))
            })?;
        match answer {
            Ok(r) => Ok(r.answer),
            Err(CallError::Server {
                message, retryable, ..
            }) if !retryable => Err(SignInUnavailable::Refused(message)),
            Err(e) => Err(SignInUnavailable::Unreachable(e.to_string())),
        }
    }
}
