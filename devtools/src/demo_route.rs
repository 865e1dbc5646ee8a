//! A synthetic but receiver-shaped NMEA log along the sample day's route, for the
//! demo's GNSS simulator: one epoch per second (RMC, GGA, GSA, VTG, GLL, GSV),
//! about 500 bytes, so a 4800-baud replay runs at close to real time.

use std::fmt::Write as _;

/// Seconds parked at each address.
pub const DWELL_S: u32 = 150;
/// Driving speed between stops, m/s.
pub const SPEED_MPS: f64 = 7.0;

fn checksum(body: &str) -> u8 {
    body.bytes().fold(0, |a, b| a ^ b)
}

fn sentence(out: &mut String, body: &str) {
    let _ = write!(out, "${body}*{:02X}\r\n", checksum(body));
}

fn lat(deg: f64) -> String {
    let a = deg.abs();
    let d = a.trunc();
    format!(
        "{:02}{:07.4},{}",
        d as u32,
        (a - d) * 60.0,
        if deg >= 0.0 { 'N' } else { 'S' }
    )
}

fn lon(deg: f64) -> String {
    let a = deg.abs();
    let d = a.trunc();
    format!(
        "{:03}{:07.4},{}",
        d as u32,
        (a - d) * 60.0,
        if deg >= 0.0 { 'E' } else { 'W' }
    )
}

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    courier_terminal::domain::position::distance_m(
        (
            courier_terminal::domain::position::to_e7(a.0),
            courier_terminal::domain::position::to_e7(a.1),
        ),
        (
            courier_terminal::domain::position::to_e7(b.0),
            courier_terminal::domain::position::to_e7(b.1),
        ),
    )
}

/// One epoch of sentences at `utc_s` (Unix seconds) and a position.
fn epoch(out: &mut String, utc_s: i64, pos: (f64, f64), speed_knots: f64) {
    let secs_of_day = utc_s.rem_euclid(86_400);
    let (h, m, s) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
    let days = utc_s.div_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    let t = format!("{h:02}{m:02}{s:02}.00");
    let date = format!("{d:02}{mo:02}{:02}", y % 100);
    let (la, lo) = (lat(pos.0), lon(pos.1));
    sentence(
        out,
        &format!("GPRMC,{t},A,{la},{lo},{speed_knots:.1},0.0,{date},,,A"),
    );
    sentence(
        out,
        &format!("GPGGA,{t},{la},{lo},1,09,0.9,42.5,M,32.1,M,,"),
    );
    sentence(out, "GPGSA,A,3,02,05,07,09,13,15,18,20,30,,,,1.6,0.9,1.3");
    sentence(
        out,
        &format!(
            "GPVTG,0.0,T,,M,{speed_knots:.1},N,{:.1},K,A",
            speed_knots * 1.852
        ),
    );
    sentence(out, &format!("GPGLL,{la},{lo},{t},A,A"));
    sentence(
        out,
        "GPGSV,3,1,11,02,45,120,38,05,62,045,42,07,18,300,31,09,33,210,36",
    );
    sentence(
        out,
        "GPGSV,3,2,11,13,71,330,44,15,25,090,35,18,12,160,29,20,48,270,40",
    );
    sentence(out, "GPGSV,3,3,11,30,39,010,37,23,05,200,,26,08,250,");
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The NMEA log: parked `DWELL_S` at each stop, driving between them.
pub fn route_nmea(stops: &[(f64, f64)], start_utc_s: i64) -> String {
    let mut out = String::new();
    let mut t = start_utc_s;
    for (i, stop) in stops.iter().enumerate() {
        for _ in 0..DWELL_S {
            epoch(&mut out, t, *stop, 0.0);
            t += 1;
        }
        if let Some(next) = stops.get(i + 1) {
            let steps = (distance_m(*stop, *next) / SPEED_MPS).ceil().max(1.0) as u32;
            for k in 1..=steps {
                let f = f64::from(k) / f64::from(steps);
                let p = (
                    stop.0 + (next.0 - stop.0) * f,
                    stop.1 + (next.1 - stop.1) * f,
                );
                epoch(&mut out, t, p, SPEED_MPS / 0.514_444);
                t += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_checksums_are_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_415), (2025, 11, 23));
        let log = route_nmea(&[(36.764, 3.051), (36.777, 3.062)], 1_763_856_000);
        let first = log.lines().next().expect("a sentence");
        assert!(
            first.starts_with("$GPRMC,000000.00,A,3645.8400,N,00303.0600,E"),
            "{first}"
        );
        let body = &first[1..first.len() - 3];
        assert_eq!(&first[first.len() - 2..], format!("{:02X}", checksum(body)));
        let epochs = log.lines().filter(|l| l.starts_with("$GPRMC")).count();
        assert!(epochs > 2 * DWELL_S as usize, "{epochs}");
    }
}
