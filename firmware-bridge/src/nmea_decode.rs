//! Sentence to meaning: turns one framed NMEA sentence body into a typed
//! [`Observation`]. Pure and allocation-light; never panics on any input.
//!
//! Fields are parsed here rather than with the `nmea` crate because its types
//! fold away information the fix tracker needs (GGA quality 7/8, the RMC
//! status next to the FAA mode indicator, non-advancing GGA time stamps).

use thiserror::Error;

/// Talkers accepted by default: GPS, multi-GNSS, GLONASS, Galileo, BeiDou
/// (NMEA 4.11 `GB` and the older `BD`) and QZSS.
pub const DEFAULT_TALKERS: &[&str] = &["GP", "GN", "GL", "GA", "GB", "BD", "GQ"];

/// Time of day in milliseconds after UTC midnight.
pub type TimeOfDayMs = u32;

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

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }
}

/// A decoded latitude/longitude pair in degrees (south and west negative).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
}

/// RMC: recommended minimum data.
#[derive(Debug, Clone, PartialEq)]
pub struct Rmc {
    /// UTC time of the fix.
    pub time: Option<TimeOfDayMs>,
    /// Status byte: `A` valid, `V` warning.
    pub status: u8,
    /// Position, if all four fields were present.
    pub position: Option<Position>,
    /// Date.
    pub date: Option<NmeaDate>,
    /// FAA mode indicator (NMEA 2.3+), e.g. `A`, `D`, `E`, `N`, `S`.
    pub faa_mode: Option<u8>,
}

/// GGA: fix data.
#[derive(Debug, Clone, PartialEq)]
pub struct Gga {
    /// UTC time of the fix.
    pub time: Option<TimeOfDayMs>,
    /// The raw time field, to detect non-advancing time stamps.
    pub raw_time: String,
    /// Position, if present.
    pub position: Option<Position>,
    /// Fix quality 0-8 (`None` when the field is empty or not a number).
    pub quality: Option<u8>,
    /// Satellites used.
    pub satellites: Option<u8>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub alt_m: Option<f64>,
}

/// GNS: multi-constellation fix data.
#[derive(Debug, Clone, PartialEq)]
pub struct Gns {
    /// UTC time of the fix.
    pub time: Option<TimeOfDayMs>,
    /// Position, if present.
    pub position: Option<Position>,
    /// Mode indicator characters, one per constellation (e.g. `AAN`).
    pub modes: String,
    /// Satellites used.
    pub satellites: Option<u8>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub alt_m: Option<f64>,
    /// NMEA 4.1 navigational status (`S` safe, `C`, `U` unsafe, `V` invalid).
    pub nav_status: Option<u8>,
}

/// GSA: DOP and active satellites.
#[derive(Debug, Clone, PartialEq)]
pub struct Gsa {
    /// Fix type: 1 none, 2 2D, 3 3D.
    pub fix_type: Option<u8>,
    /// Satellite ids used.
    pub used: Vec<u16>,
    /// Position dilution of precision.
    pub pdop: Option<f64>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
}

/// GLL: geographic position.
#[derive(Debug, Clone, PartialEq)]
pub struct Gll {
    /// Position, if present.
    pub position: Option<Position>,
    /// UTC time.
    pub time: Option<TimeOfDayMs>,
    /// Status: `A` valid, `V` invalid, `None` when empty.
    pub status: Option<u8>,
    /// FAA mode indicator (NMEA 2.3+).
    pub faa_mode: Option<u8>,
}

/// VTG: course and speed over ground.
#[derive(Debug, Clone, PartialEq)]
pub struct Vtg {
    /// True course, degrees.
    pub course_deg: Option<f64>,
    /// Speed, knots.
    pub speed_knots: Option<f64>,
    /// FAA mode indicator.
    pub faa_mode: Option<u8>,
}

/// ZDA: time and date (used for time only).
#[derive(Debug, Clone, PartialEq)]
pub struct Zda {
    /// UTC time.
    pub time: Option<TimeOfDayMs>,
    /// Date.
    pub date: Option<NmeaDate>,
}

/// A typed observation from one accepted sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// RMC.
    Rmc(Rmc),
    /// GGA.
    Gga(Gga),
    /// GNS.
    Gns(Gns),
    /// GSA.
    Gsa(Gsa),
    /// GLL.
    Gll(Gll),
    /// VTG.
    Vtg(Vtg),
    /// ZDA (time and date only).
    Zda(Zda),
}

/// A decoded sentence with its talker.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Two-letter talker id, e.g. `GN`.
    pub talker: String,
    /// What it says.
    pub observation: Observation,
}

