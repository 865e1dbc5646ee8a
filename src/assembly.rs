//! The one place a running terminal is put together, from a typed configuration.
//!
//! The app, every command and the dev tools' demo call [`DeviceConfig::assemble`];
//! they differ only in what they configure: the handheld's serial GNSS module and
//! scanner, a fixed position at a depot bench, or the demo's simulators on
//! pseudo-terminals. Nothing here knows which.

use std::path::PathBuf;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use courier_protocol::enrollment_qr::Profile;
use firmware_bridge::scanner_framing::{ScannerFramingConfig, Terminator};
use firmware_bridge::{
    CameraConfig, GnssConfig, GnssSerial, ScanKind, ScannerConfig, ScannerSerial, V4l2Camera,
};
use thiserror::Error;
use tracing::{info, warn};

use crate::clock::{Clock, SystemClock};
use crate::device_key::DeviceKey;
use crate::domain::identity::Identity;
use crate::gnss_position::GnssPosition;
use crate::position_source::{FixedPosition, NoPosition, PositionSource};
use crate::storage::Store;
use crate::sync::background::{BackgroundSync, ManifestSink, Schedule};
use crate::sync::client::{ApiClient, SharedSigner, http_client};
use crate::sync::engine::SyncEngine;
use crate::sync::online_check::{DEFAULT_TIMEOUT, HttpOnlineCheck};
use crate::sync::supervisor_sign_in::HttpSupervisorSignIn;
use crate::sync::{SyncConfig, SyncError, TlsTrust};
use crate::terminal::{DataDir, OnlineCodeCheck, SupervisorSignInServer, Terminal, TerminalError};

/// Where the position recorded with every event comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum PositionInput {
    /// A GNSS module on a serial port (NMEA), read by the firmware bridge.
    SerialGnss {
        /// Serial device, e.g. `/dev/courier-gnss`.
        port: PathBuf,
        /// Baud rate.
        baud: u32,
    },
    /// A fixed position (a depot bench), recorded as source "fixed".
    Fixed {
        /// Latitude, degrees.
        lat_deg: f64,
        /// Longitude, degrees.
        lon_deg: f64,
    },
    /// No receiver: every event records "no fix", honestly.
    None,
}

/// Where scanned labels and buyer QR codes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScannerInput {
    /// A barcode scanner on a serial port (or a USB CDC-ACM one).
    Serial {
        /// Serial device, e.g. `/dev/courier-scanner`.
        port: PathBuf,
        /// Baud rate.
        baud: u32,
        /// What ends a frame.
        frame_end: Terminator,
    },
    /// A scanner that types into the focused window, ending with Enter: the
    /// screens' text fields receive it, nothing to open here.
    KeyboardWedge,
    /// No scanner: labels are typed.
    None,
}

/// Everything a running terminal is made of, as configured.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// Data directory (database, device key).
    pub data_dir: PathBuf,
    /// Position source.
    pub position: PositionInput,
    /// How long to wait for a first GNSS fix before the first event (a one-shot
    /// command); zero for the app, whose status bar shows the fix when it comes.
    pub first_fix_wait: Duration,
    /// Scanner.
    pub scanner: ScannerInput,
    /// The V4L2 camera photos are taken with (`None`: no camera; the dev
    /// tools plug their simulator into the terminal instead).
    pub camera: Option<CameraConfig>,
    /// Ask the escrow server for online-only parcels (when enrolled).
    pub online_check: bool,
    /// Sync in the background while running (when enrolled); `None` for commands.
    pub background_sync: Option<Schedule>,
    /// Open the store read-only (reading commands: they work on a full or
    /// read-only disk and never write).
    pub read_only: bool,
    /// The platform the configuration names; a device enrolled on the other
    /// one refuses to start (switching needs a re-enrollment).
    pub profile: Option<Profile>,
    /// The authorities the server's HTTPS certificate must chain to.
    pub tls: TlsTrust,
}

