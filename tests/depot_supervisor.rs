//! The depot supervisor on the courier's terminal: the courier alone cannot
//! act as supervisor; offline, a PIN cannot be checked (no verifier on the
//! device: sign-in needs the network), a wrong badge spends a try and the
//! supervisor locks at the limit; a scan-in shows what is missing and what is unexpected at once; a
//! fee change without the second proof is refused; the day closes only when
//! every return is accounted for, or forced with a reason.

mod common;

use std::sync::Arc;

use courier_protocol::code_verifier::CodeKey;
use courier_protocol::rules::returns::{PayerWhy, UnexpectedWhy};
use courier_protocol::rules::{ReturnItem, ScanVerdict};
use courier_protocol::supervisor::verify_supervisor_proof;
use courier_protocol::vocabulary::{
    CodePolicy, Condition, EventKind, Liability, Outcome, ParcelKind, Reason,
};
use courier_terminal::domain::code_check::CodeVerdict;
use courier_terminal::domain::refusal::Refusal;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::Reads;
use courier_terminal::terminal::{
    CodeEntry, FeeChangeRequest, IntakeInput, LabelEntry, SignInAnswer, SupervisorEntry,
    SupervisorRefusal, Terminal, TerminalError,
};

fn open(day: &common::Day) -> Terminal {
    common::open(&day.dir, Arc::new(NoPosition))
}

fn pin<'a>(day: &'a common::Day, pin: &'a str) -> SupervisorEntry<'a> {
    SupervisorEntry::Pin {
        supervisor_id: &day.supervisor.supervisor_id,
        pin,
    }
}

fn sign_in(t: &mut Terminal, day: &common::Day) {
    let answer = t
        .supervisor_sign_in(SupervisorEntry::Badge(&day.supervisor.badge_text))
        .expect("sign in");
    assert!(matches!(answer, SignInAnswer::SignedIn(_)), "{answer:?}");
}

fn not_signed_in<T: std::fmt::Debug>(r: Result<T, TerminalError>) {
    assert!(
        matches!(
            r,
            Err(TerminalError::Supervisor(SupervisorRefusal::NotSignedIn))
        ),
        "expected a refusal for want of a supervisor, got {r:?}"
    );
}

fn tip(t: &Terminal) -> u64 {
    t.store().chain_tip().expect("tip").seq
}

/// A delivery parcel with an offline code, delivered with its code.
fn deliver_one(t: &mut Terminal, day: &common::Day) -> String {
    let code = day
        .codes
        .iter()
        .find(|c| {
            c.policy == CodePolicy::OfflineAllowed
                && t.parcel(&c.label).expect("parcel").spec.kind == ParcelKind::Delivery
        })
        .expect("an offline delivery")
        .clone();
    t.arrive(&code.label).expect("arrive");
    t.offer_inspection(&code.label).expect("inspection");
    let a = t
        .submit_code(&code.label, CodeEntry::Keypad(&code.numeric))
        .expect("code");
    assert_eq!(a.verdict, CodeVerdict::Delivered);
    code.label
}

fn delivery_labels(t: &Terminal) -> Vec<String> {
    t.parcels()
        .expect("parcels")
        .into_iter()
        .filter(|p| p.spec.kind == ParcelKind::Delivery)
        .map(|p| p.spec.label)
        .collect()
}

