//! Enrollment in a minute: the server's enrollment QR, pasted or scanned, enrolls
//! the device and pins the key the QR names; a wrong fingerprint, a used token
//! and an unreachable server each get their own message, and nothing is pinned.

mod sync_support;

use courier_protocol::enrollment_qr::Profile;
use courier_protocol::vocabulary::{CodePolicy, EventKind};
use courier_terminal::storage::{Reads, Store};
use sync_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollment_qr_enrolls_and_each_failure_says_what_it_is() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");

    // A QR naming another server key: refused before anything is pinned.
    let qr = server.enrollment_qr(Profile::Test);
    let forged = {
        let at = qr.find("fingerprint=").expect("fingerprint") + "fingerprint=".len();
        format!("{}{}", &qr[..at], "0".repeat(64))
    };
    let data = tmp.path().join("a");
    let o = term(&data, &["enroll", "--qr", &forged], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("not the server the QR was made for"),
        "{}",
        text(&o)
    );

    // The right QR: enrolled on the test platform, inventory QR shown.
    let o = term(&data, &["enroll", "--qr", &qr], &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("platform      test"), "{}", text(&o));
    assert!(
        text(&o).contains("courier-terminal:device="),
        "{}",
        text(&o)
    );

    // The same token again, on another device: the server says it was used.
    let o = term(&tmp.path().join("b"), &["enroll", "--qr", &qr], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("refused the enrollment"), "{}", text(&o));
    assert!(text(&o).contains("already used"), "{}", text(&o));

    // A server that does not answer.
    let dead = qr.replace(&urlencode(&server.url()), &urlencode("http://127.0.0.1:9"));
    let o = term(&tmp.path().join("c"), &["enroll", "--qr", &dead], &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot reach"), "{}", text(&o));

    // Scanner garbage.
    let o = term(
        &tmp.path().join("d"),
        &["enroll", "--qr", "]C0DZ40000037"],
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("not an enrollment QR"), "{}", text(&o));

    // Events of the test platform say so.
    let device_id = Store::open_read_only(&data.join("terminal.db"))
        .expect("store")
        .identity()
        .expect("identity")
        .expect("enrolled")
        .device_id
        .to_string();
    let order = server.order("CMD-QR-1", CodePolicy::OfflineAllowed);
    server.manifest(&device_id, &[&order.parcel_id], 3_600_000);
    ok(&data, &["sync"]).await;
    ok(&data, &["arrive", "L-CMD-QR-1"]).await;
    let store = Store::open_read_only(&data.join("terminal.db")).expect("store");
    let events = store.events(1, 100).expect("events");
    assert!(!events.is_empty());
    for e in &events {
        assert_eq!(
            e.body.detail.get("platform").map(String::as_str),
            Some("test"),
            "{:?} not marked as a test-platform event",
            e.body.kind
        );
    }
    assert!(events.iter().any(|e| e.body.kind == EventKind::Arrived));

    // A device of the test platform cannot be run as a production one.
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "[server]\nprofile = \"production\"\n").expect("config");
    let o = term(
        &data,
        &[
            "--config",
            config.to_str().expect("utf8"),
            "arrive",
            "L-CMD-QR-1",
        ],
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("cannot switch platform"), "{}", text(&o));
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('/', "%2F")
}
