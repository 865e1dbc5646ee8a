//! `sync`: upload the outbox, download the manifest; `--status` reads the queue.

use std::time::Duration;

use anyhow::Result;
use clap::Args;
use courier_protocol::api::RejectReason;

use super::{Cli, Use, open, reader};
use crate::storage::Reads as _;
use crate::sync::run_once::{ManifestResult, RunError, RunOptions, run_once};
use crate::terminal::DataDir;

/// Exit code of a sync that left events queued after a temporary failure.
pub const EXIT_SYNC_INCOMPLETE: u8 = 4;
/// Exit code of a sync whose downloaded manifest was refused (the current one stays).
pub const EXIT_MANIFEST_REFUSED: u8 = 5;

/// Options of `sync`.
#[derive(Debug, Clone, Args)]
pub struct SyncArgs {
    /// Server base URL (default: the one given at enrollment).
    #[arg(long)]
    pub server: Option<String>,
    /// Only print the pending count and the last success (no network).
    #[arg(long)]
    pub status: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Give up retrying temporary failures after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub deadline_s: u64,
    /// Events per upload.
    #[arg(long, default_value_t = 500, hide = true)]
    pub batch_size: u32,
    /// Request timeout, milliseconds.
    #[arg(long, default_value_t = 15_000, hide = true)]
    pub request_timeout_ms: u64,
    /// First backoff step, milliseconds.
    #[arg(long, default_value_t = 1_000, hide = true)]
    pub backoff_base_ms: u64,
    /// Skip the manifest download.
    #[arg(long)]
    pub no_manifest: bool,
}

pub(super) fn run(cli: &Cli, dir: &DataDir, args: &SyncArgs) -> Result<u8> {
    if args.status {
        let s = reader(cli)?.sync_status()?;
        if args.json {
            outln!("{}", serde_json::to_string(&s)?);
        } else {
            outln!("pending       {}", s.pending);
            outln!("rejected      {}", s.rejected);
            outln!("not honoured  {}", s.not_honoured);
            if s.checkpoints_refused > 0 {
                outln!(
                    "checkpoints   {} refused as not of this log (kept as evidence): call carrier IT",
                    s.checkpoints_refused
                );
            }
            if let Some(r) = &s.revoked {
                outln!("REVOKED       {r}");
            }
            outln!(
                "last sync     {}",
                s.last_sync_ms
                    .map_or("never".into(), |t| crate::local_time::LocalTime(t)
                        .to_string())
            );
            if let Some(e) = s.last_error {
                outln!("last error    {e}");
            }
        }
        return Ok(0);
    }
    let options = RunOptions {
        server: args.server.clone(),
        deadline: Duration::from_secs(args.deadline_s),
        batch_size: args.batch_size,
        request_timeout: Duration::from_millis(args.request_timeout_ms),
        backoff_base_ms: args.backoff_base_ms,
        no_manifest: args.no_manifest,
        tls: cli.tls_trust()?,
    };
    let mut parts = None;
    let report = run_once(dir, &options, || {
        let (t, _feeds, running) = open(cli, Use::Record)
            .map_err(|e| crate::terminal::TerminalError::NotInitialised(format!("{e:#}")))?;
        parts = Some(running);
        Ok(t)
    });
    match report {
        Ok(r) => {
            if args.json {
                outln!("{}", serde_json::to_string(&r)?);
            } else {
                match &r.manifest {
                    ManifestResult::Loaded { version } => {
                        outln!("manifest version {version} loaded");
                    }
                    ManifestResult::Refused { reason } => eprintln!(
                        "downloaded manifest refused: {reason}; the current manifest stays in force"
                    ),
                    ManifestResult::None | ManifestResult::Unchanged { .. } => {}
                }
                outln!(
                    "synced: {} accepted, {} duplicate, {} not honoured, {} pending ({} requests)",
                    r.upload.accepted,
                    r.upload.duplicate,
                    r.upload.not_honoured.len(),
                    r.upload.pending,
                    r.upload.requests
                );
                if r.photos != Default::default() {
                    outln!(
                        "photos: {} received by the server, {} failed (retried later), {} deleted from the device after their receipt",
                        r.photos.uploaded,
                        r.photos.failed,
                        r.photos.deleted
                    );
                }
                let labels = labels(cli);
                for n in &r.upload.not_honoured {
                    let parcel = n
                        .parcel_id
                        .as_ref()
                        .map(|p| labels.get(p).unwrap_or(p).clone())
                        .map_or(String::new(), |l| format!(", parcel {l}"));
                    outln!(
                        "not honoured: seq {}{parcel}: recorded by the server without effect ({}): {}",
                        n.seq,
                        reason_code(n.reason),
                        not_honoured_words(n.reason)
                    );
                }
                if r.upload.checkpoints_refused > 0 {
                    eprintln!(
                        "the server sent {} checkpoint(s) that are not of this log: refused, kept as evidence; call carrier IT",
                        r.upload.checkpoints_refused
                    );
                }
            }
            Ok(match r.manifest {
                ManifestResult::Refused { .. } => EXIT_MANIFEST_REFUSED,
                _ => 0,
            })
        }
        Err(e @ RunError::Incomplete { .. }) => {
            eprintln!("{e}");
            Ok(EXIT_SYNC_INCOMPLETE)
        }
        Err(e) => Err(e.into()),
    }
}

/// Parcel labels by parcel id (empty when the store cannot be read).
fn labels(cli: &Cli) -> std::collections::HashMap<String, String> {
    reader(cli)
        .and_then(|s| Ok(s.parcels()?))
        .map(|ps| {
            ps.into_iter()
                .map(|p| (p.spec.parcel_id, p.spec.label))
                .collect()
        })
        .unwrap_or_default()
}

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
