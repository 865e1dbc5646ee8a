//! The returns of a day, computed from the log: what the depot expects back,
//! what was received (and in which condition), what is still missing, what
//! came back unexpectedly, and who pays each return's fees and why.
//!
//! The terminal (scan-in, the screens, the exports) and the server (checking a
//! day close against the events it holds) call the same [`DayBook::from_log`]
//! on the same inputs: the parcels of every manifest up to the one in force
//! (the last listing of each parcel wins) and the device's signed events in
//! sequence order.
//!
//! What is expected back:
//! - every delivery or exchange parcel not delivered: failed outcome,
//!   withdrawn, locked, or never attempted (a pick-up carries nothing out, so
//!   only what it collected comes back);
//! - every item collected on an exchange or a pick-up (`item_collected`);
//! - but never a parcel the manifest asks to load at the morning load check
//!   and that was not scanned into the vehicle (`parcel_loaded`): it never
//!   left the depot (listed in [`DayBook::not_loaded`]);
//! - nor a stop desk's parcel the courier handed over (`desk_handover`), nor
//!   one the desk holds for the buyer (listed in [`DayBook::at_desk`]); the
//!   desk sends back only a parcel whose hold ended (an outcome).
//!
//! The day is what follows the last `day_closed` event: a return received, a
//! delivery, or an unexpected scan recorded before it belongs to an earlier
//! day; a return still missing then is still expected now.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::envelope::SignedEvent;
use crate::manifest::ManifestParcel;
use crate::vocabulary::{Condition, EventKind, Liability, Outcome, ParcelKind, Reason};

use super::day_close::DayTotals;
use super::order_at_door::ORDER_PARCEL_ITEM;
use super::parcel::is_locked;

/// Which physical item a return line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnItem {
    /// The parcel itself (its label is the manifest's).
    Parcel,
    /// The item collected from the buyer on an exchange or a pick-up.
    CollectedItem,
    /// A parcel of an order of several parcels under the order's entry: one
    /// the buyer refused at the door, or one of an order that failed other
    /// than the entry's own label (its label is in `order_parcels`).
    OrderParcel,
}

/// Why a return is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "why", content = "outcome")]
pub enum ExpectedBecause {
    /// The attempt ended without handover.
    Failed(Outcome),
    /// The server withdrew the parcel (cancelled before dispatch).
    Withdrawn,
    /// Too many wrong codes, and no outcome recorded.
    Locked,
    /// Never ended today (not visited, or visited without an outcome).
    NotAttempted,
    /// Collected from the buyer (exchange, pick-up).
    Collected,
}

/// Why this party pays the return's fees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "why")]
pub enum PayerWhy {
    /// The outcome's liability (design brief, section 2).
    Outcome {
        /// The outcome.
        outcome: Outcome,
        /// Its reason.
        reason: Option<Reason>,
    },
    /// Withdrawn before dispatch: the server's return policy decides.
    Withdrawn,
    /// Locked without an outcome: the server's return policy decides.
    Locked,
    /// Never attempted: the carrier did not try.
    NotAttempted,
    /// A collected item: no return fee.
    Collected,
    /// Changed at the depot by the supervisor, with the courier's confirmation.
    Changed {
        /// The reason given.
        note: String,
        /// Who paid before.
        previous: Liability,
        /// The `fee_changed` event.
        event_id: String,
    },
}

/// Who pays a return's fees, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fees {
    /// Who pays.
    pub payer: Liability,
    /// Why.
    pub why: PayerWhy,
}

/// How a return was taken in at the depot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    /// The receiving event (`return_check_in` or `item_received`).
    pub event_id: String,
    /// Its sequence number.
    pub seq: u64,
    /// Device time of the scan, Unix ms.
    pub at_ms: i64,
    /// Condition at intake (the latest `return_condition` wins).
    pub condition: Condition,
    /// Why it is not intact.
    pub condition_note: Option<String>,
    /// The label was typed, not scanned.
    pub typed: bool,
    /// The supervisor who took it in (none: a courier's check-in).
    pub supervisor_id: Option<String>,
}

