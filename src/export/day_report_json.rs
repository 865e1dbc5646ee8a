//! The signed JSON day report: the report signed with the device key, checked
//! by anyone with the device's public key (`docs/protocol.md`, "Day reports";
//! `tests/external/verify_day_report.py`).

use std::path::Path;

use courier_protocol::keys::Signer;
use courier_protocol::rules::day_report::DayReport;
use courier_protocol::signed_day_report::SignedDayReport;

use super::{ExportError, write_file};

/// Signs the report and writes it as pretty JSON (whitespace does not matter:
/// the signature covers the canonical bytes of `body`).
pub fn write_signed_json(
    report: DayReport,
    signer: &dyn Signer,
    path: &Path,
) -> Result<SignedDayReport, ExportError> {
    let signed =
        SignedDayReport::sign(report, signer).map_err(|e| ExportError::Encode(e.to_string()))?;
    let mut bytes =
        serde_json::to_vec_pretty(&signed).map_err(|e| ExportError::Encode(e.to_string()))?;
    bytes.push(b'\n');
    write_file(path, &bytes)?;
    Ok(signed)
}
