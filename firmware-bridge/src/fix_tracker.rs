//! Observations to the current fix. Pure: the caller passes "now" (unix ms of
//! the system clock) with every call, so tests pin time and nothing here
//! reads a clock.
//!
//! Mode derivation follows gpsd's NMEA driver closely (so the conformance
//! check can hold us to gpsd's record); validity is our own, stricter rule,
//! judged per epoch (one UTC time of day): the epoch's latest status
//! statement (RMC status `A` / GGA quality 1-6 / a GNS mode with any
//! constellation fixed / GLL `A`) must say "fix", no sentence of the epoch may
//! say "simulator" (GGA 8, mode `S`) or "manual input" (GGA 7, mode `M`), and
//! there must be a 2D/3D mode and a position. Every reason is cleared when a
//! new epoch starts. Dates outside the [`YearWindow`] are refused before
//! anything is applied. Every epoch is also judged against the stream before
//! it ([`fix_continuity`](crate::fix_continuity)): time strictly increasing,
//! the date advancing only past midnight, GNSS time advancing with the
//! device's monotonic clock, a possible motion; a violation makes the epoch
//! not valid, naming the rule. See `docs/gnss.md`.

use serde::Serialize;

use crate::fix_continuity::{
    Continuity, ContinuityLimits, Inconsistency, PlacedFix, TimeMark, check_reported_speed,
};
use crate::geo_position::Position;
use crate::nmea_date::NmeaDate;
use crate::nmea_sentences::{Decoded, Gga, Gll, Gns, Gsa, Observation, Rmc};
use crate::time_of_day::{DAY_MS, TimeOfDayMs};
use crate::year_window::{YearOutOfWindow, YearWindow};

/// Fix geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub enum FixMode {
    /// No fix.
    #[default]
    NoFix,
    /// Two-dimensional fix (no usable altitude).
    TwoD,
    /// Three-dimensional fix.
    ThreeD,
}

impl FixMode {
    /// gpsd's numbering: 1 no fix, 2 2D, 3 3D.
    pub fn gpsd_mode(self) -> u8 {
        match self {
            FixMode::NoFix => 1,
            FixMode::TwoD => 2,
            FixMode::ThreeD => 3,
        }
    }
}

/// The current fix as the evidence layer needs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    /// True when the receiver reports a real (not simulated or manual) fix.
    pub valid: bool,
    /// Geometry as reported/derived.
    pub mode: FixMode,
    /// Latitude, degrees (None without a fix).
    pub lat_deg: Option<f64>,
    /// Longitude, degrees (None without a fix).
    pub lon_deg: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub alt_m: Option<f64>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Satellites used.
    pub satellites: Option<u8>,
    /// GNSS UTC time, unix ms, from the RMC date and the latest time of day
    /// (`None` when that time does not hold together with the stream).
    pub gnss_utc_ms: Option<i64>,
    /// Talker id of the sentence that last set the position/mode.
    pub talker: String,
    /// Why a reported position is not valid evidence, e.g. `simulator (GGA quality 8)`.
    pub quality_rejected: Option<String>,
}

/// Tracker counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TrackerStats {
    /// Observations applied.
    pub observations: u64,
    /// Observations after which the fix was valid.
    pub valid_observations: u64,
}

/// What the tracker knows, with ages relative to a given "now".
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerView {
    /// Current fix, if any sentence has been seen.
    pub current: Option<Fix>,
    /// Age of the current fix (since the last sentence that updated it).
    pub current_age_ms: Option<i64>,
    /// Last valid fix.
    pub last_valid: Option<Fix>,
    /// Age of the last valid fix.
    pub last_valid_age_ms: Option<i64>,
    /// System clock minus GNSS time, measured at the last valid timed fix.
    pub clock_skew_ms: Option<i64>,
    /// How far the current epoch's GNSS time lags the device's monotonic
    /// clock (0 when it keeps up); `None` without a device clock or a date.
    /// Counted in `current_age_ms`.
    pub gnss_time_age_ms: Option<i64>,
}

