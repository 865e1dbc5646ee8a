//! The one comparison between our decoder and gpsd's record, used by the
//! conformance test and by the `nmea-check` command.
//!
//! A gpsd `.chk` file echoes every input sentence followed by the JSON reports
//! gpsd emitted after it. We feed the `.log` through the real framer, decoder
//! and tracker, align each sentence with its echo, and compare the tracker's
//! fix with every TPV report that followed that sentence: fix validity, mode,
//! position (within [`POSITION_TOLERANCE_DEG`]) and time. Differences that are
//! written rules in `docs/gnss.md` are counted apart, never as agreement.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufRead;

use serde::Serialize;
use thiserror::Error;

use crate::fix_tracker::{Fix, FixTracker};
use crate::gnss_feed::{FeedEvent, GnssFeed, GnssStats};
use crate::gpsd_record::ChkStream;
pub use crate::gpsd_record::{
    ALIGN_LOOKAHEAD, ChkEntry, GpsdTpv, MAX_CHK_LINE, parse_chk, parse_iso_ms,
};
use crate::year_window::YearWindow;

/// Position agreement tolerance, degrees.
pub const POSITION_TOLERANCE_DEG: f64 = 1e-6;

/// Divergence rule: we never accept a simulated fix (GGA quality 8, FAA mode S).
pub const RULE_SIMULATED: &str = "D1 simulated fix is not evidence";
/// Divergence rule: we never accept manual input (GGA quality 7, FAA mode M).
pub const RULE_MANUAL: &str = "D2 manual-input fix is not evidence";
/// Divergence rule: the receiver itself says "no fix" (GGA quality 0/empty,
/// FAA mode N) although it prints coordinates; gpsd still reports a fix.
pub const RULE_RECEIVER_NO_FIX: &str = "D3 receiver-declared no fix";
/// Divergence rule: gpsd changed its report because of a sentence outside the
/// accepted set (ZDA, GBS, GST, proprietary `P...`, other talkers).
pub const RULE_UNUSED_SENTENCE: &str = "D4 sentence outside the accepted set";

/// Divergence rule: gpsd's GPS week-rollover guess moved a pre-2017 date
/// forward by exactly 1024 weeks; we keep the date the receiver sent.
pub const RULE_WEEK_ROLLOVER: &str = "D5 gpsd 1024-week rollover guess";

/// Divergence rule: gpsd's report right after a cycle-starting sentence
/// carries mode 0 ("not seen yet in this cycle"); we keep the fix we hold.
pub const RULE_CYCLE_CLEARED: &str = "D6 gpsd mode 0 (cycle just cleared)";

/// Divergence rule: gpsd reports a 2D/3D mode (from GSA) before any
/// position; a fix without a position is never evidence for us.
pub const RULE_NO_POSITION: &str = "D7 gpsd fix without a position";

/// Divergence rule: we ignored a sentence holding an implausible value
/// (out of range, not a calendar date, year outside the window) that gpsd used.
pub const RULE_IMPLAUSIBLE: &str = "D8 implausible sentence ignored";

/// Divergence rule: the fix does not hold together with the fixes before it
/// (time not increasing, date jump, implied or reported speed beyond the
/// bound); gpsd judges each sentence alone.
pub const RULE_CONTINUITY: &str = "D9 inconsistent with the fixes before";

/// Divergence rule: GNS navigational status `U` (unsafe) is not evidence;
/// gpsd keeps the fix.
pub const RULE_NAV_UNSAFE: &str = "D10 GNS navigational status unsafe";

const WEEK_ROLLOVER_MS: i64 = 1024 * 7 * 86_400_000;

/// Reading the capture or gpsd's record failed.
#[derive(Debug, Error)]
pub enum CaptureError {
    /// The `.chk` could not be read.
    #[error("cannot read gpsd's .chk record: {0}")]
    ReadChk(#[source] std::io::Error),
}

/// Agreement on one field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FieldTally {
    /// Reports where gpsd stated this field.
    pub compared: u64,
    /// We said the same.
    pub agree: u64,
    /// We differ by a documented rule (not counted as agreement or failure).
    pub by_rule: u64,
}

impl FieldTally {
    /// Disagreements not covered by a rule.
    pub fn disagree(&self) -> u64 {
        self.compared - self.agree - self.by_rule
    }

    /// Agreement in percent over the comparisons not covered by a rule.
    pub fn percent(&self) -> f64 {
        let n = self.compared - self.by_rule;
        if n == 0 {
            100.0
        } else {
            100.0 * self.agree as f64 / n as f64
        }
    }