/// One expected return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// The label to scan.
    pub label: String,
    /// Parcel or collected item.
    pub item: ReturnItem,
    /// The parcel.
    pub parcel_id: String,
    /// Its order.
    pub order_ref: String,
    /// Delivery, exchange or pick-up.
    pub kind: ParcelKind,
    /// Why it comes back.
    pub because: ExpectedBecause,
    /// The outcome event this return follows, if any (id and hash).
    pub outcome_event: Option<EventRef>,
    /// Who pays its return fees, and why.
    pub fees: Fees,
    /// Received at the depot, if it was.
    pub received: Option<Intake>,
}

impl ReturnLine {
    /// Whether who pays this return's fees may be changed at the depot: a
    /// return that follows a failed outcome event (the rule of
    /// [`super::fees::check_fee_change`] then decides the new payer).
    /// A refused parcel of an order delivered is not: its fees follow its
    /// refusal at the door.
    pub fn fees_changeable(&self) -> bool {
        self.item != ReturnItem::OrderParcel
            && self.outcome_event.is_some()
            && matches!(self.because, ExpectedBecause::Failed(_))
    }
}

/// A reference to an event by id and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRef {
    /// Its id.
    pub event_id: String,
    /// Its hash.
    pub hash: String,
}

/// Why a scanned label is not an expected return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnexpectedWhy {
    /// No parcel or collected item of the day has this label.
    NotInManifest,
    /// The parcel is recorded as delivered: it should be with the buyer.
    WasDelivered,
    /// The item to collect was never recorded as collected.
    NeverCollected,
    /// The parcel was never scanned into the vehicle at the load check: it
    /// never left the depot.
    NeverLoaded,
}

/// A label scanned at the depot that was not expected (an alarm).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnexpectedScan {
    /// The label as scanned or typed.
    pub label: String,
    /// Why it was not expected.
    pub why: UnexpectedWhy,
    /// The `unexpected_return` event.
    pub event_id: String,
    /// Device time, Unix ms.
    pub at_ms: i64,
}

/// What a scanned label is, at once: the screen maps it to a colour and a sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "detail")]
pub enum ScanVerdict {
    /// An expected return, now received.
    Received(ReturnItem),
    /// Already received earlier today (nothing recorded again).
    AlreadyReceived,
    /// Not expected: an alarm.
    Unexpected(UnexpectedWhy),
}

/// The day's returns as the log says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayBook {
    /// Every expected return, parcels in route order then collected items.
    pub lines: Vec<ReturnLine>,
    /// Labels delivered this day.
    pub delivered: Vec<String>,
    /// Unexpected scans this day, in scan order (a label once).
    pub unexpected: Vec<UnexpectedScan>,
    /// Fee changes recorded this day.
    pub fee_changes: u32,
    /// Parcels of the day (every parcel of the manifests in force).
    pub parcels: u32,
    /// Sequence number of the last `day_closed` event before this day (0: none).
    pub since_seq: u64,
    /// Labels delivered on earlier days.
    pub delivered_before: Vec<String>,
    /// Labels received at the depot on earlier days.
    pub received_before: Vec<String>,
    /// Labels the load check required and never loaded: not expected back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_loaded: Vec<String>,
    /// Labels at a stop desk, not expected back: on the courier's terminal
    /// handed over to the desk; on the desk's, held for the buyer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at_desk: Vec<String>,
}

/// Kinds [`DayBook::from_log`] reads nothing from (a store may leave them
/// out of the events it passes, as long as it keeps every `day_closed`).
pub const KINDS_THE_BOOK_IGNORES: [EventKind; 6] = [
    EventKind::ManifestAccepted,
    EventKind::Arrived,
    EventKind::InspectionOffered,
    EventKind::ContactAttempt,
    EventKind::SupervisorSignedIn,
    EventKind::CourierConfirmed,
];

