//! The buyer's code at the door. The order is the evidence: spend the try
//! durably, derive and compare with no lock held, then settle the answer on the
//! parcel as committed (another writer may have delivered or withdrawn it
//! meanwhile) in the transaction that writes the event, and only then answer.

use courier_protocol::code_verifier::{BuyerSecret, CodeForm, CodeKey};
use courier_protocol::envelope::{SignedEvent, Verification};
use courier_protocol::vocabulary::{CheckMode, CheckResult, EntryMode, EventKind, Outcome};
use tracing::warn;

use super::{Decision, Terminal, TerminalError, context};
use crate::domain::code_check::{self, CheckPlan, CodeVerdict, Settlement, TrySpend};
use crate::domain::digits::entry_text;
use crate::domain::event_draft::EventDraft;
use crate::domain::parcel::{Action, Parcel};
use crate::storage::{Reads, TryInFlight, TryOwner, TrySpec};

/// A code as the courier typed or scanned it.
#[derive(Debug, Clone, Copy)]
pub enum CodeEntry<'a> {
    /// Typed on the keypad (any Unicode decimal digits, e.g. Arabic-Indic).
    Keypad(&'a str),
    /// Scanned QR text.
    Qr(&'a str),
}

/// The server's answer to an online code check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnlineAnswer {
    /// Whether the code matched (never when no try was left).
    pub matched: bool,
    /// What spending the try found at the server: the tries it has counted
    /// (this one included), or none left and nothing compared.
    pub spend: TrySpend,
}

/// Checks a code with the escrow server (online-only parcels).
pub trait OnlineCodeCheck: Send + Sync {
    /// Asks the server; `Err` means it could not be reached in time.
    fn check(&self, parcel: &Parcel, form: CodeForm, key: &CodeKey)
    -> Result<OnlineAnswer, String>;
}

/// The answer to a code, after the event is durably stored.
#[derive(Debug, Clone)]
pub struct CodeAnswer {
    /// What to tell the courier.
    pub verdict: CodeVerdict,
    /// The recorded event.
    pub event: SignedEvent,
}

impl Terminal {
    /// Checks the buyer's code; answers only after the event is durably stored.
    ///
    /// Records arrival first if the courier had not. Malformed input spends no try.
    pub fn submit_code(
        &mut self,
        label: &str,
        entry: CodeEntry<'_>,
    ) -> Result<CodeAnswer, TerminalError> {
        // A label of an order of several parcels opens its order: one code.
        let mut p = self.order_of(label)?;
        let label = p.spec.label.clone();
        let label = label.as_str();
        let (secret, qr_order) = match entry {
            CodeEntry::Keypad(typed) => (
                BuyerSecret::numeric(&entry_text(typed), p.spec.code.digits)?,
                None,
            ),
            CodeEntry::Qr(text) => {
                let (order, secret) = BuyerSecret::from_qr(text)?;
                (secret, Some(order))
            }
        };
        // After a signed close, a parcel it listed missing is handed over only
        // once the supervisor reopened the day: refused before any try is spent
        // (and again, on committed state, when the answer is recorded).
        courier_protocol::rules::check_late_delivery(
            &super::depot::day_status_on(&self.store)?,
            &p.spec.label,
        )?;
        if p.visit.is_none() {
            p.check(&Action::Arrive)?;
            self.arrive(label)?;
            p = self.parcel(label)?;
        }
        let plan = code_check::plan(&p, &secret, qr_order.as_deref())??;
        match plan.check {
            CheckMode::Offline => self.check_offline(&p, &plan, &secret),
            CheckMode::Online => self.check_online(&p, &plan, &secret),
        }
    }