    /// Agreement in percent over every comparison, rule-covered ones
    /// counted as disagreements.
    pub fn percent_all(&self) -> f64 {
        if self.compared == 0 {
            100.0
        } else {
            100.0 * self.agree as f64 / self.compared as f64
        }
    }

    fn add(&mut self, o: &FieldTally) {
        self.compared += o.compared;
        self.agree += o.agree;
        self.by_rule += o.by_rule;
    }
}

/// Field names, in report order.
pub const FIELDS: [&str; 4] = ["valid", "mode", "position", "time"];

/// Comparison of one capture with gpsd's record.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Agreement {
    /// TPV reports in the `.chk`.
    pub tpv_reports: u64,
    /// TPV reports that followed a sentence we could align.
    pub aligned: u64,
    /// Per field over every aligned report, in the order of [`FIELDS`].
    pub fields: [FieldTally; 4],
    /// Per field over the aligned reports where gpsd has a fix (mode 2 or 3).
    pub fields_with_fix: [FieldTally; 4],
    /// Rule-covered differences by rule.
    pub rules: BTreeMap<String, u64>,
    /// First few unexplained differences, for the humans.
    pub examples: Vec<String>,
}

fn overall_of(fields: &[FieldTally; 4]) -> FieldTally {
    let mut t = FieldTally::default();
    for f in fields {
        t.add(f);
    }
    t
}

impl Agreement {
    /// Sum of all fields over every report.
    pub fn overall(&self) -> FieldTally {
        overall_of(&self.fields)
    }

    /// Sum of all fields over the reports where gpsd has a fix.
    pub fn overall_with_fix(&self) -> FieldTally {
        overall_of(&self.fields_with_fix)
    }

    /// Add another log's agreement.
    pub fn merge(&mut self, o: &Agreement) {
        self.tpv_reports += o.tpv_reports;
        self.aligned += o.aligned;
        for (a, b) in self.fields.iter_mut().zip(o.fields.iter()) {
            a.add(b);
        }
        for (a, b) in self
            .fields_with_fix
            .iter_mut()
            .zip(o.fields_with_fix.iter())
        {
            a.add(b);
        }
        for (k, v) in &o.rules {
            *self.rules.entry(k.clone()).or_default() += v;
        }
    }
}

/// Result of decoding one capture (no list of fixes: those are streamed).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaptureReport {
    /// Pipeline counters (every kind of rejected input included).
    pub stats: GnssStats,
    /// Observations decoded.
    pub observations: u64,
    /// Share of observations after which the fix was valid, percent.
    pub valid_fix_share: f64,
    /// Distinct fixes (consecutive duplicates dropped).
    pub distinct_fixes: u64,
    /// GNSS time of the first valid fix, unix ms.
    pub first_valid_time_ms: Option<i64>,
    /// GNSS time of the last valid fix, unix ms.
    pub last_valid_time_ms: Option<i64>,
    /// `.chk` lines longer than [`MAX_CHK_LINE`], skipped.
    pub chk_lines_too_long: u64,
    /// Agreement with gpsd, when a `.chk` was given.
    pub agreement: Option<Agreement>,
}

/// A capture checked in memory, with every distinct fix.
#[derive(Debug, Clone, Default)]
pub struct CheckedCapture {
    /// The report.
    pub report: CaptureReport,
    /// Distinct fixes, in order.
    pub fixes: Vec<Fix>,
}

fn rule_for(fix: &Fix) -> Option<&'static str> {
    let r = fix.quality_rejected.as_deref()?;
    if r.starts_with("simulator") {
        Some(RULE_SIMULATED)
    } else if r.starts_with("manual") {
        Some(RULE_MANUAL)
    } else if r.contains("GGA quality") || r.contains("mode N") || r.contains("mode V") {
        Some(RULE_RECEIVER_NO_FIX)
    } else if r.starts_with("GNSS time")
        || r.starts_with("GNSS date")
        || r.starts_with("implied speed")
        || r.starts_with("reported speed")
    {
        Some(RULE_CONTINUITY)
    } else if r.contains("navigational status U") {
        Some(RULE_NAV_UNSAFE)
    } else {
        None
    }
}

/// What the pipeline did with the sentence a report followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handled {
    Decoded,
    /// A sentence type we never use (GSV, GST, proprietary...).
    Skipped,
    /// A sentence type we use from a talker we do not accept: a report
    /// we could not decode, never rule-covered.
    Undecoded,
    Implausible,
}

/// Sentence types the decoder uses.
const USED_TYPES: [&str; 7] = ["RMC", "GGA", "GNS", "GSA", "GLL", "VTG", "ZDA"];

