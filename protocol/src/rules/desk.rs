//! Stop desks (relay points): the custody transfer from the courier to the
//! desk, the desk's counter, and the holding period.
//!
//! A parcel whose manifest names a desk ([`crate::desk_stop::DeskStop`]) is
//! not delivered at the door. The courier's terminal records a
//! `desk_handover` naming the desk's device; the desk's terminal (its
//! manifest says `held_here`) records a `desk_intake` naming the courier's
//! device and handover event (scanned from the courier's screen: a
//! [`HandoverTicket`]) or, when the ticket cannot be scanned, the parcel's
//! label alone. From the intake the desk runs the normal doorstep steps at
//! its counter (arrival, inspection, the buyer's code) until the holding
//! period ends; then the parcel goes back as a return, "no answer" with the
//! buyer liable (the fees table, [`crate::vocabulary::Outcome::liability`]).
//!
//! The courier's evidence is the desk's signed intake: the server holds his
//! handover as pending until the desk's intake of the same parcel matches it
//! ([`handover_status`]).

use serde::{Deserialize, Serialize};

use crate::vocabulary::{Outcome, Reason};

use super::draft::EventDraft;
use super::parcel::{Parcel, ParcelState};
use super::refusal::Refusal;
use super::violation::RuleViolation;

/// `detail` key of an outcome that ends a desk's hold.
pub const HOLD_DETAIL: &str = "desk_hold";
/// Its value: the holding period ended without the buyer.
pub const HOLD_EXPIRED: &str = "expired";
/// First field of a handover ticket's text.
pub const TICKET_PREFIX: &str = "CTDESK1";

/// A parcel's custody at a stop desk, as the device's log leaves it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskCustody {
    /// The courier's side: handed over to the desk (device time, Unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handed_over_at_ms: Option<i64>,
    /// The desk's side: the intake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<DeskIntake>,
    /// The desk's side: the holding period ended, the parcel goes back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expired: bool,
}

/// The desk's intake of a parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskIntake {
    /// Device time of the intake, Unix ms: the holding period runs from it.
    pub at_ms: i64,
    /// The courier's device, when the ticket was scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub courier_device: Option<String>,
    /// The courier's handover event id, when the ticket was scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover_event: Option<String>,
    /// The courier's handover event hash, when the ticket was scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover_hash: Option<String>,
}

/// What the courier's screen shows as a QR after a handover, for the desk to
/// scan: his device, his handover event and its hash, the parcel's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverTicket {
    /// The courier's device id.
    pub courier_device: String,
    /// The `desk_handover` event id.
    pub handover_event: String,
    /// Its hash.
    pub handover_hash: String,
    /// The parcel's label.
    pub label: String,
}

impl HandoverTicket {
    /// The QR text: `CTDESK1|device|event|hash|label`.
    pub fn encode(&self) -> String {
        [
            TICKET_PREFIX,
            &self.courier_device,
            &self.handover_event,
            &self.handover_hash,
            &self.label,
        ]
        .join("|")
    }

    /// Parses a scanned text; `None` when it is not a handover ticket (a
    /// plain label, then).
    pub fn parse(text: &str) -> Option<HandoverTicket> {
        let mut f = text.trim().split('|');
        if f.next()? != TICKET_PREFIX {
            return None;
        }
        let mut next = || f.next().filter(|s| !s.is_empty()).map(str::to_owned);
        let ticket = HandoverTicket {
            courier_device: next()?,
            handover_event: next()?,
            handover_hash: next()?,
            label: next()?,
        };
        f.next().is_none().then_some(ticket)
    }
}

/// Whether the courier has handed this parcel to its desk.
pub fn handed_over(p: &Parcel) -> bool {
    p.desk
        .as_ref()
        .is_some_and(|d| d.handed_over_at_ms.is_some())
}

/// When the desk's hold of this parcel ends (Unix ms), once taken in.
pub fn holding_until(p: &Parcel) -> Option<i64> {
    let stop = p.spec.desk.as_ref()?;
    let intake = p.desk.as_ref()?.intake.as_ref()?;
    Some(intake.at_ms.saturating_add(stop.holding_ms()))
}

fn label(p: &Parcel) -> String {
    p.spec.label.clone()
}

