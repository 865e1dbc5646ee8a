//! Pseudo-terminal simulators of the GNSS module and the barcode scanner, so
//! the real serial code paths run in tests and demos (no socat, no device).

pub mod camera_sim;
pub mod gnss_sim;
pub mod scanner_sim;

pub use camera_sim::TestPatternCamera;
pub use gnss_sim::{GnssSim, GnssSimConfig};
pub use scanner_sim::ScannerSim;

use thiserror::Error;

/// Simulator failures.
#[derive(Debug, Error)]
pub enum SimError {
    /// Creating or using the pseudo-terminal failed.
    #[error("pty: {0}")]
    Pty(#[from] serialport::Error),
    /// I/O on the pty or the link path failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// The pty has no slave path.
    #[error("pty has no device path")]
    NoPath,
}

/// Open a pty pair, returning (master, slave, slave path).
pub(crate) fn open_pty() -> Result<(serialport::TTYPort, serialport::TTYPort, String), SimError> {
    let (master, slave) = serialport::TTYPort::pair()?;
    let path = serialport::SerialPort::name(&slave).ok_or(SimError::NoPath)?;
    Ok((master, slave, path))
}
