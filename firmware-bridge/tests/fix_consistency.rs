//! Issue 26: a fix is evidence only if it holds together with the fixes
//! before it, is fresh by the receiver's own time, and every field is
//! range-checked. Small fixtures written for these tests (the patterns the
//! issue reports), and generated streams: a monotonic stream stays valid,
//! any step back or teleport is not. Time is always an input, never read.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use firmware_bridge::capture_check::check_capture;
use firmware_bridge::fix_continuity::{ContinuityLimits, MPS_PER_KNOT};
use firmware_bridge::nmea_date::NmeaDate;
use firmware_bridge::nmea_fields::LEAP_SECOND_MS;
use firmware_bridge::nmea_framing::render_sentence;
use firmware_bridge::{Fix, GnssFeed, MemoryGnss, YearWindow};
use proptest::prelude::*;

const DAY_MS: i64 = 86_400_000;

/// A feed replaying recordings (dates from 1980), as `nmea-check` does.
fn feed() -> GnssFeed {
    GnssFeed::default().with_years(YearWindow::historic())
}

fn push(feed: &mut GnssFeed, body: &str) -> Fix {
    feed.push(render_sentence(body).as_bytes(), 0);
    feed.tracker().fix()
}

fn push_at(feed: &mut GnssFeed, body: &str, mono_ms: i64) -> Fix {
    feed.push_at(render_sentence(body).as_bytes(), mono_ms, mono_ms);
    feed.tracker().fix()
}

fn reason(f: &Fix) -> &str {
    f.quality_rejected.as_deref().unwrap_or("")
}

fn hhmmss(tod_ms: i64) -> String {
    let t = tod_ms.rem_euclid(DAY_MS);
    format!(
        "{:02}{:02}{:02}.{:02}",
        t / 3_600_000,
        t / 60_000 % 60,
        t / 1000 % 60,
        t % 1000 / 10
    )
}

fn ddmmyy(day: i64) -> String {
    let d = NmeaDate::from_days(day).expect("a date");
    format!("{:02}{:02}{:02}", d.day, d.month, d.year % 100)
}

fn lat(deg: f64) -> String {
    let a = deg.abs();
    let d = a.trunc();
    let hemi = if deg >= 0.0 { 'N' } else { 'S' };
    format!("{:02}{:09.6},{hemi}", d as u32, (a - d) * 60.0)
}

fn lon(deg: f64) -> String {
    let a = deg.abs();
    let d = a.trunc();
    let hemi = if deg >= 0.0 { 'E' } else { 'W' };
    format!("{:03}{:09.6},{hemi}", d as u32, (a - d) * 60.0)
}

/// One receiver epoch (RMC + GGA) at unix time `t_ms`, at `(la, lo)`.
fn epoch(t_ms: i64, la: f64, lo: f64) -> [String; 2] {
    let (day, tod) = (t_ms.div_euclid(DAY_MS), t_ms.rem_euclid(DAY_MS));
    let (time, date, pos) = (hhmmss(tod), ddmmyy(day), format!("{},{}", lat(la), lon(lo)));
    [
        format!("GPRMC,{time},A,{pos},0.0,0.0,{date},,,A"),
        format!("GPGGA,{time},{pos},1,09,0.9,545.4,M,46.9,M,,"),
    ]
}

fn push_epoch(feed: &mut GnssFeed, t_ms: i64, la: f64, lo: f64, mono: Option<i64>) -> Fix {
    let mut last = None;
    for body in epoch(t_ms, la, lo) {
        last = Some(match mono {
            Some(m) => push_at(feed, &body, m),
            None => push(feed, &body),
        });
    }
    last.expect("two sentences")
}

/// 2026-11-24 12:00:00 UTC.
const T0: i64 = 1_795_521_600_000;

// ---- 1. consistency with the fixes before -------------------------------

#[test]
fn rmc_at_12_then_11_then_00_01_same_date_only_the_first_is_valid() {
    let mut f = feed();
    let a = push(
        &mut f,
        "GPRMC,120000,A,4807.038,N,01131.000,E,0.0,0.0,230394,,,A",
    );
    assert!(a.valid, "{a:?}");
    let b = push(
        &mut f,
        "GPRMC,110000,A,4807.038,N,01131.000,E,0.0,0.0,230394,,,A",
    );
    assert!(!b.valid);
    assert_eq!(
        reason(&b),
        "GNSS time went back 3600000 ms (no reset in between)"
    );
    let c = push(
        &mut f,
        "GPRMC,000100,A,4807.038,N,01131.000,E,0.0,0.0,230394,,,A",
    );
    assert!(!c.valid);
    assert!(reason(&c).starts_with("GNSS time went back"), "{c:?}");
}

