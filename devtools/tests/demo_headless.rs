//! The README's main job, headless: everything starts, the scripted round runs
//! through the real server, serial readers and store, and the server ends up
//! holding the device's events.

#[test]
fn demo_runs_a_scripted_round_end_to_end() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_courier-devtools"))
        .args(["demo", "--headless", "--parcels", "20", "--work-dir"])
        .arg(tmp.path().join("demo"))
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("run demo");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("scanner read label DZ"), "{text}");
    assert!(text.contains("WRONG CODE: 4 tries left"), "{text}");
    assert!(
        text.matches("DELIVERED: hand the parcel over").count() >= 3,
        "keypad, QR and online-only: {text}"
    );
    assert!(
        text.contains("offer the buyer to inspect the parcel first"),
        "{text}"
    );
    assert!(
        text.contains("do not deliver, return it to the depot"),
        "{text}"
    );
    assert!(text.contains("signatures and chain verify"), "{text}");
    let recorded: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("evidence log: ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .expect("event count");
    assert!(
        text.contains(&format!("the escrow server holds {recorded} events")),
        "{text}"
    );
}
