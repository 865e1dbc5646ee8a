//! Fuzz the NMEA framer + decoder + fix tracker with arbitrary bytes.
#![no_main]

use firmware_bridge::GnssFeed;
use firmware_bridge::nmea_framing::DEFAULT_MAX_SENTENCE_LEN;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut feed = GnssFeed::default();
    // Split like a serial port would.
    for chunk in data.chunks(61) {
        feed.push(chunk, 0);
    }
    let fix = feed.tracker().fix();
    if let (Some(lat), Some(lon)) = (fix.lat_deg, fix.lon_deg) {
        assert!(lat.abs() <= 90.0 && lon.abs() <= 180.0);
    }
    if let Some(alt) = fix.alt_m {
        use firmware_bridge::nmea_fields::{MAX_ALTITUDE_M, MIN_ALTITUDE_M};
        assert!((MIN_ALTITUDE_M..=MAX_ALTITUDE_M).contains(&alt));
    }
    // Every sentence the framer accepted was decoded, skipped, ignored as
    // implausible or malformed: nothing is lost without a count.
    let s = feed.stats();
    assert!(s.decoded + s.skipped + s.out_of_range <= s.sentences);
    let mut framer = firmware_bridge::nmea_framing::NmeaFramer::default();
    framer.feed(data, &mut |_| {});
    assert!(framer.buffered() <= DEFAULT_MAX_SENTENCE_LEN);
});
