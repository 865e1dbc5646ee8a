//! The same rules on both sides, end to end: random doorstep sequences are fed
//! to a real `Terminal` (its use cases, its store) and, event by event, to the
//! reference server's ingest (its storage: SQLite, or PostgreSQL when
//! `ESCROW_TEST_DATABASE_URL` is set, as `scripts/postgres-test.sh` does).
//!
//! For every step the two decisions are compared: an event the terminal
//! records is accepted by the server, and the parcel's state, visit and try
//! counter agree afterwards (the server's stored events replayed through its
//! ledger, and its own try counter); a step the terminal refuses by the shared
//! rules, sent anyway as a rogue device would (sealed with the device key at
//! the chain tip), is recorded but not honoured by the server, and changes
//! neither the parcel's ledger nor its try counter (decided in a transaction
//! that is rolled back, so the terminal's own chain goes on).
//!
//! The not-honoured path with the terminal's own events: a step may give the
//! order to another device (the back office reassigns it). From then on every
//! event the terminal records is still stored (accepted or not honoured,
//! never rejected: the device's log never stops at the server); every outcome
//! is not honoured with `not_holder`; and a not-honoured event always leaves
//! the server's ledger and try counter as they were. Before it, every event
//! the terminal records is accepted.
//!
//! The depot's steps are in the domain too (issue 21): a supervisor signed in
//! at the server (a real session), a scan-in, a correction of the latest
//! outcome with or without the supervisor, a signed close and a reopening, so
//! the four-eyes rules (a correction after scan-in or close, a late delivery
//! after a close) are compared on both sides as well.

mod sync_support;

use std::collections::HashSet;
use std::sync::Arc;

use courier_protocol::api::{EventStatus, RejectReason};
use courier_protocol::envelope::{ClockStamp, PositionRecord, SignedEvent};
use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::rules::parcel::ParcelState;
use courier_protocol::rules::{DayStatus, EventDraft, ParcelLedger};
use courier_protocol::supervisor_session::{SupervisorSignInAnswer, SupervisorSignInRequest};
use courier_protocol::vocabulary::SupervisorFactor;
use courier_protocol::vocabulary::{CodePolicy, EventKind, Outcome};
use courier_terminal::clock::{Clock as _, SystemClock};
use courier_terminal::device_key::DeviceKey;
use courier_terminal::domain::event_draft::{Recorder, Stamp, into_body};
use courier_terminal::domain::refusal::Refusal;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::Reads as _;
use courier_terminal::terminal::{
    APP_VERSION, CodeEntry, ContactChannel, DataDir, IntakeInput, LabelEntry, SignInAnswer,
    SignInUnavailable, SupervisorEntry, SupervisorSignInServer, Terminal, TerminalError,
};
use escrow_reference_server::admin;
use escrow_reference_server::batch::{BatchKeys, Uploaded};
use escrow_reference_server::ingest::{ingest, plan};
use escrow_reference_server::supervisor_session::sign_in;
use proptest::prelude::*;
use sync_support::{Server, enroll};

#[derive(Debug, Clone)]
enum Step {
    Arrive,
    Inspect,
    Contact,
    Code {
        right: bool,
    },
    Outcome(Outcome, usize),
    /// The back office gives the order to another device.
    Reassign,
    /// Correct the latest outcome into this one, with the supervisor or alone.
    Correct(Outcome, usize, bool),
    /// The supervisor scans the parcel in.
    CheckIn,
    /// The courier confirms the totals and the supervisor closes the day.
    Close,
    /// The supervisor reopens the day.
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => Just(Step::Arrive),
        4 => Just(Step::Inspect),
        4 => Just(Step::Contact),
        4 => prop::bool::weighted(0.2).prop_map(|right| Step::Code { right }),
        4 => (prop::sample::select(Outcome::ALL.to_vec()), 0usize..5)
            .prop_map(|(o, r)| Step::Outcome(o, r)),
        2 => Just(Step::Reassign),
        2 => (
            prop::sample::select(Outcome::ALL.to_vec()),
            0usize..5,
            prop::bool::ANY
        )
            .prop_map(|(o, r, s)| Step::Correct(o, r, s)),
        2 => Just(Step::CheckIn),
        1 => Just(Step::Close),
        1 => Just(Step::Reopen),
    ]
}

