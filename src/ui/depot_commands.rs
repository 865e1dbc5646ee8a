//! The depot supervisor's commands, run by the terminal's worker thread: each
//! calls the terminal's depot API and answers with what the screens show (the
//! day's returns as the log computes them, the session, the totals) and the
//! notice for the step. No rule here: the terminal decides, this only carries.

use courier_protocol::rules::day_close::DayTotals;
use courier_protocol::rules::{DayBook, LoadBook, LoadVerdict};
use courier_protocol::vocabulary::{Condition, Liability};

use super::notice::{self, Notice, NoticeKind};
use crate::terminal::{
    FeeChangeRequest, IntakeInput, LabelEntry, SessionInfo, SupervisorEntry, SupervisorInfo,
    Terminal, TerminalError,
};

/// A label as the supervisor entered it.
pub enum ReturnEntry {
    /// Read by the scanner.
    Scanned(String),
    /// Typed on the keys.
    Typed(String),
}

/// What the depot screens ask the terminal.
pub enum DepotCommand {
    /// Show the depot: session, supervisors, returns, totals.
    Open,
    /// A supervisor's badge QR (scanned or typed).
    Badge(String),
    /// A supervisor's PIN, for the supervisor chosen on the screen.
    Pin {
        /// The supervisor chosen.
        supervisor_id: String,
        /// The PIN as typed (never logged).
        pin: String,
    },
    /// Ends the supervisor's session.
    SignOut,
    /// Scans one return in, with its condition at intake.
    Scan {
        /// The label.
        entry: ReturnEntry,
        /// Intact, damaged, opened.
        condition: Condition,
        /// What is wrong (required unless intact).
        note: Option<String>,
    },
    /// The courier confirms a change of who pays (first pair of eyes).
    FeeCourierConfirms(FeeChangeRequest),
    /// The supervisor approves the change the courier confirmed (second pair).
    FeeApprove(FeeChangeRequest),
    /// The courier confirms the day's totals.
    CloseCourierConfirms,
    /// The supervisor closes the day (forced with a reason when returns are missing).
    Close {
        /// Why the day closes with returns missing.
        force_reason: Option<String>,
    },
    /// Scans one parcel into the vehicle at the morning load check.
    Load(ReturnEntry),
    /// The courier confirms the load check's figures.
    LoadCourierConfirms,
    /// The supervisor signs the load check.
    SignLoad,
}

/// How a scanned return sounds and looks: the supervisor notices it without reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// An expected return, received.
    Received,
    /// Scanned before: nothing new.
    Repeat,
    /// Not expected: an alarm.
    Alarm,
}

/// What the depot screens show, as the terminal computed it.
pub struct DepotView {
    /// The live supervisor session, if any.
    pub session: Option<SessionInfo>,
    /// The supervisors the manifest lists.
    pub supervisors: Vec<SupervisorInfo>,
    /// The day's returns.
    pub book: DayBook,
    /// What a close would record now.
    pub totals: DayTotals,
    /// The morning load check.
    pub load: LoadBook,
}

/// The answer to a depot command.
pub struct DepotReply {
    /// What to show.
    pub view: Option<DepotView>,
    /// What to say about the step (a notice code and its numbers).
    pub notice: Option<Notice>,
    /// Whether the notice is a refusal (red) rather than a result.
    pub refused: bool,
    /// The scanned label and how it sounds, after a scan.
    pub scan: Option<(String, Tone)>,
    /// A courier's confirmation was recorded (fee change or day close).
    pub courier_confirmed: bool,
    /// The step finished the flow on show (fee changed, day closed).
    pub done: bool,
}

fn view(t: &Terminal) -> Result<DepotView, TerminalError> {
    let book = t.day_book()?;
    let totals = book.totals();
    Ok(DepotView {
        session: t.supervisor_session(),
        supervisors: t.supervisors()?,
        book,
        totals,
        load: t.load_book()?,
    })
}

fn said(kind: NoticeKind) -> Option<Notice> {
    Some(Notice { kind, a: 0, b: 0 })
}

/// Runs one depot command on the terminal.
pub fn handle(t: &mut Terminal, cmd: DepotCommand) -> DepotReply {
    let mut reply = DepotReply {
        view: None,
        notice: None,
        refused: false,
        scan: None,
        courier_confirmed: false,
        done: false,
    };
    let step = run(t, cmd, &mut reply);
    if let Err(e) = step {
        tracing::warn!(error = %e, "depot step refused");
        reply.notice = Some(notice::notice(&e));
        reply.refused = true;
    }
    match view(t) {
        Ok(v) => reply.view = Some(v),
        Err(e) => {
            if reply.notice.is_none() {
                reply.notice = Some(notice::notice(&e));
                reply.refused = true;
            }
        }
    }
    reply
}

