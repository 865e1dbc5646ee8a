//! Observations to the current fix. Pure: the caller passes "now" (unix ms of
//! the system clock) with every call, so tests pin time and nothing here
//! reads a clock.
//!
//! Mode derivation follows gpsd's NMEA driver closely (so the conformance
//! check can hold us to gpsd's record); validity is our own, stricter rule:
//! a fix is valid only with RMC status `A` / GGA quality 1-6 / a GNS or GLL
//! mode that is not `N`, and never when any sentence of the same epoch says
//! "simulator" (GGA 8, FAA `S`) or "manual input" (GGA 7, FAA `M`).
//! See `docs/gnss.md`.

use serde::Serialize;

use crate::nmea_decode::{Decoded, NmeaDate, Observation, Position, TimeOfDayMs};

const DAY_MS: i64 = 86_400_000;

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
    /// GNSS UTC time, unix ms, from the RMC date and the latest time of day.
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
}

/// Turns observations into the current [`Fix`].
#[derive(Debug, Clone, Default)]
pub struct FixTracker {
    mode: FixMode,
    position: Option<Position>,
    alt_m: Option<f64>,
    alt_held: bool,
    hdop: Option<f64>,
    satellites: Option<u8>,
    gga_sats: Option<u8>,
    gsa_used: Vec<u16>,
    prev_was_gsa: bool,
    last_gga: Option<(String, String)>,
    latched: bool,
    date: Option<NmeaDate>,
    tod: Option<TimeOfDayMs>,
    /// Sticky for the epoch: simulator / manual input.
    epoch_flag: Option<String>,
    /// From the latest status-bearing sentence: why there is no fix.
    status_reason: Option<String>,
    talker: String,
    seen: bool,
    updated_at_ms: Option<i64>,
    last_valid: Option<(Fix, i64)>,
    skew_ms: Option<i64>,
    stats: TrackerStats,
}

fn faa_flag(m: Option<u8>, what: &str) -> Option<String> {
    match m {
        Some(b'S') => Some(format!("simulator ({what} mode S)")),
        Some(b'M') => Some(format!("manual input ({what} mode M)")),
        _ => None,
    }
}

impl FixTracker {
    /// Empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counters.
    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    fn set_time(&mut self, tod: Option<TimeOfDayMs>, date: Option<NmeaDate>) {
        let Some(tod) = tod else { return };
        if self.tod != Some(tod) {
            // A new epoch: simulator/manual flags belong to the old one.
            self.epoch_flag = None;
        }
        match date {
            Some(d) => self.date = Some(d),
            None => {
                if let (Some(prev), Some(d)) = (self.tod, self.date) {
                    // Midnight passed before the next RMC brought the new date.
                    if i64::from(prev) - i64::from(tod) > DAY_MS / 2 {
                        self.date = Some(NmeaDate::from_days(d.days_since_epoch() + 1));
                    }
                }
            }
        }
        self.tod = Some(tod);
    }

    fn gnss_utc_ms(&self) -> Option<i64> {
        let d = self.date?;
        Some(d.days_since_epoch() * DAY_MS + i64::from(self.tod?))
    }

    /// Set the mode, but (like gpsd) do not drop from 3D to 2D while an
    /// altitude from a timed fix is held: receivers print 2D-ish sentences
    /// (RMC, a thin GGA) inside a 3D cycle.
    fn set_mode(&mut self, new: FixMode) {
        let hold = self.mode == FixMode::ThreeD && new == FixMode::TwoD && self.alt_held;
        if !hold {
            self.mode = new;
        }
    }

    fn note_alt(&mut self, alt: Option<f64>) {
        self.alt_m = alt;
        if alt.is_some() && self.gnss_utc_ms().is_some() {
            self.alt_held = true;
        }
    }

    fn flag_epoch(&mut self, flag: Option<String>) {
        if flag.is_some() {
            self.epoch_flag = flag;
        }
    }

    /// Apply one decoded sentence received at system time `now_ms`.
    pub fn observe(&mut self, d: &Decoded, now_ms: i64) {
        self.seen = true;
        self.stats.observations += 1;
        let is_gsa = matches!(d.observation, Observation::Gsa(_));
        match &d.observation {
            Observation::Rmc(r) => self.rmc(r, &d.talker),
            Observation::Gga(g) => self.gga(g, &d.talker),
            Observation::Gns(g) => self.gns(g, &d.talker),
            Observation::Gsa(g) => self.gsa(g),
            Observation::Gll(g) => self.gll(g, &d.talker),
            Observation::Zda(z) => self.set_time(z.time, z.date),
            Observation::Vtg(_) => {}
        }
        self.prev_was_gsa = is_gsa;
        if !matches!(d.observation, Observation::Vtg(_) | Observation::Zda(_)) {
            self.updated_at_ms = Some(now_ms);
        }
        let fix = self.fix();
        if fix.valid {
            self.stats.valid_observations += 1;
            if let Some(t) = fix.gnss_utc_ms {
                self.skew_ms = Some(now_ms - t);
            }
            self.last_valid = Some((fix, now_ms));
        }
    }

