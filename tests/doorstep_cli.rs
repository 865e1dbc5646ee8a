//! The command line end to end: a day at the doors through the real binary.

mod common;

use std::process::Output;

use courier_protocol::vocabulary::CodePolicy;

fn run(day: &common::Day, args: &[&str]) -> Output {
    common::cli(&day.dir.0)
        .args(args)
        .output()
        .expect("run courier-terminal")
}

fn run_with_stdin(day: &common::Day, args: &[&str], stdin: &str) -> Output {
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn first_plain_offline(
    day: &common::Day,
    skip: usize,
) -> &courier_devtools::sample_day::SampleCode {
    day.codes
        .iter()
        .enumerate()
        .filter(|(i, c)| c.policy == CodePolicy::OfflineAllowed && !matches!((i + 1) % 10, 4 | 8))
        .map(|(_, c)| c)
        .nth(skip)
        .expect("an offline delivery parcel")
}

#[test]
fn wrong_code_counts_down_locks_and_right_code_delivers() {
    let day = common::day(20);
    let a = first_plain_offline(&day, 0);
    let wrong = if a.numeric == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in (1..5).rev() {
        let o = run(&day, &["deliver", &a.label, "--code", wrong]);
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        assert!(
            text(&o).contains(&format!("WRONG CODE: {left} tries left")),
            "{}",
            text(&o)
        );
    }
    let o = run(&day, &["deliver", &a.label, "--code", wrong]);
    assert!(text(&o).contains("LOCKED"), "{}", text(&o));
    // Even the right code cannot open a locked parcel.
    let o = run(&day, &["deliver", &a.label, "--code", &a.numeric]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("locked"), "{}", text(&o));
    let o = run(
        &day,
        &[
            "attempt",
            &a.label,
            "--outcome",
            "no_code",
            "--reason",
            "attempts_exhausted",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("return fees: per_policy"), "{}", text(&o));

    let b = first_plain_offline(&day, 1);
    let o = run(&day, &["deliver", &b.label, "--code", &b.numeric]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("DELIVERED"));
    let o = run(&day, &["deliver", &b.label, "--code", &b.numeric]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("already delivered"));

    let o = run(&day, &["events", "verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("signatures and chain verify"));
}

#[test]
fn malformed_code_spends_no_try_and_qr_works() {
    let day = common::day(10);
    let a = first_plain_offline(&day, 0);
    let o = run(&day, &["deliver", &a.label, "--code", "12ab56"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o).contains("digits only") && text(&o).contains("no try was used"),
        "{}",
        text(&o)
    );
    let o = run(&day, &["parcels", "--json"]);
    let line = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.contains(&a.label))
        .map(str::to_owned)
        .expect("parcel listed");
    assert!(line.contains("\"attempts_spent\":0"), "{line}");
    let o = run(&day, &["deliver", &a.label, "--qr", &a.qr]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn outcomes_need_arrival_reasons_and_record_liability() {
    let day = common::day(10);
    let a = first_plain_offline(&day, 0);
    let o = run(
        &day,
        &[
            "attempt",
            &a.label,
            "--outcome",
            "buyer_cancelled",
            "--reason",
            "changed_mind",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("arrival"), "{}", text(&o));
    assert_eq!(run(&day, &["arrive", &a.label]).status.code(), Some(0));
    let o = run(
        &day,
        &[
            "attempt",
            &a.label,
            "--outcome",
            "buyer_cancelled",
            "--reason",
            "damaged",
        ],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("does not apply"), "{}", text(&o));
    let o = run(&day, &["attempt", &a.label, "--outcome", "delivered"]);
    assert_eq!(o.status.code(), Some(3));
    let o = run(
        &day,
        &[
            "attempt",
            &a.label,
            "--outcome",
            "buyer_cancelled",
            "--reason",
            "changed_mind",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("return fees: buyer"), "{}", text(&o));
    let export = run(&day, &["events", "export"]);
    let last = String::from_utf8_lossy(&export.stdout)
        .lines()
        .last()
        .map(str::to_owned)
        .expect("events");
    let v: serde_json::Value = serde_json::from_str(&last).expect("json");
    assert_eq!(v["body"]["outcome"], "buyer_cancelled");
    assert_eq!(v["body"]["liability"], "buyer");
    // Correction: a new event pointing to the old one, never an edit.
    let id = v["body"]["event_id"].as_str().expect("id").to_owned();
    let o = run(
        &day,
        &[
            "correct",
            &id,
            "--outcome",
            "carrier_problem",
            "--reason",
            "address_not_found",
            "--note",
            "wrong building",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let export = run(&day, &["events", "export"]);
    let lines: Vec<String> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let corr: serde_json::Value = serde_json::from_str(lines.last().expect("last")).expect("json");
    assert_eq!(corr["body"]["corrects"], id.as_str());
    assert_eq!(corr["body"]["liability"], "carrier");
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&id) && l.contains("\"buyer_cancelled\"")),
        "original kept"
    );
}

#[test]
fn forged_other_device_expired_and_rollback_manifests_are_refused_and_current_kept() {
    let day = common::day(5);
    let dir = day.tmp.path();
    let sk = day.server_key_file.to_str().expect("utf8");
    let make = |name: &str, extra: &[&str], key: &str, device: &str| {
        let out = dir.join(name);
        let flag = |f: &str| {
            extra
                .iter()
                .position(|e| *e == f)
                .and_then(|i| extra.get(i + 1))
                .map(|v| (*v).to_owned())
        };
        let withdraw: Vec<String> = flag("--withdraw").into_iter().collect();
        courier_devtools::dev_commands::sample_manifest(
            &courier_devtools::dev_commands::SampleManifestArgs {
                server_key: std::path::Path::new(key),
                device_id: device,
                out: &out,
                parcels: 5,
                version: flag("--version").map_or(1, |v| v.parse().expect("version")),
                iterations: 1000,
                valid_hours: flag("--valid-hours").map_or(18, |v| v.parse().expect("hours")),
                withdraw: &withdraw,
                codes_out: None,
                now_ms: common::now_ms(),
            },
        )
        .expect("sample manifest");
        out
    };
    let other_key = dir.join("other.key");
    courier_devtools::dev_commands::server_key(&other_key).expect("other server key");
    let forged = make(
        "forged.json",
        &["--version", "2"],
        other_key.to_str().expect("utf8"),
        &day.device_id,
    );
    let other_dev = make("other.json", &["--version", "2"], sk, "CT-SOMEONE-ELSE");
    let expired = make(
        "expired.json",
        &["--version", "2", "--valid-hours", "-1"],
        sk,
        &day.device_id,
    );
    let v3 = make(
        "v3.json",
        &["--version", "3", "--withdraw", &day.codes[0].label],
        sk,
        &day.device_id,
    );
    let v2 = make("v2.json", &["--version", "2"], sk, &day.device_id);
    for (file, why) in [
        (&forged, "not issued by the server"),
        (&other_dev, "for device CT-SOMEONE-ELSE"),
        (&expired, "expired"),
    ] {
        let o = run(&day, &["manifest", "load", file.to_str().expect("utf8")]);
        assert_eq!(o.status.code(), Some(3), "{}", text(&o));
        assert!(text(&o).contains(why), "{}", text(&o));
        let show = run(&day, &["manifest", "show"]);
        assert!(
            text(&show).contains("version 1"),
            "current manifest kept: {}",
            text(&show)
        );
    }
    let o = run(&day, &["manifest", "load", v3.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("1 withdrawn"), "{}", text(&o));
    let o = run(&day, &["manifest", "load", v2.to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("rollback"), "{}", text(&o));
    // The withdrawn parcel cannot be delivered, even with its right code.
    let w = &day.codes[0];
    let o = run(&day, &["deliver", &w.label, "--code", &w.numeric]);
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("withdrawn"), "{}", text(&o));
    // Back at the depot only through the supervisor: the courier alone has no check-in.
    let o = run(&day, &["check-in", &w.label]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let badge = format!("{}\n", day.supervisor.badge_text);
    let o = run_with_stdin(&day, &["depot", "scan-in", "--label", &w.label], &badge);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn uninitialised_device_says_how_to_fix() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = common::cli(&tmp.path().join("nothing"))
        .args(["parcels"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("courier-terminal enroll"), "{}", text(&o));
}

#[test]
fn depot_reconciles_the_day_and_closes_it_signed() {
    let day = common::day(10);
    let a = first_plain_offline(&day, 0);
    let b = first_plain_offline(&day, 1);
    assert_eq!(
        run(&day, &["deliver", &a.label, "--code", &a.numeric])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(run(&day, &["arrive", &b.label]).status.code(), Some(0));
    assert_eq!(run(&day, &["inspect", &b.label]).status.code(), Some(0));
    let o = run(
        &day,
        &[
            "attempt",
            &b.label,
            "--outcome",
            "refused_after_inspection",
            "--reason",
            "wrong_item",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let report = text(&run(&day, &["depot", "report"]));
    assert!(
        report.contains(&format!("delivered      {}", a.label)),
        "{report}"
    );
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("missing") && l.contains(&b.label) && l.contains("seller")),
        "{report}"
    );
    // Issue 22, message 4: "missing" means one thing (expected back, not
    // scanned in) in the report, the returns and the close.
    assert!(
        report.contains(
            "1 delivered, 0 returned, 8 missing (expected back, not scanned in: 1 after an attempt, 7 never attempted), 1 pick-up(s) never attempted"
        ),
        "{report}"
    );
    assert!(report.contains("8 missing (not scanned in)"), "{report}");
    let returns = text(&run(&day, &["depot", "returns"]));
    assert!(
        returns.contains(", 8 missing (not scanned in)"),
        "{returns}"
    );

    // Closing the day needs the supervisor (badge on standard input, never an
    // argument) and the courier's confirmation of the totals first.
    let badge = format!("{}\n", day.supervisor.badge_text);
    assert_eq!(
        run(&day, &["depot", "confirm-close"]).status.code(),
        Some(0)
    );
    let o = run_with_stdin(&day, &["depot", "close"], &badge);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("cannot close the day: 8 missing (expected back, not scanned in)"),
        "{}",
        text(&o)
    );
    let o = run_with_stdin(&day, &["depot", "scan-in", "--label", &b.label], &badge);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report = text(&run(&day, &["depot", "report"]));
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("returned") && l.contains(&b.label) && l.contains("seller")),
        "{report}"
    );
    let o = run_with_stdin(
        &day,
        &[
            "depot",
            "close",
            "--force-reason",
            "eight parcels stay for tomorrow",
        ],
        &badge,
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "the totals changed since the courier confirmed"
    );
    // Issue 22, message 2: the refusal says what is true.
    assert!(
        text(&o).contains("the courier confirmed other figures than these"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("must confirm this"), "{}", text(&o));
    assert_eq!(
        run(&day, &["depot", "confirm-close"]).status.code(),
        Some(0)
    );
    let o = run_with_stdin(
        &day,
        &[
            "depot",
            "close",
            "--force-reason",
            "eight parcels stay for tomorrow",
        ],
        &badge,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let export = String::from_utf8_lossy(&run(&day, &["events", "export"]).stdout).to_string();
    let last: serde_json::Value =
        serde_json::from_str(export.lines().last().expect("events")).expect("json");
    assert_eq!(last["body"]["kind"], "day_closed");
    assert_eq!(last["body"]["detail"]["received"], "1");
    assert_eq!(last["body"]["detail"]["forced"], "true");
    // Eight never attempted, one of them a pick-up: it carried nothing out,
    // so seven returns are missing.
    assert_eq!(
        last["body"]["day"]["totals"]["missing"]
            .as_array()
            .map(Vec::len),
        Some(7)
    );
    assert_eq!(
        last["body"]["supervisor"]["supervisor_id"],
        day.supervisor.supervisor_id.as_str()
    );
    assert_eq!(run(&day, &["events", "verify"]).status.code(), Some(0));
}
