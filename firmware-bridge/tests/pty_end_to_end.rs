//! End to end over a pseudo-terminal: the simulator replays a real log into
//! the serial reader; the fixes equal those of decoding the file directly.

use std::sync::Arc;
use std::time::Duration;

use firmware_bridge::capture_check::check_capture;
use firmware_bridge::simulator::{GnssSim, GnssSimConfig, ScannerSim};
use firmware_bridge::{
    GnssConfig, GnssSerial, LinkState, ScanKind, ScannerConfig, ScannerSerial, YearWindow,
};

const GUARD: Duration = Duration::from_secs(20);

fn corpus_log(name: &str) -> Option<Vec<u8>> {
    let dir = match std::env::var_os("NMEA_CORPUS") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/nmea-corpus/gpsd"),
    };
    std::fs::read(dir.join(name)).ok()
}

fn sample_log() -> Vec<u8> {
    corpus_log("garmin48.log").unwrap_or_else(|| {
        b"$GPRMC,225308,A,4527.458,S,16709.165,E,000.0,094.5,060601,024.1,E*6D\r\n\
$GPGGA,225308,4527.458,S,16709.165,E,1,05,2.1,14.7,M,1.1,M,,*53\r\n"
            .to_vec()
    })
}

#[test]
fn replayed_log_over_pty_gives_same_fixes_as_direct_decoding() {
    let log = sample_log();
    let expected = check_capture(&log, None).fixes;
    assert!(!expected.is_empty());
    let mut sim = GnssSim::start(
        &log,
        GnssSimConfig {
            baud: 115_200,
            speedup: f64::INFINITY,
            gated: true,
            ..GnssSimConfig::default()
        },
    )
    .expect("simulator");
    // The corpus log is a recording, replayed faster than real time: judge
    // its dates and times as the capture check does (no monotonic clock).
    let cfg = GnssConfig {
        years: YearWindow::historic(),
        monotonic_checks: false,
        ..GnssConfig::new(sim.port_path(), 115_200)
    };
    let reader = GnssSerial::spawn(cfg).expect("reader");
    let handle = reader.handle();
    let fixes = handle.subscribe();
    handle
        .wait_for(GUARD, |s| s.link == LinkState::Connected)
        .expect("reader connects");
    sim.release();
    let mut got = Vec::new();
    while got.len() < expected.len() {
        match fixes.recv_timeout(GUARD) {
            Ok(f) => got.push(f),
            Err(e) => panic!(
                "only {} of {} fixes arrived: {e}",
                got.len(),
                expected.len()
            ),
        }
    }
    assert_eq!(got, expected);
    reader.stop();
}

#[test]
fn reader_reports_vanished_port_and_reconnects() {
    let link = tempfile::tempdir().expect("tempdir").keep().join("gnss0");
    let log = sample_log();
    let mut sim = GnssSim::start(
        &log,
        GnssSimConfig {
            baud: 115_200,
            speedup: 20.0,
            repeat: true,
            vanish_after: Some(10),
            reappear_after: Some(Duration::from_millis(600)),
            link_path: Some(link.clone()),
            gated: true,
            ..GnssSimConfig::default()
        },
    )
    .expect("simulator");
    let mut cfg = GnssConfig::new(link.to_string_lossy(), 115_200);
    cfg.years = YearWindow::historic();
    cfg.reconnect_min = Duration::from_millis(50);
    cfg.reconnect_max = Duration::from_millis(200);
    let reader = GnssSerial::spawn(cfg).expect("reader");
    let h = reader.handle();
    h.wait_for(GUARD, |s| s.link == LinkState::Connected)
        .expect("connects");
    sim.release();
    h.wait_for(GUARD, |s| matches!(s.link, LinkState::Disconnected { .. }))
        .expect("notices the vanished port");
    let s = h
        .wait_for(GUARD, |s| {
            s.link == LinkState::Connected && s.stats.connects >= 2
        })
        .expect("reconnects");
    assert!(s.stats.connects >= 2);
    h.wait_for(GUARD, |s| s.stats.sentences > 12)
        .expect("reads again");
    reader.stop();
}

#[test]
fn scanner_sim_types_codes_into_the_reader() {
    let sim = ScannerSim::new().expect("scanner sim");
    let known: firmware_bridge::scanner_serial::LabelLookup = Arc::new(|s: &str| s == "PKG-0001");
    let (reader, rx) =
        ScannerSerial::spawn(ScannerConfig::new(sim.path(), 9600), known).expect("reader");
    // The pty keeps what is typed until the reader opens it.
    sim.type_code(Some("]C0"), "PKG-0001").expect("type");
    sim.send_raw(b"\x01\x02garbage\r\n").expect("raw");
    sim.type_code(Some("]Q1"), "ESC1:ORD-7:AAECAwQFBgcICQoLDA0ODw")
        .expect("type");
    sim.type_code(None, "whatever").expect("type");
    let a = rx.recv_timeout(GUARD).expect("first scan");
    assert_eq!(a.kind, ScanKind::ParcelLabel("PKG-0001".into()));
    assert_eq!(a.symbology.as_deref(), Some("C0"));
    let b = rx.recv_timeout(GUARD).expect("second scan");
    assert_eq!(
        b.kind,
        ScanKind::BuyerQr("ESC1:ORD-7:AAECAwQFBgcICQoLDA0ODw".into())
    );
    let c = rx.recv_timeout(GUARD).expect("third scan");
    assert_eq!(c.kind, ScanKind::Unknown("whatever".into()));
    assert_eq!(reader.counters().framing.garbage, 1);
    reader.stop();
}
