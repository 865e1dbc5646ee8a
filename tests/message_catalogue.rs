//! The catalogue of every message a courier, a supervisor or carrier IT can
//! see (`docs/messages.md`), generated from the code: the screens' words in
//! English, French and Arabic from the UI's own translations, and the command
//! line's words from the errors themselves, one sample of each kind.
//!
//! Regenerate after changing a message:
//! `UPDATE_MESSAGES=1 cargo test -p courier-terminal --test message_catalogue`.
//! Without it, the test fails when the committed catalogue differs, and when
//! a message shows one of the faults issue 22 found (raw Unix milliseconds,
//! "NOT recorded" on a read, an internal parcel id).

use std::fmt::Write as _;
use std::path::PathBuf;

use courier_protocol::ProtocolError;
use courier_protocol::bounds::OutOfBounds;
use courier_protocol::code_verifier::CodeFormatError;
use courier_protocol::rules::RuleViolation;
use courier_protocol::supervisor::SupervisorFormatError;
use courier_protocol::vocabulary::{Outcome, Reason};
use courier_terminal::cli::note::{Note, Stream};
use courier_terminal::device_key::KeyError;
use courier_terminal::diagnosis_fix::Fix;
use courier_terminal::domain::code_check::BadCodeMaterial;
use courier_terminal::domain::manifest_acceptance::ManifestRefusal;
use courier_terminal::domain::refusal::Refusal;
use courier_terminal::storage::{ReadCondition, ReadMode, StoreError};
use courier_terminal::terminal::{SupervisorRefusal, TerminalError};
use courier_terminal::ui::notice::{NoticeKind, notice};
use courier_terminal::ui::{MainWindow, Tr};
use slint::ComponentHandle;

/// The expiry of the sample expired manifest, Unix ms.
const EXPIRED_AT_MS: i64 = 1_796_596_917_685;
/// The device's trusted time in that sample, Unix ms.
const TRUSTED_NOW_MS: i64 = 1_796_604_117_735;