/// The supervisor of the test depot, at the server.
const SUPERVISOR: &str = "SUP-RB-1";
const PIN: &str = "2468";

/// The server's answer to one sign-in, fetched by the test (async) and
/// relayed to the terminal (whose sign-in is synchronous).
struct Canned(std::sync::Mutex<Option<SupervisorSignInAnswer>>);

impl SupervisorSignInServer for Canned {
    fn sign_in(
        &self,
        _: &SupervisorSignInRequest,
    ) -> Result<SupervisorSignInAnswer, SignInUnavailable> {
        self.0
            .lock()
            .expect("canned answer")
            .take()
            .ok_or_else(|| SignInUnavailable::Unreachable("no answer fetched".into()))
    }
}

/// Refusals that come from the terminal's own evidence (position, waiting,
/// contacts before "no answer"), which the server cannot see.
fn terminal_only(r: &Refusal) -> bool {
    matches!(
        r,
        Refusal::NoAnswerNeedsFix
            | Refusal::NoAnswerTooFar { .. }
            | Refusal::NoAnswerWaitNotOver { .. }
            | Refusal::NoAnswerNeedsContacts { .. }
    )
}

struct Both {
    server: Server,
    device_id: String,
    dir: DataDir,
    terminal: Terminal,
    key: DeviceKey,
    label: String,
    parcel_id: String,
    order_ref: String,
    code: String,
    uploaded: u64,
    /// The order was given to another device.
    reassigned: bool,
    /// Events the server recorded without effect.
    not_honoured: HashSet<String>,
    canned: Arc<Canned>,
    _tmp: tempfile::TempDir,
}

impl Both {
    async fn new() -> Both {
        let server = Server::start_on_test_database().await;
        server
            .supervisor(SUPERVISOR, "Samira", "Depot", PIN, false)
            .await;
        let order = server.order("O-1", CodePolicy::OfflineAllowed);
        let tmp = tempfile::tempdir().expect("tmp");
        let data = tmp.path().join("device");
        let device_id = enroll(&server, &data).await;
        let manifest = server.manifest(&device_id, &[&order.parcel_id], 3_600_000);
        let dir = DataDir(data);
        let mut terminal = Terminal::open(&dir, Arc::new(SystemClock::new()), Arc::new(NoPosition))
            .expect("open terminal");
        terminal.load_manifest(&manifest).expect("manifest");
        let canned = Arc::new(Canned(std::sync::Mutex::new(None)));
        terminal.set_supervisor_server(canned.clone());
        let key = DeviceKey::load(&dir.key()).expect("device key");
        let label = terminal.parcels().expect("parcels")[0].spec.label.clone();
        let mut both = Both {
            server,
            device_id,
            dir,
            terminal,
            key,
            label,
            parcel_id: order.parcel_id,
            order_ref: order.order_ref,
            code: order.numeric_code,
            uploaded: 0,
            reassigned: false,
            not_honoured: HashSet::new(),
            canned,
            _tmp: tmp,
        };
        let results = both.upload_new().await;
        assert!(
            results.iter().all(|s| *s == EventStatus::Accepted),
            "{results:?}"
        );
        both
    }

    /// Feeds the server's ingest every event the terminal recorded since the last call.
    async fn upload_new(&mut self) -> Vec<EventStatus> {
        let events: Vec<SignedEvent> = self
            .terminal
            .store()
            .all_events()
            .expect("events")
            .into_iter()
            .filter(|e| e.body.seq > self.uploaded)
            .collect();
        let mut statuses = Vec::new();
        for e in events {
            self.uploaded = e.body.seq;
            let before = self.server_view().await;
            let (id, kind) = (e.body.event_id.clone(), e.body.kind);
            let (status, reason) = self.ingest(e).await;
            if status == EventStatus::NotHonoured {
                self.not_honoured.insert(id.clone());
                assert_eq!(
                    self.server_view().await,
                    before,
                    "a not-honoured {kind:?} ({reason:?}) changed the server's ledger or counter"
                );
                assert!(
                    self.reassigned,
                    "the terminal's own {kind:?} not honoured ({reason:?}) though it holds the order"
                );
            }
            // Once the order is another device's, no outcome of this one settles it
            // (its other events are judged by the rules on the server's view).
            if self.reassigned && kind == EventKind::Outcome {
                assert_eq!(
                    (status, reason),
                    (EventStatus::NotHonoured, Some(RejectReason::NotHolder)),
                    "event {id}"
                );
            }
            statuses.push(status);
        }
        statuses
    }

