//! The evidence "no answer" needs: presence near the address, the wait, the contacts.

use courier_protocol::envelope::PositionRecord;
use courier_protocol::manifest::{Address, ManifestSettings};

use super::parcel::Visit;
use super::position::distance_m;
use super::refusal::Refusal;

/// The moment the courier asks to record "no answer".
#[derive(Debug, Clone)]
pub struct NoAnswerContext<'a> {
    /// The address of the parcel.
    pub address: &'a Address,
    /// The visit under way.
    pub visit: &'a Visit,
    /// The position now, as it will be recorded.
    pub position_now: &'a PositionRecord,
    /// Monotonic clock now, ms.
    pub monotonic_ms: i64,
    /// Device UTC now, ms.
    pub utc_ms: i64,
    /// Boot id now.
    pub boot_id: &'a str,
}

/// Milliseconds waited since arrival: monotonic within a boot, wall clock across.
pub fn waited_ms(ctx: &NoAnswerContext<'_>) -> i64 {
    if ctx.boot_id == ctx.visit.boot_id {
        ctx.monotonic_ms - ctx.visit.arrived_monotonic_ms
    } else {
        ctx.utc_ms - ctx.visit.arrived_utc_ms
    }
}

/// Where the courier stands with the "no answer" rule: what the evidence screen
/// shows and whether the outcome may be recorded, computed once, here.
#[derive(Debug, Clone, PartialEq)]
pub struct NoAnswerReadiness {
    /// The wait the manifest asks for, seconds.
    pub wait_total_s: u32,
    /// Seconds still to wait (monotonic within a boot, wall clock across).
    pub remaining_s: u32,
    /// The radius around the address, metres.
    pub radius_m: u32,
    /// Whether the manifest gives the address's coordinates.
    pub has_coords: bool,
    /// Whether a position counts: the current fix or the fix at arrival.
    pub has_fix: bool,
    /// Distance to the address from the nearer of the current and arrival fixes.
    pub distance_m: Option<u32>,
    /// Contact attempts logged during this visit.
    pub contacts_done: u32,
    /// Contact attempts the manifest asks for.
    pub contacts_needed: u32,
    /// The position part of the rule holds (or the address has no coordinates).
    pub near: bool,
    /// The waiting part of the rule holds.
    pub waited: bool,
    /// The contact part of the rule holds.
    pub contacted: bool,
    /// The rule's answer: `Ok` when "no answer" may be recorded now.
    pub verdict: Result<(), Refusal>,
}

/// Computes the readiness of "no answer" for the visit under way.
pub fn readiness(ctx: &NoAnswerContext<'_>, settings: &ManifestSettings) -> NoAnswerReadiness {
    let coords = ctx.address.lat_e7.zip(ctx.address.lon_e7);
    let here = ctx.position_now.fix.as_ref().map(|f| (f.lat_e7, f.lon_e7));
    let candidates: Vec<(i64, i64)> = here.into_iter().chain(ctx.visit.arrival_fix_e7).collect();
    let nearest = coords.and_then(|there| {
        candidates
            .iter()
            .map(|p| distance_m(*p, there))
            .reduce(f64::min)
    });
    let distance_m = nearest.map(|d| d.round().clamp(0.0, f64::from(u32::MAX)) as u32);
    let wait_ms = i64::from(settings.no_answer_wait_s) * 1000;
    let remaining_ms = (wait_ms - waited_ms(ctx)).max(0);
    let remaining_s = u32::try_from((remaining_ms + 999) / 1000).unwrap_or(u32::MAX);
    let contacts_done = u32::try_from(ctx.visit.contacts.len()).unwrap_or(u32::MAX);
    let too_far = nearest.filter(|d| *d > f64::from(settings.no_answer_radius_m));
    let needs_fix = coords.is_some() && candidates.is_empty();
    let near = !needs_fix && too_far.is_none();
    let waited = remaining_s == 0;
    let contacted = contacts_done >= settings.no_answer_contacts;
    let verdict = if needs_fix {
        Err(Refusal::NoAnswerNeedsFix)
    } else if let Some(d) = too_far {
        Err(Refusal::NoAnswerTooFar {
            distance_m: d.round().min(f64::from(u32::MAX)) as u32,
            radius_m: settings.no_answer_radius_m,
        })
    } else if !waited {
        Err(Refusal::NoAnswerWaitNotOver { remaining_s })
    } else if !contacted {
        Err(Refusal::NoAnswerNeedsContacts {
            done: contacts_done,
            needed: settings.no_answer_contacts,
        })
    } else {
        Ok(())
    };
    NoAnswerReadiness {
        wait_total_s: settings.no_answer_wait_s,
        remaining_s,
        radius_m: settings.no_answer_radius_m,
        has_coords: coords.is_some(),
        has_fix: !candidates.is_empty(),
        distance_m,
        contacts_done,
        contacts_needed: settings.no_answer_contacts,
        near,
        waited,
        contacted,
        verdict,
    }
}

