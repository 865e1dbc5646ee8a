//! Verifying an exported or uploaded event: any bytes parse to an event or an
//! error, and verification (hash, signature, chain) accepts or refuses without
//! panicking; a forged event never verifies under a key that did not sign it.
#![no_main]

use courier_protocol::envelope::{ChainTip, SignedEvent, verify_chain};
use courier_protocol::keys::PublicKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let events: Vec<SignedEvent> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    for key in [PublicKey([0; 32]), PublicKey([9; 32])] {
        for e in &events {
            assert!(e.verify(&key).is_err(), "an event verified under a key nobody holds");
        }
        let _ = verify_chain(&events, &key, ChainTip::genesis());
    }
});