/// What the receiver has said about the current epoch (one UTC time of day).
/// Cleared when a sentence brings a new time of day: no reason outlives the
/// epoch that produced it.
#[derive(Debug, Clone, Default)]
struct Epoch {
    /// The epoch's time of day.
    tod: Option<TimeOfDayMs>,
    /// Simulator / manual input, sticky for the epoch.
    flag: Option<String>,
    /// The latest status statement of the epoch: `Ok` the receiver says it
    /// has a fix, `Err(why)` it says it has none; `None` nothing said yet.
    status: Option<Result<(), String>>,
    /// Device monotonic clock at the epoch's first sentence.
    mono_ms: Option<i64>,
    /// The epoch does not hold together with the stream before it.
    /// With its message, formatted once (`fix()` runs after every sentence).
    inconsistent: Option<(Inconsistency, String)>,
    /// The epoch's time has been judged (a fix sentence brought it; a ZDA
    /// alone does not).
    judged: bool,
}

/// Turns observations into the current [`Fix`].
#[derive(Debug, Clone, Default)]
pub struct FixTracker {
    mode: FixMode,
    /// Why `mode` is `NoFix` (derived, e.g. too few satellites in GGA);
    /// cleared whenever a sentence sets a 2D/3D mode.
    mode_reason: Option<String>,
    position: Option<Position>,
    alt_m: Option<f64>,
    alt_held: bool,
    hdop: Option<f64>,
    satellites: Option<u8>,
    gsa_used: Vec<u16>,
    prev_was_gsa: bool,
    last_gga: Option<(String, String)>,
    latched: bool,
    date: Option<NmeaDate>,
    /// Latest time of day seen (the epoch's, kept across epochs).
    last_tod: Option<TimeOfDayMs>,
    epoch: Epoch,
    talker: String,
    seen: bool,
    updated_at_ms: Option<i64>,
    last_valid: Option<(Fix, i64)>,
    skew_ms: Option<i64>,
    years: YearWindow,
    stats: TrackerStats,
    continuity: Continuity,
    /// Monotonic clock of the observation being applied.
    mono_now: Option<i64>,
}

fn faa_flag(m: Option<u8>, what: &str) -> Option<String> {
    match m {
        Some(b'S') => Some(format!("simulator ({what} mode S)")),
        Some(b'M') => Some(format!("manual input ({what} mode M)")),
        _ => None,
    }
}

/// GNS mode letters that mean "this constellation has a fix".
fn gns_fix_letter(m: u8) -> bool {
    matches!(m, b'A' | b'D' | b'P' | b'R' | b'F' | b'E' | b'M' | b'S')
}

impl FixTracker {
    /// Empty tracker accepting the live terminal's years ([`YearWindow::live`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Empty tracker accepting dates in `years`.
    pub fn with_years(years: YearWindow) -> Self {
        Self {
            years,
            ..Self::default()
        }
    }

    /// The same tracker judging continuity with `limits`.
    pub fn with_limits(mut self, limits: ContinuityLimits) -> Self {
        self.continuity = Continuity::new(limits);
        self
    }

    /// A documented reset (the serial link (re)connected): the next epoch is
    /// judged on its own, not against the fixes before.
    pub fn restart_stream(&mut self) {
        self.continuity.restart();
        self.epoch = Epoch::default();
    }

    /// The accepted years.
    pub fn years(&self) -> YearWindow {
        self.years
    }

    /// The terminal's trusted clock (never running backwards) reads `unix_ms`:
    /// a live year window re-anchors on it.
    pub fn note_trusted_time(&mut self, unix_ms: i64) {
        if let Some(d) = NmeaDate::from_days(unix_ms.div_euclid(DAY_MS)) {
            self.years.note_trusted_year(d.year);
        }
    }