impl DeviceConfig {
    /// A configuration with no position source, no scanner, no network.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        DeviceConfig {
            data_dir: data_dir.into(),
            position: PositionInput::None,
            first_fix_wait: Duration::ZERO,
            scanner: ScannerInput::None,
            camera: None,
            online_check: false,
            background_sync: None,
            read_only: false,
            profile: None,
            tls: TlsTrust::SystemRoots,
        }
    }

    /// The data directory.
    pub fn dir(&self) -> DataDir {
        DataDir(self.data_dir.clone())
    }
}

/// What can stop the assembly, naming the part and what to fix.
#[derive(Debug, Error)]
pub enum AssemblyError {
    /// The terminal cannot open.
    #[error(transparent)]
    Terminal(#[from] TerminalError),
    /// The GNSS port cannot be opened.
    #[error(
        "cannot open the GNSS module on {port}: {source} (check the cable, the udev rule and `gnss.port` in the configuration)"
    )]
    Gnss {
        /// The port.
        port: String,
        /// Why.
        source: std::io::Error,
    },
    /// The scanner port cannot be opened.
    #[error(
        "cannot open the scanner on {port}: {source} (check the cable, the udev rule and `scanner.port` in the configuration)"
    )]
    Scanner {
        /// The port.
        port: String,
        /// Why.
        source: std::io::Error,
    },
    /// The sync task or the online check cannot start.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The configuration names another platform than the one enrolled on.
    #[error(
        "this device is enrolled on the {enrolled} platform but the configuration says profile = \"{configured}\": a device cannot switch platform without a re-enrollment (README, \"Re-enrollment\"); fix [server] profile or re-enroll"
    )]
    ProfileMismatch {
        /// The platform enrolled on.
        enrolled: &'static str,
        /// The platform configured.
        configured: &'static str,
    },
    /// A thread could not be started.
    #[error("cannot start the {0} thread: {1}")]
    Thread(&'static str, std::io::Error),
}

/// A terminal and the parts that feed it, running as configured. Dropping it
/// stops the readers and the sync task.
pub struct Device {
    /// The terminal service.
    pub terminal: Terminal,
    /// What the screens read beside the terminal.
    pub feeds: Feeds,
    /// The readers and the sync task.
    pub parts: RunningParts,
}

/// The inputs the screens read beside the terminal.
pub struct Feeds {
    /// The position feed (the same the terminal records).
    pub position: Arc<dyn PositionSource>,
    /// The clock the terminal stamps events with.
    pub clock: Arc<dyn Clock>,
    /// Texts read by a serial scanner (labels, buyer QR codes, collected items).
    pub scans: Option<mpsc::Receiver<String>>,
    /// Whether a keyboard-wedge scanner types into the screens.
    pub keyboard_wedge: bool,
}

impl Feeds {
    /// Feeds of a position source alone (system clock, no scanner): for screens
    /// driven by tests and screenshot tools.
    pub fn of_position(position: Arc<dyn PositionSource>) -> Self {
        Feeds {
            position,
            clock: Arc::new(SystemClock::new()),
            scans: None,
            keyboard_wedge: false,
        }
    }
}

/// A serial scanner's reader (stop it to free the port) and the texts it reads.
pub type ScannerFeed = (Option<ScannerSerial>, Option<mpsc::Receiver<String>>);

/// The readers and the sync task; they stop when this is dropped.
pub struct RunningParts {
    gnss: Option<GnssSerial>,
    scanner: Option<ScannerSerial>,
    sync: Option<BackgroundSync>,
}

impl Drop for RunningParts {
    fn drop(&mut self) {
        drop(self.sync.take());
        if let Some(s) = self.scanner.take() {
            s.stop();
        }
        if let Some(g) = self.gnss.take() {
            g.stop();
        }
    }
}