#[test]
fn gga_one_hour_behind_the_previous_fix_is_not_valid() {
    let mut f = feed();
    assert!(push_epoch(&mut f, T0, 48.1, 11.5, None).valid);
    let g = push(
        &mut f,
        "GPGGA,110000.00,4806.000000,N,01130.000000,E,1,09,0.9,545.4,M,46.9,M,,",
    );
    assert!(!g.valid);
    assert!(reason(&g).starts_with("GNSS time went back"), "{g:?}");
}

#[test]
fn alternating_23_00_and_01_00_never_drifts_the_date() {
    let mut f = feed();
    let first = push(
        &mut f,
        "GPRMC,225959,A,4807.038,N,01131.000,E,0.0,0.0,230394,,,A",
    );
    assert!(first.valid);
    let mut valid = 1;
    let mut latest = first.gnss_utc_ms.expect("time");
    for i in 0..2000 {
        let t = if i % 2 == 0 { "230000" } else { "010000" };
        let g = push(
            &mut f,
            &format!("GPGGA,{t},4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,"),
        );
        valid += usize::from(g.valid);
        latest = latest.max(g.gnss_utc_ms.unwrap_or(latest));
    }
    // 23:00 and the next 01:00 are a forward step each; after that every
    // 23:00 is two hours back and every 01:00 a repeat.
    assert!(valid <= 3, "{valid} valid fixes");
    let d = NmeaDate::from_days(latest.div_euclid(DAY_MS)).expect("date");
    assert_eq!((d.year, d.month), (1994, 3));
    assert!(d.day <= 24, "date drifted to {d:?}");
}

#[test]
fn dates_jumping_on_consecutive_rmcs_are_not_valid() {
    let mut f = feed();
    let mut valid = Vec::new();
    for date in ["230394", "311227", "060180", "241126"] {
        let fix = push(
            &mut f,
            &format!("GPRMC,120000,A,4807.038,N,01131.000,E,0.0,0.0,{date},,,A"),
        );
        valid.push(fix.valid);
    }
    assert_eq!(valid, [true, false, false, false]);
}

#[test]
fn teleport_from_48n_11e_to_48s_169w_in_one_second_is_not_valid() {
    let mut f = feed();
    assert!(push_epoch(&mut f, T0, 48.0, 11.0, None).valid);
    let g = push_epoch(&mut f, T0 + 1000, -48.0, -169.0, None);
    assert!(!g.valid);
    assert!(reason(&g).starts_with("implied speed"), "{g:?}");
}

#[test]
fn midnight_wrap_advances_the_date_once() {
    let mut f = feed();
    push(
        &mut f,
        "GPRMC,235959,A,4527.458,S,16709.165,E,0,0,311299,,,A",
    );
    let g = push(
        &mut f,
        "GPGGA,000000,4527.458,S,16709.165,E,1,05,2.1,14.7,M,1.1,M,,",
    );
    assert!(g.valid, "{g:?}");
    assert_eq!(g.gnss_utc_ms, Some(946_684_800_000));
}

#[test]
fn a_step_back_stays_not_valid_until_the_link_restarts() {
    let mut f = feed();
    assert!(push_epoch(&mut f, T0, 48.1, 11.5, None).valid);
    // The receiver goes on one hour earlier, second by second: never a
    // valid continuation.
    for s in 0..5 {
        let g = push_epoch(&mut f, T0 - 3_600_000 + s * 1000, 48.1, 11.5, None);
        assert!(!g.valid, "second {s}: {g:?}");
    }
    // A documented reset: the serial link (re)connects.
    f.note_connect();
    assert!(push_epoch(&mut f, T0 - 3_600_000 + 10_000, 48.1, 11.5, None).valid);
}

#[test]
fn default_speed_bound_is_a_courier_not_an_aircraft() {
    let l = ContinuityLimits::default();
    assert_eq!(l.max_speed_mps, 55.0);
    // A van on a motorway (130 km/h) keeps its fixes ...
    let mut f = feed();
    let mut valid = 0;
    for s in 0..30 {
        let la = 48.0 + s as f64 * 36.1 / 111_195.0;
        valid += usize::from(push_epoch(&mut f, T0 + s * 1000, la, 11.0, None).valid);
    }
    assert_eq!(valid, 30);
    // ... an airliner (250 m/s) does not.
    let mut f = feed();
    push_epoch(&mut f, T0, 48.0, 11.0, None);
    let g = push_epoch(&mut f, T0 + 1000, 48.0 + 250.0 / 111_195.0, 11.0, None);
    assert!(!g.valid);
}

