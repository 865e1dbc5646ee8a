//! Full-jitter exponential backoff and the temporary/permanent split.

/// Backoff settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Delay scale of the first retry, ms.
    pub base_ms: u64,
    /// Largest delay, ms.
    pub cap_ms: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base_ms: 1_000,
            cap_ms: 300_000,
        }
    }
}

impl Backoff {
    /// The delay after `tries` consecutive failures (1 for the first), drawn
    /// uniformly from `[0, min(cap, base * 2^(tries-1))]` ("full jitter").
    /// `random` is any uniformly random 64-bit value.
    pub fn delay_ms(&self, tries: u32, random: u64) -> u64 {
        let exp = tries.saturating_sub(1).min(40);
        let ceiling = self.base_ms.saturating_mul(1u64 << exp).min(self.cap_ms);
        if ceiling == 0 {
            return 0;
        }
        random % (ceiling + 1)
    }
}

/// Whether retrying can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Network, timeouts, 5xx, 429: retry later with backoff.
    Temporary,
    /// Authentication, format, refusal: a person must act; do not hot-loop.
    Permanent,
}

/// Classifies an HTTP status (`None`: no answer at all).
pub fn classify_status(status: Option<u16>) -> Retry {
    match status {
        None => Retry::Temporary,
        Some(408 | 425 | 429) => Retry::Temporary,
        Some(s) if s >= 500 => Retry::Temporary,
        Some(_) => Retry::Permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_exponentially_within_the_cap_and_jitters_down_to_zero() {
        let b = Backoff::default();
        assert_eq!(b.delay_ms(1, u64::MAX), u64::MAX % 1_001);
        assert!(b.delay_ms(1, 5_000) <= 1_000);
        assert_eq!(b.delay_ms(3, 4_000), 4_000);
        assert_eq!(b.delay_ms(3, 4_001), 0);
        for tries in [10, 20, 100, u32::MAX] {
            assert!(b.delay_ms(tries, u64::MAX - 1) <= 300_000);
        }
        assert_eq!(b.delay_ms(1, 0), 0);
    }

    #[test]
    fn statuses_split_into_temporary_and_permanent() {
        assert_eq!(classify_status(None), Retry::Temporary);
        assert_eq!(classify_status(Some(500)), Retry::Temporary);
        assert_eq!(classify_status(Some(503)), Retry::Temporary);
        assert_eq!(classify_status(Some(429)), Retry::Temporary);
        assert_eq!(classify_status(Some(401)), Retry::Permanent);
        assert_eq!(classify_status(Some(400)), Retry::Permanent);
        assert_eq!(classify_status(Some(404)), Retry::Permanent);
    }
}
