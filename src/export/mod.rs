//! The day's exports for the depot: a CSV of the day, the device-signed JSON
//! day report and the printable day sheet (PDF). All three are made from one
//! [`DayReport`], computed from the verified log by the same pure function the
//! escrow server uses (`courier_protocol::rules::day_report`).

pub mod csv;
pub mod day_report_json;
pub mod day_sheet_pdf;

use std::path::{Path, PathBuf};

use courier_protocol::ProtocolError;
use courier_protocol::day_window::DayWindow;
use courier_protocol::envelope::{ChainTip, verify_chain};
use courier_protocol::keys::PublicKey;
use courier_protocol::rules::day_report::{DayInput, DayReport, day_report};
use thiserror::Error;

use crate::storage::{Reads, Store, StoreError};

/// Why an export could not be made.
#[derive(Debug, Error)]
pub enum ExportError {
    /// The database could not be read.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The log fails its own check: no report is made from it.
    #[error(
        "the evidence log does not verify ({0}); no day report is made from it: run `courier-terminal events verify` and call carrier IT"
    )]
    Log(ProtocolError),
    /// The device is not set up.
    #[error("this device has no identity yet: run `courier-terminal init` and `enroll` first")]
    NoIdentity,
    /// The report could not be signed or encoded.
    #[error("cannot encode the day report: {0}")]
    Encode(String),
    /// The file could not be written.
    #[error("cannot write {path}: {source}", path = .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Names printed on the sheet when the log does not carry them.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// The courier's name.
    pub courier: Option<String>,
    /// The supervisor's name.
    pub supervisor: Option<String>,
}

/// The device's day report, from its verified log and its manifests. Names
/// the log records win over those given.
pub fn day_report_of(
    store: &Store,
    device_key: &PublicKey,
    day: &DayWindow,
    names: &Names,
) -> Result<DayReport, ExportError> {
    let identity = store.identity()?.ok_or(ExportError::NoIdentity)?;
    let events = store.events(1, u32::MAX)?;
    verify_chain(&events, device_key, ChainTip::genesis()).map_err(ExportError::Log)?;
    let manifests: Vec<_> = store.manifests()?.into_iter().map(|m| m.body).collect();
    let mut report = day_report(DayInput {
        device_id: identity.device_id.as_str(),
        day,
        manifests: &manifests,
        events: &events,
    });
    let given = |n: &Option<String>| {
        n.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    report.courier = report.courier.or_else(|| given(&names.courier));
    report.supervisor = report.supervisor.or_else(|| given(&names.supervisor));
    Ok(report)
}

/// Writes a file, with the path in the error.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    std::fs::write(path, bytes).map_err(|source| ExportError::Write {
        path: path.to_owned(),
        source,
    })
}
