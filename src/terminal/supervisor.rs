//! The depot supervisor on the courier's device. The PIN is checked by the
//! escrow server, never here (no PIN verifier reaches the device): the
//! terminal relays it over the signed device API and the server answers a
//! session, whose random key stays in memory only and binds a proof, naming
//! the session, to every supervisor event. Offline, where the depot's
//! manifest allows the badge as an offline factor, the badge is checked here
//! like the buyer's code (the try spent and committed before the comparison,
//! the KDF with no lock held, a lock at the credential's limit), and every
//! event of that session is flagged for review at the server. Otherwise
//! sign-in needs the network. No supervisor step works without a live
//! session: the courier alone cannot enter supervisor mode.

use std::num::NonZeroU32;

use courier_protocol::code_verifier::CodeKey;
use courier_protocol::envelope::{EventBody, SignedEvent};
use courier_protocol::keys::decode_hex_array;
use courier_protocol::supervisor::{
    SupervisorCredential, SupervisorFormatError, SupervisorProof, SupervisorSecret,
    supervisor_proof,
};
use courier_protocol::supervisor_session::{SupervisorSignInAnswer, SupervisorSignInRequest};
use courier_protocol::vocabulary::{EventKind, SupervisorFactor};
use serde::Serialize;
use thiserror::Error;
use tracing::{info, warn};

use super::supervisor_server::SignInUnavailable;
use super::{Decision, Terminal, TerminalError};
use crate::domain::event_draft::EventDraft;
use crate::storage::Reads;

/// A session ends after this long without a supervisor step, milliseconds.
pub const SESSION_IDLE_MS: i64 = 5 * 60 * 1000;
/// A session ends this long after sign-in whatever happens, milliseconds.
pub const SESSION_MAX_MS: i64 = 30 * 60 * 1000;

/// How the supervisor presents themself.
#[derive(Debug, Clone, Copy)]
pub enum SupervisorEntry<'a> {
    /// The scanned (or typed) badge QR text; it names the supervisor.
    Badge(&'a str),
    /// A PIN typed for the supervisor chosen on the screen.
    Pin {
        /// The supervisor chosen.
        supervisor_id: &'a str,
        /// The PIN as typed (never stored, logged or sent).
        pin: &'a str,
    },
}

/// Why a supervisor step cannot go ahead.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SupervisorRefusal {
    /// No supervisor is signed in.
    #[error(
        "a depot supervisor must sign in on this device first (badge or PIN); the courier alone cannot do this"
    )]
    NotSignedIn,
    /// The session ended (idle or too long).
    #[error("the supervisor's session has ended: sign in again with the badge or PIN")]
    SessionExpired,
    /// The manifest in force lists no such supervisor.
    #[error(
        "supervisor {0} is not listed for this depot in today's manifest: sync, or ask the back office to issue the credential"
    )]
    UnknownSupervisor(String),
    /// The supervisor has no credential of this kind.
    #[error("this supervisor has no {0}; use the other way to sign in")]
    NoSuchFactor(&'static str),
    /// The badge or PIN is malformed (no try was used).
    #[error("{0} (no try was used)")]
    Format(#[from] SupervisorFormatError),
    /// The manifest's supervisor material is unusable.
    #[error(
        "the manifest's credential for this supervisor is unusable ({0}); call the back office"
    )]
    BadMaterial(String),
    /// The server could not be reached, and the depot does not allow the
    /// badge offline (a PIN is checked by the server only).
    #[error(
        "supervisor sign-in needs the network: the PIN is checked by the escrow server (no try was used); connect, or use the badge where the depot allows it offline"
    )]
    NeedsNetwork,
    /// The server refused the sign-in request itself.
    #[error("the escrow server refused the sign-in: {0}")]
    ServerRefused(String),
}

/// A supervisor as the sign-in screen lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupervisorInfo {
    /// Id.
    pub supervisor_id: String,
    /// Name.
    pub name: String,
    /// Has a badge.
    pub has_badge: bool,
    /// Has a PIN (and its length).
    pub pin_digits: Option<u8>,
    /// Wrong entries left before the lock.
    pub tries_left: u32,
    /// Locked on this device.
    pub locked: bool,
}

