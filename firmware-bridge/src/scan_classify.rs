//! What a scan is: a parcel label known to the manifest, a buyer's QR token
//! (`ESC1:<order reference>:<token>`, token = base64url without padding of
//! 16 random bytes, 22 characters), or unknown.

use serde::Serialize;

/// Scheme prefix of the buyer's QR text.
pub const BUYER_QR_PREFIX: &str = "ESC1:";

/// Classification of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ScanKind {
    /// A label the manifest knows.
    ParcelLabel(String),
    /// A buyer QR token (the whole text).
    BuyerQr(String),
    /// Anything else.
    Unknown(String),
}

fn is_b64url(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Does `text` have the buyer QR shape `ESC1:<ref>:<22-char token>`?
pub fn is_buyer_qr(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(BUYER_QR_PREFIX) else {
        return false;
    };
    let Some((order, token)) = rest.rsplit_once(':') else {
        return false;
    };
    // 16 bytes -> 22 characters; the last one carries only 2 bits, so it is
    // one of A, Q, g, w.
    !order.is_empty()
        && order.bytes().all(|b| b.is_ascii_graphic())
        && token.len() == 22
        && token.bytes().all(is_b64url)
        && matches!(token.as_bytes()[21], b'A' | b'Q' | b'g' | b'w')
}

/// Classify a scan; `is_known_label` asks the manifest.
pub fn classify(text: &str, is_known_label: &dyn Fn(&str) -> bool) -> ScanKind {
    if is_buyer_qr(text) {
        ScanKind::BuyerQr(text.to_string())
    } else if is_known_label(text) {
        ScanKind::ParcelLabel(text.to_string())
    } else {
        ScanKind::Unknown(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        let known = |s: &str| s == "PKG-1";
        assert_eq!(
            classify("PKG-1", &known),
            ScanKind::ParcelLabel("PKG-1".into())
        );
        let qr = "ESC1:ORD-9:AAECAwQFBgcICQoLDA0ODw";
        assert_eq!(classify(qr, &known), ScanKind::BuyerQr(qr.into()));
        assert!(matches!(
            classify("ESC1:ORD-9:short", &known),
            ScanKind::Unknown(_)
        ));
        assert!(matches!(
            classify("ESC1::AAECAwQFBgcICQoLDA0ODw", &known),
            ScanKind::Unknown(_)
        ));
        assert!(matches!(classify("hello", &known), ScanKind::Unknown(_)));
    }
}