#[test]
fn poor_accuracy_widens_the_allowed_jump() {
    // 400 m in one second: a teleport with HDOP 0.9, within the accuracy
    // of two fixes with HDOP 25 (250 m each).
    let jump = 400.0 / 111_195.0;
    let run = |hdop: &str| {
        let mut f = feed();
        for (i, la) in [48.0, 48.0 + jump].iter().enumerate() {
            let t = hhmmss((T0 + i as i64 * 1000).rem_euclid(DAY_MS));
            push(
                &mut f,
                &format!("GPRMC,{t},A,{},{},0.0,0.0,241126,,,A", lat(*la), lon(11.0)),
            );
            push(
                &mut f,
                &format!(
                    "GPGGA,{t},{},{},1,09,{hdop},545.4,M,46.9,M,,",
                    lat(*la),
                    lon(11.0)
                ),
            );
        }
        f.tracker().fix().valid
    };
    assert!(!run("0.9"));
    assert!(run("25.0"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A monotonic stream at courier speeds, crossing midnight and judged
    /// against a monotonic clock that keeps pace, stays valid throughout.
    #[test]
    fn a_monotonic_stream_stays_valid(
        start in 0i64..DAY_MS,
        steps in prop::collection::vec(((1i64..500).prop_map(|c| c * 10), -20.0f64..20.0, -20.0f64..20.0), 1..60),
    ) {
        let mut f = feed();
        let mut t = T0 - T0.rem_euclid(DAY_MS) + start;
        let mut mono = 5_000_000i64;
        let (mut la, mut lo) = (48.1f64, 11.5f64);
        prop_assert!(push_epoch(&mut f, t, la, lo, Some(mono)).valid);
        for (dt, north, east) in steps {
            t += dt;
            mono += dt;
            // At most 20 m/s north and east, per second of the step.
            la += north * dt as f64 / 1000.0 / 111_195.0;
            lo += east * dt as f64 / 1000.0 / 74_000.0;
            let g = push_epoch(&mut f, t, la, lo, Some(mono));
            prop_assert!(g.valid, "after {dt} ms: {g:?}");
        }
    }

    /// Any step back (10 ms to a day) after a valid stream is not valid,
    /// and neither is going on from there.
    #[test]
    fn any_step_back_is_not_valid(back in 10i64..DAY_MS, n in 1usize..10) {
        let mut f = feed();
        for i in 0..n as i64 {
            push_epoch(&mut f, T0 + i * 1000, 48.1, 11.5, None);
        }
        let last = T0 + (n as i64 - 1) * 1000;
        let g = push_epoch(&mut f, last - back, 48.1, 11.5, None);
        prop_assert!(!g.valid, "{back} ms back: {g:?}");
        prop_assert!(reason(&g).starts_with("GNSS time went back"), "{g:?}");
        let h = push_epoch(&mut f, last - back + 1000, 48.1, 11.5, None);
        prop_assert!(!h.valid || back < 1000, "going on {back} ms back: {h:?}");
    }

    /// Any teleport beyond the bound (given both fixes' accuracy) is not valid.
    #[test]
    fn any_teleport_is_not_valid(
        dt in 1_000i64..600_000,
        bearing in 0.0f64..std::f64::consts::TAU,
        excess in 1.05f64..1000.0,
    ) {
        let l = ContinuityLimits::default();
        let slack = 2.0 * 0.9 * l.metres_per_hdop;
        let d = (l.max_speed_mps * dt as f64 / 1000.0 + slack) * excess;
        let (la, lo) = (
            10.0 + d * bearing.cos() / 111_195.0,
            20.0 + d * bearing.sin() / (111_195.0 * 10f64.to_radians().cos()),
        );
        prop_assume!(la.abs() < 89.0 && lo.abs() < 179.0);
        let mut f = feed();
        prop_assert!(push_epoch(&mut f, T0, 10.0, 20.0, None).valid);
        let g = push_epoch(&mut f, T0 + dt, la, lo, None);
        prop_assert!(!g.valid, "{d} m in {dt} ms: {g:?}");
    }

    /// A date other than the previous one or the next after a midnight wrap
    /// never dates a valid fix (within the accepted years it makes the
    /// epoch not valid; outside them the RMC is ignored).
    #[test]
    fn any_date_jump_is_not_valid(days in prop_oneof![-5000i64..0, 1i64..5000]) {
        let mut f = feed();
        prop_assert!(push_epoch(&mut f, T0, 48.1, 11.5, None).valid);
        let jumped = T0 + 1000 + days * DAY_MS;
        let [rmc, _] = epoch(jumped, 48.1, 11.5);
        let g = push(&mut f, &rmc);
        // Not valid, and its time is no time (or the RMC was ignored whole).
        prop_assert!(!g.valid || g.gnss_utc_ms == Some(T0), "{days} days: {g:?}");
        prop_assert!(g.gnss_utc_ms.is_none() || g.gnss_utc_ms == Some(T0), "{g:?}");
    }
}

// ---- 2. freshness from the receiver's own time --------------------------

#[test]
fn gnss_time_standing_still_is_stale_whatever_the_arrival() {
    let now = Arc::new(AtomicI64::new(1_000_000));
    let clock_now = now.clone();
    let mem = MemoryGnss::new(10_000, Arc::new(move || clock_now.load(Ordering::SeqCst)));
    let h = mem.handle();
    let rmc = render_sentence("GPRMC,120000.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A");
    mem.push(rmc.as_bytes());
    assert!(h.snapshot().fresh_fix().is_some());
    // The receiver repeats 12:00:00 every second for 11 s: each arrives
    // fresh, but GNSS time does not advance with the monotonic clock.
    for _ in 0..11 {
        now.fetch_add(1000, Ordering::SeqCst);
        mem.push(rmc.as_bytes());
    }
    let s = h.snapshot();
    assert_eq!(s.gnss_time_age_ms, Some(11_000));
    assert!(s.fresh_fix().is_none(), "{s:?}");
}

#[test]
fn gnss_time_keeping_pace_stays_fresh() {
    let now = Arc::new(AtomicI64::new(1_000_000));
    let clock_now = now.clone();
    let mem = MemoryGnss::new(10_000, Arc::new(move || clock_now.load(Ordering::SeqCst)));
    let h = mem.handle();
    for s in 0..30 {
        let body = format!("GPRMC,1200{s:02}.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A");
        mem.push(render_sentence(&body).as_bytes());
        assert!(h.snapshot().fresh_fix().is_some(), "second {s}");
        now.fetch_add(1000, Ordering::SeqCst);
    }
}

#[test]
fn gnss_time_running_ahead_of_the_monotonic_clock_is_not_valid() {
    let mut f = feed();
    assert!(push_epoch(&mut f, T0, 48.1, 11.5, Some(0)).valid);
    // One minute of GNSS time within one second of the device's clock.
    let g = push_epoch(&mut f, T0 + 60_000, 48.1, 11.5, Some(1000));
    assert!(!g.valid);
    assert!(
        reason(&g).contains("ahead of the device's monotonic clock"),
        "{g:?}"
    );
}

// ---- 3. every field range-checked or ignored, never misread -------------

fn good() -> GnssFeed {
    let mut f = feed();
    assert!(push_epoch(&mut f, T0, 48.1, 11.5, None).valid);
    f
}

fn ignored(body: &str, key: &str) {
    let mut f = good();
    let before = f.tracker().fix();
    let after = push(&mut f, body);
    assert_eq!(after, before, "`{body}` changed the fix");
    assert_eq!(
        f.stats().out_of_range_by_field.get(key),
        Some(&1),
        "{:?}",
        f.stats()
    );
}

#[test]
fn satellites_255_with_hdop_99999999_is_ignored() {
    ignored(
        "GPGGA,120001.00,4806.000000,N,01130.000000,E,1,255,99999999,545.4,M,46.9,M,,",
        "GGA satellites",
    );
    ignored(
        "GPGGA,120001.00,4806.000000,N,01130.000000,E,1,09,99999999,545.4,M,46.9,M,,",
        "GGA HDOP",
    );
    ignored("GPGSA,A,3,02,05,12,13,,,,,,,,,150.0,0.9,1.2", "GSA PDOP");
}

#[test]
fn rmc_speed_of_999999_knots_is_ignored_and_150_knots_is_not_evidence() {
    ignored(
        "GPRMC,120001.00,A,4806.000000,N,01130.000000,E,999999.0,0.0,241126,,,A",
        "RMC speed",
    );
    let mut f = good();
    let g = push(
        &mut f,
        "GPRMC,120001.00,A,4806.000000,N,01130.000000,E,150.0,0.0,241126,,,A",
    );
    assert!(!g.valid);
    assert!(reason(&g).starts_with("reported speed 77 m/s"), "{g:?}");
    assert!(150.0 * MPS_PER_KNOT > ContinuityLimits::default().max_speed_mps);
}

#[test]
fn second_60_is_a_leap_second_not_the_next_minute() {
    ignored(
        "GPGGA,123060.00,4806.000000,N,01130.000000,E,1,09,0.9,545.4,M,46.9,M,,",
        "GGA time",
    );
    let mut f = feed();
    let day = T0.div_euclid(DAY_MS);
    push_epoch(&mut f, day * DAY_MS + DAY_MS - 1000, 48.1, 11.5, None);
    let leap = push(
        &mut f,
        "GPGGA,235960.00,4806.000000,N,01130.000000,E,1,09,0.9,545.4,M,46.9,M,,",
    );
    assert!(leap.valid, "{leap:?}");
    assert_eq!(
        leap.gnss_utc_ms,
        Some(day * DAY_MS + i64::from(LEAP_SECOND_MS))
    );
    let next = push(
        &mut f,
        "GPGGA,000000.00,4806.000000,N,01130.000000,E,1,09,0.9,545.4,M,46.9,M,,",
    );
    assert!(next.valid, "{next:?}");
    assert_eq!(next.gnss_utc_ms, Some((day + 1) * DAY_MS));
}

#[test]
fn altitude_in_feet_is_converted_and_other_units_refused() {
    let mut f = good();
    let g = push(
        &mut f,
        "GPGGA,120001.00,4806.000000,N,01130.000000,E,1,09,0.9,1000.0,F,46.9,M,,",
    );
    assert!(g.valid);
    let alt = g.alt_m.expect("altitude");
    assert!((alt - 304.8).abs() < 1e-9, "{alt}");
    ignored(
        "GPGGA,120001.00,4806.000000,N,01130.000000,E,1,09,0.9,1000.0,K,46.9,M,,",
        "GGA altitude",
    );
}

#[test]
fn geoid_separation_of_999999_is_ignored() {
    ignored(
        "GPGGA,120001.00,4806.000000,N,01130.000000,E,1,09,0.9,545.4,M,999999,M,,",
        "GGA geoid separation",
    );
    ignored(
        "GNGNS,120001.00,4806.000000,N,01130.000000,E,AA,09,0.9,545.4,999999,,,S",
        "GNS geoid separation",
    );
}

// ---- 4. navigation status honoured --------------------------------------

#[test]
fn gns_navigational_status_v_after_rmc_a_is_no_fix() {
    let mut f = good();
    let g = push(
        &mut f,
        "GNGNS,120000.00,4806.000000,N,01130.000000,E,AA,09,0.9,545.4,46.9,,,V",
    );
    assert!(!g.valid);
    assert_eq!(g.mode, firmware_bridge::FixMode::NoFix);
    assert_eq!(reason(&g), "no valid fix (GNS navigational status V)");
}

#[test]
fn rmc_mode_v_or_n_is_no_valid_fix() {
    for mode in ["V", "N"] {
        let mut f = feed();
        let g = push(
            &mut f,
            &format!("GPRMC,120000.00,A,4806.000000,N,01130.000000,E,0.0,0.0,241126,,,{mode}"),
        );
        assert!(!g.valid, "mode {mode}: {g:?}");
    }
}

// ---- 5. talkers receivers really send -----------------------------------

#[test]
fn talkers_in_gq_bd_qz_gi_are_decoded() {
    for talker in ["IN", "GQ", "BD", "QZ", "GI"] {
        let mut f = feed();
        push(
            &mut f,
            &format!("{talker}RMC,120000.00,A,4806.000000,N,01130.000000,E,0.0,0.0,241126,,,A"),
        );
        let g = push(
            &mut f,
            &format!(
                "{talker}GGA,120000.00,4806.000000,N,01130.000000,E,1,09,0.9,545.4,M,46.9,M,,"
            ),
        );
        assert!(g.valid, "{talker}: {g:?}");
        assert_eq!(g.talker, talker);
        assert_eq!(f.stats().skipped, 0, "{talker}");
    }
}

#[test]
fn undecoded_reports_count_as_disagreements() {
    // An `XX` talker (not decoded) and gpsd's record with a fix after each.
    let log: String = (0..3)
        .map(|s| {
            render_sentence(&format!(
                "XXRMC,12000{s}.00,A,4806.000000,N,01130.000000,E,0.0,0.0,241126,,,A"
            ))
        })
        .collect();
    let chk: String = log
        .lines()
        .map(|l| format!("{l}\n{{\"class\":\"TPV\",\"mode\":2,\"lat\":48.1,\"lon\":11.5}}\n"))
        .collect();
    let a = check_capture(log.as_bytes(), Some(&chk))
        .report
        .agreement
        .expect("agreement");
    assert_eq!(a.aligned, 3);
    assert_eq!(a.overall().by_rule, 0, "{a:?}");
    assert_eq!(a.overall().agree, 0, "{a:?}");
    assert!(a.overall().percent() < 1.0);
}
