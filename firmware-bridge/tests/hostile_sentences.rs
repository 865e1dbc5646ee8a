//! Property tests: well-formed sentences (valid checksums) carrying values
//! no receiver can produce are ignored whole and counted; the fix and the
//! last valid fix stay exactly as they were.

use firmware_bridge::nmea_framing::render_sentence;
use firmware_bridge::{GnssFeed, YearWindow};
use proptest::prelude::*;

/// A good epoch on 2026-11-24 (inside the live window of any build from 2026 on).
fn good_epoch() -> GnssFeed {
    let mut feed = GnssFeed::default();
    for body in [
        "GNRMC,120000.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A",
        "GNGGA,120000.00,4807.0380,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,",
        "GNGSA,A,3,02,05,12,13,15,18,20,25,,,,,1.5,0.9,1.2",
    ] {
        feed.push(render_sentence(body).as_bytes(), 0);
    }
    assert!(feed.tracker().fix().valid);
    feed
}

/// Latitudes (`ddmm.mmmm`) no receiver sends.
fn bad_latitude() -> impl Strategy<Value = String> {
    prop_oneof![
        // An exponent.
        (0u32..10_000, 0u32..1000, 1u32..400).prop_map(|(a, b, e)| format!("{a:04}.{b}e{e}")),
        // A sign.
        (0u32..9000, 0u32..10_000).prop_map(|(a, b)| format!("-{a:04}.{b:04}")),
        (0u32..9000, 0u32..10_000).prop_map(|(a, b)| format!("+{a:04}.{b:04}")),
        // Minutes of 60 and more.
        (0u32..90, 60u32..100, 0u32..10_000).prop_map(|(d, m, f)| format!("{d:02}{m:02}.{f:04}")),
        // Beyond 90 degrees.
        (91u32..1000, 0u32..60, 0u32..10_000).prop_map(|(d, m, f)| format!("{d:02}{m:02}.{f:04}")),
        Just("inf".to_string()),
        Just("NaN".to_string()),
        Just("4807,038".replace(',', "")),
    ]
}

/// Altitudes outside -500 m .. 10 km, or not written as NMEA decimals.
fn bad_altitude() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..=308).prop_map(|e| format!("1e{e}")),
        (10_000.01f64..1e12).prop_map(|a| format!("{a:.1}")),
        (500.01f64..1e12).prop_map(|a| format!("-{a:.1}")),
        Just("inf".to_string()),
        Just("-inf".to_string()),
        Just("NaN".to_string()),
        Just("0x10".to_string()),
    ]
}

/// `ddmmyy` dates that are not on the calendar.
fn bad_date() -> impl Strategy<Value = String> {
    prop_oneof![
        (30u32..32, 20u32..60).prop_map(|(d, y)| format!("{d:02}02{y:02}")),
        (
            29u32..30,
            prop::sample::select(vec![21u32, 22, 23, 25, 26, 27])
        )
            .prop_map(|(d, y)| format!("{d:02}02{y:02}")),
        (prop::sample::select(vec![4u32, 6, 9, 11]), 20u32..60)
            .prop_map(|(m, y)| format!("31{m:02}{y:02}")),
        (1u32..29, 13u32..100, 20u32..60).prop_map(|(d, m, y)| format!("{d:02}{m:02}{y:02}")),
        (0u32..1, 1u32..13, 20u32..60).prop_map(|(d, m, y)| format!("{d:02}{m:02}{y:02}")),
        (32u32..100, 1u32..13, 20u32..60).prop_map(|(d, m, y)| format!("{d:02}{m:02}{y:02}")),
    ]
}

/// `hhmmss.ss` times that are not a time of day.
fn bad_time() -> impl Strategy<Value = String> {
    prop_oneof![
        (24u32..100, 0u32..60, 0u32..60).prop_map(|(h, m, s)| format!("{h:02}{m:02}{s:02}.00")),
        (0u32..24, 60u32..100, 0u32..60).prop_map(|(h, m, s)| format!("{h:02}{m:02}{s:02}.00")),
        (0u32..24, 0u32..60, 61u32..100).prop_map(|(h, m, s)| format!("{h:02}{m:02}{s:02}.00")),
        (0u32..24, 0u32..60).prop_map(|(h, m)| format!("{h:02}:{m:02}")),
    ]
}

/// A year outside the live window.
fn bad_year() -> impl Strategy<Value = u32> {
    let w = YearWindow::live();
    let (lo, hi) = (w.min as u32, w.max as u32);
    prop_oneof![1980u32..lo, (hi + 1)..10_000]
}

fn hostile_sentence() -> impl Strategy<Value = String> {
    prop_oneof![
        bad_latitude()
            .prop_map(|l| format!("GNGGA,120001.00,{l},N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,")),
        bad_latitude()
            .prop_map(|l| format!("GNRMC,120001.00,A,{l},S,01131.0000,E,0.0,0.0,241126,,,A")),
        bad_latitude().prop_map(|l| format!("GNGLL,{l},N,01131.0000,W,120001.00,A,A")),
        bad_altitude().prop_map(|a| format!(
            "GNGGA,120001.00,4807.0380,N,01131.0000,E,1,08,0.9,{a},M,46.9,M,,"
        )),
        bad_altitude().prop_map(|a| format!(
            "GNGNS,120001.00,4807.0380,N,01131.0000,E,AAN,08,0.9,{a},46.9,,,S"
        )),
        bad_date()
            .prop_map(|d| format!("GNRMC,120001.00,A,4807.0380,N,01131.0000,E,0.0,0.0,{d},,,A")),
        bad_time()
            .prop_map(|t| format!("GNGGA,{t},4808.0000,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,")),
        bad_time().prop_map(|t| format!("GNRMC,{t},A,4808.0000,N,01131.0000,E,0.0,0.0,241126,,,A")),
        bad_year().prop_map(|y| format!("GNZDA,120001.00,24,11,{y},00,00")),
        (0i32..100, 1u32..29)
            .prop_filter("two-digit year inside the window", |(yy, _)| {
                let year = if *yy < 69 { 2000 + yy } else { 1900 + yy };
                YearWindow::live().check(year).is_err()
            })
            .prop_map(|(yy, d)| format!(
                "GNRMC,120001.00,A,4807.0380,N,01131.0000,E,0.0,0.0,{d:02}11{yy:02},,,A"
            )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn hostile_sentences_are_counted_and_change_nothing(body in hostile_sentence()) {
        let mut feed = good_epoch();
        let fix = feed.tracker().fix();
        let last = feed.tracker().view(0).last_valid;
        let before = feed.stats();
        feed.push(render_sentence(&body).as_bytes(), 0);
        let after = feed.stats();
        prop_assert_eq!(after.sentences, before.sentences + 1, "checksum must be valid");
        prop_assert_eq!(after.out_of_range, before.out_of_range + 1, "`{}` not counted", body);
        prop_assert_eq!(after.decoded, before.decoded);
        prop_assert_eq!(feed.tracker().fix(), fix);
        prop_assert_eq!(feed.tracker().view(0).last_valid, last);
    }
}
