//! Where position readings come from: a trait, with simple sources beside the GNSS one.

use std::sync::{Arc, Mutex};

use crate::domain::position::{
    AgedFix, FixDimension, FixReading, PositionReading, PositionSourceKind,
};

/// Gives the position at the moment of an event.
pub trait PositionSource: Send + Sync {
    /// The reading now.
    fn reading(&self) -> PositionReading;
}

/// No receiver: every event records "no fix", honestly.
#[derive(Debug, Default, Clone)]
pub struct NoPosition;

impl PositionSource for NoPosition {
    fn reading(&self) -> PositionReading {
        PositionReading::none()
    }
}

/// A configured fixed position (bench or depot terminal), recorded as source "fixed".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedPosition {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
}

impl PositionSource for FixedPosition {
    fn reading(&self) -> PositionReading {
        let fix = AgedFix {
            fix: FixReading {
                lat_deg: self.lat_deg,
                lon_deg: self.lon_deg,
                alt_m: None,
                hdop: None,
                satellites: None,
                dimension: FixDimension::TwoD,
                fix_utc_ms: None,
            },
            age_ms: 0,
        };
        PositionReading {
            source: PositionSourceKind::Fixed,
            current: Some(fix.clone()),
            last_valid: Some(fix),
            gnss_utc_ms: None,
            no_fix_reason: None,
        }
    }
}

/// A reading that another thread updates (GNSS adapter, simulators, tests).
#[derive(Debug, Clone)]
pub struct SharedPosition(Arc<Mutex<PositionReading>>);

impl SharedPosition {
    /// Starts with no fix.
    pub fn new() -> Self {
        SharedPosition(Arc::new(Mutex::new(PositionReading::none())))
    }

    /// Replaces the reading.
    pub fn set(&self, reading: PositionReading) {
        match self.0.lock() {
            Ok(mut g) => *g = reading,
            Err(poisoned) => *poisoned.into_inner() = reading,
        }
    }
}

impl Default for SharedPosition {
    fn default() -> Self {
        Self::new()
    }
}

impl PositionSource for SharedPosition {
    fn reading(&self) -> PositionReading {
        match self.0.lock() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}
