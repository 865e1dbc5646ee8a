//! Failing patterns from receivers outside the corpus and hostile but
//! well-formed sentences (valid checksums). Small fixtures written for these
//! tests, not copies of third-party captures. See docs/gnss.md.

use firmware_bridge::nmea_framing::render_sentence;
use firmware_bridge::{Fix, FixMode, GnssFeed};

fn push(feed: &mut GnssFeed, body: &str) {
    feed.push(render_sentence(body).as_bytes(), 0);
}

fn fix(feed: &GnssFeed) -> Fix {
    feed.tracker().fix()
}

/// A Furuno-style epoch: GNS lists the satellites, GGA says DGPS with "00"
/// satellites used, GSA says 3D with 11 satellites.
fn furuno_epoch(feed: &mut GnssFeed, t: &str) {
    push(
        feed,
        &format!("GNGNS,{t},3540.1234,N,13945.6789,E,DDN,11,0.8,41.2,39.5,,,V"),
    );
    push(
        feed,
        &format!("GNGGA,{t},3540.1234,N,13945.6789,E,2,00,0.8,41.2,M,39.5,M,,"),
    );
}

#[test]
fn furuno_dgps_gga_with_00_satellites_then_gsa_3d_is_a_valid_fix() {
    let mut feed = GnssFeed::default();
    for t in ["031500.00", "031501.00", "031502.00"] {
        furuno_epoch(&mut feed, t);
        push(
            &mut feed,
            "GNGSA,A,3,02,05,12,13,15,18,20,25,29,65,72,0.9,0.8,0.6",
        );
        let f = fix(&feed);
        assert!(
            f.valid,
            "epoch {t}: 3D fix with a position must be valid: {f:?}"
        );
        assert_eq!(f.mode, FixMode::ThreeD);
        assert!(f.lat_deg.is_some_and(|l| (l - 35.668_723).abs() < 1e-5));
        assert_eq!(f.quality_rejected, None);
    }
}

#[test]
fn haicom_gga_quality_1_with_00_satellites_then_gsa_3d_is_a_valid_fix() {
    let mut feed = GnssFeed::default();
    for s in 10..13 {
        push(
            &mut feed,
            &format!("GPRMC,0915{s}.000,A,5130.0000,N,00007.5000,W,0.00,0.0,241126,,,A"),
        );
        push(
            &mut feed,
            &format!("GPGGA,0915{s}.000,5130.0000,N,00007.5000,W,1,00,1.2,35.0,M,47.0,M,,"),
        );
        push(&mut feed, "GPGSA,A,3,04,07,09,16,27,,,,,,,,2.1,1.2,1.7");
        let f = fix(&feed);
        assert!(f.valid, "second {s}: {f:?}");
        assert_eq!(f.mode, FixMode::ThreeD);
    }
}

#[test]
fn gns_mode_string_is_read_for_every_constellation() {
    let mut feed = GnssFeed::default();
    // GPS has no fix, GLONASS and Galileo are differential.
    push(
        &mut feed,
        "GNGNS,101500.00,4807.0380,N,01131.0000,E,NDD,09,1.0,545.4,46.9,,,S",
    );
    let f = fix(&feed);
    assert!(f.valid, "{f:?}");
    assert_eq!(f.mode, FixMode::ThreeD);
    assert!(f.lat_deg.is_some_and(|l| (l - 48.1173).abs() < 1e-6));
    // Every constellation without a fix: no fix.
    push(
        &mut feed,
        "GNGNS,101501.00,4807.0380,N,01131.0000,E,NNN,09,1.0,545.4,46.9,,,S",
    );
    assert!(!fix(&feed).valid);
}

/// A good epoch at 12:00:00 on 2026-11-24 at 48.1173 N 11.5167 E, 545.4 m.
fn good_epoch() -> GnssFeed {
    let mut feed = GnssFeed::default();
    push(
        &mut feed,
        "GNRMC,120000.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A",
    );
    push(
        &mut feed,
        "GNGGA,120000.00,4807.0380,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,",
    );
    push(
        &mut feed,
        "GNGSA,A,3,02,05,12,13,15,18,20,25,,,,,1.5,0.9,1.2",
    );
    let f = fix(&feed);
    assert!(f.valid && f.mode == FixMode::ThreeD, "baseline: {f:?}");
    feed
}

