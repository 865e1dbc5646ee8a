//! Fuzz the scanner framer (serial and keyboard-wedge paths) and classifier.
#![no_main]

use firmware_bridge::scan_classify::classify;
use firmware_bridge::scanner_framing::ScannerFramer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut f = ScannerFramer::default();
    f.feed(data, &mut |r| {
        if let Ok(frame) = r {
            let _ = classify(&frame.text, &|s: &str| s.len() == 10);
        }
    });
    assert!(f.buffered() <= 512);
    if let Ok(s) = std::str::from_utf8(data) {
        let mut k = ScannerFramer::default();
        k.feed_keys(s, &mut |_| {});
    }
});
