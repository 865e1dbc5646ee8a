//! Conformance with gpsd's record over the NMEA corpus (see docs/gnss.md).
//! `cargo test -p firmware-bridge conformance -- --nocapture` prints the
//! table: agreement per field over every report and over the reports where
//! gpsd has a fix.

use std::io::{BufReader, Read};
use std::path::PathBuf;

use firmware_bridge::capture_check::{Agreement, CaptureCheck, render_table};

/// Pass mark over every field of every aligned report.
const OVERALL_PASS_PERCENT: f64 = 99.9;
/// Pass mark on fix validity.
const VALIDITY_PASS_PERCENT: f64 = 99.5;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("NMEA_CORPUS") {
        Some(p) => PathBuf::from(p),
        // The workspace's ../shared/nmea-corpus.
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/nmea-corpus/gpsd"),
    }
}

fn check_log(log: &PathBuf, chk: &PathBuf) -> Agreement {
    let chk = BufReader::new(std::fs::File::open(chk).expect("open .chk"));
    let mut check = CaptureCheck::new(Some(chk));
    let mut file = std::fs::File::open(log).expect("open log");
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = file.read(&mut buf).expect("read log");
        if n == 0 {
            break;
        }
        check.push(&buf[..n], &mut |_| {}).expect("read .chk");
    }
    let report = check.finish().expect("read .chk");
    report.agreement.expect("agreement computed")
}

#[test]
fn conformance_with_gpsd_on_the_corpus() {
    let dir = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        println!(
            "SKIPPED: NMEA corpus not found at {} (set NMEA_CORPUS to a folder of NAME.log + NAME.log.chk)",
            dir.display()
        );
        return;
    };
    let mut logs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    logs.sort();
    let mut rows: Vec<(String, Agreement)> = Vec::new();
    let mut total = Agreement::default();
    for log in &logs {
        let chk_path = log.with_extension("log.chk");
        if !chk_path.exists() {
            println!("no .chk for {}, not compared", log.display());
            continue;
        }
        let a = check_log(log, &chk_path);
        for ex in &a.examples {
            println!("{}: {ex}", log.display());
        }
        total.merge(&a);
        let name = log
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        rows.push((name, a));
    }
    println!("{}", render_table(&rows));
    assert!(
        total.aligned > 0 || logs.is_empty(),
        "no gpsd report could be aligned"
    );
    let overall = total.overall().percent();
    assert!(
        overall >= OVERALL_PASS_PERCENT,
        "overall agreement {overall:.3}% below {OVERALL_PASS_PERCENT}%"
    );
    let validity = total.fields[0].percent();
    assert!(
        validity >= VALIDITY_PASS_PERCENT,
        "validity agreement {validity:.3}% below {VALIDITY_PASS_PERCENT}%"
    );
}
