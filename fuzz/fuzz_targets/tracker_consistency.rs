//! Fuzz the fix tracker's consistency rules: the input drives a generator of
//! well-formed sentences (RMC, GGA, GNS, GLL, ZDA, GSA with times stepping
//! forward, back and across days, dates changing, positions jumping, mode
//! and status letters, DOPs), interleaved with raw bytes. On every fix the
//! tracker accepts as valid: GNSS time never more than the rounding
//! tolerance before an earlier valid fix, and the implied speed from the
//! previous valid fix within the bound given both fixes' HDOP.
//! `FUZZ_TRACE=1` prints the generated stream of a finding.
#![no_main]

use firmware_bridge::GnssFeed;
use firmware_bridge::fix_continuity::{ContinuityLimits, ROUNDING_MS, distance_m};
use firmware_bridge::geo_position::Position;
use firmware_bridge::gnss_feed::FeedEvent;
use firmware_bridge::nmea_framing::render_sentence;
use firmware_bridge::{Fix, YearWindow};
use libfuzzer_sys::fuzz_target;

const DAY_MS: i64 = 86_400_000;

/// Generator state: the stream's "true" time and position, perturbed by input.
struct Gen<'a> {
    data: &'a [u8],
    day: i64,
    tod_ms: i64,
    lat: f64,
    lon: f64,
}

impl Gen<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    fn time(&self) -> String {
        let t = self.tod_ms.rem_euclid(DAY_MS);
        let (h, m, s, ms) = (t / 3_600_000, t / 60_000 % 60, t / 1000 % 60, t % 1000);
        format!("{h:02}{m:02}{s:02}.{ms:03}")
    }

    fn date(&self) -> String {
        let d = firmware_bridge::nmea_date::NmeaDate::from_days(self.day).unwrap_or(
            firmware_bridge::nmea_date::NmeaDate {
                year: 2020,
                month: 1,
                day: 1,
            },
        );
        format!("{:02}{:02}{:02}", d.day, d.month, d.year % 100)
    }

    fn position(&self) -> String {
        let ll = |v: f64, w: usize, pos: char, neg: char| {
            let a = v.abs().min(if w == 2 { 89.9 } else { 179.9 });
            let d = a.trunc();
            format!("{:0w$}{:07.4},{}", d as u32, (a - d) * 60.0, if v >= 0.0 { pos } else { neg })
        };
        format!("{},{}", ll(self.lat, 2, 'N', 'S'), ll(self.lon, 3, 'E', 'W'))
    }

    /// Next sentence (or raw bytes), `None` at the end of the input.
    fn next(&mut self) -> Option<Vec<u8>> {
        let op = self.byte()?;
        let arg = self.byte()?;
        let small = i64::from(arg as i8);
        match op % 16 {
            // Time steps: forward by 1 s (most), by small amounts either way,
            // by hours, across days.
            0..=3 => self.tod_ms += 1000,
            4 => self.tod_ms += small * 10,
            5 => self.tod_ms += small * 60_000,
            6 => self.day += small.signum(),
            7 => {
                self.lat += small as f64 * 1e-4;
                self.lon += small as f64 * 1e-4;
            }
            8 => {
                self.lat = (self.lat + small as f64).clamp(-89.0, 89.0);
                self.lon = ((self.lon + small as f64 * 2.0 + 180.0).rem_euclid(360.0)) - 180.0;
            }
            9 => return Some(vec![arg; usize::from(arg % 8)]),
            _ => {}
        }
        if self.tod_ms >= DAY_MS {
            self.tod_ms -= DAY_MS;
            self.day += 1;
        } else if self.tod_ms < 0 {
            self.tod_ms += DAY_MS;
            self.day -= 1;
        }
        self.day = self.day.clamp(3653, 20_000);
        let hdop = ["0.9", "2.5", "", "99.99", "25.0"][usize::from(arg % 5)];
        let body = match (op / 16) % 8 {
            0 | 1 => format!(
                "GPRMC,{},A,{},{}.0,0.0,{},,,{}",
                self.time(),
                self.position(),
                arg % 120,
                self.date(),
                ["A", "D", "N", "V", "S"][usize::from(arg % 5)]
            ),
            2 | 3 => format!(
                "GNGGA,{},{},{},{:02},{hdop},{}.0,M,46.9,M,,",
                self.time(),
                self.position(),
                [1, 2, 0, 8, 4][usize::from(arg % 5)],
                arg % 20,
                arg
            ),
            4 => format!(
                "GNGNS,{},{},{},{:02},{hdop},545.4,46.9,,,{}",
                self.time(),
                self.position(),
                ["AA", "NN", "DA"][usize::from(arg % 3)],
                arg % 20,
                ["S", "V", "U", ""][usize::from(arg % 4)]
            ),
            5 => format!("GNGLL,{},{},A,A", self.position(), self.time()),
            6 => {
                let d = firmware_bridge::nmea_date::NmeaDate::from_days(self.day)?;
                format!(
                    "GNZDA,{},{:02},{:02},{},00,00",
                    self.time(),
                    d.day,
                    d.month,
                    d.year
                )
            }
            _ => format!("GNGSA,A,{},02,05,12,13,,,,,,,,,1.5,{hdop},1.2", 1 + arg % 3),
        };
        Some(render_sentence(&body).into_bytes())
    }
}

