//! The day close: what a `day_closed` event records, what the courier
//! confirms before the supervisor signs it, and the server's check of a
//! recorded close against the events it holds.

use serde::{Deserialize, Serialize};

pub use crate::day_close_record::{DayCloseRecord, DayTotals};
use crate::envelope::{EventBody, SignedEvent};
use crate::vocabulary::EventKind;

use super::refusal::Refusal;

/// The device's day as its log stands: whether a signed close is in force
/// and which labels it listed missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayStatus {
    /// A close is in force: recorded, and neither reopened by the supervisor
    /// nor followed by a new manifest (a new day).
    pub closed: bool,
    /// Labels the last close listed missing, until the supervisor reopens
    /// the day (a new manifest does not clear them).
    pub missing: Vec<String>,
}

impl DayStatus {
    /// The only kinds [`DayStatus::push`] reads: a store may pass just these
    /// (the terminal does at every code entry, so the door does not decode
    /// the whole day's log).
    pub const KINDS_IT_READS: [EventKind; 3] = [
        EventKind::DayClosed,
        EventKind::DayReopened,
        EventKind::ManifestAccepted,
    ];

    /// Folds one more event of the log.
    pub fn push(&mut self, body: &EventBody) {
        match body.kind {
            EventKind::DayClosed => {
                self.closed = true;
                self.missing = body
                    .day
                    .as_ref()
                    .map(|d| d.totals.missing.clone())
                    .unwrap_or_default();
            }
            EventKind::DayReopened => *self = DayStatus::default(),
            EventKind::ManifestAccepted => self.closed = false,
            _ => {}
        }
    }

    /// The status after `events`, in chain order.
    pub fn of<'a>(events: impl IntoIterator<Item = &'a EventBody>) -> DayStatus {
        let mut status = DayStatus::default();
        for b in events {
            status.push(b);
        }
        status
    }
}

/// A plain "delivered" of a parcel the last signed close listed missing is
/// refused until the supervisor reopens the day (a late handover is theirs).
pub fn check_late_delivery(day: &DayStatus, label: &str) -> Result<(), Refusal> {
    if day.missing.iter().any(|l| l == label) {
        return Err(Refusal::DayClosedMissing {
            label: label.to_owned(),
        });
    }
    Ok(())
}

/// One difference between a recorded day close and the events the server holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "difference")]
pub enum DayCloseDifference {
    /// The event carries no day record.
    NoRecord,
    /// The totals differ.
    Totals {
        /// What the device recorded.
        recorded: DayTotals,
        /// What the server computes from the events it holds.
        computed: DayTotals,
    },
    /// The head named is not the event before the close.
    Head,
    /// The courier's confirmation is absent, not earlier in this chain, or
    /// confirms other totals.
    CourierConfirmation,
    /// Missing returns, yet not marked forced.
    MissingNotForced,
    /// Forced without a reason.
    ForcedWithoutReason,
}

