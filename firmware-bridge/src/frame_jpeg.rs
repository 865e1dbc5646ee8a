//! A frame made into a photo's bytes: decoded when the camera sent a JPEG,
//! scaled down (never up) to a longest edge, and encoded as a baseline JPEG
//! with no metadata (the encoder writes no EXIF). At the edge beside the
//! camera, and built optimised in every profile (Cargo.toml): pixel work
//! at opt-level 0 is a hundred times slower.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{ImageFormat, RgbImage};

use crate::camera::{CameraError, Frame, FramePixels};

/// The JPEG of a frame, scaled to at most `max_edge` pixels on its longest
/// edge, at `quality` (1-100); with its width and height.
pub fn scaled_jpeg(
    frame: &Frame,
    max_edge: u32,
    quality: u8,
) -> Result<(Vec<u8>, u32, u32), CameraError> {
    let image = match &frame.pixels {
        FramePixels::Rgb8(rgb) => RgbImage::from_raw(frame.width, frame.height, rgb.clone())
            .ok_or_else(|| {
                CameraError::BadFrame(format!(
                    "{} bytes for {}x{} RGB",
                    rgb.len(),
                    frame.width,
                    frame.height
                ))
            })?,
        FramePixels::Jpeg(jpeg) => image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
            .map_err(|e| CameraError::BadFrame(e.to_string()))?
            .into_rgb8(),
    };
    let image = scale_to_fit(image, max_edge);
    let mut jpeg = Vec::with_capacity(512 * 1024);
    JpegEncoder::new_with_quality(&mut jpeg, quality)
        .encode_image(&image)
        .map_err(|e| CameraError::BadFrame(format!("JPEG encoding failed: {e}")))?;
    Ok((jpeg, image.width(), image.height()))
}

/// The image scaled down (never up) so its long edge is at most `max_edge`,
/// keeping its proportions.
fn scale_to_fit(image: RgbImage, max_edge: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let long = w.max(h);
    if long <= max_edge {
        return image;
    }
    let scaled = |side: u32| {
        u32::try_from(u64::from(side) * u64::from(max_edge) / u64::from(long))
            .unwrap_or(max_edge)
            .max(1)
    };
    image::imageops::resize(&image, scaled(w), scaled(h), FilterType::Triangle)
}
