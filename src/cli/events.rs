//! `events export` and `events verify`: the evidence log, read-only, so they
//! work on a full or read-only disk and on a device whose key was lost.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use courier_protocol::checkpoint::{
    CheckpointVerdict, SignedCheckpoint, verify_log_against_checkpoint,
};
use courier_protocol::keys::{PublicKey, Signer};
use courier_protocol::strict_json::from_slice_strict;

use super::note::Note;
use super::output::json_line;
use super::{Cli, reader};
use crate::device_key::DeviceKey;
use crate::storage::{MetaKey, Reads, Store};
use crate::terminal::{DataDir, verify_log};

/// Event log subcommands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Write every event as JSON lines.
    Export {
        /// Output file (standard output if absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify signatures, hashes, sequence and chain; against a server checkpoint
    /// (the file given, else the last one the server sent), also that nothing
    /// was cut off or rewritten.
    Verify {
        /// A signed checkpoint from the server (JSON: the checkpoint, or an
        /// answer holding one under "checkpoint").
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
}

pub(super) fn run(cli: &Cli, command: &EventsCommand) -> Result<u8> {
    let store = reader(cli)?;
    match command {
        EventsCommand::Export { out } => {
            let total = store.chain_tip()?.seq;
            if out.is_none() && stdout_discards() {
                return Err(Note::StdoutClosed { total }.into());
            }
            let n = export(&store, out.as_deref())?;
            if n < total {
                eprintln!("{}", Note::ExportIncomplete { written: n, total });
                return Ok(1);
            }
            eprintln!("{}", Note::Exported { written: n });
            Ok(0)
        }
        EventsCommand::Verify { checkpoint } => {
            let key = device_public_key(&store, &cli.data_dir()?)?;
            let r = match verify_log(&store, &key) {
                Ok(r) => r,
                Err(e) => {
                    outln!("{}", Note::VerifyFailed { why: e.to_string() });
                    return Ok(1);
                }
            };
            outln!(
                "{}",
                Note::LogVerifies {
                    events: r.events,
                    tip: r.tip_hash.clone(),
                }
            );
            outln!("device public key: {}", key.to_hex());
            against_checkpoint(&store, &key, checkpoint.as_deref())
        }
    }
}

/// The key the log is signed with: recorded at setup, so a log stays
/// verifiable after its private key is lost; older stores read the key file.
pub(super) fn device_public_key(store: &Store, dir: &DataDir) -> Result<PublicKey> {
    if let Some(hex) = store.meta(MetaKey::DevicePublicKey)? {
        return PublicKey::from_hex(&hex).context("the recorded device public key is damaged");
    }
    Ok(DeviceKey::load(&dir.key())?.public_key())
}

/// Compares the log with a server checkpoint: the file given, else the last
/// one the server sent.
fn against_checkpoint(store: &Store, key: &PublicKey, file: Option<&Path>) -> Result<u8> {
    let cp = match file {
        Some(file) => Some(read_checkpoint(file)?),
        None => store
            .meta(MetaKey::LastCheckpoint)?
            .map(|j| from_slice_strict::<SignedCheckpoint>(j.as_bytes()))
            .transpose()?,
    };
    let Some(cp) = cp else {
        outln!("{}", Note::NoCheckpoint);
        return Ok(0);
    };
    let server_key = store
        .identity()?
        .and_then(|i| i.server_key)
        .context("no pinned server key to verify the checkpoint with: enroll first")?;
    let events = store.events(1, u32::MAX)?;
    match verify_log_against_checkpoint(&events, key, &cp, &server_key) {
        Ok(CheckpointVerdict::Consistent {
            log_seq,
            checkpoint_seq,
        }) => {
            let later = log_seq.saturating_sub(checkpoint_seq);
            outln!(
                "{}",
                Note::CheckpointConsistent {
                    checkpoint_seq,
                    later
                }
            );
            Ok(0)
        }
        Ok(CheckpointVerdict::Truncated {
            log_seq,
            checkpoint_seq,
        }) => {
            outln!(
                "{}",
                Note::CheckpointTruncated {
                    log_seq,
                    checkpoint_seq
                }
            );
            Ok(1)
        }
        Ok(CheckpointVerdict::Forked { seq, .. }) => {
            outln!("{}", Note::CheckpointForked { seq });
            Ok(1)
        }
        Err(e) => {
            outln!("{}", Note::VerifyFailed { why: e.to_string() });
            Ok(1)
        }
    }
}

/// A checkpoint file: the signed checkpoint, or an answer holding one.
fn read_checkpoint(file: &Path) -> Result<SignedCheckpoint> {
    #[derive(serde::Deserialize)]
    struct Holder {
        checkpoint: SignedCheckpoint,
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    if let Ok(cp) = from_slice_strict::<SignedCheckpoint>(&bytes) {
        return Ok(cp);
    }
    Ok(from_slice_strict::<Holder>(&bytes)
        .with_context(|| format!("{} is not a signed checkpoint", file.display()))?
        .checkpoint)
}

/// Whether standard output goes nowhere: closed (the runtime then gives the
/// process `/dev/null` in its place) or the null device.
fn stdout_discards() -> bool {
    let Ok(out) = rustix::fs::fstat(std::io::stdout()) else {
        return true;
    };
    rustix::fs::stat("/dev/null").is_ok_and(|null| {
        rustix::fs::FileType::from_raw_mode(out.st_mode) == rustix::fs::FileType::CharacterDevice
            && out.st_rdev == null.st_rdev
    })
}

fn export(store: &Store, out: Option<&Path>) -> Result<u64> {
    let mut writer: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        // Line by line: a reader that leaves early is seen at the line it
        // missed, so the count says what was written.
        None => Box::new(std::io::stdout().lock()),
    };
    let mut next = 1;
    let mut n = 0;
    'pages: loop {
        let batch = store.events(next, 1000)?;
        let Some(last) = batch.last() else { break };
        next = last.body.seq + 1;
        for e in &batch {
            if !json_line(&mut writer, e)? {
                break 'pages;
            }
            n += 1;
        }
    }
    match writer.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(n),
    }
}
