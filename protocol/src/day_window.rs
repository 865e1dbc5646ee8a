//! A calendar day at a fixed UTC offset: the span a day report covers, and
//! the unambiguous way its times are written (`2026-11-25T10:14:03+01:00`).
//!
//! Pure arithmetic on Unix milliseconds (proleptic Gregorian calendar), no
//! time-zone database: the offset is given, so a time read from a report
//! always says which zone it is in.

use serde::{Deserialize, Serialize};

/// Why a date or an offset was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayWindowError {
    /// The date is not `YYYY-MM-DD` or not a real day.
    #[error("date {0:?} is not a calendar day written YYYY-MM-DD, e.g. 2026-11-25")]
    Date(String),
    /// The offset is not `+HH:MM` / `-HH:MM` within ±14:00.
    #[error("UTC offset {0:?} is not written +HH:MM or -HH:MM within ±14:00, e.g. +01:00")]
    Offset(String),
}

/// One calendar day at a UTC offset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayWindow {
    /// The day, `YYYY-MM-DD`.
    pub date: String,
    /// Minutes east of UTC the day is counted in (Algiers: 60).
    pub utc_offset_min: i32,
}

const MS_PER_DAY: i64 = 86_400_000;

impl DayWindow {
    /// Parses `YYYY-MM-DD` and `+HH:MM` (or `Z`).
    pub fn parse(date: &str, offset: &str) -> Result<Self, DayWindowError> {
        let utc_offset_min = parse_offset(offset)?;
        parse_date(date).ok_or_else(|| DayWindowError::Date(date.to_owned()))?;
        Ok(DayWindow {
            date: date.to_owned(),
            utc_offset_min,
        })
    }

    /// The day that holds `utc_ms` at this offset.
    pub fn containing(utc_ms: i64, utc_offset_min: i32) -> Self {
        let local = utc_ms + i64::from(utc_offset_min) * 60_000;
        let (y, m, d) = civil_from_days(local.div_euclid(MS_PER_DAY));
        DayWindow {
            date: format!("{y:04}-{m:02}-{d:02}"),
            utc_offset_min,
        }
    }

    /// First millisecond of the day, UTC.
    pub fn start_ms(&self) -> i64 {
        let (y, m, d) = parse_date(&self.date).unwrap_or((1970, 1, 1));
        days_from_civil(y, m, d) * MS_PER_DAY - i64::from(self.utc_offset_min) * 60_000
    }

    /// First millisecond after the day, UTC.
    pub fn end_ms(&self) -> i64 {
        self.start_ms() + MS_PER_DAY
    }

    /// Whether `utc_ms` falls in the day.
    pub fn contains(&self, utc_ms: i64) -> bool {
        (self.start_ms()..self.end_ms()).contains(&utc_ms)
    }

    /// The offset as written in times: `+01:00`.
    pub fn offset_text(&self) -> String {
        offset_text(self.utc_offset_min)
    }

    /// A time at this offset, to the second: `2026-11-25T10:14:03+01:00`.
    pub fn format_time(&self, utc_ms: i64) -> String {
        let local = utc_ms + i64::from(self.utc_offset_min) * 60_000;
        let (y, m, d) = civil_from_days(local.div_euclid(MS_PER_DAY));
        let s = local.rem_euclid(MS_PER_DAY) / 1000;
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{}",
            s / 3600,
            s / 60 % 60,
            s % 60,
            self.offset_text()
        )
    }

    /// A time for people, to the minute, with its offset from UTC:
    /// `2026-12-07 09:12 (UTC+01:00)` (the terminal's and the back office's form).
    pub fn format_minute(&self, utc_ms: i64) -> String {
        let local = utc_ms + i64::from(self.utc_offset_min) * 60_000;
        let (y, m, d) = civil_from_days(local.div_euclid(MS_PER_DAY));
        let s = local.rem_euclid(MS_PER_DAY) / 1000;
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02} (UTC{})",
            s / 3600,
            s / 60 % 60,
            self.offset_text()
        )
    }

    /// Hours and minutes only (`10:14`), for a printed table whose header gives the zone.
    pub fn format_clock(&self, utc_ms: i64) -> String {
        let local = utc_ms + i64::from(self.utc_offset_min) * 60_000;
        let s = local.rem_euclid(MS_PER_DAY) / 1000;
        format!("{:02}:{:02}", s / 3600, s / 60 % 60)
    }
}

