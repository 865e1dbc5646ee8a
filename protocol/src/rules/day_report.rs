//! The day report: one row per parcel of a device's day (what happened, who
//! pays its return fees and why, how it came back), with the day's totals and
//! the signed close. The terminal's exports and the server's back-office
//! reports are both this one computation, from the same inputs: the device's
//! verified events in sequence order and the manifests it accepted.
//!
//! Which parcels belong to the day: those of the manifest in force at the end
//! of the day (the last `manifest_accepted` before it) that were not already
//! settled (delivered, or back at the depot) before the day began, plus every
//! parcel an event of the day names, plus every label scanned in at the depot
//! that no manifest lists (unexpected). An event belongs to the day by its
//! device clock (`clock.device_utc_ms`), never by when it was synced.
//!
//! Pure code: no I/O, no clock.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::day_window::DayWindow;
use crate::envelope::SignedEvent;
use crate::manifest::{ManifestBody, ManifestParcel};
use crate::vocabulary::{EventKind, Liability, Outcome, ParcelKind, Reason};

/// Schema tag of day reports.
pub const DAY_REPORT_SCHEMA: &str = "courier.day_report.v1";

/// Where a parcel stands for the depot at the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// Handed over and nothing to bring back.
    NotExpected,
    /// Expected back and scanned in at the depot.
    Received,
    /// Expected back and not scanned in.
    Missing,
    /// Scanned in though not expected: not in the manifest, or delivered (an alarm).
    Unexpected,
}

/// Where the return-fee liability of a row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeBasis {
    /// The table of the recorded outcome (design brief, section 2).
    Outcome,
    /// A correction of that outcome (a new event with a reason and a note).
    Correction,
    /// A fee change approved by the courier and the supervisor (four eyes).
    FeeChange,
}

/// Who pays a row's return fees, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnFees {
    /// Who pays.
    pub payer: Liability,
    /// What decided it.
    pub basis: FeeBasis,
    /// The event that decided it.
    pub event_id: String,
    /// The note given with a correction or a fee change.
    pub note: Option<String>,
}

/// How a returned parcel was found at intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    /// When it was scanned in, device clock, Unix milliseconds.
    pub at_ms: i64,
    /// `intact`, `damaged` or `opened`, when the scan-in recorded it.
    pub condition: Option<String>,
    /// Why (what the supervisor wrote), when given.
    pub note: Option<String>,
    /// The check-in event.
    pub event_id: String,
}

/// One parcel (or one unexpected label) of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRow {
    /// The label scanned (the parcel's, or an unexpected one).
    pub label: String,
    /// The server's parcel id; `None` for a label no manifest lists.
    pub parcel_id: Option<String>,
    /// The merchant's order reference.
    pub order_ref: Option<String>,
    /// Delivery, exchange or pick-up.
    pub kind: Option<ParcelKind>,
    /// Position in the route.
    pub route_order: Option<u32>,
    /// The outcome after corrections; `None` if never ended.
    pub outcome: Option<Outcome>,
    /// Its reason.
    pub reason: Option<Reason>,
    /// Withdrawn by the server (cancelled before dispatch).
    pub withdrawn: bool,
    /// Code tries recorded on the parcel.
    pub code_tries: u32,
    /// The item collected on an exchange or a pick-up.
    pub collected_label: Option<String>,
    /// Who pays the return fees and why; `None` before any outcome.
    pub return_fees: Option<ReturnFees>,
    /// Where it stands for the depot.
    pub return_status: ReturnStatus,
    /// Condition and time at intake, when scanned in.
    pub intake: Option<Intake>,
    /// Last arrival at the address in the day, device clock, Unix ms.
    pub arrived_ms: Option<i64>,
    /// When the current outcome was recorded, device clock, Unix ms.
    pub outcome_ms: Option<i64>,
}

/// The day in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayTotals {
    /// Parcels of the day (unexpected labels not counted).
    pub parcels: u32,
    /// Handed over against a code.
    pub delivered: u32,
    /// Ended without handover, by outcome (`no_answer`: 3, ...).
    pub failed: BTreeMap<String, u32>,
    /// Withdrawn before any outcome.
    pub withdrawn: u32,
    /// Never ended (not withdrawn).
    pub not_attempted: u32,
    /// Expected back at the depot (parcels and collected items).
    pub expected_back: u32,
    /// Scanned in.
    pub returned_in: u32,
    /// Expected and not scanned in.
    pub missing: u32,
    /// Scanned in though not expected.
    pub unexpected: u32,
}

