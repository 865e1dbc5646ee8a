//! The morning load check, computed from the log: which parcels must be
//! scanned into the vehicle (the manifest asks for it, they are not
//! withdrawn, they can still go out), which were, and the alarms (a label not
//! on today's manifest, a withdrawn parcel, a parcel that does not go out).
//!
//! The terminal (the scan, the screen, the signed `loaded` record) and the
//! server (checking a recorded `load_checked` against the events it holds)
//! call the same [`LoadBook::from_log`] on the same inputs as
//! [`super::DayBook::from_log`]: the parcels of the manifests in force and the
//! device's events in sequence order. Custody starts here: a parcel the
//! check requires and never loaded cannot be delivered
//! ([`super::refusal::Refusal::NotLoaded`]) and is not expected back.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::envelope::{EventBody, SignedEvent};
pub use crate::load_check_record::{LoadCheckRecord, LoadTotals};
use crate::manifest::ManifestParcel;
use crate::vocabulary::{EventKind, Outcome};

/// Why a label scanned at the load check must not go into the vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadAlarmWhy {
    /// No parcel of today's manifest has this label.
    NotInManifest,
    /// The parcel was withdrawn (cancelled before dispatch): it stays.
    Withdrawn,
    /// The parcel does not go out today (already delivered or back at the
    /// depot, or nothing to carry out).
    NotToLoad,
}

impl LoadAlarmWhy {
    /// Protocol string.
    pub fn as_str(self) -> &'static str {
        match self {
            LoadAlarmWhy::NotInManifest => "not_in_manifest",
            LoadAlarmWhy::Withdrawn => "withdrawn",
            LoadAlarmWhy::NotToLoad => "not_to_load",
        }
    }

    /// Parses a protocol string.
    pub fn parse(s: &str) -> Option<Self> {
        [
            LoadAlarmWhy::NotInManifest,
            LoadAlarmWhy::Withdrawn,
            LoadAlarmWhy::NotToLoad,
        ]
        .into_iter()
        .find(|w| w.as_str() == s)
    }
}

/// What a scanned label is at the load check, at once: the screen maps it to
/// a colour and a sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict", content = "detail")]
pub enum LoadVerdict {
    /// A parcel to load, now loaded.
    Loaded,
    /// Scanned into the vehicle earlier (nothing recorded again).
    AlreadyLoaded,
    /// Must not be loaded: an alarm.
    Alarm(LoadAlarmWhy),
}

/// When a parcel was scanned into the vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadScan {
    /// The `parcel_loaded` event.
    pub event_id: String,
    /// Device time of the scan, Unix ms.
    pub at_ms: i64,
    /// The label was typed, not scanned.
    pub typed: bool,
}

/// One parcel the manifest asks to load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadLine {
    /// Its label.
    pub label: String,
    /// The parcel.
    pub parcel_id: String,
    /// Its order.
    pub order_ref: String,
    /// Scanned into the vehicle, if it was.
    pub loaded: Option<LoadScan>,
}

/// A label scanned at the load check that must not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadAlarm {
    /// The label as scanned or typed.
    pub label: String,
    /// Why it must not be loaded.
    pub why: LoadAlarmWhy,
    /// The `load_alarm` event.
    pub event_id: String,
}

/// The load check as the log says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBook {
    /// Every parcel to load, in route order.
    pub lines: Vec<LoadLine>,
    /// Alarms of this day, in scan order (a label once).
    pub alarms: Vec<LoadAlarm>,
    /// The `load_checked` event of this day, if the check was signed.
    pub checked: Option<String>,
}

#[derive(Default)]
struct Replay {
    /// Scans into the vehicle by label (an order of several parcels loads
    /// each of its parcels).
    loaded: BTreeMap<String, LoadScan>,
    ended: bool,
}

