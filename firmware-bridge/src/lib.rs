//! tmp
pub mod capture_check;
pub mod fix_tracker;
pub mod gnss_feed;
pub mod nmea_decode;
pub mod nmea_framing;
