//! Sentence to meaning: turns one framed NMEA sentence body into a typed
//! [`Observation`]. Pure and allocation-light; never panics on any input.
//!
//! Fields are parsed here rather than with the `nmea` crate because its types
//! fold away information the fix tracker needs (GGA quality 7/8, the RMC
//! status next to the FAA mode indicator, non-advancing GGA time stamps).
//! Every field that can become evidence goes through [`nmea_fields`]: a value
//! no receiver can produce makes the whole sentence a
//! [`DecodeError::Implausible`], never a half-decoded observation.

use thiserror::Error;

use crate::field_error::FieldError;
use crate::geo_position::Position;
use crate::nmea_fields;
use crate::nmea_sentences::{Decoded, Gga, Gll, Gns, Gsa, Observation, Rmc, Vtg, Zda};
use crate::time_of_day::TimeOfDayMs;

/// Talkers accepted by default: GPS, multi-GNSS, GLONASS, Galileo, BeiDou
/// (NMEA 4.11 `GB` and the older `BD`), QZSS (`GQ` and the older `QZ`),
/// NavIC (`GI`) and integrated navigation systems (`IN`, GNSS with inertial
/// sensors).
pub const DEFAULT_TALKERS: &[&str] = &["GP", "GN", "GL", "GA", "GB", "BD", "GQ", "QZ", "GI", "IN"];

/// Why a framed sentence produced no observation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// A sentence type or talker outside the accepted set (counted, not an error).
    #[error("sentence {0} not used")]
    Skipped(String),
    /// The address field is not `TTSSS`.
    #[error("malformed address field")]
    BadAddress,
    /// A field holds a value no receiver can produce; the whole sentence is
    /// ignored (and counted), never half-applied.
    #[error("{sentence} {field}: {problem}; sentence ignored")]
    Implausible {
        /// Sentence type, e.g. `GGA`.
        sentence: &'static str,
        /// Field name, e.g. `altitude`.
        field: &'static str,
        /// What is wrong with it.
        problem: FieldError,
    },
}

impl DecodeError {
    /// For an implausible sentence, `"GGA altitude"`-style key for counters.
    pub fn implausible_key(&self) -> Option<String> {
        match self {
            DecodeError::Implausible {
                sentence, field, ..
            } => Some(format!("{sentence} {field}")),
            _ => None,
        }
    }
}

/// Decoder with a configurable set of accepted talkers.
#[derive(Debug, Clone)]
pub struct NmeaDecoder {
    talkers: Vec<String>,
}

impl Default for NmeaDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_TALKERS.iter().map(|s| s.to_string()).collect())
    }
}

fn first_byte(f: &str) -> Option<u8> {
    f.as_bytes().first().copied()
}

/// Field access for one sentence: each lookup names the field, so an
/// implausible value becomes a [`DecodeError::Implausible`] naming it.
struct Fields<'a> {
    sentence: &'static str,
    fields: Vec<&'a str>,
}

impl<'a> Fields<'a> {
    fn raw(&self, i: usize) -> &'a str {
        self.fields.get(i).copied().unwrap_or_default()
    }

    fn get<T>(
        &self,
        i: usize,
        field: &'static str,
        parse: impl FnOnce(&'a str) -> Result<T, FieldError>,
    ) -> Result<T, DecodeError> {
        parse(self.raw(i)).map_err(|problem| DecodeError::Implausible {
            sentence: self.sentence,
            field,
            problem,
        })
    }

    fn time(&self, i: usize) -> Result<Option<TimeOfDayMs>, DecodeError> {
        self.get(i, "time", nmea_fields::time_of_day)
    }

    fn position(&self, i: usize) -> Result<Option<Position>, DecodeError> {
        let four = self.fields.get(i..i + 4).unwrap_or_default();
        nmea_fields::position(four).map_err(|problem| DecodeError::Implausible {
            sentence: self.sentence,
            field: "position",
            problem,
        })
    }

    fn dop(&self, i: usize, field: &'static str) -> Result<Option<f64>, DecodeError> {
        self.get(i, field, nmea_fields::dop)
    }

    /// A length field followed by its unit letter.
    fn with_unit(
        &self,
        i: usize,
        field: &'static str,
        parse: fn(&str, &str) -> Result<Option<f64>, FieldError>,
    ) -> Result<Option<f64>, DecodeError> {
        let unit = self.raw(i + 1);
        self.get(i, field, |v| parse(v, unit))
    }
}