/// The hostile sentence changes nothing (not the current fix, not the last
/// valid one) and is counted under `key` (sentence and field).
fn assert_ignored(hostile: &str, key: &str) {
    let mut feed = good_epoch();
    let before = fix(&feed);
    let last_before = feed.tracker().view(0).last_valid;
    let stats_before = feed.stats();
    push(&mut feed, hostile);
    let after = fix(&feed);
    assert_eq!(after, before, "`{hostile}` changed the fix");
    assert_eq!(feed.tracker().view(0).last_valid, last_before);
    let stats = feed.stats();
    assert_eq!(stats.out_of_range, stats_before.out_of_range + 1);
    assert_eq!(stats.out_of_range_by_field.get(key), Some(&1), "{stats:?}");
    assert_eq!(stats.decoded, stats_before.decoded, "not half-applied");
}

#[test]
fn altitude_1e308_is_ignored() {
    assert_ignored(
        "GNGGA,120001.00,4807.0380,N,01131.0000,E,1,08,0.9,1e308,M,46.9,M,,",
        "GGA altitude",
    );
}

#[test]
fn altitude_above_10_km_is_ignored() {
    assert_ignored(
        "GNGNS,120001.00,4807.0380,N,01131.0000,E,AA,08,0.9,12000.0,46.9,,,S",
        "GNS altitude",
    );
}

#[test]
fn latitude_with_an_exponent_is_ignored() {
    assert_ignored(
        "GNGGA,120001.00,0000.5e3,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,",
        "GGA position",
    );
}

#[test]
fn negative_latitude_with_north_is_ignored() {
    assert_ignored(
        "GNRMC,120001.00,A,-4807.038,N,01131.0000,E,0.0,0.0,241126,,,A",
        "RMC position",
    );
}

#[test]
fn latitude_minutes_of_99_are_ignored() {
    assert_ignored(
        "GNGGA,120001.00,4899.0000,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,",
        "GGA position",
    );
}

#[test]
fn longitude_minutes_of_60_are_ignored() {
    assert_ignored(
        "GNGLL,4807.0380,N,01160.0000,E,120001.00,A,A",
        "GLL position",
    );
}

#[test]
fn rmc_dated_31_february_is_ignored() {
    assert_ignored(
        "GNRMC,120001.00,A,4807.0380,N,01131.0000,E,0.0,0.0,310226,,,A",
        "RMC date",
    );
}

#[test]
fn zda_year_2200_is_ignored() {
    assert_ignored("GNZDA,120001.00,24,11,2200,00,00", "ZDA year");
}

#[test]
fn rmc_from_a_week_rollover_year_is_ignored() {
    // 1024 weeks before 2026-11-24: a receiver with the rollover bug.
    assert_ignored(
        "GNRMC,120001.00,A,4807.0380,N,01131.0000,E,0.0,0.0,100407,,,A",
        "RMC year",
    );
}

#[test]
fn gga_with_an_invalid_time_is_ignored() {
    // 12:61:99 moves the position (different latitude) under the old time.
    assert_ignored(
        "GNGGA,126199.00,4808.0000,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,",
        "GGA time",
    );
}

#[test]
fn a_reason_never_outlives_its_epoch() {
    let mut feed = good_epoch();
    // The receiver says "no fix" for 12:00:01 ...
    push(
        &mut feed,
        "GNGGA,120001.00,4807.0380,N,01131.0000,E,0,08,0.9,545.4,M,46.9,M,,",
    );
    assert!(!fix(&feed).valid);
    // ... and has a fix again at 12:00:02: GNS alone re-derives validity.
    push(
        &mut feed,
        "GNGNS,120002.00,4807.0380,N,01131.0000,E,AA,08,0.9,545.4,46.9,,,S",
    );
    let f = fix(&feed);
    assert!(f.valid, "{f:?}");
    // A simulator flag of one epoch does not taint the next.
    push(
        &mut feed,
        "GNGGA,120003.00,4807.0380,N,01131.0000,E,8,08,0.9,545.4,M,46.9,M,,",
    );
    assert!(!fix(&feed).valid);
    push(
        &mut feed,
        "GNGGA,120004.00,4807.0380,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,",
    );
    assert!(fix(&feed).valid);
    // A new epoch with no status sentence yet (ZDA first) is not evidence.
    push(&mut feed, "GNZDA,120005.00,24,11,2026,00,00");
    let f = fix(&feed);
    assert!(!f.valid);
    assert_eq!(
        f.quality_rejected.as_deref(),
        Some("no fix status yet in this epoch")
    );
}