    /// Counters.
    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// A sentence brings a time of day (and maybe a date). `judged`: the
    /// time is a fix's time, held to the stream's continuity (ZDA is not:
    /// some receivers print it seconds ahead of their fixes, e.g. ac12).
    fn set_time(&mut self, tod: Option<TimeOfDayMs>, date: Option<NmeaDate>, judged: bool) {
        let Some(tod) = tod else { return };
        let new_epoch = self.epoch.tod != Some(tod);
        let old_date = self.date;
        match date {
            Some(d) => self.date = Some(d),
            None => {
                if let (Some(prev), Some(d)) = (self.tod(), self.date) {
                    // The nearest reading of an undated time of day: more
                    // than half a day earlier is the next day (midnight
                    // passed before the next RMC brought the new date), more
                    // than half a day later the previous day (a step back).
                    let step = i64::from(tod) - i64::from(prev);
                    let days = if step < -DAY_MS / 2 {
                        1
                    } else if step > DAY_MS / 2 {
                        -1
                    } else {
                        0
                    };
                    if days != 0 {
                        self.date = NmeaDate::from_days(d.days_since_epoch() + days)
                            .filter(|n| self.years.check(n.year).is_ok());
                    }
                }
            }
        }
        self.last_tod = Some(tod);
        if new_epoch {
            // A new epoch: every reason of the old one is re-derived.
            self.epoch = Epoch {
                tod: Some(tod),
                mono_ms: self.mono_now,
                ..Epoch::default()
            };
        }
        // A fix sentence judges its epoch's time once; any later change of
        // the date within a judged epoch (whatever the sentence) is judged too.
        let date_moved = self.epoch.judged && self.date != old_date;
        if (judged && !self.epoch.judged) || date_moved {
            if let Err(e) = self.continuity.judge_time(self.epoch_mark(tod)) {
                self.inconsistent(e);
            }
            self.epoch.judged = true;
        }
    }

    fn epoch_mark(&self, tod: TimeOfDayMs) -> TimeMark {
        TimeMark {
            day: self.date.map(|d| d.days_since_epoch()),
            tod_ms: i64::from(tod),
            mono_ms: self.epoch.mono_ms,
        }
    }

    fn inconsistent(&mut self, e: Inconsistency) {
        if self.epoch.inconsistent.is_none() {
            self.epoch.inconsistent = Some((e, e.to_string()));
        }
    }

    fn tod(&self) -> Option<TimeOfDayMs> {
        self.last_tod
    }

    fn gnss_utc_ms(&self) -> Option<i64> {
        let d = self.date?;
        d.days_since_epoch()
            .checked_mul(DAY_MS)?
            .checked_add(i64::from(self.tod()?))
    }

    /// Set a 2D/3D mode, but (like gpsd) do not drop from 3D to 2D while an
    /// altitude from a timed fix is held: receivers print 2D-ish sentences
    /// (RMC, a thin GGA) inside a 3D cycle.
    fn set_mode(&mut self, new: FixMode) {
        let hold = self.mode == FixMode::ThreeD && new == FixMode::TwoD && self.alt_held;
        if !hold {
            self.mode = new;
        }
        if self.mode != FixMode::NoFix {
            self.mode_reason = None;
        }
    }

    fn no_fix(&mut self, why: &str) {
        self.mode = FixMode::NoFix;
        self.mode_reason = Some(why.to_string());
    }

    fn note_alt(&mut self, alt: Option<f64>) {
        self.alt_m = alt;
        if alt.is_some() && self.tod().is_some() {
            self.alt_held = true;
        }
    }

    fn flag_epoch(&mut self, flag: Option<String>) {
        if flag.is_some() {
            self.epoch.flag = flag;
        }
    }

    fn status(&mut self, s: Result<(), String>) {
        self.epoch.status = Some(s);
    }

    /// The date a sentence would apply, checked against the accepted years.
    fn check_years(&self, d: &Decoded) -> Result<(), YearOutOfWindow> {
        let date = match &d.observation {
            // gpsd (and we) take the date from RMC only with status A.
            Observation::Rmc(r) if r.status == b'A' => r.date,
            Observation::Zda(z) => z.date,
            _ => None,
        };
        match date {
            Some(date) => self.years.check(date.year),
            None => Ok(()),
        }
    }

    /// Apply one decoded sentence received at system time `now_ms`, without
    /// a monotonic clock (a recording: GNSS time is not judged against the
    /// device's clock). See [`FixTracker::observe_at`].
    pub fn observe(&mut self, d: &Decoded, now_ms: i64) -> Result<(), YearOutOfWindow> {
        self.observe_at(d, now_ms, None)
    }

