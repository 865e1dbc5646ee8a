//! A code presented when no try is left has one answer, whichever counter
//! finds it: the terminal's own (an offline check, here spent by another
//! writer between the parcel's read and the try) or the server's (an online
//! check): the rules' refusal of a locked parcel, nothing compared, never a
//! verdict.

mod common;

use std::sync::{Arc, Mutex};

use courier_protocol::code_verifier::{CodeForm, CodeKey};
use courier_protocol::envelope::ClockStamp;
use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::clock::{Clock, SystemClock};
use courier_terminal::domain::code_check::TrySpend;
use courier_terminal::domain::parcel::Parcel;
use courier_terminal::domain::refusal::Refusal;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Store, TryOwner, TrySpec};
use courier_terminal::terminal::{
    CodeEntry, OnlineAnswer, OnlineCodeCheck, Terminal, TerminalError,
};

/// A server whose counter for the parcel has reached the limit.
struct NoTryLeftAtServer;

impl OnlineCodeCheck for NoTryLeftAtServer {
    fn check(&self, _: &Parcel, _: CodeForm, _: &CodeKey) -> Result<OnlineAnswer, String> {
        Ok(OnlineAnswer {
            matched: false,
            spend: TrySpend::NoneLeft,
        })
    }
}

/// The system clock, running a hook once at its next reading (armed by the
/// test): another writer acting at that moment.
struct HookedClock {
    clock: SystemClock,
    hook: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Clock for HookedClock {
    fn now(&self) -> ClockStamp {
        let hook = self.hook.lock().expect("hook").take();
        if let Some(f) = hook {
            f();
        }
        self.clock.now()
    }
}

fn label_with(day: &common::Day, t: &Terminal, policy: CodePolicy) -> String {
    t.parcels()
        .expect("parcels")
        .into_iter()
        .find(|p| {
            p.spec.policy == policy
                && p.spec.collect.is_none()
                && day.codes.iter().any(|c| c.label == p.spec.label)
        })
        .expect("a parcel with that policy")
        .spec
        .label
}

fn code_of(day: &common::Day, label: &str) -> String {
    day.codes
        .iter()
        .find(|c| c.label == label)
        .expect("code")
        .numeric
        .clone()
}

fn is_locked_refusal(r: &Result<courier_terminal::terminal::CodeAnswer, TerminalError>) -> bool {
    matches!(r, Err(TerminalError::Refused(Refusal::Locked { .. })))
}

#[test]
fn online_check_with_no_try_left_at_the_server_is_refused_as_locked() {
    let day = common::day(9);
    let mut t = common::open(&day.dir, Arc::new(NoPosition));
    t.set_online_check(Arc::new(NoTryLeftAtServer));
    let label = label_with(&day, &t, CodePolicy::OnlineOnly);
    t.arrive(&label).expect("arrive");

    let answer = t.submit_code(&label, CodeEntry::Keypad(&code_of(&day, &label)));
    assert!(is_locked_refusal(&answer), "{answer:?}");
    // The server's count is recorded: the parcel is locked here too, and the
    // next code gets the same answer before any server is asked.
    let p = t.parcel(&label).expect("parcel");
    assert!(p.is_locked(), "{p:?}");
    let again = t.submit_code(&label, CodeEntry::Keypad(&code_of(&day, &label)));
    assert!(is_locked_refusal(&again), "{again:?}");
}

#[test]
fn offline_check_finding_no_try_left_is_refused_as_locked() {
    let day = common::day(9);
    let clock = Arc::new(HookedClock {
        clock: SystemClock::new(),
        hook: Mutex::new(None),
    });
    let mut t = Terminal::open(&day.dir, clock.clone(), Arc::new(NoPosition)).expect("open");
    let label = label_with(&day, &t, CodePolicy::OfflineAllowed);
    t.arrive(&label).expect("arrive");
    let p = t.parcel(&label).expect("parcel");
    assert!(!p.is_locked());

    // Another writer spends every try left after this check read the parcel
    // and before it spends its own (its first clock reading).
    let database = day.dir.database();
    let (parcel_id, limit) = (p.spec.parcel_id.clone(), p.spec.attempt_limit);
    *clock.hook.lock().expect("hook") = Some(Box::new(move || {
        let mut other = Store::open(&database).expect("second writer");
        let spec = TrySpec {
            parcel_id: &parcel_id,
            limit,
            entry: "keypad",
            check_mode: "offline",
        };
        let owner = TryOwner {
            pid: std::process::id(),
            boot_id: "other".into(),
            at_ms: 0,
        };
        while other.spend_attempt(&spec, &owner).expect("spend").is_some() {}
    }));

    let answer = t.submit_code(&label, CodeEntry::Keypad(&code_of(&day, &label)));
    assert!(is_locked_refusal(&answer), "{answer:?}");
    assert!(
        clock.hook.lock().expect("hook").is_none(),
        "the other writer ran"
    );
}