#[test]
fn the_courier_alone_cannot_act_as_supervisor() {
    let day = common::day(4);
    let mut t = open(&day);
    let label = delivery_labels(&t)[0].clone();
    t.record_outcome(&label, Outcome::CarrierProblem, Some(Reason::Vehicle), None)
        .expect("outcome");
    let before = tip(&t);
    assert!(t.supervisor_session().is_none());
    not_signed_in(t.scan_return(LabelEntry::Scanned(&label), &IntakeInput::default()));
    not_signed_in(t.record_condition(&label, &IntakeInput::default()));
    let req = FeeChangeRequest {
        label: label.clone(),
        payer: Liability::Seller,
        note: "the seller sent the wrong address".into(),
    };
    not_signed_in(t.change_fee(&req));
    not_signed_in(t.close_day(Some("anything")));
    // A badge naming another supervisor, or a wrong PIN, opens nothing.
    let forged = courier_protocol::supervisor::format_badge("SUP-ALGER-EST-1", &[0; 16]);
    let a = t
        .supervisor_sign_in(SupervisorEntry::Badge(&forged))
        .expect("answer");
    assert!(matches!(a, SignInAnswer::Wrong { .. }), "{a:?}");
    // No server: a PIN cannot be checked on the device (the manifest holds no
    // verifier of it); nothing is spent, nothing opens.
    assert!(matches!(
        t.supervisor_sign_in(pin(&day, "000000")),
        Err(TerminalError::Supervisor(SupervisorRefusal::NeedsNetwork))
    ));
    assert!(matches!(
        t.supervisor_sign_in(pin(&day, &day.supervisor.pin)),
        Err(TerminalError::Supervisor(SupervisorRefusal::NeedsNetwork))
    ));
    assert!(t.supervisor_session().is_none());
    not_signed_in(t.scan_return(LabelEntry::Scanned(&label), &IntakeInput::default()));
    assert_eq!(tip(&t), before, "nothing was recorded");
    // Signing out ends supervisor mode.
    sign_in(&mut t, &day);
    assert!(t.supervisor_session().is_some());
    t.supervisor_sign_out();
    not_signed_in(t.scan_return(LabelEntry::Scanned(&label), &IntakeInput::default()));
}

/// A well-formed badge of the day's supervisor with a wrong token.
fn wrong_badge(day: &common::Day, n: u8) -> String {
    courier_protocol::supervisor::format_badge(&day.supervisor.supervisor_id, &[n; 16])
}

#[test]
fn offline_a_wrong_badge_spends_a_try_and_the_supervisor_locks_at_the_limit() {
    let day = common::day(2);
    let mut t = open(&day);
    let info = |t: &Terminal| t.supervisors().expect("supervisors")[0].clone();
    let limit = info(&t).tries_left;
    assert_eq!(limit, 5);
    // Malformed input spends nothing.
    assert!(matches!(
        t.supervisor_sign_in(pin(&day, "12ab56")),
        Err(TerminalError::Supervisor(SupervisorRefusal::Format(_)))
    ));
    assert_eq!(info(&t).tries_left, limit);
    // Two wrong, then the right badge: the counter starts again.
    for left in [4, 3] {
        let a = t
            .supervisor_sign_in(SupervisorEntry::Badge(&wrong_badge(&day, left as u8)))
            .expect("answer");
        assert_eq!(a, SignInAnswer::Wrong { tries_left: left });
        assert_eq!(info(&t).tries_left, left);
    }
    let a = t
        .supervisor_sign_in(SupervisorEntry::Badge(&day.supervisor.badge_text))
        .expect("answer");
    assert!(matches!(a, SignInAnswer::SignedIn(_)), "{a:?}");
    assert_eq!(info(&t).tries_left, limit);
    // Five wrong in a row lock the supervisor, the last one says so; the
    // right badge then spends nothing and opens nothing.
    for n in 1..=limit {
        let a = t
            .supervisor_sign_in(SupervisorEntry::Badge(&wrong_badge(&day, n as u8)))
            .expect("answer");
        if n < limit {
            assert_eq!(
                a,
                SignInAnswer::Wrong {
                    tries_left: limit - n
                }
            );
        } else {
            assert_eq!(a, SignInAnswer::Locked { limit });
        }
    }
    assert!(info(&t).locked);
    let a = t
        .supervisor_sign_in(SupervisorEntry::Badge(&day.supervisor.badge_text))
        .expect("answer");
    assert_eq!(a, SignInAnswer::Locked { limit });
    assert!(t.supervisor_session().is_none());
    // The counter is on disk: a restart does not give the tries back.
    drop(t);
    let t = open(&day);
    assert!(info(&t).locked);
}

