//! `depot report`, `depot close` and `depot export`: the supervisor's end of the day.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use courier_protocol::day_window::DayWindow;
use serde::Serialize;

use super::output::{json_line, recorded, wire_name};
use super::{Cli, Use, open, reader};
use crate::device_key::DeviceKey;
use crate::domain::reconciliation::DayLine;
use crate::export::{self, Names};

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
    /// Export the day: CSV (one row per parcel), signed JSON report, or the
    /// printable day sheet (PDF) to sign at the depot.
    Export(ExportArgs),
}

/// What to export.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// File format.
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Output file.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The day, YYYY-MM-DD [default: today at the offset, by the device clock].
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// The UTC offset the day and its times are counted in (Algiers: +01:00).
    #[arg(
        long,
        value_name = "+HH:MM",
        default_value = "+00:00",
        allow_hyphen_values = true
    )]
    utc_offset: String,
    /// The courier's name, printed when the log does not record it.
    #[arg(long, value_name = "NAME")]
    courier: Option<String>,
    /// The supervisor's name, printed when the log does not record it.
    #[arg(long, value_name = "NAME")]
    supervisor: Option<String>,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// One row per parcel, French headers, UTF-8.
    Csv,
    /// The day report signed with the device key.
    Json,
    /// The printable day sheet (A4).
    Pdf,
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
    if let DepotCommand::Export(args) = command {
        return export_day(cli, args);
    }
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
        DepotCommand::Export(_) => Ok(0),
    }
}

/// Reads the log (read-only), computes the day report and writes it.
fn export_day(cli: &Cli, args: &ExportArgs) -> Result<u8> {
    let store = reader(cli)?;
    let dir = cli.data_dir()?;
    let key = super::events::device_public_key(&store, &dir)?;
    let day = match &args.date {
        Some(date) => DayWindow::parse(date, &args.utc_offset)?,
        None => {
            let offset = DayWindow::parse("1970-01-01", &args.utc_offset)?.utc_offset_min;
            {
                use crate::clock::Clock as _;
                DayWindow::containing(crate::clock::SystemClock::new().now().device_utc_ms, offset)
            }
        }
    };
    let names = Names {
        courier: args.courier.clone(),
        supervisor: args.supervisor.clone(),
    };
    let report = export::day_report_of(&store, &key, &day, &names)?;
    let t = &report.totals;
    let summary = format!(
        "{}: {} parcels, {} delivered, {} returned in, {} missing, {} unexpected{}",
        report.day.date,
        t.parcels,
        t.delivered,
        t.returned_in,
        t.missing,
        t.unexpected,
        if report.day_closed.is_some() {
            ", day closed"
        } else {
            ", day NOT closed"
        }
    );
    match args.format {
        ExportFormat::Csv => export::csv::write_csv(&report, &args.out)?,
        ExportFormat::Json => {
            let signer = DeviceKey::load(&dir.key())
                .context("the JSON day report is signed with the device key")?;
            export::day_report_json::write_signed_json(report, &signer, &args.out)?;
        }
        ExportFormat::Pdf => export::day_sheet_pdf::write_day_sheet(&report, &args.out)?,
    }
    outln!("{summary}");
    outln!("written: {}", args.out.display());
    Ok(0)
}
