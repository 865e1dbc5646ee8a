//! The background sync never blocks the doorstep flow: events are recorded at
//! full speed while uploads are slow, and they all reach the server.

mod sync_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_protocol::api::FaultPlan;
use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::sync::SyncConfig;
use courier_terminal::sync::background::{BackgroundSync, Schedule};
use courier_terminal::sync::backoff::Backoff;
use courier_terminal::terminal::{ContactChannel, DataDir, Terminal};
use sync_support::{FAST, Server, data_dir, enroll, term, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_never_waits_for_a_slow_upload() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let order = server.order("BG-1", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    server.manifest(&device, &[&order.parcel_id], 3_600_000);
    let mut args = vec!["sync"];
    args.extend_from_slice(FAST);
    let o = term(&data, &args, &[]).await;
    assert!(o.status.success(), "{}", text(&o));

    let dir = DataDir(data.clone());
    let bg = BackgroundSync::spawn(
        &dir,
        SyncConfig {
            server_url: None,
            batch_size: 5,
            request_timeout: Duration::from_secs(5),
            backoff: Backoff {
                base_ms: 5,
                cap_ms: 200,
            },
            ..SyncConfig::default()
        },
        Schedule {
            poll: Duration::from_millis(50),
            manifest_every: Duration::from_secs(3600),
        },
        None,
    )
    .expect("spawn background sync");
    server.faults.add(&FaultPlan {
        delay_next: 2,
        delay_ms: 2_000,
        ..FaultPlan::default()
    });

    let worst = tokio::task::spawn_blocking(move || {
        let mut t =
            Terminal::open(&dir, Arc::new(SystemClock::new()), Arc::new(NoPosition)).expect("open");
        t.arrive("L-BG-1").expect("arrive");
        let mut worst = Duration::ZERO;
        for _ in 0..30 {
            let started = Instant::now();
            t.contact("L-BG-1", ContactChannel::Call).expect("record");
            worst = worst.max(started.elapsed());
            bg.nudge();
        }
        (worst, bg)
    })
    .await
    .expect("join");
    let (worst, bg) = worst;
    assert!(
        worst < Duration::from_millis(1_500),
        "recording waited {worst:?} for the network"
    );

    let guard = Instant::now() + Duration::from_secs(30);
    loop {
        let pending = Store::open(&data.join("terminal.db"))
            .expect("store")
            .pending_count()
            .expect("count");
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < guard, "{pending} events never synced");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bg.stop();
    let local = Store::open(&data.join("terminal.db"))
        .expect("store")
        .events(1, 10_000)
        .expect("events");
    let remote = server
        .state()
        .store()
        .device_events(&device)
        .await
        .expect("events");
    assert_eq!(remote, local);
    assert!(server.faults.injected() >= 1, "uploads were slowed");
}
