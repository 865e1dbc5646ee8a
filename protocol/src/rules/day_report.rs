//! The day report: one row per parcel of a device's day (what happened, who
//! pays its return fees and why, how it came back), with the day's totals and
//! the signed close. The terminal's exports and the server's back-office
//! reports are both this one computation, from the same inputs: the device's
//! verified events in sequence order and the manifests it accepted.
//!
//! The returns, their fees and their intake are the [`DayBook`] the terminal
//! and the server already compute (`rules::returns`), so the report says what
//! the day close recorded. Which day: the session the device closed on that
//! calendar day (its last `day_closed` whose device time falls in the day),
//! else the session still open at the day's end. An event belongs to a day by
//! its device clock (`clock.device_utc_ms`), never by when it was synced.
//!
//! Pure code: no I/O, no clock.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::day_window::DayWindow;
use crate::envelope::SignedEvent;
use crate::manifest::{ManifestBody, ManifestParcel};
use crate::order_parcels::Handover;
use crate::vocabulary::{EventKind, Liability, Outcome, ParcelKind, Reason};

use super::returns::{
    DayBook, ExpectedBecause, Fees, Intake, PayerWhy, ReturnItem, UnexpectedScan, day_parcels,
};

/// Schema tag of day reports.
pub const DAY_REPORT_SCHEMA: &str = "courier.day_report.v1";

/// Where a row stands for the depot at the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// Nothing to bring back (delivered, or a pick-up not collected).
    NotExpected,
    /// Expected back and scanned in.
    Received,
    /// Expected back and not scanned in.
    Missing,
    /// Scanned in though not expected: an alarm.
    Unexpected,
}

/// One parcel, collected item or unexpected label of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    /// The label to scan (the parcel's, the collected item's, or the one scanned).
    pub label: String,
    /// The parcel itself or the item collected from the buyer.
    pub item: ReturnItem,
    /// The server's parcel id; `None` for an unexpected label.
    pub parcel_id: Option<String>,
    /// The merchant's order reference.
    pub order_ref: Option<String>,
    /// Delivery, exchange or pick-up.
    pub kind: Option<ParcelKind>,
    /// Position in the route.
    pub route_order: Option<u32>,
    /// The parcel's outcome after corrections; `None` if never ended.
    pub outcome: Option<Outcome>,
    /// Its reason.
    pub reason: Option<Reason>,
    /// Withdrawn by the server (cancelled before dispatch).
    pub withdrawn: bool,
    /// Code tries recorded on the parcel.
    pub code_tries: u32,
    /// On a parcel row: the item collected on an exchange or a pick-up.
    pub collected_label: Option<String>,
    /// Why it is expected back, when it is.
    pub expected_because: Option<ExpectedBecause>,
    /// Who pays its return fees and why (`payer: none` for a delivery).
    pub return_fees: Option<Fees>,
    /// Where it stands for the depot.
    pub return_status: ReturnStatus,
    /// How it was taken in, when scanned in as expected.
    pub intake: Option<Intake>,
    /// The scan of an unexpected label.
    pub unexpected: Option<UnexpectedScan>,
    /// Last arrival at the address, device clock, Unix ms.
    pub arrived_ms: Option<i64>,
    /// When the current outcome was first recorded, device clock, Unix ms.
    pub outcome_ms: Option<i64>,
    /// SHA-256 of the photos the parcel's events of the day name (absent
    /// when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<String>,
    /// On the row of an order of several parcels delivered: the parcels
    /// handed over and the amount released (a partial delivery names fewer
    /// than the order's; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover: Option<Handover>,
}

/// The day in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportTotals {
    /// Parcels of the day.
    pub parcels: u32,
    /// Handed over against a code.
    pub delivered: u32,
    /// Ended without handover, by outcome (`no_answer`: 3, ...).
    pub failed: BTreeMap<String, u32>,
    /// Expected back because withdrawn before dispatch.
    pub withdrawn: u32,
    /// Expected back because locked without an outcome.
    pub locked: u32,
    /// Expected back because never attempted.
    pub not_attempted: u32,
    /// Expected back at the depot (parcels and collected items).
    pub expected_back: u32,
    /// Expected and scanned in.
    pub returned_in: u32,
    /// Expected and not scanned in.
    pub missing: u32,
    /// Scanned in though not expected.
    pub unexpected: u32,
    /// Fee changes approved (four eyes).
    pub fee_changes: u32,
    /// Photos the day's events name (their hashes are on the rows).
    #[serde(default)]
    pub photos: u32,
}