    async fn ingest(&self, e: SignedEvent) -> (EventStatus, Option<RejectReason>) {
        let state = self.server.state();
        let outcome = ingest(
            state.store(),
            &self.device_id,
            &[Uploaded::Event(Box::new(e))],
            state.now_ms(),
        )
        .await
        .expect("ingest");
        (outcome.results[0].status, outcome.results[0].reason)
    }

    /// What the server's ingest decides for `e`, in a transaction that is
    /// rolled back (nothing stored): its status, and whether it would change
    /// the parcel's ledger or try counter.
    async fn decide(&self, e: SignedEvent) -> (EventStatus, Option<RejectReason>, bool) {
        let store = self.server.state().store();
        let uploaded = [Uploaded::Event(Box::new(e))];
        let mut tx = store.begin_batch().await.expect("begin");
        let ctx = tx
            .load_batch(&self.device_id, &BatchKeys::of(&uploaded))
            .await
            .expect("load")
            .expect("device");
        let (outcome, writes) = plan(ctx, &uploaded).expect("plan");
        drop(tx);
        let effect = writes.ledgers.contains_key(&self.parcel_id)
            || writes.attempts.contains_key(&self.parcel_id);
        (outcome.results[0].status, outcome.results[0].reason, effect)
    }

    /// The back office gives the order to another device (once).
    async fn reassign(&mut self) {
        if self.reassigned {
            return;
        }
        let state = self.server.state();
        let store = state.store();
        let key = keypair_from_pkcs8(&generate_pkcs8().expect("key")).expect("key");
        let token = self.server.token().token;
        let other = format!("dev-other-{}", uuid::Uuid::now_v7().simple());
        store
            .enroll(
                &admin::token_hash(&token),
                &other,
                &Signer::public_key(&key),
                "other",
                state.now_ms(),
            )
            .await
            .expect("enroll the other device");
        self.server.manifest(&other, &[&self.parcel_id], 3_600_000);
        self.reassigned = true;
    }

    /// Signs the supervisor in at the server (a real session) unless a
    /// session is live; the `supervisor_signed_in` event goes up with the step's.
    async fn ensure_supervisor(&mut self) {
        if self.terminal.supervisor_session().is_some() {
            return;
        }
        let state = self.server.state();
        let answer = sign_in(
            state.store(),
            &self.device_id,
            &SupervisorSignInRequest {
                supervisor_id: SUPERVISOR.into(),
                factor: SupervisorFactor::Pin,
                secret: PIN.into(),
            },
            state.now_ms(),
        )
        .await
        .expect("sign-in")
        .expect("a well-formed sign-in");
        *self.canned.0.lock().expect("canned") = Some(answer);
        let a = self
            .terminal
            .supervisor_sign_in(SupervisorEntry::Pin {
                supervisor_id: SUPERVISOR,
                pin: PIN,
            })
            .expect("signed in");
        assert!(matches!(a, SignInAnswer::SignedIn(_)), "{a:?}");
    }

    /// The latest outcome event of the parcel (what a correction points to).
    fn latest_outcome(&self) -> Option<String> {
        self.terminal
            .store()
            .all_events()
            .expect("events")
            .into_iter()
            .rev()
            .find(|e| {
                e.body.parcel_id.as_deref() == Some(&self.parcel_id)
                    && e.body.kind == EventKind::Outcome
            })
            .map(|e| e.body.event_id)
    }

