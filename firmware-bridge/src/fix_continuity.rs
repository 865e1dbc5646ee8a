//! Whether a fix holds together with the fixes before it in one receiver's
//! stream: time strictly increasing, the date advancing only when the time
//! of day wraps forward past midnight, GNSS time advancing with the device's
//! monotonic clock, and a physically possible motion. Pure: every clock
//! reading is an argument. See docs/gnss.md, "Consistency with the fixes
//! before".
//!
//! A *stream* is what one receiver says between two documented resets
//! ([`Continuity::restart`]: the serial link (re)connects, or a new tracker).
//! A step back is never a valid continuation: it stays not valid until the
//! stream restarts.

use thiserror::Error;

use crate::geo_position::Position;
use crate::time_of_day::DAY_MS;

/// Metres per second in one knot.
pub const MPS_PER_KNOT: f64 = 1852.0 / 3600.0;

/// A time less than this before the stream's latest is the same epoch
/// printed with another rounding (eXplorist 210: GLL `200620.303`, GGA
/// `200620.30`), not a step back: it is neither judged nor recorded. Below
/// the 100 ms between epochs of a 10 Hz receiver.
pub const ROUNDING_MS: i64 = 50;

/// Bounds of a courier's stream of fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ContinuityLimits {
    /// Fastest implied (or reported) ground speed, m/s. Default 55 m/s
    /// (198 km/h): above any road vehicle a courier drives, below aircraft.
    pub max_speed_mps: f64,
    /// Metres of horizontal error per unit of HDOP (about two standard
    /// deviations of a consumer receiver's range error). Default 10 m.
    pub metres_per_hdop: f64,
    /// HDOP assumed when a fix gives none (pessimistic). Default 10.
    pub unknown_hdop: f64,
    /// How far GNSS time may run ahead of the monotonic clock since the
    /// stream's first timed epoch (serial delay and read jitter). Default 2 s.
    pub clock_tolerance_ms: i64,
    /// Drift allowed between the device's clock and GNSS time, parts per
    /// million of the elapsed time. Default 100 ppm (a crystal is < 50).
    pub clock_drift_ppm: i64,
}

impl Default for ContinuityLimits {
    fn default() -> Self {
        Self {
            max_speed_mps: 55.0,
            metres_per_hdop: 10.0,
            unknown_hdop: 10.0,
            clock_tolerance_ms: 2_000,
            clock_drift_ppm: 100,
        }
    }
}

/// Why a fix does not hold together with the stream before it.
#[derive(Debug, Clone, Copy, PartialEq, Error)]
pub enum Inconsistency {
    /// GNSS time at or before the stream's latest time (a step back or a
    /// repeat), without a reset in between.
    #[error("GNSS time went back {back_ms} ms (no reset in between)")]
    TimeBack {
        /// How far back, ms (0: the time did not advance).
        back_ms: i64,
    },
    /// The date moved other than by the time of day wrapping forward past
    /// midnight (a day or more ahead at once).
    #[error("GNSS date jumped {ahead_ms} ms ahead without passing midnight")]
    DateJump {
        /// How far ahead, ms (at least one day).
        ahead_ms: i64,
    },
    /// GNSS time advanced more than the device's monotonic clock did.
    #[error("GNSS time ran {ahead_ms} ms ahead of the device's monotonic clock")]
    TimeAhead {
        /// By how much beyond the tolerance, ms.
        ahead_ms: i64,
    },
    /// The distance from the previous fix, less both fixes' accuracy, needs
    /// a speed above the bound.
    #[error("implied speed {speed_mps:.0} m/s since the previous fix (bound {max_mps:.0} m/s)")]
    Teleport {
        /// Implied speed, m/s (infinite within one epoch).
        speed_mps: f64,
        /// The bound.
        max_mps: f64,
    },
    /// The receiver itself reports a ground speed above the bound.
    #[error("reported speed {speed_mps:.0} m/s above the bound {max_mps:.0} m/s")]
    ReportedSpeed {
        /// Reported speed, m/s.
        speed_mps: f64,
        /// The bound.
        max_mps: f64,
    },
}

