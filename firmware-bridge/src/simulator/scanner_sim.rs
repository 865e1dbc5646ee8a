//! A scanner on a pseudo-terminal that "types" given codes.

use std::io::Write;
use std::sync::Mutex;

use super::{SimError, open_pty};

/// Scanner simulator.
pub struct ScannerSim {
    master: Mutex<serialport::TTYPort>,
    _slave: serialport::TTYPort,
    path: String,
    terminator: &'static [u8],
}

impl std::fmt::Debug for ScannerSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScannerSim")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ScannerSim {
    /// New simulator ending frames with CR LF.
    pub fn new() -> Result<Self, SimError> {
        Self::with_terminator(b"\r\n")
    }

    /// New simulator with a given terminator.
    pub fn with_terminator(terminator: &'static [u8]) -> Result<Self, SimError> {
        let (master, slave, path) = open_pty()?;
        Ok(Self {
            master: Mutex::new(master),
            _slave: slave,
            path,
            terminator,
        })
    }

    /// The device path the reader should open.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Send raw bytes (for garbage tests).
    pub fn send_raw(&self, bytes: &[u8]) -> Result<(), SimError> {
        let mut m = self.master.lock().unwrap_or_else(|p| p.into_inner());
        m.write_all(bytes)?;
        m.flush()?;
        Ok(())
    }

    /// Type one code, optionally with an AIM identifier such as `]Q1`.
    pub fn type_code(&self, aim: Option<&str>, code: &str) -> Result<(), SimError> {
        let mut frame = Vec::with_capacity(code.len() + 6);
        frame.extend_from_slice(aim.unwrap_or_default().as_bytes());
        frame.extend_from_slice(code.as_bytes());
        frame.extend_from_slice(self.terminator);
        self.send_raw(&frame)
    }
}