    fn check_offline(
        &mut self,
        p: &Parcel,
        plan: &CheckPlan,
        secret: &BuyerSecret,
    ) -> Result<CodeAnswer, TerminalError> {
        let limit = p.spec.attempt_limit;
        let clock = self.clock.now();
        let owner = TryOwner {
            pid: std::process::id(),
            boot_id: clock.boot_id,
            at_ms: clock.device_utc_ms,
        };
        let spec = TrySpec {
            parcel_id: &p.spec.parcel_id,
            limit,
            entry: entry_name(plan.entry),
            check_mode: check_name(plan.check),
        };
        // Spend the try durably before comparing, like a card's PIN counter; it
        // stays marked in flight until the event that answers it is committed.
        let found = match self.store.spend_attempt(&spec, &owner)? {
            Some(attempt) => TrySpend::Spent(attempt),
            None => TrySpend::NoneLeft,
        };
        let spent = code_check::spent_try(found, limit)?;
        let key = plan.derive(secret);
        let matched = plan.compare(&key);
        self.settle_check(&p.spec.label, plan, plan.check, matched, spent, key)
    }

    fn check_online(
        &mut self,
        p: &Parcel,
        plan: &CheckPlan,
        secret: &BuyerSecret,
    ) -> Result<CodeAnswer, TerminalError> {
        let key = plan.derive(secret);
        let answer = match &self.online {
            Some(online) => online.check(p, secret.form(), &key),
            None => Err("no server connection configured".to_owned()),
        };
        match answer {
            Ok(a) => {
                let limit = p.spec.attempt_limit;
                match code_check::spent_try(a.spend, limit) {
                    Ok(counted) => self.settle_check(
                        &p.spec.label,
                        plan,
                        CheckMode::Online,
                        a.matched,
                        counted.max(p.attempts_spent),
                        key,
                    ),
                    Err(locked) => {
                        // The server's counter is ahead of this device's: its
                        // count is recorded (nothing handed over), so the parcel
                        // is locked here too; then the offline check's answer.
                        self.settle_check(
                            &p.spec.label,
                            plan,
                            CheckMode::Online,
                            false,
                            limit.max(p.attempts_spent),
                            key,
                        )?;
                        Err(locked.into())
                    }
                }
            }
            Err(why) => {
                warn!(reason = %why, "online code check unavailable");
                let entry = plan.entry;
                let event = self.record_on(&p.spec.label, |p, stamp, _| {
                    // Asked only while the code may still be checked.
                    p.check(&Action::CheckCode)?;
                    let mut draft = EventDraft::new(EventKind::CodeAttempt)
                        .parcel(&p.spec.parcel_id, &p.spec.order_ref);
                    draft.verification = Some(Verification {
                        entry,
                        check: CheckMode::Online,
                        result: CheckResult::Unreachable,
                        attempt: p.attempts_spent,
                        attempt_limit: p.spec.attempt_limit,
                    });
                    Decision::apply(draft, &p, &context(stamp))
                })?;
                Ok(CodeAnswer {
                    verdict: CodeVerdict::NeedsNetwork,
                    event,
                })
            }
        }
    }

    /// Records the checked code, settled on the parcel as committed now.
    fn settle_check(
        &mut self,
        label: &str,
        plan: &CheckPlan,
        check: CheckMode,
        matched: bool,
        spent: u32,
        key: CodeKey,
    ) -> Result<CodeAnswer, TerminalError> {
        let entry = plan.entry;
        let mut settled = None;
        let label = label.trim().to_owned();
        let event = self.record(|tx, stamp, _| {
            let p = tx
                .parcel_by_label(&label)?
                .ok_or_else(|| TerminalError::UnknownLabel(label.clone()))?;
            // The device's day: a parcel the signed close listed missing is
            // handed over only after the supervisor reopened the day.
            let day = super::depot::day_status_on(tx)?;
            let before = code_check::as_found_by_try(&p, spent);
            let settlement = code_check::settle(&p, matched, p.attempts_spent.max(spent));
            let verification = Verification {
                entry,
                check,
                result: if matched {
                    CheckResult::Match
                } else {
                    CheckResult::Mismatch
                },
                attempt: spent,
                attempt_limit: p.spec.attempt_limit,
            };
            let mut draft = match &settlement {
                Settlement::Deliver => {
                    let mut d = EventDraft::new(EventKind::Outcome)
                        .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                        .outcome(Outcome::Delivered, None);
                    d.inspection_offered = p.visit.as_ref().map(|v| v.inspection_offered);
                    // An order of several parcels: exactly those scanned and
                    // not refused, and their amount.
                    d.handover = courier_protocol::rules::handover_due(&p)?;
                    d
                }
                Settlement::Mismatch(_) => EventDraft::new(EventKind::CodeAttempt)
                    .parcel(&p.spec.parcel_id, &p.spec.order_ref),
                Settlement::MovedOn(refusal) => EventDraft::new(EventKind::CodeAttempt)
                    .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                    .detail("not_handed_over", refusal.to_string()),
            };
            draft.verification = Some(verification);
            if let Some(collected) = &p.collected_label {
                draft = draft.detail("collected_label", collected.clone());
            }
            settled = Some(settlement);
            let parcel_id = p.spec.parcel_id.clone();
            let mut ctx = context(stamp).with_day(&day);
            ctx.code_proof = matched;
            let mut decision = Decision::apply(draft, &before, &ctx)?;
            decision.code_key = matched.then_some(key);
            if check == CheckMode::Offline {
                decision.settles_try = Some((parcel_id, spent));
            }
            Ok(decision)
        })?;
        match settled {
            Some(Settlement::Deliver) => Ok(CodeAnswer {
                verdict: CodeVerdict::Delivered,
                event,
            }),
            Some(Settlement::Mismatch(verdict)) => Ok(CodeAnswer { verdict, event }),
            Some(Settlement::MovedOn(refusal)) => Err(refusal.into()),
            None => Err(crate::storage::StoreError::Decode("code check not settled".into()).into()),
        }
    }
}