/// One sample of every refusal, in the order of the enum. The match below
/// fails to compile when a variant is added without a sample.
fn refusals() -> Vec<Refusal> {
    let all = vec![
        Refusal::AlreadyDelivered,
        Refusal::Withdrawn,
        Refusal::ReturnedToDepot,
        Refusal::Locked { limit: 5 },
        Refusal::NotArrived,
        Refusal::AlreadyArrived,
        Refusal::Final(Outcome::BuyerCancelled),
        Refusal::QrForOtherOrder {
            scanned: "ORD-2".into(),
            expected: "ORD-1".into(),
        },
        Refusal::NoQrForm,
        Refusal::DeliveredNeedsCode,
        Refusal::ReasonNotAllowed {
            outcome: Outcome::NoAnswer,
            reason: Some(Reason::Damaged),
            allowed: vec![Reason::Absent],
        },
        Refusal::NoAnswerNeedsFix,
        Refusal::NoAnswerTooFar {
            distance_m: 250,
            radius_m: 100,
        },
        Refusal::NoAnswerWaitNotOver { remaining_s: 120 },
        Refusal::NoAnswerNeedsContacts { done: 1, needed: 2 },
        Refusal::NothingToCollect,
        Refusal::WrongCollectedItem {
            expected: "ITEM-1".into(),
            scanned: "ITEM-9".into(),
        },
        Refusal::CollectFirst,
        Refusal::InspectFirst,
        Refusal::DayNotReconciled {
            missing: 1,
            pending: 3,
        },
        Refusal::BadCorrection("a delivery cannot be corrected".into()),
        Refusal::BadFeeChange("the payer is already the seller".into()),
        Refusal::CourierConfirmationRequired,
        Refusal::ConfirmationOutdated,
        Refusal::DayAlreadyClosed,
        Refusal::ReturnsUnaccounted { missing: 4 },
        Refusal::ForceNeedsReason,
        Refusal::ConditionNeedsReason,
        Refusal::NotReceived,
        Refusal::SupervisorRequired,
        Refusal::DayClosedMissing {
            label: "L-0042".into(),
        },
        Refusal::NotLoaded {
            label: "L-0042".into(),
        },
        Refusal::PhotoRequired {
            case: courier_protocol::photo_policy::PhotoCase::RefusedAfterInspection,
            required: 2,
            taken: 1,
        },
        Refusal::OrderParcelNotScanned {
            label: "L-0042B".into(),
        },
        Refusal::NotInOrder {
            label: "L-0099".into(),
            order_ref: "ORD-1".into(),
        },
        Refusal::OrderAllRefused,
        Refusal::DeskStopParcel {
            label: "L-0042".into(),
        },
        Refusal::HandedToDesk {
            label: "L-0042".into(),
        },
        Refusal::NoDeskStop {
            label: "L-0042".into(),
        },
        Refusal::WrongDesk {
            label: "L-0042".into(),
        },
        Refusal::NotThisDesk {
            label: "L-0042".into(),
        },
        Refusal::NotReceivedAtDesk {
            label: "L-0042".into(),
        },
        Refusal::AlreadyAtDesk {
            label: "L-0042".into(),
        },
        Refusal::HoldingOver {
            label: "L-0042".into(),
        },
        Refusal::HoldingRunning {
            label: "L-0042".into(),
        },
        Refusal::HandoverMismatch,
    ];
    for r in &all {
        match r {
            Refusal::AlreadyDelivered
            | Refusal::Withdrawn
            | Refusal::ReturnedToDepot
            | Refusal::Locked { .. }
            | Refusal::NotArrived
            | Refusal::AlreadyArrived
            | Refusal::Final(_)
            | Refusal::QrForOtherOrder { .. }
            | Refusal::NoQrForm
            | Refusal::DeliveredNeedsCode
            | Refusal::ReasonNotAllowed { .. }
            | Refusal::NoAnswerNeedsFix
            | Refusal::NoAnswerTooFar { .. }
            | Refusal::NoAnswerWaitNotOver { .. }
            | Refusal::NoAnswerNeedsContacts { .. }
            | Refusal::NothingToCollect
            | Refusal::WrongCollectedItem { .. }
            | Refusal::CollectFirst
            | Refusal::InspectFirst
            | Refusal::DayNotReconciled { .. }
            | Refusal::BadCorrection(_)
            | Refusal::BadFeeChange(_)
            | Refusal::CourierConfirmationRequired
            | Refusal::ConfirmationOutdated
            | Refusal::DayAlreadyClosed
            | Refusal::ReturnsUnaccounted { .. }
            | Refusal::ForceNeedsReason
            | Refusal::ConditionNeedsReason
            | Refusal::NotReceived
            | Refusal::SupervisorRequired
            | Refusal::DayClosedMissing { .. }
            | Refusal::NotLoaded { .. } => {}
            Refusal::PhotoRequired { .. } => {}
            Refusal::OrderParcelNotScanned { .. }
            | Refusal::NotInOrder { .. }
            | Refusal::OrderAllRefused => {}
            Refusal::DeskStopParcel { .. }
            | Refusal::HandedToDesk { .. }
            | Refusal::NoDeskStop { .. }
            | Refusal::WrongDesk { .. }
            | Refusal::NotThisDesk { .. }
            | Refusal::NotReceivedAtDesk { .. }
            | Refusal::AlreadyAtDesk { .. }
            | Refusal::HoldingOver { .. }
            | Refusal::HoldingRunning { .. }
            | Refusal::HandoverMismatch => {}
        }
    }
    all
}

