//! Stop desks on the terminals (issue 25, point 3): the courier hands a
//! parcel to its desk (his terminal records the handover and shows a ticket),
//! the desk's terminal takes it in from the scanned ticket or the typed
//! label, the buyer collects at the desk with the same code, and a parcel
//! not collected within the holding period goes back as a return, the buyer
//! liable. Both terminals decide through the shared rules
//! (`courier_protocol::rules::desk`).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use courier_protocol::desk_stop::DeskStop;
use courier_protocol::envelope::ClockStamp;
use courier_protocol::keys::Signer;
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::desk::HandoverTicket;
use courier_protocol::vocabulary::{CodePolicy, EventKind, Liability, Outcome, ParcelKind};
use courier_terminal::clock::{Clock, SystemClock};
use courier_terminal::domain::code_check::CodeVerdict;
use courier_terminal::domain::refusal::Refusal;
use courier_terminal::position_source::NoPosition;
use courier_terminal::terminal::{CodeEntry, DataDir, LabelEntry, Terminal, TerminalError, init};

const DAY_MS: i64 = 86_400_000;

/// The system clock moved forward by a settable offset.
struct LaterClock {
    offset_ms: AtomicI64,
    system: SystemClock,
}

impl Clock for LaterClock {
    fn now(&self) -> ClockStamp {
        let mut c = self.system.now();
        c.device_utc_ms += self.offset_ms.load(Ordering::SeqCst);
        c
    }
}

/// A courier's day (his manifest routes every parcel to the desk) and a
/// desk's terminal holding the same parcels, both under one server key.
struct DeskDay {
    day: common::Day,
    courier: Terminal,
    desk: Terminal,
    desk_clock: Arc<LaterClock>,
    _desk_dir: tempfile::TempDir,
}

fn desk_day(parcels: usize) -> DeskDay {
    let day = common::day(parcels);
    let desk_tmp = tempfile::tempdir().expect("tempdir");
    let desk_dir = DataDir(desk_tmp.path().join("data"));
    let report = init(
        &desk_dir,
        Some("DESK-1"),
        Some(Signer::public_key(&day.server)),
    )
    .expect("init the desk");
    let desk_id = report.device_id.to_string();
    let sample: SignedManifest =
        serde_json::from_slice(&std::fs::read(&day.manifest_file).expect("manifest"))
            .expect("json");
    let stop = |held_here| DeskStop {
        device_id: desk_id.clone(),
        holding_days: 5,
        held_here,
    };
    // The courier's next manifest sends every parcel to the desk.
    let mut body = sample.body.clone();
    body.version += 1;
    for p in &mut body.parcels {
        p.desk = Some(stop(false));
    }
    let courier_manifest = SignedManifest::sign(body, &day.server).expect("sign");
    let mut courier = common::open(&day.dir, Arc::new(NoPosition));
    courier
        .load_manifest(&courier_manifest)
        .expect("courier manifest");
    // The desk's manifest holds them here.
    let mut body = sample.body.clone();
    body.device_id = desk_id.clone();
    for p in &mut body.parcels {
        p.desk = Some(stop(true));
    }
    let desk_manifest = SignedManifest::sign(body, &day.server).expect("sign");
    let desk_clock = Arc::new(LaterClock {
        offset_ms: AtomicI64::new(0),
        system: SystemClock::new(),
    });
    let mut desk =
        Terminal::open(&desk_dir, desk_clock.clone(), Arc::new(NoPosition)).expect("open desk");
    desk.load_manifest(&desk_manifest).expect("desk manifest");
    DeskDay {
        day,
        courier,
        desk,
        desk_clock,
        _desk_dir: desk_tmp,
    }
}

/// Offline delivery parcels of the day: (label, numeric code).
fn deliveries(d: &DeskDay) -> Vec<(String, String)> {
    d.day
        .codes
        .iter()
        .filter(|c| {
            c.policy == CodePolicy::OfflineAllowed
                && d.courier.parcel(&c.label).expect("parcel").spec.kind == ParcelKind::Delivery
        })
        .map(|c| (c.label.clone(), c.numeric.clone()))
        .collect()
}

