//! Supervisor sign-in over the signed device API
//! (`POST /v1/supervisor-sessions`), for the synchronous terminal service:
//! the server checks the PIN or badge and answers a session. No answer within
//! the timeout is "unreachable" (the terminal may then use the badge offline
//! where the depot allows it); an error the server answers is its refusal.

use std::time::Duration;

use courier_protocol::supervisor_session::{SupervisorSignInAnswer, SupervisorSignInRequest};

use super::client::{ApiClient, CallError};
use crate::terminal::{SignInUnavailable, SupervisorSignInServer};

/// Sign-ins over HTTP. Each sign-in runs on a small runtime made for it, so
/// the terminal holding this can be dropped anywhere (the CLI's `sync` drops
/// its terminal inside its own runtime).
pub struct HttpSupervisorSignIn {
    client: ApiClient,
    timeout: Duration,
}

impl HttpSupervisorSignIn {
    /// Builds it; sign in from plain threads (the CLI, the UI's worker).
    pub fn new(client: ApiClient, timeout: Duration) -> Self {
        HttpSupervisorSignIn { client, timeout }
    }
}

impl SupervisorSignInServer for HttpSupervisorSignIn {
    fn sign_in(
        &self,
        req: &SupervisorSignInRequest,
    ) -> Result<SupervisorSignInAnswer, SignInUnavailable> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| SignInUnavailable::Unreachable(format!("no runtime: {e}")))?;
        let answer = runtime
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
