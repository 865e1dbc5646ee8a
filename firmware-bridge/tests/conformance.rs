//! Conformance with gpsd's record over the NMEA corpus (see docs/gnss.md).

use std::path::PathBuf;

use firmware_bridge::capture_check::{Agreement, check_capture, render_table};

const THRESHOLD_PERCENT: f64 = 99.5;

fn corpus_dir() -> PathBuf {
    match std::env::var_os("NMEA_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/nmea-corpus/gpsd"),
    }
}

#[test]
fn agrees_with_gpsd_on_the_corpus() {
    let dir = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!(
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
        let Ok(chk) = std::fs::read_to_string(&chk_path) else {
            eprintln!("no .chk for {}, not compared", log.display());
            continue;
        };
        let bytes = std::fs::read(log).expect("read log");
        let report = check_capture(&bytes, Some(&chk));
        let a = report.agreement.expect("agreement computed");
        for ex in &a.examples {
            eprintln!("{}: {ex}", log.display());
        }
        total.merge(&a);
        let name = log
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        rows.push((name, a));
    }
    println!("{}", render_table(&rows));
    let overall = total.overall().percent();
    assert!(
        total.aligned > 0 || logs.is_empty(),
        "no gpsd report could be aligned"
    );
    assert!(
        overall >= THRESHOLD_PERCENT,
        "overall agreement {overall:.3}% below {THRESHOLD_PERCENT}%"
    );
}