/// Refuses what no parcel in this state accepts any more.
fn still_open(p: &Parcel) -> Result<(), Refusal> {
    match p.state {
        ParcelState::Delivered => Err(Refusal::AlreadyDelivered),
        ParcelState::Withdrawn => Err(Refusal::Withdrawn),
        ParcelState::ReturnedToDepot => Err(Refusal::ReturnedToDepot),
        ParcelState::Pending | ParcelState::Failed(_) => Ok(()),
    }
}

/// Whether the buyer can be served at the counter for this parcel (the
/// doorstep's "arrival"), time aside: on the courier's terminal a desk
/// parcel is handed over, never delivered at the door; on the desk's it must
/// be taken in first, and not be past its hold.
pub fn counter_open(p: &Parcel) -> Result<(), Refusal> {
    let Some(stop) = &p.spec.desk else {
        return Ok(());
    };
    if !stop.held_here {
        return Err(Refusal::DeskStopParcel { label: label(p) });
    }
    match &p.desk {
        Some(d) if d.expired => Err(Refusal::HoldingOver { label: label(p) }),
        Some(d) if d.intake.is_some() => Ok(()),
        _ => Err(Refusal::NotReceivedAtDesk { label: label(p) }),
    }
}

/// [`counter_open`] at `now_ms` (the event's device time): refused once the
/// holding period is over.
pub fn check_counter(p: &Parcel, now_ms: i64) -> Result<(), Refusal> {
    counter_open(p)?;
    if holding_until(p).is_some_and(|until| now_ms >= until) {
        return Err(Refusal::HoldingOver { label: label(p) });
    }
    Ok(())
}

fn detail<'a>(draft: &'a EventDraft, key: &str) -> Option<&'a String> {
    draft.detail.get(key)
}

fn missing(what: &str) -> RuleViolation {
    RuleViolation::Inconsistent(format!("a desk event needs {what}"))
}

/// The courier's `desk_handover`: the parcel goes to a desk (not this
/// device), is still his (not handed over, delivered, withdrawn or back,
/// loaded when the load check asks), and the event names its label and the
/// manifest's desk.
pub fn check_handover(p: &Parcel, draft: &EventDraft) -> Result<(), RuleViolation> {
    let stop = match &p.spec.desk {
        Some(s) if !s.held_here => s,
        _ => return Err(Refusal::NoDeskStop { label: label(p) }.into()),
    };
    if handed_over(p) {
        return Err(Refusal::HandedToDesk { label: label(p) }.into());
    }
    still_open(p)?;
    if p.spec.must_be_loaded() && !p.loaded {
        return Err(Refusal::NotLoaded { label: label(p) }.into());
    }
    if detail(draft, "label") != Some(&p.spec.label) {
        return Err(missing("detail.label (the parcel's)"));
    }
    if detail(draft, "desk_device") != Some(&stop.device_id) {
        return Err(Refusal::WrongDesk { label: label(p) }.into());
    }
    Ok(())
}

/// The desk's `desk_intake`: the manifest says this device is the parcel's
/// desk, the parcel is not taken in yet nor ended, and the event names its
/// label and either the courier's whole ticket or none of it. Returns the
/// intake the parcel keeps.
pub fn check_intake(
    p: &Parcel,
    draft: &EventDraft,
    at_ms: i64,
) -> Result<DeskIntake, RuleViolation> {
    if !p.spec.desk.as_ref().is_some_and(|s| s.held_here) {
        return Err(Refusal::NotThisDesk { label: label(p) }.into());
    }
    if p.desk.as_ref().is_some_and(|d| d.intake.is_some()) {
        return Err(Refusal::AlreadyAtDesk { label: label(p) }.into());
    }
    still_open(p)?;
    if detail(draft, "label") != Some(&p.spec.label) {
        return Err(missing("detail.label (the parcel's)"));
    }
    let ticket = [
        detail(draft, "courier_device").cloned(),
        detail(draft, "handover_event").cloned(),
        detail(draft, "handover_hash").cloned(),
    ];
    if ticket.iter().any(Option::is_some) && !ticket.iter().all(Option::is_some) {
        return Err(missing(
            "the courier's device, handover event and hash together",
        ));
    }
    let [courier_device, handover_event, handover_hash] = ticket;
    Ok(DeskIntake {
        at_ms,
        courier_device,
        handover_event,
        handover_hash,
    })
}

