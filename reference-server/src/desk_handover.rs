//! Where a courier's handover to a stop desk stands at the server: pending
//! until the desk's matching intake of the parcel, then confirmed (the rule is
//! `courier_protocol::rules::desk::handover_status`, the one ingest applies).
//! The courier's terminal asks at sync (`GET /v1/desk-handovers/{event_id}`).

use courier_protocol::rules::desk::{self, HandoverStatus};
use courier_protocol::vocabulary::EventKind;

use crate::error::ServerError;
use crate::storage::Storage;

/// The status of the handover `event_id` recorded by `device_id`; `None`
/// when the device recorded no such handover (or it was not honoured).
pub async fn handover_status(
    db: &dyn Storage,
    device_id: &str,
    event_id: &str,
) -> Result<Option<HandoverStatus>, ServerError> {
    let Some(e) = db.honoured_event(event_id).await? else {
        return Ok(None);
    };
    if e.body.kind != EventKind::DeskHandover || e.body.device_id != device_id {
        return Ok(None);
    }
    let (Some(desk_device), Some(parcel_id)) = (
        e.body.detail.get("desk_device"),
        e.body.parcel_id.as_deref(),
    ) else {
        return Ok(None);
    };
    let ledger = db.parcel_ledger(desk_device, parcel_id).await?;
    let intake = ledger
        .as_ref()
        .and_then(|l| l.desk.as_ref())
        .and_then(|d| d.intake.as_ref());
    Ok(Some(desk::handover_status(
        &e.body.device_id,
        &e.body.event_id,
        &e.hash,
        intake,
    )))
}