#[derive(Default)]
struct Replay {
    delivered_seq: Option<u64>,
    outcome: Option<(Outcome, Option<Reason>, Option<Liability>, EventRef)>,
    max_attempt: u32,
    returned: Option<Intake>,
    collected_label: Option<String>,
    collected_received: Option<Intake>,
    fee_change: Option<(Liability, String, Liability, String)>,
    loaded: bool,
    /// The labels the delivery handed over (an order of several parcels).
    handed_over: Option<Vec<String>>,
    /// Refusals of parcels of the order at the door, by label (the latest wins).
    refused: BTreeMap<String, (Outcome, Option<Reason>, Option<Liability>, EventRef)>,
    /// Parcels of the order received at the depot (`item_received`), by label.
    order_received: BTreeMap<String, Intake>,
    handed_to_desk: bool,
    taken_in_at_desk: bool,
}

fn intake(e: &SignedEvent) -> Intake {
    let d = &e.body.detail;
    Intake {
        event_id: e.body.event_id.clone(),
        seq: e.body.seq,
        at_ms: e.body.clock.device_utc_ms,
        condition: d
            .get("condition")
            .and_then(|c| Condition::parse(c))
            .unwrap_or(Condition::Intact),
        condition_note: d.get("condition_note").cloned(),
        typed: d.get("entry").is_some_and(|x| x == "typed"),
        supervisor_id: e.body.supervisor.as_ref().map(|s| s.supervisor_id.clone()),
    }
}

