//! The two-writer crash campaign, short: two workers on one data directory,
//! SIGKILLed at moments drawn from a seed, 40 cycles. The seed is printed so a
//! failing run can be replayed with `courier-devtools crash-campaign --seed S`.
//! The long run (2,000 cycles) and its figures are in docs/benchmarks.md.

#[test]
fn two_writers_killed_at_random_lose_nothing_and_double_nothing() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_courier-devtools"))
        .args([
            "crash-campaign",
            "--cycles",
            "40",
            "--parcels",
            "120",
            "--seed",
        ])
        .arg(seed.to_string())
        .output()
        .expect("run the campaign");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    assert!(out.status.success(), "{text}");
    assert!(text.contains("40 cycles"), "{text}");
    assert!(text.contains("0 violations"), "{text}");
}