fn run(t: &mut Terminal, cmd: DepotCommand, reply: &mut DepotReply) -> Result<(), TerminalError> {
    match cmd {
        DepotCommand::Open => {}
        DepotCommand::Badge(text) => {
            let a = t.supervisor_sign_in(SupervisorEntry::Badge(&text))?;
            reply.refused = !matches!(a, crate::terminal::SignInAnswer::SignedIn(_));
            reply.notice = Some(notice::sign_in_notice(&a));
        }
        DepotCommand::Pin { supervisor_id, pin } => {
            let a = t.supervisor_sign_in(SupervisorEntry::Pin {
                supervisor_id: &supervisor_id,
                pin: &pin,
            })?;
            reply.refused = !matches!(a, crate::terminal::SignInAnswer::SignedIn(_));
            reply.notice = Some(notice::sign_in_notice(&a));
        }
        DepotCommand::SignOut => t.supervisor_sign_out(),
        DepotCommand::Scan {
            entry,
            condition,
            note,
        } => {
            let intake = IntakeInput { condition, note };
            let answer = match &entry {
                ReturnEntry::Scanned(l) => t.scan_return(LabelEntry::Scanned(l), &intake)?,
                ReturnEntry::Typed(l) => t.scan_return(LabelEntry::Typed(l), &intake)?,
            };
            let tone = match answer.verdict {
                courier_protocol::rules::ScanVerdict::Received(_) => Tone::Received,
                courier_protocol::rules::ScanVerdict::AlreadyReceived => Tone::Repeat,
                courier_protocol::rules::ScanVerdict::Unexpected(_) => Tone::Alarm,
            };
            reply.notice = Some(notice::scan_notice(&answer.verdict));
            reply.scan = Some((answer.label, tone));
        }
        DepotCommand::FeeCourierConfirms(req) => {
            t.confirm_fee_change_as_courier(&req)?;
            reply.notice = said(NoticeKind::FeeChangeConfirmed);
            reply.courier_confirmed = true;
        }
        DepotCommand::FeeApprove(req) => {
            t.change_fee(&req)?;
            reply.notice = said(NoticeKind::FeeChanged);
            reply.done = true;
        }
        DepotCommand::CloseCourierConfirms => {
            t.confirm_day_close_as_courier()?;
            reply.notice = said(NoticeKind::DayCloseConfirmed);
            reply.courier_confirmed = true;
        }
        DepotCommand::Close { force_reason } => {
            let event = t.close_day(force_reason.as_deref())?;
            let missing = event
                .body
                .day
                .as_ref()
                .map(|d| d.totals.missing.len())
                .unwrap_or(0);
            reply.notice = Some(if missing > 0 {
                Notice {
                    kind: NoticeKind::DayClosedForced,
                    a: i32::try_from(missing).unwrap_or(i32::MAX),
                    b: 0,
                }
            } else {
                Notice {
                    kind: NoticeKind::DayClosed,
                    a: 0,
                    b: 0,
                }
            });
            reply.done = true;
        }
        DepotCommand::Load(entry) => {
            let answer = match &entry {
                ReturnEntry::Scanned(l) => t.scan_load(LabelEntry::Scanned(l))?,
                ReturnEntry::Typed(l) => t.scan_load(LabelEntry::Typed(l))?,
            };
            let tone = match answer.verdict {
                LoadVerdict::Loaded => Tone::Received,
                LoadVerdict::AlreadyLoaded => Tone::Repeat,
                LoadVerdict::Alarm(_) => Tone::Alarm,
            };
            reply.notice = Some(notice::load_notice(&answer.verdict));
            reply.scan = Some((answer.label, tone));
        }
        DepotCommand::LoadCourierConfirms => {
            t.confirm_load_as_courier()?;
            reply.notice = said(NoticeKind::LoadConfirmed);
            reply.courier_confirmed = true;
        }
        DepotCommand::SignLoad => {
            let event = t.sign_load_check()?;
            let n = |x: usize| i32::try_from(x).unwrap_or(i32::MAX);
            let (loaded, missing) = event.body.load.as_ref().map_or((0, 0), |l| {
                (n(l.totals.loaded as usize), n(l.totals.missing.len()))
            });
            reply.notice = Some(Notice {
                kind: NoticeKind::LoadChecked,
                a: loaded,
                b: missing,
            });
            reply.done = true;
        }
    }
    Ok(())
}

/// The payers a supervisor may choose for a return's fees.
pub const PAYERS: [Liability; 3] = [Liability::Buyer, Liability::Seller, Liability::Carrier];