impl DayBook {
    /// Builds the day's book from the parcels and the device's events in
    /// sequence order (every event held; the day is what follows the last
    /// `day_closed`).
    pub fn from_log(parcels: &[ManifestParcel], events: &[SignedEvent]) -> DayBook {
        let since_seq = events
            .iter()
            .rev()
            .find(|e| e.body.kind == EventKind::DayClosed)
            .map_or(0, |e| e.body.seq);
        let mut replay: BTreeMap<&str, Replay> = BTreeMap::new();
        let mut unexpected: Vec<UnexpectedScan> = Vec::new();
        let mut fee_changes = 0;
        for e in events {
            let b = &e.body;
            let this_day = b.seq > since_seq;
            if b.kind == EventKind::UnexpectedReturn && this_day {
                if let (Some(label), Some(why)) = (
                    b.detail.get("label"),
                    b.detail.get("why").and_then(|w| unexpected_why(w)),
                ) && !unexpected.iter().any(|u| &u.label == label)
                {
                    unexpected.push(UnexpectedScan {
                        label: label.clone(),
                        why,
                        event_id: b.event_id.clone(),
                        at_ms: b.clock.device_utc_ms,
                    });
                }
                continue;
            }
            let Some(pid) = b.parcel_id.as_deref() else {
                continue;
            };
            let r = replay.entry(pid).or_default();
            if let Some(v) = &b.verification {
                r.max_attempt = r.max_attempt.max(v.attempt);
            }
            match b.kind {
                EventKind::Outcome if b.outcome == Some(Outcome::Delivered) => {
                    r.delivered_seq = Some(b.seq);
                    r.handed_over = b.handover.as_ref().map(|h| h.labels.clone());
                }
                EventKind::OrderParcelRefused => {
                    if let (Some(label), Some(o)) = (b.detail.get("label"), b.outcome) {
                        let at = EventRef {
                            event_id: b.event_id.clone(),
                            hash: e.hash.clone(),
                        };
                        r.refused
                            .insert(label.clone(), (o, b.reason, b.liability, at));
                    }
                }
                EventKind::ItemReceived
                    if b.detail.get("item").map(String::as_str) == Some(ORDER_PARCEL_ITEM) =>
                {
                    if let Some(label) = b.detail.get("label") {
                        r.order_received.insert(label.clone(), intake(e));
                    }
                }
                EventKind::Outcome | EventKind::Correction => {
                    if let Some(o) = b.outcome {
                        let oref = match (&r.outcome, b.kind) {
                            // A correction re-states the outcome; fees still
                            // point to the outcome event it corrects.
                            (Some((_, _, _, first)), EventKind::Correction) => first.clone(),
                            _ => EventRef {
                                event_id: b.event_id.clone(),
                                hash: e.hash.clone(),
                            },
                        };
                        r.outcome = Some((o, b.reason, b.liability, oref));
                    }
                }
                EventKind::ItemCollected => {
                    r.collected_label = b.detail.get("collected_label").cloned();
                }
                EventKind::ReturnCheckIn => r.returned = Some(intake(e)),
                EventKind::ParcelLoaded => r.loaded = true,
                EventKind::DeskHandover => r.handed_to_desk = true,
                EventKind::DeskIntake => r.taken_in_at_desk = true,
                EventKind::ItemReceived => r.collected_received = Some(intake(e)),
                EventKind::ReturnCondition => {
                    let target = match b.detail.get("item").map(String::as_str) {
                        Some("collected_item") => r.collected_received.as_mut(),
                        Some(ORDER_PARCEL_ITEM) => b
                            .detail
                            .get("label")
                            .and_then(|l| r.order_received.get_mut(l)),
                        _ => r.returned.as_mut(),
                    };
                    if let Some(i) = target {
                        i.condition = b
                            .detail
                            .get("condition")
                            .and_then(|c| Condition::parse(c))
                            .unwrap_or(i.condition);
                        i.condition_note = b.detail.get("condition_note").cloned();
                    }
                }
                EventKind::FeeChanged => {
                    if let Some(payer) = b.liability {
                        let previous = b
                            .detail
                            .get("previous_payer")
                            .and_then(|p| Liability::parse(p))
                            .unwrap_or(Liability::PerPolicy);
                        let note = b.detail.get("note").cloned().unwrap_or_default();
                        r.fee_change = Some((payer, note, previous, b.event_id.clone()));
                        if this_day {
                            fee_changes += 1;
                        }
                    }
                }
                _ => {}
            }
        }
        let mut book = DayBook {
            parcels: u32::try_from(parcels.len()).unwrap_or(u32::MAX),
            since_seq,
            fee_changes,
            unexpected,
            ..DayBook::default()
        };
        let mut ordered: Vec<&ManifestParcel> = parcels.iter().collect();
        ordered.sort_by(|a, b| (a.route_order, &a.parcel_id).cmp(&(b.route_order, &b.parcel_id)));
        let empty = Replay::default();
        let mut collected = Vec::new();
        for p in ordered {
            let r = replay.get(p.parcel_id.as_str()).unwrap_or(&empty);
            let earlier = |i: &Option<Intake>| i.as_ref().is_some_and(|i| i.seq <= since_seq);
            if let Some(label) = &r.collected_label
                && earlier(&r.collected_received)
            {
                book.received_before.push(label.clone());
            } else if let Some(label) = &r.collected_label {
                collected.push(ReturnLine {
                    label: label.clone(),
                    item: ReturnItem::CollectedItem,
                    parcel_id: p.parcel_id.clone(),
                    order_ref: p.order_ref.clone(),
                    kind: p.kind,
                    because: ExpectedBecause::Collected,
                    outcome_event: None,
                    fees: Fees {
                        payer: Liability::None,
                        why: PayerWhy::Collected,
                    },
                    received: r.collected_received.clone(),
                });
            }
            if let Some(seq) = r.delivered_seq {
                let handed = r
                    .handed_over
                    .clone()
                    .unwrap_or_else(|| vec![p.label.clone()]);
                for label in &handed {
                    if seq > since_seq {
                        book.delivered.push(label.clone());
                    } else {
                        book.delivered_before.push(label.clone());
                    }
                }
                // The parcels of the order the buyer refused come back.
                for label in p.order_labels() {
                    if handed.iter().any(|h| h == label) {
                        continue;
                    }
                    let refusal = r.refused.get(label);
                    let (outcome, reason, liability) = refusal.map_or(
                        (Outcome::RefusedAfterInspection, None, None),
                        |(o, reason, l, _)| (*o, *reason, *l),
                    );
                    let received = r.order_received.get(label);
                    if earlier(&received.cloned()) {
                        book.received_before.push(label.to_owned());
                        continue;
                    }
                    book.lines.push(ReturnLine {
                        label: label.to_owned(),
                        item: ReturnItem::OrderParcel,
                        parcel_id: p.parcel_id.clone(),
                        order_ref: p.order_ref.clone(),
                        kind: p.kind,
                        because: ExpectedBecause::Failed(outcome),
                        outcome_event: refusal.map(|(_, _, _, e)| e.clone()),
                        fees: Fees {
                            payer: liability.unwrap_or(outcome.liability()),
                            why: PayerWhy::Outcome { outcome, reason },
                        },
                        received: received.cloned(),
                    });
                }
                continue;
            }
            if p.kind == ParcelKind::Pickup {
                continue;
            }
            // A stop desk's parcel: the courier's ends at the desk's
            // intake (his handover); the desk's goes back only after an
            // outcome (its hold ended), and one never taken in was never
            // there.
            if let Some(stop) = &p.desk {
                let at_desk = if stop.held_here {
                    if !r.taken_in_at_desk {
                        continue;
                    }
                    r.outcome.is_none()
                } else {
                    r.handed_to_desk
                };
                if at_desk {
                    book.at_desk.push(p.label.clone());
                    continue;
                }
            }
            if p.must_be_loaded() && !r.loaded {
                book.not_loaded
                    .extend(p.order_labels().into_iter().map(str::to_owned));
                continue;
            }
            // The other parcels of a failed order of several parcels come back
            // with it (the entry's own label is the line below).
            let others: Vec<&str> = p.order_labels().into_iter().skip(1).collect();
            if earlier(&r.returned) {
                book.received_before.push(p.label.clone());
                for label in &others {
                    if earlier(&r.order_received.get(*label).cloned()) {
                        book.received_before.push((*label).to_owned());
                    }
                }
                if others
                    .iter()
                    .all(|l| earlier(&r.order_received.get(*l).cloned()))
                {
                    continue;
                }
            }
            let locked = is_locked(r.max_attempt, p.attempt_limit);
            let (because, mut fees) = match (&r.outcome, p.withdrawn) {
                (_, true) => (
                    ExpectedBecause::Withdrawn,
                    Fees {
                        payer: Liability::PerPolicy,
                        why: PayerWhy::Withdrawn,
                    },
                ),
                (Some((o, reason, liability, _)), false) => (
                    ExpectedBecause::Failed(*o),
                    Fees {
                        payer: liability.unwrap_or(o.liability()),
                        why: PayerWhy::Outcome {
                            outcome: *o,
                            reason: *reason,
                        },
                    },
                ),
                (None, false) if locked => (
                    ExpectedBecause::Locked,
                    Fees {
                        payer: Liability::PerPolicy,
                        why: PayerWhy::Locked,
                    },
                ),
                (None, false) => (
                    ExpectedBecause::NotAttempted,
                    Fees {
                        payer: Liability::Carrier,
                        why: PayerWhy::NotAttempted,
                    },
                ),
            };
            if let Some((payer, note, previous, event_id)) = &r.fee_change {
                fees = Fees {
                    payer: *payer,
                    why: PayerWhy::Changed {
                        note: note.clone(),
                        previous: *previous,
                        event_id: event_id.clone(),
                    },
                };
            }
            let line = ReturnLine {
                label: p.label.clone(),
                item: ReturnItem::Parcel,
                parcel_id: p.parcel_id.clone(),
                order_ref: p.order_ref.clone(),
                kind: p.kind,
                because,
                outcome_event: r.outcome.as_ref().map(|(_, _, _, e)| e.clone()),
                fees,
                received: r.returned.clone(),
            };
            let others: Vec<ReturnLine> = others
                .into_iter()
                .filter(|l| !earlier(&r.order_received.get(*l).cloned()))
                .map(|l| ReturnLine {
                    label: l.to_owned(),
                    item: ReturnItem::OrderParcel,
                    received: r.order_received.get(l).cloned(),
                    ..line.clone()
                })
                .collect();
            if !earlier(&r.returned) {
                book.lines.push(line);
            }
            book.lines.extend(others);
        }
        book.lines.extend(collected);
        book
    }

