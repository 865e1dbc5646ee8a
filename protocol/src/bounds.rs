//! Bounds on what one event, one batch and one string may hold: written in
//! `docs/protocol.md` ("Bounds") and `docs/openapi.yaml`, checked by the
//! server at ingest (an event past a bound is rejected `too_large`, on its
//! own) and by the terminal before it records, so the terminal never records
//! an event the server would refuse.

use serde_json::Value;
use thiserror::Error;

use crate::canonical::to_canonical_bytes;
use crate::envelope::EventBody;
pub use crate::photo::{MAX_PHOTO_BYTES, MAX_PHOTO_EDGE_PX};
pub use crate::photo_policy::MAX_PHOTOS_PER_EVENT;

/// Events in one upload (`POST /v1/events`); more is `413 batch_too_large`.
pub const MAX_BATCH_EVENTS: usize = 1_000;
/// Canonical bytes of one event body (section 1): 64 KiB.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Characters of any string anywhere in an event body.
pub const MAX_STRING_CHARS: usize = 8_192;
/// Characters of a text a person types: `detail.note`,
/// `detail.condition_note`, `day.force_reason`.
pub const MAX_NOTE_CHARS: usize = 1_000;
/// Characters of a parcel or item label: `detail.label`, `detail.collected_label`.
pub const MAX_LABEL_CHARS: usize = 64;
/// Entries of `detail`.
pub const MAX_DETAIL_ENTRIES: usize = 64;
/// Online code checks (`POST /v1/code-checks`) one device may make in one
/// minute of the server's clock; more is `429 rate_limited`.
pub const MAX_CODE_CHECKS_PER_MINUTE: u32 = 30;
/// Bytes of an enrollment request body (`POST /v1/enroll`): refused `413`
/// before it is parsed, so a large body never reaches the token check.
pub const MAX_ENROLL_BODY_BYTES: usize = 8 * 1024;

/// Fields holding text a person types, as paths in the event body.
pub const NOTE_FIELDS: [&str; 3] = ["detail.note", "detail.condition_note", "day.force_reason"];
/// Fields holding a label, as paths in the event body.
pub const LABEL_FIELDS: [&str; 2] = ["detail.label", "detail.collected_label"];

/// Which bound an event passes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OutOfBounds {
    /// The event's canonical bytes are too many.
    #[error("the event is {bytes} bytes, more than the {max} an event may hold")]
    EventTooLarge {
        /// Its canonical size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// A string is too long.
    #[error("{field} is {chars} characters long, more than the {max} it may hold")]
    FieldTooLong {
        /// The field, as a path in the body (`detail.note`).
        field: String,
        /// Its length in characters.
        chars: usize,
        /// The bound.
        max: usize,
    },
    /// `detail` has too many entries.
    #[error("detail has {entries} entries, more than the {max} it may hold")]
    TooManyDetails {
        /// How many.
        entries: usize,
        /// The bound.
        max: usize,
    },
    /// The event names too many photos.
    #[error("the event names {photos} photos, more than the {max} it may hold")]
    TooManyPhotos {
        /// How many.
        photos: usize,
        /// The bound ([`MAX_PHOTOS_PER_EVENT`]).
        max: usize,
    },
}

/// The bound a string at `path` must keep.
pub fn max_chars(path: &str) -> usize {
    if NOTE_FIELDS.contains(&path) {
        MAX_NOTE_CHARS
    } else if LABEL_FIELDS.contains(&path) {
        MAX_LABEL_CHARS
    } else {
        MAX_STRING_CHARS
    }
}

