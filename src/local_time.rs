//! Times as the person in front of the screen reads them: the device's local
//! time with its offset from UTC, from the system's time zone (`TZ`, or
//! `/etc/localtime`), never raw Unix milliseconds.

use std::fmt;

use chrono::{Local, TimeZone};

/// A UTC instant (Unix ms) shown as local time with its offset:
/// `2026-12-07 05:12:03 (UTC+01:00)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime(pub i64);

impl LocalTime {
    /// The time of a field holding Unix ms (for error messages).
    pub fn of(utc_ms: &i64) -> LocalTime {
        LocalTime(*utc_ms)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Local.timestamp_millis_opt(self.0).single() {
            Some(t) => write!(f, "{}", t.format("%Y-%m-%d %H:%M:%S (UTC%:z)")),
            None => write!(f, "an invalid time ({} ms after 1970, UTC)", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_says_its_offset() {
        let text = LocalTime(1_796_596_917_685).to_string();
        assert!(text.contains("(UTC+") || text.contains("(UTC-"), "{text}");
        assert!(text.starts_with("2026-"), "{text}");
    }
}