    /// Apply one decoded sentence received at system time `now_ms` and
    /// device monotonic time `mono_ms`. A sentence whose date lies outside
    /// the accepted years changes nothing and is returned as an error (the
    /// feed counts it).
    pub fn observe_at(
        &mut self,
        d: &Decoded,
        now_ms: i64,
        mono_ms: Option<i64>,
    ) -> Result<(), YearOutOfWindow> {
        self.check_years(d)?;
        self.mono_now = mono_ms;
        self.seen = true;
        self.stats.observations += 1;
        let is_gsa = matches!(d.observation, Observation::Gsa(_));
        match &d.observation {
            Observation::Rmc(r) => self.rmc(r, &d.talker),
            Observation::Gga(g) => self.gga(g, &d.talker),
            Observation::Gns(g) => self.gns(g, &d.talker),
            Observation::Gsa(g) => self.gsa(g),
            Observation::Gll(g) => self.gll(g, &d.talker),
            Observation::Zda(z) => self.set_time(z.time, z.date, false),
            Observation::Vtg(_) => {}
        }
        self.prev_was_gsa = is_gsa;
        if !matches!(d.observation, Observation::Vtg(_) | Observation::Zda(_)) {
            self.updated_at_ms = Some(now_ms);
        }
        let mut fix = self.fix();
        if fix.valid
            && let (Some(position), Some(tod)) = (self.position, self.tod())
        {
            let placed = PlacedFix {
                time: self.epoch_mark(tod),
                position,
                hdop: self.hdop,
            };
            if let Err(e) = self.continuity.judge_fix(placed) {
                self.inconsistent(e);
                fix = self.fix();
            }
        }
        if fix.valid {
            self.stats.valid_observations += 1;
            if let Some(t) = fix.gnss_utc_ms {
                self.skew_ms = now_ms.checked_sub(t);
            }
            self.last_valid = Some((fix, now_ms));
        }
        Ok(())
    }

    fn rmc(&mut self, r: &Rmc, talker: &str) {
        if r.status != b'A' {
            self.position = None;
            self.no_fix("no fix (RMC status V)");
            self.status(Err("no fix (RMC status V)".into()));
            self.flag_epoch(faa_flag(r.faa_mode, "RMC"));
            return;
        }
        // gpsd takes time from RMC only together with a valid date.
        if r.date.is_some() {
            self.set_time(r.time, r.date, true);
        }
        self.flag_epoch(faa_flag(r.faa_mode, "RMC"));
        self.talker = talker.to_string();
        let Some(p) = r.position else {
            self.position = None;
            self.no_fix("no position in RMC");
            self.status(Err("no position in RMC".into()));
            return;
        };
        self.position = Some(p);
        let mode =
            if self.gsa_used.len() > 3 || self.alt_m.is_some() || self.mode == FixMode::ThreeD {
                FixMode::ThreeD
            } else {
                FixMode::TwoD
            };
        self.set_mode(mode);
        self.status(match r.faa_mode {
            Some(b'N') => Err("data not valid (RMC mode N)".into()),
            Some(b'V') => Err("data not valid (RMC mode V)".into()),
            _ => Ok(()),
        });
        if let Some(Err(e)) = r
            .speed_knots
            .map(|k| check_reported_speed(k, self.continuity.limits()))
        {
            self.inconsistent(e);
        }
    }

