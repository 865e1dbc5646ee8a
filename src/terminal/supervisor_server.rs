//! The escrow server's side of a supervisor sign-in, as the terminal sees
//! it: a small trait the sync edge implements over the signed device API
//! (`POST /v1/supervisor-sessions`), so the service stays free of HTTP.

use courier_protocol::supervisor_session::{SupervisorSignInAnswer, SupervisorSignInRequest};

/// Why the server gave no answer to a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInUnavailable {
    /// No network, a timeout, or an answer the device cannot trust: the
    /// terminal may fall back to the offline badge where the depot allows it.
    Unreachable(String),
    /// The server answered, refusing the request (unknown supervisor, wrong
    /// shape): said as is, no fallback.
    Refused(String),
}

/// Checks a supervisor's PIN or badge at the server, which answers a session.
pub trait SupervisorSignInServer: Send + Sync {
    /// Relays the sign-in; the secret travels only over the signed request.
    fn sign_in(
        &self,
        req: &SupervisorSignInRequest,
    ) -> Result<SupervisorSignInAnswer, SignInUnavailable>;
}
