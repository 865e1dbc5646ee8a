//! The daily extraction for accounting (ClicToPay's): one CSV row per order
//! and status change in a day (deliveries the server honours, at their
//! signed time; cancellations with their full refund, claims filed, each
//! decision, final refunds and exchanges), oldest first, times at the day's UTC offset. RFC 4180, UTF-8 with a
//! byte-order mark (spreadsheets then read Arabic and accents right).

use courier_protocol::day_window::DayWindow;

use courier_protocol::vocabulary::{EventKind, Outcome};

use crate::claim_rows::{OrderEvent, StatusChange};
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

/// A delivery as a journal line: the order's amount released to the seller
/// (for an order of several parcels, the amount its handover names),
/// at the event's signed time, by the device that recorded it.
fn delivery(e: &OrderEvent) -> Option<StatusChange> {
    let body = &e.event.body;
    let spec = &e.spec;
    (body.kind == EventKind::Outcome
        && body.outcome == Some(Outcome::Delivered)
        && body.parcel_id.as_deref() == Some(spec.parcel_id.as_str()))
    .then(|| StatusChange {
        at_ms: body.signed_time_ms(),
        order_ref: spec.order_ref.clone(),
        parcel_id: spec.parcel_id.clone(),
        depot: e.depot.clone(),
        status: "delivered".into(),
        claim_id: None,
        refund_minor: 0,
        // An order of several parcels releases what was handed over.
        amount_minor: body
            .handover
            .as_ref()
            .map_or(spec.amount_minor, |h| h.amount_minor),
        currency: spec.currency.clone(),
        operator: format!("device:{}", body.device_id),
        reason: String::new(),
    })
}

/// The extraction of `day` as CSV bytes: the rows whose depot `covers`
/// admits (the operator's depots).
pub async fn extraction_csv(
    db: &dyn Storage,
    day: &DayWindow,
    covers: impl Fn(Option<&str>) -> bool,
) -> Result<Vec<u8>, ServerError> {
    let events = db
        .order_events_between(day.start_ms(), day.end_ms())
        .await?;
    // A delivery comes before what the back office did at the same time.
    let mut changes: Vec<StatusChange> = events.iter().filter_map(delivery).collect();
    changes.extend(
        db.status_changes_between(day.start_ms(), day.end_ms())
            .await?,
    );
    changes.sort_by_key(|c| c.at_ms);
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
