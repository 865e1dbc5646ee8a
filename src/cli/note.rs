//! What the command line says besides its data and its errors: answers,
//! warnings, verdicts and usage hints, one variant each, so the message
//! catalogue (`docs/messages.md`, `tests/message_catalogue.rs`) lists every
//! one of them from this type, with the stream it goes to.

use std::fmt;

use courier_protocol::api::RejectReason;

/// One thing the command line tells the person at the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// `manifest load`: what the new manifest changed.
    ManifestLoaded {
        /// Manifest version.
        version: u64,
        /// Parcels listed.
        parcels: usize,
        /// New parcels.
        added: usize,
        /// Parcels whose details changed.
        updated: usize,
        /// Parcels withdrawn by this manifest.
        withdrawn: usize,
        /// Parcels listed again that stay withdrawn here.
        still_withdrawn: usize,
    },
    /// `manifest load`: a withdrawal that came after the parcel's outcome.
    WithdrawnAfterOutcome {
        /// The parcel's label.
        label: String,
        /// What the parcel already is here ("delivered", "returned", ...).
        outcome: String,
    },
    /// `manifest load`: a withdrawn parcel listed again.
    StaysWithdrawn {
        /// The parcel's label.
        label: String,
    },
    /// `manifest show` with none loaded.
    NoManifest,
    /// `manifest load` of a file larger than any day.
    ManifestTooLarge {
        /// The file as given.
        file: String,
        /// The bound, MiB.
        mib: usize,
    },
    /// `depot sign-in`: the server checked the PIN or badge.
    SupervisorSignedIn {
        /// The supervisor's name.
        name: String,
        /// The supervisor's id.
        id: String,
    },
    /// `depot sign-in`: the badge read offline (flagged).
    SupervisorSignedInOffline {
        /// The supervisor's name.
        name: String,
        /// The supervisor's id.
        id: String,
    },
    /// `depot sign-in`: a wrong badge or PIN.
    SupervisorWrong {
        /// Tries left before the lock.
        tries_left: u32,
    },
    /// `depot sign-in`: the supervisor's credential is locked.
    SupervisorLocked {
        /// The number of tries it allowed.
        limit: u32,
    },
    /// A secret was expected on standard input and none came.
    SecretOnStdin {
        /// What was expected ("supervisor's PIN", ...).
        what: String,
    },
    /// `deliver`: the code was right.
    Delivered,
    /// `deliver`: the code was wrong.
    WrongCode {
        /// Tries left.
        tries_left: u32,
    },
    /// `deliver`: no try is left.
    CodeLocked,
    /// `deliver`: an online-only parcel without the network.
    CodeNeedsNetwork,
    /// `deliver` without a code.
    GiveCodeOrQr,
    /// `events export` to a closed or discarded standard output.
    StdoutClosed {
        /// Events that would have been exported.
        total: u64,
    },
    /// `events export` whose reader stopped early.
    ExportIncomplete {
        /// Events written before the reader closed.
        written: u64,
        /// Events in the log.
        total: u64,
    },
    /// `events export` done.
    Exported {
        /// Events written.
        written: u64,
    },
    /// `events verify`: the log's signatures and chain verify.
    LogVerifies {
        /// Events in the log.
        events: u64,
        /// Hash of the last event, hex.
        tip: String,
    },
    /// `events verify`: no checkpoint to compare with.
    NoCheckpoint,
    /// `events verify`: the log holds everything the server signed.
    CheckpointConsistent {
        /// The checkpoint's last event.
        checkpoint_seq: u64,
        /// Later events, recorded here and not yet acknowledged.
        later: u64,
    },
    /// `events verify`: events the server signed are missing here.
    CheckpointTruncated {
        /// The log's last event.
        log_seq: u64,
        /// The checkpoint's last event.
        checkpoint_seq: u64,
    },
    /// `events verify`: an event is not the one the server signed.
    CheckpointForked {
        /// The first event that differs.
        seq: u64,
    },
    /// `events verify`: the log does not verify.
    VerifyFailed {
        /// Why.
        why: String,
    },
    /// `sync`: a new manifest came down and is in force.
    SyncManifestLoaded {
        /// Its version.
        version: u64,
    },
    /// `sync`: the downloaded manifest was refused; the current one stays.
    DownloadedManifestRefused {
        /// Why.
        reason: String,
    },
    /// `sync`: what the upload did.
    Synced {
        /// Events the server stored now.
        accepted: u64,
        /// Events it already had.
        duplicate: u64,
        /// Events stored without effect.
        not_honoured: u64,
        /// Events still queued.
        pending: u64,
        /// Requests made.
        requests: u64,
    },
    /// `sync`: one event the server stored without effect.
    NotHonoured {
        /// The event's sequence number.
        seq: u64,
        /// The parcel's label, when the event names one.
        label: Option<String>,
        /// The server's reason.
        reason: RejectReason,
    },
    /// `sync`: checkpoints the server sent that are not of this log.
    CheckpointsRefused {
        /// How many.
        count: u64,
    },
    /// `enroll` without its inputs.
    GiveQrOrServer,
    /// `ui --lang` with a language the screens do not have.
    UnknownLanguage {
        /// What was given.
        code: String,
    },
    /// `ui` with no display to draw on.
    NoDisplay,
}