#[test]
fn a_supervisor_event_carries_a_proof_bound_to_it() {
    let day = common::day(2);
    let mut t = open(&day);
    sign_in(&mut t, &day);
    let events = t.store().all_events().expect("events");
    let e = events.last().expect("sign-in event");
    assert_eq!(e.body.kind, EventKind::SupervisorSignedIn);
    let s = e.body.supervisor.as_ref().expect("proof");
    assert_eq!(s.supervisor_id, day.supervisor.supervisor_id);
    // The badge's K (as the server keeps it) verifies this proof, and no other body.
    let (issued, _) =
        courier_devtools::sample_day::sample_supervisor(common::TEST_ITERATIONS).expect("cred");
    let spec = issued.credential.badge.expect("badge");
    let (_, secret) =
        courier_protocol::supervisor::SupervisorSecret::badge(&day.supervisor.badge_text)
            .expect("badge");
    let k: CodeKey = secret.derive_key(
        &hex::decode(&spec.salt).expect("hex"),
        std::num::NonZeroU32::new(spec.iterations).expect("iterations"),
    );
    let proof = hex::decode(&s.proof).expect("hex");
    assert!(verify_supervisor_proof(
        &k,
        &e.body.supervisor_digest().expect("digest"),
        &proof
    ));
    let mut other = e.body.clone();
    other.detail.insert("name".into(), "someone else".into());
    assert!(!verify_supervisor_proof(
        &k,
        &other.supervisor_digest().expect("digest"),
        &proof
    ));
}

#[test]
fn a_scan_in_with_one_missing_and_one_unexpected_shows_both() {
    let day = common::day(6);
    let mut t = open(&day);
    let delivered = deliver_one(&mut t, &day);
    let failed = delivery_labels(&t)
        .into_iter()
        .find(|l| *l != delivered)
        .expect("another delivery");
    t.record_outcome(
        &failed,
        Outcome::CarrierProblem,
        Some(Reason::Vehicle),
        None,
    )
    .expect("outcome");
    let mut returns: Vec<String> = t
        .day_book()
        .expect("book")
        .lines
        .iter()
        .map(|l| l.label.clone())
        .filter(|l| *l != failed)
        .collect();
    returns.insert(0, failed);
    assert!(returns.len() >= 3, "enough returns: {returns:?}");
    assert!(!returns.contains(&delivered));
    sign_in(&mut t, &day);
    let book = t.day_book().expect("book");
    assert!(book.lines.iter().all(|l| l.received.is_none()));
    let missing = returns.last().expect("one left").clone();
    for (i, label) in returns.iter().filter(|l| **l != missing).enumerate() {
        let intake = if i == 0 {
            IntakeInput {
                condition: Condition::Damaged,
                note: Some("box crushed on one corner".into()),
            }
        } else {
            IntakeInput::default()
        };
        let entry = if i == 1 {
            LabelEntry::Typed(label)
        } else {
            LabelEntry::Scanned(label)
        };
        let a = t.scan_return(entry, &intake).expect("scan");
        assert_eq!(
            a.verdict,
            ScanVerdict::Received(ReturnItem::Parcel),
            "{label}"
        );
        assert!(a.event.is_some());
    }
    // A second scan of the same label records nothing.
    let again = t
        .scan_return(LabelEntry::Scanned(&returns[0]), &IntakeInput::default())
        .expect("scan");
    assert_eq!(again.verdict, ScanVerdict::AlreadyReceived);
    assert!(again.event.is_none());
    // Damaged without a note is refused before anything is recorded.
    assert!(matches!(
        t.scan_return(
            LabelEntry::Scanned(&missing),
            &IntakeInput {
                condition: Condition::Opened,
                note: None
            }
        ),
        Err(TerminalError::Refused(Refusal::ConditionNeedsReason))
    ));
    let stranger = t
        .scan_return(
            LabelEntry::Scanned("ZZ-NOT-OURS-1"),
            &IntakeInput::default(),
        )
        .expect("scan");
    assert_eq!(
        stranger.verdict,
        ScanVerdict::Unexpected(UnexpectedWhy::NotInManifest)
    );
    assert!(stranger.event.is_some());
    let was_delivered = t
        .scan_return(LabelEntry::Scanned(&delivered), &IntakeInput::default())
        .expect("scan");
    assert_eq!(
        was_delivered.verdict,
        ScanVerdict::Unexpected(UnexpectedWhy::WasDelivered)
    );
    assert_eq!(was_delivered.counts.missing, 1);
    assert_eq!(was_delivered.counts.unexpected, 2);
    // The book, from the log, shows the missing one and the unexpected ones at once.
    let book = t.day_book().expect("book");
    let missing_now: Vec<&str> = book.missing().map(|l| l.label.as_str()).collect();
    assert_eq!(missing_now, [missing.as_str()]);
    let unexpected: Vec<&str> = book.unexpected.iter().map(|u| u.label.as_str()).collect();
    assert_eq!(unexpected, ["ZZ-NOT-OURS-1", delivered.as_str()]);
    let damaged = book.line(&returns[0]).expect("line");
    let intake = damaged.received.as_ref().expect("received");
    assert_eq!(intake.condition, Condition::Damaged);
    assert_eq!(intake.supervisor_id.as_deref(), Some("SUP-ALGER-EST-1"));
    assert_eq!(
        damaged.fees.why,
        PayerWhy::Outcome {
            outcome: Outcome::CarrierProblem,
            reason: Some(Reason::Vehicle)
        }
    );
    assert_eq!(damaged.fees.payer, Liability::Carrier);
    let totals = t.day_totals().expect("totals");
    assert_eq!(totals.missing, vec![missing.clone()]);
    assert_eq!(totals.unexpected.len(), 2);
}

