//! `depot ...`: the supervisor's end of the day. The supervisor's badge text
//! or PIN is read from the first line of standard input, never from an
//! argument (arguments show in `ps` and shell history); each supervisor
//! command signs in, acts, and signs out.

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use courier_protocol::day_window::DayWindow;
use courier_protocol::rules::returns::{ExpectedBecause, PayerWhy, ReturnLine};
use courier_protocol::rules::{DayTotals, ScanVerdict};
use courier_protocol::vocabulary::{Condition, Liability};
use serde::Serialize;

use super::note::Note;
use super::output::{EXIT_ALARM, EXIT_REFUSED, json_line, recorded, refused_or, wire_name};
use super::{Cli, Use, open, reader};
use crate::device_key::DeviceKey;
use crate::domain::parcel::ParcelState;
use crate::export::{self, Names};
use crate::terminal::{
    FeeChangeRequest, IntakeInput, LabelEntry, ScanCounts, SignInAnswer, SupervisorEntry, Terminal,
};

/// Depot subcommands.
#[derive(Debug, Subcommand)]
pub enum DepotCommand {
    /// The day's book: delivered, returned, missing and never attempted, with who pays each
    /// return, and the totals the day close records (the screens' numbers).
    Report {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The depot's supervisors listed by the manifest, with tries left.
    Supervisors,
    /// Check the supervisor's badge or PIN (read from standard input) and record the sign-in.
    SignIn(Credential),
    /// The expected returns from the log: received (with condition), missing, unexpected, who pays and why.
    Returns {
        /// JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Scan returns in (supervisor). Standard input: the credential, then one label per line
    /// (unless --label is given). One verdict per label.
    ScanIn(ScanArgs),
    /// Record the condition of a return received today again (supervisor; credential on standard input).
    Condition(ConditionArgs),
    /// The courier's confirmation of a change of who pays a return's fees (the first pair of eyes).
    ConfirmFee(FeeArgs),
    /// The supervisor's approval of a fee change the courier confirmed (credential on standard input).
    FeeChange(FeeChangeArgs),
    /// The courier's confirmation of the day's totals, before the supervisor closes the day.
    ConfirmClose,
    /// Record the signed end of the day (supervisor; credential on standard input). Refused
    /// while returns are missing unless --force-reason says why.
    Close {
        /// Close with returns missing, recording this reason as a signed discrepancy.
        #[arg(long, value_name = "REASON")]
        force_reason: Option<String>,
        /// Supervisor credential.
        #[command(flatten)]
        credential: Credential,
    },
    /// Reopen a closed day (supervisor; credential on standard input), so a
    /// parcel the close listed as missing can be handed over late with the
    /// buyer's code; close the day again afterwards.
    Reopen {
        /// Why the day is reopened (recorded, signed).
        #[arg(long, value_name = "REASON")]
        reason: String,
        /// Supervisor credential.
        #[command(flatten)]
        credential: Credential,
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

/// Which credential the first line of standard input holds.
#[derive(Debug, Args)]
pub struct Credential {
    /// The first line of standard input is this supervisor's PIN.
    #[arg(long, value_name = "SUPERVISOR_ID", conflicts_with = "badge")]
    pub supervisor: Option<String>,
    /// The first line of standard input is the badge's QR text (the default).
    #[arg(long)]
    pub badge: bool,
}

/// `depot scan-in`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Labels to scan (otherwise read from standard input after the credential).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// The labels were typed, not scanned.
    #[arg(long)]
    pub typed: bool,
    /// Condition at intake.
    #[arg(long, value_enum, default_value = "intact")]
    pub condition: ConditionArg,
    /// What is wrong (required unless intact).
    #[arg(long)]
    pub note: Option<String>,
    /// JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
    /// Supervisor credential.
    #[command(flatten)]
    pub credential: Credential,
}

/// `depot condition`.
#[derive(Debug, Args)]
pub struct ConditionArgs {
    /// The return's label.
    #[arg(long)]
    pub label: String,
    /// Condition.
    #[arg(long, value_enum)]
    pub condition: ConditionArg,
    /// What is wrong (required unless intact).
    #[arg(long)]
    pub note: Option<String>,
    /// Supervisor credential.
    #[command(flatten)]
    pub credential: Credential,
}

/// A condition at intake.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ConditionArg {
    /// As it left.
    Intact,
    /// Damaged.
    Damaged,
    /// Opened.
    Opened,
}

impl From<ConditionArg> for Condition {
    fn from(c: ConditionArg) -> Self {
        match c {
            ConditionArg::Intact => Condition::Intact,
            ConditionArg::Damaged => Condition::Damaged,
            ConditionArg::Opened => Condition::Opened,
        }
    }
}

/// Who pays, as a command-line value.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PayerArg {
    /// The buyer.
    Buyer,
    /// The seller.
    Seller,
    /// The carrier.
    Carrier,
    /// The server's return policy.
    PerPolicy,
}

impl From<PayerArg> for Liability {
    fn from(p: PayerArg) -> Self {
        match p {
            PayerArg::Buyer => Liability::Buyer,
            PayerArg::Seller => Liability::Seller,
            PayerArg::Carrier => Liability::Carrier,
            PayerArg::PerPolicy => Liability::PerPolicy,
        }
    }
}

/// A fee change.
#[derive(Debug, Args)]
pub struct FeeArgs {
    /// The return's label.
    #[arg(long)]
    pub label: String,
    /// The new payer.
    #[arg(long, value_enum)]
    pub payer: PayerArg,
    /// Why (required).
    #[arg(long)]
    pub note: String,
}

/// `depot fee-change`.
#[derive(Debug, Args)]
pub struct FeeChangeArgs {
    /// The change.
    #[command(flatten)]
    pub fee: FeeArgs,
    /// Supervisor credential.
    #[command(flatten)]
    pub credential: Credential,
}

impl FeeArgs {
    fn request(&self) -> FeeChangeRequest {
        FeeChangeRequest {
            label: self.label.clone(),
            payer: self.payer.into(),
            note: self.note.clone(),
        }
    }
}

/// One line of the day report.
#[derive(Debug, Serialize)]
struct ReportLine<'a> {
    section: &'a str,
    label: &'a str,
    order_ref: &'a str,
    return_fees: String,
}

