//! Position and time as evidence: what a reading is, and how it is recorded.

use courier_protocol::envelope::{FixRecord, PositionRecord};

/// Where a reading comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionSourceKind {
    /// A GNSS receiver.
    Gnss,
    /// A configured fixed position (bench, depot terminal).
    Fixed,
    /// No source at all.
    None,
}

/// 2D or 3D fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixDimension {
    /// Latitude and longitude only.
    TwoD,
    /// With altitude.
    ThreeD,
}

/// One valid fix as the receiver gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct FixReading {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Altitude above mean sea level, metres.
    pub alt_m: Option<f64>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Satellites used.
    pub satellites: Option<u32>,
    /// 2D or 3D.
    pub dimension: FixDimension,
    /// GNSS UTC time of the fix, Unix ms.
    pub fix_utc_ms: Option<i64>,
}

/// A fix with its age at the moment of reading.
#[derive(Debug, Clone, PartialEq)]
pub struct AgedFix {
    /// The fix.
    pub fix: FixReading,
    /// Its age, ms.
    pub age_ms: i64,
}

/// What the position source says right now.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionReading {
    /// Source kind.
    pub source: PositionSourceKind,
    /// The current valid fix, if any (fresh or not).
    pub current: Option<AgedFix>,
    /// The last valid fix seen, kept when the current one is lost.
    pub last_valid: Option<AgedFix>,
    /// GNSS UTC time now, extrapolated from the last sentence, Unix ms.
    pub gnss_utc_ms: Option<i64>,
    /// Why the source has no valid fix now, when it says (e.g. the
    /// receiver's time went back); recorded with a "no fix" position.
    pub no_fix_reason: Option<String>,
}

impl PositionReading {
    /// No source.
    pub fn none() -> Self {
        PositionReading {
            source: PositionSourceKind::None,
            current: None,
            last_valid: None,
            gnss_utc_ms: None,
            no_fix_reason: None,
        }
    }
}

/// Degrees to 1e-7 degree integers.
pub fn to_e7(deg: f64) -> i64 {
    // Degrees are within ±180, so the product fits i64 exactly enough.
    (deg * 1e7).round() as i64
}

fn record(aged: &AgedFix) -> FixRecord {
    let f = &aged.fix;
    FixRecord {
        lat_e7: to_e7(f.lat_deg),
        lon_e7: to_e7(f.lon_deg),
        alt_cm: f.alt_m.map(|a| (a * 100.0).round() as i64),
        hdop_centi: f.hdop.map(|h| (h * 100.0).round().max(0.0) as u32),
        satellites: f.satellites,
        mode: match f.dimension {
            FixDimension::TwoD => "2d".into(),
            FixDimension::ThreeD => "3d".into(),
        },
        fix_utc_ms: f.fix_utc_ms,
        age_ms: aged.age_ms,
    }
}

/// Turns a reading into the evidence record: a fix counts only if fresh;
/// without one the record says why (the source's reason, or the fix's age).
pub fn to_record(reading: &PositionReading, max_age_ms: i64) -> PositionRecord {
    let source = match reading.source {
        PositionSourceKind::Gnss => "gnss",
        PositionSourceKind::Fixed => "fixed",
        PositionSourceKind::None => "none",
    };
    let fresh = reading
        .current
        .as_ref()
        .filter(|a| a.age_ms >= 0 && a.age_ms <= max_age_ms);
    match fresh {
        Some(a) => PositionRecord {
            status: "fix".into(),
            source: source.into(),
            fix: Some(record(a)),
            last_fix: None,
            reason: None,
        },
        None => PositionRecord {
            status: "no_fix".into(),
            source: source.into(),
            fix: None,
            last_fix: reading
                .last_valid
                .as_ref()
                .or(reading.current.as_ref())
                .map(record),
            reason: reading.no_fix_reason.clone().or_else(|| {
                reading
                    .current
                    .as_ref()
                    .map(|a| format!("fix {} ms old (limit {max_age_ms} ms)", a.age_ms))
            }),
        },
    }
}

/// Great-circle distance in metres between two points in 1e-7 degrees.
pub fn distance_m(a: (i64, i64), b: (i64, i64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (lat1, lon1) = (a.0 as f64 * 1e-7, a.1 as f64 * 1e-7);
    let (lat2, lon2) = (b.0 as f64 * 1e-7, b.1 as f64 * 1e-7);
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix() -> FixReading {
        FixReading {
            lat_deg: 36.7538,
            lon_deg: 3.0588,
            alt_m: Some(12.345),
            hdop: Some(0.9),
            satellites: Some(9),
            dimension: FixDimension::ThreeD,
            fix_utc_ms: Some(1_700_000_000_000),
        }
    }

    #[test]
    fn stale_fix_is_recorded_as_no_fix_with_last_fix() {
        let r = PositionReading {
            source: PositionSourceKind::Gnss,
            current: Some(AgedFix {
                fix: fix(),
                age_ms: 11_000,
            }),
            last_valid: None,
            gnss_utc_ms: None,
            no_fix_reason: None,
        };
        let rec = to_record(&r, 10_000);
        assert_eq!(rec.status, "no_fix");
        assert_eq!(
            rec.reason.as_deref(),
            Some("fix 11000 ms old (limit 10000 ms)")
        );
        assert!(rec.fix.is_none());
        assert_eq!(rec.last_fix.as_ref().map(|f| f.age_ms), Some(11_000));
        let fresh = to_record(
            &PositionReading {
                current: Some(AgedFix {
                    fix: fix(),
                    age_ms: 500,
                }),
                ..r
            },
            10_000,
        );
        assert_eq!(fresh.status, "fix");
        let f = fresh.fix.expect("fix");
        assert_eq!(
            (f.lat_e7, f.lon_e7, f.alt_cm),
            (367_538_000, 30_588_000, Some(1235))
        );
    }

    #[test]
    fn distance_is_plausible() {
        // Algiers Grande Poste to Martyrs square: about 1.3 km.
        let d = distance_m((367_729_000, 30_592_000), (367_863_000, 30_626_000));
        assert!((1400.0..1600.0).contains(&d), "{d}");
        assert!(distance_m((0, 0), (0, 0)) < 1e-6);
    }
}