impl DayTotals {
    /// Sums two devices' totals (a depot's report).
    pub fn add(&mut self, other: &DayTotals) {
        self.parcels += other.parcels;
        self.delivered += other.delivered;
        for (k, v) in &other.failed {
            *self.failed.entry(k.clone()).or_default() += v;
        }
        self.withdrawn += other.withdrawn;
        self.not_attempted += other.not_attempted;
        self.expected_back += other.expected_back;
        self.returned_in += other.returned_in;
        self.missing += other.missing;
        self.unexpected += other.unexpected;
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
    /// Closed with parcels unaccounted for (forced, with a reason).
    pub forced: bool,
    /// The reason given when forced.
    pub reason: Option<String>,
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
    /// The courier's name, when the log or the exporter gives it.
    pub courier: Option<String>,
    /// The supervisor's name, when the log or the exporter gives it.
    pub supervisor: Option<String>,
    /// Parcels in route order, then unexpected labels.
    pub rows: Vec<DayRow>,
    /// The totals of `rows`.
    pub totals: DayTotals,
    /// The last event of the day (nothing later is covered).
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
    pub totals: DayTotals,
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
        let mut totals = DayTotals::default();
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
    /// The device's verified events, in sequence order (at least up to the day's end).
    pub events: &'a [SignedEvent],
}

/// The state of one parcel as the day's events leave it.
#[derive(Debug, Default, Clone)]
struct Track {
    touched_today: bool,
    settled_before: bool,
    delivered: bool,
    outcome: Option<Outcome>,
    reason: Option<Reason>,
    outcome_ms: Option<i64>,
    fees: Option<ReturnFees>,
    arrived_ms: Option<i64>,
    tries: u32,
    collected: Option<String>,
    intake: Option<Intake>,
}

fn detail<'e>(e: &'e SignedEvent, key: &str) -> Option<&'e str> {
    e.body
        .detail
        .get(key)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
}

