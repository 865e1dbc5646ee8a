//! A QR code as inline SVG for a printable page: black modules on white,
//! a quiet zone of four modules, one `<path>` (no image file, no network).

use qrcode::{Color, QrCode};

/// Quiet zone, in modules.
const QUIET: usize = 4;

/// `text` as an SVG QR code with the accessible name `title`; `None` when
/// it does not fit in a QR code.
pub fn qr_svg(text: &str, title: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let n = code.width();
    let side = n + 2 * QUIET;
    let mut path = String::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % n + QUIET, i / n + QUIET);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" role=\"img\" \
         shape-rendering=\"crispEdges\"><title>{}</title><rect width=\"{side}\" height=\"{side}\" \
         fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>",
        escape(title)
    ))
}

/// Text escaped for an SVG element's content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_is_an_svg_of_dark_modules_in_a_quiet_zone() {
        let svg = qr_svg("courier-enroll:v1?token=abc", "a <token>").expect("fits");
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.contains("<title>a &lt;token&gt;</title>"), "{svg}");
        // The code's modules plus the quiet zone on both sides.
        let side = QrCode::new(b"courier-enroll:v1?token=abc")
            .expect("fits")
            .width()
            + 8;
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")),
            "{svg}"
        );
        assert!(svg.matches("h1v1h-1z").count() > 100);
        assert!(qr_svg(&"x".repeat(8000), "too long").is_none());
    }
}