/// Checks a `day_closed` event against the totals the server computes from the
/// events it holds before it and the device's earlier events (for the
/// courier's confirmation). An empty answer means they agree.
pub fn check_day_close(
    close: &EventBody,
    computed: &DayTotals,
    earlier: &[SignedEvent],
) -> Vec<DayCloseDifference> {
    let Some(record) = &close.day else {
        return vec![DayCloseDifference::NoRecord];
    };
    let mut out = Vec::new();
    if &record.totals != computed {
        out.push(DayCloseDifference::Totals {
            recorded: record.totals.clone(),
            computed: computed.clone(),
        });
    }
    if record.head_seq + 1 != close.seq || record.head_hash != close.prev_hash {
        out.push(DayCloseDifference::Head);
    }
    let confirmed = earlier.iter().rev().find(|e| {
        e.body.event_id == record.courier_confirmation && e.body.kind == EventKind::CourierConfirmed
    });
    let digest_ok = confirmed.is_some_and(|e| {
        e.body.detail.get("subject").map(String::as_str) == Some("day_close")
            && record
                .totals
                .digest()
                .is_ok_and(|d| e.body.detail.get("digest") == Some(&d))
    });
    if !digest_ok {
        out.push(DayCloseDifference::CourierConfirmation);
    }
    if !record.totals.missing.is_empty() && !record.forced {
        out.push(DayCloseDifference::MissingNotForced);
    }
    if record.forced
        && record
            .force_reason
            .as_deref()
            .is_none_or(|r| r.trim().is_empty())
    {
        out.push(DayCloseDifference::ForcedWithoutReason);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::event_body;

    fn body(seq: u64, kind: EventKind) -> EventBody {
        event_body("D", seq, &format!("h{}", seq - 1), kind, None)
    }

    #[test]
    fn the_status_reads_only_its_kinds() {
        let mut closed = body(3, EventKind::DayClosed);
        closed.day = None;
        let others = [
            EventKind::Arrived,
            EventKind::InspectionOffered,
            EventKind::ContactAttempt,
            EventKind::CodeAttempt,
            EventKind::ItemCollected,
            EventKind::Outcome,
            EventKind::Correction,
            EventKind::ReturnCheckIn,
            EventKind::SupervisorSignedIn,
            EventKind::ItemReceived,
            EventKind::UnexpectedReturn,
            EventKind::ReturnCondition,
            EventKind::CourierConfirmed,
            EventKind::FeeChanged,
        ];
        let mut status = DayStatus::of([&closed]);
        assert!(status.closed);
        for kind in others {
            assert!(!DayStatus::KINDS_IT_READS.contains(&kind));
            let before = status.clone();
            status.push(&body(4, kind));
            assert_eq!(status, before, "{kind:?} changed the day's status");
        }
        // Each kind it reads changes a closed day.
        for kind in DayStatus::KINDS_IT_READS {
            let mut s = DayStatus::of([&closed]);
            s.missing = vec!["L-1".into()];
            let before = s.clone();
            s.push(&body(5, kind));
            assert_ne!(s, before, "{kind:?} is listed but changes nothing");
        }
    }

    fn totals(missing: &[&str]) -> DayTotals {
        DayTotals {
            parcels: 3,
            delivered: 1,
            expected: 2,
            received: 2 - u32::try_from(missing.len()).unwrap_or(0),
            missing: missing.iter().map(|s| s.to_string()).collect(),
            unexpected: Vec::new(),
            fee_changes: 0,
            payers: Default::default(),
        }
    }

    fn day(t: DayTotals, forced: Option<&str>) -> (EventBody, Vec<SignedEvent>) {
        let mut confirm = body(1, EventKind::CourierConfirmed);
        confirm.detail.insert("subject".into(), "day_close".into());
        confirm
            .detail
            .insert("digest".into(), t.digest().expect("digest"));
        let confirm = SignedEvent {
            body: confirm,
            hash: "h1".into(),
            signature: String::new(),
        };
        let mut close = body(2, EventKind::DayClosed);
        close.day = Some(DayCloseRecord {
            totals: t,
            head_seq: 1,
            head_hash: "h1".into(),
            courier_confirmation: "e1".into(),
            forced: forced.is_some(),
            force_reason: forced.map(str::to_owned),
        });
        (close, vec![confirm])
    }

    #[test]
    fn a_close_agreeing_with_the_events_has_no_difference() {
        let (close, earlier) = day(totals(&[]), None);
        assert!(check_day_close(&close, &totals(&[]), &earlier).is_empty());
        let (close, earlier) = day(totals(&["L2"]), Some("left in the van"));
        assert!(check_day_close(&close, &totals(&["L2"]), &earlier).is_empty());
    }

    #[test]
    fn every_difference_is_named() {
        // The device says all came back; the events say L2 is missing.
        let (close, earlier) = day(totals(&[]), None);
        assert_eq!(
            check_day_close(&close, &totals(&["L2"]), &earlier),
            vec![DayCloseDifference::Totals {
                recorded: totals(&[]),
                computed: totals(&["L2"]),
            }]
        );
        let (mut close, earlier) = day(totals(&[]), None);
        if let Some(d) = &mut close.day {
            d.head_hash = "elsewhere".into();
        }
        assert_eq!(
            check_day_close(&close, &totals(&[]), &earlier),
            vec![DayCloseDifference::Head]
        );
        let (close, _) = day(totals(&[]), None);
        assert_eq!(
            check_day_close(&close, &totals(&[]), &[]),
            vec![DayCloseDifference::CourierConfirmation]
        );
        let (close, earlier) = day(totals(&["L2"]), None);
        assert_eq!(
            check_day_close(&close, &totals(&["L2"]), &earlier),
            vec![DayCloseDifference::MissingNotForced]
        );
        let (close, earlier) = day(totals(&["L2"]), Some(" "));
        assert_eq!(
            check_day_close(&close, &totals(&["L2"]), &earlier),
            vec![DayCloseDifference::ForcedWithoutReason]
        );
        let mut bare = body(2, EventKind::DayClosed);
        bare.day = None;
        assert_eq!(
            check_day_close(&bare, &totals(&[]), &[]),
            vec![DayCloseDifference::NoRecord]
        );
    }
}