    /// What the step would record, sealed at the device's chain tip.
    fn rogue(&self, draft: EventDraft) -> SignedEvent {
        let store = self.terminal.store();
        let clock = SystemClock::new().now();
        let stamp = Stamp {
            position: PositionRecord::none(),
            clock: ClockStamp {
                device_utc_ms: clock.device_utc_ms,
                monotonic_ms: clock.monotonic_ms,
                boot_id: clock.boot_id,
            },
            gnss_utc_ms: None,
        };
        let recorder = Recorder {
            device_id: &self.device_id,
            manifest_version: store.highest_manifest_version().expect("version"),
            app_version: APP_VERSION,
        };
        let tip = store.chain_tip().expect("tip");
        let body = into_body(
            draft,
            uuid::Uuid::now_v7().to_string(),
            stamp,
            &recorder,
            &tip,
        );
        SignedEvent::seal(body, &self.key).expect("seal")
    }

    /// The terminal's decision of a step: `Ok` when it recorded, the refusal
    /// and the event a rogue device would send otherwise (none for a code).
    async fn act(&mut self, step: &Step) -> Result<(), Box<(TerminalError, Option<EventDraft>)>> {
        if let Step::Reassign = step {
            self.reassign().await;
            return Ok(());
        }
        let label = self.label.clone();
        let (pid, oref) = (self.parcel_id.clone(), self.order_ref.clone());
        let draft = |kind| EventDraft::new(kind).parcel(&pid, &oref);
        let t = &mut self.terminal;
        let (result, draft) = match step {
            Step::Arrive => (t.arrive(&label).map(drop), draft(EventKind::Arrived)),
            Step::Inspect => {
                let mut d = draft(EventKind::InspectionOffered);
                d.inspection_offered = Some(true);
                (t.offer_inspection(&label).map(drop), d)
            }
            Step::Contact => (
                t.contact(&label, ContactChannel::Call).map(drop),
                draft(EventKind::ContactAttempt).detail("channel", "call"),
            ),
            Step::Code { right } => {
                let wrong: String = self
                    .code
                    .chars()
                    .map(|c| {
                        if c == '9' {
                            '0'
                        } else {
                            char::from(c as u8 + 1)
                        }
                    })
                    .collect();
                let code = if *right { self.code.clone() } else { wrong };
                return t
                    .submit_code(&label, CodeEntry::Keypad(&code))
                    .map(drop)
                    .map_err(|e| Box::new((e, None)));
            }
            Step::Outcome(o, r) => {
                let reason = o.reasons().get(*r).copied();
                let d = draft(EventKind::Outcome).outcome(*o, reason);
                (t.record_outcome(&label, *o, reason, None).map(drop), d)
            }
            Step::Reassign => return Ok(()),
            Step::Correct(o, r, _) => {
                let reason = o.reasons().get(*r).copied();
                let Some(corrected) = self.latest_outcome() else {
                    return Ok(());
                };
                let t = &mut self.terminal;
                let mut d = draft(EventKind::Correction)
                    .outcome(*o, reason)
                    .detail("note", "the buyer phoned");
                d.corrects = Some(corrected.clone());
                (
                    t.correct(&corrected, *o, reason, "the buyer phoned")
                        .map(drop),
                    d,
                )
            }
            Step::CheckIn => {
                return t
                    .scan_return(LabelEntry::Scanned(&label), &IntakeInput::default())
                    .map(drop)
                    .map_err(|e| Box::new((e, None)));
            }
            Step::Close => {
                let closed = t
                    .confirm_day_close_as_courier()
                    .and_then(|_| t.close_day(Some("counted tomorrow")));
                return closed.map(drop).map_err(|e| Box::new((e, None)));
            }
            Step::Reopen => {
                return t
                    .reopen_day("the buyer came to the depot")
                    .map(drop)
                    .map_err(|e| Box::new((e, None)));
            }
        };
        result.map_err(|e| Box::new((e, Some(draft))))
    }

