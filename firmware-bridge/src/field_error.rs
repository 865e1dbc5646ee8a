//! Why a field of an NMEA sentence is not a value a receiver can produce.

use thiserror::Error;

/// Why a non-empty field is not a value a receiver can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FieldError {
    /// Not of the form the field requires (e.g. an exponent, a sign, letters).
    #[error("not in the NMEA format of this field")]
    Format,
    /// A time of day with hours above 23, minutes above 59 or seconds above 60.
    #[error("not a time of day (hhmmss.sss)")]
    TimeOfDay,
    /// A date that is not on the calendar (e.g. 31 February).
    #[error("not a calendar date (ddmmyy)")]
    Calendar,
    /// Minutes of arc of 60 or more.
    #[error("minutes of arc are 60 or more")]
    Minutes,
    /// Latitude beyond 90° or longitude beyond 180°.
    #[error("beyond 90° latitude or 180° longitude")]
    Degrees,
    /// Hemisphere letter missing or not `N`/`S` (latitude), `E`/`W` (longitude).
    #[error("hemisphere letter missing or wrong")]
    Hemisphere,
    /// Coordinates given in part only (some of the four fields empty).
    #[error("coordinates given in part only")]
    Partial,
    /// Altitude outside [`MIN_ALTITUDE_M`]..=[`MAX_ALTITUDE_M`].
    #[error("altitude outside -500 m .. 10 km")]
    Altitude,
    /// A count (satellites) that is not a small whole number.
    #[error("not a satellite count")]
    Count,
}