    /// What a scanned or typed label is, on this book (nothing is recorded).
    pub fn verdict(&self, parcels: &[ManifestParcel], label: &str) -> ScanVerdict {
        let label = label.trim();
        if let Some(line) = self.line(label) {
            return match line.received {
                Some(_) => ScanVerdict::AlreadyReceived,
                None => ScanVerdict::Received(line.item),
            };
        }
        if self.received_before.iter().any(|l| l == label) {
            return ScanVerdict::AlreadyReceived;
        }
        if self
            .delivered
            .iter()
            .chain(&self.delivered_before)
            .any(|d| d == label)
        {
            return ScanVerdict::Unexpected(UnexpectedWhy::WasDelivered);
        }
        if self.not_loaded.iter().any(|l| l == label) {
            return ScanVerdict::Unexpected(UnexpectedWhy::NeverLoaded);
        }
        if parcels
            .iter()
            .any(|p| p.label == label && p.kind == ParcelKind::Pickup)
        {
            return ScanVerdict::Unexpected(UnexpectedWhy::NeverCollected);
        }
        if parcels.iter().any(|p| {
            p.collect
                .as_ref()
                .and_then(|c| c.label.as_deref())
                .is_some_and(|l| l == label)
        }) {
            return ScanVerdict::Unexpected(UnexpectedWhy::NeverCollected);
        }
        ScanVerdict::Unexpected(UnexpectedWhy::NotInManifest)
    }