impl Inconsistency {
    /// The receiver's time itself is wrong (back, a date jump, ahead of the
    /// device's clock), not only its position or speed.
    pub fn is_about_time(&self) -> bool {
        matches!(
            self,
            Self::TimeBack { .. } | Self::DateJump { .. } | Self::TimeAhead { .. }
        )
    }
}

/// A point of GNSS time in the stream, with the device's monotonic clock
/// when the epoch began.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeMark {
    /// Days since 1970-01-01 when the receiver gave a date, else `None`.
    pub day: Option<i64>,
    /// Time of day, ms after midnight.
    pub tod_ms: i64,
    /// Device monotonic clock at the epoch's first sentence, ms (`None`
    /// when judging a recording).
    pub mono_ms: Option<i64>,
}

impl TimeMark {
    /// Unix ms, when the date is known.
    pub fn utc_ms(&self) -> Option<i64> {
        self.day?.checked_mul(DAY_MS)?.checked_add(self.tod_ms)
    }
}

/// GNSS time from `a` to `b`, ms. Without a date on both sides, the time of
/// day alone: the nearest reading, within half a day either way.
pub fn elapsed_ms(a: &TimeMark, b: &TimeMark) -> i64 {
    match (a.utc_ms(), b.utc_ms()) {
        (Some(x), Some(y)) => y.saturating_sub(x),
        _ => {
            let d = (b.tod_ms - a.tod_ms).rem_euclid(DAY_MS);
            if d > DAY_MS / 2 { d - DAY_MS } else { d }
        }
    }
}

/// A valid fix as the motion rule sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedFix {
    /// When.
    pub time: TimeMark,
    /// Where.
    pub position: Position,
    /// Its HDOP, if known.
    pub hdop: Option<f64>,
}

/// Rule: the next epoch's time strictly after `prev`, less than a day
/// after it (the date advances only by the time of day wrapping forward).
pub fn check_time_order(prev: &TimeMark, next: &TimeMark) -> Result<(), Inconsistency> {
    let dt = elapsed_ms(prev, next);
    if dt <= 0 {
        return Err(Inconsistency::TimeBack { back_ms: -dt });
    }
    if dt >= DAY_MS {
        return Err(Inconsistency::DateJump { ahead_ms: dt });
    }
    Ok(())
}

/// Rule: GNSS time may not run ahead of the monotonic clock. `base` is the
/// stream's first dated, clocked mark; `next` a later one.
pub fn check_clock(
    base: &TimeMark,
    next: &TimeMark,
    limits: &ContinuityLimits,
) -> Result<(), Inconsistency> {
    let (Some(b_utc), Some(b_mono), Some(n_utc), Some(n_mono)) =
        (base.utc_ms(), base.mono_ms, next.utc_ms(), next.mono_ms)
    else {
        return Ok(());
    };
    let gnss = n_utc.saturating_sub(b_utc);
    let mono = n_mono.saturating_sub(b_mono);
    let allowed = limits
        .clock_tolerance_ms
        .saturating_add(mono.abs() / 1_000_000 * limits.clock_drift_ppm);
    let ahead = gnss.saturating_sub(mono);
    if ahead > allowed {
        return Err(Inconsistency::TimeAhead {
            ahead_ms: ahead - allowed,
        });
    }
    Ok(())
}

/// How old the GNSS time `fix` is at monotonic time `mono_now`, judged from
/// the stream's `base` (drift allowance deducted; never negative). `None`
/// without a device clock or a date.
pub fn gnss_age_ms(
    base: &TimeMark,
    fix: &TimeMark,
    mono_now: i64,
    limits: &ContinuityLimits,
) -> Option<i64> {
    let gnss = fix.utc_ms()?.checked_sub(base.utc_ms()?)?;
    let mono = mono_now.checked_sub(base.mono_ms?)?;
    let drift = mono.abs() / 1_000_000 * limits.clock_drift_ppm;
    Some(mono.saturating_sub(gnss).saturating_sub(drift).max(0))
}

