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

use serde::Serialize;

use crate::fix_tracker::{Fix, FixTracker};
use crate::gnss_feed::{FeedEvent, GnssFeed, GnssStats};
use crate::nmea_decode::NmeaDate;

/// Position agreement tolerance, degrees.
pub const POSITION_TOLERANCE_DEG: f64 = 1e-6;

/// How far ahead in the `.chk` an echo is searched for.
const ALIGN_LOOKAHEAD: usize = 400;

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

const WEEK_ROLLOVER_MS: i64 = 1024 * 7 * 86_400_000;

/// One gpsd TPV report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpsdTpv {
    /// gpsd mode: 0/1 no fix, 2 2D, 3 3D.
    pub mode: u8,
    /// gpsd status, when reported (2 DGPS, 7 surveyed/manual, 8 simulated...).
    pub status: Option<u8>,
    /// Time, unix ms.
    pub time_ms: Option<i64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
}

/// An echoed input line with the TPV reports gpsd emitted after it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChkEntry {
    /// Sentence body as echoed (no `$`, no checksum).
    pub echo: String,
    /// TPV reports that followed it.
    pub tpvs: Vec<GpsdTpv>,
}

/// Parse an ISO 8601 UTC time as gpsd prints it (`2001-06-06T22:53:08.000Z`).
pub fn parse_iso_ms(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-');
    let year: i32 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let m: i64 = t.next()?.parse().ok()?;
    let sec: f64 = t.next()?.parse().ok()?;
    let days = NmeaDate { year, month, day }.days_since_epoch();
    Some(days * 86_400_000 + (h * 3600 + m * 60) * 1000 + (sec * 1000.0).round() as i64)
}

fn sentence_body(line: &str) -> &str {
    let l = line.trim_end();
    let l = l.strip_prefix(['$', '!']).unwrap_or(l);
    match l.rfind('*') {
        Some(i) if l.len() - i <= 3 => &l[..i],
        _ => l,
    }
}

/// Parse a gpsd `.chk` file.
pub fn parse_chk(text: &str) -> Vec<ChkEntry> {
    let mut out: Vec<ChkEntry> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with('{') {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if v.get("class").and_then(|c| c.as_str()) != Some("TPV") {
                continue;
            }
            let tpv = GpsdTpv {
                mode: v.get("mode").and_then(|m| m.as_u64()).unwrap_or(0) as u8,
                status: v.get("status").and_then(|m| m.as_u64()).map(|s| s as u8),
                time_ms: v
                    .get("time")
                    .and_then(|t| t.as_str())
                    .and_then(parse_iso_ms),
                lat: v.get("lat").and_then(|x| x.as_f64()),
                lon: v.get("lon").and_then(|x| x.as_f64()),
            };
            if let Some(last) = out.last_mut() {
                last.tpvs.push(tpv);
            }
        } else if !line.is_empty() && !line.starts_with('#') {
            out.push(ChkEntry {
                echo: sentence_body(line).to_string(),
                tpvs: Vec::new(),
            });
        }
    }
    out
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
    /// Per field, in the order of [`FIELDS`].
    pub fields: [FieldTally; 4],
    /// Rule-covered differences by rule.
    pub rules: BTreeMap<String, u64>,
    /// First few unexplained differences, for the humans.
    pub examples: Vec<String>,
}

impl Agreement {
    /// Sum of all fields.
    pub fn overall(&self) -> FieldTally {
        let mut t = FieldTally::default();
        for f in &self.fields {
            t.add(f);
        }
        t
    }

    /// Add another log's agreement.
    pub fn merge(&mut self, o: &Agreement) {
        self.tpv_reports += o.tpv_reports;
        self.aligned += o.aligned;
        for (a, b) in self.fields.iter_mut().zip(o.fields.iter()) {
            a.add(b);
        }
        for (k, v) in &o.rules {
            *self.rules.entry(k.clone()).or_default() += v;
        }
    }
}

/// Result of decoding one capture.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaptureReport {
    /// Pipeline counters.
    pub stats: GnssStats,
    /// Observations decoded.
    pub observations: u64,
    /// Share of observations after which the fix was valid, percent.
    pub valid_fix_share: f64,
    /// Distinct fixes, in order (consecutive duplicates dropped).
    pub fixes: Vec<Fix>,
    /// Agreement with gpsd, when a `.chk` was given.
    pub agreement: Option<Agreement>,
}

fn rule_for(fix: &Fix) -> Option<&'static str> {
    let r = fix.quality_rejected.as_deref()?;
    if r.starts_with("simulator") {
        Some(RULE_SIMULATED)
    } else if r.starts_with("manual") {
        Some(RULE_MANUAL)
    } else if r.contains("GGA quality") || r.contains("mode N") {
        Some(RULE_RECEIVER_NO_FIX)
    } else {
        None
    }
}

