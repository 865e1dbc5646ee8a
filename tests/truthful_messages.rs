//! Issue 22: every message says what is true, names parcels by label, gives
//! times in local time with the offset, and a next step that works. One test
//! per message found misleading (the number is the issue's).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use courier_protocol::vocabulary::CodePolicy;

fn run(data: &Path, args: &[&str]) -> Output {
    common::cli(data)
        .args(args)
        .output()
        .expect("run courier-terminal")
}

fn run_with_stdin(data: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = common::cli(data)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn plain_offline(day: &common::Day, skip: usize) -> &courier_devtools::sample_day::SampleCode {
    day.codes
        .iter()
        .enumerate()
        .filter(|(i, c)| c.policy == CodePolicy::OfflineAllowed && !matches!((i + 1) % 10, 4 | 8))
        .map(|(_, c)| c)
        .nth(skip)
        .expect("an offline delivery parcel")
}

/// A signed manifest of the day's server for this device, written to `name`.
fn manifest(
    day: &common::Day,
    name: &str,
    version: u64,
    valid_hours: i64,
    withdraw: &[String],
) -> PathBuf {
    let out = day.tmp.path().join(name);
    courier_devtools::dev_commands::sample_manifest(
        &courier_devtools::dev_commands::SampleManifestArgs {
            server_key: &day.server_key_file,
            device_id: &day.device_id,
            out: &out,
            parcels: day.codes.len(),
            version,
            iterations: 1000,
            valid_hours,
            withdraw,
            codes_out: None,
            now_ms: common::now_ms(),
        },
    )
    .expect("sample manifest");
    out
}

fn load(day: &common::Day, file: &Path) -> Output {
    run(
        &day.dir.0,
        &["manifest", "load", file.to_str().expect("utf8")],
    )
}

/// Message 1: a parcel withdrawn after it was returned to the depot is named
/// by its label and said to be returned (not delivered), and only once.
#[test]
fn a_withdrawal_after_the_outcome_names_the_label_and_the_true_outcome_once() {
    let day = common::day(5);
    let data = &day.dir.0;
    let delivered = plain_offline(&day, 0);
    let returned = plain_offline(&day, 1);
    let o = run(
        data,
        &["deliver", &delivered.label, "--code", &delivered.numeric],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        run(data, &["arrive", &returned.label]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(data, &["inspect", &returned.label]).status.code(),
        Some(0)
    );
    let o = run(
        data,
        &[
            "attempt",
            &returned.label,
            "--outcome",
            "refused_after_inspection",
            "--reason",
            "wrong_item",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let badge = format!("{}\n", day.supervisor.badge_text);
    let o = run_with_stdin(
        data,
        &["depot", "scan-in", "--label", &returned.label],
        &badge,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let both = [delivered.label.clone(), returned.label.clone()];
    let o = load(&day, &manifest(&day, "v2.json", 2, 18, &both));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    let line_of = |label: &str| {
        out.lines()
            .find(|l| l.starts_with("warning") && l.contains(label))
            .unwrap_or_else(|| panic!("a warning naming {label}: {out}"))
            .to_owned()
    };
    assert!(
        line_of(&delivered.label).contains("already delivered"),
        "{out}"
    );
    let r = line_of(&returned.label);
    assert!(r.contains("returned to the depot"), "{r}");
    assert!(!r.contains("delivered"), "{r}");
    // The internal parcel id is not what a person reads.
    assert!(!String::from_utf8_lossy(&o.stdout).contains("P-0"), "{out}");
    // A later manifest that still withdraws them says nothing again.
    let o = load(&day, &manifest(&day, "v3.json", 3, 18, &both));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("warning"), "{}", text(&o));
}

/// Message 12: a manifest that lists a withdrawn parcel again says it stays
/// withdrawn, instead of counting it as "updated".
#[test]
fn a_manifest_re_adding_a_withdrawn_parcel_says_it_stays_withdrawn() {
    let day = common::day(5);
    let gone = plain_offline(&day, 0);
    let o = load(
        &day,
        &manifest(&day, "v2.json", 2, 18, std::slice::from_ref(&gone.label)),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = load(&day, &manifest(&day, "v3.json", 3, 18, &[]));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("1 still withdrawn"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.contains(&gone.label) && l.contains("stays withdrawn")),
        "{out}"
    );
    let parcels = text(&run(&day.dir.0, &["parcels"]));
    assert!(
        parcels
            .lines()
            .any(|l| l.contains(&gone.label) && l.to_lowercase().contains("withdrawn")),
        "{parcels}"
    );
}

/// Message 8: an expired manifest is reported in local time with the offset,
/// not in Unix milliseconds.
#[test]
fn an_expired_manifest_says_when_in_local_time_with_the_offset() {
    let day = common::day(3);
    let file = manifest(&day, "expired.json", 2, -1, &[]);
    let o = common::cli(&day.dir.0)
        .env("TZ", "Africa/Algiers")
        .args(["manifest", "load", file.to_str().expect("utf8")])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("expired at 20"), "{out}");
    assert!(out.contains("(UTC+01:00)"), "{out}");
    assert!(!out.contains("Unix ms"), "{out}");
    let show = common::cli(&day.dir.0)
        .env("TZ", "Africa/Algiers")
        .args(["manifest", "show"])
        .output()
        .expect("run");
    assert!(text(&show).contains("(UTC+01:00)"), "{}", text(&show));
}

/// Message 5: with the database deleted (the key left), `status` does not
/// send the reader to `init`, which refuses; both say the same true thing.
#[test]
fn a_deleted_database_gets_one_true_answer_from_status_and_init() {
    let day = common::day(2);
    let data = &day.dir.0;
    std::fs::remove_file(day.dir.database()).expect("delete the database");
    let status = run(data, &["status"]);
    assert_ne!(status.status.code(), Some(0));
    let s = text(&status);
    assert!(!s.contains("run `courier-terminal init`"), "{s}");
    assert!(s.contains("the database is missing"), "{s}");
    assert!(s.contains("Re-enrollment"), "{s}");
    let init = run(data, &["init"]);
    assert_ne!(init.status.code(), Some(0));
    assert!(
        text(&init).contains("the database is missing"),
        "{}",
        text(&init)
    );
}

/// Message 6: a 0-byte database is not "not set up here" for `status` and
/// "already set up" for `init`: both say it is empty, and what to do.
#[test]
fn an_empty_database_file_gets_one_true_answer_from_status_and_init() {
    let day = common::day(2);
    let data = &day.dir.0;
    std::fs::write(day.dir.database(), b"").expect("empty the database");
    for args in [&["status"][..], &["init"], &["events", "export"]] {
        let o = run(data, args);
        assert_ne!(o.status.code(), Some(0), "{args:?}");
        let t = text(&o);
        assert!(t.contains("is empty (0 bytes"), "{args:?}: {t}");
        assert!(!t.contains("already set up"), "{args:?}: {t}");
        assert!(!t.contains("not set up here"), "{args:?}: {t}");
    }
}

/// Message 10: `diagnose` on a device whose server key is pinned but whose
/// server address is missing says exactly that.
#[test]
fn diagnose_says_the_server_address_is_missing_when_the_key_is_pinned() {
    let day = common::day(2);
    let o = run(&day.dir.0, &["diagnose"]);
    let t = text(&o);
    let line = t
        .lines()
        .find(|l| l.contains("server") && l.starts_with("FAIL"))
        .unwrap_or_else(|| panic!("a server line: {t}"));
    assert!(line.contains("no server address"), "{line}");
    assert!(!t.contains("no server key pinned"), "{t}");
}

/// Message 11: an export whose reader stops early, or whose output is
/// closed, says so and fails, instead of "N events exported".
#[test]
fn an_export_that_did_not_reach_its_reader_says_so() {
    let day = common::day(3);
    let data = &day.dir.0;
    {
        // More evidence than a pipe holds (64 KiB), so a reader that leaves
        // early is seen by the writer.
        let mut t = common::open(
            &day.dir,
            std::sync::Arc::new(courier_terminal::position_source::NoPosition),
        );
        let label = &plain_offline(&day, 0).label;
        t.arrive(label).expect("arrive");
        for _ in 0..150 {
            t.contact(label, courier_terminal::terminal::ContactChannel::Call)
                .expect("contact");
        }
    }
    // The output closed (`>&-`): nothing can be written.
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' events export >&-", common::bin()))
        .env("COURIER_TERMINAL_DATA", data)
        .output()
        .expect("run");
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("events exported"), "{}", text(&o));
    assert!(
        text(&o).contains("standard output is closed"),
        "{}",
        text(&o)
    );
    // A reader that takes one byte and leaves (`| head -c 1`).
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "'{}' events export | head -c 1 >/dev/null; exit ${{PIPESTATUS[0]}}",
            common::bin()
        ))
        .env("COURIER_TERMINAL_DATA", data)
        .output()
        .expect("run");
    let t = text(&o);
    assert_ne!(o.status.code(), Some(0), "{t}");
    assert!(!t.contains(" events exported"), "{t}");
    assert!(t.contains("INCOMPLETE"), "{t}");
    assert!(t.contains("of 152 events"), "{t}");
    // To a file, all of them, and said so.
    let file = day.tmp.path().join("export.jsonl");
    let o = run(
        data,
        &["events", "export", "--out", file.to_str().expect("utf8")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("152 events exported"), "{}", text(&o));
}
