//! The firmware bridge's GNSS snapshot as the doorstep core's position input.

use firmware_bridge::{Fix, FixMode, GnssSnapshot};

use crate::domain::position::{
    AgedFix, FixDimension, FixReading, PositionReading, PositionSourceKind,
};
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
    let current = s
        .current
        .as_ref()
        .and_then(|f| reading(f, s.current_age_ms));
    let last_valid = s
        .last_valid
        .as_ref()
        .and_then(|f| reading(f, s.last_valid_age_ms));
    let gnss_utc_ms = s
        .current
        .as_ref()
        .and_then(|f| Some(f.gnss_utc_ms? + s.current_age_ms?));
    PositionReading {
        source: PositionSourceKind::Gnss,
        no_fix_reason: no_fix_reason(s),
        current,
        last_valid,
        gnss_utc_ms,
    }
}

/// Why the receiver gives no fresh fix, when it says: the fix's own reason
/// (e.g. the receiver's time went back), or GNSS time not advancing with
/// the device's clock.
fn no_fix_reason(s: &GnssSnapshot) -> Option<String> {
    let fix = s.current.as_ref()?;
    if let Some(why) = &fix.quality_rejected {
        return Some(why.clone());
    }
    s.gnss_time_age_ms
        .filter(|&lag| lag > s.fresh_max_ms)
        .map(|lag| format!("GNSS time {lag} ms behind the device's monotonic clock"))
}

impl<S: firmware_bridge::SnapshotSource> PositionSource for GnssPosition<S> {
    fn reading(&self) -> PositionReading {
        from_snapshot(&self.0.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use courier_protocol::envelope::PositionRecord;
    use firmware_bridge::MemoryGnss;

    use crate::domain::position::to_record;

    fn line(body: &str) -> Vec<u8> {
        let sum = body.bytes().fold(0u8, |a, b| a ^ b);
        format!("${body}*{sum:02X}\r\n").into_bytes()
    }

    #[test]
    fn a_fix_found_lost_and_simulated_is_recorded_honestly() {
        let now = Arc::new(AtomicI64::new(1_000_000));
        let clock_now = now.clone();
        let gnss = MemoryGnss::new(10_000, Arc::new(move || clock_now.load(Ordering::SeqCst)));
        let source = GnssPosition(gnss.handle());
        assert_eq!(
            to_record(&source.reading(), 10_000),
            PositionRecord {
                source: "gnss".into(),
                ..PositionRecord::none()
            }
        );

        gnss.push(&line(
            "GPRMC,120000.00,A,3645.8400,N,00303.0600,E,0.0,0.0,231126,,,A",
        ));
        gnss.push(&line(
            "GPGGA,120000.00,3645.8400,N,00303.0600,E,1,09,0.9,42.5,M,32.1,M,,",
        ));
        let rec = to_record(&source.reading(), 10_000);
        assert_eq!(rec.status, "fix");
        let fix = rec.fix.expect("fix");
        assert_eq!((fix.lat_e7, fix.lon_e7), (367_640_000, 30_510_000));
        assert_eq!(fix.satellites, Some(9));

        // Eleven seconds without a sentence: no longer evidence, kept as last fix.
        now.fetch_add(11_000, Ordering::SeqCst);
        let rec = to_record(&source.reading(), 10_000);
        assert_eq!(rec.status, "no_fix");
        assert_eq!(rec.last_fix.map(|f| f.age_ms), Some(11_000));

        // A simulated fix (GGA quality 8) is never evidence.
        gnss.push(&line(
            "GPGGA,120012.00,3645.9000,N,00303.1000,E,8,09,0.9,42.5,M,32.1,M,,",
        ));
        let rec = to_record(&source.reading(), 10_000);
        assert_eq!(rec.status, "no_fix", "{rec:?}");
        assert_eq!(rec.reason.as_deref(), Some("simulator (GGA quality 8)"));

        // The receiver's time goes back an hour: not evidence, and the
        // record says why.
        gnss.push(&line(
            "GPRMC,110013.00,A,3645.8400,N,00303.0600,E,0.0,0.0,231126,,,A",
        ));
        let rec = to_record(&source.reading(), 10_000);
        assert_eq!(rec.status, "no_fix", "{rec:?}");
        assert_eq!(
            rec.reason.as_deref(),
            Some("GNSS time went back 3599000 ms (no reset in between)")
        );
    }
}
