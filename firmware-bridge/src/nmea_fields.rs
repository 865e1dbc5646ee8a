//! Strict NMEA field parsers with range checks. A field is either empty
//! (`Ok(None)`) or a value a receiver can produce (`Ok(Some)`); anything else
//! is a [`FieldError`] and the whole sentence is ignored (counted by the
//! feed), never half-applied. See docs/gnss.md, "Range checks".
//!
//! No arithmetic here can overflow: every number is built from a bounded
//! count of digits.

use crate::field_error::FieldError;
use crate::geo_position::Position;
use crate::nmea_date::{NmeaDate, days_in_month};
use crate::time_of_day::TimeOfDayMs;

/// Lowest altitude accepted, metres above mean sea level (the Dead Sea shore
/// is at -430 m).
pub const MIN_ALTITUDE_M: f64 = -500.0;
/// Highest altitude accepted, metres: what a handheld terminal can see.
pub const MAX_ALTITUDE_M: f64 = 10_000.0;

/// Most satellites a fix can use: about half of the some 140 operational
/// GPS, GLONASS, Galileo, BeiDou, QZSS and NavIC satellites can be above a
/// handheld's horizon at once (receivers in the corpus report at most 29).
pub const MAX_SATELLITES: u8 = 72;
/// Largest dilution of precision: NMEA's fields end at 99.99 (the usual
/// "no value" placeholder). 0 and values from 90 are read as "unknown".
pub const MAX_DOP: f64 = 99.99;
/// Largest speed over ground a sentence may carry (514 m/s: above any
/// aircraft a handheld rides in); the fix tracker applies the courier bound.
pub const MAX_SPEED_KNOTS: f64 = 1000.0;
/// Largest geoid separation, metres: EGM96 spans -106 m to +85 m.
pub const MAX_GEOID_SEPARATION_M: f64 = 120.0;
/// Metres in an international foot.
pub const METRES_PER_FOOT: f64 = 0.3048;
/// The time of day a leap second (23:59:60.x) is read as: the last
/// millisecond of the day, as Unix time (which has no leap second) holds it.
pub const LEAP_SECOND_MS: TimeOfDayMs = 86_399_999;

/// Longest digit run accepted in a decimal number (integer or fraction part).
const MAX_DIGITS: usize = 12;

fn all_digits(b: &[u8]) -> bool {
    b.len() <= MAX_DIGITS && b.iter().all(u8::is_ascii_digit)
}

fn digits_value(b: &[u8]) -> u64 {
    // At most MAX_DIGITS digits: below 10^12, no overflow.
    b.iter().fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'))
}

fn two_digits(b: &[u8]) -> u32 {
    digits_value(&b[..2]) as u32
}

/// An unsigned decimal `ddd[.ddd]`: digits only, at most one point, no sign,
/// no exponent. Returns (integer part, fraction as a value in [0, 1)).
fn unsigned_decimal(f: &str) -> Result<(u64, f64), FieldError> {
    let (int, frac) = match f.split_once('.') {
        Some((i, fr)) => (i.as_bytes(), fr.as_bytes()),
        None => (f.as_bytes(), &b""[..]),
    };
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err(FieldError::Format);
    }
    let frac_v = if frac.is_empty() {
        0.0
    } else {
        digits_value(frac) as f64 / 10f64.powi(frac.len() as i32)
    };
    Ok((digits_value(int), frac_v))
}

/// A signed decimal `[-]ddd[.ddd]` (altitude, DOP). No exponent, no `inf`/`nan`.
pub fn decimal(f: &str) -> Result<Option<f64>, FieldError> {
    let f = f.trim();
    if f.is_empty() {
        return Ok(None);
    }
    let (neg, rest) = match f.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, f.strip_prefix('+').unwrap_or(f)),
    };
    let (int, frac) = unsigned_decimal(rest)?;
    let v = int as f64 + frac;
    Ok(Some(if neg { -v } else { v }))
}

/// Altitude in metres, within [`MIN_ALTITUDE_M`]..=[`MAX_ALTITUDE_M`].
pub fn altitude(f: &str) -> Result<Option<f64>, FieldError> {
    match decimal(f)? {
        Some(a) if !(MIN_ALTITUDE_M..=MAX_ALTITUDE_M).contains(&a) => Err(FieldError::Altitude),
        a => Ok(a),
    }
}

/// A length with its unit letter, in metres: `M` (or no letter) metres,
/// `F` feet (converted); any other letter is [`FieldError::Unit`].
fn metres(f: &str, unit: &str) -> Result<Option<f64>, FieldError> {
    let v = decimal(f)?;
    match unit.trim() {
        "" | "M" => Ok(v),
        "F" => Ok(v.map(|ft| ft * METRES_PER_FOOT)),
        _ if v.is_none() => Ok(None),
        _ => Err(FieldError::Unit),
    }
}

