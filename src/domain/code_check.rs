//! Deciding how a buyer's code is checked, and what the answer means.
//!
//! The order of operations is the terminal's, not this module's: it spends the
//! attempt durably *before* it calls [`CheckPlan::compare`].

use std::num::NonZeroU32;

use courier_protocol::code_verifier::{BuyerSecret, CodeForm, CodeKey};
use courier_protocol::keys::decode_hex_array;
use courier_protocol::manifest::VerifierSpec;
use courier_protocol::vocabulary::{CheckMode, CodePolicy, EntryMode};

use courier_protocol::rules::code_check_step;

use super::parcel::{Parcel, is_locked};
use super::refusal::Refusal;

/// How one code will be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckPlan {
    /// Keypad or QR.
    pub entry: EntryMode,
    /// Offline (the manifest's verifier) or online (the server).
    pub check: CheckMode,
    /// The form's salt.
    pub salt: Vec<u8>,
    /// PBKDF2 iterations.
    pub iterations: NonZeroU32,
    /// The verifier `V`, for offline checks.
    pub verifier: Option<[u8; 32]>,
}

/// Why the manifest's code material cannot be used (a server-side defect).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the manifest's code material for this parcel is unusable ({0}); call the depot")]
pub struct BadCodeMaterial(pub String);

/// The doorstep answer to a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeVerdict {
    /// Correct: hand the parcel over.
    Delivered,
    /// Wrong: some tries left.
    WrongCode {
        /// Tries left.
        tries_left: u32,
    },
    /// Wrong, and that try was the last: now locked. (A code presented when no
    /// try is left is refused instead: [`spent_try`].)
    Locked,
    /// Online-only parcel and the server cannot be reached: do not hand over.
    NeedsNetwork,
}

/// Chooses the check for a parcel and a code, refusing what the rules forbid.
pub fn plan(
    parcel: &Parcel,
    secret: &BuyerSecret,
    qr_order_ref: Option<&str>,
) -> Result<Result<CheckPlan, BadCodeMaterial>, Refusal> {
    code_check_step(parcel)?;
    if let Some(scanned) = qr_order_ref
        && scanned != parcel.spec.order_ref
    {
        return Err(Refusal::QrForOtherOrder {
            scanned: scanned.to_owned(),
            expected: parcel.spec.order_ref.clone(),
        });
    }
    let (entry, spec) = match secret.form() {
        CodeForm::Numeric => (EntryMode::Keypad, &parcel.spec.code.numeric),
        CodeForm::Qr => (
            EntryMode::Qr,
            parcel.spec.code.qr.as_ref().ok_or(Refusal::NoQrForm)?,
        ),
    };
    let check = match parcel.spec.policy {
        CodePolicy::OfflineAllowed => CheckMode::Offline,
        CodePolicy::OnlineOnly => CheckMode::Online,
    };
    Ok(
        material(spec, check).map(|(salt, iterations, verifier)| CheckPlan {
            entry,
            check,
            salt,
            iterations,
            verifier,
        }),
    )
}

type Material = (Vec<u8>, NonZeroU32, Option<[u8; 32]>);

fn material(spec: &VerifierSpec, check: CheckMode) -> Result<Material, BadCodeMaterial> {
    let salt = hex::decode(&spec.salt).map_err(|_| BadCodeMaterial("salt is not hex".into()))?;
    let iterations = NonZeroU32::new(spec.iterations)
        .ok_or_else(|| BadCodeMaterial("zero KDF iterations".into()))?;
    let verifier = match (&spec.verifier, check) {
        (Some(v), CheckMode::Offline) => Some(
            decode_hex_array::<32>(v, "verifier")
                .map_err(|_| BadCodeMaterial("verifier is not 32 bytes of hex".into()))?,
        ),
        (None, CheckMode::Offline) => {
            return Err(BadCodeMaterial("offline parcel without verifier".into()));
        }
        (_, CheckMode::Online) => None,
    };
    Ok((salt, iterations, verifier))
}

impl CheckPlan {
    /// Derives `K` (the slow PBKDF2 step).
    pub fn derive(&self, secret: &BuyerSecret) -> CodeKey {
        secret.derive_key(&self.salt, self.iterations)
    }

    /// Offline comparison of a derived key with the manifest's verifier.
    pub fn compare(&self, key: &CodeKey) -> bool {
        self.verifier.is_some_and(|v| key.matches_verifier(&v))
    }
}

/// What spending a code's try found, on the terminal's own counter (an
/// offline check) or on the server's (an online one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrySpend {
    /// A try was spent: the counter now stands at this number.
    Spent(u32),
    /// The counter had reached the limit ([`is_locked`]): no try spent,
    /// nothing compared.
    NoneLeft,
}

/// The one answer to spending a code's try, whichever counter found it: the
/// try's number, or, the parcel being locked before this code, the rules'
/// refusal of a locked parcel (the answer the check gives when the parcel it
/// read was locked already). Never a verdict: nothing was compared.
pub fn spent_try(spend: TrySpend, limit: u32) -> Result<u32, Refusal> {
    match spend {
        TrySpend::Spent(attempt) => Ok(attempt),
        TrySpend::NoneLeft => Err(Refusal::Locked { limit }),
    }
}

