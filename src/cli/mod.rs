//! The command line: for carrier IT, scripts, tests and the depot.
//!
//! Exit codes: 0 done, 1 error (storage, setup, input), 2 usage, 3 refused by the
//! doorstep rules (wrong code, locked, needs network, evidence missing); `sync` also
//! 4 incomplete (events stay queued, retried later) and 5 downloaded manifest refused;
//! `depot scan-in` 6 when a scan raised an alarm (every scan recorded).
//!
//! One file per subcommand group; each prints what the library computed, from
//! `Serialize` types for `--json`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::assembly::{DeviceConfig, Feeds, PositionInput, ScannerInput};
use crate::config::{self, Config, ConfigError, PositionSetting, Terminator};
use crate::sync::TlsTrust;
use crate::terminal::{DataDir, Terminal};

/// `println!` that returns the write error (a closed pipe ends the command
/// quietly in `main`) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?;
    }};
}

mod depot;
mod diagnose;
mod doorstep;
mod events;
mod manifest;
pub mod note;
mod output;
mod parcels;
mod setup;
mod status;
mod sync;
mod ui;

pub use output::{EXIT_REFUSED, display_name};

/// Where the configuration file is when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/courier-terminal/config.toml";

/// Courier terminal: escrow code check and signed delivery evidence.
///
/// Settings come from the configuration file (`--config`, default
/// /etc/courier-terminal/config.toml when present); an option given here wins
/// over the file.
#[derive(Debug, Parser)]
#[command(name = "courier-terminal", version, about)]
pub struct Cli {
    /// Configuration file (TOML); an absent file at the default path means defaults.
    #[arg(
        long,
        global = true,
        env = "COURIER_TERMINAL_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Data directory (database, device key) [default: from the configuration,
    /// /var/lib/courier-terminal].
    #[arg(long, global = true, env = "COURIER_TERMINAL_DATA", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Serial port of the GNSS module (NMEA), e.g. /dev/courier-gnss.
    #[arg(
        long,
        global = true,
        value_name = "PORT",
        conflicts_with = "fixed_position"
    )]
    pub gnss: Option<PathBuf>,
    /// Baud rate of the GNSS module.
    #[arg(long, global = true)]
    pub gnss_baud: Option<u32>,
    /// A fixed position "LAT,LON" instead of a GNSS receiver (depot bench).
    #[arg(long, global = true, value_name = "LAT,LON")]
    pub fixed_position: Option<String>,
    /// Serial port of the barcode scanner, or "wedge" for a keyboard-wedge scanner.
    #[arg(long, global = true, value_name = "PORT|wedge")]
    pub scanner: Option<String>,
    /// Baud rate of a serial scanner.
    #[arg(long, global = true)]
    pub scanner_baud: Option<u32>,
    /// What ends a scanner frame.
    #[arg(long, global = true, value_enum)]
    pub scanner_frame_end: Option<FrameEndArg>,
    /// PEM file of the carrier's certificate authority the server's HTTPS
    /// certificate must chain to (overrides `[server] ca_file`).
    #[arg(long, global = true, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Scanner frame endings.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FrameEndArg {
    /// Carriage return.
    Cr,
    /// Line feed.
    Lf,
    /// CR then LF.
    Crlf,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory, the device key (0600) and the database (refuses
    /// over existing data: a lost key or database is a re-enrollment).
    Init(setup::InitArgs),
    /// Enroll this device with the escrow server using a one-time token.
    Enroll(setup::EnrollArgs),
    /// Manifests.
    #[command(subcommand)]
    Manifest(manifest::ManifestCommand),
    /// List the day's parcels with their state.
    Parcels(parcels::ParcelsArgs),
    /// Record arrival at the address (starts the no-answer wait).
    Arrive(doorstep::LabelArg),
    /// Record that the buyer was offered to inspect the parcel.
    Inspect(doorstep::LabelArg),
    /// Log an attempt to reach the buyer.
    Contact(doorstep::ContactArgs),
    /// Scan the item collected from the buyer (exchange, pick-up).
    Collect(doorstep::CollectArgs),
    /// Check the buyer's code; delivered only if it is right.
    Deliver(doorstep::DeliverArgs),
    /// Record a non-delivery outcome.
    Attempt(doorstep::AttemptArgs),
    /// Correct the latest outcome of a parcel (a new event pointing to it).
    Correct(doorstep::CorrectArgs),
    /// Depot supervisor: the day's reconciliation and its signed close.
    #[command(subcommand)]
    Depot(depot::DepotCommand),
    /// The evidence log.
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Device, manifest, parcels and sync summary.
    Status(status::StatusArgs),
    /// Upload queued events and download the manifest; `--status` shows the queue.
    Sync(sync::SyncArgs),
    /// Open the courier's screens (GNSS, scanner and background sync as configured).
    Ui(ui::UiArgs),
    /// Check storage, key, clock, GNSS, scanner, server and outbox; say what to fix.
    Diagnose(diagnose::DiagnoseArgs),
}

