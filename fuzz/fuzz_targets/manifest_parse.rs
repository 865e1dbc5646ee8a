//! A manifest from the network or a file: any bytes must parse to a typed
//! manifest or a typed error, and a parsed one must verify or be refused
//! (never panic), whatever its size or nesting.
#![no_main]

use courier_protocol::keys::PublicKey;
use courier_protocol::manifest::SignedManifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(m) = SignedManifest::from_json(text) {
        let key = PublicKey([7; 32]);
        let _ = m.verify(&key);
        let _ = courier_protocol::canonical::to_canonical_bytes(&m.body);
    }
});
