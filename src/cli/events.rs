//! `events export` and `events verify`: the evidence log, read-only, so they
//! work on a full or read-only disk and on a device whose key was lost.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;
use courier_protocol::keys::{PublicKey, Signer};

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
    /// Verify signatures, hashes, sequence and chain.
    Verify,
}

pub(super) fn run(cli: &Cli, command: &EventsCommand) -> Result<u8> {
    let store = reader(cli)?;
    match command {
        EventsCommand::Export { out } => {
            let n = export(&store, out.as_deref())?;
            eprintln!("{n} events exported");
            Ok(0)
        }
        EventsCommand::Verify => {
            let key = device_public_key(&store, &cli.data_dir()?)?;
            match verify_log(&store, &key) {
                Ok(r) => {
                    outln!(
                        "ok: {} events, signatures and chain verify, tip {}",
                        r.events,
                        r.tip_hash
                    );
                    outln!("device public key: {}", key.to_hex());
                    Ok(0)
                }
                Err(e) => {
                    outln!("FAILED: {e}");
                    Ok(1)
                }
            }
        }
    }
}

/// The key the log is signed with: recorded at setup, so a log stays
/// verifiable after its private key is lost; older stores read the key file.
fn device_public_key(store: &Store, dir: &DataDir) -> Result<PublicKey> {
    if let Some(hex) = store.meta(MetaKey::DevicePublicKey)? {
        return PublicKey::from_hex(&hex).context("the recorded device public key is damaged");
    }
    Ok(DeviceKey::load(&dir.key())?.public_key())
}

fn export(store: &Store, out: Option<&Path>) -> Result<u64> {
    let mut writer: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
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