#[test]
fn a_fee_change_without_the_second_proof_is_refused() {
    let day = common::day(4);
    let mut t = open(&day);
    let label = delivery_labels(&t)[0].clone();
    t.record_outcome(&label, Outcome::CarrierProblem, Some(Reason::Vehicle), None)
        .expect("outcome");
    let req = FeeChangeRequest {
        label: label.clone(),
        payer: Liability::Seller,
        note: "seller gave an address that does not exist".into(),
    };
    // The courier's confirmation alone does not change who pays.
    t.confirm_fee_change_as_courier(&req)
        .expect("courier confirms");
    not_signed_in(t.change_fee(&req));
    assert_eq!(
        t.day_book()
            .expect("book")
            .line(&label)
            .expect("line")
            .fees
            .payer,
        Liability::Carrier
    );
    // The supervisor alone cannot either: the courier's confirmation must be
    // of this very change.
    sign_in(&mut t, &day);
    let other = FeeChangeRequest {
        payer: Liability::Buyer,
        ..req.clone()
    };
    assert!(matches!(
        t.change_fee(&other),
        Err(TerminalError::Refused(Refusal::ConfirmationOutdated))
    ));
    // A change with no reason is refused by the rules, whoever confirms.
    let no_reason = FeeChangeRequest {
        note: " ".into(),
        ..req.clone()
    };
    assert!(matches!(
        t.confirm_fee_change_as_courier(&no_reason),
        Err(TerminalError::Refused(Refusal::BadFeeChange(_)))
    ));
    // Both: a new event pointing to the outcome.
    let e = t.change_fee(&req).expect("fee change");
    assert_eq!(e.body.kind, EventKind::FeeChanged);
    assert_eq!(e.body.liability, Some(Liability::Seller));
    assert!(e.body.supervisor.is_some());
    let line_book = t.day_book().expect("book");
    let line = line_book.line(&label).expect("line");
    assert_eq!(line.fees.payer, Liability::Seller);
    assert_eq!(
        e.body.corrects.as_deref(),
        line.outcome_event.as_ref().map(|o| o.event_id.as_str())
    );
    assert!(matches!(line.fees.why, PayerWhy::Changed { .. }));
    // One confirmation serves one change.
    let back = FeeChangeRequest {
        payer: Liability::Carrier,
        ..req.clone()
    };
    assert!(matches!(
        t.change_fee(&back),
        Err(TerminalError::Refused(Refusal::CourierConfirmationRequired))
    ));
}

