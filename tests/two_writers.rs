//! Two writers on one data directory (the screens' worker and the sync thread,
//! or the CLI and a second process), racing each pair that once broke the
//! evidence: a withdrawal against a code check, a manifest refresh against a
//! delivery, two right codes, a right and a wrong code. Whatever the
//! interleaving: never two deliveries, never a lost withdrawal, never a
//! delivered parcel reopened.

mod common;

use std::process::{Command, Output};
use std::sync::{Arc, Barrier};

use courier_devtools::sample_day::{SampleSpec, sample_day};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::vocabulary::{CodePolicy, EventKind, Outcome, ParcelKind};
use courier_terminal::domain::parcel::ParcelState;
use courier_terminal::domain::refusal::Refusal;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::terminal::{CodeEntry, Terminal, TerminalError};

const PARCELS: usize = 120;

/// The plain offline deliveries of the day, with their codes.
fn plain(day: &common::Day) -> Vec<(String, String)> {
    let t = common::open(&day.dir, Arc::new(NoPosition));
    t.parcels()
        .expect("parcels")
        .into_iter()
        .filter(|p| {
            p.spec.kind == ParcelKind::Delivery
                && p.spec.policy == CodePolicy::OfflineAllowed
                && !p.spec.withdrawn
        })
        .map(|p| {
            let code = day
                .codes
                .iter()
                .find(|c| c.label == p.spec.label)
                .expect("code")
                .numeric
                .clone();
            (p.spec.label, code)
        })
        .collect()
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

fn manifest(day: &common::Day, version: u64, withdrawn: &[String]) -> SignedManifest {
    sample_day(
        &SampleSpec {
            two_parcel_orders: Default::default(),
            device_id: &day.device_id,
            version,
            issued_at_ms: common::now_ms(),
            valid_for_ms: 12 * 3_600_000,
            parcels: PARCELS,
            iterations: common::TEST_ITERATIONS,
            withdrawn,
            load_check: false,
        },
        &day.server,
    )
    .expect("manifest")
    .manifest
}

/// Runs `a` and `b` on two threads, each with its own terminal, released together.
fn race<A, B, RA, RB>(day: &common::Day, a: A, b: B) -> (RA, RB)
where
    A: FnOnce(&mut Terminal) -> RA + Send,
    B: FnOnce(&mut Terminal) -> RB + Send,
    RA: Send,
    RB: Send,
{
    let mut ta = common::open(&day.dir, Arc::new(NoPosition));
    let mut tb = common::open(&day.dir, Arc::new(NoPosition));
    let go = Barrier::new(2);
    std::thread::scope(|s| {
        let ha = s.spawn(|| {
            go.wait();
            a(&mut ta)
        });
        let hb = s.spawn(|| {
            go.wait();
            b(&mut tb)
        });
        (ha.join().expect("writer a"), hb.join().expect("writer b"))
    })
}

fn state(day: &common::Day, label: &str) -> ParcelState {
    Store::open_read_only(&day.dir.database())
        .expect("reader")
        .parcel_by_label(label)
        .expect("read")
        .expect("parcel")
        .state
}

/// Delivered outcomes recorded for the parcel, and whether any event after the
/// first delivery changed it again (a reopening).
fn deliveries(day: &common::Day, label: &str) -> usize {
    let s = Store::open_read_only(&day.dir.database()).expect("reader");
    let p = s.parcel_by_label(label).expect("read").expect("parcel");
    let events = s.parcel_events(&p.spec.parcel_id).expect("events");
    let first = events.iter().position(|e| {
        e.body.kind == EventKind::Outcome && e.body.outcome == Some(Outcome::Delivered)
    });
    if let Some(i) = first {
        for e in &events[i + 1..] {
            assert!(
                !matches!(
                    e.body.kind,
                    EventKind::Outcome | EventKind::Arrived | EventKind::Correction
                ),
                "{label}: {:?} recorded after the delivery",
                e.body.kind
            );
        }
    }
    events
        .iter()
        .filter(|e| e.body.kind == EventKind::Outcome && e.body.outcome == Some(Outcome::Delivered))
        .count()
}

#[test]
fn threads_racing_never_lose_a_withdrawal_nor_deliver_twice_nor_reopen() {
    let day = common::day(PARCELS);
    let parcels = plain(&day);
    assert!(parcels.len() >= 80, "enough parcels: {}", parcels.len());
    let mut chunks = parcels.chunks(parcels.len() / 4);
    let (withdraw_set, refresh_set, two_right, right_wrong) = (
        chunks.next().expect("set"),
        chunks.next().expect("set"),
        chunks.next().expect("set"),
        chunks.next().expect("set"),
    );
    let mut version = 1;
    let mut withdrawn: Vec<String> = Vec::new();

    // A withdrawal against a wrong code at the door.
    for (label, code) in withdraw_set {
        common::open(&day.dir, Arc::new(NoPosition))
            .arrive(label)
            .expect("arrive");
        version += 1;
        withdrawn.push(label.clone());
        let m = manifest(&day, version, &withdrawn);
        let (checked, loaded) = race(
            &day,
            |t| t.submit_code(label, CodeEntry::Keypad(wrong(code))),
            |t| t.load_manifest(&m),
        );
        loaded.expect("the manifest loads");
        assert!(checked.is_ok() || matches!(checked, Err(TerminalError::Refused(_))));
        assert_eq!(
            state(&day, label),
            ParcelState::Withdrawn,
            "{label}: withdrawal lost"
        );
        let after = common::open(&day.dir, Arc::new(NoPosition))
            .submit_code(label, CodeEntry::Keypad(code));
        assert!(
            matches!(after, Err(TerminalError::Refused(Refusal::Withdrawn))),
            "{label}: {after:?}"
        );
        assert_eq!(deliveries(&day, label), 0);
    }

    // A routine refresh against a delivery.
    for (label, code) in refresh_set {
        common::open(&day.dir, Arc::new(NoPosition))
            .arrive(label)
            .expect("arrive");
        version += 1;
        let m = manifest(&day, version, &withdrawn);
        let (delivered, loaded) = race(
            &day,
            |t| t.submit_code(label, CodeEntry::Keypad(code)),
            |t| t.load_manifest(&m),
        );
        loaded.expect("the manifest loads");
        assert!(delivered.is_ok(), "{label}: {delivered:?}");
        assert_eq!(
            state(&day, label),
            ParcelState::Delivered,
            "{label}: put back at the door"
        );
        assert_eq!(deliveries(&day, label), 1);
    }

    // Two right codes at once.
    for (label, code) in two_right {
        common::open(&day.dir, Arc::new(NoPosition))
            .arrive(label)
            .expect("arrive");
        let (a, b) = race(
            &day,
            |t| t.submit_code(label, CodeEntry::Keypad(code)),
            |t| t.submit_code(label, CodeEntry::Keypad(code)),
        );
        let ok = [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count();
        assert_eq!(ok, 1, "{label}: exactly one delivery answered: {a:?} {b:?}");
        for r in [a, b].into_iter().filter_map(Result::err) {
            assert!(
                matches!(r, TerminalError::Refused(Refusal::AlreadyDelivered)),
                "{label}: {r:?}"
            );
        }
        assert_eq!(deliveries(&day, label), 1, "{label}: delivered twice");
    }

    // A right and a wrong code at once.
    for (label, code) in right_wrong {
        common::open(&day.dir, Arc::new(NoPosition))
            .arrive(label)
            .expect("arrive");
        let (right, _wrong) = race(
            &day,
            |t| t.submit_code(label, CodeEntry::Keypad(code)),
            |t| t.submit_code(label, CodeEntry::Keypad(wrong(code))),
        );
        assert!(right.is_ok(), "{label}: {right:?}");
        assert_eq!(state(&day, label), ParcelState::Delivered);
        assert_eq!(
            deliveries(&day, label),
            1,
            "{label}: reopened or delivered twice"
        );
    }
    let t = common::open(&day.dir, Arc::new(NoPosition));
    courier_terminal::terminal::verify_log(t.store(), &t.public_key()).expect("the chain verifies");
}

fn spawn(day: &common::Day, args: &[&str]) -> std::process::Child {
    common::cli(&day.dir.0)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn courier-terminal")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn processes_racing_never_lose_a_withdrawal_nor_deliver_twice() {
    let day = common::day(PARCELS);
    let parcels = plain(&day);
    let mut version = 1;
    let mut withdrawn: Vec<String> = Vec::new();
    for (i, (label, code)) in parcels.iter().take(24).enumerate() {
        let arrived = Command::new(common::bin())
            .env("COURIER_TERMINAL_DATA", &day.dir.0)
            .args(["arrive", label])
            .output()
            .expect("arrive");
        assert!(arrived.status.success(), "{}", text(&arrived));
        if i % 2 == 0 {
            // Two right codes from two processes.
            let a = spawn(&day, &["deliver", label, "--code", code]);
            let b = spawn(&day, &["deliver", label, "--code", code]);
            let (a, b) = (
                a.wait_with_output().expect("a"),
                b.wait_with_output().expect("b"),
            );
            let said = [&a, &b]
                .iter()
                .filter(|o| text(o).contains("DELIVERED"))
                .count();
            assert_eq!(said, 1, "{label}: {} | {}", text(&a), text(&b));
            assert_eq!(deliveries(&day, label), 1, "{label}: delivered twice");
        } else {
            // A withdrawal loaded by one process during a code check in another.
            version += 1;
            withdrawn.push(label.clone());
            let file = day.tmp.path().join(format!("m{version}.json"));
            std::fs::write(
                &file,
                serde_json::to_vec(&manifest(&day, version, &withdrawn)).expect("json"),
            )
            .expect("write");
            let a = spawn(&day, &["deliver", label, "--code", wrong(code)]);
            let b = spawn(&day, &["manifest", "load", file.to_str().expect("utf8")]);
            let (_a, b) = (
                a.wait_with_output().expect("a"),
                b.wait_with_output().expect("b"),
            );
            assert!(b.status.success(), "{}", text(&b));
            assert_eq!(
                state(&day, label),
                ParcelState::Withdrawn,
                "{label}: withdrawal lost"
            );
            let after = Command::new(common::bin())
                .env("COURIER_TERMINAL_DATA", &day.dir.0)
                .args(["deliver", label, "--code", code])
                .output()
                .expect("deliver");
            assert_eq!(after.status.code(), Some(3), "{}", text(&after));
            assert_eq!(deliveries(&day, label), 0);
        }
    }
}