impl ReportTotals {
    /// Sums two devices' totals (a depot's report).
    pub fn add(&mut self, other: &ReportTotals) {
        self.parcels += other.parcels;
        self.delivered += other.delivered;
        for (k, v) in &other.failed {
            *self.failed.entry(k.clone()).or_default() += v;
        }
        self.withdrawn += other.withdrawn;
        self.locked += other.locked;
        self.not_attempted += other.not_attempted;
        self.expected_back += other.expected_back;
        self.returned_in += other.returned_in;
        self.missing += other.missing;
        self.unexpected += other.unexpected;
        self.fee_changes += other.fee_changes;
        self.photos += other.photos;
    }
}

/// A point in the device's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainPoint {
    /// Sequence number.
    pub seq: u64,
    /// The envelope's hash.
    pub hash: String,
}

/// The signed close of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayClose {
    /// The `day_closed` event.
    pub event_id: String,
    /// Its sequence number.
    pub seq: u64,
    /// Its hash: what the day sheet's QR code carries.
    pub hash: String,
    /// When, device clock, Unix ms.
    pub at_ms: i64,
    /// The supervisor who closed it.
    pub supervisor_id: Option<String>,
    /// Closed with returns missing (a signed discrepancy).
    pub forced: bool,
    /// The supervisor's reason for forcing.
    pub reason: Option<String>,
    /// Whether the totals the close records are those of this log.
    pub matches_log: bool,
}

/// One device's day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayReport {
    /// Always [`DAY_REPORT_SCHEMA`].
    pub schema: String,
    /// The device.
    pub device_id: String,
    /// The depot of the manifest in force.
    pub depot: Option<String>,
    /// The day covered.
    pub day: DayWindow,
    /// Version of the manifest in force at the end of the day.
    pub manifest_version: Option<u64>,
    /// The courier's name, when given at export (the log does not hold it).
    pub courier: Option<String>,
    /// The supervisor's name: who closed the day (or last signed in), as the manifest names them.
    pub supervisor: Option<String>,
    /// The day's session starts after this event (the previous close; 0: none).
    pub since_seq: u64,
    /// Parcels in route order (each followed by its collected item), then unexpected labels.
    pub rows: Vec<DayRow>,
    /// The totals of `rows`.
    pub totals: ReportTotals,
    /// The last event covered.
    pub head: Option<ChainPoint>,
    /// The day's close, when recorded.
    pub day_closed: Option<DayClose>,
}

/// Schema tag of a back-office answer holding several devices' day reports.
pub const DAY_REPORTS_SCHEMA: &str = "courier.day_reports.v1";

/// Several devices' day reports (a depot's day, or one device's), with their
/// summed totals: what the escrow server gives the back office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayReports {
    /// Always [`DAY_REPORTS_SCHEMA`].
    pub schema: String,
    /// The day.
    pub day: DayWindow,
    /// The depot asked for, if any.
    pub depot: Option<String>,
    /// The device asked for, if any.
    pub device_id: Option<String>,
    /// One report per device, by device id.
    pub reports: Vec<DayReport>,
    /// The sum of the reports' totals.
    pub totals: ReportTotals,
}

impl DayReports {
    /// Gathers reports; with a depot, keeps those whose manifest in force is the depot's.
    pub fn gather(
        day: &DayWindow,
        depot: Option<&str>,
        device_id: Option<&str>,
        reports: impl IntoIterator<Item = DayReport>,
    ) -> DayReports {
        let mut kept: Vec<DayReport> = reports
            .into_iter()
            .filter(|r| depot.is_none_or(|d| r.depot.as_deref() == Some(d)))
            .collect();
        kept.sort_by(|a, b| a.device_id.cmp(&b.device_id));
        let mut totals = ReportTotals::default();
        for r in &kept {
            totals.add(&r.totals);
        }
        DayReports {
            schema: DAY_REPORTS_SCHEMA.to_owned(),
            day: day.clone(),
            depot: depot.map(str::to_owned),
            device_id: device_id.map(str::to_owned),
            reports: kept,
            totals,
        }
    }
}

/// What a day report is computed from.
#[derive(Debug, Clone, Copy)]
pub struct DayInput<'a> {
    /// The device.
    pub device_id: &'a str,
    /// The day.
    pub day: &'a DayWindow,
    /// The manifests the holder has for this device, any order (only the
    /// versions a `manifest_accepted` event names are used).
    pub manifests: &'a [ManifestBody],
    /// The device's verified events, in sequence order.
    pub events: &'a [SignedEvent],
}