/// Who is signed in, for the screens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    /// Id.
    pub supervisor_id: String,
    /// Name.
    pub name: String,
    /// Badge or PIN.
    pub factor: SupervisorFactor,
    /// The `supervisor_signed_in` event.
    pub signed_in_event: String,
    /// Seconds before the session ends if nothing happens.
    pub idle_left_s: i64,
    /// Signed in offline with the badge: every event is flagged for review.
    pub offline: bool,
}

/// The answer to a sign-in, after any event is durably stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "answer")]
pub enum SignInAnswer {
    /// Signed in: supervisor steps now carry this supervisor's proof.
    SignedIn(SessionInfo),
    /// Wrong badge or PIN: a try was spent.
    Wrong {
        /// Tries left before the lock.
        tries_left: u32,
    },
    /// Locked on this device (now, or already: then no try was spent).
    Locked {
        /// The credential's limit.
        limit: u32,
    },
}

/// A live session: `K` in memory only, dropped (and zeroed) at sign-out or expiry.
pub(crate) struct Session {
    /// The server's session id (none: offline badge).
    session_id: Option<String>,
    supervisor_id: String,
    name: String,
    factor: SupervisorFactor,
    key: CodeKey,
    signed_in_event: String,
    boot_id: String,
    started_ms: i64,
    last_ms: i64,
}

impl Session {
    /// Puts this supervisor's proof, bound to the rest of the body, in it.
    pub(crate) fn sign(&self, body: &mut EventBody) -> Result<(), TerminalError> {
        body.supervisor = Some(SupervisorProof {
            supervisor_id: self.supervisor_id.clone(),
            factor: self.factor,
            proof: String::new(),
            session: self.session_id.clone(),
        });
        let digest = body.supervisor_digest()?;
        if let Some(s) = &mut body.supervisor {
            s.proof = hex::encode(supervisor_proof(&self.key, &digest));
        }
        Ok(())
    }

    fn live_at(&self, boot_id: &str, now_ms: i64) -> bool {
        self.boot_id == boot_id
            && now_ms >= self.last_ms
            && now_ms - self.last_ms <= SESSION_IDLE_MS
            && now_ms - self.started_ms <= SESSION_MAX_MS
    }

    fn info(&self, now_ms: i64) -> SessionInfo {
        SessionInfo {
            supervisor_id: self.supervisor_id.clone(),
            name: self.name.clone(),
            factor: self.factor,
            signed_in_event: self.signed_in_event.clone(),
            idle_left_s: (SESSION_IDLE_MS - (now_ms - self.last_ms)).max(0) / 1000,
            offline: self.session_id.is_none(),
        }
    }
}

/// The try counter's key: a re-issued credential counts afresh.
fn counter_key(c: &SupervisorCredential) -> Result<String, TerminalError> {
    Ok(format!("{}:{}", c.supervisor_id, c.fingerprint()?))
}

fn factor_name(f: SupervisorFactor) -> &'static str {
    match f {
        SupervisorFactor::Badge => "badge",
        SupervisorFactor::Pin => "PIN",
    }
}

type Material = (Vec<u8>, NonZeroU32, [u8; 32]);

fn material(c: &SupervisorCredential, factor: SupervisorFactor) -> Result<Material, TerminalError> {
    let spec = c
        .spec(factor)
        .ok_or(SupervisorRefusal::NoSuchFactor(factor_name(factor)))?;
    let bad = |m: &str| SupervisorRefusal::BadMaterial(m.to_owned());
    let salt = hex::decode(&spec.salt).map_err(|_| bad("salt is not hex"))?;
    let iterations = NonZeroU32::new(spec.iterations).ok_or_else(|| bad("zero iterations"))?;
    let verifier = spec
        .verifier
        .as_deref()
        .and_then(|v| decode_hex_array::<32>(v, "verifier").ok())
        .ok_or_else(|| bad("verifier is not 32 bytes of hex"))?;
    Ok((salt, iterations, verifier))
}