    /// The expected return with this label.
    pub fn line(&self, label: &str) -> Option<&ReturnLine> {
        self.lines.iter().find(|l| l.label == label.trim())
    }

    /// Expected returns not received yet.
    pub fn missing(&self) -> impl Iterator<Item = &ReturnLine> {
        self.lines.iter().filter(|l| l.received.is_none())
    }

    /// Expected returns received.
    pub fn received(&self) -> impl Iterator<Item = &ReturnLine> {
        self.lines.iter().filter(|l| l.received.is_some())
    }

    /// Whether every expected return is received.
    pub fn is_accounted_for(&self) -> bool {
        self.missing().next().is_none()
    }

    /// The totals a day close records and the courier confirms.
    pub fn totals(&self) -> DayTotals {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let sorted = |v: Vec<String>| {
            v.into_iter()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
        };
        DayTotals {
            parcels: self.parcels,
            delivered: count(self.delivered.len()),
            expected: count(self.lines.len()),
            received: count(self.received().count()),
            missing: sorted(self.missing().map(|l| l.label.clone()).collect()),
            unexpected: sorted(self.unexpected.iter().map(|u| u.label.clone()).collect()),
            fee_changes: self.fee_changes,
            payers: self
                .lines
                .iter()
                .map(|l| (l.label.clone(), l.fees.payer))
                .collect(),
        }
    }
}

/// Parses an [`UnexpectedWhy`] protocol string.
pub fn unexpected_why(s: &str) -> Option<UnexpectedWhy> {
    match s {
        "not_in_manifest" => Some(UnexpectedWhy::NotInManifest),
        "was_delivered" => Some(UnexpectedWhy::WasDelivered),
        "never_collected" => Some(UnexpectedWhy::NeverCollected),
        "never_loaded" => Some(UnexpectedWhy::NeverLoaded),
        _ => None,
    }
}

