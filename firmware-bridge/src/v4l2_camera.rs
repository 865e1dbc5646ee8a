//! The handheld's camera through V4L2 (`linuxvideo`, pure Rust: no libv4l,
//! no bindgen at build time). MJPEG is preferred (the JPEG is decoded by the
//! terminal), YUYV is converted to RGB here.

use std::io;

use linuxvideo::format::{PixFormat, PixelFormat};
use linuxvideo::stream::ReadStream;
use linuxvideo::{BufType, Device};
use tracing::{debug, info};

use crate::camera::{Camera, CameraConfig, CameraError, Frame, FramePixels, yuyv_to_rgb};

/// Frames dropped after the stream starts, while exposure settles.
const WARM_UP_FRAMES: usize = 3;

/// The handheld's camera: opened at the first shutter press (so a missing
/// or busy camera never stops the terminal from starting) and kept
/// streaming; reopened at the next press after a failure.
pub struct V4l2Camera {
    config: CameraConfig,
    open: Option<OpenCamera>,
}

impl V4l2Camera {
    /// A camera on the configured device; nothing is opened yet.
    pub fn new(config: CameraConfig) -> Self {
        V4l2Camera { config, open: None }
    }

    /// Opens the device now (`diagnose`), if it is not open yet.
    pub fn open_now(&mut self) -> Result<(), CameraError> {
        if self.open.is_none() {
            self.open = Some(OpenCamera::open(&self.config)?);
        }
        Ok(())
    }
}

impl Camera for V4l2Camera {
    fn capture(&mut self) -> Result<Frame, CameraError> {
        self.open_now()?;
        let Some(open) = self.open.as_mut() else {
            return Err(CameraError::BadFrame("the camera is not open".into()));
        };
        let frame = open.capture();
        if frame.is_err() {
            // The next press reopens the device (unplugged, reset by the driver).
            self.open = None;
        }
        frame
    }

    fn describe(&self) -> String {
        match &self.open {
            Some(o) => o.describe(),
            None => format!(
                "V4L2 {} (asks {}x{}, not open yet)",
                self.config.device.display(),
                self.config.width,
                self.config.height
            ),
        }
    }
}

/// A V4L2 capture device, streaming until dropped.
struct OpenCamera {
    stream: ReadStream,
    device: String,
    format: PixelFormat,
    width: u32,
    height: u32,
    stride: u32,
}

impl OpenCamera {
    /// Opens the device, negotiates MJPEG (else YUYV) at the configured
    /// size, and starts streaming.
    fn open(config: &CameraConfig) -> Result<OpenCamera, CameraError> {
        let device = config.device.display().to_string();
        let open_err = |source: io::Error| CameraError::Open {
            device: device.clone(),
            source,
        };
        let dev = Device::open(&config.device).map_err(open_err)?;
        let offered = dev
            .formats(BufType::VIDEO_CAPTURE)
            .map(|f| f.map(|f| f.pixel_format()))
            .collect::<io::Result<Vec<_>>>()
            .map_err(open_err)?;
        let format = [PixelFormat::MJPG, PixelFormat::YUYV]
            .into_iter()
            .find(|f| offered.contains(f))
            .ok_or_else(|| CameraError::NoUsableFormat {
                device: device.clone(),
                offered: format!("{offered:?}"),
            })?;
        let capture = dev
            .video_capture(PixFormat::new(config.width, config.height, format))
            .map_err(open_err)?;
        let negotiated = capture.format();
        let (format, width, height, stride) = (
            negotiated.pixel_format(),
            negotiated.width(),
            negotiated.height(),
            negotiated.bytes_per_line(),
        );
        let mut stream = capture.into_stream().map_err(open_err)?;
        for _ in 0..WARM_UP_FRAMES {
            stream.dequeue(|_| Ok(())).map_err(CameraError::Capture)?;
        }
        info!(device = %device, format = ?format, width, height, "camera streaming");
        Ok(OpenCamera {
            stream,
            device,
            format,
            width,
            height,
            stride,
        })
    }
}

impl OpenCamera {
    fn capture(&mut self) -> Result<Frame, CameraError> {
        // Frames queued before the shutter are stale: drop those ready now.
        while !self.stream.will_block().map_err(CameraError::Capture)? {
            self.stream
                .dequeue(|_| Ok(()))
                .map_err(CameraError::Capture)?;
            debug!("stale frame dropped");
        }
        let bytes = self
            .stream
            .dequeue(|buf| Ok(buf.to_vec()))
            .map_err(CameraError::Capture)?;
        let pixels = if self.format == PixelFormat::MJPG {
            FramePixels::Jpeg(bytes)
        } else {
            FramePixels::Rgb8(yuyv_to_rgb(&bytes, self.width, self.height, self.stride)?)
        };
        Ok(Frame {
            width: self.width,
            height: self.height,
            pixels,
        })
    }

    fn describe(&self) -> String {
        format!(
            "V4L2 {} {:?} {}x{}",
            self.device, self.format, self.width, self.height
        )
    }
}
