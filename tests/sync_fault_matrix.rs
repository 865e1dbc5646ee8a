//! The fault matrix: the device records events while the server, in turn,
//! fails with 500s, times out, resets connections, loses answers, duplicates
//! answers and restarts, and the client is killed mid-batch. At the end the
//! server holds exactly the device's events, once each, chain intact, and the
//! device holds a verified receipt for each.

mod sync_support;

use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use courier_protocol::api::{EventStatus, FaultPlan};
use courier_protocol::envelope::{ChainTip, verify_chain};
use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::storage::{Reads, Store};
use sync_support::{BIN, FAST, Server, data_dir, enroll, ok, term, text};

/// Records `n` contact attempts on `label` through the real binary.
async fn record(data: &std::path::Path, label: &str, n: usize) {
    for _ in 0..n {
        ok(data, &["contact", label, "--channel", "call"]).await;
    }
}

async fn sync(
    data: &std::path::Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> std::process::Output {
    let mut args = vec!["sync", "--batch-size", "4"];
    args.extend_from_slice(FAST);
    args.extend_from_slice(extra);
    if !extra.contains(&"--deadline-s") {
        args.extend_from_slice(&["--deadline-s", "30"]);
    }
    term(data, &args, env).await
}

async fn sync_ok(data: &std::path::Path) {
    let o = sync(data, &[], &[]).await;
    assert!(o.status.success(), "sync failed: {}", text(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_arrives_exactly_once_through_every_fault() {
    let mut server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let orders: Vec<_> = (0..3)
        .map(|i| server.order(&format!("FM-{i}"), CodePolicy::OfflineAllowed))
        .collect();
    let device = enroll(&server, &data).await;
    let ids: Vec<&str> = orders.iter().map(|o| o.parcel_id.as_str()).collect();
    server.manifest(&device, &ids, 24 * 3_600_000);
    sync_ok(&data).await; // downloads and loads the manifest, uploads its event
    let labels: Vec<String> = (0..3).map(|i| format!("L-FM-{i}")).collect();
    for l in &labels {
        ok(&data, &["arrive", l]).await;
    }

    // 1. 500s.
    record(&data, &labels[0], 6).await;
    server.faults.add(&FaultPlan {
        fail_next: 3,
        ..FaultPlan::default()
    });
    sync_ok(&data).await;

    // 2. Timeouts: the server answers after the client gave up (it still
    // processes the batch, so the retry comes back duplicate).
    record(&data, &labels[0], 5).await;
    server.faults.add(&FaultPlan {
        delay_next: 1,
        delay_ms: 1_500,
        ..FaultPlan::default()
    });
    sync_ok(&data).await;

    // 3. Connection resets before processing.
    record(&data, &labels[1], 5).await;
    server.faults.add(&FaultPlan {
        drop_next: 2,
        ..FaultPlan::default()
    });
    sync_ok(&data).await;

    // 4. Lost answers: processed, then the connection closes.
    record(&data, &labels[1], 6).await;
    server.faults.add(&FaultPlan {
        lose_answer_next: 2,
        ..FaultPlan::default()
    });
    sync_ok(&data).await;

    // 5. Duplicated answers.
    ok(&data, &["inspect", &labels[0]]).await;
    ok(
        &data,
        &["deliver", &labels[0], "--code", &orders[0].numeric_code],
    )
    .await;
    record(&data, &labels[2], 5).await;
    server.faults.add(&FaultPlan {
        duplicate_next: 2,
        ..FaultPlan::default()
    });
    sync_ok(&data).await;

    // 6. Server down, then restarted on the same file and port.
    record(&data, &labels[2], 5).await;
    server.stop().await;
    let o = sync(&data, &["--deadline-s", "1"], &[]).await;
    assert_eq!(
        o.status.code(),
        Some(4),
        "incomplete while down: {}",
        text(&o)
    );
    server.restart().await;
    sync_ok(&data).await;

    // 7. SIGKILL while a request is in flight (the server holds it).
    record(&data, &labels[1], 4).await;
    server.faults.add(&FaultPlan {
        delay_next: 1,
        delay_ms: 400,
        ..FaultPlan::default()
    });
    let seen = server.faults.device_requests();
    let mut child = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["sync", "--batch-size", "4"])
        .args(FAST)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let guard = Instant::now() + Duration::from_secs(20);
    while server.faults.device_requests() == seen {
        assert!(Instant::now() < guard, "the child never reached the server");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert_eq!(status.signal(), Some(9));

    // 8. SIGKILLs at random moments (the delay is the fault, not a synchronisation).
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    println!("random kill seed {seed}");
    let mut x = u64::from(seed) | 1;
    for _ in 0..4 {
        record(&data, &labels[2], 3).await;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut child = std::process::Command::new(BIN)
            .arg("--data-dir")
            .arg(&data)
            .args(["sync", "--batch-size", "2"])
            .args(FAST)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        tokio::time::sleep(Duration::from_millis(x % 80)).await;
        let _ = child.kill();
        child.wait().expect("wait");
    }

    // Clean sync: everything goes through.
    sync_ok(&data).await;
    let status = ok(&data, &["sync", "--status", "--json"]).await;
    let status: serde_json::Value = serde_json::from_str(&status).expect("json");
    assert_eq!(status["pending"], 0, "{status}");
    assert_eq!(
        server.faults.injected(),
        11,
        "every planned fault was injected"
    );
    let left = server.faults.pending();
    assert_eq!((left.fail_next, left.delay_next, left.drop_next), (0, 0, 0));
    assert_eq!((left.lose_answer_next, left.duplicate_next), (0, 0));

    // The server holds exactly the device's events, once each, chain intact.
    let store = Store::open(&data.join("terminal.db")).expect("store");
    let local = store.events(1, 100_000).expect("local events");
    assert!(local.len() > 50, "recorded {}", local.len());
    let (remote, key) = {
        let db = server.state().store();
        let remote = db.device_events(&device).await.expect("server events");
        let key = db
            .device(&device)
            .await
            .expect("device")
            .expect("enrolled")
            .public_key;
        (remote, key)
    };
    assert_eq!(remote, local, "server holds exactly the device's events");
    let ids: HashSet<_> = remote.iter().map(|e| e.body.event_id.clone()).collect();
    assert_eq!(ids.len(), remote.len(), "each event once");
    let tip = verify_chain(&remote, &key, ChainTip::genesis()).expect("chain verifies");
    assert_eq!(tip.seq, u64::try_from(local.len()).expect("len"));

    // The device holds a verified receipt for each event.
    let server_key = courier_protocol::keys::Signer::public_key(server.state().key());
    let mut receipted = HashSet::new();
    for r in store.receipts().expect("receipts") {
        let body = r.verify(&server_key).expect("receipt verifies");
        for x in &body.results {
            if matches!(x.status, EventStatus::Accepted | EventStatus::Duplicate) {
                receipted.insert((x.event_id.clone(), x.hash.clone()));
            }
        }
    }
    for e in &local {
        assert!(
            receipted.contains(&(e.body.event_id.clone(), e.hash.clone())),
            "no receipt for seq {}",
            e.body.seq
        );
    }
    server.stop().await;
}