fn check_pair(prev: &Fix, next: &Fix, limits: &ContinuityLimits, latest_ms: i64) {
    let (Some(t0), Some(t1)) = (prev.gnss_utc_ms, next.gnss_utc_ms) else {
        return;
    };
    assert!(
        t1 > latest_ms - ROUNDING_MS,
        "valid fix at {t1} ms after a valid fix at {latest_ms} ms: {next:?}"
    );
    let (Some(la0), Some(lo0), Some(la1), Some(lo1)) =
        (prev.lat_deg, prev.lon_deg, next.lat_deg, next.lon_deg)
    else {
        return;
    };
    let acc = |h: Option<f64>| h.unwrap_or(limits.unknown_hdop) * limits.metres_per_hdop;
    let d = distance_m(
        &Position { lat_deg: la0, lon_deg: lo0 },
        &Position { lat_deg: la1, lon_deg: lo1 },
    ) - acc(prev.hdop)
        - acc(next.hdop);
    let dt_s = (t1 - t0).max(0) as f64 / 1000.0;
    assert!(
        d <= limits.max_speed_mps * dt_s + 1e-6,
        "implied speed beyond the bound: {d} m in {dt_s} s: {prev:?} -> {next:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let mut stream = Gen {
        data,
        day: 19_000,
        tod_ms: 43_200_000,
        lat: 48.1,
        lon: 11.5,
    };
    let limits = ContinuityLimits::default();
    let mut feed = GnssFeed::default().with_years(YearWindow::historic());
    let mut prev: Option<Fix> = None;
    let mut latest_ms = i64::MIN / 2;
    // Half the inputs run with a device monotonic clock (as on a terminal),
    // the others without (as a recording).
    let with_clock = data.first().is_some_and(|b| b & 1 == 1);
    let mut mono = 1_000_000i64;
    // FUZZ_TRACE=1 prints the generated stream (to read a finding).
    let trace = std::env::var_os("FUZZ_TRACE").is_some();
    while let Some(bytes) = stream.next() {
        mono += i64::from(bytes.len() as u8 % 4) * 300;
        let mono_ms = with_clock.then_some(mono);
        if trace {
            eprintln!("{mono_ms:?} {}", String::from_utf8_lossy(&bytes).trim_end());
        }
        feed.push_observed(&bytes, 0, mono_ms, &mut |ev, tracker| {
            if !matches!(ev, FeedEvent::Decoded { .. }) {
                return;
            }
            let fix = tracker.fix();
            if !fix.valid {
                return;
            }
            if let Some(p) = &prev {
                check_pair(p, &fix, &limits, latest_ms);
            }
            if let Some(t) = fix.gnss_utc_ms {
                latest_ms = latest_ms.max(t);
            }
            prev = Some(fix);
        });
    }
});