/// One sample of every other error the command line and the screens show.
fn errors() -> Vec<TerminalError> {
    let dir = PathBuf::from("/var/lib/courier-terminal");
    let mut all: Vec<TerminalError> = vec![
        ManifestRefusal::Signature(ProtocolError::BadSignature("manifest")).into(),
        ManifestRefusal::OtherDevice {
            for_device: "CT-OTHER".into(),
            this_device: "CT-0001".into(),
        }
        .into(),
        ManifestRefusal::Expired {
            expired_at_ms: EXPIRED_AT_MS,
            now_ms: TRUSTED_NOW_MS,
        }
        .into(),
        ManifestRefusal::Rollback {
            offered: 3,
            highest: 4,
        }
        .into(),
        ManifestRefusal::VersionReused(4).into(),
        ManifestRefusal::Invalid("label L-1 is listed twice".into()).into(),
        StoreError::Full("recording the event").into(),
        StoreError::Full("reading parcels").into(),
        StoreError::ReadOnly("recording the event").into(),
        StoreError::ReadOnly("opening the database read-only").into(),
        StoreError::Corrupt("opening the database").into(),
        StoreError::Missing(dir.join("terminal.db")).into(),
        StoreError::Busy("recording the event").into(),
        StoreError::Schema("the database is newer than this app".into()).into(),
        StoreError::Decode("parcel row".into()).into(),
        KeyError::Missing(dir.join("device.key")).into(),
        KeyError::Permissions(dir.join("device.key"), 0o644).into(),
        KeyError::Damaged(dir.join("device.key")).into(),
        KeyError::Random.into(),
        CodeFormatError::NotDigits.into(),
        CodeFormatError::WrongLength {
            found: 5,
            expected: 6,
        }
        .into(),
        CodeFormatError::NotBuyerQr.into(),
        BadCodeMaterial("the salt is not hex".into()).into(),
        TerminalError::UnknownLabel("L-0042".into()),
        TerminalError::AmbiguousLabel {
            text: "42".into(),
            matches: 2,
        },
        TerminalError::UnknownEvent("0190a0a0-0000-7000-8000-000000000000".into()),
        OutOfBounds::FieldTooLong {
            field: "detail.note".into(),
            chars: 1200,
            max: 1000,
        }
        .into(),
        TerminalError::NotInitialised(
            "/var/lib/courier-terminal holds no device key and no database: run `courier-terminal enroll` (or `init`)".into(),
        ),
        TerminalError::Identity(
            "the database is missing from /var/lib/courier-terminal but the device key is there: ... (README, \"Re-enrollment\")".into(),
        ),
        SupervisorRefusal::NotSignedIn.into(),
        SupervisorRefusal::SessionExpired.into(),
        SupervisorRefusal::UnknownSupervisor("SUP-9".into()).into(),
        SupervisorRefusal::NoSuchFactor("PIN").into(),
        SupervisorRefusal::Format(SupervisorFormatError::NotBadge).into(),
        SupervisorRefusal::Format(SupervisorFormatError::PinNotDigits).into(),
        SupervisorRefusal::Format(SupervisorFormatError::PinLength {
            found: 3,
            expected: 4,
        })
        .into(),
        SupervisorRefusal::BadMaterial("no salt".into()).into(),
        SupervisorRefusal::NeedsNetwork.into(),
        SupervisorRefusal::ServerRefused("wrong PIN: 4 tries left".into()).into(),
        TerminalError::Inconsistent(RuleViolation::Inconsistent(
            "a delivered outcome without a verification".into(),
        )),
        TerminalError::NoCamera,
        firmware_bridge::CameraError::Capture(std::io::Error::from_raw_os_error(19)).into(),
        TerminalError::Photo("the camera's frame cannot be read: 5 bytes for 4x4 RGB".into()),
        TerminalError::PhotoFile {
            source: std::io::Error::from_raw_os_error(28),
        },
    ];
    all.extend(refusals().into_iter().map(TerminalError::from));
    all
}

