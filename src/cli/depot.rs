//! `depot report` and `depot close`: the supervisor's end of the day.

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

use super::output::{json_line, recorded, wire_name};
use super::{Cli, Use, open};
use crate::domain::reconciliation::DayLine;

/// Depot subcommands.
#[derive(Debug, Subcommand)]
pub enum DepotCommand {
    /// Delivered, returned, missing and never attempted parcels, with who pays each return.
    Report {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Record the signed end of the day (refused while parcels are unaccounted for).
    Close {
        /// Close anyway, recording the missing parcels in the event.
        #[arg(long)]
        force: bool,
    },
}

/// One line of the day report.
#[derive(Debug, Serialize)]
struct ReportLine<'a> {
    section: &'a str,
    label: &'a str,
    order_ref: &'a str,
    return_fees: String,
}

pub(super) fn run(cli: &Cli, command: &DepotCommand) -> Result<u8> {
    let (mut t, _feeds, _parts) = open(cli, Use::Record)?;
    match command {
        DepotCommand::Report { json } => {
            let r = t.reconciliation()?;
            let sections: [(&str, &[DayLine]); 4] = [
                ("delivered", &r.delivered),
                ("returned", &r.returned),
                ("missing", &r.missing),
                ("not_attempted", &r.not_attempted),
            ];
            let out = std::io::stdout();
            let mut out = out.lock();
            for (section, lines) in sections {
                for l in lines {
                    let line = ReportLine {
                        section,
                        label: &l.label,
                        order_ref: &l.order_ref,
                        return_fees: l.liability.map_or("-".to_owned(), |x| wire_name(&x)),
                    };
                    if *json {
                        json_line(&mut out, &line)?;
                    } else {
                        outln!(
                            "{section:<14} {:<12} {:<12} return fees: {}",
                            line.label,
                            line.order_ref,
                            line.return_fees
                        );
                    }
                }
            }
            if !json {
                outln!(
                    "{} delivered, {} returned, {} missing, {} never attempted",
                    r.delivered.len(),
                    r.returned.len(),
                    r.missing.len(),
                    r.not_attempted.len()
                );
            }
            Ok(0)
        }
        DepotCommand::Close { force } => recorded(
            t.close_day(force.then_some("forced from the command line")),
            "day closed",
        ),
    }
}
