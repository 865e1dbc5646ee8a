//! The terminal's configuration, read from `/etc/courier-terminal/config.toml`
//! (the caller gives the path). Every key is optional; [`Config::default`] is
//! what the package's commented file (`packaging/config.toml`) says. An unknown
//! key, a wrong type or an impossible value refuses the whole file with the
//! file, the line, the key and what to write instead ([`ConfigError`]).

mod error;
mod file_schema;
mod keys;
mod values;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use toml::de::DeTable;

pub use crate::ui::Rotation;
pub use error::ConfigError;
pub use file_schema::{
    DEFAULT_CAMERA_DEVICE, DEFAULT_DATA_DIR, DEFAULT_GNSS_PORT, DEFAULT_SCANNER_PORT,
};
pub use firmware_bridge::scanner_framing::Terminator;
pub use values::{Baud, LogLevel, Profile, STANDARD_BAUD_RATES, ServerUrl};

use crate::position_source::FixedPosition;
use crate::ui::Language;
use file_schema::FileConfig;
use values::{PortSetting, ScannerMode};

/// The whole configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[server]`: the escrow platform.
    pub server: ServerSettings,
    /// `[storage]`: where the database and the device key live.
    pub storage: StorageSettings,
    /// `[gnss]`: where positions come from.
    pub gnss: GnssSettings,
    /// `[scanner]`: how barcode scans arrive.
    pub scanner: ScannerSettings,
    /// `[camera]`: the camera photos are taken with.
    pub camera: Option<firmware_bridge::CameraConfig>,
    /// `[display]`: the screen.
    pub display: DisplaySettings,
    /// `[ui]`: language.
    pub ui: UiSettings,
    /// `[log]`: the journal.
    pub log: LogSettings,
}

/// `[server]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Base URL; `None`: the one stored at enrollment.
    pub url: Option<ServerUrl>,
    /// Test or production platform.
    pub profile: Profile,
    /// A PEM file of the carrier's own certificate authority; `None`: the
    /// system's roots.
    pub ca_file: Option<PathBuf>,
    /// Ask the server at the door for parcels that need an online check.
    pub online_check: bool,
    /// Upload events and fetch manifests in the background while the app runs.
    pub background_sync: bool,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSettings {
    /// Database and device key directory.
    pub data_dir: PathBuf,
}

/// `[gnss]`.
#[derive(Debug, Clone, PartialEq)]
pub struct GnssSettings {
    /// Where positions come from.
    pub source: PositionSetting,
}

/// Where positions come from.
#[derive(Debug, Clone, PartialEq)]
pub enum PositionSetting {
    /// An NMEA receiver on a serial port.
    Receiver {
        /// Device path.
        port: PathBuf,
        /// Line speed.
        baud: Baud,
    },
    /// A fixed position (depot bench), recorded as source "fixed".
    Fixed(FixedPosition),
    /// No position at all (events say so).
    None,
}

/// `[scanner]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannerSettings {
    /// How scans arrive.
    pub input: ScannerInput,
    /// Which bytes end a scan.
    pub frame_end: Terminator,
}

/// How barcode scans arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerInput {
    /// A serial or USB CDC port.
    Serial {
        /// Device path.
        port: PathBuf,
        /// Line speed.
        baud: Baud,
    },
    /// A keyboard wedge (scans typed as keys).
    Keyboard,
    /// No scanner.
    None,
}

/// `[display]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplaySettings {
    /// Take the whole screen (no window frame).
    pub fullscreen: bool,
    /// How big the screens are drawn.
    pub size: DisplaySize,
    /// Panel rotation.
    pub rotation: Rotation,
}

/// How big the screens are drawn: one of a scale factor or the panel density.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DisplaySize {
    /// What the system reports.
    Auto,
    /// A scale factor (1.0 = design size).
    Scale(f32),
    /// The panel's dots per inch (the scale is derived from it).
    PanelDpi(u32),
}

/// `[ui]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UiSettings {
    /// Language at start.
    pub language: Language,
    /// Whether the courier may switch language on the device.
    pub courier_may_change_language: bool,
}

/// `[log]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSettings {
    /// Journal verbosity (`COURIER_LOG`, when set, still wins for support cases).
    pub level: LogLevel,
}

impl Default for Config {
    fn default() -> Self {
        build(FileConfig::default(), None)
            .unwrap_or_else(|e| unreachable!("the defaults are consistent: {e}"))
    }
}

impl Config {
    /// Reads and checks the file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_owned(),
                }
            } else {
                ConfigError::Unreadable {
                    path: path.to_owned(),
                    source,
                }
            }
        })?;
        Config::from_toml_str(&text, path)
    }

    /// Checks `text`; `path` only names the file in error messages.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let root = DeTable::parse(text).map_err(|e| error::from_syntax_error(&e, text, path))?;
        let file: FileConfig =
            serde::Deserialize::deserialize(toml::de::Deserializer::from(root.clone()))
                .map_err(|e| error::from_de_error(&e, text, root.get_ref(), path))?;
        build(file, Some((text, root.get_ref(), path)))
    }
}