fn skipped_kind(body: &str) -> Handled {
    let kind = body.get(2..5).unwrap_or_default();
    if !body.starts_with('P') && USED_TYPES.contains(&kind) {
        Handled::Undecoded
    } else {
        Handled::Skipped
    }
}

struct Comparer {
    agreement: Agreement,
    /// Per field: did the previous comparison agree? (false before the first)
    last_ok: [bool; 4],
    /// Per field: has any comparison been made?
    compared: [bool; 4],
}

impl Comparer {
    fn compare(&mut self, body: &str, handled: Handled, fix: &Fix, tpv: &GpsdTpv) {
        let a = &mut self.agreement;
        a.aligned += 1;
        let gpsd_fix = tpv.mode >= 2;
        let gpsd_mode = tpv.mode.max(1);
        let checks: [Option<bool>; 4] = [
            Some(fix.valid == gpsd_fix),
            Some(fix.mode.gpsd_mode() == gpsd_mode),
            match (tpv.lat, tpv.lon) {
                (Some(glat), Some(glon)) => Some(match (fix.lat_deg, fix.lon_deg) {
                    (Some(lat), Some(lon)) => {
                        (lat - glat).abs() <= POSITION_TOLERANCE_DEG
                            && (lon - glon).abs() <= POSITION_TOLERANCE_DEG
                    }
                    _ => false,
                }),
                _ => None,
            },
            tpv.time_ms.map(|t| fix.gnss_utc_ms == Some(t)),
        ];
        for (i, c) in checks.iter().enumerate() {
            let Some(ok) = *c else { continue };
            let first = !std::mem::replace(&mut self.compared[i], true);
            let mut tallies = vec![&mut a.fields[i]];
            if gpsd_fix {
                tallies.push(&mut a.fields_with_fix[i]);
            }
            for t in &mut tallies {
                t.compared += 1;
            }
            if ok {
                for t in &mut tallies {
                    t.agree += 1;
                }
                self.last_ok[i] = true;
                continue;
            }
            let rollover = i == 3
                && matches!((tpv.time_ms, fix.gnss_utc_ms), (Some(g), Some(o)) if g.checked_sub(o) == Some(WEEK_ROLLOVER_MS));
            // Our time is none because it does not hold together with the
            // stream (e.g. a receiver's date after a reboot); gpsd reports it.
            let time_refused =
                i == 3 && fix.gnss_utc_ms.is_none() && rule_for(fix) == Some(RULE_CONTINUITY);
            let no_position =
                i == 0 && gpsd_fix && tpv.lat.is_none() && fix.lat_deg.is_none() && !fix.valid;
            let rule = rollover
                .then_some(RULE_WEEK_ROLLOVER)
                .or_else(|| (tpv.mode == 0 && i < 2).then_some(RULE_CYCLE_CLEARED))
                .or_else(|| no_position.then_some(RULE_NO_POSITION))
                .or_else(|| time_refused.then_some(RULE_CONTINUITY))
                .or_else(|| rule_for(fix).filter(|_| gpsd_fix && !fix.valid))
                .or_else(|| {
                    (handled == Handled::Implausible && (self.last_ok[i] || first))
                        .then_some(RULE_IMPLAUSIBLE)
                })
                .or_else(|| {
                    (handled == Handled::Skipped && self.last_ok[i]).then_some(RULE_UNUSED_SENTENCE)
                });
            match rule {
                Some(r) => {
                    for t in &mut tallies {
                        t.by_rule += 1;
                    }
                    *a.rules.entry(r.to_string()).or_default() += 1;
                }
                None => {
                    self.last_ok[i] = false;
                    if a.examples.len() < 12 {
                        a.examples.push(format!(
                            "{}: after `{}` gpsd mode={} status={:?} time={:?} lat={:?} lon={:?}; ours valid={} mode={:?} time={:?} lat={:?} lon={:?} ({:?})",
                            FIELDS[i],
                            body,
                            tpv.mode,
                            tpv.status,
                            tpv.time_ms,
                            tpv.lat,
                            tpv.lon,
                            fix.valid,
                            fix.mode,
                            fix.gnss_utc_ms,
                            fix.lat_deg,
                            fix.lon_deg,
                            fix.quality_rejected
                        ));
                    }
                }
            }
        }
    }
}

