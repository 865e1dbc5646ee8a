//! A per-device limit on online code checks: at most
//! [`MAX_CODE_CHECKS_PER_MINUTE`] a device in one minute of the server's
//! clock (a fixed window), so a stolen or misbehaving terminal cannot hammer
//! the KDF and the try counters. Kept in this process's memory: several
//! server processes each apply it (docs/protocol.md, "Bounds").

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

pub use courier_protocol::bounds::MAX_CODE_CHECKS_PER_MINUTE;

const WINDOW_MS: i64 = 60_000;

/// Code checks counted per device in the current minute.
#[derive(Debug)]
pub struct CodeCheckLimiter {
    windows: Mutex<HashMap<String, (i64, u32)>>,
    limit: AtomicU32,
}

impl Default for CodeCheckLimiter {
    fn default() -> Self {
        CodeCheckLimiter {
            windows: Mutex::default(),
            limit: AtomicU32::new(MAX_CODE_CHECKS_PER_MINUTE),
        }
    }
}

impl CodeCheckLimiter {
    /// Sets the checks a device may make in one minute (load and
    /// concurrency tests raise it; the default is the documented bound).
    pub fn set_limit(&self, per_minute: u32) {
        self.limit.store(per_minute, Ordering::Relaxed);
    }

    /// Counts one check of `device` at `now_ms`; `Err(ms)` when the device
    /// is past its limit, with how long until its next window.
    pub fn admit(&self, device: &str, now_ms: i64) -> Result<(), i64> {
        let window = now_ms.div_euclid(WINDOW_MS);
        let mut map = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, (w, _)| *w == window);
        let entry = map.entry(device.to_owned()).or_insert((window, 0));
        if entry.1 >= self.limit.load(Ordering::Relaxed) {
            return Err((window + 1) * WINDOW_MS - now_ms);
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_device_has_its_own_limit_per_minute() {
        let l = CodeCheckLimiter::default();
        let t0 = 1_780_000_020_000;
        for _ in 0..MAX_CODE_CHECKS_PER_MINUTE {
            assert_eq!(l.admit("A", t0), Ok(()));
        }
        assert_eq!(l.admit("A", t0 + 1_000), Err(59_000));
        assert_eq!(l.admit("B", t0 + 1_000), Ok(()));
        assert_eq!(l.admit("A", t0 + 60_000), Ok(()));
    }
}