#[test]
fn the_day_closes_only_when_accounted_for_or_forced_with_a_reason() {
    let day = common::day(4);
    let mut t = open(&day);
    let labels: Vec<String> = t
        .day_book()
        .expect("book")
        .lines
        .iter()
        .map(|l| l.label.clone())
        .collect();
    sign_in(&mut t, &day);
    for l in &labels[1..] {
        t.scan_return(LabelEntry::Scanned(l), &IntakeInput::default())
            .expect("scan");
    }
    // Without the courier's confirmation of these totals: refused.
    assert!(matches!(
        t.close_day(Some("van broke down")),
        Err(TerminalError::Refused(Refusal::CourierConfirmationRequired))
    ));
    t.confirm_day_close_as_courier().expect("courier confirms");
    // One return missing: refused without a reason, and with an empty one.
    assert!(matches!(
        t.close_day(None),
        Err(TerminalError::Refused(Refusal::ReturnsUnaccounted {
            missing: 1
        }))
    ));
    assert!(matches!(
        t.close_day(Some("  ")),
        Err(TerminalError::Refused(Refusal::ForceNeedsReason))
    ));
    let head = t.store().chain_tip().expect("tip");
    let e = t
        .close_day(Some("parcel left in the van, brought tomorrow"))
        .expect("forced close");
    assert_eq!(e.body.kind, EventKind::DayClosed);
    let record = e.body.day.as_ref().expect("day record");
    assert!(record.forced);
    assert_eq!(record.totals.missing, vec![labels[0].clone()]);
    assert_eq!(record.head_seq, head.seq);
    assert_eq!(record.head_hash, head.hash);
    assert!(e.body.supervisor.is_some());
}

#[test]
fn a_day_with_every_return_in_closes_without_force() {
    let day = common::day(4);
    let mut t = open(&day);
    sign_in(&mut t, &day);
    let expected: Vec<String> = t
        .day_book()
        .expect("book")
        .lines
        .iter()
        .map(|l| l.label.clone())
        .collect();
    for l in &expected {
        t.scan_return(LabelEntry::Scanned(l), &IntakeInput::default())
            .expect("scan");
    }
    t.confirm_day_close_as_courier().expect("courier confirms");
    // A scan after the confirmation changes the totals: confirm again.
    t.scan_return(LabelEntry::Scanned("LATE-1"), &IntakeInput::default())
        .expect("scan");
    assert!(matches!(
        t.close_day(None),
        Err(TerminalError::Refused(Refusal::ConfirmationOutdated))
    ));
    t.confirm_day_close_as_courier().expect("courier confirms");
    let e = t.close_day(None).expect("close");
    let record = e.body.day.expect("record");
    assert!(!record.forced);
    assert!(record.totals.missing.is_empty());
    assert_eq!(record.totals.unexpected, vec!["LATE-1".to_owned()]);
    // After the close, a new day starts: nothing is expected any more.
    assert!(t.day_book().expect("book").lines.is_empty());
    // Issue 22, message 2: closing again says the day is closed, not that the
    // courier must confirm.
    let again = t.close_day(None);
    assert!(
        matches!(
            again,
            Err(TerminalError::Refused(Refusal::DayAlreadyClosed))
        ),
        "{again:?}"
    );
    assert!(
        !again
            .expect_err("refused")
            .to_string()
            .contains("must confirm")
    );
}