/// What the command line prints for an error: refusals on standard error
/// with exit code 3, other errors with exit code 1 (`src/cli/output.rs`).
fn cli_line(e: &TerminalError) -> (String, u8) {
    match e {
        TerminalError::Refused(_)
        | TerminalError::CodeFormat(_)
        | TerminalError::UnknownLabel(_)
        | TerminalError::UnknownEvent(_)
        | TerminalError::OutOfBounds(_)
        | TerminalError::Supervisor(_)
        | TerminalError::Manifest(_) => (format!("refused: {e}"), 3),
        _ => (format!("error: {e}"), 1),
    }
}

/// One entry of a translation file: its English source and its translation
/// (every plural form).
struct PoEntry {
    english: String,
    translated: Vec<String>,
}

/// Reads a gettext `.po` file of the screens (no `msgctxt`: the files have none).
fn po_entries(lang: &str) -> Vec<PoEntry> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "ui/translations/{lang}/LC_MESSAGES/courier-terminal.po"
    ));
    let text = std::fs::read_to_string(&path).expect("translation file");
    let unquote = |s: &str| -> String {
        let s = s.trim();
        let s = s
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(s);
        s.replace("\\\"", "\"").replace("\\n", " ")
    };
    let mut entries = Vec::new();
    let mut current: Option<PoEntry> = None;
    // Which string a continuation line ("...") extends.
    let mut last: Option<&'static str> = None;
    for line in text.lines() {
        if line.starts_with("msgid_plural ") {
            last = Some("plural");
        } else if let Some(v) = line.strip_prefix("msgid ") {
            if let Some(e) = current.take() {
                entries.push(e);
            }
            current = Some(PoEntry {
                english: unquote(v),
                translated: Vec::new(),
            });
            last = Some("id");
        } else if line.starts_with("msgstr") {
            let v = line.split_once(' ').map_or("", |(_, v)| v);
            if let Some(e) = current.as_mut() {
                e.translated.push(unquote(v));
            }
            last = Some("str");
        } else if line.starts_with('"')
            && let Some(e) = current.as_mut()
        {
            let more = unquote(line);
            match last {
                Some("id") => e.english.push_str(&more),
                Some("plural") => {}
                _ => {
                    if let Some(t) = e.translated.last_mut() {
                        t.push_str(&more);
                    }
                }
            }
        }
    }
    entries.extend(current);
    entries.retain(|e| !e.english.is_empty());
    entries
}

/// A string literal at the start of `text` (after blanks): its content, unescaped
/// as Slint does for `\"` and `\\`, and the rest of the text.
fn string_literal(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let mut chars = text.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, e)) = chars.next() {
                    out.push(e);
                }
            }
            '"' => return Some((out, &text[i + 2..])),
            c => out.push(c),
        }
    }
    None
}

/// Every `@tr("…")` (and `@tr("…" | "…" % n)`) of `ui/**/*.slint`: the English
/// text, its plural, and the files that show it, in the order found.
fn slint_texts() -> Vec<(String, Option<String>, Vec<String>)> {
    fn walk(dir: &std::path::Path, files: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("ui directory")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "slint") {
                files.push(path);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("ui"), &mut files);
    let mut texts: Vec<(String, Option<String>, Vec<String>)> = Vec::new();
    for path in files {
        let source = std::fs::read_to_string(&path).expect("slint file");
        let name = path
            .strip_prefix(root.join("ui"))
            .expect("under ui")
            .display()
            .to_string();
        for (at, _) in source.match_indices("@tr(") {
            let Some((english, rest)) = string_literal(&source[at + 4..]) else {
                continue;
            };
            let plural = rest
                .trim_start()
                .strip_prefix('|')
                .and_then(string_literal)
                .map(|(p, _)| p);
            match texts.iter_mut().find(|t| t.0 == english) {
                Some(t) if !t.2.contains(&name) => t.2.push(name.clone()),
                Some(_) => {}
                None => texts.push((english, plural, vec![name.clone()])),
            }
        }
    }
    texts
}

