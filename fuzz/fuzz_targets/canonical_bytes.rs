//! Canonical bytes are what is hashed and signed: for any JSON value they are
//! produced or refused (floats), and they are a fixed point: parsing them and
//! encoding again gives the same bytes.
#![no_main]

use courier_protocol::canonical::to_canonical_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(bytes) = to_canonical_bytes(&value) {
        let again: serde_json::Value =
            serde_json::from_slice(&bytes).expect("canonical bytes are JSON");
        let twice = to_canonical_bytes(&again).expect("still canonical");
        assert_eq!(bytes, twice, "canonical bytes are a fixed point");
    }
});