/// Streaming check of one capture: push the capture's bytes in chunks of
/// any size; memory stays bounded (the framer's buffer, a look-ahead of
/// [`ALIGN_LOOKAHEAD`] `.chk` entries, one `.chk` line of at most
/// [`MAX_CHK_LINE`] bytes) whatever the capture's size. Lines starting with
/// `#` (corpus headers) are not receiver output and are skipped. Receiver
/// dates are judged with [`YearWindow::historic`]: captures are recordings.
pub struct CaptureCheck<R> {
    feed: GnssFeed,
    chk: Option<ChkStream<R>>,
    cmp: Comparer,
    at_line_start: bool,
    in_comment: bool,
    last_fix: Option<Fix>,
    distinct_fixes: u64,
    first_valid_time_ms: Option<i64>,
    last_valid_time_ms: Option<i64>,
}

impl<R: BufRead> CaptureCheck<R> {
    /// A check, compared with gpsd's `.chk` record when given.
    pub fn new(chk: Option<R>) -> Self {
        Self {
            feed: GnssFeed::default().with_years(YearWindow::historic()),
            chk: chk.map(ChkStream::new),
            cmp: Comparer {
                agreement: Agreement::default(),
                last_ok: [false; 4],
                compared: [false; 4],
            },
            at_line_start: true,
            in_comment: false,
            last_fix: None,
            distinct_fixes: 0,
            first_valid_time_ms: None,
            last_valid_time_ms: None,
        }
    }

    /// Feed the next bytes of the capture; `on_fix` sees every new distinct
    /// fix (after a decoded sentence) as it happens.
    pub fn push(&mut self, bytes: &[u8], on_fix: &mut dyn FnMut(&Fix)) -> Result<(), CaptureError> {
        let mut i = 0;
        while i < bytes.len() {
            let rest = &bytes[i..];
            let line_end = rest.iter().position(|&b| b == b'\n').map(|j| j + 1);
            if self.in_comment || (self.at_line_start && rest[0] == b'#') {
                match line_end {
                    Some(n) => {
                        self.in_comment = false;
                        self.at_line_start = true;
                        i += n;
                    }
                    None => {
                        self.in_comment = true;
                        self.at_line_start = false;
                        return Ok(());
                    }
                }
                continue;
            }
            let n = line_end.unwrap_or(rest.len());
            self.push_line(&rest[..n], on_fix)?;
            self.at_line_start = line_end.is_some();
            i += n;
        }
        Ok(())
    }

    fn push_line(&mut self, line: &[u8], on_fix: &mut dyn FnMut(&Fix)) -> Result<(), CaptureError> {
        let Self {
            feed,
            chk,
            cmp,
            last_fix,
            distinct_fixes,
            first_valid_time_ms,
            last_valid_time_ms,
            ..
        } = self;
        let mut failed: Option<std::io::Error> = None;
        let mut on_event = |ev: FeedEvent<'_>, tracker: &FixTracker| {
            let (body, handled) = match ev {
                FeedEvent::Decoded { body, .. } => (body, Handled::Decoded),
                FeedEvent::Skipped { body } => (body, skipped_kind(body)),
                FeedEvent::Implausible { body, .. } => (body, Handled::Implausible),
                FeedEvent::Rejected(_) => return,
            };
            let fix = tracker.fix();
            if handled == Handled::Decoded && last_fix.as_ref() != Some(&fix) {
                *distinct_fixes += 1;
                if fix.valid
                    && let Some(t) = fix.gnss_utc_ms
                {
                    first_valid_time_ms.get_or_insert(t);
                    *last_valid_time_ms = Some(t);
                }
                on_fix(&fix);
                *last_fix = Some(fix.clone());
            }
            let Some(chk) = chk.as_mut() else { return };
            if failed.is_some() {
                return;
            }
            match chk.align(body) {
                Ok(Some(entry)) => {
                    for tpv in &entry.tpvs {
                        cmp.compare(body, handled, &fix, tpv);
                    }
                }
                Ok(None) => {}
                Err(e) => failed = Some(e),
            }
        };
        feed.push_observed(line, 0, None, &mut on_event);
        match failed {
            Some(e) => Err(CaptureError::ReadChk(e)),
            None => Ok(()),
        }
    }

    /// Finish: read the rest of the `.chk` (counting its reports) and report.
    pub fn finish(self) -> Result<CaptureReport, CaptureError> {
        let observations = self.feed.tracker().stats().observations;
        let valid = self.feed.tracker().stats().valid_observations;
        let (agreement, long_lines) = match self.chk {
            Some(mut chk) => {
                chk.drain().map_err(CaptureError::ReadChk)?;
                let mut a = self.cmp.agreement;
                a.tpv_reports = chk.tpv_reports;
                (Some(a), chk.long_lines)
            }
            None => (None, 0),
        };
        Ok(CaptureReport {
            stats: self.feed.stats(),
            observations,
            valid_fix_share: if observations == 0 {
                0.0
            } else {
                100.0 * valid as f64 / observations as f64
            },
            distinct_fixes: self.distinct_fixes,
            first_valid_time_ms: self.first_valid_time_ms,
            last_valid_time_ms: self.last_valid_time_ms,
            chk_lines_too_long: long_lines,
            agreement,
        })
    }
}