/// Every text of the screens, read from the `.slint` sources, with its
/// French and Arabic from the translation files, by the screen that shows it.
fn screen_texts() -> String {
    let fr = po_entries("fr");
    let ar = po_entries("ar");
    let find = |entries: &[PoEntry], english: &str| -> String {
        entries
            .iter()
            .find(|e| e.english == english)
            .map(|e| e.translated.join(" / "))
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "(missing)".into())
    };
    let mut out = String::from(
        "\n## 5. Screens: every text, in English, French and Arabic\n\n\
         Every text the screens can show (titles, buttons, the status bar, the\n\
         service screens): each `@tr(…)` of `ui/**/*.slint`, with its translations\n\
         from `ui/translations/*/LC_MESSAGES/courier-terminal.po`, by the files that\n\
         show it. `{}` and `{n}` are filled in on the screen; a plural has its\n\
         forms separated by `/`.\n\n\
         | shown in | English | Français | العربية |\n|---|---|---|---|\n",
    );
    for (english, plural, places) in slint_texts() {
        let shown = match &plural {
            Some(p) => format!("{english} / {p}"),
            None => english.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            places.join(", "),
            cell(&shown),
            cell(&find(&fr, &english)),
            cell(&find(&ar, &english))
        );
    }
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn catalogue() -> String {
    i_slint_backend_testing::init_no_event_loop();
    let ui = MainWindow::new().expect("window");
    let tr = ui.global::<Tr>();
    let words = |lang: &str, kind: NoticeKind| {
        slint::select_bundled_translation(lang).expect("bundled translation");
        tr.invoke_refusal(kind.code().into(), 3, 5).to_string()
    };
    let mut out = String::new();
    out.push_str(
        "# Messages\n\n\
         Every message a courier, a depot supervisor or carrier IT can see, for a\n\
         translator or a support desk. Generated from the code by\n\
         `UPDATE_MESSAGES=1 cargo test -p courier-terminal --test message_catalogue`\n\
         (`tests/message_catalogue.rs`); the test fails when this file is out of date.\n\
         Do not edit it by hand: change the message in the code, then regenerate.\n\n\
         Reviewed for the faults of issue 22: each says what is true, names parcels\n\
         by label, gives times in local time with the offset from UTC, and a next\n\
         step that works. A device shows times in its own zone, with the offset.\n\n",
    );
    out.push_str("## 1. Screens (banner), in English, French and Arabic\n\n");
    out.push_str(
        "The numbers a sentence takes are shown as 3 and 5. Source: `ui/widgets/texts.slint`\n\
         (`Tr.refusal`), `ui/translations/*/LC_MESSAGES/courier-terminal.po`; which error\n\
         gives which notice: `src/ui/notice.rs`.\n\n",
    );
    out.push_str("| notice | English | Français | العربية |\n|---|---|---|---|\n");
    for kind in NoticeKind::all() {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            kind.code(),
            cell(&words("en", kind)),
            cell(&words("fr", kind)),
            cell(&words("ar", kind))
        );
    }
    out.push_str(
        "\n## 2. Command line: errors and refusals\n\n\
         One sample of each kind (paths, labels and numbers are examples). The\n\
         screen shows the notice of the last column for the same error.\n\n\
         | exit | what is printed (standard error) | screen notice |\n|---|---|---|\n",
    );
    for e in errors() {
        let (line, code) = cli_line(&e);
        let _ = writeln!(
            out,
            "| {code} | {} | `{}` |",
            cell(&line),
            notice(&e).kind.code()
        );
    }
    out.push_str(
        "\n## 3. Command line: what a reading command found at the store\n\n\
         Printed on standard error by `status`, `parcels`, `events export`, `events\n\
         verify`, `manifest show` and the other reading commands, which still read.\n\n",
    );
    for (read_only, full, absent, mode) in [
        (true, false, vec!["-wal", "-shm"], ReadMode::Immutable),
        (true, false, vec!["-shm"], ReadMode::Exclusive),
        (false, true, vec![], ReadMode::Shared),
        (false, true, vec!["-shm"], ReadMode::Exclusive),
    ] {
        let c = ReadCondition {
            read_only,
            full,
            side_files_absent: absent,
            mode,
        };
        let _ = writeln!(out, "- {}", c.describe());
    }
    out.push_str(
        "\n## 4. Command line: answers, warnings and verdicts\n\n\
         What a command says besides its data and its errors (`src/cli/note.rs`),\n\
         one sample of each (labels and numbers are examples); `stdout` is the\n\
         command's answer, `stderr` a line beside it, `error` a line on standard\n\
         error as `error: …` with exit code 1.\n\n\
         | printed on | what is printed |\n|---|---|\n",
    );
    for note in Note::samples() {
        let stream = match note.stream() {
            Stream::Out => "stdout",
            Stream::Err => "stderr",
            Stream::Error => "error",
        };
        let printed = match note.stream() {
            Stream::Error => format!("error: {note}"),
            _ => note.to_string(),
        };
        let _ = writeln!(out, "| {stream} | {} |", cell(&printed));
    }
    out.push_str(&screen_texts());
    out.push_str(
        "\n## 6. `diagnose`: what carrier IT is told to do\n\n\
         Each line of `courier-terminal diagnose` says what it found (storage, key,\n\
         GNSS, clock, scanner, server, outbox) and, unless it is fine, one of these\n\
         (`src/diagnosis_fix.rs`):\n\n",
    );
    for fix in Fix::ALL.iter().filter(|f| **f != Fix::Nothing) {
        let _ = writeln!(out, "- {}", fix.text());
    }
    out.push_str(
        "\n## 7. Exit codes\n\n\
         | code | meaning |\n|---|---|\n\
         | 0 | done |\n\
         | 1 | error, with what to fix (storage, setup, input; an incomplete `events export`) |\n\
         | 2 | usage (a command or an option not understood) |\n\
         | 3 | refused by the rules (wrong code, locked, withdrawn, missing evidence, a supervisor step) |\n\
         | 4 | `sync` incomplete: the events stay queued and are retried |\n\
         | 5 | `sync`: the downloaded manifest was refused; the current one stays |\n\
         | 6 | `depot scan-in`: every scan recorded, at least one raised an alarm |\n",
    );
    out
}