/// What the session's events say of one parcel beyond its return.
#[derive(Debug, Default, Clone)]
struct Track {
    outcome: Option<Outcome>,
    reason: Option<Reason>,
    outcome_ms: Option<i64>,
    arrived_ms: Option<i64>,
    tries: u32,
    collected: Option<String>,
    handover: Option<Handover>,
}

/// Computes the day report.
pub fn day_report(input: DayInput<'_>) -> DayReport {
    let day = input.day;
    let all = input.events;
    // The session: up to the last close of the day (that close included), or
    // up to the day's end.
    let close_ix = all.iter().rposition(|e| {
        e.body.kind == EventKind::DayClosed && day.contains(e.body.clock.device_utc_ms)
    });
    let end = close_ix.map_or_else(
        || {
            all.iter()
                .position(|e| e.body.clock.device_utc_ms >= day.end_ms())
                .unwrap_or(all.len())
        },
        |i| i + 1,
    );
    let covered = &all[..end];
    let before_close = &all[..close_ix.unwrap_or(end)];

    let by_version: HashMap<u64, &ManifestBody> =
        input.manifests.iter().map(|m| (m.version, m)).collect();
    let mut accepted: Vec<&ManifestBody> = covered
        .iter()
        .filter(|e| e.body.kind == EventKind::ManifestAccepted)
        .filter_map(|e| {
            e.body
                .manifest_version
                .and_then(|v| by_version.get(&v).copied())
        })
        .collect();
    accepted.sort_by_key(|m| m.version);
    let in_force = accepted.last().copied();
    let parcels = day_parcels(accepted.iter().map(|m| m.parcels.as_slice()));
    let book = DayBook::from_log(&parcels, before_close);

    let mut tracks: HashMap<&str, Track> = HashMap::new();
    let mut signed_in: Option<&str> = None;
    for e in covered {
        let b = &e.body;
        if b.seq <= book.since_seq {
            continue;
        }
        if b.kind == EventKind::SupervisorSignedIn {
            signed_in = b.supervisor.as_ref().map(|s| s.supervisor_id.as_str());
        }
        let Some(pid) = b.parcel_id.as_deref() else {
            continue;
        };
        let tr = tracks.entry(pid).or_default();
        if let Some(v) = &b.verification {
            tr.tries = tr.tries.max(v.attempt);
        }
        let t = b.clock.device_utc_ms;
        match b.kind {
            EventKind::Arrived => tr.arrived_ms = Some(t),
            EventKind::Outcome | EventKind::Correction => {
                if let Some(o) = b.outcome {
                    tr.outcome = Some(o);
                    tr.reason = b.reason;
                    if b.kind == EventKind::Outcome {
                        tr.outcome_ms = Some(t);
                        tr.handover.clone_from(&b.handover);
                    }
                }
            }
            EventKind::ItemCollected => {
                tr.collected = b.detail.get("collected_label").cloned();
            }
            _ => {}
        }
    }

    let settled_before = |label: &str| {
        book.delivered_before.iter().any(|l| l == label)
            || book.received_before.iter().any(|l| l == label)
    };
    let mut ordered: Vec<&ManifestParcel> = parcels.iter().collect();
    ordered.sort_by(|a, b| (a.route_order, &a.label).cmp(&(b.route_order, &b.label)));
    let empty = Track::default();
    let mut rows = Vec::new();
    for p in ordered {
        let tr = tracks.get(p.parcel_id.as_str()).unwrap_or(&empty);
        let line = |item: ReturnItem| {
            book.lines
                .iter()
                .find(|l| l.parcel_id == p.parcel_id && l.item == item)
        };
        let delivered = p
            .order_labels()
            .into_iter()
            .any(|label| book.delivered.iter().any(|l| l == label));
        let parcel_line = line(ReturnItem::Parcel);
        if parcel_line.is_some() || delivered || !settled_before(&p.label) {
            let fees = match parcel_line {
                Some(l) => Some(l.fees.clone()),
                None if delivered => Some(Fees {
                    payer: Liability::None,
                    why: PayerWhy::Outcome {
                        outcome: Outcome::Delivered,
                        reason: None,
                    },
                }),
                None => None,
            };
            rows.push(DayRow {
                label: p.label.clone(),
                item: ReturnItem::Parcel,
                parcel_id: Some(p.parcel_id.clone()),
                order_ref: Some(p.order_ref.clone()),
                kind: Some(p.kind),
                route_order: Some(p.route_order),
                outcome: tr.outcome,
                reason: tr.reason,
                withdrawn: p.withdrawn,
                code_tries: tr.tries,
                collected_label: tr.collected.clone(),
                expected_because: parcel_line.map(|l| l.because),
                return_fees: fees,
                return_status: status(parcel_line.map(|l| l.received.is_some())),
                intake: parcel_line.and_then(|l| l.received.clone()),
                unexpected: None,
                arrived_ms: tr.arrived_ms,
                outcome_ms: tr.outcome_ms,
                photos: covered
                    .iter()
                    .filter(|e| e.body.parcel_id.as_deref() == Some(p.parcel_id.as_str()))
                    .flat_map(|e| e.body.photos.iter().map(|ph| ph.sha256.clone()))
                    .collect(),
                handover: tr.handover.clone().filter(|_| delivered),
            });
        }
        // The parcels of an order of several parcels that come back: refused
        // at the door of a delivered order, or with the order that failed.
        for l in book
            .lines
            .iter()
            .filter(|l| l.parcel_id == p.parcel_id && l.item == ReturnItem::OrderParcel)
        {
            let (outcome, reason) = match &l.fees.why {
                PayerWhy::Outcome { outcome, reason } => (Some(*outcome), *reason),
                _ => (tr.outcome, tr.reason),
            };
            rows.push(DayRow {
                label: l.label.clone(),
                item: ReturnItem::OrderParcel,
                parcel_id: Some(p.parcel_id.clone()),
                order_ref: Some(p.order_ref.clone()),
                kind: Some(p.kind),
                route_order: Some(p.route_order),
                outcome,
                reason,
                withdrawn: p.withdrawn,
                code_tries: tr.tries,
                collected_label: None,
                expected_because: Some(l.because),
                return_fees: Some(l.fees.clone()),
                return_status: status(Some(l.received.is_some())),
                intake: l.received.clone(),
                unexpected: None,
                arrived_ms: None,
                outcome_ms: None,
                photos: Vec::new(),
                handover: None,
            });
        }
        if let Some(l) = line(ReturnItem::CollectedItem) {
            rows.push(DayRow {
                label: l.label.clone(),
                item: ReturnItem::CollectedItem,
                parcel_id: Some(p.parcel_id.clone()),
                order_ref: Some(p.order_ref.clone()),
                kind: Some(p.kind),
                route_order: Some(p.route_order),
                outcome: tr.outcome,
                reason: tr.reason,
                withdrawn: p.withdrawn,
                code_tries: tr.tries,
                collected_label: None,
                expected_because: Some(l.because),
                return_fees: Some(l.fees.clone()),
                return_status: status(Some(l.received.is_some())),
                intake: l.received.clone(),
                unexpected: None,
                arrived_ms: None,
                outcome_ms: None,
                photos: Vec::new(),
                handover: None,
            });
        }
    }
    for u in &book.unexpected {
        rows.push(DayRow {
            label: u.label.clone(),
            item: ReturnItem::Parcel,
            parcel_id: None,
            order_ref: None,
            kind: None,
            route_order: None,
            outcome: None,
            reason: None,
            withdrawn: false,
            code_tries: 0,
            collected_label: None,
            expected_because: None,
            return_fees: None,
            return_status: ReturnStatus::Unexpected,
            intake: None,
            unexpected: Some(u.clone()),
            arrived_ms: None,
            outcome_ms: None,
            photos: Vec::new(),
            handover: None,
        });
    }

    let mut totals = totals(&rows);
    totals.fee_changes = book.fee_changes;
    let day_closed = close_ix.map(|i| {
        let e = &all[i];
        let record = e.body.day.as_ref();
        DayClose {
            event_id: e.body.event_id.clone(),
            seq: e.body.seq,
            hash: e.hash.clone(),
            at_ms: e.body.clock.device_utc_ms,
            supervisor_id: e.body.supervisor.as_ref().map(|s| s.supervisor_id.clone()),
            forced: record.is_some_and(|r| r.forced),
            reason: record.and_then(|r| r.force_reason.clone()),
            matches_log: record.is_some_and(|r| r.totals == book.totals()),
        }
    });
    let supervisor_id = day_closed
        .as_ref()
        .and_then(|c| c.supervisor_id.as_deref())
        .or(signed_in);
    let supervisor = supervisor_id.and_then(|id| {
        accepted
            .iter()
            .rev()
            .flat_map(|m| &m.supervisors)
            .find(|s| s.supervisor_id == id)
            .map(|s| s.name.clone())
    });
    DayReport {
        schema: DAY_REPORT_SCHEMA.to_owned(),
        device_id: input.device_id.to_owned(),
        depot: in_force.map(|m| m.depot.clone()),
        day: day.clone(),
        manifest_version: in_force.map(|m| m.version),
        courier: None,
        supervisor,
        since_seq: book.since_seq,
        rows,
        totals,
        head: covered
            .iter()
            .rev()
            .find(|e| e.body.seq > book.since_seq)
            .map(|e| ChainPoint {
                seq: e.body.seq,
                hash: e.hash.clone(),
            }),
        day_closed,
    }
}

