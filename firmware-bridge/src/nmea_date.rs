//! A receiver's calendar date and the day arithmetic on it (proleptic
//! Gregorian; checked, never overflowing).

/// A calendar date as sent in RMC (`ddmmyy`, years 69-99 are 19xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NmeaDate {
    /// Full year, e.g. 2024.
    pub year: i32,
    /// Month 1-12.
    pub month: u32,
    /// Day 1-31.
    pub day: u32,
}

impl NmeaDate {
    /// Days since 1970-01-01 (proleptic Gregorian).
    pub fn days_since_epoch(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01; `None` when its year does not fit
    /// an `i32` (never an arithmetic overflow).
    pub fn from_days(days: i64) -> Option<Self> {
        let z = days.checked_add(719_468)?;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).ok()?;
        let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).ok()?;
        let year = era
            .checked_mul(400)?
            .checked_add(yoe + i64::from(month <= 2))?;
        Some(Self {
            year: i32::try_from(year).ok()?,
            month,
            day,
        })
    }
}

/// Days in a month of the proleptic Gregorian calendar (0 for a month outside 1-12).
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_roundtrip() {
        for days in [-1000i64, 0, 11_000, 19_999, 20_500] {
            assert_eq!(
                NmeaDate::from_days(days).map(|d| d.days_since_epoch()),
                Some(days)
            );
        }
        assert_eq!(
            NmeaDate {
                year: 2001,
                month: 6,
                day: 6
            }
            .days_since_epoch(),
            11_479
        );
    }

    #[test]
    fn far_days_are_none_not_an_overflow() {
        assert_eq!(NmeaDate::from_days(i64::MAX), None);
    }
}
