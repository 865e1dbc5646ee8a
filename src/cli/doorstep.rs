//! The doorstep commands: arrive, inspect, contact, collect, deliver, attempt,
//! correct, and the depot's check-in.

use std::io::BufRead;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use courier_protocol::vocabulary::{Outcome, Reason};

use super::note::Note;
use super::output::{EXIT_REFUSED, recorded, refused_or, wire_name};
use super::{Cli, Command, Use, open};
use crate::domain::code_check::CodeVerdict;
use crate::terminal::{CodeEntry, ContactChannel};

/// A parcel label.
#[derive(Debug, Args)]
pub struct LabelArg {
    /// Parcel label.
    pub label: String,
}

/// Options of `contact`.
#[derive(Debug, Args)]
pub struct ContactArgs {
    /// Parcel label.
    pub label: String,
    /// How.
    #[arg(long, value_enum, default_value = "call")]
    pub channel: Channel,
}

/// Options of `collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Parcel label.
    pub label: String,
    /// Label of the collected item.
    pub item: String,
}

/// Options of `deliver`.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// Parcel label.
    pub label: String,
    /// The numeric code ("-" reads it from standard input, out of the shell history).
    #[arg(long, conflicts_with = "qr", required_unless_present = "qr")]
    pub code: Option<String>,
    /// The scanned QR text.
    #[arg(long)]
    pub qr: Option<String>,
}

/// Options of `attempt`.
#[derive(Debug, Args)]
pub struct AttemptArgs {
    /// Parcel label.
    pub label: String,
    /// Outcome.
    #[arg(long, value_parser = parse_outcome)]
    pub outcome: Outcome,
    /// Reason.
    #[arg(long, value_parser = parse_reason)]
    pub reason: Option<Reason>,
    /// Free note.
    #[arg(long)]
    pub note: Option<String>,
}

/// Options of `correct`.
#[derive(Debug, Args)]
pub struct CorrectArgs {
    /// Event id to correct.
    pub event_id: String,
    /// The right outcome.
    #[arg(long, value_parser = parse_outcome)]
    pub outcome: Outcome,
    /// Reason.
    #[arg(long, value_parser = parse_reason)]
    pub reason: Option<Reason>,
    /// Why the correction.
    #[arg(long)]
    pub note: String,
}

/// Contact channels.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Channel {
    /// Phone call.
    Call,
    /// SMS or messaging.
    Message,
    /// Doorbell or knock.
    Doorbell,
}

fn parse_outcome(s: &str) -> Result<Outcome, String> {
    Outcome::parse(s).ok_or_else(|| {
        format!(
            "unknown outcome {s:?}; one of: {}",
            Outcome::ALL.map(|o| o.as_str()).join(", ")
        )
    })
}

fn parse_reason(s: &str) -> Result<Reason, String> {
    Reason::parse(s).ok_or_else(|| {
        format!(
            "unknown reason {s:?}; one of: {}",
            Reason::ALL.map(|r| r.as_str()).join(", ")
        )
    })
}

pub(super) fn run(cli: &Cli) -> Result<u8> {
    let use_ = match cli.command {
        Command::Deliver(_) => Use::CheckCode,
        _ => Use::Record,
    };
    let (mut t, _feeds, _parts) = open(cli, use_)?;
    match &cli.command {
        Command::Arrive(a) => recorded(t.arrive(&a.label), "arrival recorded"),
        Command::Inspect(a) => recorded(t.offer_inspection(&a.label), "inspection offered"),
        Command::Contact(a) => {
            let channel = match a.channel {
                Channel::Call => ContactChannel::Call,
                Channel::Message => ContactChannel::Message,
                Channel::Doorbell => ContactChannel::Doorbell,
            };
            recorded(t.contact(&a.label, channel), "contact attempt logged")
        }
        Command::Collect(a) => recorded(t.collect(&a.label, &a.item), "item collected"),
        Command::Deliver(a) => deliver(&mut t, a),
        Command::Attempt(a) => {
            let r = t.record_outcome(&a.label, a.outcome, a.reason, a.note.as_deref());
            if let Ok(e) = &r {
                outln!(
                    "{} recorded; return fees: {}",
                    a.outcome.as_str(),
                    wire_name(&e.body.liability.unwrap_or(a.outcome.liability()))
                );
            }
            recorded(r, "outcome")
        }
        Command::Correct(a) => recorded(
            t.correct(&a.event_id, a.outcome, a.reason, &a.note),
            "correction recorded",
        ),
        _ => Ok(2),
    }
}

fn deliver(t: &mut crate::terminal::Terminal, args: &DeliverArgs) -> Result<u8> {
    let typed;
    let entry = match (&args.code, &args.qr) {
        (Some(c), _) if c == "-" => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the code from standard input")?;
            typed = line;
            CodeEntry::Keypad(typed.trim())
        }
        (Some(c), _) => CodeEntry::Keypad(c),
        (None, Some(q)) => CodeEntry::Qr(q),
        (None, None) => return Err(Note::GiveCodeOrQr.into()),
    };
    match t.submit_code(&args.label, entry) {
        Ok(answer) => {
            let (text, code) = match answer.verdict {
                CodeVerdict::Delivered => (Note::Delivered, 0),
                CodeVerdict::WrongCode { tries_left } => {
                    (Note::WrongCode { tries_left }, EXIT_REFUSED)
                }
                CodeVerdict::Locked => (Note::CodeLocked, EXIT_REFUSED),
                CodeVerdict::NeedsNetwork => (Note::CodeNeedsNetwork, EXIT_REFUSED),
            };
            outln!(
                "{text} (event {} seq {})",
                answer.event.body.event_id,
                answer.event.body.seq
            );
            Ok(code)
        }
        Err(e) => refused_or(e),
    }
}
