//! Serial GNSS and barcode scanner bridge (see issue 4).
//!
//! Bytes first, then meaning: [`nmea_framing`] cuts the serial byte stream
//! into checksummed sentences, [`nmea_decode`] types them, [`fix_tracker`]
//! turns them into the current [`Fix`], and [`gnss_serial`] runs that on a
//! port with reconnects, publishing a [`GnssSnapshot`] through a
//! [`GnssHandle`]. The scanner path is [`scanner_framing`] →
//! [`scan_classify`] → [`scanner_serial`]. [`simulator`] (feature `simulator`, for the dev tools and tests,
//! not the product) drives both over pseudo-terminals; [`capture_check`] holds the decoder to gpsd's record.

pub mod camera;
pub mod capture_check;
pub mod field_error;
pub mod fix_continuity;
pub mod fix_tracker;
pub mod frame_jpeg;
pub mod geo_position;
pub mod gnss_feed;
pub mod gnss_serial;
pub mod gpsd_record;
pub mod nmea_date;
pub mod nmea_decode;
pub mod nmea_fields;
pub mod nmea_framing;
pub mod nmea_sentences;
pub mod scan_classify;
pub mod scanner_framing;
pub mod scanner_serial;
#[cfg(feature = "simulator")]
pub mod simulator;
pub mod time_of_day;
pub mod v4l2_camera;
pub mod year_window;

pub use camera::{Camera, CameraConfig, CameraError, Frame, FramePixels};
pub use fix_tracker::{Fix, FixMode, FixTracker};
pub use gnss_feed::{GnssFeed, GnssStats};
pub use gnss_serial::{
    GnssConfig, GnssHandle, GnssSerial, GnssSnapshot, LinkState, MemoryGnss, SnapshotSource,
};
pub use scan_classify::{ScanKind, classify};
pub use scanner_serial::{ScanEvent, ScannerConfig, ScannerSerial};
pub use v4l2_camera::V4l2Camera;
pub use year_window::YearWindow;