/// Checks an event body against every bound: the fields first (so the
/// answer names the field), then the whole event's size.
pub fn check_event(body: &EventBody) -> Result<(), OutOfBounds> {
    if body.detail.len() > MAX_DETAIL_ENTRIES {
        return Err(OutOfBounds::TooManyDetails {
            entries: body.detail.len(),
            max: MAX_DETAIL_ENTRIES,
        });
    }
    if body.photos.len() > MAX_PHOTOS_PER_EVENT {
        return Err(OutOfBounds::TooManyPhotos {
            photos: body.photos.len(),
            max: MAX_PHOTOS_PER_EVENT,
        });
    }
    let value = serde_json::to_value(body).map_err(|_| OutOfBounds::EventTooLarge {
        bytes: usize::MAX,
        max: MAX_EVENT_BYTES,
    })?;
    check_strings(&value, "")?;
    let bytes = to_canonical_bytes(body)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    if bytes > MAX_EVENT_BYTES {
        return Err(OutOfBounds::EventTooLarge {
            bytes,
            max: MAX_EVENT_BYTES,
        });
    }
    Ok(())
}

fn check_strings(value: &Value, path: &str) -> Result<(), OutOfBounds> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    let check = |text: &str, field: String| {
        let max = max_chars(&field);
        // Bytes bound characters from above: count only when it may matter.
        if text.len() > max {
            let chars = text.chars().count();
            if chars > max {
                return Err(OutOfBounds::FieldTooLong { field, chars, max });
            }
        }
        Ok(())
    };
    match value {
        Value::String(s) => check(s, path.to_owned()),
        Value::Array(items) => items.iter().try_for_each(|v| check_strings(v, path)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            check(k, format!("{} (a key)", join(k)))?;
            check_strings(v, &join(k))
        }),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{ClockStamp, EVENT_SCHEMA, GENESIS_PREV_HASH, PositionRecord};
    use crate::vocabulary::EventKind;

    fn body() -> EventBody {
        EventBody {
            schema: EVENT_SCHEMA.into(),
            event_id: "0190a0a0-0000-7000-8000-000000000000".into(),
            device_id: "D".into(),
            seq: 1,
            prev_hash: GENESIS_PREV_HASH.into(),
            kind: EventKind::ContactAttempt,
            parcel_id: Some("P".into()),
            order_ref: None,
            outcome: None,
            reason: None,
            liability: None,
            verification: None,
            code_proof: None,
            inspection_offered: None,
            corrects: None,
            detail: Default::default(),
            position: PositionRecord::none(),
            clock: ClockStamp {
                device_utc_ms: 1,
                monotonic_ms: 1,
                boot_id: "b".into(),
            },
            gnss_utc_ms: None,
            manifest_version: Some(1),
            app_version: "t".into(),
            supervisor: None,
            day: None,
            load: None,
            photos: Vec::new(),
            handover: None,
        }
    }

    #[test]
    fn an_ordinary_event_is_within_bounds() {
        let mut b = body();
        b.detail.insert("note".into(), "é".repeat(MAX_NOTE_CHARS));
        b.detail.insert("label".into(), "L".repeat(MAX_LABEL_CHARS));
        assert_eq!(check_event(&b), Ok(()));
    }

    #[test]
    fn each_bound_names_its_field() {
        let mut b = body();
        b.detail
            .insert("note".into(), "x".repeat(MAX_NOTE_CHARS + 1));
        assert!(matches!(
            check_event(&b),
            Err(OutOfBounds::FieldTooLong { ref field, .. }) if field == "detail.note"
        ));
        let mut b = body();
        b.detail
            .insert("label".into(), "x".repeat(MAX_LABEL_CHARS + 1));
        assert!(matches!(
            check_event(&b),
            Err(OutOfBounds::FieldTooLong { ref field, .. }) if field == "detail.label"
        ));
        let mut b = body();
        b.app_version = "v".repeat(MAX_STRING_CHARS + 1);
        assert!(matches!(
            check_event(&b),
            Err(OutOfBounds::FieldTooLong { ref field, .. }) if field == "app_version"
        ));
        let mut b = body();
        for i in 0..=MAX_DETAIL_ENTRIES {
            b.detail.insert(format!("k{i}"), "v".into());
        }
        assert!(matches!(
            check_event(&b),
            Err(OutOfBounds::TooManyDetails { .. })
        ));
        let mut b = body();
        for i in 0..10 {
            b.detail
                .insert(format!("k{i}"), "v".repeat(MAX_STRING_CHARS));
        }
        assert!(matches!(
            check_event(&b),
            Err(OutOfBounds::EventTooLarge { .. })
        ));
    }
}