impl DeviceConfig {
    /// Builds the running terminal: position source, terminal, online check,
    /// scanner reader and background sync, as configured.
    pub fn assemble(&self) -> Result<Device, AssemblyError> {
        let dir = self.dir();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock::new());
        let (position, gnss) = self.open_position()?;
        // The device key is loaded once and handed to every part that signs;
        // each thread that writes gets its own connection to the database.
        let mut terminal = if self.read_only {
            Terminal::open_read_only(&dir, clock.clone(), position.clone())?
        } else {
            Terminal::open(&dir, clock.clone(), position.clone())?
        };
        let key = terminal.device_key();
        let identity = terminal.identity().clone();
        if let (Some(configured), Some(enrolled)) = (self.profile, terminal.identity().profile)
            && configured != enrolled
        {
            return Err(AssemblyError::ProfileMismatch {
                enrolled: enrolled.as_str(),
                configured: configured.as_str(),
            });
        }
        if let Some(g) = &gnss {
            // Receiver dates are judged against the clock that never goes back.
            g.handle().note_trusted_time(terminal.trusted_now_ms()?);
        }
        if self.online_check
            && let Some(online) = online_checker(&identity, key.clone(), clock.clone(), &self.tls)?
        {
            terminal.set_online_check(online);
        }
        if let Some(camera) = &self.camera {
            // Opened at the first shutter press: a missing camera never
            // stops the terminal (`diagnose` says why it fails).
            terminal.set_camera(Box::new(V4l2Camera::new(camera.clone())));
        }
        if let Some(server) = supervisor_server(&identity, key.clone(), clock.clone(), &self.tls)? {
            terminal.set_supervisor_server(server);
        }
        let (scanner, scans) = self.scanner_feed()?;
        let sync = match self.background_sync {
            Some(schedule) => start_background(
                &dir,
                &identity,
                key,
                clock.clone(),
                position.clone(),
                schedule,
                &self.tls,
            )?,
            None => None,
        };
        info!(
            data_dir = %self.data_dir.display(),
            position = ?self.position,
            scanner = ?self.scanner,
            camera = ?self.camera,
            online_check = self.online_check,
            background_sync = sync.is_some(),
            "terminal assembled"
        );
        Ok(Device {
            terminal,
            feeds: Feeds {
                position,
                clock,
                scans,
                keyboard_wedge: self.scanner == ScannerInput::KeyboardWedge,
            },
            parts: RunningParts {
                gnss,
                scanner,
                sync,
            },
        })
    }

    /// Opens the configured serial scanner: its reader (stop it to free the
    /// port) and the texts it reads. `None` for a keyboard wedge or no scanner.
    /// The first-run enrollment screen reads the scanner before the device can
    /// be assembled.
    pub fn scanner_feed(&self) -> Result<ScannerFeed, AssemblyError> {
        match &self.scanner {
            ScannerInput::Serial {
                port,
                baud,
                frame_end,
            } => {
                let (reader, rx) = open_scanner(port, *baud, *frame_end)?;
                Ok((Some(reader), Some(rx)))
            }
            ScannerInput::KeyboardWedge | ScannerInput::None => Ok((None, None)),
        }
    }

    fn open_position(
        &self,
    ) -> Result<(Arc<dyn PositionSource>, Option<GnssSerial>), AssemblyError> {
        match &self.position {
            PositionInput::None => Ok((Arc::new(NoPosition), None)),
            PositionInput::Fixed { lat_deg, lon_deg } => Ok((
                Arc::new(FixedPosition {
                    lat_deg: *lat_deg,
                    lon_deg: *lon_deg,
                }),
                None,
            )),
            PositionInput::SerialGnss { port, baud } => {
                let name = port.display().to_string();
                let gnss = GnssSerial::spawn(GnssConfig::new(name.clone(), *baud))
                    .map_err(|source| AssemblyError::Gnss { port: name, source })?;
                let handle = gnss.handle();
                if !port.exists() {
                    // The reader keeps trying (a module plugged in later is read).
                    warn!(port = %port.display(), "no GNSS module at this port: events record \"no fix\" until one is connected");
                } else if !self.first_fix_wait.is_zero()
                    && handle
                        .wait_for(self.first_fix_wait, |s| s.fresh_fix().is_some())
                        .is_none()
                {
                    warn!(port = %port.display(), "no GNSS fix yet: events record \"no fix\" until one comes");
                }
                Ok((Arc::new(GnssPosition(handle)), Some(gnss)))
            }
        }
    }
}