impl Terminal {
    /// The depot's supervisors listed by the manifest in force.
    pub fn supervisors(&self) -> Result<Vec<SupervisorInfo>, TerminalError> {
        let Some(m) = self.store.current_manifest()? else {
            return Ok(Vec::new());
        };
        m.body
            .supervisors
            .iter()
            .map(|c| {
                let spent = self.store.supervisor_tries(&counter_key(c)?)?;
                Ok(SupervisorInfo {
                    supervisor_id: c.supervisor_id.clone(),
                    name: c.name.clone(),
                    has_badge: c.badge.is_some() || c.has_badge,
                    pin_digits: c.pin.as_ref().map(|p| p.digits),
                    tries_left: c.attempt_limit.saturating_sub(spent),
                    locked: spent >= c.attempt_limit,
                })
            })
            .collect()
    }

    fn credential(&self, supervisor_id: &str) -> Result<SupervisorCredential, TerminalError> {
        self.store
            .current_manifest()?
            .and_then(|m| {
                m.body
                    .supervisors
                    .into_iter()
                    .find(|c| c.supervisor_id == supervisor_id)
            })
            .ok_or_else(|| SupervisorRefusal::UnknownSupervisor(supervisor_id.to_owned()).into())
    }

    /// Signs a supervisor in: at the server when it answers (the PIN or
    /// badge is checked there, with one try counter per supervisor across
    /// all devices), else with the badge offline where the depot's manifest
    /// allows it (the try spent and committed before the comparison); else
    /// [`SupervisorRefusal::NeedsNetwork`]. A right entry records a
    /// `supervisor_signed_in` event bound to the new session. Malformed input
    /// spends no try. Any earlier session ends first.
    pub fn supervisor_sign_in(
        &mut self,
        entry: SupervisorEntry<'_>,
    ) -> Result<SignInAnswer, TerminalError> {
        self.supervisor = None;
        let (credential, secret, text) = match entry {
            SupervisorEntry::Badge(text) => {
                let (id, secret) =
                    SupervisorSecret::badge(text).map_err(SupervisorRefusal::Format)?;
                (self.credential(&id)?, secret, text.trim().to_owned())
            }
            SupervisorEntry::Pin { supervisor_id, pin } => {
                let c = self.credential(supervisor_id.trim())?;
                let digits = c
                    .pin
                    .as_ref()
                    .ok_or(SupervisorRefusal::NoSuchFactor("PIN"))?
                    .digits;
                let typed = crate::domain::digits::entry_text(pin);
                let secret =
                    SupervisorSecret::pin(&typed, digits).map_err(SupervisorRefusal::Format)?;
                (c, secret, typed.replace(char::is_whitespace, ""))
            }
        };
        let factor = secret.factor();
        if let Some(server) = self.supervisor_server.clone() {
            let req = SupervisorSignInRequest {
                supervisor_id: credential.supervisor_id.clone(),
                factor,
                secret: text,
            };
            match server.sign_in(&req) {
                Ok(SupervisorSignInAnswer::SignedIn { session }) => {
                    drop(req);
                    let key = decode_hex_array::<32>(&session.session_key, "session key").map_err(
                        |_| SupervisorRefusal::ServerRefused("an unusable session key".into()),
                    )?;
                    return self.open_session(
                        &credential,
                        factor,
                        CodeKey::from_bytes(key),
                        Some(session.session_id),
                        None,
                    );
                }
                Ok(SupervisorSignInAnswer::Wrong { tries_left }) => {
                    warn!(supervisor = %credential.supervisor_id, tries_left, "wrong supervisor badge or PIN (server)");
                    return Ok(SignInAnswer::Wrong { tries_left });
                }
                Ok(SupervisorSignInAnswer::Locked { limit }) => {
                    return Ok(SignInAnswer::Locked { limit });
                }
                Err(SignInUnavailable::Refused(why)) => {
                    return Err(SupervisorRefusal::ServerRefused(why).into());
                }
                Err(SignInUnavailable::Unreachable(why)) => {
                    warn!(supervisor = %credential.supervisor_id, %why, "server unreachable for supervisor sign-in");
                }
            }
        }
        let offline_badge = self
            .store
            .current_manifest()?
            .is_some_and(|m| m.body.offline_badge);
        if factor != SupervisorFactor::Badge || !offline_badge || credential.badge.is_none() {
            return Err(SupervisorRefusal::NeedsNetwork.into());
        }
        let (salt, iterations, verifier) = material(&credential, factor)?;
        let counter = counter_key(&credential)?;
        let limit = credential.attempt_limit;
        let clock = self.clock.now();
        // Spend the try durably before comparing, like a card's PIN counter.
        let Some(spent) = self.store.spend_supervisor_try(
            &counter,
            &credential.supervisor_id,
            limit,
            clock.device_utc_ms,
        )?
        else {
            return Ok(SignInAnswer::Locked { limit });
        };
        let key = secret.derive_key(&salt, iterations);
        drop(secret);
        if !key.matches_verifier(&verifier) {
            warn!(supervisor = %credential.supervisor_id, spent, limit, "wrong supervisor badge (offline)");
            return Ok(if spent >= limit {
                SignInAnswer::Locked { limit }
            } else {
                SignInAnswer::Wrong {
                    tries_left: limit - spent,
                }
            });
        }
        self.open_session(&credential, factor, key, None, Some(counter))
    }

