//! A position on the Earth as the receiver reports it, and the distance
//! between two of them.

/// A decoded latitude/longitude pair in degrees (south and west negative).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
}
