//! "An outcome lacks a required photo": which case of the manifest's photo
//! policy an event is, and whether it carries the photos that case requires.
//! The terminal refuses such an event before recording it; the server
//! stores one it receives as not honoured (`photo_required`).

use crate::photo_policy::{PhotoCase, PhotoPolicy};
use crate::vocabulary::{Condition, EventKind, Outcome, Reason};

use super::draft::EventDraft;
use super::refusal::Refusal;

/// The photo case an event is, if any: an outcome (refused after
/// inspection, damaged in transit, no answer) or a return taken in (or
/// re-assessed) as damaged or opened.
pub fn photo_case(event: &EventDraft) -> Option<PhotoCase> {
    match event.kind {
        EventKind::Outcome => match (event.outcome?, event.reason) {
            (Outcome::RefusedAfterInspection, _) => Some(PhotoCase::RefusedAfterInspection),
            (Outcome::CarrierProblem, Some(Reason::DamagedInTransit)) => {
                Some(PhotoCase::DamagedInTransit)
            }
            (Outcome::NoAnswer, _) => Some(PhotoCase::NoAnswer),
            _ => None,
        },
        EventKind::ReturnCheckIn | EventKind::ItemReceived | EventKind::ReturnCondition => {
            match event
                .detail
                .get("condition")
                .and_then(|c| Condition::parse(c))?
            {
                Condition::Damaged => Some(PhotoCase::IntakeDamaged),
                Condition::Opened => Some(PhotoCase::IntakeOpened),
                Condition::Intact => None,
            }
        }
        _ => None,
    }
}

/// Refuses an event that carries fewer photos than the policy requires for
/// its case. Distinct hashes count: the same photo named twice counts once.
pub fn check_photos(policy: &PhotoPolicy, event: &EventDraft) -> Result<(), Refusal> {
    let Some(case) = photo_case(event) else {
        return Ok(());
    };
    let required = policy.get(&case).map_or(0, |r| r.required_count());
    let distinct: std::collections::BTreeSet<&str> =
        event.photos.iter().map(|p| p.sha256.as_str()).collect();
    let taken = u8::try_from(distinct.len()).unwrap_or(u8::MAX);
    if taken < required {
        return Err(Refusal::PhotoRequired {
            case,
            required,
            taken,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::photo::PhotoRef;
    use crate::photo_policy::{PhotoNeed, PhotoRule};

    fn photo(n: u8) -> PhotoRef {
        PhotoRef {
            sha256: format!("{n:02x}").repeat(32),
            bytes: 1000,
            width: 1920,
            height: 1080,
            taken_at_ms: 1,
        }
    }

    fn policy(case: PhotoCase, need: PhotoNeed, min_count: u8) -> PhotoPolicy {
        PhotoPolicy::from([(case, PhotoRule { need, min_count })])
    }

    fn refusal() -> EventDraft {
        EventDraft::new(EventKind::Outcome)
            .outcome(Outcome::RefusedAfterInspection, Some(Reason::Damaged))
    }

    #[test]
    fn a_required_photo_is_refused_when_missing_and_counted_once_per_hash() {
        let p = policy(PhotoCase::RefusedAfterInspection, PhotoNeed::Required, 2);
        let mut draft = refusal();
        assert_eq!(
            check_photos(&p, &draft),
            Err(Refusal::PhotoRequired {
                case: PhotoCase::RefusedAfterInspection,
                required: 2,
                taken: 0
            })
        );
        draft.photos = vec![photo(1), photo(1)];
        assert!(matches!(
            check_photos(&p, &draft),
            Err(Refusal::PhotoRequired { taken: 1, .. })
        ));
        draft.photos.push(photo(2));
        assert_eq!(check_photos(&p, &draft), Ok(()));
    }

    #[test]
    fn optional_off_and_other_cases_need_none() {
        let draft = refusal();
        for need in [PhotoNeed::Optional, PhotoNeed::Off] {
            let p = policy(PhotoCase::RefusedAfterInspection, need, 3);
            assert_eq!(check_photos(&p, &draft), Ok(()));
        }
        let p = policy(PhotoCase::NoAnswer, PhotoNeed::Required, 1);
        assert_eq!(check_photos(&p, &draft), Ok(()));
        assert_eq!(check_photos(&PhotoPolicy::new(), &draft), Ok(()));
    }

    #[test]
    fn cases_of_outcomes_and_intakes() {
        let transit = EventDraft::new(EventKind::Outcome)
            .outcome(Outcome::CarrierProblem, Some(Reason::DamagedInTransit));
        assert_eq!(photo_case(&transit), Some(PhotoCase::DamagedInTransit));
        let vehicle = EventDraft::new(EventKind::Outcome)
            .outcome(Outcome::CarrierProblem, Some(Reason::Vehicle));
        assert_eq!(photo_case(&vehicle), None);
        let door = EventDraft::new(EventKind::Outcome).outcome(Outcome::NoAnswer, None);
        assert_eq!(photo_case(&door), Some(PhotoCase::NoAnswer));
        let opened = EventDraft::new(EventKind::ReturnCheckIn).detail("condition", "opened");
        assert_eq!(photo_case(&opened), Some(PhotoCase::IntakeOpened));
        let damaged = EventDraft::new(EventKind::ReturnCondition).detail("condition", "damaged");
        assert_eq!(photo_case(&damaged), Some(PhotoCase::IntakeDamaged));
        let intact = EventDraft::new(EventKind::ItemReceived).detail("condition", "intact");
        assert_eq!(photo_case(&intact), None);
        let p = policy(PhotoCase::IntakeOpened, PhotoNeed::Required, 0);
        assert!(matches!(
            check_photos(&p, &opened),
            Err(Refusal::PhotoRequired { required: 1, .. })
        ));
    }
}