/// One expected return, as `depot returns` prints it.
#[derive(Debug, Serialize)]
struct ReturnRow<'a> {
    label: &'a str,
    item: String,
    order_ref: &'a str,
    status: &'static str,
    because: String,
    payer: String,
    payer_why: String,
    condition: Option<String>,
    condition_note: Option<&'a str>,
}

/// One unexpected scan, as `depot returns` prints it.
#[derive(Debug, Serialize)]
struct UnexpectedRow<'a> {
    label: &'a str,
    status: &'static str,
    why: String,
}

/// One scanned label's verdict.
#[derive(Debug, Serialize)]
struct ScanRow<'a> {
    label: &'a str,
    verdict: &'a ScanVerdict,
    event_seq: Option<u64>,
    counts: ScanCounts,
}

fn read_stdin_line(what: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("cannot read the {what} from standard input"))?;
    if line.trim().is_empty() {
        return Err(Note::SecretOnStdin {
            what: what.to_owned(),
        }
        .into());
    }
    Ok(line.trim().to_owned())
}

/// Signs the supervisor in from the first line of standard input; `Ok(None)`
/// when signed in, `Ok(Some(exit code))` when refused.
fn sign_in(t: &mut Terminal, c: &Credential) -> Result<Option<u8>> {
    let secret = read_stdin_line(match c.supervisor {
        Some(_) => "supervisor's PIN",
        None => "supervisor's badge text",
    })?;
    let entry = match &c.supervisor {
        Some(id) => SupervisorEntry::Pin {
            supervisor_id: id,
            pin: &secret,
        },
        None => SupervisorEntry::Badge(&secret),
    };
    match t.supervisor_sign_in(entry) {
        Ok(SignInAnswer::SignedIn(s)) => {
            let (name, id) = (s.name.clone(), s.supervisor_id.clone());
            if s.offline {
                eprintln!("{}", Note::SupervisorSignedInOffline { name, id });
            } else {
                eprintln!("{}", Note::SupervisorSignedIn { name, id });
            }
            Ok(None)
        }
        Ok(SignInAnswer::Wrong { tries_left }) => {
            eprintln!("{}", Note::SupervisorWrong { tries_left });
            Ok(Some(EXIT_REFUSED))
        }
        Ok(SignInAnswer::Locked { limit }) => {
            eprintln!("{}", Note::SupervisorLocked { limit });
            Ok(Some(EXIT_REFUSED))
        }
        Err(e) => refused_or(e).map(Some),
    }
}

fn because_name(b: &ExpectedBecause) -> String {
    match b {
        ExpectedBecause::Failed(o) => format!("failed:{}", o.as_str()),
        ExpectedBecause::Withdrawn => "withdrawn".into(),
        ExpectedBecause::Locked => "locked".into(),
        ExpectedBecause::NotAttempted => "not_attempted".into(),
        ExpectedBecause::Collected => "collected".into(),
    }
}

fn payer_why(w: &PayerWhy) -> String {
    match w {
        PayerWhy::Outcome { outcome, reason } => match reason {
            Some(r) => format!("outcome {} ({})", outcome.as_str(), r.as_str()),
            None => format!("outcome {}", outcome.as_str()),
        },
        PayerWhy::Withdrawn => "withdrawn before dispatch: return policy".into(),
        PayerWhy::Locked => "locked: return policy".into(),
        PayerWhy::NotAttempted => "never attempted: the carrier".into(),
        PayerWhy::Collected => "collected item: no return fee".into(),
        PayerWhy::Changed { note, previous, .. } => {
            format!("changed from {} at the depot: {note}", previous.as_str())
        }
    }
}