/// Computes the day report.
pub fn day_report(input: DayInput<'_>) -> DayReport {
    let (start, end) = (input.day.start_ms(), input.day.end_ms());
    let by_version: HashMap<u64, &ManifestBody> =
        input.manifests.iter().map(|m| (m.version, m)).collect();
    let mut accepted: Vec<&ManifestBody> = Vec::new();
    let mut tracks: HashMap<String, Track> = HashMap::new();
    let mut unexpected: BTreeMap<String, Intake> = BTreeMap::new();
    let mut head = None;
    let mut day_closed = None;
    let mut names = (None, None);
    for e in input.events {
        let b = &e.body;
        let t = b.clock.device_utc_ms;
        if t >= end {
            continue;
        }
        let today = t >= start;
        if today {
            head = Some(ChainPoint {
                seq: b.seq,
                hash: e.hash.clone(),
            });
        }
        match b.kind {
            EventKind::ManifestAccepted => {
                if let Some(m) = b.manifest_version.and_then(|v| by_version.get(&v)) {
                    accepted.push(m);
                }
                continue;
            }
            EventKind::DayClosed => {
                if today {
                    names = (
                        detail(e, "courier_name").map(str::to_owned),
                        detail(e, "supervisor_name").map(str::to_owned),
                    );
                    day_closed = Some(DayClose {
                        event_id: b.event_id.clone(),
                        seq: b.seq,
                        hash: e.hash.clone(),
                        at_ms: t,
                        forced: detail(e, "forced") == Some("true"),
                        reason: detail(e, "force_reason").map(str::to_owned),
                    });
                }
                continue;
            }
            _ => {}
        }
        let Some(pid) = &b.parcel_id else {
            // A label scanned in that no manifest lists.
            if b.kind == EventKind::ReturnCheckIn
                && today
                && let Some(label) = detail(e, "label")
            {
                unexpected.insert(label.to_owned(), intake_of(e));
            }
            continue;
        };
        let tr = tracks.entry(pid.clone()).or_default();
        tr.touched_today |= today;
        match b.kind {
            EventKind::Arrived if today => tr.arrived_ms = Some(t),
            EventKind::CodeAttempt | EventKind::Outcome => {
                if let Some(v) = &b.verification {
                    tr.tries = tr.tries.max(v.attempt);
                }
                if b.kind == EventKind::Outcome
                    && let Some(o) = b.outcome
                {
                    tr.delivered = o == Outcome::Delivered;
                    tr.outcome = Some(o);
                    tr.reason = b.reason;
                    tr.outcome_ms = Some(t);
                    tr.fees = Some(ReturnFees {
                        payer: b.liability.unwrap_or(o.liability()),
                        basis: FeeBasis::Outcome,
                        event_id: b.event_id.clone(),
                        note: None,
                    });
                }
            }
            EventKind::Correction => {
                if let Some(o) = b.outcome {
                    tr.outcome = Some(o);
                    tr.reason = b.reason;
                    tr.fees = Some(ReturnFees {
                        payer: b.liability.unwrap_or(o.liability()),
                        basis: FeeBasis::Correction,
                        event_id: b.event_id.clone(),
                        note: detail(e, "note").map(str::to_owned),
                    });
                }
            }
            EventKind::ItemCollected => {
                tr.collected = detail(e, "collected_label").map(str::to_owned);
            }
            EventKind::ReturnCheckIn => tr.intake = Some(intake_of(e)),
            _ => {}
        }
        if !today {
            tr.settled_before = tr.intake.is_some() || tr.delivered;
        }
    }

    // Parcel specs: the latest accepted version that lists each parcel.
    let mut specs: HashMap<&str, &ManifestParcel> = HashMap::new();
    let mut versions: Vec<&&ManifestBody> = accepted.iter().collect();
    versions.sort_by_key(|m| m.version);
    for m in &versions {
        for p in &m.parcels {
            specs.insert(p.parcel_id.as_str(), p);
        }
    }
    let in_force = accepted.last().copied();
    let in_force_ids: BTreeSet<&str> = in_force
        .map(|m| m.parcels.iter().map(|p| p.parcel_id.as_str()).collect())
        .unwrap_or_default();

    let mut rows = Vec::new();
    for (pid, spec) in &specs {
        let tr = tracks.get(*pid).cloned().unwrap_or_default();
        let of_the_day = tr.touched_today || (in_force_ids.contains(pid) && !settled(&tr, spec));
        if of_the_day {
            rows.push(row(spec, tr));
        }
    }
    // Events naming a parcel no accepted manifest lists: kept, never dropped.
    for (pid, tr) in &tracks {
        if tr.touched_today && !specs.contains_key(pid.as_str()) {
            let mut r = row_without_spec(pid, tr.clone());
            r.return_status = status(None, tr);
            rows.push(r);
        }
    }
    rows.sort_by(|a, b| {
        (a.route_order.unwrap_or(u32::MAX), &a.label)
            .cmp(&(b.route_order.unwrap_or(u32::MAX), &b.label))
    });
    for (label, intake) in unexpected {
        rows.push(DayRow {
            label,
            parcel_id: None,
            order_ref: None,
            kind: None,
            route_order: None,
            outcome: None,
            reason: None,
            withdrawn: false,
            code_tries: 0,
            collected_label: None,
            return_fees: None,
            return_status: ReturnStatus::Unexpected,
            intake: Some(intake),
            arrived_ms: None,
            outcome_ms: None,
        });
    }
    let totals = totals(&rows);
    DayReport {
        schema: DAY_REPORT_SCHEMA.to_owned(),
        device_id: input.device_id.to_owned(),
        depot: in_force.map(|m| m.depot.clone()),
        day: input.day.clone(),
        manifest_version: in_force.map(|m| m.version),
        courier: names.0,
        supervisor: names.1,
        rows,
        totals,
        head,
        day_closed,
    }
}

fn intake_of(e: &SignedEvent) -> Intake {
    Intake {
        at_ms: e.body.clock.device_utc_ms,
        condition: detail(e, "condition").map(str::to_owned),
        note: detail(e, "condition_note").map(str::to_owned),
        event_id: e.body.event_id.clone(),
    }
}

