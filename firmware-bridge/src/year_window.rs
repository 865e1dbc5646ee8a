//! Which years a receiver's date may carry before it becomes evidence.
//!
//! A live terminal accepts dates from the year before its build (or before
//! the trusted clock, whichever is later) to 20 years after: a GPS
//! week-rollover bug (dates 19.6 years back) or a year 2200 is never
//! evidence. Replaying old captures (the conformance corpus, `nmea-check` on
//! a file) uses [`YearWindow::historic`]: from the GPS epoch (1980) to the
//! year after the build.

use serde::Serialize;
use thiserror::Error;

/// The year this crate was built (from `SOURCE_DATE_EPOCH` when set).
pub const BUILD_YEAR: i32 = parse_year(env!("FIRMWARE_BRIDGE_BUILD_YEAR"));

/// Years before the anchor (build or trusted clock) that are still accepted.
pub const YEARS_BEFORE: i32 = 1;
/// Years after the anchor that are still accepted (a terminal's life).
pub const YEARS_AFTER: i32 = 20;
/// First year of GPS time.
pub const GPS_EPOCH_YEAR: i32 = 1980;

const fn parse_year(s: &str) -> i32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut y = 0i32;
    while i < b.len() && i < 6 {
        y = y * 10 + (b[i] - b'0') as i32;
        i += 1;
    }
    y
}

/// A receiver date outside the accepted years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("date year {year} outside the accepted years {min}..={max}; sentence ignored")]
pub struct YearOutOfWindow {
    /// The year the receiver sent.
    pub year: i32,
    /// First accepted year.
    pub min: i32,
    /// Last accepted year.
    pub max: i32,
}

/// Accepted years, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct YearWindow {
    /// First accepted year.
    pub min: i32,
    /// Last accepted year.
    pub max: i32,
    /// Whether a trusted clock may move the window forward.
    follows_trusted_clock: bool,
}

impl Default for YearWindow {
    fn default() -> Self {
        Self::live()
    }
}

impl YearWindow {
    /// A live terminal's window: around the build year, moved forward by the
    /// trusted clock (see [`YearWindow::note_trusted_year`]).
    pub fn live() -> Self {
        Self {
            min: BUILD_YEAR.saturating_sub(YEARS_BEFORE),
            max: BUILD_YEAR.saturating_add(YEARS_AFTER),
            follows_trusted_clock: true,
        }
    }

    /// For replaying recorded captures: GPS epoch to the year after the build.
    pub fn historic() -> Self {
        Self {
            min: GPS_EPOCH_YEAR,
            max: BUILD_YEAR.saturating_add(1),
            follows_trusted_clock: false,
        }
    }

    /// A fixed window (tests, tools).
    pub fn fixed(min: i32, max: i32) -> Self {
        Self {
            min,
            max,
            follows_trusted_clock: false,
        }
    }

    /// The terminal's trusted clock (one that never runs backwards) says it
    /// is at least `year`: a live window re-anchors on it when it is later
    /// than the build. Never moves the window backwards.
    pub fn note_trusted_year(&mut self, year: i32) {
        if !self.follows_trusted_clock {
            return;
        }
        self.min = self.min.max(year.saturating_sub(YEARS_BEFORE));
        self.max = self.max.max(year.saturating_add(YEARS_AFTER));
    }

    /// `Ok` when `year` is accepted.
    pub fn check(&self, year: i32) -> Result<(), YearOutOfWindow> {
        if (self.min..=self.max).contains(&year) {
            Ok(())
        } else {
            Err(YearOutOfWindow {
                year,
                min: self.min,
                max: self.max,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_window_rejects_rollover_and_far_future() {
        let w = YearWindow::live();
        const { assert!(BUILD_YEAR >= 2026) };
        assert!(w.check(BUILD_YEAR).is_ok());
        assert!(w.check(BUILD_YEAR - 20).is_err());
        assert!(w.check(2200).is_err());
    }

    #[test]
    fn trusted_clock_moves_a_live_window_forward_only() {
        let mut w = YearWindow::live();
        w.note_trusted_year(BUILD_YEAR + 5);
        assert!(w.check(BUILD_YEAR + 2).is_err());
        assert!(w.check(BUILD_YEAR + 25).is_ok());
        w.note_trusted_year(1990);
        assert!(w.check(BUILD_YEAR + 2).is_err());
        let mut h = YearWindow::historic();
        h.note_trusted_year(BUILD_YEAR + 5);
        assert!(h.check(2001).is_ok());
    }
}