fn status(received: Option<bool>) -> ReturnStatus {
    match received {
        Some(true) => ReturnStatus::Received,
        Some(false) => ReturnStatus::Missing,
        None => ReturnStatus::NotExpected,
    }
}

fn totals(rows: &[DayRow]) -> ReportTotals {
    let mut t = ReportTotals::default();
    for r in rows {
        t.photos += u32::try_from(r.photos.len()).unwrap_or(u32::MAX);
        if r.item == ReturnItem::Parcel && r.parcel_id.is_some() {
            t.parcels += 1;
            match r.outcome {
                Some(Outcome::Delivered) => t.delivered += 1,
                Some(o) => *t.failed.entry(o.as_str().to_owned()).or_default() += 1,
                None => {}
            }
            match r.expected_because {
                Some(ExpectedBecause::Withdrawn) => t.withdrawn += 1,
                Some(ExpectedBecause::Locked) => t.locked += 1,
                Some(ExpectedBecause::NotAttempted) => t.not_attempted += 1,
                _ => {}
            }
        }
        match r.return_status {
            ReturnStatus::NotExpected => {}
            ReturnStatus::Received => {
                t.expected_back += 1;
                t.returned_in += 1;
            }
            ReturnStatus::Missing => {
                t.expected_back += 1;
                t.missing += 1;
            }
            ReturnStatus::Unexpected => t.unexpected += 1,
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::EventBody;
    use crate::fixtures::{event_body, manifest_body, unsigned_event};
    use crate::rules::day_close::{DayCloseRecord, DayTotals};
    use crate::rules::parcel::tests::spec;
    use crate::vocabulary::Condition;

    /// A device log: each event gets the next seq and a fake hash (the
    /// report trusts its caller to have verified the chain).
    struct Log {
        events: Vec<SignedEvent>,
    }

    impl Log {
        fn new() -> Self {
            Log { events: Vec::new() }
        }

        fn push(&mut self, kind: EventKind, parcel: Option<&str>, t: i64) -> &mut EventBody {
            let seq = self.events.len() as u64 + 1;
            let mut body = event_body("CT-1", seq, "", kind, parcel);
            body.clock.device_utc_ms = t;
            body.manifest_version = None;
            self.events.push(unsigned_event(body));
            &mut self.events.last_mut().expect("pushed").body
        }

        fn manifest(&mut self, version: u64, t: i64) {
            self.push(EventKind::ManifestAccepted, None, t)
                .manifest_version = Some(version);
        }

        fn outcome(&mut self, p: &str, o: Outcome, r: Option<Reason>, t: i64) {
            let b = self.push(EventKind::Outcome, Some(p), t);
            b.outcome = Some(o);
            b.reason = r;
            b.liability = Some(o.liability());
        }

        fn detail(&mut self, kind: EventKind, p: Option<&str>, t: i64, detail: &[(&str, &str)]) {
            let b = self.push(kind, p, t);
            for (k, v) in detail {
                b.detail.insert((*k).into(), (*v).into());
            }
        }
    }

    fn parcel(id: &str, route: u32, kind: ParcelKind) -> ManifestParcel {
        let mut s = spec(5);
        s.parcel_id = id.into();
        s.label = format!("LBL-{id}");
        s.order_ref = format!("CMD-{id}");
        s.route_order = route;
        s.kind = kind;
        s
    }

    fn manifest(version: u64, parcels: Vec<ManifestParcel>) -> ManifestBody {
        ManifestBody {
            expires_at_ms: 1,
            parcels,
            ..manifest_body("CT-1", version, "Alger Centre")
        }
    }

    fn day() -> DayWindow {
        DayWindow::parse("2026-11-25", "+01:00").expect("day")
    }

    fn report(manifests: &[ManifestBody], log: &Log) -> DayReport {
        day_report(DayInput {
            device_id: "CT-1",
            day: &day(),
            manifests,
            events: &log.events,
        })
    }

    fn by_label<'r>(r: &'r DayReport, label: &str) -> &'r DayRow {
        r.rows
            .iter()
            .find(|x| x.label == label)
            .unwrap_or_else(|| panic!("no row {label}"))
    }

    fn labels(r: &DayReport) -> Vec<&str> {
        r.rows.iter().map(|x| x.label.as_str()).collect()
    }

    #[test]
    fn a_full_day_gives_one_row_per_parcel_and_item_with_fees_intake_times_and_totals() {
        let t0 = day().start_ms() + 8 * 3_600_000;
        let v1: Vec<ManifestParcel> = vec![
            parcel("A", 1, ParcelKind::Delivery),
            parcel("B", 2, ParcelKind::Delivery),
            parcel("C", 3, ParcelKind::Delivery),
            parcel("D", 4, ParcelKind::Exchange),
            parcel("E", 5, ParcelKind::Delivery),
            parcel("W", 6, ParcelKind::Delivery),
        ];
        let mut v2 = v1.clone();
        v2[5].withdrawn = true;
        let manifests = [manifest(1, v1), manifest(2, v2)];
        let mut log = Log::new();
        log.manifest(1, t0);
        log.push(EventKind::Arrived, Some("A"), t0 + 1000);
        log.outcome("A", Outcome::Delivered, None, t0 + 2000);
        log.push(EventKind::Arrived, Some("B"), t0 + 3000);
        log.outcome(
            "B",
            Outcome::RefusedAfterInspection,
            Some(Reason::Damaged),
            t0 + 4000,
        );
        log.outcome("C", Outcome::NoAnswer, Some(Reason::Absent), t0 + 5000);
        {
            let b = log.push(EventKind::Correction, Some("C"), t0 + 6000);
            b.outcome = Some(Outcome::BuyerCancelled);
            b.reason = Some(Reason::ChangedMind);
            b.liability = Some(Liability::Buyer);
            b.corrects = Some("e6".into());
            b.detail.insert("note".into(), "a appelé, annule".into());
        }
        log.detail(
            EventKind::ItemCollected,
            Some("D"),
            t0 + 7000,
            &[("collected_label", "OLD-D")],
        );
        log.outcome("D", Outcome::Delivered, None, t0 + 8000);
        log.manifest(2, t0 + 9000);
        // At the depot: B damaged, D's collected item, a stranger, and C's
        // fees moved to the seller with four eyes.
        log.detail(
            EventKind::ReturnCheckIn,
            Some("B"),
            t0 + 10_000,
            &[("condition", "damaged"), ("condition_note", "coin écrasé")],
        );
        log.detail(
            EventKind::ItemReceived,
            Some("D"),
            t0 + 11_000,
            &[("label", "OLD-D"), ("condition", "intact")],
        );
        log.detail(
            EventKind::UnexpectedReturn,
            None,
            t0 + 12_000,
            &[("label", "STRANGER-9"), ("why", "not_in_manifest")],
        );
        {
            let b = log.push(EventKind::FeeChanged, Some("C"), t0 + 12_500);
            b.liability = Some(Liability::Seller);
            b.corrects = Some("e6".into());
            b.detail.insert("note".into(), "photo du vendeur".into());
            b.detail.insert("previous_payer".into(), "buyer".into());
        }
        let before_close = log.events.len();
        let parcels = day_parcels(manifests.iter().map(|m| m.parcels.as_slice()));
        let book_totals = DayBook::from_log(&parcels, &log.events).totals();
        log.push(EventKind::DayClosed, None, t0 + 13_000).day = Some(DayCloseRecord {
            totals: book_totals.clone(),
            head_seq: before_close as u64,
            head_hash: format!("h{before_close}"),
            courier_confirmation: "e0".into(),
            forced: true,
            force_reason: Some("E resté dans la camionnette".into()),
        });

        let r = report(&manifests, &log);
        assert_eq!(
            labels(&r),
            [
                "LBL-A",
                "LBL-B",
                "LBL-C",
                "LBL-D",
                "OLD-D",
                "LBL-E",
                "LBL-W",
                "STRANGER-9"
            ]
        );
        assert_eq!(r.depot.as_deref(), Some("Alger Centre"));
        assert_eq!(r.manifest_version, Some(2));

        let a = by_label(&r, "LBL-A");
        assert_eq!(a.return_status, ReturnStatus::NotExpected);
        assert_eq!(
            a.return_fees.as_ref().map(|f| f.payer),
            Some(Liability::None)
        );
        assert_eq!(
            (a.arrived_ms, a.outcome_ms),
            (Some(t0 + 1000), Some(t0 + 2000))
        );

        let b = by_label(&r, "LBL-B");
        assert_eq!(b.reason, Some(Reason::Damaged));
        assert_eq!(
            b.return_fees.as_ref().map(|f| f.payer),
            Some(Liability::Seller)
        );
        assert_eq!(b.return_status, ReturnStatus::Received);
        let intake = b.intake.as_ref().expect("intake");
        assert_eq!(intake.condition, Condition::Damaged);
        assert_eq!(intake.condition_note.as_deref(), Some("coin écrasé"));
        assert_eq!(intake.at_ms, t0 + 10_000);

        let c = by_label(&r, "LBL-C");
        assert_eq!(
            c.outcome,
            Some(Outcome::BuyerCancelled),
            "after the correction"
        );
        assert_eq!(c.outcome_ms, Some(t0 + 5000), "the outcome's time stays");
        let fees = c.return_fees.as_ref().expect("fees");
        assert_eq!(fees.payer, Liability::Seller);
        assert!(
            matches!(&fees.why, PayerWhy::Changed { note, previous: Liability::Buyer, .. } if note == "photo du vendeur")
        );
        assert_eq!(c.return_status, ReturnStatus::Missing);

        let d = by_label(&r, "LBL-D");
        assert_eq!(d.collected_label.as_deref(), Some("OLD-D"));
        assert_eq!(d.return_status, ReturnStatus::NotExpected);
        let old = by_label(&r, "OLD-D");
        assert_eq!(old.item, ReturnItem::CollectedItem);
        assert_eq!(old.return_status, ReturnStatus::Received);

        let e = by_label(&r, "LBL-E");
        assert_eq!(e.expected_because, Some(ExpectedBecause::NotAttempted));
        assert_eq!(
            e.return_fees.as_ref().map(|f| f.payer),
            Some(Liability::Carrier)
        );
        let w = by_label(&r, "LBL-W");
        assert!(w.withdrawn);
        assert_eq!(
            w.return_fees.as_ref().map(|f| f.payer),
            Some(Liability::PerPolicy)
        );
        let s = by_label(&r, "STRANGER-9");
        assert_eq!(s.return_status, ReturnStatus::Unexpected);
        assert_eq!(s.unexpected.as_ref().map(|u| u.at_ms), Some(t0 + 12_000));

        assert_eq!(
            r.totals,
            ReportTotals {
                parcels: 6,
                delivered: 2,
                failed: BTreeMap::from([
                    ("buyer_cancelled".into(), 1),
                    ("refused_after_inspection".into(), 1)
                ]),
                withdrawn: 1,
                locked: 0,
                not_attempted: 1,
                expected_back: 5,
                returned_in: 2,
                missing: 3,
                unexpected: 1,
                fee_changes: 1,
                photos: 0,
            }
        );
        // The report's numbers are the day close's.
        assert_eq!(
            (
                book_totals.expected,
                book_totals.received,
                book_totals.missing.len()
            ),
            (5, 2, 3)
        );
        let close = r.day_closed.as_ref().expect("closed");
        assert_eq!(
            (close.seq, close.hash.as_str(), close.forced),
            (15, "h15", true)
        );
        assert_eq!(close.reason.as_deref(), Some("E resté dans la camionnette"));
        assert!(close.matches_log);
        assert_eq!(
            r.head,
            Some(ChainPoint {
                seq: 15,
                hash: "h15".into()
            })
        );

        // A close whose totals are not the log's says so.
        log.events[before_close]
            .body
            .day
            .as_mut()
            .expect("day")
            .totals = DayTotals::default();
        assert!(
            !report(&manifests, &log)
                .day_closed
                .expect("closed")
                .matches_log
        );
    }

    #[test]
    fn a_day_is_the_session_closed_that_day_and_settled_parcels_stay_in_their_day() {
        let start = day().start_ms();
        let mut d = parcel("D", 4, ParcelKind::Pickup);
        d.label = "LBL-D".into();
        let manifests = [manifest(
            1,
            vec![
                parcel("A", 1, ParcelKind::Delivery),
                parcel("B", 2, ParcelKind::Delivery),
                parcel("C", 3, ParcelKind::Delivery),
                d,
            ],
        )];
        let mut log = Log::new();
        log.manifest(1, start - 20_000);
        // The day before, closed: A delivered, B back in, C failed and
        // still out, D picked up (its item still out).
        log.outcome("A", Outcome::Delivered, None, start - 10_000);
        log.outcome("B", Outcome::NoAnswer, Some(Reason::Absent), start - 9_000);
        log.detail(EventKind::ReturnCheckIn, Some("B"), start - 8_000, &[]);
        log.outcome("C", Outcome::NoAnswer, Some(Reason::Absent), start - 7_000);
        log.detail(
            EventKind::ItemCollected,
            Some("D"),
            start - 6_500,
            &[("collected_label", "RT-D")],
        );
        log.outcome("D", Outcome::Delivered, None, start - 6_000);
        log.push(EventKind::DayClosed, None, start - 5_000);
        // Nothing today but an event after the day, which is not covered.
        log.detail(EventKind::ReturnCheckIn, Some("C"), day().end_ms(), &[]);

        let r = report(&manifests, &log);
        assert_eq!(
            labels(&r),
            ["LBL-C", "RT-D"],
            "A and B were settled the day before"
        );
        assert_eq!(by_label(&r, "LBL-C").return_status, ReturnStatus::Missing);
        assert_eq!(by_label(&r, "RT-D").return_status, ReturnStatus::Missing);
        assert_eq!(r.since_seq, 8);
        assert_eq!(r.head, None, "no event in today's session");
        assert!(r.day_closed.is_none());
    }

    #[test]
    fn a_delivered_parcel_scanned_in_is_an_alarm_not_a_return() {
        let t0 = day().start_ms() + 1000;
        let manifests = [manifest(1, vec![parcel("A", 1, ParcelKind::Delivery)])];
        let mut log = Log::new();
        log.manifest(1, t0);
        log.outcome("A", Outcome::Delivered, None, t0 + 1);
        log.detail(
            EventKind::UnexpectedReturn,
            Some("A"),
            t0 + 2,
            &[("label", "LBL-A"), ("why", "was_delivered")],
        );
        let r = report(&manifests, &log);
        assert_eq!(labels(&r), ["LBL-A", "LBL-A"]);
        assert_eq!(r.rows[0].return_status, ReturnStatus::NotExpected);
        assert_eq!(r.rows[1].return_status, ReturnStatus::Unexpected);
        assert_eq!((r.totals.unexpected, r.totals.missing), (1, 0));
    }

    #[test]
    fn a_depot_gathers_its_devices_reports_and_sums_their_totals() {
        let t0 = day().start_ms() + 1000;
        let mut log = Log::new();
        log.manifest(1, t0);
        log.outcome("A", Outcome::NoAnswer, Some(Reason::Absent), t0 + 1);
        let mut other = manifest(1, vec![parcel("A", 1, ParcelKind::Delivery)]);
        other.depot = "Oran".into();
        let here = report(
            &[manifest(1, vec![parcel("A", 1, ParcelKind::Delivery)])],
            &log,
        );
        let mut second = here.clone();
        second.device_id = "CT-0".into();
        let elsewhere = report(&[other], &log);
        let all = DayReports::gather(
            &day(),
            Some("Alger Centre"),
            None,
            [here.clone(), elsewhere, second],
        );
        let devices: Vec<&str> = all.reports.iter().map(|r| r.device_id.as_str()).collect();
        assert_eq!(
            devices,
            ["CT-0", "CT-1"],
            "by device id, the other depot left out"
        );
        assert_eq!(all.totals.parcels, 2);
        assert_eq!(all.totals.failed.get("no_answer"), Some(&2));
        assert_eq!(all.totals.missing, 2 * here.totals.missing);
    }

    #[test]
    fn the_same_inputs_give_the_same_report_whoever_computes_it() {
        let t0 = day().start_ms() + 1000;
        let m = [manifest(
            1,
            vec![
                parcel("B", 2, ParcelKind::Delivery),
                parcel("A", 1, ParcelKind::Delivery),
            ],
        )];
        let mut log = Log::new();
        log.manifest(1, t0);
        log.outcome("B", Outcome::CarrierProblem, Some(Reason::Vehicle), t0 + 1);
        let one = report(&m, &log);
        let mut reversed: Vec<ManifestBody> = m.to_vec();
        reversed.reverse();
        assert_eq!(one, report(&reversed, &log));
        assert_eq!(one.rows[0].label, "LBL-A", "route order");
        let canonical = crate::canonical::to_canonical_bytes(&one).expect("canonical");
        assert_eq!(
            crate::canonical::to_canonical_bytes(&report(&m, &log)).expect("canonical"),
            canonical
        );
    }
}
