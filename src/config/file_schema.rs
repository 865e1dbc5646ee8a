//! The file as written: one serde struct per section, every key optional
//! with its default, unknown keys refused. [`super::Config`] is built from it
//! after the checks that involve two keys.

use serde::Deserialize;

use super::values::{
    AbsolutePath, Baud, FixedPositionSetting, FrameEnd, LanguageSetting, LogLevel, PanelDpi,
    PortSetting, Profile, RotationSetting, Scale, ScannerMode, ServerUrl,
};
use firmware_bridge::scanner_framing::Terminator;

/// Where the package's udev rules name the GNSS receiver.
pub const DEFAULT_GNSS_PORT: &str = "/dev/courier-gnss";
/// Where the package's udev rules name the barcode scanner.
pub const DEFAULT_SCANNER_PORT: &str = "/dev/courier-scanner";
/// Where the package's udev rules name the camera.
pub const DEFAULT_CAMERA_DEVICE: &str = "/dev/courier-camera";
/// The package's state directory.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/courier-terminal";

fn baud(rate: u32) -> Baud {
    Baud::new(rate).unwrap_or_else(|| unreachable!("{rate} is in STANDARD_BAUD_RATES"))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileConfig {
    pub server: FileServer,
    pub storage: FileStorage,
    pub gnss: FileGnss,
    pub scanner: FileScanner,
    pub camera: FileCamera,
    pub display: FileDisplay,
    pub ui: FileUi,
    pub log: FileLog,
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileServer {
    pub url: Option<ServerUrl>,
    pub profile: Profile,
    pub ca_file: Option<AbsolutePath>,
    pub online_check: bool,
    pub background_sync: bool,
}

impl Default for FileServer {
    fn default() -> Self {
        Self {
            url: None,
            profile: Profile::Production,
            ca_file: None,
            online_check: true,
            background_sync: true,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileStorage {
    pub data_dir: AbsolutePath,
}

impl Default for FileStorage {
    fn default() -> Self {
        Self {
            data_dir: AbsolutePath(DEFAULT_DATA_DIR.into()),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileGnss {
    pub port: PortSetting,
    pub baud: Baud,
    pub fixed_position: Option<FixedPositionSetting>,
}

impl Default for FileGnss {
    fn default() -> Self {
        Self {
            port: PortSetting::Device(DEFAULT_GNSS_PORT.into()),
            baud: baud(9600),
            fixed_position: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileScanner {
    pub mode: ScannerMode,
    pub port: AbsolutePath,
    pub baud: Baud,
    pub frame_end: FrameEnd,
}

impl Default for FileScanner {
    fn default() -> Self {
        Self {
            mode: ScannerMode::Serial,
            port: AbsolutePath(DEFAULT_SCANNER_PORT.into()),
            baud: baud(9600),
            frame_end: FrameEnd(Terminator::CrLf),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileCamera {
    pub device: PortSetting,
    pub width: u32,
    pub height: u32,
}

impl Default for FileCamera {
    fn default() -> Self {
        Self {
            device: PortSetting::Device(DEFAULT_CAMERA_DEVICE.into()),
            width: 1920,
            height: 1080,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileDisplay {
    pub fullscreen: bool,
    pub scale: Option<Scale>,
    pub panel_dpi: Option<PanelDpi>,
    pub rotation: RotationSetting,
}

impl Default for FileDisplay {
    fn default() -> Self {
        Self {
            fullscreen: true,
            scale: None,
            panel_dpi: None,
            rotation: RotationSetting::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileUi {
    pub language: LanguageSetting,
    pub courier_may_change_language: bool,
}

impl Default for FileUi {
    fn default() -> Self {
        Self {
            language: LanguageSetting(crate::ui::Language::Fr),
            courier_may_change_language: true,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct FileLog {
    pub level: LogLevel,
}
