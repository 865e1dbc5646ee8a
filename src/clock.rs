//! The device clock: wall time, monotonic time since boot, boot id.

use std::time::{SystemTime, UNIX_EPOCH};

use courier_protocol::envelope::ClockStamp;

/// Gives the time of an event. Tests pin it.
pub trait Clock: Send + Sync {
    /// The clocks now.
    fn now(&self) -> ClockStamp;
}

/// The real clocks of this Linux device.
#[derive(Debug, Clone)]
pub struct SystemClock {
    boot_id: String,
}

impl SystemClock {
    /// Reads the boot id once.
    pub fn new() -> Self {
        let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned());
        SystemClock { boot_id }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> ClockStamp {
        let utc = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let boot = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
        ClockStamp {
            device_utc_ms: utc,
            monotonic_ms: boot.tv_sec * 1000 + boot.tv_nsec / 1_000_000,
            boot_id: self.boot_id.clone(),
        }
    }
}
