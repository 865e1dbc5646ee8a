//! UTC time of day as NMEA sentences carry it.

/// Time of day in milliseconds after UTC midnight (below [`DAY_MS`]).
pub type TimeOfDayMs = u32;

/// Milliseconds in a UTC day (Unix time has no leap seconds).
pub const DAY_MS: i64 = 86_400_000;