    /// The parcel as the server holds it: its stored events replayed through
    /// the ledger (offline tries only: the counter is what the events record),
    /// and its own try counter.
    async fn server_view(&self) -> (ParcelLedger, u32) {
        let store = self.server.state().store();
        let order = store
            .order(&self.parcel_id)
            .await
            .expect("order")
            .expect("order known");
        let spec = self.terminal.parcel(&self.label).expect("parcel").spec;
        let mut ledger = ParcelLedger::default();
        let mut day = DayStatus::default();
        for e in store
            .device_events(&self.device_id)
            .await
            .expect("events")
            .into_iter()
            .filter(|e| !self.not_honoured.contains(&e.body.event_id))
        {
            if e.body.parcel_id.as_deref() == Some(&self.parcel_id) {
                ledger = ledger
                    .apply(&spec, false, 0, &e.body, &day)
                    .expect("a stored event replays")
                    .0;
            }
            day.push(&e.body);
        }
        (ledger, order.attempts_spent)
    }
}

async fn run(steps: Vec<Step>) {
    let mut both = Both::new().await;
    let stored = |s: &EventStatus| matches!(s, EventStatus::Accepted | EventStatus::NotHonoured);
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Correct(_, _, true) | Step::CheckIn | Step::Close | Step::Reopen => {
                both.ensure_supervisor().await;
                // The sign-in is an event of the chain: the server holds it
                // before a step (or a rogue one) is sealed after it.
                let statuses = both.upload_new().await;
                assert!(statuses.iter().all(stored), "sign-in: {statuses:?}");
            }
            Step::Correct(_, _, false) => both.terminal.supervisor_sign_out(),
            _ => {}
        }
        match both.act(step).await.map_err(|b| *b) {
            Ok(()) if matches!(step, Step::Reassign) => {}
            Ok(()) => {
                let statuses = both.upload_new().await;
                // A scan-in of a return already in, or a correction with no
                // outcome to correct, records nothing.
                let may_record_nothing = matches!(step, Step::CheckIn | Step::Correct(..));
                assert!(
                    (may_record_nothing || !statuses.is_empty()) && statuses.iter().all(stored),
                    "step {i} {step:?}: the terminal recorded, the server answered {statuses:?}"
                );
                if !both.reassigned {
                    assert!(
                        statuses.iter().all(|s| *s == EventStatus::Accepted),
                        "step {i} {step:?}: the terminal recorded, the server answered {statuses:?}"
                    );
                }
            }
            Err((TerminalError::Refused(r), Some(draft))) if !terminal_only(&r) => {
                let rogue = both.rogue(draft);
                let (status, reason, effect) = both.decide(rogue).await;
                assert_ne!(
                    status,
                    EventStatus::Rejected,
                    "step {i} {step:?}: not stored ({reason:?})"
                );
                if both.reassigned {
                    // The two views of the order differ from here on.
                    continue;
                }
                assert_eq!(
                    status,
                    EventStatus::NotHonoured,
                    "step {i} {step:?}: the terminal refused ({r}), the server would honour it"
                );
                assert!(
                    !effect,
                    "step {i} {step:?}: a not-honoured event would change the ledger or counter"
                );
            }
            Err((TerminalError::Refused(_) | TerminalError::CodeFormat(_), _)) => {}
            Err((e, _)) => panic!("step {i} {step:?}: {e}"),
        }
        // Whatever the terminal recorded meanwhile (an arrival before a code).
        let statuses = both.upload_new().await;
        assert!(statuses.iter().all(stored), "{statuses:?}");
        if both.reassigned {
            // The server holds the other device's view of the order now:
            // only "stored, never refused" and "no effect" are compared.
            continue;
        }
        let p = both.terminal.parcel(&both.label).expect("parcel");
        let (ledger, tries) = both.server_view().await;
        assert_eq!(p.state, ledger.state, "step {i} {step:?}: state");
        assert_eq!(
            p.visit.is_some(),
            ledger.at_door,
            "step {i} {step:?}: visit"
        );
        assert_eq!(
            p.visit.as_ref().is_some_and(|v| v.inspection_offered),
            ledger.inspection_offered,
            "step {i} {step:?}: inspection"
        );
        // A right code's try is given back by the server (it counts wrong
        // codes); the terminal keeps the counter of tries it spent.
        if p.state != ParcelState::Delivered {
            assert_eq!(p.attempts_spent, tries, "step {i} {step:?}: tries");
        }
    }
    let _ = &both.dir;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn terminal_and_server_decide_every_event_alike(steps in prop::collection::vec(step(), 1..14)) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(run(steps));
    }
}