/// Where a note is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output: the command's answer.
    Out,
    /// Standard error: a warning or a refusal beside the answer.
    Err,
    /// Standard error as `error: …`, exit code 1 (or 3 for a refused code).
    Error,
}

impl Note {
    /// Where this note is printed.
    pub fn stream(&self) -> Stream {
        match self {
            Note::ManifestLoaded { .. }
            | Note::WithdrawnAfterOutcome { .. }
            | Note::StaysWithdrawn { .. }
            | Note::NoManifest
            | Note::Delivered
            | Note::WrongCode { .. }
            | Note::CodeLocked
            | Note::CodeNeedsNetwork
            | Note::LogVerifies { .. }
            | Note::NoCheckpoint
            | Note::CheckpointConsistent { .. }
            | Note::CheckpointTruncated { .. }
            | Note::CheckpointForked { .. }
            | Note::VerifyFailed { .. }
            | Note::SyncManifestLoaded { .. }
            | Note::Synced { .. }
            | Note::NotHonoured { .. } => Stream::Out,
            Note::SupervisorSignedIn { .. }
            | Note::SupervisorSignedInOffline { .. }
            | Note::SupervisorWrong { .. }
            | Note::SupervisorLocked { .. }
            | Note::ExportIncomplete { .. }
            | Note::Exported { .. }
            | Note::DownloadedManifestRefused { .. }
            | Note::CheckpointsRefused { .. } => Stream::Err,
            Note::ManifestTooLarge { .. }
            | Note::SecretOnStdin { .. }
            | Note::GiveCodeOrQr
            | Note::StdoutClosed { .. }
            | Note::GiveQrOrServer
            | Note::UnknownLanguage { .. }
            | Note::NoDisplay => Stream::Error,
        }
    }

    /// One sample of every note, for the catalogue; the match fails to
    /// compile when a variant is added without one.
    pub fn samples() -> Vec<Note> {
        let mut all = vec![
            Note::ManifestLoaded {
                version: 5,
                parcels: 40,
                added: 1,
                updated: 2,
                withdrawn: 1,
                still_withdrawn: 1,
            },
            Note::WithdrawnAfterOutcome {
                label: "L-0042".into(),
                outcome: "returned to the depot".into(),
            },
            Note::StaysWithdrawn {
                label: "L-0042".into(),
            },
            Note::NoManifest,
            Note::ManifestTooLarge {
                file: "day.json".into(),
                mib: 8,
            },
            Note::SupervisorSignedIn {
                name: "Samira B.".into(),
                id: "SUP-1".into(),
            },
            Note::SupervisorSignedInOffline {
                name: "Samira B.".into(),
                id: "SUP-1".into(),
            },
            Note::SupervisorWrong { tries_left: 4 },
            Note::SupervisorLocked { limit: 5 },
            Note::SecretOnStdin {
                what: "supervisor's PIN".into(),
            },
            Note::Delivered,
            Note::WrongCode { tries_left: 2 },
            Note::CodeLocked,
            Note::CodeNeedsNetwork,
            Note::GiveCodeOrQr,
            Note::StdoutClosed { total: 45 },
            Note::ExportIncomplete {
                written: 18,
                total: 45,
            },
            Note::Exported { written: 45 },
            Note::LogVerifies {
                events: 45,
                tip: "148f9bc2…".into(),
            },
            Note::NoCheckpoint,
            Note::CheckpointConsistent {
                checkpoint_seq: 41,
                later: 4,
            },
            Note::CheckpointTruncated {
                log_seq: 38,
                checkpoint_seq: 41,
            },
            Note::CheckpointForked { seq: 12 },
            Note::VerifyFailed {
                why: "event seq 12: the signature does not verify".into(),
            },
            Note::SyncManifestLoaded { version: 6 },
            Note::DownloadedManifestRefused {
                reason: "its version 3 is older than version 4 in force".into(),
            },
            Note::Synced {
                accepted: 12,
                duplicate: 0,
                not_honoured: 1,
                pending: 0,
                requests: 1,
            },
            Note::CheckpointsRefused { count: 1 },
            Note::GiveQrOrServer,
            Note::UnknownLanguage { code: "de".into() },
            Note::NoDisplay,
        ];
        all.extend(
            NOT_HONOURED_SAMPLES
                .iter()
                .map(|&reason| Note::NotHonoured {
                    seq: 17,
                    label: Some("L-0042".into()),
                    reason,
                }),
        );
        for n in &all {
            match n {
                Note::ManifestLoaded { .. }
                | Note::WithdrawnAfterOutcome { .. }
                | Note::StaysWithdrawn { .. }
                | Note::NoManifest
                | Note::ManifestTooLarge { .. }
                | Note::SupervisorSignedIn { .. }
                | Note::SupervisorSignedInOffline { .. }
                | Note::SupervisorWrong { .. }
                | Note::SupervisorLocked { .. }
                | Note::SecretOnStdin { .. }
                | Note::Delivered
                | Note::WrongCode { .. }
                | Note::CodeLocked
                | Note::CodeNeedsNetwork
                | Note::GiveCodeOrQr
                | Note::StdoutClosed { .. }
                | Note::ExportIncomplete { .. }
                | Note::Exported { .. }
                | Note::LogVerifies { .. }
                | Note::NoCheckpoint
                | Note::CheckpointConsistent { .. }
                | Note::CheckpointTruncated { .. }
                | Note::CheckpointForked { .. }
                | Note::VerifyFailed { .. }
                | Note::SyncManifestLoaded { .. }
                | Note::DownloadedManifestRefused { .. }
                | Note::Synced { .. }
                | Note::NotHonoured { .. }
                | Note::CheckpointsRefused { .. }
                | Note::GiveQrOrServer
                | Note::UnknownLanguage { .. }
                | Note::NoDisplay => {}
            }
        }
        all
    }
}