/// Checks the evidence rule for "no answer".
pub fn check(ctx: &NoAnswerContext<'_>, settings: &ManifestSettings) -> Result<(), Refusal> {
    readiness(ctx, settings).verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parcel::ContactLog;
    use courier_protocol::envelope::FixRecord;

    fn address() -> Address {
        Address {
            text: "1 rue Didouche Mourad".into(),
            city: "Alger".into(),
            lat_e7: Some(367_700_000),
            lon_e7: Some(30_500_000),
        }
    }

    fn position(lat_e7: i64) -> PositionRecord {
        PositionRecord {
            status: "fix".into(),
            source: "gnss".into(),
            fix: Some(FixRecord {
                lat_e7,
                lon_e7: 30_500_000,
                alt_cm: None,
                hdop_centi: None,
                satellites: None,
                mode: "3d".into(),
                fix_utc_ms: None,
                age_ms: 0,
            }),
            last_fix: None,
            reason: None,
        }
    }

    fn visit(contacts: u32) -> Visit {
        Visit {
            order: Default::default(),
            arrived_utc_ms: 1_000_000,
            arrived_monotonic_ms: 5_000,
            boot_id: "boot".into(),
            arrival_fix_e7: None,
            contacts: (0..contacts)
                .map(|i| ContactLog {
                    channel: "call".into(),
                    at_utc_ms: 1_000_000 + i64::from(i),
                })
                .collect(),
            inspection_offered: false,
        }
    }

    #[test]
    fn refused_far_away_then_before_wait_then_without_contacts_then_ok() {
        let s = ManifestSettings::default();
        let a = address();
        let far = position(367_800_000); // ~1.1 km north
        let near = position(367_700_500);
        let v = visit(0);
        let mut ctx = NoAnswerContext {
            address: &a,
            visit: &v,
            position_now: &far,
            monotonic_ms: 5_000 + 700_000,
            utc_ms: 0,
            boot_id: "boot",
        };
        assert!(matches!(
            check(&ctx, &s),
            Err(Refusal::NoAnswerTooFar { .. })
        ));
        ctx.position_now = &near;
        ctx.monotonic_ms = 5_000 + 60_000;
        assert_eq!(
            check(&ctx, &s),
            Err(Refusal::NoAnswerWaitNotOver { remaining_s: 540 })
        );
        ctx.monotonic_ms = 5_000 + 600_000;
        assert_eq!(
            check(&ctx, &s),
            Err(Refusal::NoAnswerNeedsContacts { done: 0, needed: 2 })
        );
        let v2 = visit(2);
        ctx.visit = &v2;
        assert_eq!(check(&ctx, &s), Ok(()));
    }

    #[test]
    fn no_fix_is_refused_when_the_address_has_coordinates() {
        let a = address();
        let none = PositionRecord::none();
        let v = visit(5);
        let ctx = NoAnswerContext {
            address: &a,
            visit: &v,
            position_now: &none,
            monotonic_ms: 10_000_000,
            utc_ms: 0,
            boot_id: "boot",
        };
        assert_eq!(
            check(&ctx, &ManifestSettings::default()),
            Err(Refusal::NoAnswerNeedsFix)
        );
    }

    #[test]
    fn wait_uses_wall_clock_across_a_reboot() {
        let a = Address {
            lat_e7: None,
            lon_e7: None,
            ..address()
        };
        let none = PositionRecord::none();
        let v = visit(2);
        let ctx = NoAnswerContext {
            address: &a,
            visit: &v,
            position_now: &none,
            monotonic_ms: 1,
            utc_ms: 1_000_000 + 601_000,
            boot_id: "other-boot",
        };
        assert_eq!(check(&ctx, &ManifestSettings::default()), Ok(()));
    }
}
