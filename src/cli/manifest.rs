//! `manifest load` and `manifest show`.

use std::io::Read;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use courier_protocol::manifest::SignedManifest;

use super::note::Note;
use super::output::refused_or;
use super::{Cli, Use, open};
use crate::storage::Reads;
use crate::terminal::manifest::MAX_MANIFEST_BYTES;

/// Manifest subcommands.
#[derive(Debug, Subcommand)]
pub enum ManifestCommand {
    /// Verify and load a signed manifest file.
    Load {
        /// The file.
        file: PathBuf,
    },
    /// Show the manifest in force.
    Show,
}

pub(super) fn run(cli: &Cli, command: &ManifestCommand) -> Result<u8> {
    match command {
        ManifestCommand::Load { file } => {
            let text = read_capped(file)?;
            let signed = SignedManifest::from_json(&text)
                .with_context(|| format!("{} is not a signed manifest", file.display()))?;
            let (mut t, _feeds, _parts) = open(cli, Use::Record)?;
            match t.load_manifest(&signed) {
                Ok(c) => {
                    outln!(
                        "{}",
                        Note::ManifestLoaded {
                            version: signed.body.version,
                            parcels: signed.body.parcels.len(),
                            added: c.added.len(),
                            updated: c.updated.len(),
                            withdrawn: c.withdrawn.len(),
                            still_withdrawn: c.still_withdrawn.len(),
                        }
                    );
                    for s in &c.withdrawn_after_outcome {
                        let note = Note::WithdrawnAfterOutcome {
                            label: s.label.clone(),
                            outcome: s.outcome_text().to_string(),
                        };
                        outln!("{note}");
                    }
                    for label in &c.still_withdrawn {
                        outln!(
                            "{}",
                            Note::StaysWithdrawn {
                                label: label.clone()
                            }
                        );
                    }
                    Ok(0)
                }
                Err(e) => refused_or(e),
            }
        }
        ManifestCommand::Show => {
            let store = super::reader(cli)?;
            match store.current_manifest()? {
                Some(m) => outln!(
                    "version {} for {} ({} parcels), depot {}, expires at {}",
                    m.body.version,
                    m.body.device_id,
                    m.body.parcels.len(),
                    m.body.depot,
                    crate::local_time::LocalTime(m.body.expires_at_ms)
                ),
                None => outln!("{}", Note::NoManifest),
            }
            Ok(0)
        }
    }
}

/// Reads a manifest file, refusing one larger than any real day.
fn read_capped(file: &PathBuf) -> Result<String> {
    let f = std::fs::File::open(file)
        .with_context(|| format!("cannot read manifest file {}", file.display()))?;
    let mut text = String::new();
    f.take(MAX_MANIFEST_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read manifest file {}", file.display()))?;
    if text.len() > MAX_MANIFEST_BYTES {
        return Err(Note::ManifestTooLarge {
            file: file.display().to_string(),
            mib: MAX_MANIFEST_BYTES / (1024 * 1024),
        }
        .into());
    }
    Ok(text)
}
