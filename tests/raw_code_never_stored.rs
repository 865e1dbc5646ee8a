//! The raw buyer code is never written to the database, the WAL or the logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use courier_terminal::position_source::NoPosition;
use courier_terminal::terminal::CodeEntry;
use tracing_subscriber::fmt::MakeWriter;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// True if `needle` occurs in `hay` not flanked by hex digits (so a code is not
/// "found" by chance inside a hash or signature written in hex).
fn occurs_as_token(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).enumerate().any(|(i, w)| {
        w == needle
            && (i == 0 || !hay[i - 1].is_ascii_hexdigit())
            && hay
                .get(i + needle.len())
                .is_none_or(|b| !b.is_ascii_hexdigit())
    })
}

#[test]
fn raw_codes_are_absent_from_database_wal_and_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let day = common::day(12);
    let mut t = common::open(&day.dir, Arc::new(NoPosition));
    let offline: Vec<_> = day
        .codes
        .iter()
        .filter(|c| c.policy == courier_protocol::vocabulary::CodePolicy::OfflineAllowed)
        .filter(|c| {
            t.parcel(&c.label)
                .map(|p| p.spec.collect.is_none())
                .unwrap_or(false)
        })
        .take(4)
        .collect();
    assert_eq!(offline.len(), 4);
    let mut secrets: Vec<Vec<u8>> = Vec::new();
    // Wrong numeric, right numeric, wrong QR shape for another parcel, right QR.
    let wrong = if offline[0].numeric == "135790" {
        "246801"
    } else {
        "135790"
    };
    t.submit_code(&offline[0].label, CodeEntry::Keypad(wrong))
        .expect("wrong code recorded");
    t.submit_code(&offline[0].label, CodeEntry::Keypad(&offline[0].numeric))
        .expect("right code");
    t.submit_code(&offline[1].label, CodeEntry::Qr(&offline[1].qr))
        .expect("right QR");
    let _ = t.submit_code(&offline[2].label, CodeEntry::Qr(&offline[3].qr));
    t.submit_code(&offline[3].label, CodeEntry::Keypad(&offline[3].numeric))
        .expect("right code");
    secrets.push(wrong.as_bytes().to_vec());
    for c in &offline {
        secrets.push(c.numeric.as_bytes().to_vec());
        let token = c.qr.rsplit(':').next().expect("token").as_bytes().to_vec();
        secrets.push(token);
    }

    // Read the files while the connection is open, so the WAL is still there.
    let db = std::fs::read(day.dir.database()).expect("db");
    let wal =
        std::fs::read(day.dir.database().with_extension("db-wal")).expect("wal exists while open");
    assert!(!wal.is_empty(), "the WAL holds the recent commits");
    let log = logs.0.lock().expect("lock").clone();
    assert!(!log.is_empty(), "logs were captured");
    for s in &secrets {
        let shown = String::from_utf8_lossy(s);
        assert!(
            !occurs_as_token(&db, s),
            "code {shown} found in the database"
        );
        assert!(!occurs_as_token(&wal, s), "code {shown} found in the WAL");
        assert!(!occurs_as_token(&log, s), "code {shown} found in the logs");
    }
    // The check itself can fail: the delivered parcel's label is in all three.
    assert!(
        occurs_as_token(&wal, offline[0].label.as_bytes())
            || occurs_as_token(&db, offline[0].label.as_bytes())
    );
}