    fn gga(&mut self, g: &Gga, talker: &str) {
        let key = (talker.to_string(), g.raw_time.clone());
        // A GGA repeating the previous GGA's time stamp means a stale,
        // latched fix (gpsd does the same).
        self.latched = self.last_gga.as_ref().is_some_and(|k| *k == key);
        self.last_gga = Some(key);
        self.set_time(g.time, None, true);
        self.satellites = g.satellites;
        if let Some(h) = g.hdop.filter(|h| (0.01..=89.99).contains(h)) {
            self.hdop = Some(h);
        }
        self.talker = talker.to_string();
        let (status, flag) = match g.quality {
            Some(1..=6) => (Ok(()), None),
            Some(0) => (Err("no fix (GGA quality 0)".to_string()), None),
            Some(7) => (Ok(()), Some("manual input (GGA quality 7)".to_string())),
            Some(8) => (Ok(()), Some("simulator (GGA quality 8)".to_string())),
            Some(q) => (Err(format!("unknown GGA quality {q}")), None),
            None => (Err("GGA quality missing".to_string()), None),
        };
        self.flag_epoch(flag);
        if self.latched {
            self.no_fix("GGA time stamp not advancing");
            self.status(Err("GGA time stamp not advancing".into()));
            return;
        }
        let says_fix = status.is_ok();
        self.status(status);
        match g.position {
            Some(p) if says_fix => {
                self.position = Some(p);
                self.note_alt(g.alt_m);
                let mode = if g.alt_m.is_some() && g.satellites.unwrap_or(0) >= 4 {
                    FixMode::ThreeD
                } else {
                    FixMode::TwoD
                };
                self.set_mode(mode);
                // gpsd's heuristic: a GP/GN GGA with fewer than 3 satellites
                // used is no fix. It only sets the mode: a GSA (or any later
                // sentence) of the same epoch that reports a fix overrides
                // it, as some receivers send "00" here (Furuno, Haicom).
                let gp_or_gn = talker == "GP" || talker == "GN";
                if gp_or_gn && g.satellites.unwrap_or(0) < 3 {
                    self.no_fix("fewer than 3 satellites used (GGA)");
                }
            }
            Some(_) => {
                self.position = None;
                self.alt_m = None;
                self.no_fix("no fix in GGA");
            }
            None => {
                self.position = None;
                self.alt_m = None;
                self.no_fix("no position in GGA");
                if says_fix {
                    self.status(Err("no position in GGA".into()));
                }
            }
        }
    }

    fn gns(&mut self, g: &Gns, talker: &str) {
        self.set_time(g.time, None, true);
        // One mode letter per constellation (GPS, GLONASS, Galileo, BeiDou,
        // QZSS, NavIC): a fix when any of them has one.
        if !g.modes.bytes().any(gns_fix_letter) {
            self.position = None;
            self.no_fix("no fix (GNS mode N)");
            self.status(Err("no fix (GNS mode N)".into()));
            return;
        }
        // NMEA 4.1 navigational status: `V` not valid (gpsd: no fix), `U`
        // unsafe (not evidence either; gpsd keeps the fix, rule D10).
        if let Some(s @ (b'U' | b'V')) = g.nav_status {
            let why = format!("no valid fix (GNS navigational status {})", char::from(s));
            self.position = None;
            self.no_fix(&why);
            self.status(Err(why));
            return;
        }
        self.talker = talker.to_string();
        let flag = g.modes.bytes().find_map(|m| faa_flag(Some(m), "GNS"));
        self.flag_epoch(flag);
        self.satellites = g.satellites;
        if let Some(h) = g.hdop.filter(|h| (0.01..=89.99).contains(h)) {
            self.hdop = Some(h);
        }
        match g.position {
            Some(p) => {
                self.position = Some(p);
                self.note_alt(g.alt_m);
                let mode = if g.alt_m.is_some() && g.satellites.unwrap_or(0) > 3 {
                    FixMode::ThreeD
                } else {
                    FixMode::TwoD
                };
                self.set_mode(mode);
                self.status(Ok(()));
            }
            None => {
                self.position = None;
                self.no_fix("no position in GNS");
                self.status(Err("no position in GNS".into()));
            }
        }
    }

    fn gsa(&mut self, g: &Gsa) {
        if !self.prev_was_gsa {
            self.gsa_used.clear();
        }
        for &id in &g.used {
            if !self.gsa_used.contains(&id) && self.gsa_used.len() < 64 {
                self.gsa_used.push(id);
            }
        }
        if let Some(h) = g.hdop.filter(|h| (0.01..=89.99).contains(h)) {
            self.hdop = Some(h);
        }
        if self.latched {
            return;
        }
        match g.fix_type {
            Some(1) => self.no_fix("no fix (GSA fix type 1)"),
            Some(2) => self.set_mode(FixMode::TwoD),
            Some(3) => self.set_mode(FixMode::ThreeD),
            _ => {}
        }
    }