/// The radius a fix's position is good to, metres.
fn accuracy_m(hdop: Option<f64>, limits: &ContinuityLimits) -> f64 {
    hdop.unwrap_or(limits.unknown_hdop) * limits.metres_per_hdop
}

/// Great-circle distance, metres (mean Earth radius).
pub fn distance_m(a: &Position, b: &Position) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (a.lat_deg.to_radians(), b.lat_deg.to_radians());
    let dp = (b.lat_deg - a.lat_deg).to_radians();
    let dl = (b.lon_deg - a.lon_deg).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// Rule: the distance between two valid fixes, less both accuracy radii,
/// covered at no more than `max_speed_mps`. Within one epoch (no time
/// between them) the positions must agree within their accuracy.
pub fn check_motion(
    prev: &PlacedFix,
    next: &PlacedFix,
    limits: &ContinuityLimits,
) -> Result<(), Inconsistency> {
    let slack = accuracy_m(prev.hdop, limits) + accuracy_m(next.hdop, limits);
    let beyond = distance_m(&prev.position, &next.position) - slack;
    if beyond <= 0.0 {
        return Ok(());
    }
    let dt_s = elapsed_ms(&prev.time, &next.time).max(0) as f64 / 1000.0;
    let speed = if dt_s > 0.0 {
        beyond / dt_s
    } else {
        f64::INFINITY
    };
    if speed > limits.max_speed_mps {
        return Err(Inconsistency::Teleport {
            speed_mps: speed,
            max_mps: limits.max_speed_mps,
        });
    }
    Ok(())
}

/// Rule: a speed over ground the receiver reports within the bound.
pub fn check_reported_speed(knots: f64, limits: &ContinuityLimits) -> Result<(), Inconsistency> {
    let mps = knots * MPS_PER_KNOT;
    if mps > limits.max_speed_mps {
        return Err(Inconsistency::ReportedSpeed {
            speed_mps: mps,
            max_mps: limits.max_speed_mps,
        });
    }
    Ok(())
}

/// What the stream has established so far.
#[derive(Debug, Clone, Default)]
pub struct Continuity {
    limits: ContinuityLimits,
    /// Latest epoch time that held together (valid fix or not).
    last_time: Option<TimeMark>,
    /// First dated epoch with a monotonic reading: the clock base.
    clock_base: Option<TimeMark>,
    /// Latest valid fix.
    last_fix: Option<PlacedFix>,
}

