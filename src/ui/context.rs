//! What the UI thread keeps beside the Slint properties, and how it sends
//! commands to the terminal's worker (and shows the screen busy meanwhile).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc;

use courier_protocol::manifest::ManifestSettings;
use slint::ComponentHandle;
use tracing::warn;

use super::depot_commands::DepotCommand;
use super::generated::{AppState, MainWindow, Screen};
use super::language::Language;
use super::worker::{Command, Reply, Worker};
use crate::assembly::DeviceConfig;
use crate::clock::Clock;
use crate::domain::parcel::Parcel;
use crate::position_source::PositionSource;

/// How commands reach the terminal.
pub(super) enum Link {
    /// The worker thread's queue (the app).
    Thread(mpsc::Sender<Command>),
    /// The worker called on the UI thread (screenshots, benchmarks).
    Inline(Box<RefCell<Worker>>),
}

/// State the UI thread keeps beside the Slint properties.
pub(crate) struct UiCtx {
    pub(super) link: Link,
    pub(super) weak: slint::Weak<MainWindow>,
    pub(super) position: Arc<dyn PositionSource>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) diagnosis: Option<DeviceConfig>,
    pub(super) lang: Cell<Language>,
    pub(super) utc_offset_minutes: i32,
    pub(super) parcels: RefCell<Vec<Parcel>>,
    pub(super) current: RefCell<Option<(Parcel, ManifestSettings)>>,
    pub(super) before_about: Cell<Screen>,
    /// Events in the log at the last route refresh (a change means reload the route).
    pub(super) events_seen: Cell<u64>,
    /// Commands sent and not yet answered, in order: what each keeps the screen
    /// busy with ("record", "check"), or `None` for reads.
    pub(super) in_flight: RefCell<VecDeque<Option<&'static str>>>,
    /// Whether the screen was last marked busy.
    pub(super) busy: Cell<bool>,
    /// Applies a reply on the UI thread (inline mode applies at once).
    pub(super) on_reply: fn(&MainWindow, &UiCtx, Reply),
}

impl UiCtx {
    /// Sends a command to the worker (or runs it at once in inline mode).
    pub(crate) fn send(&self, cmd: Command) {
        self.in_flight.borrow_mut().push_back(busy_kind(&cmd));
        self.show_busy();
        match &self.link {
            Link::Thread(tx) => {
                if tx.send(cmd).is_err() {
                    warn!("terminal worker is gone");
                }
            }
            Link::Inline(worker) => {
                let reply = worker.borrow_mut().handle(cmd);
                if let Some(ui) = self.weak.upgrade() {
                    (self.on_reply)(&ui, self, reply);
                }
            }
        }
    }

    /// Marks the screen busy while a recording or checking command is with the terminal.
    pub(super) fn show_busy(&self) {
        let Some(ui) = self.weak.upgrade() else {
            return;
        };
        let kind = {
            let q = self.in_flight.borrow();
            q.iter()
                .flatten()
                .copied()
                .find(|k| *k == "check")
                .or_else(|| q.iter().flatten().copied().next())
        };
        let app = ui.global::<AppState>();
        if let Some(k) = kind
            && app.get_busy_kind().as_str() != k
        {
            app.set_busy_kind(k.into());
        }
        // Written only when it changes, so reads in between leave the screen alone.
        if self.busy.get() != kind.is_some() {
            self.busy.set(kind.is_some());
            app.set_busy(kind.is_some());
        }
    }

    /// Whether the terminal is called on the UI thread (screenshots, benchmarks).
    pub(crate) fn is_inline(&self) -> bool {
        matches!(self.link, Link::Inline(_))
    }

    /// The label of the parcel on screen.
    pub(crate) fn current_label(&self) -> Option<String> {
        self.current
            .borrow()
            .as_ref()
            .map(|(p, _)| p.spec.label.clone())
    }
}

/// What a command keeps the screen busy with: recording a step, checking a code
/// (possibly with the server), or nothing (reads).
fn busy_kind(cmd: &Command) -> Option<&'static str> {
    match cmd {
        Command::Code { .. } => Some("check"),
        Command::Arrive(_)
        | Command::OfferInspection(_)
        | Command::Collect { .. }
        | Command::Contact { .. }
        | Command::ScanOrderParcel { .. }
        | Command::RefuseOrderParcel { .. }
        | Command::Outcome { .. } => Some("record"),
        Command::Depot(DepotCommand::Open) => None,
        Command::Depot(_) => Some("record"),
        Command::Refresh
        | Command::Status
        | Command::Open(_)
        | Command::NoAnswer(_)
        | Command::About
        | Command::Barrier(_) => None,
    }
}
