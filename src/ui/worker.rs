//! The worker thread: owns the [`Terminal`] and runs every domain and storage call
//! off the UI thread. Commands come in over a channel; each reply is handed to the
//! UI thread with `upgrade_in_event_loop`.

use std::sync::mpsc;

use courier_protocol::manifest::ManifestSettings;
use courier_protocol::vocabulary::{Outcome, Reason};
use tracing::{debug, warn};

use super::depot_commands::{DepotCommand, DepotReply};
use super::notice::{Notice, notice};
use crate::domain::code_check::CodeVerdict;
use crate::domain::no_answer::NoAnswerReadiness;
use crate::domain::parcel::Parcel;
use crate::domain::refusal::Refusal;
use crate::storage::outbox::SyncStatus;
use crate::terminal::{CodeEntry, ContactChannel, LabelEntry, Status, Terminal, TerminalError};

/// A code as entered on the screen. Kept in memory only, never logged.
pub enum CodeInput {
    /// Digits typed on the keypad.
    Keypad(String),
    /// The buyer's QR as the scanner read it.
    Qr(String),
}

/// What the screens ask the terminal to do.
pub enum Command {
    /// Reload the route list and the status.
    Refresh,
    /// Reload only the status (events waiting to sync, last sync).
    Status,
    /// Open a parcel by its scanned or typed label (or a unique end of it).
    Open(String),
    /// Record arrival.
    Arrive(String),
    /// Record that inspection was offered.
    OfferInspection(String),
    /// Record the collected item.
    Collect {
        /// Parcel label.
        label: String,
        /// Scanned label of the collected item.
        item: String,
    },
    /// Log a contact attempt.
    Contact {
        /// Parcel label.
        label: String,
        /// Call or message.
        channel: ContactChannel,
    },
    /// Check the buyer's code.
    Code {
        /// Parcel label.
        label: String,
        /// Typed or scanned code.
        input: CodeInput,
    },
    /// Record a non-delivery outcome.
    Outcome {
        /// Parcel label.
        label: String,
        /// Outcome.
        outcome: Outcome,
        /// Reason, if the outcome takes one.
        reason: Option<Reason>,
    },
    /// A parcel of an order of several parcels scanned or typed at the door.
    ScanOrderParcel {
        /// The order's label.
        order: String,
        /// The parcel's label as scanned or typed.
        label: String,
        /// Typed on the pad (the scan failed).
        typed: bool,
    },
    /// The buyer refuses one parcel of the order.
    RefuseOrderParcel {
        /// The order's label.
        order: String,
        /// The refused parcel's label.
        label: String,
        /// Refused after inspection, or declined.
        outcome: Outcome,
        /// Its reason.
        reason: Option<Reason>,
    },
    /// Where the parcel stands with the "no answer" rule (evidence screen).
    NoAnswer(String),
    /// Device identity for the about screen.
    About,
    /// A depot supervisor's step (sign-in, returns scan-in, fees, day close).
    Depot(DepotCommand),
    /// Runs on the UI thread once every earlier command has been answered (tests).
    Barrier(Box<dyn FnOnce() + Send>),
}

/// What the terminal answered.
pub enum Reply {
    /// The route list and the status.
    Route {
        /// Parcels in route order.
        parcels: Vec<Parcel>,
        /// Status summary.
        status: Status,
        /// The outbox: what waits, what was refused, whether sending fails.
        sync: Option<SyncStatus>,
    },
    /// The status alone.
    Status {
        /// Status summary.
        status: Status,
        /// The outbox: what waits, what was refused, whether sending fails.
        sync: Option<SyncStatus>,
    },
    /// A parcel to show (after opening it or after a step).
    Parcel {
        /// The parcel as stored now.
        parcel: Parcel,
        /// The settings of the manifest in force.
        settings: ManifestSettings,
        /// Whether this answers an `Open` (go to the parcel screen).
        opened: bool,
    },
    /// A code answer, given only after its event is durably stored.
    Code {
        /// The parcel after the check.
        parcel: Parcel,
        /// What to tell the courier.
        verdict: CodeVerdict,
    },
    /// A contact attempt was logged (the parcel's visit holds it with its time).
    Contacted {
        /// The parcel after the contact.
        parcel: Parcel,
    },
    /// The "no answer" rule's answer for the parcel on show.
    NoAnswer {
        /// The parcel as stored now (its visit holds the contacts).
        parcel: Parcel,
        /// The rule's answer (`None` outside a visit).
        readiness: Option<NoAnswerReadiness>,
    },
    /// An outcome was recorded.
    Recorded {
        /// The outcome.
        outcome: Outcome,
    },
    /// The action was refused: what to tell the courier.
    Refused(Notice),
    /// Device identity.
    About {
        /// Status (device id, fingerprint, manifest version).
        status: Status,
        /// Full public key hex (the QR content).
        public_key_hex: String,
    },
    /// The depot's answer to a supervisor's step.
    Depot(DepotReply),
    /// A barrier reached.
    Barrier(Box<dyn FnOnce() + Send>),
}