fn return_row(l: &ReturnLine) -> ReturnRow<'_> {
    ReturnRow {
        label: &l.label,
        item: wire_name(&l.item),
        order_ref: &l.order_ref,
        status: if l.received.is_some() {
            "received"
        } else {
            "missing"
        },
        because: because_name(&l.because),
        payer: l.fees.payer.as_str().to_owned(),
        payer_why: payer_why(&l.fees.why),
        condition: l.received.as_ref().map(|i| i.condition.as_str().to_owned()),
        condition_note: l
            .received
            .as_ref()
            .and_then(|i| i.condition_note.as_deref()),
    }
}

fn print_totals(t: &DayTotals) -> Result<()> {
    outln!(
        "{} expected back, {} received, {} missing (not scanned in){}, {} unexpected{}",
        t.expected,
        t.received,
        t.missing.len(),
        if t.missing.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.missing.join(", "))
        },
        t.unexpected.len(),
        if t.unexpected.is_empty() {
            String::new()
        } else {
            format!(" ({})", t.unexpected.join(", "))
        }
    );
    Ok(())
}

pub(super) fn run(cli: &Cli, command: &DepotCommand) -> Result<u8> {
    if let DepotCommand::Export(args) = command {
        return export_day(cli, args);
    }
    let (mut t, _feeds, _parts) = open(cli, Use::Record)?;
    match command {
        DepotCommand::Report { json } => report(&t, *json),
        DepotCommand::Supervisors => {
            let out = std::io::stdout();
            let mut out = out.lock();
            for s in t.supervisors()? {
                json_line(&mut out, &s)?;
            }
            Ok(0)
        }
        DepotCommand::SignIn(c) => Ok(sign_in(&mut t, c)?.unwrap_or(0)),
        DepotCommand::Returns { json } => {
            let book = t.day_book()?;
            let out = std::io::stdout();
            let mut out = out.lock();
            for l in &book.lines {
                let row = return_row(l);
                if *json {
                    json_line(&mut out, &row)?;
                } else {
                    outln!(
                        "{:<9} {:<14} {:<12} {:<26} fees: {} ({}){}",
                        row.status,
                        row.label,
                        row.order_ref,
                        row.because,
                        row.payer,
                        row.payer_why,
                        row.condition
                            .as_ref()
                            .map(|c| format!(", {c}"))
                            .unwrap_or_default()
                    );
                }
            }
            for u in &book.unexpected {
                let row = UnexpectedRow {
                    label: &u.label,
                    status: "unexpected",
                    why: wire_name(&u.why),
                };
                if *json {
                    json_line(&mut out, &row)?;
                } else {
                    outln!("{:<9} {:<14} ALERT: {}", row.status, row.label, row.why);
                }
            }
            if !json {
                print_totals(&book.totals())?;
            }
            Ok(0)
        }
        DepotCommand::ScanIn(args) => {
            if let Some(code) = sign_in(&mut t, &args.credential)? {
                return Ok(code);
            }
            let intake = IntakeInput {
                condition: args.condition.into(),
                note: args.note.clone(),
            };
            let labels: Vec<String> = if args.labels.is_empty() {
                std::io::stdin()
                    .lock()
                    .lines()
                    .collect::<std::io::Result<Vec<_>>>()
                    .context("cannot read labels from standard input")?
                    .into_iter()
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty())
                    .collect()
            } else {
                args.labels.clone()
            };
            let out = std::io::stdout();
            let mut out = out.lock();
            let mut alarms = false;
            for label in &labels {
                let entry = if args.typed {
                    LabelEntry::Typed(label)
                } else {
                    LabelEntry::Scanned(label)
                };
                let a = match t.scan_return(entry, &intake) {
                    Ok(a) => a,
                    Err(e) => return refused_or(e),
                };
                alarms |= matches!(a.verdict, ScanVerdict::Unexpected(_));
                let row = ScanRow {
                    label: &a.label,
                    verdict: &a.verdict,
                    event_seq: a.event.as_ref().map(|e| e.body.seq),
                    counts: a.counts,
                };
                if args.json {
                    json_line(&mut out, &row)?;
                } else {
                    let verdict = match a.verdict {
                        ScanVerdict::Received(item) => format!("RECEIVED ({})", wire_name(&item)),
                        ScanVerdict::AlreadyReceived => "already received".to_owned(),
                        ScanVerdict::Unexpected(why) => {
                            format!("ALERT unexpected: {}", wire_name(&why))
                        }
                    };
                    outln!(
                        "{:<14} {verdict}  [{} of {} received, {} missing, {} unexpected]",
                        a.label,
                        a.counts.received,
                        a.counts.expected,
                        a.counts.missing,
                        a.counts.unexpected
                    );
                }
            }
            t.supervisor_sign_out();
            Ok(if alarms { EXIT_ALARM } else { 0 })
        }
        DepotCommand::Condition(args) => {
            if let Some(code) = sign_in(&mut t, &args.credential)? {
                return Ok(code);
            }
            let intake = IntakeInput {
                condition: args.condition.into(),
                note: args.note.clone(),
            };
            recorded(
                t.record_condition(&args.label, &intake),
                "condition recorded",
            )
        }
        DepotCommand::ConfirmFee(args) => recorded(
            t.confirm_fee_change_as_courier(&args.request()),
            "courier confirmed the fee change; the supervisor approves it next",
        ),
        DepotCommand::FeeChange(args) => {
            if let Some(code) = sign_in(&mut t, &args.credential)? {
                return Ok(code);
            }
            recorded(t.change_fee(&args.fee.request()), "fee change recorded")
        }
        DepotCommand::ConfirmClose => {
            let totals = t.day_totals()?;
            print_totals(&totals)?;
            recorded(
                t.confirm_day_close_as_courier(),
                "courier confirmed the day's totals; the supervisor closes the day next",
            )
        }
        DepotCommand::Close {
            force_reason,
            credential,
        } => {
            if let Some(code) = sign_in(&mut t, credential)? {
                return Ok(code);
            }
            recorded(t.close_day(force_reason.as_deref()), "day closed")
        }
        DepotCommand::Reopen { reason, credential } => {
            if let Some(code) = sign_in(&mut t, credential)? {
                return Ok(code);
            }
            recorded(t.reopen_day(reason), "day reopened")
        }
        DepotCommand::Export(_) => Ok(0),
    }
}

