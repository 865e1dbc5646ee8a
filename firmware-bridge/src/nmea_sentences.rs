//! The typed content of the NMEA sentences the decoder accepts: one value
//! type per sentence, and the [`Observation`] / [`Decoded`] that carry them.

use crate::geo_position::Position;
use crate::nmea_date::NmeaDate;
use crate::time_of_day::TimeOfDayMs;

/// RMC: recommended minimum data.
#[derive(Debug, Clone, PartialEq)]
pub struct Rmc {
    /// UTC time of the fix.
    pub time: Option<TimeOfDayMs>,
    /// Status byte: `A` valid, `V` warning.
    pub status: u8,
    /// Position, if all four fields were present.
    pub position: Option<Position>,
    /// Speed over ground, knots (at most `MAX_SPEED_KNOTS`).
    pub speed_knots: Option<f64>,
    /// Date.
    pub date: Option<NmeaDate>,
    /// FAA mode indicator (NMEA 2.3+), e.g. `A`, `D`, `E`, `N`, `S`, `V`.
    pub faa_mode: Option<u8>,
}

/// GGA: fix data.
#[derive(Debug, Clone, PartialEq)]
pub struct Gga {
    /// UTC time of the fix.
    pub time: Option<TimeOfDayMs>,
    /// The raw time field, to detect non-advancing time stamps.
    pub raw_time: String,
    /// Position, if present.
    pub position: Option<Position>,
    /// Fix quality 0-8 (`None` when the field is empty or not a number).
    pub quality: Option<u8>,
    /// Satellites used.
    pub satellites: Option<u8>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres (feet converted).
    pub alt_m: Option<f64>,
    /// Geoid separation, metres (range-checked, not used).
    pub geoid_sep_m: Option<f64>,
}

/// GNS: multi-constellation fix data.
#[derive(Debug, Clone, PartialEq)]
pub struct Gns {
    /// UTC time of the fix.
    pub time: Option<TimeOfDayMs>,
    /// Position, if present.
    pub position: Option<Position>,
    /// Mode indicator characters, one per constellation (e.g. `AAN`).
    pub modes: String,
    /// Satellites used.
    pub satellites: Option<u8>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Altitude above mean sea level, metres.
    pub alt_m: Option<f64>,
    /// Geoid separation, metres (range-checked, not used).
    pub geoid_sep_m: Option<f64>,
    /// NMEA 4.1 navigational status (`S` safe, `C`, `U` unsafe, `V` invalid).
    pub nav_status: Option<u8>,
}

/// GSA: DOP and active satellites.
#[derive(Debug, Clone, PartialEq)]
pub struct Gsa {
    /// Fix type: 1 none, 2 2D, 3 3D.
    pub fix_type: Option<u8>,
    /// Satellite ids used.
    pub used: Vec<u16>,
    /// Position dilution of precision.
    pub pdop: Option<f64>,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
}

/// GLL: geographic position.
#[derive(Debug, Clone, PartialEq)]
pub struct Gll {
    /// Position, if present.
    pub position: Option<Position>,
    /// UTC time.
    pub time: Option<TimeOfDayMs>,
    /// Status: `A` valid, `V` invalid, `None` when empty.
    pub status: Option<u8>,
    /// FAA mode indicator (NMEA 2.3+).
    pub faa_mode: Option<u8>,
}

/// VTG: course and speed over ground.
#[derive(Debug, Clone, PartialEq)]
pub struct Vtg {
    /// True course, degrees.
    pub course_deg: Option<f64>,
    /// Speed, knots.
    pub speed_knots: Option<f64>,
    /// FAA mode indicator.
    pub faa_mode: Option<u8>,
}

/// ZDA: time and date (used for time only).
#[derive(Debug, Clone, PartialEq)]
pub struct Zda {
    /// UTC time.
    pub time: Option<TimeOfDayMs>,
    /// Date.
    pub date: Option<NmeaDate>,
}

/// A typed observation from one accepted sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// RMC.
    Rmc(Rmc),
    /// GGA.
    Gga(Gga),
    /// GNS.
    Gns(Gns),
    /// GSA.
    Gsa(Gsa),
    /// GLL.
    Gll(Gll),
    /// VTG.
    Vtg(Vtg),
    /// ZDA (time and date only).
    Zda(Zda),
}

/// A decoded sentence with its talker.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Two-letter talker id, e.g. `GN`.
    pub talker: String,
    /// What it says.
    pub observation: Observation,
}
