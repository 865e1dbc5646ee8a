//! The order that makes the evidence trustworthy, checked with a store that
//! fails on demand (a SQLite trigger installed from a second connection, the
//! way a full disk or an I/O error would refuse the write):
//! - the try is spent and committed before the code is compared;
//! - nothing is answered before the event is committed.

mod common;

use std::sync::Arc;

use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::domain::code_check::CodeVerdict;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::terminal::{CodeEntry, TerminalError};
use rusqlite::Connection;

fn fail_event_writes(day: &common::Day, on: bool) {
    let c = Connection::open(day.dir.database()).expect("second connection");
    let sql = if on {
        "CREATE TRIGGER fail_on_demand BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected write fault'); END;"
    } else {
        "DROP TRIGGER fail_on_demand;"
    };
    c.execute_batch(sql).expect("toggle the fault");
}

fn committed(day: &common::Day, label: &str) -> (u32, u64, bool) {
    let s = Store::open_read_only(&day.dir.database()).expect("reader");
    let p = s.parcel_by_label(label).expect("read").expect("parcel");
    let delivered = p.display_state() == courier_terminal::domain::parcel::DisplayState::Delivered;
    (p.attempts_spent, s.chain_tip().expect("tip").seq, delivered)
}

#[test]
fn the_try_is_committed_before_the_compare_and_no_answer_comes_before_the_event() {
    let day = common::day(6);
    let code = day
        .codes
        .iter()
        .find(|c| c.policy == CodePolicy::OfflineAllowed && c.label.ends_with('7'))
        .or_else(|| {
            day.codes
                .iter()
                .find(|c| c.policy == CodePolicy::OfflineAllowed)
        })
        .expect("an offline parcel")
        .clone();
    let mut t = common::open(&day.dir, Arc::new(NoPosition));
    t.arrive(&code.label).expect("arrive");
    if t.parcel(&code.label)
        .expect("parcel")
        .spec
        .collect
        .is_some()
    {
        t.collect(&code.label, "ANY").ok();
    }
    let (_, seq_before, _) = committed(&day, &code.label);

    fail_event_writes(&day, true);
    let wrong = if code.numeric == "000000" {
        "111111"
    } else {
        "000000"
    };
    let err = t
        .submit_code(&code.label, CodeEntry::Keypad(wrong))
        .expect_err("the event cannot be written");
    assert!(matches!(err, TerminalError::Store(_)), "{err:?}");
    assert_eq!(
        committed(&day, &code.label),
        (1, seq_before, false),
        "the try is spent and on disk although the event failed"
    );
    // The right code while events cannot be written: no "delivered" answer,
    // and the parcel is not delivered.
    let err = t
        .submit_code(&code.label, CodeEntry::Keypad(&code.numeric))
        .expect_err("no answer without the event");
    assert!(matches!(err, TerminalError::Store(_)), "{err:?}");
    assert_eq!(committed(&day, &code.label), (2, seq_before, false));

    fail_event_writes(&day, false);
    let answer = t
        .submit_code(&code.label, CodeEntry::Keypad(&code.numeric))
        .expect("the store works again");
    assert_eq!(answer.verdict, CodeVerdict::Delivered);
    let (spent, seq, delivered) = committed(&day, &code.label);
    assert_eq!((spent, delivered), (3, true));
    assert_eq!(
        seq, answer.event.body.seq,
        "answered with the committed event"
    );
}

#[test]
fn a_failed_spend_compares_nothing_and_records_nothing() {
    let day = common::day(6);
    let code = day
        .codes
        .iter()
        .find(|c| c.policy == CodePolicy::OfflineAllowed)
        .expect("an offline parcel")
        .clone();
    let mut t = common::open(&day.dir, Arc::new(NoPosition));
    t.arrive(&code.label).expect("arrive");
    let (_, seq_before, _) = committed(&day, &code.label);
    let c = Connection::open(day.dir.database()).expect("second connection");
    c.execute_batch(
        "CREATE TRIGGER fail_spend BEFORE UPDATE OF attempts_spent ON parcels BEGIN SELECT RAISE(ABORT, 'injected write fault'); END;",
    )
    .expect("fault");
    let err = t
        .submit_code(&code.label, CodeEntry::Keypad(&code.numeric))
        .expect_err("the try cannot be spent");
    assert!(matches!(err, TerminalError::Store(_)), "{err:?}");
    assert_eq!(
        committed(&day, &code.label),
        (0, seq_before, false),
        "no try, no event, no delivery: the code was never compared"
    );
}
