//! The manifest's photo policy: for each case that a photo supports (a
//! refusal after inspection, damage in transit, a damaged or opened return
//! at intake, the door on "no answer"), whether a photo is required,
//! optional or off, and how many at least.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Photos one event may carry.
pub const MAX_PHOTOS_PER_EVENT: usize = 8;

/// A case a photo supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoCase {
    /// The outcome "refused after inspection": the damage or the wrong item.
    RefusedAfterInspection,
    /// The outcome "carrier problem" with the reason "damaged in transit".
    DamagedInTransit,
    /// A return taken in at the depot as damaged.
    IntakeDamaged,
    /// A return taken in at the depot as opened.
    IntakeOpened,
    /// The outcome "no answer": the door.
    NoAnswer,
}

impl PhotoCase {
    /// Every case, in the order the documentation lists them.
    pub const ALL: [PhotoCase; 5] = [
        PhotoCase::RefusedAfterInspection,
        PhotoCase::DamagedInTransit,
        PhotoCase::IntakeDamaged,
        PhotoCase::IntakeOpened,
        PhotoCase::NoAnswer,
    ];

    /// Protocol string.
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoCase::RefusedAfterInspection => "refused_after_inspection",
            PhotoCase::DamagedInTransit => "damaged_in_transit",
            PhotoCase::IntakeDamaged => "intake_damaged",
            PhotoCase::IntakeOpened => "intake_opened",
            PhotoCase::NoAnswer => "no_answer",
        }
    }
}

/// Whether a case asks for a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoNeed {
    /// No photo is taken for it (the camera is not offered).
    #[default]
    Off,
    /// The courier may take photos.
    Optional,
    /// The outcome is refused without at least `min_count` photos.
    Required,
}

/// What the policy says of one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PhotoRule {
    /// Required, optional or off.
    pub need: PhotoNeed,
    /// Photos at least, when required (1 when 0 is written).
    pub min_count: u8,
}

impl PhotoRule {
    /// Photos the event must carry: 0 unless required, then at least 1.
    pub fn required_count(&self) -> u8 {
        match self.need {
            PhotoNeed::Required => self.min_count.max(1),
            PhotoNeed::Off | PhotoNeed::Optional => 0,
        }
    }
}

/// The day's photo policy, by case (a case absent is off).
pub type PhotoPolicy = BTreeMap<PhotoCase, PhotoRule>;

/// Checks a policy: no required count past what an event may carry.
pub fn check_photo_policy(policy: &PhotoPolicy) -> Result<(), String> {
    for (case, rule) in policy {
        if usize::from(rule.required_count()) > MAX_PHOTOS_PER_EVENT {
            return Err(format!(
                "the photo policy requires {} photos for {}, more than the {MAX_PHOTOS_PER_EVENT} an event may carry",
                rule.required_count(),
                case.as_str()
            ));
        }
    }
    Ok(())
}
