//! The depot day end to end: the terminal's supervisor events (badge or PIN
//! checked on the device, proof bound to each event), fee change and day
//! close travel to the reference server, which re-checks every proof and
//! finds the day close in agreement with the events it holds: nothing
//! rejected, nothing flagged. A lying close is the server tests' business
//! (`reference-server/tests/depot_day_close.rs`).

mod sync_support;

use courier_protocol::vocabulary::CodePolicy;
use sync_support::{FAST, Server, data_dir, enroll, ok, term, term_stdin, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervised_day_close_reaches_the_server_verified_and_unflagged() {
    let server = Server::start().await;
    server
        .supervisor("SUP-D-1", "Samira", "Depot", "2468", true)
        .await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let a = server.order("DD-1", CodePolicy::OfflineAllowed);
    let b = server.order("DD-2", CodePolicy::OfflineAllowed);
    let c = server.order("DD-3", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    server.manifest(
        &device,
        &[&a.parcel_id, &b.parcel_id, &c.parcel_id],
        3_600_000,
    );
    let mut sync_args = vec!["sync"];
    sync_args.extend_from_slice(FAST);
    let o = term(&data, &sync_args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));

    ok(
        &data,
        &[
            "attempt",
            "L-DD-1",
            "--outcome",
            "carrier_problem",
            "--reason",
            "vehicle",
        ],
    )
    .await;
    ok(&data, &["arrive", "L-DD-2"]).await;
    ok(&data, &["inspect", "L-DD-2"]).await;
    ok(&data, &["deliver", "L-DD-2", "--code", &b.numeric_code]).await;

    let pin = ["--supervisor", "SUP-D-1"];
    let mut scan = vec!["depot", "scan-in"];
    scan.extend_from_slice(&pin);
    let o = term_stdin(&data, &scan, "2468\nL-DD-1\nZZ-STRANGER\nL-DD-2\n").await;
    assert_eq!(o.status.code(), Some(6), "alarms: {}", text(&o));
    let fee = [
        "--label",
        "L-DD-1",
        "--payer",
        "seller",
        "--note",
        "the seller's address does not exist",
    ];
    let mut confirm = vec!["depot", "confirm-fee"];
    confirm.extend_from_slice(&fee);
    ok(&data, &confirm).await;
    let mut change = vec!["depot", "fee-change"];
    change.extend_from_slice(&fee);
    change.extend_from_slice(&pin);
    let o = term_stdin(&data, &change, "2468\n").await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    ok(&data, &["depot", "confirm-close"]).await;
    let mut close = vec!["depot", "close", "--force-reason", "DD-3 stayed in the van"];
    close.extend_from_slice(&pin);
    let o = term_stdin(&data, &close, "2468\n").await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = term(&data, &sync_args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let exported = ok(&data, &["events", "export"]).await;
    let held = server
        .state()
        .store()
        .device_events(&device)
        .await
        .expect("events");
    assert_eq!(
        held.len(),
        exported.lines().count(),
        "every event accepted: {}",
        text(&o)
    );
    let kinds: Vec<String> = held
        .iter()
        .map(|e| serde_json::to_value(e.body.kind).expect("kind").to_string())
        .collect();
    for k in [
        "supervisor_signed_in",
        "return_check_in",
        "unexpected_return",
        "fee_changed",
        "day_closed",
    ] {
        assert!(kinds.iter().any(|x| x.contains(k)), "{k} in {kinds:?}");
    }
    let flags = server
        .state()
        .store()
        .day_close_flags()
        .await
        .expect("flags");
    assert!(flags.is_empty(), "{flags:?}");
}
