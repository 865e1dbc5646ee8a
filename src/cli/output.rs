//! How commands print: refusals on standard error with exit code 3, JSON from
//! `Serialize` types, a closed pipe taken as the reader's choice.

use std::io::Write;

use anyhow::Result;
use courier_protocol::envelope::SignedEvent;
use serde::Serialize;

use crate::domain::parcel::DisplayState;
use crate::terminal::TerminalError;

/// Exit code for a refusal by the doorstep rules.
pub const EXIT_REFUSED: u8 = 3;

/// Exit code of `depot scan-in` when a scan raised an alarm (an unexpected
/// label): every scan is recorded, and the supervisor must look at the alarm.
pub const EXIT_ALARM: u8 = 6;

/// Prints a refusal and returns its exit code, or propagates other errors.
pub fn refused_or(e: TerminalError) -> Result<u8> {
    match e {
        TerminalError::Refused(_)
        | TerminalError::CodeFormat(_)
        | TerminalError::UnknownLabel(_)
        | TerminalError::UnknownEvent(_)
        | TerminalError::OutOfBounds(_)
        | TerminalError::Supervisor(_)
        | TerminalError::Manifest(_) => {
            eprintln!("refused: {e}");
            Ok(EXIT_REFUSED)
        }
        other => Err(other.into()),
    }
}

/// Prints "what: event ID (seq N)" for a recorded event, or the refusal.
pub fn recorded(r: Result<SignedEvent, TerminalError>, what: &str) -> Result<u8> {
    match r {
        Ok(e) => {
            outln!("{what}: event {} (seq {})", e.body.event_id, e.body.seq);
            Ok(0)
        }
        Err(e) => refused_or(e),
    }
}

/// Writes one JSON line; a closed pipe (`| head`) ends the output quietly.
pub fn json_line(out: &mut impl Write, value: &impl Serialize) -> Result<bool> {
    let line = serde_json::to_string(value)?;
    line_or_closed(writeln!(out, "{line}"))
}

/// Writes one text line; a closed pipe (`| head`) ends the output quietly.
pub fn text_line(out: &mut impl Write, line: &str) -> Result<bool> {
    line_or_closed(writeln!(out, "{line}"))
}

/// `Ok(true)` when written, `Ok(false)` when the reader closed the pipe.
fn line_or_closed(r: std::io::Result<()>) -> Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The route-list name of a display state.
pub fn display_name(state: DisplayState) -> String {
    match state {
        DisplayState::ToDo => "to_do".into(),
        DisplayState::AtDoor => "at_door".into(),
        DisplayState::Delivered => "delivered".into(),
        DisplayState::Failed(o) => format!("failed:{}", o.as_str()),
        DisplayState::Withdrawn => "withdrawn".into(),
        DisplayState::Locked => "locked".into(),
        DisplayState::Returned => "returned".into(),
        DisplayState::AtDesk => "at_desk".into(),
    }
}

/// The wire name of a protocol value (`seller`, `no_answer`, ...).
pub fn wire_name(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => "?".to_owned(),
    }
}