struct Comparer {
    agreement: Agreement,
    /// Per field: did the previous comparison agree?
    last_ok: [bool; 4],
}

impl Comparer {
    fn compare(&mut self, body: &str, decoded: bool, fix: &Fix, tpv: &GpsdTpv) {
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
            let tally = &mut a.fields[i];
            tally.compared += 1;
            if ok {
                tally.agree += 1;
                self.last_ok[i] = true;
                continue;
            }
            let rollover = i == 3
                && matches!((tpv.time_ms, fix.gnss_utc_ms), (Some(g), Some(o)) if g - o == WEEK_ROLLOVER_MS);
            let rule = rollover
                .then_some(RULE_WEEK_ROLLOVER)
                .or_else(|| (tpv.mode == 0 && i < 2).then_some(RULE_CYCLE_CLEARED))
                .or_else(|| rule_for(fix).filter(|_| gpsd_fix && !fix.valid))
                .or_else(|| (!decoded && self.last_ok[i]).then_some(RULE_UNUSED_SENTENCE));
            match rule {
                Some(r) => {
                    tally.by_rule += 1;
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

/// Decode a capture (raw bytes of a `.log` or a live recording) and, with
/// gpsd's `.chk` text, compare.
pub fn check_capture(log: &[u8], chk: Option<&str>) -> CaptureReport {
    let entries = chk.map(parse_chk).unwrap_or_default();
    let mut cmp = Comparer {
        agreement: Agreement {
            tpv_reports: entries.iter().map(|e| e.tpvs.len() as u64).sum(),
            ..Agreement::default()
        },
        last_ok: [true; 4],
    };
    let mut cursor = 0usize;
    let mut feed = GnssFeed::default();
    let mut fixes: Vec<Fix> = Vec::new();
    let mut on_event = |ev: FeedEvent<'_>, tracker: &FixTracker| {
        let (body, decoded) = match ev {
            FeedEvent::Decoded { body, .. } => (body, true),
            FeedEvent::Skipped { body } => (body, false),
            FeedEvent::Rejected(_) => return,
        };
        let fix = tracker.fix();
        if decoded && fixes.last() != Some(&fix) {
            fixes.push(fix.clone());
        }
        let end = (cursor + ALIGN_LOOKAHEAD).min(entries.len());
        if let Some(j) = entries[cursor..end].iter().position(|e| e.echo == body) {
            let j = cursor + j;
            for tpv in &entries[j].tpvs {
                cmp.compare(body, decoded, &fix, tpv);
            }
            cursor = j + 1;
        }
    };
    // Comment lines of a corpus log are not receiver output.
    for line in log.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'#') {
            continue;
        }
        feed.push_observed(line, 0, &mut on_event);
    }
    let observations = feed.tracker().stats().observations;
    let valid = feed.tracker().stats().valid_observations;
    CaptureReport {
        stats: feed.stats(),
        observations,
        valid_fix_share: if observations == 0 {
            0.0
        } else {
            100.0 * valid as f64 / observations as f64
        },
        fixes,
        agreement: chk.map(|_| cmp.agreement),
    }
}

/// A per-log table (and total line) for the conformance test and `nmea-check`.
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
        let _ = writeln!(
            out,
            "{:<36} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}",
            name,
            a.aligned,
            a.fields[0].percent(),
            a.fields[1].percent(),
            a.fields[2].percent(),
            a.fields[3].percent(),
            a.fields.iter().map(|f| f.by_rule).sum::<u64>()
        );
    }
    let _ = writeln!(out, "{}", "-".repeat(90));
    let _ = writeln!(
        out,
        "{:<36} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  overall {:.3}%",
        "TOTAL",
        total.aligned,
        total.fields[0].percent(),
        total.fields[1].percent(),
        total.fields[2].percent(),
        total.fields[3].percent(),
        total.overall().percent()
    );
    for (i, f) in total.fields.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:<9} compared {:>6}  agree {:>6}  disagree {:>4}  rule-covered {:>4}",
            FIELDS[i],
            f.compared,
            f.agree,
            f.disagree(),
            f.by_rule
        );
    }
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
    fn iso_time() {
        assert_eq!(
            parse_iso_ms("2001-06-06T22:53:08.000Z"),
            Some(991_867_988_000)
        );
        assert_eq!(parse_iso_ms("1970-01-01T00:00:01.5Z"), Some(1500));
    }

    #[test]
    fn chk_parse_attaches_reports_to_echo() {
        let chk = "$GPRMC,1*00\n{\"class\":\"TPV\",\"mode\":2,\"lat\":1.5,\"lon\":2.5}\n{\"class\":\"SKY\"}\n$GPGSV,2*11\n";
        let e = parse_chk(chk);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].echo, "GPRMC,1");
        assert_eq!(e[0].tpvs.len(), 1);
        assert_eq!(e[0].tpvs[0].lat, Some(1.5));
        assert!(e[1].tpvs.is_empty());
    }
}