    /// Opens a session with `key` and records its `supervisor_signed_in` event.
    fn open_session(
        &mut self,
        credential: &SupervisorCredential,
        factor: SupervisorFactor,
        key: CodeKey,
        session_id: Option<String>,
        resets: Option<String>,
    ) -> Result<SignInAnswer, TerminalError> {
        let clock = self.clock.now();
        let offline = session_id.is_none();
        self.supervisor = Some(Session {
            session_id,
            supervisor_id: credential.supervisor_id.clone(),
            name: credential.name.clone(),
            factor,
            key,
            signed_in_event: String::new(),
            boot_id: clock.boot_id.clone(),
            started_ms: clock.monotonic_ms,
            last_ms: clock.monotonic_ms,
        });
        let name = credential.name.clone();
        let recorded = self.record(|_, _, _| {
            let mut draft = EventDraft::new(EventKind::SupervisorSignedIn)
                .detail("factor", factor_name(factor).to_lowercase())
                .detail("name", name);
            if offline {
                draft = draft.detail("mode", "offline_badge");
            }
            let mut d = Decision::event(draft);
            d.supervised = true;
            d.resets_supervisor_tries = resets;
            Ok(d)
        });
        let event = match recorded {
            Ok(e) => e,
            Err(e) => {
                self.supervisor = None;
                return Err(e);
            }
        };
        info!(supervisor = %credential.supervisor_id, ?factor, offline, "supervisor signed in");
        let now = self.clock.now().monotonic_ms;
        let session = self
            .supervisor
            .as_mut()
            .ok_or(SupervisorRefusal::NotSignedIn)?;
        session.signed_in_event = event.body.event_id.clone();
        Ok(SignInAnswer::SignedIn(session.info(now)))
    }

    /// Who is signed in, if the session is still live.
    pub fn supervisor_session(&self) -> Option<SessionInfo> {
        let now = self.clock.now();
        self.supervisor
            .as_ref()
            .filter(|s| s.live_at(&now.boot_id, now.monotonic_ms))
            .map(|s| s.info(now.monotonic_ms))
    }

    /// Ends the supervisor's session (the key is zeroed).
    pub fn supervisor_sign_out(&mut self) {
        if self.supervisor.take().is_some() {
            info!("supervisor signed out");
        }
    }

    /// A live session, its idle timer restarted; the refusal otherwise.
    pub(crate) fn require_supervisor(&mut self) -> Result<(), TerminalError> {
        let now = self.clock.now();
        match &mut self.supervisor {
            None => Err(SupervisorRefusal::NotSignedIn.into()),
            Some(s) if s.live_at(&now.boot_id, now.monotonic_ms) => {
                s.last_ms = now.monotonic_ms;
                Ok(())
            }
            Some(_) => {
                self.supervisor = None;
                Err(SupervisorRefusal::SessionExpired.into())
            }
        }
    }

    /// Records a supervisor event decided inside the write transaction.
    pub(crate) fn record_supervised<'m>(
        &mut self,
        decide: impl FnOnce(
            &crate::storage::Tx<'_>,
            &crate::domain::event_draft::Stamp,
        ) -> Result<Option<Decision<'m>>, TerminalError>,
    ) -> Result<Option<SignedEvent>, TerminalError> {
        self.require_supervisor()?;
        self.record_if(|tx, stamp, _| {
            decide(tx, stamp).map(|d| {
                d.map(|mut d| {
                    d.supervised = true;
                    d
                })
            })
        })
    }
}
