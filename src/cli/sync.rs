//! `sync`: upload the outbox, download the manifest; `--status` reads the queue.

use std::time::Duration;

use anyhow::Result;
use clap::Args;

use super::note::Note;
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
                        outln!("{}", Note::SyncManifestLoaded { version: *version });
                    }
                    ManifestResult::Refused { reason } => eprintln!(
                        "{}",
                        Note::DownloadedManifestRefused {
                            reason: reason.to_string()
                        }
                    ),
                    ManifestResult::None | ManifestResult::Unchanged { .. } => {}
                }
                outln!(
                    "{}",
                    Note::Synced {
                        accepted: r.upload.accepted,
                        duplicate: r.upload.duplicate,
                        not_honoured: r.upload.not_honoured.len() as u64,
                        pending: r.upload.pending,
                        requests: u64::from(r.upload.requests),
                    }
                );
                let labels = labels(cli);
                for n in &r.upload.not_honoured {
                    let label = n
                        .parcel_id
                        .as_ref()
                        .map(|p| labels.get(p).unwrap_or(p).clone());
                    let note = Note::NotHonoured {
                        seq: n.seq,
                        label,
                        reason: n.reason,
                    };
                    outln!("{note}");
                }
                if r.upload.checkpoints_refused > 0 {
                    eprintln!(
                        "{}",
                        Note::CheckpointsRefused {
                            count: r.upload.checkpoints_refused
                        }
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
