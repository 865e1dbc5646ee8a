//! About: device id, manifest version, app version, and the device key's
//! fingerprint as a QR code for the fleet inventory.

use qrcode::{Color, QrCode};
use slint::{ComponentHandle, Image, Rgb8Pixel, SharedPixelBuffer};

use super::{AboutState, MainWindow};
use crate::terminal::{APP_VERSION, Status};

/// What the inventory QR carries (the domain's text, from the status).
pub fn inventory_text(status: &Status, public_key_hex: &str) -> String {
    match courier_protocol::keys::PublicKey::from_hex(public_key_hex) {
        Ok(key) => crate::domain::identity::inventory_text(
            &crate::domain::identity::DeviceId::new(status.device_id.clone()),
            &key,
        ),
        Err(_) => status.device_id.clone(),
    }
}

/// Renders a QR code to an image, `scale` pixels a module, with a 4-module quiet zone.
pub fn qr_image(text: &str, scale: u32) -> Option<Image> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let modules = u32::try_from(code.width()).ok()?;
    let colors = code.to_colors();
    let side = (modules + 8) * scale;
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(side, side);
    let pixels = buffer.make_mut_slice();
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / scale).wrapping_sub(4), (y / scale).wrapping_sub(4));
            let dark = mx < modules
                && my < modules
                && colors.get((my * modules + mx) as usize) == Some(&Color::Dark);
            let v = if dark { 0 } else { 255 };
            if let Some(p) = pixels.get_mut((y * side + x) as usize) {
                *p = Rgb8Pixel { r: v, g: v, b: v };
            }
        }
    }
    Some(Image::from_rgb8(buffer))
}

pub(super) fn show(ui: &MainWindow, status: &Status, public_key_hex: &str) {
    let g = ui.global::<AboutState>();
    g.set_device_id(status.device_id.as_str().into());
    g.set_manifest_version(
        status
            .manifest_version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "-".into())
            .into(),
    );
    g.set_app_version(APP_VERSION.into());
    g.set_fingerprint(status.key_fingerprint.as_str().into());
    if let Some(img) = qr_image(&inventory_text(status, public_key_hex), 4) {
        g.set_qr(img);
    }
}
