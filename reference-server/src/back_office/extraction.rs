//! The daily extraction for accounting (ClicToPay's): one CSV row per order
//! and status change the back office made in a day (cancellations with their
//! full refund, claims filed, each decision, final refunds and exchanges),
//! oldest first, times at the day's UTC offset. RFC 4180, UTF-8 with a
//! byte-order mark (spreadsheets then read Arabic and accents right).

use courier_protocol::day_window::DayWindow;

use crate::error::{Invalid, ServerError};
use crate::storage::Storage;

/// The header row.
pub const EXTRACTION_HEADER: [&str; 12] = [
    "time",
    "order_ref",
    "parcel_id",
    "depot",
    "status",
    "claim_id",
    "amount_minor",
    "refund_minor",
    "currency",
    "operator",
    "reason",
    "date",
];

/// The extraction of `day` as CSV bytes: the rows whose depot `covers`
/// admits (the operator's depots).
pub async fn extraction_csv(
    db: &dyn Storage,
    day: &DayWindow,
    covers: impl Fn(Option<&str>) -> bool,
) -> Result<Vec<u8>, ServerError> {
    let changes = db
        .status_changes_between(day.start_ms(), day.end_ms())
        .await?;
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let enc = |e: csv::Error| ServerError::from(Invalid::Encoding(e.into()));
        w.write_record(EXTRACTION_HEADER).map_err(enc)?;
        for c in changes.iter().filter(|c| covers(c.depot.as_deref())) {
            w.write_record([
                day.format_time(c.at_ms),
                c.order_ref.clone(),
                c.parcel_id.clone(),
                c.depot.clone().unwrap_or_default(),
                c.status.clone(),
                c.claim_id.clone().unwrap_or_default(),
                c.amount_minor.to_string(),
                c.refund_minor.to_string(),
                c.currency.clone(),
                c.operator.clone(),
                c.reason.clone(),
                day.date.clone(),
            ])
            .map_err(enc)?;
        }
        w.flush()
            .map_err(|e| ServerError::from(Invalid::Encoding(e.into())))?;
    }
    Ok(out)
}
