//! Arbitrary bytes never panic the framers, decoder or tracker, and buffers
//! stay bounded.

use firmware_bridge::GnssFeed;
use firmware_bridge::nmea_fields::{MAX_ALTITUDE_M, MIN_ALTITUDE_M};
use firmware_bridge::nmea_framing::{DEFAULT_MAX_SENTENCE_LEN, NmeaFramer, render_sentence};
use firmware_bridge::scanner_framing::ScannerFramer;
use proptest::prelude::*;

fn nmea_like() -> impl Strategy<Value = Vec<u8>> {
    let field = prop::string::string_regex("[0-9A-Z.,NSEW-]{0,12}").expect("regex");
    let kinds = prop::sample::select(vec![
        "GPRMC", "GNGGA", "GPGSA", "GNGNS", "GPGLL", "GPVTG", "GPZDA", "GPGSV",
    ]);
    prop::collection::vec(
        (kinds, prop::collection::vec(field, 0..16), any::<bool>()),
        0..20,
    )
    .prop_map(|v| {
        let mut out = Vec::new();
        for (k, fields, good) in v {
            let body = format!("{k},{}", fields.join(","));
            let s = render_sentence(&body);
            if good {
                out.extend_from_slice(s.as_bytes());
            } else {
                out.extend_from_slice(&s.as_bytes()[..s.len() / 2]);
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn nmea_pipeline_survives_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..4096)) {
        let mut feed = GnssFeed::default();
        for chunk in data.chunks(97) {
            feed.push(chunk, 0);
        }
        let _ = feed.tracker().fix();
        let mut framer = NmeaFramer::default();
        framer.feed(&data, &mut |_| {});
        prop_assert!(framer.buffered() <= DEFAULT_MAX_SENTENCE_LEN);
        prop_assert!(feed.stats().skipped_by_type.len() <= 64);
    }

    #[test]
    fn nmea_pipeline_survives_structured_sentences(data in nmea_like()) {
        let mut feed = GnssFeed::default();
        feed.push(&data, 0);
        let fix = feed.tracker().fix();
        if let (Some(lat), Some(lon)) = (fix.lat_deg, fix.lon_deg) {
            prop_assert!(lat.abs() <= 90.0 && lon.abs() <= 180.0);
        }
        if let Some(alt) = fix.alt_m {
            prop_assert!((MIN_ALTITUDE_M..=MAX_ALTITUDE_M).contains(&alt));
        }
    }

    #[test]
    fn scanner_framer_survives_arbitrary_bytes(data in prop::collection::vec(any::<u8>(), 0..4096)) {
        let mut f = ScannerFramer::default();
        let mut frames = 0usize;
        f.feed(&data, &mut |r| if r.is_ok() { frames += 1 });
        prop_assert!(f.buffered() <= 512);
        prop_assert!(frames as u64 == f.stats().frames);
    }
}