fn run_cli(day: &common::Day, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = common::cli(&day.dir.0)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run courier-terminal");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

#[test]
fn the_command_line_scans_in_with_the_badge_from_standard_input() {
    let day = common::day(4);
    let label = {
        let t = open(&day);
        t.day_book().expect("book").lines[0].label.clone()
    };
    let id = day.supervisor.supervisor_id.clone();
    // A PIN with no server: sign-in needs the network, nothing scanned.
    let o = run_cli(
        &day,
        &["depot", "scan-in", "--supervisor", &id, "--json"],
        &format!("{}\n{label}\n", day.supervisor.pin),
    );
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(o.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("needs the network"),
        "{o:?}"
    );
    // A wrong badge: refused, nothing scanned.
    let o = run_cli(
        &day,
        &["depot", "scan-in", "--json"],
        &format!("{}\n{label}\n", wrong_badge(&day, 1)),
    );
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(o.stdout.is_empty());
    // The right badge (offline, as the sample depot allows), then a label of
    // the day and a stranger: both verdicts, exit 6 for the alarm (issue 22:
    // 2 is a usage error in the README).
    let o = run_cli(
        &day,
        &["depot", "scan-in", "--json"],
        &format!("{}\n{label}\nZZ-STRANGER\n", day.supervisor.badge_text),
    );
    assert_eq!(o.status.code(), Some(6), "{o:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["verdict"]["verdict"], "received");
    assert_eq!(lines[1]["verdict"]["verdict"], "unexpected");
    assert_eq!(lines[1]["verdict"]["detail"], "not_in_manifest");
    let t = open(&day);
    let book = t.day_book().expect("book");
    assert!(book.line(&label).expect("line").received.is_some());
    assert_eq!(book.unexpected.len(), 1);
    // `depot returns --json`: one row per expected return, then the alarms.
    let o = run_cli(&day, &["depot", "returns", "--json"], "");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), book.lines.len() + 1);
    assert_eq!(rows[0]["label"], label.as_str());
    assert_eq!(rows[0]["status"], "received");
    assert_eq!(rows[0]["condition"], "intact");
    assert_eq!(rows[0]["because"], "not_attempted");
    assert_eq!(rows[0]["payer"], "carrier");
    let last = rows.last().expect("alarm row");
    assert_eq!(last["status"], "unexpected");
    assert_eq!(last["why"], "not_in_manifest");
}

/// The system clocks, moved forward on demand.
struct SkippingClock {
    ahead_ms: std::sync::atomic::AtomicI64,
    real: courier_terminal::clock::SystemClock,
}

impl courier_terminal::clock::Clock for SkippingClock {
    fn now(&self) -> courier_protocol::envelope::ClockStamp {
        let mut c = self.real.now();
        let ahead = self.ahead_ms.load(std::sync::atomic::Ordering::SeqCst);
        c.device_utc_ms += ahead;
        c.monotonic_ms += ahead;
        c
    }
}

#[test]
fn the_supervisor_session_ends_when_idle_and_every_step_needs_it_again() {
    use courier_terminal::terminal::supervisor::SESSION_IDLE_MS;
    let day = common::day(2);
    let clock = Arc::new(SkippingClock {
        ahead_ms: std::sync::atomic::AtomicI64::new(0),
        real: courier_terminal::clock::SystemClock::new(),
    });
    let mut t = Terminal::open(&day.dir, clock.clone(), Arc::new(NoPosition)).expect("open");
    sign_in(&mut t, &day);
    let label = t.day_book().expect("book").lines[0].label.clone();
    clock
        .ahead_ms
        .store(SESSION_IDLE_MS - 1_000, std::sync::atomic::Ordering::SeqCst);
    // A step within the idle time restarts it.
    t.scan_return(LabelEntry::Scanned(&label), &IntakeInput::default())
        .expect("scan while live");
    clock.ahead_ms.store(
        2 * SESSION_IDLE_MS + 1_000,
        std::sync::atomic::Ordering::SeqCst,
    );
    assert!(t.supervisor_session().is_none());
    assert!(matches!(
        t.close_day(Some("x")),
        Err(TerminalError::Supervisor(SupervisorRefusal::SessionExpired))
    ));
    not_signed_in(t.close_day(Some("x")));
}

/// Issue 21, point 8: the terminal never records an event the server would
/// refuse for its size: a label or a reason past its bound is refused before
/// anything is written, and says which field and what to do.
#[test]
fn a_text_past_its_bound_is_refused_before_it_is_recorded() {
    let day = common::day(3);
    let mut t = open(&day);
    sign_in(&mut t, &day);
    let before = t.store().chain_tip().expect("tip").seq;
    let long_label = "Z".repeat(courier_protocol::bounds::MAX_LABEL_CHARS + 1);
    let e = t
        .scan_return(LabelEntry::Typed(&long_label), &IntakeInput::default())
        .expect_err("too long");
    assert!(matches!(e, TerminalError::OutOfBounds(_)), "{e:?}");
    assert!(e.to_string().contains("detail.label"), "{e}");
    assert!(e.to_string().contains("nothing was recorded"), "{e}");
    let reason = "r".repeat(courier_protocol::bounds::MAX_NOTE_CHARS + 1);
    t.confirm_day_close_as_courier().expect("courier confirms");
    let before_close = t.store().chain_tip().expect("tip").seq;
    let e = t.close_day(Some(&reason)).expect_err("too long");
    assert!(matches!(e, TerminalError::OutOfBounds(_)), "{e:?}");
    assert!(e.to_string().contains("day.force_reason"), "{e}");
    assert_eq!(t.store().chain_tip().expect("tip").seq, before_close);
    assert!(before_close > before);
}