/// GGA altitude with its unit field: feet converted to metres, then
/// within [`MIN_ALTITUDE_M`]..=[`MAX_ALTITUDE_M`].
pub fn altitude_with_unit(f: &str, unit: &str) -> Result<Option<f64>, FieldError> {
    match metres(f, unit)? {
        Some(a) if !(MIN_ALTITUDE_M..=MAX_ALTITUDE_M).contains(&a) => Err(FieldError::Altitude),
        a => Ok(a),
    }
}

/// Geoid separation (metres, or feet converted), within
/// ±[`MAX_GEOID_SEPARATION_M`]. Checked, not used.
pub fn geoid_separation(f: &str, unit: &str) -> Result<Option<f64>, FieldError> {
    match metres(f, unit)? {
        Some(n) if n.abs() > MAX_GEOID_SEPARATION_M => Err(FieldError::GeoidSeparation),
        n => Ok(n),
    }
}

/// A dilution of precision: a plain decimal from 0 to [`MAX_DOP`].
pub fn dop(f: &str) -> Result<Option<f64>, FieldError> {
    match decimal(f)? {
        Some(d) if !(0.0..=MAX_DOP).contains(&d) => Err(FieldError::Dop),
        d => Ok(d),
    }
}

/// Speed over ground in knots: a plain decimal from 0 to [`MAX_SPEED_KNOTS`].
pub fn speed_knots(f: &str) -> Result<Option<f64>, FieldError> {
    match decimal(f)? {
        Some(s) if !(0.0..=MAX_SPEED_KNOTS).contains(&s) => Err(FieldError::Speed),
        s => Ok(s),
    }
}

/// Satellites used: digits (NMEA sends two; some send "00"), at most
/// [`MAX_SATELLITES`].
pub fn count(f: &str) -> Result<Option<u8>, FieldError> {
    let f = f.trim();
    if f.is_empty() {
        return Ok(None);
    }
    let b = f.as_bytes();
    if b.len() > 3 || !all_digits(b) {
        return Err(FieldError::Count);
    }
    match u8::try_from(digits_value(b)) {
        Ok(n) if n <= MAX_SATELLITES => Ok(Some(n)),
        _ => Err(FieldError::Count),
    }
}

/// `hhmmss[.sss]` into milliseconds after midnight. Second 60 is a leap
/// second, accepted only at 23:59 and read as [`LEAP_SECOND_MS`]: it never
/// rolls into the next minute or day.
pub fn time_of_day(f: &str) -> Result<Option<TimeOfDayMs>, FieldError> {
    if f.is_empty() {
        return Ok(None);
    }
    let b = f.as_bytes();
    let (hms, frac) = match f.split_once('.') {
        Some((a, fr)) => (a.as_bytes(), fr.as_bytes()),
        None => (b, &b""[..]),
    };
    if hms.len() != 6 || !all_digits(hms) || !all_digits(frac) {
        return Err(FieldError::Format);
    }
    let (h, m, s) = (
        two_digits(hms),
        two_digits(&hms[2..]),
        two_digits(&hms[4..]),
    );
    if h > 23 || m > 59 || s > 60 || (s == 60 && (h, m) != (23, 59)) {
        return Err(FieldError::TimeOfDay);
    }
    if s == 60 {
        return Ok(Some(LEAP_SECOND_MS));
    }
    let mut ms = 0u32;
    let mut scale = 100u32;
    for &d in frac.iter().take(3) {
        ms += u32::from(d - b'0') * scale;
        scale /= 10;
    }
    Ok(Some(((h * 60 + m) * 60 + s) * 1000 + ms))
}

/// A calendar date from its parts, or [`FieldError::Calendar`].
pub fn calendar_date(year: i32, month: u32, day: u32) -> Result<NmeaDate, FieldError> {
    if (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) {
        Ok(NmeaDate { year, month, day })
    } else {
        Err(FieldError::Calendar)
    }
}

/// `ddmmyy` (years below 69 are 20xx, as gpsd reads them); a real calendar date.
pub fn date_ddmmyy(f: &str) -> Result<Option<NmeaDate>, FieldError> {
    if f.is_empty() {
        return Ok(None);
    }
    let b = f.as_bytes();
    if b.len() != 6 || !all_digits(b) {
        return Err(FieldError::Format);
    }
    let (day, month, yy) = (
        two_digits(b),
        two_digits(&b[2..]),
        two_digits(&b[4..]) as i32,
    );
    let year = if yy < 69 { 2000 + yy } else { 1900 + yy };
    calendar_date(year, month, day).map(Some)
}

/// `dddmm.mmmm` into degrees: digits and one decimal point only, minutes
/// below 60, at most `max_deg` degrees.
fn angle(f: &str, max_deg: u64) -> Result<f64, FieldError> {
    if !f.contains('.') {
        return Err(FieldError::Format);
    }
    let (int, frac) = unsigned_decimal(f)?;
    let (deg, min) = (int / 100, int % 100);
    if min >= 60 {
        return Err(FieldError::Minutes);
    }
    let v = deg as f64 + (min as f64 + frac) / 60.0;
    if v > max_deg as f64 {
        return Err(FieldError::Degrees);
    }
    Ok(v)
}

