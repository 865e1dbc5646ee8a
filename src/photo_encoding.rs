//! A captured frame made into evidence bytes: scaled to at most
//! [`MAX_PHOTO_EDGE_PX`] on its long edge, encoded as a baseline JPEG with
//! no metadata (the encoder writes no EXIF: no camera serial, no position
//! beside the signed one; `firmware_bridge::frame_jpeg`), and hashed. Pure:
//! no file, no clock.

use courier_protocol::photo::MAX_PHOTO_EDGE_PX;
use firmware_bridge::Frame;
use firmware_bridge::frame_jpeg::scaled_jpeg;
use thiserror::Error;

/// JPEG quality: 80 keeps damage and labels legible at 1920 px for a few
/// hundred kilobytes (`docs/benchmarks.md`, "Photos").
pub const JPEG_QUALITY: u8 = 80;

/// A photo ready to be written: its JPEG bytes, pixel size and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPhoto {
    /// The JPEG file's bytes.
    pub jpeg: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// SHA-256 of `jpeg`, lower-case hex.
    pub sha256: String,
}

/// Why a frame cannot become a photo.
#[derive(Debug, Error)]
pub enum EncodeError {
    /// The frame's bytes do not match its size, its JPEG does not decode,
    /// or the encoder failed.
    #[error("the camera's frame cannot be read: {0}")]
    BadFrame(String),
}

/// Scales, encodes and hashes a frame.
pub fn encode_frame(frame: &Frame) -> Result<EncodedPhoto, EncodeError> {
    let (jpeg, width, height) = scaled_jpeg(frame, MAX_PHOTO_EDGE_PX, JPEG_QUALITY)
        .map_err(|e| EncodeError::BadFrame(e.to_string()))?;
    let sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, &jpeg));
    Ok(EncodedPhoto {
        jpeg,
        width,
        height,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use firmware_bridge::FramePixels;

    fn frame(width: u32, height: u32) -> Frame {
        let rgb = (0..width * height * 3).map(|i| (i % 251) as u8).collect();
        Frame {
            width,
            height,
            pixels: FramePixels::Rgb8(rgb),
        }
    }

    #[test]
    fn a_large_frame_is_scaled_to_1920_on_its_long_edge() {
        let p = encode_frame(&frame(2592, 1944)).expect("encodes");
        assert_eq!((p.width, p.height), (1920, 1440));
        assert_eq!(&p.jpeg[..2], &[0xFF, 0xD8], "a JPEG");
        assert_eq!(
            p.sha256,
            hex::encode(ring::digest::digest(&ring::digest::SHA256, &p.jpeg))
        );
        let portrait = encode_frame(&frame(1000, 2400)).expect("encodes");
        assert_eq!((portrait.width, portrait.height), (800, 1920));
    }

    #[test]
    fn a_small_frame_keeps_its_size_and_carries_no_exif() {
        let p = encode_frame(&frame(640, 480)).expect("encodes");
        assert_eq!((p.width, p.height), (640, 480));
        // No APP1 (EXIF) segment among the markers.
        assert!(!p.jpeg.windows(2).any(|w| w == [0xFF, 0xE1]));
    }

    #[test]
    fn a_mjpeg_frame_is_decoded_and_re_encoded() {
        let source = encode_frame(&frame(320, 240)).expect("encodes");
        let again = encode_frame(&Frame {
            width: 320,
            height: 240,
            pixels: FramePixels::Jpeg(source.jpeg),
        })
        .expect("decodes");
        assert_eq!((again.width, again.height), (320, 240));
        let broken = Frame {
            width: 4,
            height: 4,
            pixels: FramePixels::Rgb8(vec![0; 5]),
        };
        assert!(matches!(
            encode_frame(&broken),
            Err(EncodeError::BadFrame(_))
        ));
    }
}