/// Builds the typed configuration, with the checks that involve two keys.
/// `source` names the document for error lines (absent for the defaults).
fn build(
    file: FileConfig,
    source: Option<(&str, &DeTable<'_>, &Path)>,
) -> Result<Config, ConfigError> {
    let refuse = |section: &str, key: &str, problem: String, fix: Option<String>| {
        let (line, path) = match source {
            Some((text, root, path)) => (error::key_line(root, text, section, key), path),
            None => (1, Path::new("(defaults)")),
        };
        error::refused(path, line, section, key, problem, fix)
    };
    // "(line N)" of a key written in the file, else what its default is.
    let where_set = |section: &str, key: &str, default: &str| {
        source
            .and_then(|(text, root, _)| error::written_key_line(root, text, section, key))
            .map_or_else(|| format!("({default})"), |line| format!("(line {line})"))
    };

    let s = file.server;
    if let Some(url) = &s.url
        && courier_protocol::transport::server_url_allowed(s.profile.into(), url.as_str()).is_err()
    {
        return Err(refuse(
            "server",
            "url",
            format!("\"{url}\" is plain HTTP with profile = \"production\""),
            Some(format!(
                "url = \"https://{}\" (plain http:// is accepted only with profile = \"test\" \
                 or a loopback address)",
                url.as_str().trim_start_matches("http://")
            )),
        ));
    }

    let g = file.gnss;
    let source_setting = match (g.port, g.fixed_position) {
        (PortSetting::Device(_), Some(_)) => {
            return Err(refuse(
                "gnss",
                "fixed_position",
                format!(
                    "given while port names a receiver {}",
                    where_set("gnss", "port", "by default /dev/courier-gnss")
                ),
                Some(
                    "port = \"none\" in [gnss] to use the fixed position, or remove the \
                     fixed_position line to use the receiver"
                        .into(),
                ),
            ));
        }
        (PortSetting::Device(port), None) => PositionSetting::Receiver { port, baud: g.baud },
        (PortSetting::None, Some(p)) => PositionSetting::Fixed(p.0),
        (PortSetting::None, None) => PositionSetting::None,
    };

    let d = file.display;
    let size = match (d.scale, d.panel_dpi) {
        (Some(_), Some(_)) => {
            return Err(refuse(
                "display",
                "panel_dpi",
                format!(
                    "set together with display.scale {}",
                    where_set("display", "scale", "")
                ),
                Some(
                    "only one of them: scale = 1.5 for a factor, or panel_dpi = 320 for the \
                     panel's density; remove the other line"
                        .into(),
                ),
            ));
        }
        (Some(scale), None) => DisplaySize::Scale(scale.0),
        (None, Some(dpi)) => DisplaySize::PanelDpi(dpi.0),
        (None, None) => DisplaySize::Auto,
    };

    let cam = file.camera;
    if !(160..=8192).contains(&cam.width) || !(120..=8192).contains(&cam.height) {
        return Err(refuse(
            "camera",
            "width",
            format!("{}x{} is not a camera resolution", cam.width, cam.height),
            Some("width = 1920 and height = 1080 (the driver picks the nearest it offers)".into()),
        ));
    }
    let camera = match cam.device {
        PortSetting::Device(device) => Some(firmware_bridge::CameraConfig {
            device,
            width: cam.width,
            height: cam.height,
        }),
        PortSetting::None => None,
    };
    let sc = file.scanner;
    Ok(Config {
        server: ServerSettings {
            url: s.url,
            profile: s.profile,
            ca_file: s.ca_file.map(|p| p.0),
            online_check: s.online_check,
            background_sync: s.background_sync,
        },
        storage: StorageSettings {
            data_dir: file.storage.data_dir.0,
        },
        gnss: GnssSettings {
            source: source_setting,
        },
        scanner: ScannerSettings {
            input: match sc.mode {
                ScannerMode::Serial => ScannerInput::Serial {
                    port: sc.port.0,
                    baud: sc.baud,
                },
                ScannerMode::Keyboard => ScannerInput::Keyboard,
                ScannerMode::None => ScannerInput::None,
            },
            frame_end: sc.frame_end.0,
        },
        camera,
        display: DisplaySettings {
            fullscreen: d.fullscreen,
            size,
            rotation: d.rotation.0,
        },
        ui: UiSettings {
            language: file.ui.language.0,
            courier_may_change_language: file.ui.courier_may_change_language,
        },
        log: LogSettings {
            level: file.log.level,
        },
    })
}