/// Owns the terminal and answers commands.
pub struct Worker {
    terminal: Terminal,
}

impl Worker {
    /// Wraps a terminal.
    pub fn new(terminal: Terminal) -> Self {
        Worker { terminal }
    }

    /// Runs the worker loop on its own thread until the command channel closes.
    pub fn spawn(
        mut self,
        commands: mpsc::Receiver<Command>,
        reply: impl Fn(Reply) + Send + 'static,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("terminal-worker".into())
            .spawn(move || {
                while let Ok(cmd) = commands.recv() {
                    reply(self.handle(cmd));
                }
                debug!("terminal worker stopped");
            })
    }

    /// Answers one command.
    pub fn handle(&mut self, cmd: Command) -> Reply {
        match self.try_handle(cmd) {
            Ok(r) => r,
            Err(e) => {
                warn!(error = %e, "terminal action refused");
                Reply::Refused(notice(&e))
            }
        }
    }

    fn settings(&mut self) -> ManifestSettings {
        self.terminal.settings().unwrap_or_default()
    }

    fn parcel_reply(&mut self, label: &str, opened: bool) -> Result<Reply, TerminalError> {
        Ok(Reply::Parcel {
            parcel: self.terminal.parcel(label)?,
            settings: self.settings(),
            opened,
        })
    }

    fn try_handle(&mut self, cmd: Command) -> Result<Reply, TerminalError> {
        let t = &mut self.terminal;
        match cmd {
            Command::Refresh => Ok(Reply::Route {
                parcels: t.parcels()?,
                status: t.status()?,
                sync: sync_status(t),
            }),
            Command::Status => Ok(Reply::Status {
                status: t.status()?,
                sync: sync_status(t),
            }),
            Command::Open(text) => {
                let label = t.resolve_label(&text)?;
                self.parcel_reply(&label, true)
            }
            Command::Arrive(label) => {
                t.arrive(&label)?;
                self.parcel_reply(&label, false)
            }
            Command::OfferInspection(label) => {
                t.arrive_and_offer_inspection(&label)?;
                self.parcel_reply(&label, false)
            }
            Command::Collect { label, item } => {
                t.collect(&label, &item)?;
                self.parcel_reply(&label, false)
            }
            Command::Contact { label, channel } => {
                t.contact(&label, channel)?;
                Ok(Reply::Contacted {
                    parcel: t.parcel(&label)?,
                })
            }
            Command::Code { label, input } => {
                let entry = match &input {
                    CodeInput::Keypad(d) => CodeEntry::Keypad(d),
                    CodeInput::Qr(q) => CodeEntry::Qr(q),
                };
                let answer = match t.submit_code(&label, entry) {
                    Ok(a) => a,
                    Err(TerminalError::Refused(Refusal::Locked { .. })) => {
                        return Ok(Reply::Code {
                            parcel: t.parcel(&label)?,
                            verdict: CodeVerdict::Locked,
                        });
                    }
                    Err(e) => return Err(e),
                };
                Ok(Reply::Code {
                    parcel: t.parcel(&label)?,
                    verdict: answer.verdict,
                })
            }
            Command::Outcome {
                label,
                outcome,
                reason,
            } => {
                t.record_outcome(&label, outcome, reason, None)?;
                Ok(Reply::Recorded { outcome })
            }
            Command::ScanOrderParcel {
                order,
                label,
                typed,
            } => {
                let entry = if typed {
                    LabelEntry::Typed(&label)
                } else {
                    LabelEntry::Scanned(&label)
                };
                t.scan_order_parcel(&order, entry)?;
                self.parcel_reply(&order, false)
            }
            Command::RefuseOrderParcel {
                order,
                label,
                outcome,
                reason,
            } => {
                t.refuse_order_parcel(&order, &label, outcome, reason)?;
                self.parcel_reply(&order, false)
            }
            Command::NoAnswer(label) => Ok(Reply::NoAnswer {
                readiness: t.no_answer_readiness(&label)?,
                parcel: t.parcel(&label)?,
            }),
            Command::About => Ok(Reply::About {
                status: t.status()?,
                public_key_hex: t.public_key().to_hex(),
            }),
            Command::Depot(cmd) => Ok(Reply::Depot(super::depot_commands::handle(t, cmd))),
            Command::Barrier(f) => Ok(Reply::Barrier(f)),
        }
    }
}

/// The outbox summary for the status bar; a failure to read it only hides the
/// offline/failing state (the waiting count still comes from the status).
fn sync_status(t: &Terminal) -> Option<SyncStatus> {
    match t.store().sync_status() {
        Ok(s) => Some(s),
        Err(e) => {
            warn!(error = %e, "cannot read the sync state");
            None
        }
    }
}