fn open_scanner(
    port: &std::path::Path,
    baud: u32,
    frame_end: Terminator,
) -> Result<(ScannerSerial, mpsc::Receiver<String>), AssemblyError> {
    let name = port.display().to_string();
    let mut config = ScannerConfig::new(name.clone(), baud);
    config.framing = ScannerFramingConfig {
        terminator: frame_end,
        ..ScannerFramingConfig::default()
    };
    // Every text goes to the screens, which route it by what is on show.
    let (reader, events) = ScannerSerial::spawn(config, Arc::new(|_: &str| true))
        .map_err(|source| AssemblyError::Scanner { port: name, source })?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("scanner-texts".into())
        .spawn(move || {
            for event in events {
                let text = match event.kind {
                    ScanKind::ParcelLabel(t) | ScanKind::BuyerQr(t) | ScanKind::Unknown(t) => t,
                };
                if tx.send(text).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| AssemblyError::Thread("scanner", e))?;
    Ok((reader, rx))
}

/// The online code check, when the device is enrolled (`None` otherwise),
/// signing with the device key the assembly loaded.
pub fn online_checker(
    identity: &Identity,
    key: Arc<DeviceKey>,
    clock: Arc<dyn Clock>,
    tls: &TlsTrust,
) -> Result<Option<Arc<dyn OnlineCodeCheck>>, AssemblyError> {
    let (Some(url), Some(server_key)) = (identity.server_url.clone(), identity.server_key) else {
        return Ok(None);
    };
    let signer: SharedSigner = key;
    let device_id = identity.device_id.to_string();
    let http = http_client(DEFAULT_TIMEOUT, tls).map_err(SyncError::Permanent)?;
    let client = ApiClient::new(http, &url, &device_id, signer, clock);
    let check = HttpOnlineCheck::new(client, server_key, &device_id, DEFAULT_TIMEOUT)
        .map_err(|e| AssemblyError::Thread("online check", e))?;
    Ok(Some(Arc::new(check)))
}

/// The server that checks supervisors' PINs at sign-in, when the device is
/// enrolled (`None` otherwise: then only the offline badge, where allowed).
pub fn supervisor_server(
    identity: &Identity,
    key: Arc<DeviceKey>,
    clock: Arc<dyn Clock>,
    tls: &TlsTrust,
) -> Result<Option<Arc<dyn SupervisorSignInServer>>, AssemblyError> {
    let Some(url) = identity.server_url.clone() else {
        return Ok(None);
    };
    let signer: SharedSigner = key;
    let device_id = identity.device_id.to_string();
    let http = http_client(DEFAULT_TIMEOUT, tls).map_err(SyncError::Permanent)?;
    let client = ApiClient::new(http, &url, &device_id, signer, clock);
    Ok(Some(Arc::new(HttpSupervisorSignIn::new(
        client,
        DEFAULT_TIMEOUT,
    ))))
}

/// Starts background sync when the device is enrolled (`None` otherwise).
///
/// Downloaded manifests are loaded through a [`Terminal`] on the engine's
/// connection (the sync thread has one), decided on committed state like
/// every other write.
fn start_background(
    dir: &DataDir,
    identity: &Identity,
    key: Arc<DeviceKey>,
    clock: Arc<dyn Clock>,
    position: Arc<dyn PositionSource>,
    schedule: Schedule,
    tls: &TlsTrust,
) -> Result<Option<BackgroundSync>, AssemblyError> {
    if identity.server_url.is_none() {
        return Ok(None);
    }
    let key_for_loader = key.clone();
    let sink: ManifestSink = Box::new(move |manifest, store| {
        let (store, loaded) = Terminal::on_lent_connection(
            store,
            key_for_loader.clone(),
            clock.clone(),
            position.clone(),
            |t| t.load_manifest(&manifest),
        );
        match loaded {
            Ok(Ok(c)) => info!(
                version = manifest.body.version,
                added = c.added.len(),
                withdrawn = c.withdrawn.len(),
                "manifest loaded"
            ),
            Ok(Err(e)) | Err(e) => {
                warn!(error = %e, "downloaded manifest refused; the current one stays")
            }
        }
        store
    });
    let config = SyncConfig {
        tls: tls.clone(),
        ..SyncConfig::default()
    };
    let store = Store::open(&dir.database()).map_err(TerminalError::from)?;
    let engine = SyncEngine::on(store, key, config.clone())?;
    Ok(Some(BackgroundSync::start(
        engine,
        config,
        schedule,
        Some(sink),
    )?))
}
