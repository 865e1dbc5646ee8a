//! Checked values of the configuration file: each type refuses an impossible
//! value when the file is read, with a sentence saying what is wrong (the
//! "write instead" part comes from [`super::keys`]).

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use crate::position_source::FixedPosition;

/// Serial line speeds a UART and a USB serial adapter both accept.
pub const STANDARD_BAUD_RATES: [u32; 11] = [
    1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600,
];

/// A standard serial line speed, in bits per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Baud(u32);

impl Baud {
    /// A standard rate, or `None`.
    pub fn new(rate: u32) -> Option<Baud> {
        STANDARD_BAUD_RATES.contains(&rate).then_some(Baud(rate))
    }

    /// Bits per second.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Baud {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        u32::try_from(v)
            .ok()
            .and_then(Baud::new)
            .ok_or_else(|| format!("{v} is not a standard baud rate"))
    }
}

/// Which escrow platform the device belongs to; a device cannot switch
/// profile without re-enrollment (each profile pins its own server key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum Profile {
    /// Pre-production: a permanent TEST banner, every event marked test.
    Test,
    /// Real deliveries and real money.
    #[default]
    Production,
}

impl Profile {
    /// The word written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Test => "test",
            Profile::Production => "production",
        }
    }
}

impl From<Profile> for courier_protocol::enrollment_qr::Profile {
    fn from(p: Profile) -> Self {
        match p {
            Profile::Test => courier_protocol::enrollment_qr::Profile::Test,
            Profile::Production => courier_protocol::enrollment_qr::Profile::Production,
        }
    }
}

impl TryFrom<String> for Profile {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        match v.as_str() {
            "test" => Ok(Profile::Test),
            "production" => Ok(Profile::Production),
            _ => Err(format!("{v:?} is not a profile")),
        }
    }
}

/// An escrow server base URL: `http://` or `https://`, a host, no spaces,
/// stored without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct ServerUrl(String);

impl ServerUrl {
    /// The URL, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ServerUrl {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        let rest = v
            .strip_prefix("https://")
            .or_else(|| v.strip_prefix("http://"))
            .ok_or_else(|| format!("{v:?} is not an http:// or https:// URL"))?;
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || host.starts_with(':') {
            return Err(format!("{v:?} has no host name"));
        }
        if v.chars().any(char::is_whitespace) {
            return Err(format!("{v:?} contains a space"));
        }
        Ok(ServerUrl(v.trim_end_matches('/').to_owned()))
    }
}

/// An absolute file or directory path (the service runs from `/`, so a
/// relative path would depend on where it was started).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct AbsolutePath(pub PathBuf);

impl TryFrom<String> for AbsolutePath {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        if v.starts_with('/') {
            Ok(AbsolutePath(PathBuf::from(v)))
        } else {
            Err(format!("{v:?} is not an absolute path"))
        }
    }
}

/// A serial device path, or the word `"none"` for no device.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum PortSetting {
    /// No device of this kind.
    None,
    /// The device path.
    Device(PathBuf),
}

impl TryFrom<String> for PortSetting {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        if v == "none" {
            return Ok(PortSetting::None);
        }
        AbsolutePath::try_from(v).map(|p| PortSetting::Device(p.0))
    }
}

/// A fixed position written `"LAT,LON"` in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub struct FixedPositionSetting(pub FixedPosition);

impl TryFrom<String> for FixedPositionSetting {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        let parsed = v.split_once(',').and_then(|(a, b)| {
            Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?))
        });
        match parsed {
            Some((lat, lon)) if lat.abs() <= 90.0 && lon.abs() <= 180.0 => {
                Ok(FixedPositionSetting(FixedPosition {
                    lat_deg: lat,
                    lon_deg: lon,
                }))
            }
            Some(_) => Err(format!("{v:?} is off the globe")),
            None => Err(format!("{v:?} is not two numbers LAT,LON")),
        }
    }
}

/// How barcode scans reach the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum ScannerMode {
    /// A serial (or USB CDC) port that sends each scan as a line.
    Serial,
    /// A keyboard wedge: scans arrive as typed keys.
    Keyboard,
    /// No scanner: labels and codes are typed.
    None,
}

