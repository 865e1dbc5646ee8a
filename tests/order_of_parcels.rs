//! Orders of several parcels under one code (issue 25, point 2): every parcel
//! of the order is scanned at the door (a parcel not scanned is never handed
//! over), the buyer refuses some with a reason, the code is checked once, and
//! the signed delivery names exactly the parcels handed over and the amount
//! released; the refused ones are expected back at the depot. The server
//! replays the same rules (SQLite, or PostgreSQL with
//! `ESCROW_TEST_DATABASE_URL`) and releases only the accepted amount.

mod common;
mod sync_support;

use std::sync::Arc;

use courier_protocol::api::EventStatus;
use courier_protocol::day_window::DayWindow;
use courier_protocol::order_parcels::Handover;
use courier_protocol::rules::returns::{ExpectedBecause, UnexpectedWhy};
use courier_protocol::rules::{ReturnItem, ScanVerdict};
use courier_protocol::vocabulary::{CodePolicy, EventKind, Liability, Outcome, Reason};
use courier_terminal::clock::SystemClock;
use courier_terminal::domain::code_check::CodeVerdict;
use courier_terminal::domain::parcel::ParcelState;
use courier_terminal::domain::refusal::Refusal;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::Reads as _;
use courier_terminal::terminal::{
    CodeEntry, DataDir, IntakeInput, LabelEntry, SignInAnswer, SupervisorEntry, Terminal,
    TerminalError,
};
use escrow_reference_server::batch::Uploaded;
use escrow_reference_server::ingest::ingest;