/// The day as the screens and the day close see it: one day book, its
/// (`courier_protocol::rules::DayBook`) expected returns split into received, missing after an attempt and never
/// attempted, and the totals a close would record.
fn report(t: &Terminal, json: bool) -> Result<u8> {
    let book = t.day_book()?;
    let parcels = t.parcels()?;
    let order_of = |label: &str| {
        parcels
            .iter()
            .find(|p| p.spec.label == label)
            .map_or_else(String::new, |p| p.spec.order_ref.clone())
    };
    let fees = |l: &ReturnLine| wire_name(&l.fees.payer);
    let never = |l: &&ReturnLine| l.because == ExpectedBecause::NotAttempted;
    let mut lines: Vec<(&str, String, String, String)> = Vec::new();
    for label in &book.delivered {
        lines.push(("delivered", label.clone(), order_of(label), "-".into()));
    }
    for l in book.received() {
        lines.push(("returned", l.label.clone(), l.order_ref.clone(), fees(l)));
    }
    for l in book.missing().filter(|l| !never(l)) {
        lines.push(("missing", l.label.clone(), l.order_ref.clone(), fees(l)));
    }
    for l in book.missing().filter(never) {
        lines.push((
            "not_attempted",
            l.label.clone(),
            l.order_ref.clone(),
            fees(l),
        ));
    }
    // A pick-up never attempted carries nothing out: no return is expected,
    // but it was not attempted either.
    for p in parcels
        .iter()
        .filter(|p| p.state == ParcelState::Pending && book.line(&p.spec.label).is_none())
    {
        lines.push((
            "not_attempted",
            p.spec.label.clone(),
            p.spec.order_ref.clone(),
            "-".into(),
        ));
    }
    let out = std::io::stdout();
    let mut out = out.lock();
    for (section, label, order_ref, return_fees) in &lines {
        let line = ReportLine {
            section,
            label,
            order_ref,
            return_fees: return_fees.clone(),
        };
        if json {
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
    if !json {
        let count = |s: &str| lines.iter().filter(|l| l.0 == s).count();
        let totals = book.totals();
        let never_back = book.missing().filter(never).count();
        let pickups = count("not_attempted") - never_back;
        outln!(
            "{} delivered, {} returned, {} missing (expected back, not scanned in: {} after an attempt, {} never attempted){}",
            count("delivered"),
            count("returned"),
            totals.missing.len(),
            count("missing"),
            never_back,
            if pickups == 0 {
                String::new()
            } else {
                format!(", {pickups} pick-up(s) never attempted (nothing to bring back)")
            }
        );
        outln!(
            "returns: {} expected back, {} received, {} missing (not scanned in), {} unexpected (what the day close records)",
            totals.expected,
            totals.received,
            totals.missing.len(),
            totals.unexpected.len()
        );
    }
    Ok(0)
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