fn refused<T: std::fmt::Debug>(r: Result<T, TerminalError>) -> Refusal {
    match r {
        Err(TerminalError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn the_courier_hands_over_and_the_buyer_collects_at_the_desk_with_the_code() {
    let mut d = desk_day(6);
    let (label, code) = deliveries(&d)[0].clone();
    // A desk parcel is not delivered at the door.
    assert!(matches!(
        refused(d.courier.arrive(&label)),
        Refusal::DeskStopParcel { .. }
    ));
    // The desk cannot serve the buyer before it has the parcel.
    assert!(matches!(
        refused(d.desk.arrive(&label)),
        Refusal::NotReceivedAtDesk { .. }
    ));
    let given = d
        .courier
        .hand_over_to_desk(LabelEntry::Scanned(&label))
        .expect("handover");
    assert_eq!(given.event.body.kind, EventKind::DeskHandover);
    assert_eq!(given.ticket.handover_hash, given.event.hash);
    // Once handed over, the courier's terminal refuses the parcel.
    assert!(matches!(
        refused(d.courier.hand_over_to_desk(LabelEntry::Typed(&label))),
        Refusal::HandedToDesk { .. }
    ));
    let book = d.courier.day_book().expect("book");
    assert!(book.at_desk.contains(&label), "{:?}", book.at_desk);
    assert!(book.lines.iter().all(|l| l.label != label));
    // The desk scans the ticket on the courier's screen: its intake names
    // his device, his handover event and its hash.
    let text = given.ticket.encode();
    assert_eq!(HandoverTicket::parse(&text), Some(given.ticket.clone()));
    let taken = d
        .desk
        .desk_intake(LabelEntry::Scanned(&text))
        .expect("intake");
    assert_eq!(taken.body.kind, EventKind::DeskIntake);
    let named = |k: &str| taken.body.detail.get(k).cloned();
    assert_eq!(
        named("courier_device"),
        Some(given.event.body.device_id.clone())
    );
    assert_eq!(
        named("handover_event"),
        Some(given.event.body.event_id.clone())
    );
    assert_eq!(named("handover_hash"), Some(given.event.hash.clone()));
    assert!(matches!(
        refused(d.desk.desk_intake(LabelEntry::Typed(&label))),
        Refusal::AlreadyAtDesk { .. }
    ));
    assert_eq!(d.desk.desk_holds().expect("holds").len(), 1);
    // The buyer comes to the counter: the normal doorstep code check.
    d.desk.arrive(&label).expect("at the counter");
    d.desk.offer_inspection(&label).expect("inspection");
    let a = d
        .desk
        .submit_code(&label, CodeEntry::Keypad(&code))
        .expect("code");
    assert_eq!(a.verdict, CodeVerdict::Delivered);
    assert!(d.desk.desk_holds().expect("holds").is_empty());
    assert!(d.desk.day_book().expect("book").delivered.contains(&label));
}

#[test]
fn a_parcel_left_past_its_holding_period_goes_back_with_the_buyer_liable() {
    let mut d = desk_day(6);
    let (label, _) = deliveries(&d)[1].clone();
    let other = deliveries(&d)[2].0.clone();
    // Taken in from the typed label (no ticket); a parcel never taken in is
    // not the desk's to send back.
    d.desk
        .desk_intake(LabelEntry::Typed(&label))
        .expect("intake");
    let book = d.desk.day_book().expect("book");
    assert!(book.at_desk.contains(&label));
    assert!(book.lines.is_empty(), "{:?}", book.lines);
    assert!(!book.at_desk.contains(&other));
    // Four days on: nothing ends.
    d.desk_clock.offset_ms.store(4 * DAY_MS, Ordering::SeqCst);
    assert!(d.desk.end_expired_holds().expect("holds").is_empty());
    // Five days on: the buyer can no longer collect, and the hold ends.
    d.desk_clock
        .offset_ms
        .store(5 * DAY_MS + 60_000, Ordering::SeqCst);
    assert!(matches!(
        refused(d.desk.arrive(&label)),
        Refusal::HoldingOver { .. }
    ));
    let ended = d.desk.end_expired_holds().expect("holds");
    assert_eq!(ended.len(), 1);
    let e = &ended[0].body;
    assert_eq!(e.kind, EventKind::Outcome);
    assert_eq!(e.outcome, Some(Outcome::NoAnswer));
    assert_eq!(e.liability, Some(Liability::Buyer));
    assert!(
        d.desk.end_expired_holds().expect("holds").is_empty(),
        "once"
    );
    // It goes back to the depot as a return, the buyer pays.
    let book = d.desk.day_book().expect("book");
    let line = book
        .lines
        .iter()
        .find(|l| l.label == label)
        .expect("a return line");
    assert_eq!(line.fees.payer, Liability::Buyer);
    assert!(!book.at_desk.contains(&label));
    assert!(matches!(
        refused(d.desk.arrive(&label)),
        Refusal::HoldingOver { .. }
    ));
}