impl Cli {
    /// The configuration file's settings (defaults when no file is at the
    /// default path; an explicit path must exist).
    pub fn file_config(&self) -> Result<Config> {
        let (path, explicit) = match &self.config {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from(DEFAULT_CONFIG), false),
        };
        match Config::load(&path) {
            Ok(c) => Ok(c),
            Err(ConfigError::NotFound { .. }) if !explicit => Ok(Config::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether a configuration file is there (given, or at the default path).
    pub fn config_file_present(&self) -> bool {
        self.config
            .as_deref()
            .unwrap_or(std::path::Path::new(DEFAULT_CONFIG))
            .exists()
    }

    /// The data directory: `--data-dir`, else the configuration's.
    pub fn data_dir(&self) -> Result<DataDir> {
        Ok(DataDir(match &self.data_dir {
            Some(d) => d.clone(),
            None => self.file_config()?.storage.data_dir,
        }))
    }

    /// The authorities the server's HTTPS certificate must chain to:
    /// `--ca-file`, else the configuration's, else the system's roots.
    pub fn tls_trust(&self) -> Result<TlsTrust> {
        Ok(match &self.ca_file {
            Some(p) => TlsTrust::CaFile(p.clone()),
            None => TlsTrust::from_ca_file(self.file_config()?.server.ca_file.as_deref()),
        })
    }

    /// The device configuration: the file's settings, with the options given here on top.
    pub fn device_config(&self) -> Result<DeviceConfig> {
        let file = self.file_config()?;
        let data_dir = self.data_dir.clone().unwrap_or(file.storage.data_dir);
        let mut config = DeviceConfig::new(data_dir);
        config.position = match (&self.gnss, &self.fixed_position, &file.gnss.source) {
            (Some(port), _, file_source) => PositionInput::SerialGnss {
                port: port.clone(),
                baud: self.gnss_baud.unwrap_or(match file_source {
                    PositionSetting::Receiver { baud, .. } => baud.get(),
                    _ => 9600,
                }),
            },
            (None, Some(text), _) => parse_fixed(text)?,
            (None, None, PositionSetting::Receiver { port, baud }) => PositionInput::SerialGnss {
                port: port.clone(),
                baud: self.gnss_baud.unwrap_or(baud.get()),
            },
            (None, None, PositionSetting::Fixed(p)) => PositionInput::Fixed {
                lat_deg: p.lat_deg,
                lon_deg: p.lon_deg,
            },
            (None, None, PositionSetting::None) => PositionInput::None,
        };
        let frame_end = match self.scanner_frame_end {
            Some(FrameEndArg::Cr) => Terminator::Cr,
            Some(FrameEndArg::Lf) => Terminator::Lf,
            Some(FrameEndArg::Crlf) => Terminator::CrLf,
            None => file.scanner.frame_end,
        };
        config.scanner = match (self.scanner.as_deref(), &file.scanner.input) {
            (Some("wedge"), _) => ScannerInput::KeyboardWedge,
            (Some(port), file_input) => ScannerInput::Serial {
                port: PathBuf::from(port),
                baud: self.scanner_baud.unwrap_or(match file_input {
                    config::ScannerInput::Serial { baud, .. } => baud.get(),
                    _ => 9600,
                }),
                frame_end,
            },
            (None, config::ScannerInput::Serial { port, baud }) => ScannerInput::Serial {
                port: port.clone(),
                baud: self.scanner_baud.unwrap_or(baud.get()),
                frame_end,
            },
            (None, config::ScannerInput::Keyboard) => ScannerInput::KeyboardWedge,
            (None, config::ScannerInput::None) => ScannerInput::None,
        };
        config.online_check = file.server.online_check;
        config.tls = self.tls_trust()?;
        // The platform is enforced when a configuration file says it; without
        // one, the device runs on the platform it was enrolled on.
        config.profile = self
            .config_file_present()
            .then(|| file.server.profile.into());
        Ok(config)
    }
}

fn parse_fixed(text: &str) -> Result<PositionInput> {
    let (lat_deg, lon_deg) = text
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
        .filter(|(a, b)| a.abs() <= 90.0 && b.abs() <= 180.0)
        .context("--fixed-position must be LAT,LON in degrees, e.g. 36.7538,3.0588")?;
    Ok(PositionInput::Fixed { lat_deg, lon_deg })
}

/// How a one-shot command uses the device: which parts it needs.
#[derive(Debug, Clone, Copy)]
enum Use {
    /// Only reads: the store is opened read-only (works on a full or read-only disk).
    Read,
    /// Records events: waits briefly for a first GNSS fix.
    Record,
    /// Checks codes: also asks the server for online-only parcels.
    CheckCode,
}

/// Opens the terminal for a one-shot command, assembled like the app but with
/// no scanner and no background sync.
fn open(cli: &Cli, use_: Use) -> Result<(Terminal, Feeds, crate::assembly::RunningParts)> {
    let mut config = cli.device_config()?;
    config.scanner = ScannerInput::None;
    config.background_sync = None;
    config.first_fix_wait = match use_ {
        Use::Read => Duration::ZERO,
        Use::Record | Use::CheckCode => Duration::from_secs(3),
    };
    config.online_check = config.online_check && matches!(use_, Use::CheckCode);
    config.read_only = matches!(use_, Use::Read);
    let device = config.assemble()?;
    say_read_condition(device.terminal.store());
    Ok((device.terminal, device.feeds, device.parts))
}

/// Runs a parsed command and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let dir = cli.data_dir()?;
    match &cli.command {
        Command::Init(args) => setup::init(&dir, args),
        Command::Enroll(args) => setup::enroll(&cli, &dir, args),
        Command::Sync(args) => sync::run(&cli, &dir, args),
        Command::Ui(args) => ui::run(&cli, args),
        Command::Manifest(c) => manifest::run(&cli, c),
        Command::Parcels(args) => parcels::run(&cli, args),
        Command::Arrive(_)
        | Command::Inspect(_)
        | Command::Contact(_)
        | Command::Collect(_)
        | Command::Deliver(_)
        | Command::Attempt(_)
        | Command::Correct(_) => doorstep::run(&cli),
        Command::Depot(c) => depot::run(&cli, c),
        Command::Events(c) => events::run(&cli, c),
        Command::Status(args) => status::run(&cli, args),
        Command::Diagnose(args) => diagnose::run(&cli, args),
    }
}

/// Opens the store read-only: reading commands work on a read-only or full disk.
fn reader(cli: &Cli) -> Result<crate::storage::Store> {
    use crate::terminal::setup::{SetupState, setup_state, unusable};
    let dir = cli.data_dir()?;
    // A log whose key was lost still reads (README, "Re-enrollment").
    if !matches!(
        setup_state(&dir),
        SetupState::Complete | SetupState::DatabaseWithoutKey
    ) && let Some(e) = unusable(&dir)
    {
        return Err(e.into());
    }
    let store = crate::storage::Store::open_read_only(&dir.database())?;
    say_read_condition(&store);
    Ok(store)
}

/// Tells the reader, on standard error, what a reading command found at the
/// store (read-only mount, full disk, side files absent) and that it read.
fn say_read_condition(store: &crate::storage::Store) {
    if let Some(c) = store.read_condition().filter(|c| !c.is_ordinary()) {
        eprintln!("{}", c.describe());
    }
}