fn entry_name(e: EntryMode) -> &'static str {
    match e {
        EntryMode::Keypad => "keypad",
        EntryMode::Qr => "qr",
    }
}

fn check_name(c: CheckMode) -> &'static str {
    match c {
        CheckMode::Offline => "offline",
        CheckMode::Online => "online",
    }
}

/// Whether the process that spent a try can no longer answer it.
fn abandoned(t: &TryInFlight, boot_id: &str) -> bool {
    if t.owner.boot_id != boot_id {
        return true;
    }
    if t.owner.pid == std::process::id() {
        return false;
    }
    let Some(pid) = i32::try_from(t.owner.pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return true;
    };
    matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

impl Terminal {
    /// Records every try a stopped process spent without recording its answer
    /// (power cut, crash, kill mid-check), as an interrupted attempt: the log
    /// and the server then count every try the counter counts.
    pub(crate) fn record_interrupted_tries(&mut self) -> Result<(), TerminalError> {
        let boot_id = self.clock.now().boot_id;
        let stale: Vec<TryInFlight> = self
            .store
            .tries_in_flight()?
            .into_iter()
            .filter(|t| abandoned(t, &boot_id))
            .collect();
        for t in stale {
            let entry = t.entry.clone();
            let check = t.check_mode.clone();
            self.record_if(|tx, _, _| {
                // Another process may have recorded it meanwhile.
                if !tx
                    .tries_in_flight()?
                    .iter()
                    .any(|x| x.parcel_id == t.parcel_id && x.attempt == t.attempt)
                {
                    return Ok(None);
                }
                let Some(p) = tx.parcel_by_id(&t.parcel_id)? else {
                    return Ok(None);
                };
                let mut draft = EventDraft::new(EventKind::CodeAttempt)
                    .parcel(&p.spec.parcel_id, &p.spec.order_ref)
                    .detail("interrupted_at_ms", t.owner.at_ms.to_string());
                draft.verification = Some(Verification {
                    entry: if entry == entry_name(EntryMode::Qr) {
                        EntryMode::Qr
                    } else {
                        EntryMode::Keypad
                    },
                    check: if check == check_name(CheckMode::Online) {
                        CheckMode::Online
                    } else {
                        CheckMode::Offline
                    },
                    result: CheckResult::Interrupted,
                    attempt: t.attempt,
                    attempt_limit: t.attempt_limit,
                });
                let mut d = Decision::event(draft);
                d.settles_try = Some((t.parcel_id.clone(), t.attempt));
                Ok(Some(d))
            })?;
            warn!(parcel = %t.parcel_id, attempt = t.attempt, "an interrupted code try was recorded");
        }
        Ok(())
    }
}
