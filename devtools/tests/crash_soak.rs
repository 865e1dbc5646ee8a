//! Crash test: a child performs validations and attempts while we SIGKILL it at
//! random moments and restart it. Nothing it reported as committed may be lost,
//! the chain must verify, SQLite must be intact and no attempt counter may go back.

use courier_devtools::fixture as common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use courier_protocol::keys::PublicKey;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::terminal::verify_log;

struct Commit {
    seq: u64,
    event_id: String,
    label: String,
    attempts: u32,
}

fn parse(line: &str) -> Option<Commit> {
    let mut it = line.strip_prefix("COMMIT ")?.split(' ');
    Some(Commit {
        seq: it.next()?.parse().ok()?,
        event_id: it.next()?.to_owned(),
        label: it.next()?.to_owned(),
        attempts: it.next()?.parse().ok()?,
    })
}

fn attempts_by_label(store: &Store) -> HashMap<String, u32> {
    store
        .parcels()
        .expect("parcels")
        .into_iter()
        .map(|p| (p.spec.label, p.attempts_spent))
        .collect()
}

#[test]
fn sigkill_at_random_moments_loses_nothing_committed() {
    const TARGET: usize = 1_000;
    let day = common::day(500);
    let public_key: PublicKey = common::open(&day.dir, Arc::new(NoPosition)).public_key();
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15 ^ std::process::id() as u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut commits: Vec<Commit> = Vec::new();
    let mut previous_attempts =
        attempts_by_label(&Store::open(&day.dir.database()).expect("store"));
    let mut kills = 0;
    let mut finished = false;
    while commits.len() < TARGET && !finished {
        let mut child = Command::new(env!("CARGO_BIN_EXE_courier-devtools"))
            .arg("soak")
            .arg("--data-dir")
            .arg(&day.dir.0)
            .args([
                "--codes",
                day.codes_file.to_str().expect("utf8"),
                "--ops",
                "100000",
                "--seed",
            ])
            .arg(next().to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn soak worker");
        let stdout = child.stdout.take().expect("stdout");
        let kill_after = 1 + (next() % 60) as usize;
        let mut seen = 0;
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("read line");
            if line.starts_with("DONE") {
                finished = true;
                break;
            }
            if let Some(c) = parse(&line) {
                commits.push(c);
                seen += 1;
            }
            if seen >= kill_after || commits.len() >= TARGET {
                // Land the kill at a random point of the next operation.
                for _ in 0..(next() % 200_000) {
                    std::hint::spin_loop();
                }
                break;
            }
        }
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("reap");
        if !status.success() {
            kills += 1;
        }
        let store = Store::open(&day.dir.database()).expect("reopen after kill");
        let now = attempts_by_label(&store);
        for (label, before) in &previous_attempts {
            let after = now.get(label).copied().unwrap_or(0);
            assert!(
                after >= *before,
                "attempt counter of {label} went back from {before} to {after}"
            );
        }
        previous_attempts = now;
    }
    assert!(
        commits.len() >= TARGET,
        "only {} commits (finished: {finished})",
        commits.len()
    );
    assert!(kills >= 10, "the child was killed only {kills} times");

    let store = Store::open(&day.dir.database()).expect("store");
    assert_eq!(store.integrity_check().expect("integrity"), "ok");
    let report = verify_log(&store, &public_key).expect("chain verifies");
    let mut seen_ids = HashMap::new();
    for c in &commits {
        let e = store
            .event_by_id(&c.event_id)
            .expect("query")
            .unwrap_or_else(|| panic!("reported event {} lost", c.event_id));
        assert_eq!(e.body.seq, c.seq, "event {} moved", c.event_id);
        assert!(
            seen_ids.insert(c.event_id.clone(), c.seq).is_none(),
            "event {} reported twice",
            c.event_id
        );
        assert!(report.events >= c.seq);
    }
    let final_attempts = attempts_by_label(&store);
    for c in &commits {
        assert!(
            final_attempts[&c.label] >= c.attempts,
            "counter of {} below a reported value",
            c.label
        );
    }
    println!(
        "{} commits reported, {kills} kills, {} events in the chain",
        commits.len(),
        report.events
    );
}
