//! What a courier types or scans as the buyer's code: any text (any script's
//! digits, scanner garbage, QR texts) gives a secret or a format error, never
//! a panic; a numeric secret is only ever built from exactly `digits` digits
//! (spaces and dashes between them are ignored, as buyers type them).
#![no_main]

use courier_protocol::code_verifier::BuyerSecret;
use dec_from_char::DecimalExtended;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The terminal reads every Unicode decimal digit as its ASCII digit.
    let ascii: String = text
        .chars()
        .map(|c| match c.to_decimal_utf8() {
            Some(d) if !c.is_ascii_digit() => char::from(b'0' + d),
            _ => c,
        })
        .collect();
    for digits in [4u8, 6, 8, 12] {
        if BuyerSecret::numeric(&ascii, digits).is_ok() {
            let kept: Vec<u8> = ascii.bytes().filter(|b| !matches!(b, b' ' | b'-')).collect();
            assert_eq!(kept.len(), usize::from(digits), "{ascii:?}");
            assert!(kept.iter().all(u8::is_ascii_digit), "{ascii:?}");
        }
    }
    let _ = BuyerSecret::from_qr(text);
    let _ = courier_protocol::code_verifier::parse_qr(text);
});