/// Whether a parcel needs nothing more from the depot: back in, or handed
/// over with nothing to collect.
fn settled(tr: &Track, spec: &ManifestParcel) -> bool {
    tr.settled_before && (tr.intake.is_some() || !collects(Some(spec.kind)))
}

fn collects(kind: Option<ParcelKind>) -> bool {
    matches!(kind, Some(ParcelKind::Exchange | ParcelKind::Pickup))
}

fn status(kind: Option<ParcelKind>, tr: &Track) -> ReturnStatus {
    let expected = !tr.delivered || collects(kind);
    match (expected, tr.intake.is_some()) {
        (true, true) => ReturnStatus::Received,
        (true, false) => ReturnStatus::Missing,
        (false, true) => ReturnStatus::Unexpected,
        (false, false) => ReturnStatus::NotExpected,
    }
}

fn row(spec: &ManifestParcel, tr: Track) -> DayRow {
    let status = status(Some(spec.kind), &tr);
    DayRow {
        label: spec.label.clone(),
        parcel_id: Some(spec.parcel_id.clone()),
        order_ref: Some(spec.order_ref.clone()),
        kind: Some(spec.kind),
        route_order: Some(spec.route_order),
        outcome: tr.outcome,
        reason: tr.reason,
        withdrawn: spec.withdrawn,
        code_tries: tr.tries,
        collected_label: tr.collected,
        return_fees: tr.fees,
        return_status: status,
        intake: tr.intake,
        arrived_ms: tr.arrived_ms,
        outcome_ms: tr.outcome_ms,
    }
}

fn row_without_spec(pid: &str, tr: Track) -> DayRow {
    DayRow {
        label: pid.to_owned(),
        parcel_id: Some(pid.to_owned()),
        order_ref: None,
        kind: None,
        route_order: None,
        outcome: tr.outcome,
        reason: tr.reason,
        withdrawn: false,
        code_tries: tr.tries,
        collected_label: tr.collected,
        return_fees: tr.fees,
        return_status: ReturnStatus::Missing,
        intake: tr.intake,
        arrived_ms: tr.arrived_ms,
        outcome_ms: tr.outcome_ms,
    }
}

