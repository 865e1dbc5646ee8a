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
    let mut framer = firmware_bridge::nmea_framing::NmeaFramer::default();
    framer.feed(data, &mut |_| {});
    assert!(framer.buffered() <= DEFAULT_MAX_SENTENCE_LEN);
});