/// Four fields `lat,N/S,lon,E/W`: all empty is no position; all present and
/// in range is a position; anything else is an error.
pub fn position(f: &[&str]) -> Result<Option<Position>, FieldError> {
    let [lat, ns, lon, ew] = f else {
        // Sentence cut before its position fields: no position.
        return Ok(None);
    };
    let empty = [lat, ns, lon, ew].iter().filter(|s| s.is_empty()).count();
    if empty == 4 {
        return Ok(None);
    }
    if lat.is_empty() || lon.is_empty() {
        return Err(FieldError::Partial);
    }
    let mut lat_deg = angle(lat, 90)?;
    let mut lon_deg = angle(lon, 180)?;
    match *ns {
        "N" => {}
        "S" => lat_deg = -lat_deg,
        _ => return Err(FieldError::Hemisphere),
    }
    match *ew {
        "E" => {}
        "W" => lon_deg = -lon_deg,
        _ => return Err(FieldError::Hemisphere),
    }
    Ok(Some(Position { lat_deg, lon_deg }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles() {
        let p = position(&["4807.038", "N", "01131.000", "E"])
            .expect("ok")
            .expect("some");
        assert!((p.lat_deg - 48.1173).abs() < 1e-9);
        assert!((p.lon_deg - 11.516_666_666).abs() < 1e-8);
        assert_eq!(
            position(&["0000.5e3", "N", "01131.000", "E"]),
            Err(FieldError::Format)
        );
        assert_eq!(
            position(&["-4807.038", "N", "01131.000", "E"]),
            Err(FieldError::Format)
        );
        assert_eq!(
            position(&["4899.000", "N", "01131.000", "E"]),
            Err(FieldError::Minutes)
        );
        assert_eq!(
            position(&["9100.000", "N", "01131.000", "E"]),
            Err(FieldError::Degrees)
        );
        assert_eq!(
            position(&["4807.038", "X", "01131.000", "E"]),
            Err(FieldError::Hemisphere)
        );
        assert_eq!(position(&["", "", "", ""]), Ok(None));
        assert_eq!(
            position(&["4807.038", "N", "", ""]),
            Err(FieldError::Partial)
        );
    }

    #[test]
    fn times_and_dates() {
        assert_eq!(time_of_day("123519"), Ok(Some(45_319_000)));
        assert_eq!(time_of_day("123519.5"), Ok(Some(45_319_500)));
        assert_eq!(time_of_day("126199"), Err(FieldError::TimeOfDay));
        assert_eq!(time_of_day("12:35:19"), Err(FieldError::Format));
        assert_eq!(time_of_day("235960"), Ok(Some(LEAP_SECOND_MS)));
        assert_eq!(time_of_day("235960.5"), Ok(Some(LEAP_SECOND_MS)));
        assert_eq!(time_of_day("123060"), Err(FieldError::TimeOfDay));
        assert!(LEAP_SECOND_MS < crate::time_of_day::DAY_MS as u32);
        assert_eq!(date_ddmmyy("310226"), Err(FieldError::Calendar));
        assert_eq!(
            date_ddmmyy("290224"),
            Ok(Some(NmeaDate {
                year: 2024,
                month: 2,
                day: 29
            }))
        );
        assert_eq!(date_ddmmyy("290225"), Err(FieldError::Calendar));
    }

    #[test]
    fn numbers() {
        assert_eq!(altitude("1e308"), Err(FieldError::Format));
        assert_eq!(altitude("10000.1"), Err(FieldError::Altitude));
        assert_eq!(altitude("-12.5"), Ok(Some(-12.5)));
        assert_eq!(decimal("inf"), Err(FieldError::Format));
        assert_eq!(count("00"), Ok(Some(0)));
        assert_eq!(count("999"), Err(FieldError::Count));
        assert_eq!(count("255"), Err(FieldError::Count));
        assert_eq!(count("72"), Ok(Some(72)));
        assert_eq!(count("73"), Err(FieldError::Count));
        assert_eq!(dop("99999999"), Err(FieldError::Dop));
        assert_eq!(dop("99.99"), Ok(Some(99.99)));
        assert_eq!(speed_knots("999999"), Err(FieldError::Speed));
        assert_eq!(speed_knots("12.5"), Ok(Some(12.5)));
        assert_eq!(altitude_with_unit("1000", "F"), Ok(Some(304.8)));
        assert_eq!(altitude_with_unit("40000", "F"), Err(FieldError::Altitude));
        assert_eq!(altitude_with_unit("100", "K"), Err(FieldError::Unit));
        assert_eq!(altitude_with_unit("100", ""), Ok(Some(100.0)));
        assert_eq!(
            geoid_separation("999999", "M"),
            Err(FieldError::GeoidSeparation)
        );
        assert_eq!(geoid_separation("-44.3", "M"), Ok(Some(-44.3)));
        assert_eq!(count("1e2"), Err(FieldError::Count));
    }
}
