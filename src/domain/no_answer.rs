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

/// Checks the evidence rule for "no answer".
pub fn check(ctx: &NoAnswerContext<'_>, settings: &ManifestSettings) -> Result<(), Refusal> {
    if let (Some(lat), Some(lon)) = (ctx.address.lat_e7, ctx.address.lon_e7) {
        let here = ctx.position_now.fix.as_ref().map(|f| (f.lat_e7, f.lon_e7));
        let candidates: Vec<(i64, i64)> =
            here.into_iter().chain(ctx.visit.arrival_fix_e7).collect();
        if candidates.is_empty() {
            return Err(Refusal::NoAnswerNeedsFix);
        }
        let nearest = candidates
            .iter()
            .map(|p| distance_m(*p, (lat, lon)))
            .fold(f64::INFINITY, f64::min);
        if nearest > f64::from(settings.no_answer_radius_m) {
            return Err(Refusal::NoAnswerTooFar {
                distance_m: nearest.round().min(f64::from(u32::MAX)) as u32,
                radius_m: settings.no_answer_radius_m,
            });
        }
    }
    let wait_ms = i64::from(settings.no_answer_wait_s) * 1000;
    let waited = waited_ms(ctx);
    if waited < wait_ms {
        let remaining = (wait_ms - waited + 999) / 1000;
        return Err(Refusal::NoAnswerWaitNotOver {
            remaining_s: u32::try_from(remaining).unwrap_or(u32::MAX),
        });
    }
    let done = u32::try_from(ctx.visit.contacts.len()).unwrap_or(u32::MAX);
    if done < settings.no_answer_contacts {
        return Err(Refusal::NoAnswerNeedsContacts {
            done,
            needed: settings.no_answer_contacts,
        });
    }
    Ok(())
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
        }
    }

    fn visit(contacts: u32) -> Visit {
        Visit {
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