    fn gll(&mut self, g: &Gll, talker: &str) {
        self.set_time(g.time, None, true);
        match (g.status, g.faa_mode, g.position) {
            (Some(b'A'), faa, Some(p)) if !matches!(faa, Some(b'N' | b'V')) => {
                self.talker = talker.to_string();
                self.flag_epoch(faa_flag(faa, "GLL"));
                self.position = Some(p);
                if self.alt_m.is_some() || self.gsa_used.len() > 3 {
                    self.set_mode(FixMode::ThreeD);
                } else if self.mode < FixMode::TwoD {
                    self.set_mode(FixMode::TwoD);
                }
                self.status(Ok(()));
            }
            _ => {
                self.position = None;
                self.no_fix("no fix (GLL status V or mode N)");
                self.status(Err("no fix (GLL status V or mode N)".into()));
            }
        }
    }

    /// Why the current state is not evidence, if it is not.
    fn rejection(&self) -> Option<String> {
        if let Some(f) = &self.epoch.flag {
            return Some(f.clone());
        }
        // Before the receiver's own status: a time that went back stays the
        // reason through no-fix epochs too (a receiver after a reboot).
        if let Some((_, why)) = &self.epoch.inconsistent {
            return Some(why.clone());
        }
        match &self.epoch.status {
            Some(Err(why)) => return Some(why.clone()),
            None => return Some("no fix status yet in this epoch".into()),
            Some(Ok(())) => {}
        }
        if self.mode == FixMode::NoFix {
            return Some(
                self.mode_reason
                    .clone()
                    .unwrap_or_else(|| "no fix".to_string()),
            );
        }
        if self.position.is_none() {
            return Some("no position".into());
        }
        None
    }

    /// The current fix (also when there is none: `valid` false, mode `NoFix`).
    pub fn fix(&self) -> Fix {
        let rejected = self.rejection();
        let valid = rejected.is_none();
        Fix {
            valid,
            mode: self.mode,
            lat_deg: self
                .position
                .filter(|_| self.mode != FixMode::NoFix)
                .map(|p| p.lat_deg),
            lon_deg: self
                .position
                .filter(|_| self.mode != FixMode::NoFix)
                .map(|p| p.lon_deg),
            alt_m: self.alt_m.filter(|_| self.mode == FixMode::ThreeD),
            hdop: self.hdop,
            satellites: self.satellites,
            // A time that does not hold together with the stream is no
            // time at all: never recorded, never compared with the clock.
            gnss_utc_ms: self.gnss_utc_ms().filter(|_| {
                !self
                    .epoch
                    .inconsistent
                    .as_ref()
                    .is_some_and(|(e, _)| e.is_about_time())
            }),
            talker: self.talker.clone(),
            quality_rejected: rejected,
        }
    }

    /// Current fix, last valid fix, their ages and the clock skew at system
    /// time `now_ms`, without a monotonic clock (see [`FixTracker::view_at`]).
    pub fn view(&self, now_ms: i64) -> TrackerView {
        self.view_at(now_ms, None)
    }