#[test]
fn the_committed_catalogue_is_the_generated_one_and_shows_none_of_the_faults() {
    // Times are shown in the zone of the machine that runs this: written
    // as a placeholder, so the catalogue is the same everywhere.
    let mut text = catalogue();
    for ms in [EXPIRED_AT_MS, TRUSTED_NOW_MS] {
        text = text.replace(
            &courier_terminal::local_time::LocalTime(ms).to_string(),
            "[local time, e.g. 2026-12-07 11:41:57 (UTC+01:00)]",
        );
    }
    if let Some(line) = text.lines().find(|l| l.contains("(missing)")) {
        panic!("a screen text has no translation: {line}");
    }
    for (fault, bad) in [
        ("raw Unix milliseconds", "Unix ms"),
        ("an internal parcel id", "P-0"),
        ("a Rust name", "Some("),
    ] {
        assert!(!text.contains(bad), "a message shows {fault}: {bad:?}");
    }
    for line in text.lines().filter(|l| {
        l.contains("while reading") || l.contains("read-only while opening the database read-only")
    }) {
        assert!(
            !line.contains("NOT recorded"),
            "a read says NOT recorded: {line}"
        );
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/messages.md");
    if std::env::var_os("UPDATE_MESSAGES").is_some() {
        std::fs::write(&path, &text).expect("write docs/messages.md");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "docs/messages.md is out of date: run `UPDATE_MESSAGES=1 cargo test -p courier-terminal --test message_catalogue` and commit it"
    );
}
