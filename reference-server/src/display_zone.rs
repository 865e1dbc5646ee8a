//! The zone the back office shows times in: the system's (`TZ`, else
//! `/etc/localtime`, daylight saving included) or a fixed offset from UTC
//! set in the server's configuration (`escrow-server serve --time-zone`).
//! Every time on a page reads `2026-12-07 09:12 (UTC+01:00)`
//! ([`DayWindow::format_minute`], the terminal's form), never raw UTC.

use chrono::{Local, Offset, TimeZone};
use courier_protocol::day_window::{DayWindow, DayWindowError, offset_text};

/// Where the offset of a time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DisplayZone {
    /// The system's zone, with its daylight saving rules.
    #[default]
    System,
    /// A fixed offset from UTC, in minutes (east positive).
    Fixed(i32),
}

impl DisplayZone {
    /// `system` (or empty) or an offset `+HH:MM` / `-HH:MM`.
    pub fn parse(text: &str) -> Result<Self, DayWindowError> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("system") {
            return Ok(DisplayZone::System);
        }
        DayWindow::parse("2000-01-01", text).map(|w| DisplayZone::Fixed(w.utc_offset_min))
    }

    /// The offset from UTC in force at `utc_ms`, in minutes.
    pub fn offset_min_at(&self, utc_ms: i64) -> i32 {
        match self {
            DisplayZone::Fixed(m) => *m,
            DisplayZone::System => Local
                .timestamp_millis_opt(utc_ms)
                .single()
                .map(|t| t.offset().fix().local_minus_utc() / 60)
                .unwrap_or(0),
        }
    }

    /// `utc_ms` as people read it: `2026-12-07 09:12 (UTC+01:00)`.
    pub fn format(&self, utc_ms: i64) -> String {
        DayWindow::containing(utc_ms, self.offset_min_at(utc_ms)).format_minute(utc_ms)
    }

    /// The local day holding `utc_ms`.
    pub fn day_containing(&self, utc_ms: i64) -> DayWindow {
        DayWindow::containing(utc_ms, self.offset_min_at(utc_ms))
    }

    /// The day `date` (`YYYY-MM-DD`) in this zone, at the offset in force at its noon.
    pub fn day(&self, date: &str) -> Result<DayWindow, DayWindowError> {
        let utc = DayWindow::parse(date, "+00:00")?;
        let noon = utc.start_ms() + 12 * 3_600_000;
        DayWindow::parse(date, &offset_text(self.offset_min_at(noon)))
    }

    /// How the configuration names it (`system` or `+01:00`).
    pub fn describe(&self) -> String {
        match self {
            DisplayZone::System => "system".to_owned(),
            DisplayZone::Fixed(m) => offset_text(*m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_zone_shows_its_offset_and_the_local_day() {
        let z = DisplayZone::parse("+01:00").expect("zone");
        // 2026-12-07 08:12:30 UTC.
        let ms = 1_796_631_150_000;
        assert_eq!(z.format(ms), "2026-12-07 09:12 (UTC+01:00)");
        let late = DisplayZone::Fixed(60).day_containing(1_796_684_400_000); // 23:00 UTC
        assert_eq!(late.date, "2026-12-08");
        assert_eq!(z.day("2026-12-07").expect("day").utc_offset_min, 60);
    }

    #[test]
    fn the_system_zone_is_the_default_and_says_an_offset() {
        assert_eq!(DisplayZone::parse("system"), Ok(DisplayZone::System));
        assert_eq!(DisplayZone::parse(""), Ok(DisplayZone::System));
        assert!(DisplayZone::parse("Mars/Olympus").is_err());
        let text = DisplayZone::System.format(1_796_631_150_000);
        assert!(text.contains("(UTC+") || text.contains("(UTC-"), "{text}");
    }
}
