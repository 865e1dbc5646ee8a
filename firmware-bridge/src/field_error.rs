//! Why a field of an NMEA sentence is not a value a receiver can produce.

use thiserror::Error;

/// Why a non-empty field is not a value a receiver can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum FieldError {
    /// Not of the form the field requires (e.g. an exponent, a sign, letters).
    #[error("not in the NMEA format of this field")]
    Format,
    /// A time of day with hours above 23, minutes above 59, seconds above 59
    /// (60, a leap second, only at 23:59).
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
    /// Altitude outside [`MIN_ALTITUDE_M`](crate::nmea_fields::MIN_ALTITUDE_M)..=[`MAX_ALTITUDE_M`](crate::nmea_fields::MAX_ALTITUDE_M).
    #[error("altitude outside -500 m .. 10 km")]
    Altitude,
    /// A satellite count that is not a whole number up to
    /// [`MAX_SATELLITES`](crate::nmea_fields::MAX_SATELLITES).
    #[error("not a satellite count (0-72)")]
    Count,
    /// A dilution of precision beyond NMEA's 99.99.
    #[error("dilution of precision beyond 99.99")]
    Dop,
    /// A speed over ground beyond
    /// [`MAX_SPEED_KNOTS`](crate::nmea_fields::MAX_SPEED_KNOTS).
    #[error("speed over ground beyond 1000 knots")]
    Speed,
    /// A geoid separation beyond [`MAX_GEOID_SEPARATION_M`](crate::nmea_fields::MAX_GEOID_SEPARATION_M).
    #[error("geoid separation beyond ±120 m")]
    GeoidSeparation,
    /// A unit letter other than `M` (metres) or `F` (feet).
    #[error("unit neither M nor F")]
    Unit,
}
