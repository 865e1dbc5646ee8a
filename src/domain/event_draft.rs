//! An event before it has a place in the chain.

use courier_protocol::envelope::{ChainTip, ClockStamp, EVENT_SCHEMA, EventBody, PositionRecord};

pub use courier_protocol::rules::draft::EventDraft;

/// The moment of an event: position and clocks, taken when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Position evidence.
    pub position: PositionRecord,
    /// Device clock.
    pub clock: ClockStamp,
    /// GNSS UTC time.
    pub gnss_utc_ms: Option<i64>,
}

/// Identity of the recorder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorder<'a> {
    /// Device id.
    pub device_id: &'a str,
    /// Manifest version in force.
    pub manifest_version: Option<u64>,
    /// App version.
    pub app_version: &'a str,
}

/// Places a draft after `tip` in the chain.
pub fn into_body(
    draft: EventDraft,
    event_id: String,
    stamp: Stamp,
    recorder: &Recorder<'_>,
    tip: &ChainTip,
) -> EventBody {
    EventBody {
        schema: EVENT_SCHEMA.to_owned(),
        event_id,
        device_id: recorder.device_id.to_owned(),
        seq: tip.seq + 1,
        prev_hash: tip.hash.clone(),
        kind: draft.kind,
        parcel_id: draft.parcel_id,
        order_ref: draft.order_ref,
        outcome: draft.outcome,
        reason: draft.reason,
        liability: draft.liability,
        verification: draft.verification,
        code_proof: None,
        inspection_offered: draft.inspection_offered,
        corrects: draft.corrects,
        detail: draft.detail,
        position: stamp.position,
        clock: stamp.clock,
        gnss_utc_ms: stamp.gnss_utc_ms,
        manifest_version: recorder.manifest_version,
        app_version: recorder.app_version.to_owned(),
        supervisor: None,
        day: draft.day,
        load: draft.load,
        photos: draft.photos,
        handover: draft.handover,
    }
}