/// `+HH:MM` for an offset in minutes.
pub fn offset_text(minutes: i32) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.unsigned_abs();
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

fn parse_offset(text: &str) -> Result<i32, DayWindowError> {
    let bad = || DayWindowError::Offset(text.to_owned());
    if text == "Z" {
        return Ok(0);
    }
    let b = text.as_bytes();
    if !text.is_ascii() || b.len() != 6 || b[3] != b':' || !matches!(b[0], b'+' | b'-') {
        return Err(bad());
    }
    let num = |s: &str| {
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let (h, m) = (
        num(&text[1..3]).ok_or_else(bad)?,
        num(&text[4..6]).ok_or_else(bad)?,
    );
    let total = h * 60 + m;
    if m >= 60 || total > 14 * 60 {
        return Err(bad());
    }
    Ok(if b[0] == b'-' { -total } else { total })
}

fn parse_date(text: &str) -> Option<(i64, u32, u32)> {
    let b = text.as_bytes();
    if !text.is_ascii() || b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if !text[0..4]
        .bytes()
        .chain(text[5..7].bytes())
        .chain(text[8..10].bytes())
        .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let y: i64 = text[0..4].parse().ok()?;
    let m: u32 = text[5..7].parse().ok()?;
    let d: u32 = text[8..10].parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (d >= 1 && d <= len).then_some((y, m, d))
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_in_algiers_starts_at_23h_utc_the_day_before() {
        let w = DayWindow::parse("2026-11-25", "+01:00").expect("day");
        // 2026-11-24T23:00:00Z
        assert_eq!(w.start_ms(), 1_795_561_200_000);
        assert_eq!(w.end_ms() - w.start_ms(), MS_PER_DAY);
        assert_eq!(w.format_time(w.start_ms()), "2026-11-25T00:00:00+01:00");
        assert_eq!(
            w.format_time(w.start_ms() + 9 * 3_600_000 + 14 * 60_000 + 3_999),
            "2026-11-25T09:14:03+01:00"
        );
        assert!(w.contains(w.start_ms()) && !w.contains(w.end_ms()));
        assert_eq!(DayWindow::containing(w.start_ms(), 60), w);
        assert_eq!(
            DayWindow::containing(w.start_ms() - 1, 60).date,
            "2026-11-24"
        );
        assert_eq!(DayWindow::containing(w.start_ms(), 0).date, "2026-11-24");
    }

    #[test]
    fn dates_round_trip_across_leap_years_and_before_1970() {
        for (y, m, d) in [(1969, 12, 31), (2000, 2, 29), (2024, 2, 29), (2100, 3, 1)] {
            assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn a_time_to_the_minute_says_its_offset() {
        let w = DayWindow::parse("2026-12-07", "+01:00").expect("day");
        assert_eq!(
            w.format_minute(w.start_ms() + 9 * 3_600_000 + 12 * 60_000 + 59_999),
            "2026-12-07 09:12 (UTC+01:00)"
        );
        let west = DayWindow::containing(0, -210);
        assert_eq!(west.format_minute(0), "1969-12-31 20:30 (UTC-03:30)");
    }

    #[test]
    fn bad_dates_and_offsets_are_refused_with_the_expected_form() {
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "26-11-25",
            "2026-11-25T00",
            "２026-11-25",
            "2026-1１-2",
        ] {
            assert!(DayWindow::parse(bad, "Z").is_err(), "{bad}");
        }
        for bad in ["+1:00", "01:00", "+15:00", "+01:60", "+01-00", ""] {
            assert!(DayWindow::parse("2026-11-25", bad).is_err(), "{bad}");
        }
        assert_eq!(
            DayWindow::parse("2026-11-25", "-03:30")
                .expect("ok")
                .utc_offset_min,
            -210
        );
        assert_eq!(offset_text(-210), "-03:30");
    }
}