/// One reason of each wording [`not_honoured_words`] gives.
const NOT_HONOURED_SAMPLES: [RejectReason; 8] = [
    RejectReason::NotHolder,
    RejectReason::OrderCancelled,
    RejectReason::DeviceRevoked,
    RejectReason::BadProof,
    RejectReason::ParcelLocked,
    RejectReason::ParcelWithdrawn,
    RejectReason::SupervisorRequired,
    RejectReason::DayClosed,
];

/// A reason's wire code (`not_holder`, ...).
fn reason_code(r: RejectReason) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// What a not-honoured answer means, for the person at the terminal.
fn not_honoured_words(r: RejectReason) -> &'static str {
    match r {
        RejectReason::NotHolder => {
            "the order was given to another terminal: this step moves no money; tell the supervisor"
        }
        RejectReason::OrderCancelled => {
            "the order was cancelled and refunded before this step reached the server: it moves no money; keep the parcel aside and tell the supervisor"
        }
        RejectReason::DeviceRevoked => {
            "this terminal was revoked by the back office: call carrier IT"
        }
        RejectReason::BadProof => {
            "the server does not accept the code proof: the parcel is not paid as delivered; tell the supervisor"
        }
        RejectReason::ParcelLocked => {
            "the parcel was locked at the server (too many wrong codes): tell the supervisor"
        }
        RejectReason::ParcelWithdrawn => {
            "the parcel was withdrawn before this step: return it to the depot"
        }
        RejectReason::SupervisorRequired | RejectReason::BadSupervisorProof => {
            "the server does not accept the supervisor's signature on this step: tell the supervisor"
        }
        _ => "the server's rules refuse this step: it moves no money; tell the supervisor",
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::ManifestLoaded {
                version,
                parcels,
                added,
                updated,
                withdrawn,
                still_withdrawn,
            } => {
                write!(
                    f,
                    "manifest version {version} loaded: {parcels} parcels, {added} new, {updated} updated, {withdrawn} withdrawn"
                )?;
                if *still_withdrawn > 0 {
                    write!(f, ", {still_withdrawn} still withdrawn")?;
                }
                Ok(())
            }
            Note::WithdrawnAfterOutcome { label, outcome } => write!(
                f,
                "warning: parcel {label} was withdrawn by the server but was already {outcome} on this device; that outcome stands and is in the log: the depot settles it with the server"
            ),
            Note::StaysWithdrawn { label } => write!(
                f,
                "note: parcel {label} is listed again but stays withdrawn on this device (a withdrawal is final here): do not deliver it; the depot issues it again as a new parcel"
            ),
            Note::NoManifest => write!(
                f,
                "no manifest loaded: `sync` downloads the day's manifest, or `manifest load FILE`"
            ),
            Note::ManifestTooLarge { file, mib } => write!(
                f,
                "{file} is larger than {mib} MiB: no day's manifest is that large; it was refused and the current one stays in force"
            ),
            Note::SupervisorSignedIn { name, id } => {
                write!(f, "supervisor {name} ({id}) signed in")
            }
            Note::SupervisorSignedInOffline { name, id } => write!(
                f,
                "supervisor {name} ({id}) signed in offline with the badge: every event of this session is flagged for review"
            ),
            Note::SupervisorWrong { tries_left } => write!(
                f,
                "refused: wrong badge or PIN; {tries_left} tries left before the lock"
            ),
            Note::SupervisorLocked { limit } => write!(
                f,
                "refused: this supervisor is locked after {limit} wrong tries; the back office must re-issue the badge or PIN"
            ),
            Note::SecretOnStdin { what } => write!(
                f,
                "give the {what} on the first line of standard input (never as an argument)"
            ),
            Note::Delivered => write!(f, "DELIVERED: hand the parcel over"),
            Note::WrongCode { tries_left } => {
                write!(f, "WRONG CODE: {tries_left} tries left; do not hand over")
            }
            Note::CodeLocked => write!(f, "LOCKED: too many wrong codes; do not hand over"),
            Note::CodeNeedsNetwork => write!(
                f,
                "NEEDS NETWORK: cannot validate this parcel offline; do not hand over"
            ),
            Note::GiveCodeOrQr => write!(
                f,
                "give --code CODE, --code - (the code on standard input) or --qr TEXT"
            ),
            Note::StdoutClosed { total } => write!(
                f,
                "standard output is closed (or is /dev/null): none of the {total} events would be kept; give --out FILE, or send the output to a file or a program"
            ),
            Note::ExportIncomplete { written, total } => write!(
                f,
                "events export INCOMPLETE: the reader closed the output after {written} of {total} events (at most {written} reached it); nothing is lost on the device: export again to a file with --out FILE"
            ),
            Note::Exported { written } => write!(f, "{written} events exported"),
            Note::LogVerifies { events, tip } => write!(
                f,
                "ok: {events} events, signatures and chain verify, tip {tip}"
            ),
            Note::NoCheckpoint => write!(
                f,
                "no server checkpoint to compare with (none given, none received yet)"
            ),
            Note::CheckpointConsistent {
                checkpoint_seq,
                later,
            } => write!(
                f,
                "ok: consistent with the server's checkpoint at seq {checkpoint_seq} ({later} later events not yet acknowledged)"
            ),
            Note::CheckpointTruncated {
                log_seq,
                checkpoint_seq,
            } => write!(
                f,
                "FAILED: the log stops at seq {log_seq} but the server signed a head at seq {checkpoint_seq}: events were cut off"
            ),
            Note::CheckpointForked { seq } => write!(
                f,
                "FAILED: the event at seq {seq} is not the one the server signed: the log was rewritten"
            ),
            Note::VerifyFailed { why } => write!(f, "FAILED: {why}"),
            Note::SyncManifestLoaded { version } => {
                write!(f, "manifest version {version} loaded")
            }
            Note::DownloadedManifestRefused { reason } => write!(
                f,
                "downloaded manifest refused: {reason}; the current manifest stays in force"
            ),
            Note::Synced {
                accepted,
                duplicate,
                not_honoured,
                pending,
                requests,
            } => write!(
                f,
                "synced: {accepted} accepted, {duplicate} duplicate, {not_honoured} not honoured, {pending} pending ({requests} requests)"
            ),
            Note::NotHonoured { seq, label, reason } => {
                write!(f, "not honoured: seq {seq}")?;
                if let Some(label) = label {
                    write!(f, ", parcel {label}")?;
                }
                write!(
                    f,
                    ": recorded by the server without effect ({}): {}",
                    reason_code(*reason),
                    not_honoured_words(*reason)
                )
            }
            Note::CheckpointsRefused { count } => write!(
                f,
                "the server sent {count} checkpoint(s) that are not of this log: refused, kept as evidence; call carrier IT"
            ),
            Note::GiveQrOrServer => write!(
                f,
                "give --qr TEXT (the enrollment QR), or --server URL and --token TOKEN"
            ),
            Note::UnknownLanguage { code } => {
                write!(f, "unknown language {code:?}: use fr, ar or en")
            }
            Note::NoDisplay => write!(
                f,
                "no display: set WAYLAND_DISPLAY or DISPLAY (or build with --features kiosk for Linux KMS)"
            ),
        }
    }
}

impl std::error::Error for Note {}
