//! The CSV of the day: one row per parcel (`courier_protocol::day_report_csv`).

use std::path::Path;

use courier_protocol::day_report_csv::to_csv;
use courier_protocol::rules::day_report::DayReport;

use super::{ExportError, write_file};

/// Writes the report's rows as CSV.
pub fn write_csv(report: &DayReport, path: &Path) -> Result<(), ExportError> {
    let bytes = to_csv(&[report]).map_err(|e| ExportError::Encode(e.to_string()))?;
    write_file(path, &bytes)
}