impl UnexpectedWhy {
    /// Protocol string.
    pub fn as_str(self) -> &'static str {
        match self {
            UnexpectedWhy::NotInManifest => "not_in_manifest",
            UnexpectedWhy::WasDelivered => "was_delivered",
            UnexpectedWhy::NeverCollected => "never_collected",
            UnexpectedWhy::NeverLoaded => "never_loaded",
        }
    }
}

/// The parcels of the day: every manifest up to the one in force, in version
/// order, the last listing of each parcel winning (what the terminal holds).
pub fn day_parcels<'a>(
    manifests: impl IntoIterator<Item = &'a [ManifestParcel]>,
) -> Vec<ManifestParcel> {
    let mut by_id: BTreeMap<String, ManifestParcel> = BTreeMap::new();
    for parcels in manifests {
        for p in parcels {
            by_id.insert(p.parcel_id.clone(), p.clone());
        }
    }
    by_id.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Verification;
    use crate::fixtures::{event_body, unsigned_event};
    use crate::manifest::Collect;
    use crate::rules::parcel::tests::spec;
    use crate::vocabulary::{CheckMode, CheckResult, EntryMode};

    fn parcel(n: u32, kind: ParcelKind) -> ManifestParcel {
        let mut p = spec(3);
        p.parcel_id = format!("P{n}");
        p.label = format!("L{n}");
        p.order_ref = format!("O{n}");
        p.route_order = n;
        p.kind = kind;
        if kind != ParcelKind::Delivery {
            p.collect = Some(Collect {
                description: "old item".into(),
                label: Some(format!("C{n}")),
            });
        }
        p
    }

    fn event(seq: u64, kind: EventKind, parcel: Option<&str>) -> SignedEvent {
        unsigned_event(event_body("D", seq, "", kind, parcel))
    }

    fn outcome(seq: u64, p: &str, o: Outcome) -> SignedEvent {
        let mut e = event(seq, EventKind::Outcome, Some(p));
        e.body.outcome = Some(o);
        e.body.liability = Some(o.liability());
        e
    }

    #[test]
    fn the_expected_set_follows_the_log() {
        let mut withdrawn = parcel(3, ParcelKind::Delivery);
        withdrawn.withdrawn = true;
        let parcels = vec![
            parcel(1, ParcelKind::Delivery), // delivered
            parcel(2, ParcelKind::Delivery), // refused: seller pays
            withdrawn,                       // withdrawn: policy
            parcel(4, ParcelKind::Delivery), // locked, no outcome
            parcel(5, ParcelKind::Delivery), // never attempted: carrier
            parcel(6, ParcelKind::Exchange), // delivered, old item collected
            parcel(7, ParcelKind::Pickup),   // nothing collected: nothing back
        ];
        let mut locked = event(4, EventKind::CodeAttempt, Some("P4"));
        locked.body.verification = Some(Verification {
            entry: EntryMode::Keypad,
            check: CheckMode::Offline,
            result: CheckResult::Mismatch,
            attempt: 3,
            attempt_limit: 3,
        });
        let mut collected = event(5, EventKind::ItemCollected, Some("P6"));
        collected
            .body
            .detail
            .insert("collected_label".into(), "C6".into());
        let events = vec![
            outcome(1, "P1", Outcome::Delivered),
            outcome(2, "P2", Outcome::RefusedAfterInspection),
            event(3, EventKind::Arrived, Some("P4")),
            locked,
            collected,
            outcome(6, "P6", Outcome::Delivered),
        ];
        let book = DayBook::from_log(&parcels, &events);
        let lines: Vec<(&str, ExpectedBecause, Liability)> = book
            .lines
            .iter()
            .map(|l| (l.label.as_str(), l.because, l.fees.payer))
            .collect();
        assert_eq!(
            lines,
            vec![
                (
                    "L2",
                    ExpectedBecause::Failed(Outcome::RefusedAfterInspection),
                    Liability::Seller
                ),
                ("L3", ExpectedBecause::Withdrawn, Liability::PerPolicy),
                ("L4", ExpectedBecause::Locked, Liability::PerPolicy),
                ("L5", ExpectedBecause::NotAttempted, Liability::Carrier),
                ("C6", ExpectedBecause::Collected, Liability::None),
            ]
        );
        assert_eq!(book.delivered, ["L1", "L6"]);
        assert_eq!(
            book.verdict(&parcels, "L2"),
            ScanVerdict::Received(ReturnItem::Parcel)
        );
        assert_eq!(
            book.verdict(&parcels, " C6 "),
            ScanVerdict::Received(ReturnItem::CollectedItem)
        );
        assert_eq!(
            book.verdict(&parcels, "L1"),
            ScanVerdict::Unexpected(UnexpectedWhy::WasDelivered)
        );
        assert_eq!(
            book.verdict(&parcels, "C7"),
            ScanVerdict::Unexpected(UnexpectedWhy::NeverCollected)
        );
        assert_eq!(
            book.verdict(&parcels, "nope"),
            ScanVerdict::Unexpected(UnexpectedWhy::NotInManifest)
        );
        // The kinds the book ignores change nothing when left out.
        let kept: Vec<SignedEvent> = events
            .iter()
            .filter(|e| !KINDS_THE_BOOK_IGNORES.contains(&e.body.kind))
            .cloned()
            .collect();
        assert_eq!(DayBook::from_log(&parcels, &kept), book);
    }

    #[test]
    fn a_parcel_never_loaded_is_not_expected_back() {
        let mut loaded = parcel(1, ParcelKind::Delivery);
        loaded.load_check = true;
        let mut never = parcel(2, ParcelKind::Delivery);
        never.load_check = true;
        let mut withdrawn = parcel(3, ParcelKind::Delivery);
        withdrawn.load_check = true;
        withdrawn.withdrawn = true;
        let parcels = vec![loaded, never, withdrawn, parcel(4, ParcelKind::Delivery)];
        let mut scan = event(1, EventKind::ParcelLoaded, Some("P1"));
        scan.body.detail.insert("label".into(), "L1".into());
        let events = vec![scan, outcome(2, "P1", Outcome::NoAnswer)];
        let book = DayBook::from_log(&parcels, &events);
        let expected: Vec<&str> = book.lines.iter().map(|l| l.label.as_str()).collect();
        // L4's manifest entry asks for no load check: today's case, expected.
        assert_eq!(expected, ["L1", "L4"]);
        assert_eq!(book.not_loaded, ["L2", "L3"]);
        assert_eq!(
            book.verdict(&parcels, "L2"),
            ScanVerdict::Unexpected(UnexpectedWhy::NeverLoaded)
        );
        assert_eq!(book.totals().missing, ["L1", "L4"]);
    }

    #[test]
    fn a_receipt_before_the_last_close_belongs_to_an_earlier_day() {
        let parcels = vec![
            parcel(1, ParcelKind::Delivery),
            parcel(2, ParcelKind::Delivery),
        ];
        let mut received = event(2, EventKind::ReturnCheckIn, Some("P1"));
        received
            .body
            .detail
            .insert("condition".into(), "damaged".into());
        let events = vec![
            outcome(1, "P1", Outcome::NoAnswer),
            received,
            event(3, EventKind::DayClosed, None),
        ];
        let book = DayBook::from_log(&parcels, &events);
        assert_eq!(book.since_seq, 3);
        assert_eq!(book.lines.len(), 1, "only P2 is still expected");
        assert_eq!(book.lines[0].label, "L2");
        assert_eq!(book.verdict(&parcels, "L1"), ScanVerdict::AlreadyReceived);
        assert_eq!(book.totals().missing, ["L2"]);
    }
}