/// Why a framed sentence produced no observation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// A sentence type or talker outside the accepted set (counted, not an error).
    #[error("sentence {0} not used")]
    Skipped(String),
    /// The address field is not `TTSSS`.
    #[error("malformed address field")]
    BadAddress,
}

/// Decoder with a configurable set of accepted talkers.
#[derive(Debug, Clone)]
pub struct NmeaDecoder {
    talkers: Vec<String>,
}

impl Default for NmeaDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_TALKERS.iter().map(|s| s.to_string()).collect())
    }
}

fn opt(f: &str) -> Option<&str> {
    if f.is_empty() { None } else { Some(f) }
}

fn num(f: &str) -> Option<f64> {
    opt(f)?.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

fn first_byte(f: &str) -> Option<u8> {
    f.as_bytes().first().copied()
}

fn digits2(b: &[u8]) -> Option<u32> {
    match b {
        [a @ b'0'..=b'9', c @ b'0'..=b'9', ..] => {
            Some(u32::from(a - b'0') * 10 + u32::from(c - b'0'))
        }
        _ => None,
    }
}

/// Parse `hhmmss[.sss]` into milliseconds after midnight.
pub fn parse_time(f: &str) -> Option<TimeOfDayMs> {
    let b = f.as_bytes();
    if b.len() < 6 {
        return None;
    }
    let h = digits2(&b[0..2])?;
    let m = digits2(&b[2..4])?;
    let s = digits2(&b[4..6])?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut ms = 0u32;
    if b.len() > 7 && b[6] == b'.' {
        let mut scale = 100u32;
        for &d in &b[7..] {
            if !d.is_ascii_digit() {
                return None;
            }
            ms += u32::from(d - b'0') * scale;
            scale /= 10;
        }
    } else if b.len() > 6 && b[6] != b'.' {
        return None;
    }
    Some(((h * 60 + m) * 60 + s) * 1000 + ms)
}

/// Parse `ddmmyy` (years below 69 are 20xx, as gpsd does).
pub fn parse_date(f: &str) -> Option<NmeaDate> {
    let b = f.as_bytes();
    if b.len() != 6 {
        return None;
    }
    let day = digits2(&b[0..2])?;
    let month = digits2(&b[2..4])?;
    let yy = digits2(&b[4..6])? as i32;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year = if yy < 69 { 2000 + yy } else { 1900 + yy };
    Some(NmeaDate { year, month, day })
}

/// Parse `dddmm.mmmm` into degrees. A decimal point is required.
fn parse_angle(f: &str) -> Option<f64> {
    let dot = f.find('.')?;
    let (int, frac) = f.split_at(dot);
    let int_val: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac_min: f64 = if frac.len() > 1 {
        frac.parse().ok()?
    } else {
        0.0
    };
    let deg = int_val / 100;
    let minutes = (int_val - deg * 100) as f64 + frac_min;
    let v = deg as f64 + minutes / 60.0;
    v.is_finite().then_some(v)
}

/// Parse four fields `lat,N/S,lon,E/W`; all must be non-empty.
fn parse_position(f: &[&str]) -> Option<Position> {
    let [lat, ns, lon, ew] = f else { return None };
    if lat.is_empty() || ns.is_empty() || lon.is_empty() || ew.is_empty() {
        return None;
    }
    let mut lat_deg = parse_angle(lat)?;
    let mut lon_deg = parse_angle(lon)?;
    if ns.starts_with('S') {
        lat_deg = -lat_deg;
    }
    if ew.starts_with('W') {
        lon_deg = -lon_deg;
    }
    if lat_deg.abs() > 90.0 || lon_deg.abs() > 180.0 {
        return None;
    }
    Some(Position { lat_deg, lon_deg })
}

impl NmeaDecoder {
    /// Decoder accepting the given talker ids.
    pub fn new(talkers: Vec<String>) -> Self {
        Self { talkers }
    }

    /// Decode one sentence body (as produced by the framer).
    pub fn decode(&self, body: &str) -> Result<Decoded, DecodeError> {
        let fields: Vec<&str> = body.split(',').collect();
        let addr = fields.first().copied().unwrap_or_default();
        if addr.len() < 3 || !addr.is_ascii() {
            return Err(DecodeError::BadAddress);
        }
        if addr.starts_with('P') || addr.len() != 5 {
            return Err(DecodeError::Skipped(addr.to_string()));
        }
        let (talker, kind) = addr.split_at(2);
        if !self.talkers.iter().any(|t| t == talker) {
            return Err(DecodeError::Skipped(addr.to_string()));
        }
        let f = |i: usize| fields.get(i).copied().unwrap_or_default();
        let pos = |i: usize| fields.get(i..i + 4).and_then(parse_position);
        let observation = match kind {
            "RMC" => Observation::Rmc(Rmc {
                time: parse_time(f(1)),
                status: first_byte(f(2)).unwrap_or(b'V'),
                position: pos(3),
                date: parse_date(f(9)),
                faa_mode: first_byte(f(12)),
            }),
            "GGA" => Observation::Gga(Gga {
                time: parse_time(f(1)),
                raw_time: f(1).to_string(),
                position: pos(2),
                quality: f(6).trim().parse().ok(),
                satellites: f(7).trim().parse().ok(),
                hdop: num(f(8)),
                alt_m: num(f(9)),
            }),
            "GNS" => Observation::Gns(Gns {
                time: parse_time(f(1)),
                position: pos(2),
                modes: f(6).to_string(),
                satellites: f(7).trim().parse().ok(),
                hdop: num(f(8)),
                alt_m: num(f(9)),
                nav_status: first_byte(f(13)),
            }),
            "GSA" => {
                let n = fields.len();
                // Tag, selection mode, fix type, then ids, then PDOP/HDOP/VDOP
                // (and, from NMEA 4.1, a system id).
                let dop_at = if n >= 19 && !f(n - 1).contains('.') {
                    n - 4
                } else {
                    n.saturating_sub(3)
                };
                let used = fields
                    .get(3..dop_at.max(3))
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| s.parse::<u16>().ok())
                    .filter(|&p| p > 0)
                    .collect();
                Observation::Gsa(Gsa {
                    fix_type: f(2).trim().parse().ok(),
                    used,
                    pdop: num(f(dop_at)),
                    hdop: num(f(dop_at + 1)),
                })
            }
            "GLL" => Observation::Gll(Gll {
                position: pos(1),
                time: parse_time(f(5)),
                status: first_byte(f(6)),
                faa_mode: first_byte(f(7)),
            }),
            "VTG" => Observation::Vtg(Vtg {
                course_deg: num(f(1)),
                speed_knots: num(f(5)),
                faa_mode: first_byte(f(9)),
            }),
            "ZDA" => {
                let day: Option<u32> = f(2).parse().ok();
                let month: Option<u32> = f(3).parse().ok();
                let year: Option<i32> = f(4).parse().ok();
                let date = match (day, month, year) {
                    (Some(day @ 1..=31), Some(month @ 1..=12), Some(year @ 1980..=2200)) => {
                        Some(NmeaDate { year, month, day })
                    }
                    _ => None,
                };
                Observation::Zda(Zda {
                    time: parse_time(f(1)),
                    date,
                })
            }
            _ => return Err(DecodeError::Skipped(addr.to_string())),
        };
        Ok(Decoded {
            talker: talker.to_string(),
            observation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_gga_with_quality_8() {
        let d = NmeaDecoder::default()
            .decode("GPGGA,125106,3854.5087,N,07726.4523,W,8,10,2.0,268.8,M,-33.9,M,,")
            .expect("decodes");
        let Observation::Gga(g) = d.observation else {
            panic!("not GGA")
        };
        assert_eq!(g.quality, Some(8));
        assert_eq!(g.time, Some((12 * 3600 + 51 * 60 + 6) * 1000));
        let p = g.position.expect("position");
        assert!((p.lat_deg - 38.908478333).abs() < 1e-8);
        assert!((p.lon_deg + 77.440871667).abs() < 1e-8);
        assert_eq!(g.alt_m, Some(268.8));
    }

    #[test]
    fn rmc_date_and_time() {
        let d = NmeaDecoder::default()
            .decode("GPRMC,005947.25,A,3715.6616,N,12157.6709,W,0.0,0.0,080710,,")
            .expect("decodes");
        let Observation::Rmc(r) = d.observation else {
            panic!("not RMC")
        };
        assert_eq!(
            r.date,
            Some(NmeaDate {
                year: 2010,
                month: 7,
                day: 8
            })
        );
        assert_eq!(r.time, Some(59 * 60 * 1000 + 47_250));
        assert_eq!(r.status, b'A');
    }

    #[test]
    fn skips_other_sentences_and_talkers() {
        let dec = NmeaDecoder::default();
        assert!(matches!(
            dec.decode("GPGSV,3,1,11"),
            Err(DecodeError::Skipped(_))
        ));
        assert!(matches!(
            dec.decode("PGRMZ,48,f,3"),
            Err(DecodeError::Skipped(_))
        ));
        assert!(matches!(
            dec.decode("IMGSA,A,3"),
            Err(DecodeError::Skipped(_))
        ));
    }

    #[test]
    fn date_roundtrip() {
        for days in [-1000i64, 0, 11_000, 19_999, 20_500] {
            assert_eq!(NmeaDate::from_days(days).days_since_epoch(), days);
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
}