impl NmeaDecoder {
    /// Decoder accepting the given talker ids.
    pub fn new(talkers: Vec<String>) -> Self {
        Self { talkers }
    }

    /// Decode one sentence body (as produced by the framer).
    pub fn decode(&self, body: &str) -> Result<Decoded, DecodeError> {
        let fields: Vec<&str> = body.split(',').collect();
        let addr = fields.first().copied().unwrap_or_default();
        if addr.len() < 3 || !addr.is_ascii() {
            return Err(DecodeError::BadAddress);
        }
        if addr.starts_with('P') || addr.len() != 5 {
            return Err(DecodeError::Skipped(addr.to_string()));
        }
        let (talker, kind) = addr.split_at(2);
        if !self.talkers.iter().any(|t| t == talker) {
            return Err(DecodeError::Skipped(addr.to_string()));
        }
        let sentence = match kind {
            "RMC" => "RMC",
            "GGA" => "GGA",
            "GNS" => "GNS",
            "GSA" => "GSA",
            "GLL" => "GLL",
            "VTG" => "VTG",
            "ZDA" => "ZDA",
            _ => return Err(DecodeError::Skipped(addr.to_string())),
        };
        let f = Fields { sentence, fields };
        let observation = match sentence {
            "RMC" => Observation::Rmc(Rmc {
                time: f.time(1)?,
                status: first_byte(f.raw(2)).unwrap_or(b'V'),
                position: f.position(3)?,
                speed_knots: f.get(7, "speed", nmea_fields::speed_knots)?,
                date: f.get(9, "date", nmea_fields::date_ddmmyy)?,
                faa_mode: first_byte(f.raw(12)),
            }),
            "GGA" => Observation::Gga(Gga {
                time: f.time(1)?,
                raw_time: f.raw(1).to_string(),
                position: f.position(2)?,
                quality: f.raw(6).trim().parse().ok(),
                satellites: f.get(7, "satellites", nmea_fields::count)?,
                hdop: f.dop(8, "HDOP")?,
                alt_m: f.with_unit(9, "altitude", nmea_fields::altitude_with_unit)?,
                geoid_sep_m: f.with_unit(11, "geoid separation", nmea_fields::geoid_separation)?,
            }),
            "GNS" => Observation::Gns(Gns {
                time: f.time(1)?,
                position: f.position(2)?,
                modes: f.raw(6).to_string(),
                satellites: f.get(7, "satellites", nmea_fields::count)?,
                hdop: f.dop(8, "HDOP")?,
                alt_m: f.get(9, "altitude", nmea_fields::altitude)?,
                geoid_sep_m: f.get(10, "geoid separation", |v| {
                    nmea_fields::geoid_separation(v, "M")
                })?,
                nav_status: first_byte(f.raw(13)),
            }),
            "GSA" => {
                let n = f.fields.len();
                // Tag, selection mode, fix type, then ids, then PDOP/HDOP/VDOP
                // (and, from NMEA 4.1, a system id).
                let dop_at = if n >= 19 && !f.raw(n - 1).contains('.') {
                    n - 4
                } else {
                    n.saturating_sub(3)
                };
                let used = f
                    .fields
                    .get(3..dop_at.max(3))
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| s.parse::<u16>().ok())
                    .filter(|&p| p > 0)
                    .collect();
                Observation::Gsa(Gsa {
                    fix_type: f.raw(2).trim().parse().ok(),
                    used,
                    pdop: f.dop(dop_at, "PDOP")?,
                    hdop: f.dop(dop_at + 1, "HDOP")?,
                })
            }
            "GLL" => Observation::Gll(Gll {
                position: f.position(1)?,
                time: f.time(5)?,
                status: first_byte(f.raw(6)),
                faa_mode: first_byte(f.raw(7)),
            }),
            "VTG" => Observation::Vtg(Vtg {
                // VTG is not evidence: a course or speed that is not a
                // plausible value is read as absent, never misread.
                course_deg: nmea_fields::decimal(f.raw(1))
                    .ok()
                    .flatten()
                    .filter(|c| (0.0..=360.0).contains(c)),
                speed_knots: nmea_fields::speed_knots(f.raw(5)).ok().flatten(),
                faa_mode: first_byte(f.raw(9)),
            }),
            _ => {
                let part = |i: usize| -> Result<Option<u32>, DecodeError> {
                    let r = f.raw(i);
                    if r.is_empty() {
                        return Ok(None);
                    }
                    f.get(i, "date", |s| {
                        let b = s.as_bytes();
                        if b.len() > 4 || !b.iter().all(u8::is_ascii_digit) {
                            return Err(FieldError::Format);
                        }
                        s.parse::<u32>().map_err(|_| FieldError::Format)
                    })
                    .map(Some)
                };
                let date = match (part(2)?, part(3)?, part(4)?) {
                    (Some(day), Some(month), Some(year)) => Some(f.get(2, "date", |_| {
                        let year = i32::try_from(year).map_err(|_| FieldError::Calendar)?;
                        nmea_fields::calendar_date(year, month, day)
                    })?),
                    (None, None, None) => None,
                    _ => {
                        return Err(DecodeError::Implausible {
                            sentence,
                            field: "date",
                            problem: FieldError::Partial,
                        });
                    }
                };
                Observation::Zda(Zda {
                    time: f.time(1)?,
                    date,
                })
            }
        };
        Ok(Decoded {
            talker: talker.to_string(),
            observation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nmea_date::NmeaDate;

    #[test]
    fn decodes_gga_with_quality_8() {
        let d = NmeaDecoder::default()
            .decode("GPGGA,125106,3854.5087,N,07726.4523,W,8,10,2.0,268.8,M,-33.9,M,,")
            .expect("decodes");
        let Observation::Gga(g) = d.observation else {
            panic!("not GGA")
        };
        assert_eq!(g.quality, Some(8));
        assert_eq!(g.time, Some((12 * 3600 + 51 * 60 + 6) * 1000));
        let p = g.position.expect("position");
        assert!((p.lat_deg - 38.908478333).abs() < 1e-8);
        assert!((p.lon_deg + 77.440871667).abs() < 1e-8);
        assert_eq!(g.alt_m, Some(268.8));
    }

    #[test]
    fn rmc_date_and_time() {
        let d = NmeaDecoder::default()
            .decode("GPRMC,005947.25,A,3715.6616,N,12157.6709,W,0.0,0.0,080710,,")
            .expect("decodes");
        let Observation::Rmc(r) = d.observation else {
            panic!("not RMC")
        };
        assert_eq!(
            r.date,
            Some(NmeaDate {
                year: 2010,
                month: 7,
                day: 8
            })
        );
        assert_eq!(r.time, Some(59 * 60 * 1000 + 47_250));
        assert_eq!(r.status, b'A');
    }

    #[test]
    fn skips_other_sentences_and_talkers() {
        let dec = NmeaDecoder::default();
        assert!(matches!(
            dec.decode("GPGSV,3,1,11"),
            Err(DecodeError::Skipped(_))
        ));
        assert!(matches!(
            dec.decode("PGRMZ,48,f,3"),
            Err(DecodeError::Skipped(_))
        ));
        assert!(matches!(
            dec.decode("IMGSA,A,3"),
            Err(DecodeError::Skipped(_))
        ));
    }

    #[test]
    fn implausible_fields_name_the_sentence_and_field() {
        let e = NmeaDecoder::default()
            .decode("GPGGA,120000,4807.038,N,01131.000,E,1,08,0.9,1e308,M,46.9,M,,")
            .expect_err("rejected");
        assert_eq!(e.implausible_key().as_deref(), Some("GGA altitude"));
        assert_eq!(
            e.to_string(),
            "GGA altitude: not in the NMEA format of this field; sentence ignored"
        );
        assert!(
            NmeaDecoder::default()
                .decode("GPZDA,120000.00,31,02,2026,00,00")
                .is_err()
        );
    }
}