    fn rmc(&mut self, r: &crate::nmea_decode::Rmc, talker: &str) {
        if r.status != b'A' {
            self.mode = FixMode::NoFix;
            self.position = None;
            self.status_reason = Some("no fix (RMC status V)".into());
            self.flag_epoch(faa_flag(r.faa_mode, "RMC"));
            return;
        }
        // gpsd takes time from RMC only together with a valid date.
        if r.date.is_some() {
            self.set_time(r.time, r.date);
        }
        self.flag_epoch(faa_flag(r.faa_mode, "RMC"));
        self.talker = talker.to_string();
        let Some(p) = r.position else {
            self.mode = FixMode::NoFix;
            self.position = None;
            self.status_reason = Some("no position in RMC".into());
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
        self.status_reason = match r.faa_mode {
            Some(b'N') => Some("data not valid (RMC mode N)".into()),
            _ => None,
        };
    }

    fn gga(&mut self, g: &crate::nmea_decode::Gga, talker: &str) {
        let key = (talker.to_string(), g.raw_time.clone());
        // A GGA repeating the previous GGA's time stamp means a stale,
        // latched fix (gpsd does the same).
        self.latched = self.last_gga.as_ref().is_some_and(|k| *k == key);
        self.last_gga = Some(key);
        self.set_time(g.time, None);
        self.gga_sats = g.satellites;
        self.satellites = g.satellites;
        if let Some(h) = g.hdop.filter(|h| (0.01..=89.99).contains(h)) {
            self.hdop = Some(h);
        }
        self.talker = talker.to_string();
        let (reason, flag) = match g.quality {
            Some(1..=6) => (None, None),
            Some(0) => (Some("no fix (GGA quality 0)".to_string()), None),
            Some(7) => (None, Some("manual input (GGA quality 7)".to_string())),
            Some(8) => (None, Some("simulator (GGA quality 8)".to_string())),
            Some(q) => (Some(format!("unknown GGA quality {q}")), None),
            None => (Some("GGA quality missing".to_string()), None),
        };
        self.flag_epoch(flag);
        self.status_reason = reason;
        if self.latched {
            self.mode = FixMode::NoFix;
            self.status_reason = Some("GGA time stamp not advancing".into());
            return;
        }
        match g.position {
            Some(p) if self.status_reason.is_none() => {
                self.position = Some(p);
                self.note_alt(g.alt_m);
                let mode = if g.alt_m.is_some() && g.satellites.unwrap_or(0) >= 4 {
                    FixMode::ThreeD
                } else {
                    FixMode::TwoD
                };
                self.set_mode(mode);
                let gp_or_gn = talker == "GP" || talker == "GN";
                if gp_or_gn && g.satellites.unwrap_or(0) < 3 {
                    self.mode = FixMode::NoFix;
                    self.status_reason = Some("fewer than 3 satellites used (GGA)".into());
                }
            }
            _ => {
                self.mode = FixMode::NoFix;
                self.position = None;
                self.alt_m = None;
                if self.status_reason.is_none() {
                    self.status_reason = Some("no position in GGA".into());
                }
            }
        }
    }

    fn gns(&mut self, g: &crate::nmea_decode::Gns, talker: &str) {
        self.set_time(g.time, None);
        let first = g.modes.as_bytes().first().copied();
        if first.is_none() || first == Some(b'N') {
            self.mode = FixMode::NoFix;
            self.position = None;
            self.status_reason = Some("no fix (GNS mode N)".into());
            return;
        }
        if matches!(g.nav_status, Some(b'U' | b'V')) {
            return;
        }
        self.talker = talker.to_string();
        let flag = g.modes.bytes().find_map(|m| faa_flag(Some(m), "GNS"));
        self.flag_epoch(flag);
        self.satellites = g.satellites;
        if let Some(h) = g.hdop {
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
                self.status_reason = None;
            }
            None => {
                self.mode = FixMode::NoFix;
                self.position = None;
                self.status_reason = Some("no position in GNS".into());
            }
        }
    }

    fn gsa(&mut self, g: &crate::nmea_decode::Gsa) {
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
            Some(1) => self.mode = FixMode::NoFix,
            Some(2) => self.set_mode(FixMode::TwoD),
            Some(3) => self.mode = FixMode::ThreeD,
            _ => {}
        }
    }

    fn gll(&mut self, g: &crate::nmea_decode::Gll, talker: &str) {
        self.set_time(g.time, None);
        match (g.status, g.faa_mode, g.position) {
            (Some(b'A'), faa, Some(p)) if faa != Some(b'N') => {
                self.talker = talker.to_string();
                self.flag_epoch(faa_flag(faa, "GLL"));
                self.position = Some(p);
                if self.alt_m.is_some() || self.gsa_used.len() > 3 {
                    self.mode = FixMode::ThreeD;
                } else if self.mode < FixMode::TwoD {
                    self.set_mode(FixMode::TwoD);
                }
                self.status_reason = None;
            }
            _ => {
                self.mode = FixMode::NoFix;
                self.position = None;
                self.status_reason = Some("no fix (GLL status V or mode N)".into());
            }
        }
    }

    /// The current fix (also when there is none: `valid` false, mode `NoFix`).
    pub fn fix(&self) -> Fix {
        let has_fix = self.mode != FixMode::NoFix && self.position.is_some();
        let rejected = self
            .epoch_flag
            .clone()
            .or_else(|| self.status_reason.clone());
        let valid = has_fix && rejected.is_none();
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
            gnss_utc_ms: self.gnss_utc_ms(),
            talker: self.talker.clone(),
            quality_rejected: if valid { None } else { rejected },
        }
    }

    /// Current fix, last valid fix, their ages and the clock skew at `now_ms`.
    pub fn view(&self, now_ms: i64) -> TrackerView {
        TrackerView {
            current: self.seen.then(|| self.fix()),
            current_age_ms: self.updated_at_ms.map(|t| now_ms - t),
            last_valid: self.last_valid.as_ref().map(|(f, _)| f.clone()),
            last_valid_age_ms: self.last_valid.as_ref().map(|(_, t)| now_ms - t),
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
        t.observe(&d, now);
    }

    #[test]
    fn rmc_then_gga_gives_valid_3d_fix_with_time() {
        let mut t = FixTracker::new();
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
        let mut t = FixTracker::new();
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
        let mut t = FixTracker::new();
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
    fn midnight_rollover_without_new_rmc() {
        let mut t = FixTracker::new();
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