fn refused<T: std::fmt::Debug>(r: Result<T, TerminalError>) -> Refusal {
    match r {
        Err(TerminalError::Refused(refusal)) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_two_parcel_order_with_one_refused_hands_over_and_releases_only_the_accepted_one() {
    // Route position 1 is an offline delivery: made an order of two parcels.
    let day = common::day_with_orders(4, false, &[1]);
    let mut t = common::open(&day.dir, Arc::new(NoPosition));
    let code = day.codes[0].clone();
    let first = code.label.clone();
    let second = format!("{first}B");
    let spec = t.parcel(&first).expect("order").spec;
    let amounts: Vec<i64> = spec.order_parcels.iter().map(|o| o.amount_minor).collect();
    assert_eq!(amounts.iter().sum::<i64>(), spec.amount_minor);
    // Either label opens the order.
    assert_eq!(t.order_of(&second).expect("order").spec.label, first);

    t.arrive_and_offer_inspection(&first).expect("at the door");
    // A label of another parcel of the day is not this order's.
    let other = day.codes[1].label.clone();
    assert!(matches!(
        refused(t.scan_order_parcel(&first, LabelEntry::Scanned(&other))),
        Refusal::NotInOrder { .. }
    ));
    let a = t
        .scan_order_parcel(&first, LabelEntry::Scanned(&first))
        .expect("scan");
    let e = a.event.expect("an order_parcel_scanned event");
    assert_eq!(e.body.kind, EventKind::OrderParcelScanned);
    assert_eq!(
        e.body.detail.get("entry").map(String::as_str),
        Some("scanned")
    );
    // Scanned again: nothing recorded twice.
    assert!(
        t.scan_order_parcel(&first, LabelEntry::Scanned(&first))
            .expect("repeat")
            .event
            .is_none()
    );

    // The second parcel not scanned: it cannot be refused, and the code waits
    // (no try spent) — a parcel not scanned is never handed over.
    assert_eq!(
        refused(t.refuse_order_parcel(
            &first,
            &second,
            Outcome::RefusedAfterInspection,
            Some(Reason::Damaged)
        )),
        Refusal::OrderParcelNotScanned {
            label: second.clone()
        }
    );
    assert_eq!(
        refused(t.submit_code(&first, CodeEntry::Keypad(&code.numeric))),
        Refusal::OrderParcelNotScanned {
            label: second.clone()
        }
    );
    assert_eq!(t.parcel(&first).expect("order").attempts_spent, 0);

    // Typed (the scan failed), then refused by the buyer after inspection.
    let typed = t
        .scan_order_parcel(&second, LabelEntry::Typed(&second))
        .expect("typed");
    assert_eq!(
        typed
            .event
            .expect("event")
            .body
            .detail
            .get("entry")
            .map(String::as_str),
        Some("typed")
    );
    let refusal = t
        .refuse_order_parcel(
            &first,
            &second,
            Outcome::RefusedAfterInspection,
            Some(Reason::Damaged),
        )
        .expect("refusal");
    assert_eq!(refusal.body.liability, Some(Liability::Seller));
    let door = t
        .order_door(&first)
        .expect("door")
        .expect("several parcels");
    assert_eq!(door.releases_minor, Some(amounts[0]));
    assert!(door.parcels.iter().all(|p| p.scanned));

    // One code for the order: the delivery names what is handed over.
    let answer = t
        .submit_code(&first, CodeEntry::Keypad(&code.numeric))
        .expect("code");
    assert_eq!(answer.verdict, CodeVerdict::Delivered);
    assert_eq!(
        answer.event.body.handover,
        Some(Handover {
            labels: vec![first.clone()],
            amount_minor: amounts[0],
        })
    );
    assert_eq!(
        t.parcel(&first).expect("order").state,
        ParcelState::Delivered
    );

    // The refused parcel is expected back, the seller paying its return.
    let book = t.day_book().expect("book");
    assert!(book.delivered.contains(&first));
    assert!(!book.delivered.contains(&second));
    let line = book.line(&second).expect("expected back");
    assert_eq!(line.item, ReturnItem::OrderParcel);
    assert_eq!(
        line.because,
        ExpectedBecause::Failed(Outcome::RefusedAfterInspection)
    );
    assert_eq!(line.fees.payer, Liability::Seller);
    assert!(!line.fees_changeable());

    // At the depot: the refused parcel is received, the delivered one is an alarm.
    let signed_in = t
        .supervisor_sign_in(SupervisorEntry::Badge(&day.supervisor.badge_text))
        .expect("sign in");
    assert!(matches!(signed_in, SignInAnswer::SignedIn(_)));
    let back = t
        .scan_return(LabelEntry::Scanned(&second), &IntakeInput::default())
        .expect("scan in");
    assert_eq!(back.verdict, ScanVerdict::Received(ReturnItem::OrderParcel));
    let book = t.day_book().expect("book");
    assert!(book.line(&second).expect("line").received.is_some());
    let alarm = t
        .scan_return(LabelEntry::Scanned(&first), &IntakeInput::default())
        .expect("scan in");
    assert_eq!(
        alarm.verdict,
        ScanVerdict::Unexpected(UnexpectedWhy::WasDelivered)
    );
}

#[test]
fn an_order_whose_every_parcel_is_refused_takes_no_code_and_comes_back_whole() {
    let day = common::day_with_orders(4, false, &[1]);
    let mut t = common::open(&day.dir, Arc::new(NoPosition));
    let code = day.codes[0].clone();
    let first = code.label.clone();
    let second = format!("{first}B");
    t.arrive_and_offer_inspection(&first).expect("at the door");
    for l in [&first, &second] {
        t.scan_order_parcel(&first, LabelEntry::Scanned(l))
            .expect("scan");
        t.refuse_order_parcel(
            &first,
            l,
            Outcome::BuyerCancelled,
            Some(Reason::ChangedMind),
        )
        .expect("declined");
    }
    assert_eq!(
        refused(t.submit_code(&first, CodeEntry::Keypad(&code.numeric))),
        Refusal::OrderAllRefused
    );
    t.record_outcome(
        &first,
        Outcome::BuyerCancelled,
        Some(Reason::ChangedMind),
        None,
    )
    .expect("the order's refusal");
    let book = t.day_book().expect("book");
    for l in [&first, &second] {
        let line = book.line(l).expect("expected back");
        assert_eq!(
            line.because,
            ExpectedBecause::Failed(Outcome::BuyerCancelled)
        );
        assert_eq!(line.fees.payer, Liability::Buyer);
    }
    assert_eq!(book.line(&first).expect("line").item, ReturnItem::Parcel);
    assert_eq!(
        book.line(&second).expect("line").item,
        ReturnItem::OrderParcel
    );
}

#[test]
fn a_one_parcel_order_is_delivered_as_before() {
    let day = common::day_with_orders(4, false, &[]);
    let mut t = common::open(&day.dir, Arc::new(NoPosition));
    let code = day.codes[0].clone();
    assert!(t.order_door(&code.label).expect("door").is_none());
    t.arrive_and_offer_inspection(&code.label)
        .expect("at the door");
    assert!(
        t.scan_order_parcel(&code.label, LabelEntry::Scanned(&code.label))
            .is_err()
    );
    let answer = t
        .submit_code(&code.label, CodeEntry::Keypad(&code.numeric))
        .expect("code");
    assert_eq!(answer.verdict, CodeVerdict::Delivered);
    assert_eq!(answer.event.body.handover, None);
    let json = serde_json::to_string(&answer.event.body).expect("json");
    assert!(!json.contains("handover"), "{json}");
}

/// The server ingests the terminal's events of a two-parcel order with one
/// parcel refused: every event accepted, the order delivered in its ledger,
/// and the accounting extraction releases the accepted parcel's amount only.
#[test]
fn the_server_honours_the_handover_and_releases_only_the_accepted_amount() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(server_releases_the_accepted_amount());
}

async fn server_releases_the_accepted_amount() {
    let server = sync_support::Server::start_on_test_database().await;
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let (a, b) = (
        format!("OA{}", &suffix[20..]),
        format!("OB{}", &suffix[20..]),
    );
    let order = server.order_of_parcels(
        &format!("ORD-{}", &suffix[20..]),
        CodePolicy::OfflineAllowed,
        &[(&a, 3000), (&b, 2000)],
    );
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("device");
    let device_id = sync_support::enroll(&server, &data).await;
    let manifest = server.manifest(&device_id, &[&order.parcel_id], 3_600_000);
    let dir = DataDir(data);
    let mut t = Terminal::open(&dir, Arc::new(SystemClock::new()), Arc::new(NoPosition))
        .expect("open terminal");
    t.load_manifest(&manifest).expect("manifest");

    t.arrive_and_offer_inspection(&a).expect("at the door");
    t.scan_order_parcel(&a, LabelEntry::Scanned(&a))
        .expect("scan");
    t.scan_order_parcel(&a, LabelEntry::Scanned(&b))
        .expect("scan");
    t.refuse_order_parcel(
        &a,
        &b,
        Outcome::RefusedAfterInspection,
        Some(Reason::WrongItem),
    )
    .expect("refusal");
    let wrong = if order.numeric_code.starts_with('0') {
        "1"
    } else {
        "0"
    };
    let wrong = format!("{wrong}{}", &order.numeric_code[1..]);
    let miss = t
        .submit_code(&a, CodeEntry::Keypad(&wrong))
        .expect("wrong code");
    assert!(matches!(miss.verdict, CodeVerdict::WrongCode { .. }));
    let answer = t
        .submit_code(&b, CodeEntry::Keypad(&order.numeric_code))
        .expect("code");
    assert_eq!(answer.verdict, CodeVerdict::Delivered);
    assert_eq!(
        answer.event.body.handover,
        Some(Handover {
            labels: vec![a.clone()],
            amount_minor: 3000,
        })
    );

    let state = server.state();
    let events = t.store().all_events().expect("events");
    let uploaded: Vec<Uploaded> = events
        .iter()
        .cloned()
        .map(|e| Uploaded::Event(Box::new(e)))
        .collect();
    let outcome = ingest(state.store(), &device_id, &uploaded, state.now_ms())
        .await
        .expect("ingest");
    assert!(
        outcome
            .results
            .iter()
            .all(|r| r.status == EventStatus::Accepted),
        "{:?}",
        outcome.results
    );
    // The order's one try counter counted the wrong code.
    let row = state
        .store()
        .order(&order.parcel_id)
        .await
        .expect("order")
        .expect("known");
    assert!(row.attempts_spent >= 1, "{}", row.attempts_spent);

    // The back office's extraction: the delivery releases 3000, not 5000.
    let day = DayWindow::containing(answer.event.body.clock.device_utc_ms, 0);
    let csv = escrow_reference_server::back_office::extraction_csv(state.store(), &day, |_| true)
        .await
        .expect("extraction");
    let text = String::from_utf8(csv).expect("utf-8");
    let delivered: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&order.parcel_id) && l.contains("delivered"))
        .collect();
    assert_eq!(delivered.len(), 1, "{text}");
    let fields: Vec<&str> = delivered[0].split(',').collect();
    assert_eq!(fields[6], "3000", "{text}");
}
