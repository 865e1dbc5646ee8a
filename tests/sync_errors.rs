//! Permanent errors stop sync at once (no hot loop) and say what to do;
//! the events stay queued.

mod sync_support;

use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::storage::{Reads, Store};
use sync_support::{FAST, Server, data_dir, enroll, ok, term, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_does_not_know_the_device_stops_sync_without_retrying() {
    let home = Server::start().await;
    let stranger = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let order = home.order("ER-1", CodePolicy::OfflineAllowed);
    let device = enroll(&home, &data).await;
    home.manifest(&device, &[&order.parcel_id], 3_600_000);
    let mut args = vec!["sync"];
    args.extend_from_slice(FAST);
    let o = term(&data, &args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    ok(&data, &["arrive", "L-ER-1"]).await;

    let url = stranger.url();
    let mut args = vec!["sync", "--server", url.as_str()];
    args.extend_from_slice(FAST);
    let before = stranger.faults.device_requests();
    let o = term(&data, &args, &[]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown_device") && err.contains("sync stopped"),
        "{}",
        text(&o)
    );
    assert_eq!(
        stranger.faults.device_requests() - before,
        1,
        "no retry loop on a permanent error"
    );
    let store = Store::open(&data.join("terminal.db")).expect("store");
    assert_eq!(
        store.pending_count().expect("pending"),
        1,
        "the event stays queued"
    );
    let status = store.sync_status().expect("status");
    assert!(
        status
            .last_error
            .is_some_and(|e| e.contains("unknown_device"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_clock_an_hour_off_still_syncs_by_signing_with_server_time() {
    let server = Server::start_with_clock_offset(3_600_000).await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let order = server.order("ER-2", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    server.manifest(&device, &[&order.parcel_id], 3_600_000);
    let mut args = vec!["sync"];
    args.extend_from_slice(FAST);
    let o = term(&data, &args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    ok(&data, &["arrive", "L-ER-2"]).await;
    let o = term(&data, &args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let store = Store::open(&data.join("terminal.db")).expect("store");
    assert_eq!(store.pending_count().expect("pending"), 0);
}
