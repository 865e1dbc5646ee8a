//! The camera behind a small trait: a frame on demand, from the handheld's
//! V4L2 camera ([`crate::v4l2_camera`]) or the test-pattern simulator
//! (`simulator::camera_sim`, feature `simulator`). A photo comes only from
//! here, never from a file or a gallery.

use std::path::PathBuf;

use thiserror::Error;

/// One captured frame, as the sensor gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The pixels.
    pub pixels: FramePixels,
}

/// A frame's pixels: decoded RGB, or a JPEG as an MJPEG camera sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramePixels {
    /// 8-bit RGB, row by row, `width * height * 3` bytes.
    Rgb8(Vec<u8>),
    /// One MJPEG frame (a JPEG image; it may lack Huffman tables).
    Jpeg(Vec<u8>),
}

/// Gives a frame when the courier presses the shutter.
pub trait Camera: Send {
    /// Captures one frame now.
    fn capture(&mut self) -> Result<Frame, CameraError>;
    /// What the camera is, for logs and `diagnose` (device, format, size).
    fn describe(&self) -> String;
}

/// Where the camera is and what to ask of it (`[camera]` in config.toml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraConfig {
    /// V4L2 device, e.g. `/dev/video0` or the udev link `/dev/courier-camera`.
    pub device: PathBuf,
    /// Width asked of the driver (it may choose a near size).
    pub width: u32,
    /// Height asked of the driver.
    pub height: u32,
}

/// Why no frame came.
#[derive(Debug, Error)]
pub enum CameraError {
    /// The device cannot be opened or configured.
    #[error("cannot open the camera {device}: {source}")]
    Open {
        /// The device path.
        device: String,
        /// Why.
        source: std::io::Error,
    },
    /// The driver offers neither MJPEG nor YUYV.
    #[error("the camera {device} offers neither MJPEG nor YUYV (it offers {offered})")]
    NoUsableFormat {
        /// The device path.
        device: String,
        /// What it offers.
        offered: String,
    },
    /// Reading a frame failed.
    #[error("the camera gave no frame: {0}")]
    Capture(std::io::Error),
    /// The frame is not what the format says.
    #[error("the camera gave a broken frame: {0}")]
    BadFrame(String),
}

/// Converts a packed YUYV (YUV 4:2:2) frame to RGB (BT.601, limited range).
/// `stride` is the bytes per line the driver reports (at least `width * 2`).
pub fn yuyv_to_rgb(
    data: &[u8],
    width: u32,
    height: u32,
    stride: u32,
) -> Result<Vec<u8>, CameraError> {
    let (w, h, stride) = (width as usize, height as usize, stride as usize);
    if w % 2 != 0 || stride < w * 2 || data.len() < stride * h.saturating_sub(1) + w * 2 {
        return Err(CameraError::BadFrame(format!(
            "YUYV {width}x{height} (stride {stride}) in {} bytes",
            data.len()
        )));
    }
    let mut rgb = Vec::with_capacity(w * h * 3);
    for row in data.chunks(stride).take(h) {
        for quad in row[..w * 2].chunks_exact(4) {
            let (u, v) = (i32::from(quad[1]) - 128, i32::from(quad[3]) - 128);
            for y in [quad[0], quad[2]] {
                let c = (i32::from(y) - 16).max(0) * 298;
                let px = [
                    (c + 409 * v + 128) >> 8,
                    (c - 100 * u - 208 * v + 128) >> 8,
                    (c + 516 * u + 128) >> 8,
                ];
                rgb.extend(px.map(|x| x.clamp(0, 255) as u8));
            }
        }
    }
    Ok(rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuyv_black_white_and_grey() {
        // Two pixels per quad: black and white, then two mid-greys.
        let data = [16, 128, 235, 128, 126, 128, 126, 128];
        let rgb = yuyv_to_rgb(&data, 4, 1, 8).expect("converts");
        assert_eq!(&rgb[..6], &[0, 0, 0, 255, 255, 255]);
        assert!(
            rgb[6..].iter().all(|&c| (127..=129).contains(&c)),
            "{rgb:?}"
        );
    }

    #[test]
    fn yuyv_short_or_odd_frames_are_refused() {
        assert!(yuyv_to_rgb(&[0; 7], 4, 1, 8).is_err());
        assert!(yuyv_to_rgb(&[0; 8], 3, 1, 8).is_err());
        assert!(yuyv_to_rgb(&[0; 16], 4, 2, 6).is_err());
    }
}
