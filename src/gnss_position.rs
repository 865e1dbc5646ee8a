//! The firmware bridge's GNSS snapshot as the doorstep core's position input.

use firmware_bridge::{Fix, FixMode, GnssSnapshot};

use crate::domain::position::{AgedFix, FixDimension, FixReading, PositionReading, PositionSourceKind};
use crate::position_source::PositionSource;

/// Adapts anything that gives GNSS snapshots (the serial reader, the in-memory feed).
pub struct GnssPosition<S>(pub S);

fn reading(fix: &Fix, age_ms: Option<i64>) -> Option<AgedFix> {
    if !fix.valid {
        return None;
    }
    let dimension = match fix.mode {
        FixMode::ThreeD => FixDimension::ThreeD,
        FixMode::TwoD => FixDimension::TwoD,
        FixMode::NoFix => return None,
    };
    Some(AgedFix {
        fix: FixReading {
            lat_deg: fix.lat_deg?,
            lon_deg: fix.lon_deg?,
            alt_m: fix.alt_m,
            hdop: fix.hdop,
            satellites: fix.satellites.map(u32::from),
            dimension,
            fix_utc_ms: fix.gnss_utc_ms,
        },
        age_ms: age_ms?,
    })
}

/// Converts a snapshot: only valid fixes with a position count; time is extrapolated by age.
pub fn from_snapshot(s: &GnssSnapshot) -> PositionReading {
    let current = s.current.as_ref().and_then(|f| reading(f, s.current_age_ms));
    let last_valid = s.last_valid.as_ref().and_then(|f| reading(f, s.last_valid_age_ms));
    let gnss_utc_ms = s
        .current
        .as_ref()
        .and_then(|f| Some(f.gnss_utc_ms? + s.current_age_ms?));
    PositionReading {
        source: PositionSourceKind::Gnss,
        current,
        last_valid,
        gnss_utc_ms,
    }
}

impl<S: firmware_bridge::PositionSource> PositionSource for GnssPosition<S> {
    fn reading(&self) -> PositionReading {
        from_snapshot(&self.0.snapshot())
    }
}