impl Continuity {
    /// A new stream judged with `limits`.
    pub fn new(limits: ContinuityLimits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// The limits.
    pub fn limits(&self) -> &ContinuityLimits {
        &self.limits
    }

    /// A documented reset: the next epoch is judged on its own.
    pub fn restart(&mut self) {
        *self = Self::new(self.limits);
    }

    /// Judge a new epoch's time; when it holds, it becomes the stream's
    /// latest time (and, the first time a date and a clock are known, the
    /// clock base).
    pub fn judge_time(&mut self, next: TimeMark) -> Result<(), Inconsistency> {
        if let Some(prev) = self.last_time {
            let step = elapsed_ms(&prev, &next);
            let dating = prev.day.is_none() && next.day.is_some();
            if step > -ROUNDING_MS && (step < 0 || (step == 0 && dating)) {
                // The same epoch: printed with another rounding, or now
                // dated (its RMC came after its GGA). Not a step; the
                // latest time stays, dated when it was not.
                if dating && let Some(day) = next.day {
                    let ms = next.tod_ms - step;
                    let (day, tod_ms) = if ms >= DAY_MS {
                        (day + 1, ms - DAY_MS)
                    } else {
                        (day, ms)
                    };
                    self.last_time = Some(TimeMark {
                        day: Some(day),
                        tod_ms,
                        mono_ms: prev.mono_ms,
                    });
                }
                return Ok(());
            }
            check_time_order(&prev, &next)?;
        }
        if let Some(base) = &self.clock_base {
            check_clock(base, &next, &self.limits)?;
        }
        self.last_time = Some(next);
        if self.clock_base.is_none() && next.utc_ms().is_some() && next.mono_ms.is_some() {
            self.clock_base = Some(next);
        }
        Ok(())
    }

    /// Judge a fix the receiver calls valid against the previous valid fix;
    /// when it holds, it becomes the previous one.
    pub fn judge_fix(&mut self, next: PlacedFix) -> Result<(), Inconsistency> {
        if let Some(prev) = &self.last_fix {
            check_motion(prev, &next, &self.limits)?;
        }
        self.last_fix = Some(next);
        Ok(())
    }

    /// Age of the GNSS time `fix` at monotonic `mono_now` (see [`gnss_age_ms`]).
    pub fn gnss_age_ms(&self, fix: &TimeMark, mono_now: i64) -> Option<i64> {
        gnss_age_ms(self.clock_base.as_ref()?, fix, mono_now, &self.limits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(day: i64, tod_s: i64, mono_s: Option<i64>) -> TimeMark {
        TimeMark {
            day: Some(day),
            tod_ms: tod_s * 1000,
            mono_ms: mono_s.map(|m| m * 1000),
        }
    }

    #[test]
    fn time_order() {
        let a = mark(20_000, 43_200, None);
        assert_eq!(check_time_order(&a, &mark(20_000, 43_201, None)), Ok(()));
        assert_eq!(
            check_time_order(&a, &mark(20_000, 39_600, None)),
            Err(Inconsistency::TimeBack { back_ms: 3_600_000 })
        );
        assert_eq!(
            check_time_order(&a, &a),
            Err(Inconsistency::TimeBack { back_ms: 0 })
        );
        // Midnight wrap: the next day, earlier time of day.
        let late = mark(20_000, 86_399, None);
        assert_eq!(check_time_order(&late, &mark(20_001, 1, None)), Ok(()));
        // A day later at the same time of day: the date did not wrap.
        assert!(matches!(
            check_time_order(&a, &mark(20_001, 43_200, None)),
            Err(Inconsistency::DateJump { .. })
        ));
        // Without dates, the nearest time of day: 23:59:59 after 00:00:01 is back.
        let undated = |s: i64| TimeMark {
            day: None,
            tod_ms: s * 1000,
            mono_ms: None,
        };
        assert!(matches!(
            check_time_order(&undated(1), &undated(86_399)),
            Err(Inconsistency::TimeBack { back_ms: 2000 })
        ));
        assert_eq!(check_time_order(&undated(86_399), &undated(1)), Ok(()));
    }

    #[test]
    fn clock() {
        let l = ContinuityLimits::default();
        let base = mark(20_000, 0, Some(100));
        assert_eq!(check_clock(&base, &mark(20_000, 60, Some(160)), &l), Ok(()));
        assert!(matches!(
            check_clock(&base, &mark(20_000, 7200, Some(101)), &l),
            Err(Inconsistency::TimeAhead { .. })
        ));
        // GNSS time standing still ages the fix with the monotonic clock.
        assert_eq!(
            gnss_age_ms(&base, &mark(20_000, 10, None), 130_000, &l),
            Some(20_000)
        );
    }

    #[test]
    fn motion() {
        let l = ContinuityLimits::default();
        let at = |lat: f64, lon: f64, s: i64| PlacedFix {
            time: mark(20_000, s, None),
            position: Position {
                lat_deg: lat,
                lon_deg: lon,
            },
            hdop: Some(1.0),
        };
        assert_eq!(
            check_motion(&at(48.0, 11.0, 0), &at(48.0003, 11.0, 1), &l),
            Ok(())
        );
        assert!(matches!(
            check_motion(&at(48.0, 11.0, 0), &at(-48.0, -169.0, 1), &l),
            Err(Inconsistency::Teleport { .. })
        ));
        assert!(check_reported_speed(999_999.0, &l).is_err());
        assert!(check_reported_speed(50.0, &l).is_ok());
    }
}
