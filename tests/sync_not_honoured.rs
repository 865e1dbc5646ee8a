//! A disagreement never freezes a device (issue 21, points 3 and 4), end to
//! end with the real terminal binary: the order is given to another device
//! while this one is at the door; its delivery is recorded by the server but
//! not honoured (`not_holder`); the terminal treats it as delivered to the
//! server (acknowledged, the outbox moves on), says so, and its later events
//! sync. On PostgreSQL with `ESCROW_TEST_DATABASE_URL` (scripts/postgres-test.sh).

mod sync_support;

use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::storage::{Reads, Store};
use sync_support::{FAST, Server, data_dir, enroll, ok, term, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_not_honoured_answer_is_shown_acknowledged_and_sync_goes_on() {
    let server = Server::start_on_test_database().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let other_tmp = tempfile::tempdir().expect("tmp");
    let order = server.order("NH-1", CodePolicy::OfflineAllowed);
    let next = server.order("NH-2", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    let other = enroll(&server, &data_dir(&other_tmp)).await;
    server.manifest(&device, &[&order.parcel_id, &next.parcel_id], 3_600_000);
    let mut sync = vec!["sync"];
    sync.extend_from_slice(FAST);
    let o = term(&data, &sync, &[]).await;
    assert!(o.status.success(), "{}", text(&o));

    ok(&data, &["arrive", "L-NH-1"]).await;
    ok(&data, &["inspect", "L-NH-1"]).await;
    // The back office gives the order to another device meanwhile.
    server.manifest(&other, &[&order.parcel_id], 3_600_000);
    ok(&data, &["deliver", "L-NH-1", "--code", &order.numeric_code]).await;

    let o = term(&data, &sync, &[]).await;
    assert!(o.status.success(), "sync goes on: {}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("not honoured: seq")
            && out.contains("parcel L-NH-1")
            && out.contains("not_holder")
            && out.contains("another terminal"),
        "{}",
        text(&o)
    );
    let status: serde_json::Value =
        serde_json::from_str(&ok(&data, &["sync", "--status", "--json"]).await).expect("json");
    assert_eq!(status["pending"], 0, "acknowledged: {status}");
    assert_eq!(status["rejected"], 0, "{status}");
    assert_eq!(status["not_honoured"], 1, "{status}");

    // Later events are not held behind it.
    ok(&data, &["arrive", "L-NH-2"]).await;
    let o = term(&data, &sync, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let store = Store::open(&data.join("terminal.db")).expect("store");
    assert_eq!(store.pending_count().expect("pending"), 0);
    let status = ok(&data, &["sync", "--status"]).await;
    assert!(status.contains("not honoured  1"), "{status}");
}