fn totals(rows: &[DayRow]) -> DayTotals {
    let mut t = DayTotals::default();
    for r in rows {
        if r.parcel_id.is_some() {
            t.parcels += 1;
            match r.outcome {
                Some(Outcome::Delivered) => t.delivered += 1,
                Some(o) => *t.failed.entry(o.as_str().to_owned()).or_default() += 1,
                None if r.withdrawn => t.withdrawn += 1,
                None => t.not_attempted += 1,
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
            ReturnStatus::Unexpected => {
                t.returned_in += 1;
                t.unexpected += 1;
            }
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{ClockStamp, EVENT_SCHEMA, EventBody, PositionRecord};
    use crate::manifest::{MANIFEST_SCHEMA, ManifestSettings};
    use crate::rules::parcel::tests::spec;

    /// Builds a device log: each event gets the next seq and a fake hash
    /// (the report trusts its caller to have verified the chain).
    struct Log {
        events: Vec<SignedEvent>,
    }

    impl Log {
        fn new() -> Self {
            Log { events: Vec::new() }
        }

        fn push(&mut self, kind: EventKind, parcel: Option<&str>, t: i64) -> &mut EventBody {
            let seq = self.events.len() as u64 + 1;
            let body = EventBody {
                schema: EVENT_SCHEMA.into(),
                event_id: format!("e{seq}"),
                device_id: "CT-1".into(),
                seq,
                prev_hash: String::new(),
                kind,
                parcel_id: parcel.map(str::to_owned),
                order_ref: None,
                outcome: None,
                reason: None,
                liability: None,
                verification: None,
                code_proof: None,
                inspection_offered: None,
                corrects: None,
                detail: BTreeMap::new(),
                position: PositionRecord::none(),
                clock: ClockStamp {
                    device_utc_ms: t,
                    monotonic_ms: 0,
                    boot_id: "b".into(),
                },
                gnss_utc_ms: None,
                manifest_version: None,
                app_version: "t".into(),
            };
            self.events.push(SignedEvent {
                body,
                hash: format!("h{seq}"),
                signature: String::new(),
            });
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

        fn check_in(&mut self, p: Option<&str>, t: i64, detail: &[(&str, &str)]) {
            let b = self.push(EventKind::ReturnCheckIn, p, t);
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
            schema: MANIFEST_SCHEMA.into(),
            version,
            device_id: "CT-1".into(),
            issued_at_ms: 0,
            expires_at_ms: 1,
            depot: "Alger Centre".into(),
            settings: ManifestSettings::default(),
            parcels,
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

    #[test]
    fn a_full_day_gives_one_row_per_parcel_with_fees_intake_times_and_totals() {
        let t0 = day().start_ms() + 8 * 3_600_000;
        let mut withdrawn = parcel("W", 6, ParcelKind::Delivery);
        withdrawn.withdrawn = true;
        let manifests = [
            manifest(
                1,
                vec![
                    parcel("A", 1, ParcelKind::Delivery),
                    parcel("B", 2, ParcelKind::Delivery),
                    parcel("C", 3, ParcelKind::Delivery),
                    parcel("D", 4, ParcelKind::Exchange),
                    parcel("E", 5, ParcelKind::Delivery),
                    parcel("W", 6, ParcelKind::Delivery),
                ],
            ),
            manifest(
                2,
                vec![
                    parcel("A", 1, ParcelKind::Delivery),
                    parcel("B", 2, ParcelKind::Delivery),
                    parcel("C", 3, ParcelKind::Delivery),
                    parcel("D", 4, ParcelKind::Exchange),
                    parcel("E", 5, ParcelKind::Delivery),
                    withdrawn,
                ],
            ),
        ];
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
        // C corrected: the buyer phoned to cancel.
        {
            let b = log.push(EventKind::Correction, Some("C"), t0 + 6000);
            b.outcome = Some(Outcome::BuyerCancelled);
            b.reason = Some(Reason::ChangedMind);
            b.liability = Some(Liability::Buyer);
            b.corrects = Some("e6".into());
            b.detail.insert("note".into(), "a appelé, annule".into());
        }
        log.push(EventKind::ItemCollected, Some("D"), t0 + 7000)
            .detail
            .insert("collected_label".into(), "OLD-D".into());
        log.outcome("D", Outcome::Delivered, None, t0 + 8000);
        log.manifest(2, t0 + 9000);
        // Back at the depot: B damaged, the collected item of D, and a stranger.
        log.check_in(
            Some("B"),
            t0 + 10_000,
            &[("condition", "damaged"), ("condition_note", "coin écrasé")],
        );
        log.check_in(Some("D"), t0 + 11_000, &[("condition", "intact")]);
        log.check_in(None, t0 + 12_000, &[("label", "STRANGER-9")]);
        log.push(EventKind::DayClosed, None, t0 + 13_000)
            .detail
            .insert("forced".into(), "true".into());

        let r = report(&manifests, &log);
        let labels: Vec<&str> = r.rows.iter().map(|x| x.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "LBL-A",
                "LBL-B",
                "LBL-C",
                "LBL-D",
                "LBL-E",
                "LBL-W",
                "STRANGER-9"
            ]
        );
        assert_eq!(r.depot.as_deref(), Some("Alger Centre"));
        assert_eq!(r.manifest_version, Some(2));

        let a = by_label(&r, "LBL-A");
        assert_eq!(a.return_status, ReturnStatus::NotExpected);
        assert_eq!(a.arrived_ms, Some(t0 + 1000));
        assert_eq!(a.outcome_ms, Some(t0 + 2000));

        let b = by_label(&r, "LBL-B");
        assert_eq!(b.reason, Some(Reason::Damaged));
        let fees = b.return_fees.as_ref().expect("fees");
        assert_eq!(
            (fees.payer, fees.basis),
            (Liability::Seller, FeeBasis::Outcome)
        );
        assert_eq!(b.return_status, ReturnStatus::Received);
        let intake = b.intake.as_ref().expect("intake");
        assert_eq!(intake.condition.as_deref(), Some("damaged"));
        assert_eq!(intake.note.as_deref(), Some("coin écrasé"));
        assert_eq!(intake.at_ms, t0 + 10_000);

        let c = by_label(&r, "LBL-C");
        assert_eq!(c.outcome, Some(Outcome::BuyerCancelled));
        let fees = c.return_fees.as_ref().expect("fees");
        assert_eq!(fees.basis, FeeBasis::Correction);
        assert_eq!(fees.note.as_deref(), Some("a appelé, annule"));
        assert_eq!(c.outcome_ms, Some(t0 + 5000), "the outcome's time stays");
        assert_eq!(c.return_status, ReturnStatus::Missing);

        let d = by_label(&r, "LBL-D");
        assert_eq!(d.collected_label.as_deref(), Some("OLD-D"));
        assert_eq!(d.return_status, ReturnStatus::Received);

        assert_eq!(by_label(&r, "LBL-E").return_status, ReturnStatus::Missing);
        assert!(by_label(&r, "LBL-W").withdrawn);
        let s = by_label(&r, "STRANGER-9");
        assert_eq!(
            (s.parcel_id.as_deref(), s.return_status),
            (None, ReturnStatus::Unexpected)
        );

        assert_eq!(
            r.totals,
            DayTotals {
                parcels: 6,
                delivered: 2,
                failed: BTreeMap::from([
                    ("buyer_cancelled".into(), 1),
                    ("refused_after_inspection".into(), 1)
                ]),
                withdrawn: 1,
                not_attempted: 1,
                expected_back: 5,
                returned_in: 3,
                missing: 3,
                unexpected: 1,
            }
        );
        let close = r.day_closed.as_ref().expect("closed");
        assert_eq!(
            (close.seq, close.hash.as_str(), close.forced),
            (14, "h14", true)
        );
        assert_eq!(
            r.head,
            Some(ChainPoint {
                seq: 14,
                hash: "h14".into()
            })
        );
    }

    #[test]
    fn the_day_is_cut_by_the_device_clock_and_settled_parcels_stay_in_their_day() {
        let start = day().start_ms();
        let manifests = [manifest(
            1,
            vec![
                parcel("A", 1, ParcelKind::Delivery),
                parcel("B", 2, ParcelKind::Delivery),
                parcel("C", 3, ParcelKind::Delivery),
                parcel("D", 4, ParcelKind::Pickup),
            ],
        )];
        let mut log = Log::new();
        log.manifest(1, start - 20_000);
        // The day before: A delivered, B failed and back in, C failed and
        // still out, D picked up (its item still out).
        log.outcome("A", Outcome::Delivered, None, start - 10_000);
        log.outcome("B", Outcome::NoAnswer, Some(Reason::Absent), start - 9_000);
        log.check_in(Some("B"), start - 8_000, &[]);
        log.outcome("C", Outcome::NoAnswer, Some(Reason::Absent), start - 7_000);
        log.outcome("D", Outcome::Delivered, None, start - 6_000);
        // Today: nothing but an event after the day, which is not covered.
        log.check_in(Some("C"), day().end_ms(), &[]);

        let r = report(&manifests, &log);
        let labels: Vec<&str> = r.rows.iter().map(|x| x.label.as_str()).collect();
        assert_eq!(
            labels,
            ["LBL-C", "LBL-D"],
            "A and B were settled the day before"
        );
        assert_eq!(by_label(&r, "LBL-C").return_status, ReturnStatus::Missing);
        assert_eq!(by_label(&r, "LBL-D").return_status, ReturnStatus::Missing);
        assert_eq!(r.head, None, "no event today");
        assert!(r.day_closed.is_none());
    }

    #[test]
    fn a_delivered_parcel_scanned_in_is_an_alarm_not_a_return() {
        let t0 = day().start_ms() + 1000;
        let manifests = [manifest(1, vec![parcel("A", 1, ParcelKind::Delivery)])];
        let mut log = Log::new();
        log.manifest(1, t0);
        log.outcome("A", Outcome::Delivered, None, t0 + 1);
        log.check_in(Some("A"), t0 + 2, &[]);
        let r = report(&manifests, &log);
        assert_eq!(r.rows[0].return_status, ReturnStatus::Unexpected);
        assert_eq!((r.totals.unexpected, r.totals.missing), (1, 0));
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
