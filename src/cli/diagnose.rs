//! `diagnose`: storage, key, clock, GNSS, scanner, server, outbox, each OK or
//! what to fix; `--json` for fleet tools; exit code 1 when something failed.

use anyhow::Result;
use clap::Args;

use super::Cli;
use crate::diagnosis::{Verdict, diagnose};

/// Options of `diagnose`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(cli: &Cli, args: &DiagnoseArgs) -> Result<u8> {
    let d = diagnose(&cli.device_config()?);
    if args.json {
        outln!("{}", serde_json::to_string(&d)?);
    } else {
        for c in &d.checks {
            let mark = match c.verdict {
                Verdict::Ok => "OK  ",
                Verdict::Warn => "WARN",
                Verdict::Fail => "FAIL",
            };
            outln!("{mark} {:<8} {}", c.area, c.detail);
            if !c.fix.is_empty() && c.verdict != Verdict::Ok {
                outln!("              → {}", c.fix);
            }
        }
    }
    Ok(u8::from(d.failed()))
}