impl LoadBook {
    /// Builds the load check from the parcels and the device's events in
    /// sequence order (the day is what follows the last `day_closed`).
    pub fn from_log(parcels: &[ManifestParcel], events: &[SignedEvent]) -> LoadBook {
        let since_seq = events
            .iter()
            .rev()
            .find(|e| e.body.kind == EventKind::DayClosed)
            .map_or(0, |e| e.body.seq);
        let mut replay: BTreeMap<&str, Replay> = BTreeMap::new();
        let mut book = LoadBook::default();
        for e in events {
            let b = &e.body;
            let this_day = b.seq > since_seq;
            match b.kind {
                EventKind::LoadAlarm if this_day => {
                    if let (Some(label), Some(why)) = (
                        b.detail.get("label"),
                        b.detail.get("why").and_then(|w| LoadAlarmWhy::parse(w)),
                    ) && !book.alarms.iter().any(|a| &a.label == label)
                    {
                        book.alarms.push(LoadAlarm {
                            label: label.clone(),
                            why,
                            event_id: b.event_id.clone(),
                        });
                    }
                }
                EventKind::LoadChecked if this_day => book.checked = Some(b.event_id.clone()),
                _ => {}
            }
            let Some(pid) = b.parcel_id.as_deref() else {
                continue;
            };
            let r = replay.entry(pid).or_default();
            match b.kind {
                EventKind::ParcelLoaded => {
                    if let Some(label) = b.detail.get("label") {
                        r.loaded.entry(label.clone()).or_insert_with(|| LoadScan {
                            event_id: b.event_id.clone(),
                            at_ms: b.clock.device_utc_ms,
                            typed: b.detail.get("entry").is_some_and(|x| x == "typed"),
                        });
                    }
                }
                EventKind::Outcome if b.outcome == Some(Outcome::Delivered) => r.ended = true,
                EventKind::ReturnCheckIn => r.ended = true,
                _ => {}
            }
        }
        let mut ordered: Vec<&ManifestParcel> = parcels.iter().collect();
        ordered.sort_by(|a, b| (a.route_order, &a.parcel_id).cmp(&(b.route_order, &b.parcel_id)));
        for p in ordered {
            if !p.must_be_loaded() || p.withdrawn {
                continue;
            }
            let r = replay.remove(p.parcel_id.as_str()).unwrap_or_default();
            if r.ended && r.loaded.is_empty() {
                continue;
            }
            for label in p.order_labels() {
                book.lines.push(LoadLine {
                    label: label.to_owned(),
                    parcel_id: p.parcel_id.clone(),
                    order_ref: p.order_ref.clone(),
                    loaded: r.loaded.get(label).cloned(),
                });
            }
        }
        book
    }

    /// What a scanned or typed label is, on this book (nothing is recorded).
    pub fn verdict(&self, parcels: &[ManifestParcel], label: &str) -> LoadVerdict {
        let label = label.trim();
        if let Some(line) = self.line(label) {
            return match line.loaded {
                Some(_) => LoadVerdict::AlreadyLoaded,
                None => LoadVerdict::Loaded,
            };
        }
        match parcels.iter().find(|p| p.label == label) {
            None => LoadVerdict::Alarm(LoadAlarmWhy::NotInManifest),
            Some(p) if p.withdrawn => LoadVerdict::Alarm(LoadAlarmWhy::Withdrawn),
            Some(_) => LoadVerdict::Alarm(LoadAlarmWhy::NotToLoad),
        }
    }

    /// The parcel to load with this label.
    pub fn line(&self, label: &str) -> Option<&LoadLine> {
        self.lines.iter().find(|l| l.label == label.trim())
    }

    /// Parcels to load not loaded yet.
    pub fn missing(&self) -> impl Iterator<Item = &LoadLine> {
        self.lines.iter().filter(|l| l.loaded.is_none())
    }

    /// Parcels loaded.
    pub fn loaded(&self) -> impl Iterator<Item = &LoadLine> {
        self.lines.iter().filter(|l| l.loaded.is_some())
    }

    /// The totals the signed `loaded` record carries and the courier confirms.
    pub fn totals(&self) -> LoadTotals {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let sorted = |v: BTreeSet<String>| v.into_iter().collect::<Vec<_>>();
        LoadTotals {
            to_load: count(self.lines.len()),
            loaded: count(self.loaded().count()),
            missing: sorted(self.missing().map(|l| l.label.clone()).collect()),
            alarms: sorted(self.alarms.iter().map(|a| a.label.clone()).collect()),
        }
    }
}

/// One difference between a recorded load check and the events the server holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "difference")]
pub enum LoadCheckDifference {
    /// The event carries no load record.
    NoRecord,
    /// The totals differ.
    Totals {
        /// What the device recorded.
        recorded: LoadTotals,
        /// What the server computes from the events it holds.
        computed: LoadTotals,
    },
    /// The courier's confirmation is absent, not earlier in this chain, or
    /// confirms other totals.
    CourierConfirmation,
}

/// Checks a `load_checked` event against the totals the server computes from
/// the events it holds before it, and the device's earlier events (for the
/// courier's confirmation). An empty answer means they agree.
pub fn check_load_check(
    checked: &EventBody,
    computed: &LoadTotals,
    earlier: &[SignedEvent],
) -> Vec<LoadCheckDifference> {
    let Some(record) = &checked.load else {
        return vec![LoadCheckDifference::NoRecord];
    };
    let mut out = Vec::new();
    if &record.totals != computed {
        out.push(LoadCheckDifference::Totals {
            recorded: record.totals.clone(),
            computed: computed.clone(),
        });
    }
    let confirmed = earlier.iter().rev().find(|e| {
        e.body.event_id == record.courier_confirmation && e.body.kind == EventKind::CourierConfirmed
    });
    let digest_ok = confirmed.is_some_and(|e| {
        e.body.detail.get("subject").map(String::as_str) == Some(LOAD_CHECK_SUBJECT)
            && record
                .totals
                .digest()
                .is_ok_and(|d| e.body.detail.get("digest") == Some(&d))
    });
    if !digest_ok {
        out.push(LoadCheckDifference::CourierConfirmation);
    }
    out
}

/// The `subject` of the courier's confirmation of a load check.
pub const LOAD_CHECK_SUBJECT: &str = "load_check";