    /// The view at system time `now_ms` and monotonic time `mono_ms`: the
    /// current fix's age is the later of its arrival age and how far its
    /// GNSS time lags the monotonic clock, so a receiver repeating an old
    /// time is stale whenever its sentences arrive.
    pub fn view_at(&self, now_ms: i64, mono_ms: Option<i64>) -> TrackerView {
        let gnss_time_age_ms = match (mono_ms, self.tod()) {
            (Some(mono), Some(tod)) => self.continuity.gnss_age_ms(&self.epoch_mark(tod), mono),
            _ => None,
        };
        let arrival_age = self.updated_at_ms.map(|t| now_ms.saturating_sub(t));
        TrackerView {
            current: self.seen.then(|| self.fix()),
            current_age_ms: arrival_age.map(|a| a.max(gnss_time_age_ms.unwrap_or(0))),
            gnss_time_age_ms,
            last_valid: self.last_valid.as_ref().map(|(f, _)| f.clone()),
            last_valid_age_ms: self
                .last_valid
                .as_ref()
                .map(|(_, t)| now_ms.saturating_sub(*t)),
            clock_skew_ms: self.skew_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nmea_decode::NmeaDecoder;

    fn feed(t: &mut FixTracker, body: &str, now: i64) {
        let d = NmeaDecoder::default().decode(body).expect("decodes");
        t.observe(&d, now).expect("date in the accepted years");
    }

    #[test]
    fn rmc_then_gga_gives_valid_3d_fix_with_time() {
        let mut t = FixTracker::with_years(YearWindow::historic());
        feed(
            &mut t,
            "GPRMC,225308,A,4527.458,S,16709.165,E,000.0,094.5,060601,024.1,E",
            1000,
        );
        let f = t.fix();
        assert!(f.valid);
        assert_eq!(f.mode, FixMode::TwoD);
        feed(
            &mut t,
            "GPGGA,225308,4527.458,S,16709.165,E,1,05,2.1,14.7,M,1.1,M,,",
            1100,
        );
        let f = t.fix();
        assert_eq!(f.mode, FixMode::ThreeD);
        assert_eq!(f.gnss_utc_ms, Some(991_867_988_000));
        assert_eq!(f.satellites, Some(5));
        assert_eq!(f.alt_m, Some(14.7));
        let v = t.view(5100);
        assert_eq!(v.current_age_ms, Some(4000));
        assert_eq!(v.clock_skew_ms, Some(1100 - 991_867_988_000));
    }

    #[test]
    fn simulator_and_manual_are_never_valid() {
        let mut t = FixTracker::with_years(YearWindow::historic());
        feed(
            &mut t,
            "GPGGA,125106,3854.5087,N,07726.4523,W,8,10,2.0,268.8,M,-33.9,M,,",
            0,
        );
        let f = t.fix();
        assert!(!f.valid);
        assert_eq!(f.mode, FixMode::ThreeD);
        assert_eq!(
            f.quality_rejected.as_deref(),
            Some("simulator (GGA quality 8)")
        );
        feed(
            &mut t,
            "GPGGA,125107,3854.5087,N,07726.4523,W,7,10,2.0,268.8,M,-33.9,M,,",
            0,
        );
        assert!(!t.fix().valid);
        assert!(t.view(0).last_valid.is_none());
    }

    #[test]
    fn lost_fix_keeps_last_valid() {
        let mut t = FixTracker::with_years(YearWindow::historic());
        feed(
            &mut t,
            "GPRMC,225308,A,4527.458,S,16709.165,E,000.0,094.5,060601,024.1,E",
            1000,
        );
        feed(&mut t, "GPRMC,225309,V,,,,,,,060601,,", 2000);
        let v = t.view(3000);
        let cur = v.current.expect("current");
        assert!(!cur.valid);
        assert_eq!(cur.lat_deg, None);
        assert!(v.last_valid.expect("last valid").valid);
        assert_eq!(v.last_valid_age_ms, Some(2000));
    }

    #[test]
    fn a_date_outside_the_live_window_changes_nothing() {
        let mut t = FixTracker::new();
        let d = NmeaDecoder::default()
            .decode("GPRMC,225308,A,4527.458,S,16709.165,E,000.0,094.5,060601,024.1,E")
            .expect("decodes");
        let e = t.observe(&d, 0).expect_err("2001 is before the build");
        assert_eq!(e.year, 2001);
        assert!(t.view(0).current.is_none());
        assert_eq!(t.stats().observations, 0);
    }

    #[test]
    fn midnight_rollover_without_new_rmc() {
        let mut t = FixTracker::with_years(YearWindow::historic());
        feed(
            &mut t,
            "GPRMC,235959,A,4527.458,S,16709.165,E,0,0,311299,,",
            0,
        );
        feed(
            &mut t,
            "GPGGA,000000,4527.458,S,16709.165,E,1,05,2.1,14.7,M,1.1,M,,",
            0,
        );
        assert_eq!(t.fix().gnss_utc_ms, Some(946_684_800_000));
    }
}