/// An outcome that ends a desk's hold (`detail.desk_hold = expired`): the
/// desk's parcel, taken in, not handed to the buyer, its holding period over
/// at `now_ms`; "no answer" (the buyer never came, reason `absent`), so the
/// buyer pays the return (the fees table). Returns the parcel's next state.
pub fn check_expiry(
    p: &Parcel,
    outcome: Outcome,
    reason: Option<Reason>,
    now_ms: i64,
) -> Result<ParcelState, RuleViolation> {
    counter_open(p)?;
    still_open(p)?;
    if outcome != Outcome::NoAnswer || reason != Some(Reason::Absent) {
        return Err(RuleViolation::Inconsistent(
            "a desk's hold ends as \"no answer\", reason \"absent\"".into(),
        ));
    }
    match holding_until(p) {
        Some(until) if now_ms >= until => Ok(ParcelState::Failed(Outcome::NoAnswer)),
        _ => Err(Refusal::HoldingRunning { label: label(p) }.into()),
    }
}

/// The desk's parcels whose hold is over at `now_ms` and that have no
/// outcome yet: each goes back as a return.
pub fn holds_over(parcels: &[Parcel], now_ms: i64) -> Vec<&Parcel> {
    parcels
        .iter()
        .filter(|p| {
            counter_open(p).is_ok()
                && still_open(p).is_ok()
                && p.visit.is_none()
                && holding_until(p).is_some_and(|until| now_ms >= until)
        })
        .collect()
}

/// Where the server holds a courier's handover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoverStatus {
    /// The desk's signed intake of the parcel matches it: the courier is
    /// discharged.
    Confirmed,
    /// No intake of the parcel by the desk yet: the courier still answers
    /// for the parcel.
    Pending,
    /// The desk's intake names another handover (another courier, event or
    /// hash): the courier still answers for the parcel (an alert).
    Mismatch,
}

/// The status of the handover (`device`, `event_id`, `hash`) of a parcel
/// given the desk's intake of that parcel, if the server holds one. An
/// intake that scanned the courier's ticket must name exactly this handover;
/// one made from the label alone matches the handover of the same parcel to
/// the same desk.
pub fn handover_status(
    device: &str,
    event_id: &str,
    hash: &str,
    intake: Option<&DeskIntake>,
) -> HandoverStatus {
    let Some(i) = intake else {
        return HandoverStatus::Pending;
    };
    match (&i.courier_device, &i.handover_event, &i.handover_hash) {
        (Some(d), Some(e), Some(h)) if d == device && e == event_id && h == hash => {
            HandoverStatus::Confirmed
        }
        (None, None, None) => HandoverStatus::Confirmed,
        _ => HandoverStatus::Mismatch,
    }
}

/// An intake naming a handover event the server holds (`held`: its device
/// and hash) must name its device and hash too.
pub fn check_intake_names(intake: &DeskIntake, held: Option<(&str, &str)>) -> Result<(), Refusal> {
    match (held, &intake.courier_device, &intake.handover_hash) {
        (Some((d, h)), Some(cd), Some(ch)) if d != cd || h != ch => Err(Refusal::HandoverMismatch),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_round_trips_and_a_label_is_no_ticket() {
        let t = HandoverTicket {
            courier_device: "CT-1".into(),
            handover_event: "e".into(),
            handover_hash: "h".into(),
            label: "DZ1".into(),
        };
        assert_eq!(HandoverTicket::parse(&t.encode()), Some(t));
        assert_eq!(HandoverTicket::parse("DZ00000001"), None);
        assert_eq!(HandoverTicket::parse("CTDESK1|a|b|c"), None);
        assert_eq!(HandoverTicket::parse("CTDESK1|a|b|c|d|e"), None);
    }

    #[test]
    fn a_handover_is_confirmed_only_by_a_matching_intake() {
        let scanned = |d: &str, e: &str, h: &str| DeskIntake {
            at_ms: 0,
            courier_device: Some(d.into()),
            handover_event: Some(e.into()),
            handover_hash: Some(h.into()),
        };
        let typed = DeskIntake {
            at_ms: 0,
            courier_device: None,
            handover_event: None,
            handover_hash: None,
        };
        fn s(i: Option<&DeskIntake>) -> HandoverStatus {
            handover_status("C", "E", "H", i)
        }
        assert_eq!(s(None), HandoverStatus::Pending);
        assert_eq!(s(Some(&scanned("C", "E", "H"))), HandoverStatus::Confirmed);
        assert_eq!(s(Some(&typed)), HandoverStatus::Confirmed);
        assert_eq!(s(Some(&scanned("C", "E", "X"))), HandoverStatus::Mismatch);
        assert_eq!(s(Some(&scanned("X", "E", "H"))), HandoverStatus::Mismatch);
    }
}