/// Decode a capture held in memory (raw bytes of a `.log` or a live
/// recording) and, with gpsd's `.chk` text, compare; keeps every distinct fix.
pub fn check_capture(log: &[u8], chk: Option<&str>) -> CheckedCapture {
    let mut check = CaptureCheck::new(chk.map(str::as_bytes));
    let mut fixes = Vec::new();
    // Reading from memory cannot fail.
    let pushed = check.push(log, &mut |f| fixes.push(f.clone()));
    let report = pushed.and_then(|()| check.finish()).unwrap_or_default();
    CheckedCapture { report, fixes }
}

fn table_line(out: &mut String, name: &str, aligned: u64, fields: &[FieldTally; 4], tail: &str) {
    let _ = writeln!(
        out,
        "{:<36} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}",
        name,
        aligned,
        fields[0].percent(),
        fields[1].percent(),
        fields[2].percent(),
        fields[3].percent(),
        tail
    );
}

fn field_lines(out: &mut String, fields: &[FieldTally; 4]) {
    for (i, f) in fields.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<9} compared {:>6}  agree {:>6}  disagree {:>4}  rule-covered {:>4}  agreement {:>7.3}% without rule-covered, {:>7.3}% with them as disagreements",
            FIELDS[i],
            f.compared,
            f.agree,
            f.disagree(),
            f.by_rule,
            f.percent(),
            f.percent_all()
        );
    }
}

/// A per-log table (and total lines, over every report and over the reports
/// where gpsd has a fix) for the conformance test and `nmea-check`.
pub fn render_table(rows: &[(String, Agreement)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<36} {:>5} {:>8} {:>8} {:>8} {:>8}  rule-covered",
        "log", "TPV", "valid%", "mode%", "pos%", "time%"
    );
    let mut total = Agreement::default();
    for (name, a) in rows {
        total.merge(a);
        let covered = a.fields.iter().map(|f| f.by_rule).sum::<u64>().to_string();
        table_line(&mut out, name, a.aligned, &a.fields, &covered);
    }
    let _ = writeln!(out, "{}", "-".repeat(90));
    let tail = format!(
        "overall {:.3}% ({:.3}% counting rule-covered as disagreement)",
        total.overall().percent(),
        total.overall().percent_all()
    );
    table_line(
        &mut out,
        "TOTAL (every report)",
        total.aligned,
        &total.fields,
        &tail,
    );
    let with_fix = total.fields_with_fix[0].compared;
    let tail = format!(
        "overall {:.3}% ({:.3}% counting rule-covered as disagreement)",
        total.overall_with_fix().percent(),
        total.overall_with_fix().percent_all()
    );
    table_line(
        &mut out,
        "TOTAL (reports where gpsd has a fix)",
        with_fix,
        &total.fields_with_fix,
        &tail,
    );
    let _ = writeln!(out, "every report:");
    field_lines(&mut out, &total.fields);
    let _ = writeln!(out, "reports where gpsd has a fix:");
    field_lines(&mut out, &total.fields_with_fix);
    for (rule, n) in &total.rules {
        let _ = writeln!(out, "  {rule}: {n}");
    }
    let _ = writeln!(
        out,
        "  TPV reports {} aligned {} (reports after input we could not align are not compared)",
        total.tpv_reports, total.aligned
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_lines_are_skipped_across_chunk_boundaries() {
        let good = crate::nmea_framing::render_sentence(
            "GPRMC,120000.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A",
        );
        let bad = crate::nmea_framing::render_sentence(
            "GPRMC,120001.00,A,4907.0380,N,01131.0000,E,0.0,0.0,241126,,,A",
        );
        let log = format!("# header {bad}{good}# more {bad}");
        let mut check = CaptureCheck::new(None::<&[u8]>);
        let mut fixes = Vec::new();
        for chunk in log.as_bytes().chunks(7) {
            check
                .push(chunk, &mut |f| fixes.push(f.clone()))
                .expect("memory");
        }
        let report = check.finish().expect("memory");
        assert_eq!(report.stats.sentences, 1);
        assert_eq!(fixes.len(), 1);
        assert!(fixes[0].lat_deg.is_some_and(|l| l < 49.0));
    }
}
