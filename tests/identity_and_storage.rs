//! Identity is never replaced by accident, storage faults name themselves, and
//! reading commands keep working when the store cannot be written.

mod common;

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use courier_protocol::vocabulary::{CheckResult, CodePolicy, EventKind};
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Reads, Store, TryOwner, TrySpec};

fn run(data: &Path, args: &[&str]) -> Output {
    common::cli(data)
        .args(args)
        .output()
        .expect("run courier-terminal")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn events(data: &Path) -> u64 {
    Store::open_read_only(&data.join("terminal.db"))
        .expect("reader")
        .chain_tip()
        .expect("tip")
        .seq
}

fn offline_label(day: &common::Day) -> (String, String) {
    let c = day
        .codes
        .iter()
        .enumerate()
        .find(|(i, c)| c.policy == CodePolicy::OfflineAllowed && !matches!((i + 1) % 10, 4 | 8))
        .map(|(_, c)| c)
        .expect("an offline delivery");
    (c.label.clone(), c.numeric.clone())
}

#[test]
fn init_never_replaces_an_identity() {
    let day = common::day(3);
    let data = day.dir.0.clone();
    let key = std::fs::read(day.dir.key()).expect("key");
    let o = run(&data, &["init"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("already set up"), "{}", text(&o));
    assert_eq!(std::fs::read(day.dir.key()).expect("key"), key, "key kept");

    // The key is lost: init refuses, the log stays verifiable and exportable.
    let seq = events(&data);
    std::fs::remove_file(day.dir.key()).expect("lose the key");
    let o = run(&data, &["init"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("device key is missing"), "{}", text(&o));
    assert!(text(&o).contains("Re-enrollment"), "{}", text(&o));
    assert!(!day.dir.key().exists(), "no new key over the old log");
    assert_eq!(events(&data), seq);
    let o = run(&data, &["events", "verify"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(&data, &["events", "export"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count() as u64,
        seq
    );

    // The database is lost: init refuses to start a second log under the key.
    let other = common::day(1);
    std::fs::remove_file(other.dir.database()).expect("lose the database");
    let key = std::fs::read(other.dir.key()).expect("key");
    let o = run(&other.dir.0, &["init", "--device-id", "CT-NEW"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("database is missing"), "{}", text(&o));
    assert_eq!(std::fs::read(other.dir.key()).expect("key"), key);
    assert!(!other.dir.database().exists());
}

#[test]
fn an_empty_database_file_is_refused_not_given_a_schema() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let o = run(&data, &["init"]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::write(data.join("terminal.db"), b"").expect("truncate");
    let o = run(&data, &["status"]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("is empty (0 bytes"), "{}", text(&o));
    let o = run(&data, &["arrive", "X"]);
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(
        std::fs::metadata(data.join("terminal.db"))
            .expect("db")
            .len(),
        0,
        "nothing written into it"
    );
}

#[test]
fn files_are_private_whatever_the_directory_mode() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    std::fs::DirBuilder::new()
        .mode(0o755)
        .create(&data)
        .expect("dir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("mode");
    let o = run(&data, &["init"]);
    assert!(o.status.success(), "{}", text(&o));
    // A write so that the WAL and its index exist.
    let o = run(&data, &["status"]);
    assert!(o.status.success(), "{}", text(&o));
    for name in [
        "terminal.db",
        "device.key",
        "terminal.db-wal",
        "terminal.db-shm",
    ] {
        let path = data.join(name);
        if let Ok(m) = std::fs::metadata(&path) {
            assert_eq!(
                m.permissions().mode() & 0o077,
                0,
                "{name} is readable by others"
            );
        } else {
            assert!(
                name.ends_with("-wal") || name.ends_with("-shm"),
                "{name} missing"
            );
        }
    }
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let day = common::day(3);
    for args in [
        &["events", "verify"][..],
        &["events", "export"],
        &["parcels"],
    ] {
        let mut child = common::cli(&day.dir.0)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let o = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        if args == ["events", "export"] {
            // Evidence that did not reach its reader is said so (issue 22).
            assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains("INCOMPLETE"), "{args:?}: {err}");
        } else {
            assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        }
    }
}

#[test]
fn arabic_indic_digits_are_read_as_the_code() {
    let day = common::day(3);
    let (label, code) = offline_label(&day);
    let arabic: String = code
        .chars()
        .map(|c| char::from_u32(0x0660 + c.to_digit(10).expect("digit")).expect("char"))
        .collect();
    let o = run(&day.dir.0, &["deliver", &label, "--code", &arabic]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("DELIVERED"), "{}", text(&o));
}

/// Issue 22, message 9: a code pasted from an SMS with an invisible
/// right-to-left mark before Arabic digits (and a no-break space, a zero-width
/// space inside), and a label wrapped in bidi isolates, are what the screen
/// shows: the code and the label, not "digits only".
#[test]
fn invisible_marks_around_a_pasted_code_and_label_are_ignored() {
    let day = common::day(3);
    let (label, code) = offline_label(&day);
    let arabic: String = code
        .chars()
        .map(|c| char::from_u32(0x0660 + c.to_digit(10).expect("digit")).expect("char"))
        .collect();
    let (head, tail) = arabic.split_at(arabic.char_indices().nth(3).expect("6 digits").0);
    let pasted = format!("\u{200F}{head}\u{00A0}\u{200B}{tail}\u{200E}");
    let wrapped = format!("\u{2066}{label}\u{2069}");
    let o = run(&day.dir.0, &["deliver", &wrapped, "--code", &pasted]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("DELIVERED"), "{}", text(&o));
    assert!(!text(&o).contains("digits only"), "{}", text(&o));
}

#[test]
fn a_try_spent_by_a_process_that_died_reaches_the_log_once() {
    let day = common::day(3);
    let (label, _) = offline_label(&day);
    let parcel = common::open(&day.dir, Arc::new(NoPosition))
        .parcel(&label)
        .expect("parcel");
    // A process that has exited: its pid is free.
    let dead = Command::new("true").spawn().expect("spawn");
    let pid = dead.id();
    let mut dead = dead;
    dead.wait().expect("reap");
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .expect("boot id")
        .trim()
        .to_owned();
    let mut store = Store::open(&day.dir.database()).expect("store");
    let spent = store
        .spend_attempt(
            &TrySpec {
                parcel_id: &parcel.spec.parcel_id,
                limit: parcel.spec.attempt_limit,
                entry: "keypad",
                check_mode: "offline",
            },
            &TryOwner {
                pid,
                boot_id: boot,
                at_ms: common::now_ms(),
            },
        )
        .expect("spend")
        .expect("a try left");
    drop(store);
    let before = events(&day.dir.0);
    // The next start records it, once.
    drop(common::open(&day.dir, Arc::new(NoPosition)));
    drop(common::open(&day.dir, Arc::new(NoPosition)));
    let s = Store::open_read_only(&day.dir.database()).expect("reader");
    let recorded = s.events(before + 1, 100).expect("events");
    assert_eq!(recorded.len(), 1, "one interrupted try: {recorded:?}");
    let e = &recorded[0];
    assert_eq!(e.body.kind, EventKind::CodeAttempt);
    let v = e.body.verification.as_ref().expect("verification");
    assert_eq!((v.result, v.attempt), (CheckResult::Interrupted, spent));
    assert!(s.tries_in_flight().expect("in flight").is_empty());
}

#[test]
fn only_the_latest_outcome_is_corrected() {
    let day = common::day(3);
    let (label, _) = offline_label(&day);
    let data = &day.dir.0;
    assert!(run(data, &["arrive", &label]).status.success());
    let o = run(
        data,
        &[
            "attempt",
            &label,
            "--outcome",
            "no_code",
            "--reason",
            "code_unknown",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let first = Store::open_read_only(&day.dir.database())
        .expect("reader")
        .events(1, 1000)
        .expect("events")
        .into_iter()
        .rev()
        .find(|e| e.body.kind == EventKind::Outcome)
        .expect("outcome")
        .body
        .event_id;
    assert!(run(data, &["arrive", &label]).status.success());
    let o = run(
        data,
        &[
            "attempt",
            &label,
            "--outcome",
            "buyer_cancelled",
            "--reason",
            "changed_mind",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        data,
        &[
            "correct",
            &first,
            "--outcome",
            "carrier_problem",
            "--reason",
            "vehicle",
            "--note",
            "typo",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("correct the latest one"), "{}", text(&o));
    let o = run(data, &["parcels", "--json"]);
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("failed:buyer_cancelled"),
        "the parcel is not reopened: {}",
        text(&o)
    );
}

#[test]
fn loading_the_same_manifest_twice_is_not_an_error() {
    let day = common::day(3);
    for _ in 0..2 {
        let o = run(
            &day.dir.0,
            &[
                "manifest",
                "load",
                day.manifest_file.to_str().expect("utf8"),
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
}

#[test]
fn an_oversized_manifest_is_refused_before_it_is_read() {
    let day = common::day(3);
    let big = day.tmp.path().join("big.json");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(9 * 1024 * 1024).expect("size");
    let o = run(
        &day.dir.0,
        &["manifest", "load", big.to_str().expect("utf8")],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("larger than 8 MiB"), "{}", text(&o));
    let o = run(&day.dir.0, &["manifest", "show"]);
    assert!(text(&o).contains("version 1"), "current kept: {}", text(&o));
}

/// A small file system of the test's own (tmpfs), unmounted on drop. `None`
/// where mounting is not allowed (the test then says so and skips).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .ok()?
            .success();
        ok.then(|| Tmpfs(at.to_owned()))
    }

    fn remount(&self, opts: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(&self.0)
            .status()
            .expect("remount")
            .success();
        assert!(ok, "remount {opts}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A device set up on a small tmpfs, with a few events.
fn device_on_tmpfs(size: &str) -> Option<(common::Day, Tmpfs, PathBuf)> {
    let day = common::day(5);
    let mount = day.tmp.path().join("mnt");
    let Some(fs) = Tmpfs::mount(&mount, size) else {
        println!("SKIPPED: cannot mount a tmpfs here (needs root); storage-fault tests not run");
        return None;
    };
    let data = mount.join("data");
    let o = Command::new("cp")
        .arg("-a")
        .arg(&day.dir.0)
        .arg(&data)
        .output()
        .expect("cp");
    assert!(o.status.success(), "{}", text(&o));
    let (label, _) = offline_label(&day);
    let o = run(&data, &["arrive", &label]);
    assert!(o.status.success(), "{}", text(&o));
    Some((day, fs, data))
}

/// Every reading command works; returns what `status` said on standard error.
fn reading_commands_work(data: &Path) -> String {
    for args in [
        &["status"][..],
        &["events", "verify"],
        &["events", "export"],
        &["parcels"],
        &["manifest", "show"],
        &["sync", "--status"],
        &["depot", "export", "--format", "csv", "--out", "/dev/null"],
    ] {
        let o = run(data, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        assert!(!text(&o).contains("NOT recorded"), "{args:?}: {}", text(&o));
    }
    String::from_utf8_lossy(&run(data, &["status"]).stderr).into_owned()
}

fn side_files_absent(data: &Path) -> bool {
    !data.join("terminal.db-wal").exists() && !data.join("terminal.db-shm").exists()
}

/// Issue 22: on a read-only mount, with the database's side files absent
/// (the last writer closed cleanly), every reading command reads, and says
/// what it found.
#[test]
fn a_read_only_store_without_its_side_files_reads_and_says_what_it_found() {
    let Some((_day, fs, data)) = device_on_tmpfs("4m") else {
        return;
    };
    assert!(side_files_absent(&data), "the last writer closed cleanly");
    fs.remount("ro");
    // Read here only now: a read on a writable directory leaves the side
    // files behind, which hid the fault.
    let seq = events(&data);
    let said = reading_commands_work(&data);
    assert!(said.contains("cannot be written"), "{said}");
    assert!(said.contains("-wal and -shm are absent"), "{said}");
    let export = run(&data, &["events", "export"]);
    assert_eq!(
        String::from_utf8_lossy(&export.stdout).lines().count() as u64,
        seq,
        "every event read"
    );
    fs.remount("rw");
    assert_eq!(events(&data), seq, "nothing lost");
}

#[test]
fn a_read_only_store_says_so_and_still_reads() {
    let Some((day, fs, data)) = device_on_tmpfs("4m") else {
        return;
    };
    let seq = events(&data);
    fs.remount("ro");
    reading_commands_work(&data);
    let (label, _) = offline_label(&day);
    let o = run(&data, &["inspect", &label]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("read-only"), "{}", text(&o));
    assert!(text(&o).contains("NOT recorded"), "{}", text(&o));
    fs.remount("rw");
    assert_eq!(events(&data), seq, "nothing lost");
}

#[test]
fn a_full_disk_says_so_loses_nothing_and_still_reads() {
    let Some((day, _fs, data)) = device_on_tmpfs("4m") else {
        return;
    };
    let seq = events(&data);
    let filler = data.parent().expect("mount").join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=64k"])
        .arg(format!("of={}", filler.display()))
        .stderr(Stdio::null())
        .status();
    reading_commands_work(&data);
    let (label, _) = offline_label(&day);
    let o = run(&data, &["inspect", &label]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("storage is full"), "{}", text(&o));
    assert_eq!(events(&data), seq, "nothing half-written");
    // Issue 22: after a write was tried on the full disk, reading still
    // works and says the storage is full.
    let said = reading_commands_work(&data);
    assert!(said.contains("the storage is full"), "{said}");
    std::fs::remove_file(&filler).expect("free space");
    let o = run(&data, &["inspect", &label]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(events(&data), seq + 1);
}