/// An offline-code delivery parcel of the day, with its code.
fn offline_delivery(t: &Terminal, day: &common::Day) -> courier_devtools::sample_day::SampleCode {
    day.codes
        .iter()
        .find(|c| {
            c.policy == CodePolicy::OfflineAllowed
                && t.parcel(&c.label).expect("parcel").spec.kind == ParcelKind::Delivery
        })
        .expect("an offline delivery")
        .clone()
}

#[test]
fn after_scan_in_a_correction_of_the_outcome_needs_the_supervisor() {
    let day = common::day(4);
    let mut t = open(&day);
    let label = delivery_labels(&t)[0].clone();
    let outcome = t
        .record_outcome(&label, Outcome::CarrierProblem, Some(Reason::Vehicle), None)
        .expect("outcome");
    sign_in(&mut t, &day);
    t.scan_return(LabelEntry::Scanned(&label), &IntakeInput::default())
        .expect("scan-in");
    t.supervisor_sign_out();
    // The courier alone moves the fee from the carrier to the buyer: refused.
    let before = tip(&t);
    assert!(matches!(
        t.correct(
            &outcome.body.event_id,
            Outcome::BuyerCancelled,
            Some(Reason::ChangedMind),
            "the buyer phoned"
        ),
        Err(TerminalError::Refused(Refusal::SupervisorRequired))
    ));
    assert_eq!(tip(&t), before, "nothing was recorded");
    // With the supervisor signed in, the correction carries their proof.
    sign_in(&mut t, &day);
    let e = t
        .correct(
            &outcome.body.event_id,
            Outcome::BuyerCancelled,
            Some(Reason::ChangedMind),
            "the buyer phoned",
        )
        .expect("supervised correction");
    assert_eq!(e.body.kind, EventKind::Correction);
    assert!(e.body.supervisor.is_some());
    // The day's totals carry who pays: the buyer, now.
    assert_eq!(
        t.day_totals().expect("totals").payers.get(&label),
        Some(&Liability::Buyer)
    );
}

#[test]
fn after_a_signed_close_a_missing_parcel_is_handed_over_only_after_a_reopening() {
    let day = common::day(4);
    let mut t = open(&day);
    let code = offline_delivery(&t, &day);
    t.record_outcome(
        &code.label,
        Outcome::CarrierProblem,
        Some(Reason::Vehicle),
        None,
    )
    .expect("outcome");
    t.confirm_day_close_as_courier().expect("courier confirms");
    sign_in(&mut t, &day);
    let close = t
        .close_day(Some("the parcel stayed in the van"))
        .expect("forced close");
    let missing = &close.body.day.as_ref().expect("record").totals.missing;
    assert!(missing.contains(&code.label), "{missing:?}");
    t.supervisor_sign_out();
    // A late "delivered" with the right code: refused, nothing handed over.
    t.arrive(&code.label).expect("arrive");
    assert!(matches!(
        t.submit_code(&code.label, CodeEntry::Keypad(&code.numeric)),
        Err(TerminalError::Refused(Refusal::DayClosedMissing { .. }))
    ));
    assert_ne!(
        t.parcel(&code.label).expect("parcel").state,
        courier_protocol::rules::parcel::ParcelState::Delivered
    );
    // The courier alone cannot reopen; the supervisor can, then it is handed over.
    not_signed_in(t.reopen_day("the buyer came to the depot"));
    sign_in(&mut t, &day);
    let e = t.reopen_day("the buyer came to the depot").expect("reopen");
    assert_eq!(e.body.kind, EventKind::DayReopened);
    let a = t
        .submit_code(&code.label, CodeEntry::Keypad(&code.numeric))
        .expect("code");
    assert_eq!(a.verdict, CodeVerdict::Delivered);
}
