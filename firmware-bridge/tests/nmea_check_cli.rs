//! The `nmea-check` binary on a capture with every kind of bad input: its
//! summary counts each kind, and a 10 MB line is reported, not lost.

use std::io::Write;
use std::process::Command;

use firmware_bridge::nmea_framing::render_sentence;

fn summary(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with("{\"summary\""))
        .expect("a summary line");
    serde_json::from_str::<serde_json::Value>(line).expect("json")["summary"].clone()
}

#[test]
fn summary_lists_every_kind_of_rejected_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("capture.nmea");
    let mut f = std::fs::File::create(&path).expect("create");
    let good = render_sentence("GPRMC,120000.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A");
    f.write_all(good.as_bytes()).expect("write");
    // A 10 MB line of sentence-looking bytes with no end.
    let mut long = b"$GPGGA,".to_vec();
    long.resize(10 * 1024 * 1024, b'1');
    long.extend_from_slice(b"\r\n");
    f.write_all(&long).expect("write");
    // Garbage between sentences.
    f.write_all(b"\x00\x01binary noise\xff\xfe\r\n")
        .expect("write");
    // A checksum error.
    f.write_all(b"$GPRMC,120001.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A*00\r\n")
        .expect("write");
    // An implausible value with a valid checksum.
    let absurd =
        render_sentence("GPGGA,120001.00,4807.0380,N,01131.0000,E,1,08,0.9,1e308,M,46.9,M,,");
    f.write_all(absurd.as_bytes()).expect("write");
    f.write_all(good.as_bytes()).expect("write");
    drop(f);

    let out = Command::new(env!("CARGO_BIN_EXE_nmea-check"))
        .arg(&path)
        .arg("--quiet")
        .output()
        .expect("run nmea-check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&out.stdout);
    let r = &s["rejected"];
    assert_eq!(s["sentences"], 3, "{s}");
    assert_eq!(s["decoded"], 2, "{s}");
    assert_eq!(r["too_long"], 1, "{s}");
    assert_eq!(r["checksum_errors"], 1, "{s}");
    assert_eq!(r["out_of_range"], 1, "{s}");
    assert_eq!(r["out_of_range_by_field"]["GGA altitude"], 1, "{s}");
    assert!(r["garbage_bytes"].as_u64().is_some_and(|n| n > 0), "{s}");
    assert!(r.get("malformed").is_some() && r.get("missing_checksum").is_some());
}

#[test]
fn fixes_stream_as_json_lines_from_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nmea-check"))
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run nmea-check");
    {
        let mut stdin = child.stdin.take().expect("stdin");
        for s in 0..3 {
            let body = format!("GPRMC,12000{s}.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A");
            stdin
                .write_all(render_sentence(&body).as_bytes())
                .expect("write");
        }
    }
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let fixes: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with("{\"valid\""))
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(fixes.len(), 3, "{text}");
    assert!(fixes.iter().all(|f| f["valid"] == true));
    assert_eq!(summary(&out.stdout)["decoded"], 3);
}

/// Issue 26: the agreement is printed both ways, and a capture from a talker
/// we do not decode never reads as agreement (rule-covered or not).
#[test]
fn agreement_is_printed_with_and_without_rule_covered_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("capture.log");
    let mut text = String::new();
    let mut chk = String::new();
    for s in 0..3 {
        let line = render_sentence(&format!(
            "XXRMC,12000{s}.00,A,4807.0380,N,01131.0000,E,0.0,0.0,241126,,,A"
        ));
        chk.push_str(&line);
        chk.push_str("{\"class\":\"TPV\",\"mode\":2,\"lat\":48.1173,\"lon\":11.516666667}\n");
        text.push_str(&line);
    }
    std::fs::write(&log, text).expect("write log");
    std::fs::write(dir.path().join("capture.log.chk"), chk).expect("write chk");
    let out = Command::new(env!("CARGO_BIN_EXE_nmea-check"))
        .arg(&log)
        .arg("--quiet")
        .output()
        .expect("run nmea-check");
    assert!(out.status.success());
    let s = summary(&out.stdout);
    assert_eq!(s["gpsd_agreement_percent"], 0.0, "{s}");
    assert_eq!(
        s["gpsd_agreement_percent_rule_covered_as_disagreement"], 0.0,
        "{s}"
    );
    assert_eq!(s["gpsd_overall"]["by_rule"], 0, "{s}");
    let table = String::from_utf8_lossy(&out.stderr);
    assert!(
        table.contains("counting rule-covered as disagreement"),
        "{table}"
    );
}