/// The verdict after a wrong code, given the attempts spent (this one included).
pub fn verdict_after_mismatch(attempts_spent: u32, limit: u32) -> CodeVerdict {
    if is_locked(attempts_spent, limit) {
        CodeVerdict::Locked
    } else {
        CodeVerdict::WrongCode {
            tries_left: limit - attempts_spent,
        }
    }
}

/// What a checked code does to the parcel as committed when its event is written.
///
/// The try was spent and the code compared without a lock held; meanwhile
/// another writer may have delivered, withdrawn, returned the parcel or ended
/// the visit. The answer is taken on that committed state, never on the copy
/// read before the comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Settlement {
    /// The code is right and the parcel can still be handed over.
    Deliver,
    /// The code is wrong: the verdict to show.
    Mismatch(CodeVerdict),
    /// The parcel moved on meanwhile: record the try, hand nothing over.
    MovedOn(Refusal),
}

/// The parcel as a try found it: the committed row already counts the try
/// (`attempt` is its number), so the counter before it.
pub fn as_found_by_try(parcel: &Parcel, attempt: u32) -> Parcel {
    Parcel {
        attempts_spent: attempt.saturating_sub(1),
        ..parcel.clone()
    }
}

/// Settles a checked code on the committed parcel (`attempts_spent` includes
/// this try): the shared rule of a code check ([`code_check_step`]) on the
/// parcel as the try found it says whether it can still be handed over.
pub fn settle(parcel: &Parcel, matched: bool, attempts_spent: u32) -> Settlement {
    match (
        code_check_step(&as_found_by_try(parcel, attempts_spent)),
        matched,
    ) {
        (Err(r), _) => Settlement::MovedOn(r),
        (Ok(_), true) => Settlement::Deliver,
        (Ok(_), false) => Settlement::Mismatch(verdict_after_mismatch(
            attempts_spent,
            parcel.spec.attempt_limit,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::parcel::tests::spec;
    use crate::domain::parcel::{ParcelState, Visit};

    fn at_door(limit: u32, spent: u32) -> Parcel {
        Parcel {
            spec: spec(limit),
            state: ParcelState::Pending,
            attempts_spent: spent,
            visit: Some(Visit {
                inspection_offered: true,
                ..courier_test_support::visit()
            }),
            collected_label: None,
            loaded: false,
            desk: None,
        }
    }

    #[test]
    fn tries_left_counts_down_then_locks() {
        assert_eq!(
            verdict_after_mismatch(1, 5),
            CodeVerdict::WrongCode { tries_left: 4 }
        );
        assert_eq!(verdict_after_mismatch(5, 5), CodeVerdict::Locked);
    }

    #[test]
    fn no_try_left_is_the_locked_refusal_whichever_counter_found_it() {
        assert_eq!(spent_try(TrySpend::Spent(3), 5), Ok(3));
        assert_eq!(
            spent_try(TrySpend::NoneLeft, 5),
            Err(Refusal::Locked { limit: 5 })
        );
    }

    #[test]
    fn offline_parcel_without_verifier_is_a_manifest_defect() {
        let p = at_door(5, 0);
        let s = BuyerSecret::numeric("123456", 6).expect("code");
        assert!(matches!(plan(&p, &s, None), Ok(Err(BadCodeMaterial(_)))));
    }

    #[test]
    fn qr_for_another_order_is_refused_before_any_attempt() {
        let p = at_door(5, 0);
        let text = courier_protocol::code_verifier::format_qr("OTHER", &[1; 16]);
        let (order, s) = BuyerSecret::from_qr(&text).expect("qr");
        assert!(matches!(
            plan(&p, &s, Some(&order)),
            Err(Refusal::QrForOtherOrder { .. })
        ));
    }

    #[test]
    fn online_only_plans_an_online_check() {
        let mut p = at_door(5, 0);
        p.spec.policy = CodePolicy::OnlineOnly;
        let s = BuyerSecret::numeric("123456", 6).expect("code");
        let plan = plan(&p, &s, None).expect("allowed").expect("material");
        assert_eq!(plan.check, CheckMode::Online);
        assert_eq!(plan.verifier, None);
    }

    #[test]
    fn a_right_code_on_a_parcel_delivered_or_withdrawn_meanwhile_hands_nothing_over() {
        let mut p = at_door(5, 1);
        assert_eq!(settle(&p, true, 1), Settlement::Deliver);
        p.state = ParcelState::Delivered;
        assert_eq!(
            settle(&p, true, 1),
            Settlement::MovedOn(Refusal::AlreadyDelivered)
        );
        p.state = ParcelState::Withdrawn;
        p.visit = None;
        assert_eq!(settle(&p, true, 1), Settlement::MovedOn(Refusal::Withdrawn));
        assert_eq!(
            settle(&p, false, 1),
            Settlement::MovedOn(Refusal::Withdrawn)
        );
    }

    #[test]
    fn the_last_try_right_still_delivers_and_wrong_locks() {
        let p = at_door(3, 3);
        assert_eq!(settle(&p, true, 3), Settlement::Deliver);
        assert_eq!(
            settle(&p, false, 3),
            Settlement::Mismatch(CodeVerdict::Locked)
        );
    }
}
