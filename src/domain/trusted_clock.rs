//! A clock that never runs backwards, for judging manifest expiry.
//!
//! Trusted now = the latest of the device clock, the GNSS time and every time
//! already seen (stored as a floor that only rises).

/// Device/GNSS skew beyond which the screens warn, ms.
pub const SKEW_WARNING_MS: i64 = 5_000;

/// The latest time the terminal has evidence for.
pub fn trusted_now(floor_ms: i64, device_ms: i64, gnss_ms: Option<i64>) -> i64 {
    floor_ms.max(device_ms).max(gnss_ms.unwrap_or(i64::MIN))
}

/// Device clock minus GNSS clock, when both are known.
pub fn skew_ms(device_ms: i64, gnss_ms: Option<i64>) -> Option<i64> {
    gnss_ms.map(|g| device_ms - g)
}

/// Whether the skew deserves a warning.
pub fn skew_warning(skew: Option<i64>) -> bool {
    skew.is_some_and(|s| s.abs() > SKEW_WARNING_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_set_back_does_not_move_trusted_time_back() {
        assert_eq!(trusted_now(2_000, 1_000, None), 2_000);
        assert_eq!(trusted_now(2_000, 1_000, Some(3_000)), 3_000);
        assert!(skew_warning(skew_ms(10_000, Some(0))));
        assert!(!skew_warning(skew_ms(1_000, Some(0))));
        assert!(!skew_warning(None));
    }
}