impl TryFrom<String> for ScannerMode {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        match v.as_str() {
            "serial" => Ok(ScannerMode::Serial),
            "keyboard" => Ok(ScannerMode::Keyboard),
            "none" => Ok(ScannerMode::None),
            _ => Err(format!("{v:?} is not a scanner mode")),
        }
    }
}

/// Which bytes end a scan (the scanner's configured suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct FrameEnd(pub firmware_bridge::scanner_framing::Terminator);

impl TryFrom<String> for FrameEnd {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        use firmware_bridge::scanner_framing::Terminator;
        match v.as_str() {
            "cr" => Ok(FrameEnd(Terminator::Cr)),
            "lf" => Ok(FrameEnd(Terminator::Lf)),
            "crlf" => Ok(FrameEnd(Terminator::CrLf)),
            _ => Err(format!("{v:?} is not a frame ending")),
        }
    }
}

/// A user-interface scale factor (1.0 = the design size).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "f64")]
pub struct Scale(pub f32);

impl TryFrom<f64> for Scale {
    type Error = String;
    fn try_from(v: f64) -> Result<Self, String> {
        if (0.25..=8.0).contains(&v) {
            #[allow(clippy::cast_possible_truncation)] // range checked above
            Ok(Scale(v as f32))
        } else {
            Err(format!("{v} is outside 0.25 to 8"))
        }
    }
}

/// The panel's pixel density, dots per inch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct PanelDpi(pub u32);

impl TryFrom<i64> for PanelDpi {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        match u32::try_from(v) {
            Ok(d) if (50..=1200).contains(&d) => Ok(PanelDpi(d)),
            _ => Err(format!("{v} dpi is not a panel density")),
        }
    }
}

/// The panel rotation as written in the file (degrees clockwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "i64")]
pub struct RotationSetting(pub crate::ui::Rotation);

impl TryFrom<i64> for RotationSetting {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        use crate::ui::Rotation;
        match v {
            0 => Ok(RotationSetting(Rotation::Deg0)),
            90 => Ok(RotationSetting(Rotation::Deg90)),
            180 => Ok(RotationSetting(Rotation::Deg180)),
            270 => Ok(RotationSetting(Rotation::Deg270)),
            _ => Err(format!(
                "{v} degrees is not a rotation the display supports"
            )),
        }
    }
}

/// The screens' language as written in the file (`fr`, `ar`, `en`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LanguageSetting(pub crate::ui::Language);

impl TryFrom<String> for LanguageSetting {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        use crate::ui::Language;
        match v.as_str() {
            "fr" => Ok(LanguageSetting(Language::Fr)),
            "ar" => Ok(LanguageSetting(Language::Ar)),
            "en" => Ok(LanguageSetting(Language::En)),
            _ => Err(format!("{v:?} is not a language of the screens")),
        }
    }
}

/// How much the terminal writes to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum LogLevel {
    /// Failures only.
    Error,
    /// Failures and what may need a person.
    Warn,
    /// Plus the main steps (start, sync passes, enrollment).
    #[default]
    Info,
    /// Plus details for a support case.
    Debug,
    /// Everything (large).
    Trace,
}

impl LogLevel {
    /// The `tracing` filter for this level.
    pub fn filter(self) -> tracing::level_filters::LevelFilter {
        use tracing::level_filters::LevelFilter;
        match self {
            LogLevel::Error => LevelFilter::ERROR,
            LogLevel::Warn => LevelFilter::WARN,
            LogLevel::Info => LevelFilter::INFO,
            LogLevel::Debug => LevelFilter::DEBUG,
            LogLevel::Trace => LevelFilter::TRACE,
        }
    }
}

impl TryFrom<String> for LogLevel {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        match v.as_str() {
            "error" => Ok(LogLevel::Error),
            "warn" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            "trace" => Ok(LogLevel::Trace),
            _ => Err(format!("{v:?} is not a log level")),
        }
    }
}
