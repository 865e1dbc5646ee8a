//! Online-only parcels: the server checks the code at the door; without an
//! answer the terminal says "no network: cannot validate, do not hand over";
//! every check goes through the evidence log, and the server re-verifies the
//! delivered event's proof at ingest.

mod sync_support;

use std::time::{Duration, Instant};

use courier_protocol::api::FaultPlan;
use courier_protocol::vocabulary::CodePolicy;
use sync_support::{FAST, Server, data_dir, enroll, ok, term, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_only_parcel_is_checked_by_the_server_and_refused_without_network() {
    let mut server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let a = server.order("ON-1", CodePolicy::OnlineOnly);
    let b = server.order("ON-2", CodePolicy::OnlineOnly);
    let device = enroll(&server, &data).await;
    server.manifest(&device, &[&a.parcel_id, &b.parcel_id], 3_600_000);
    let mut sync_args = vec!["sync"];
    sync_args.extend_from_slice(FAST);
    let o = term(&data, &sync_args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));

    ok(&data, &["arrive", "L-ON-1"]).await;
    ok(&data, &["inspect", "L-ON-1"]).await;
    let wrong = if a.numeric_code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let o = term(&data, &["deliver", "L-ON-1", "--code", wrong], &[]).await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("WRONG CODE"),
        "{}",
        text(&o)
    );
    let spent = server
        .state()
        .store()
        .order(&a.parcel_id)
        .await
        .expect("db")
        .expect("order")
        .attempts_spent;
    assert_eq!(spent, 1, "the server counted the attempt");
    let o = term(
        &data,
        &["deliver", "L-ON-1", "--code", &a.numeric_code],
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("DELIVERED"),
        "{}",
        text(&o)
    );

    // The server holds its answer back past the timeout: do not hand over.
    ok(&data, &["arrive", "L-ON-2"]).await;
    ok(&data, &["inspect", "L-ON-2"]).await;
    server.faults.add(&FaultPlan {
        delay_next: 1,
        delay_ms: 8_000,
        ..FaultPlan::default()
    });
    let started = Instant::now();
    let o = term(
        &data,
        &["deliver", "L-ON-2", "--code", &b.numeric_code],
        &[],
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "short timeout at the door"
    );
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("NEEDS NETWORK"),
        "{}",
        text(&o)
    );

    // No server at all.
    server.stop().await;
    let o = term(
        &data,
        &["deliver", "L-ON-2", "--code", &b.numeric_code],
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("NEEDS NETWORK"),
        "{}",
        text(&o)
    );

    // Every check is in the log and the server accepts all of it, including
    // the delivered event whose proof it re-verifies.
    server.restart().await;
    let o = term(&data, &sync_args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let events = server
        .state()
        .store()
        .device_events(&device)
        .await
        .expect("events");
    let delivered = events
        .iter()
        .filter(|e| e.body.outcome == Some(courier_protocol::vocabulary::Outcome::Delivered))
        .count();
    assert_eq!(delivered, 1);
    let unreachable = events
        .iter()
        .filter(|e| {
            e.body.verification.as_ref().map(|v| v.result)
                == Some(courier_protocol::vocabulary::CheckResult::Unreachable)
        })
        .count();
    assert_eq!(
        unreachable, 2,
        "both failed checks are recorded as evidence"
    );
}
