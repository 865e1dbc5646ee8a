//! The morning load check on the courier's terminal (issue 25, point 1):
//! with the supervisor signed in, each parcel is scanned into the vehicle and
//! answered at once (loaded, already loaded, an alarm); the check ends with a
//! signed `load_checked` record the courier confirmed first; a parcel the
//! manifest asks to load and never loaded cannot be delivered and is not
//! expected back at the depot.

mod common;

use std::sync::Arc;

use courier_protocol::rules::load_check::LoadAlarmWhy;
use courier_protocol::rules::returns::UnexpectedWhy;
use courier_protocol::rules::{LoadTotals, LoadVerdict, ScanVerdict};
use courier_protocol::vocabulary::{CodePolicy, EventKind, ParcelKind};
use courier_terminal::domain::code_check::CodeVerdict;
use courier_terminal::domain::refusal::Refusal;
use courier_terminal::position_source::NoPosition;
use courier_terminal::terminal::{
    CodeEntry, IntakeInput, LabelEntry, SignInAnswer, SupervisorEntry, SupervisorRefusal, Terminal,
    TerminalError,
};

fn open(day: &common::Day) -> Terminal {
    common::open(&day.dir, Arc::new(NoPosition))
}

fn sign_in(t: &mut Terminal, day: &common::Day) {
    let answer = t
        .supervisor_sign_in(SupervisorEntry::Badge(&day.supervisor.badge_text))
        .expect("sign in");
    assert!(matches!(answer, SignInAnswer::SignedIn(_)), "{answer:?}");
}

/// Two offline delivery parcels of the day: (label, numeric code).
fn two_deliveries(t: &Terminal, day: &common::Day) -> [(String, String); 2] {
    let mut it = day.codes.iter().filter(|c| {
        c.policy == CodePolicy::OfflineAllowed
            && t.parcel(&c.label).expect("parcel").spec.kind == ParcelKind::Delivery
    });
    let mut next = || {
        let c = it.next().expect("an offline delivery");
        (c.label.clone(), c.numeric.clone())
    };
    [next(), next()]
}

fn not_loaded<T: std::fmt::Debug>(r: Result<T, TerminalError>, label: &str) {
    match r {
        Err(TerminalError::Refused(Refusal::NotLoaded { label: l })) => assert_eq!(l, label),
        other => panic!("expected a refusal for want of loading, got {other:?}"),
    }
}

#[test]
fn a_parcel_never_loaded_cannot_be_delivered_and_is_not_expected_back() {
    let day = common::day_with(4, true);
    let mut t = open(&day);
    let [(loaded, code), (left, left_code)] = two_deliveries(&t, &day);
    // Before the load check nothing can be delivered, not even with its code.
    not_loaded(t.arrive(&loaded), &loaded);
    not_loaded(t.submit_code(&left, CodeEntry::Keypad(&left_code)), &left);
    // The courier alone cannot load.
    assert!(matches!(
        t.scan_load(LabelEntry::Scanned(&loaded)),
        Err(TerminalError::Supervisor(SupervisorRefusal::NotSignedIn))
    ));
    sign_in(&mut t, &day);
    let first = t.scan_load(LabelEntry::Scanned(&loaded)).expect("scan");
    assert_eq!(first.verdict, LoadVerdict::Loaded);
    let e = first.event.expect("a parcel_loaded event");
    assert_eq!(e.body.kind, EventKind::ParcelLoaded);
    assert!(e.body.supervisor.is_some(), "signed with the supervisor");
    assert_eq!(first.counts.loaded, 1);
    assert_eq!(first.counts.to_load, 4);
    // A repeat records nothing; a typed label takes the same path.
    let again = t.scan_load(LabelEntry::Typed(&loaded)).expect("scan");
    assert_eq!(again.verdict, LoadVerdict::AlreadyLoaded);
    assert!(again.event.is_none());
    let stranger = t.scan_load(LabelEntry::Typed("DZ99999999")).expect("scan");
    assert_eq!(
        stranger.verdict,
        LoadVerdict::Alarm(LoadAlarmWhy::NotInManifest)
    );
    assert_eq!(
        stranger.event.expect("alarm recorded").body.kind,
        EventKind::LoadAlarm
    );
    assert!(
        t.scan_load(LabelEntry::Scanned("DZ99999999"))
            .expect("scan")
            .event
            .is_none(),
        "an alarm is recorded once"
    );
    // The signed record needs the courier's confirmation of these figures.
    assert!(matches!(
        t.sign_load_check(),
        Err(TerminalError::Refused(Refusal::CourierConfirmationRequired))
    ));
    t.confirm_load_as_courier().expect("courier confirms");
    let signed = t.sign_load_check().expect("signed");
    assert_eq!(signed.body.kind, EventKind::LoadChecked);
    assert!(signed.body.supervisor.is_some());
    let record = signed.body.load.expect("the loaded record");
    let mut missing: Vec<String> = t
        .parcels()
        .expect("parcels")
        .into_iter()
        .filter(|p| p.spec.must_be_loaded() && p.spec.label != loaded)
        .map(|p| p.spec.label)
        .collect();
    missing.sort();
    assert_eq!(
        record.totals,
        LoadTotals {
            to_load: 4,
            loaded: 1,
            missing,
            alarms: vec!["DZ99999999".into()],
        }
    );
    // The loaded parcel is delivered; the other one still cannot be.
    t.arrive(&loaded).expect("arrive");
    t.offer_inspection(&loaded).expect("inspection");
    let a = t
        .submit_code(&loaded, CodeEntry::Keypad(&code))
        .expect("code");
    assert_eq!(a.verdict, CodeVerdict::Delivered);
    not_loaded(t.arrive(&left), &left);
    // Nothing of what stayed at the depot is expected back; scanning it at
    // the returns is an alarm of its own.
    let book = t.day_book().expect("book");
    assert!(book.lines.is_empty(), "{:?}", book.lines);
    assert!(book.not_loaded.contains(&left));
    assert_eq!(book.totals().expected, 0);
    let scan = t
        .scan_return(LabelEntry::Scanned(&left), &IntakeInput::default())
        .expect("scan");
    assert_eq!(
        scan.verdict,
        ScanVerdict::Unexpected(UnexpectedWhy::NeverLoaded)
    );
}

#[test]
fn a_manifest_without_the_load_check_delivers_as_before() {
    let day = common::day(2);
    let mut t = open(&day);
    let [(label, code), _] = two_deliveries(&t, &day);
    t.arrive(&label).expect("arrive");
    t.offer_inspection(&label).expect("inspection");
    let a = t
        .submit_code(&label, CodeEntry::Keypad(&code))
        .expect("code");
    assert_eq!(a.verdict, CodeVerdict::Delivered);
    assert!(t.load_book().expect("load book").lines.is_empty());
}
