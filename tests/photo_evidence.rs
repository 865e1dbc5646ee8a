//! Photos as evidence (issue 24), through the camera simulator, the real
//! terminal and the reference server: a refusal after inspection without
//! the photo the manifest requires is refused; with it, the event signs the
//! photo's hash and the server stores the same bytes; an upload cut off
//! midway resumes where the server's copy ends; a photo is never deleted
//! before the server's receipt; a restart between the photo and the outcome
//! loses nothing. On PostgreSQL with `ESCROW_TEST_DATABASE_URL`.

mod sync_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_protocol::api::FaultPlan;
use courier_protocol::photo_policy::{PhotoCase, PhotoNeed, PhotoPolicy, PhotoRule};
use courier_protocol::rules::refusal::Refusal;
use courier_protocol::vocabulary::{CodePolicy, Outcome, Reason};
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::sync::backoff::Backoff;
use courier_terminal::sync::{SyncConfig, SyncEngine};
use courier_terminal::terminal::{DataDir, Terminal, TerminalError};
use firmware_bridge::simulator::TestPatternCamera;
use sync_support::{FAST, Server, data_dir, enroll, ok, term, text};

fn required(case: PhotoCase, min_count: u8) -> PhotoPolicy {
    PhotoPolicy::from([(
        case,
        PhotoRule {
            need: PhotoNeed::Required,
            min_count,
        },
    )])
}

fn terminal(data: &std::path::Path) -> Terminal {
    let mut t = Terminal::open(
        &DataDir(data.to_owned()),
        Arc::new(SystemClock::new()),
        Arc::new(NoPosition),
    )
    .expect("terminal");
    // A 5-megapixel sensor: every photo is scaled to 1920 px.
    t.set_camera(Box::new(TestPatternCamera::new(2592, 1944)));
    t
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

fn engine(data: &std::path::Path) -> SyncEngine {
    let config = SyncConfig {
        // A failed photo is due again at once: the test drives the retries.
        backoff: Backoff {
            base_ms: 0,
            cap_ms: 0,
        },
        request_timeout: Duration::from_secs(5),
        ..SyncConfig::default()
    };
    SyncEngine::open(&DataDir(data.to_owned()), config).expect("engine")
}

/// A device enrolled with a loaded manifest whose policy requires one
/// photo for a refusal after inspection, at the door of `L-<order_ref>`
/// with the inspection offered.
async fn at_the_door(
    server: &Server,
    tmp: &tempfile::TempDir,
    order_ref: &str,
) -> std::path::PathBuf {
    let data = data_dir(tmp);
    let order = server.order(order_ref, CodePolicy::OfflineAllowed);
    let device = enroll(server, &data).await;
    server.manifest_with_photos(
        &device,
        &[&order.parcel_id],
        3_600_000,
        required(PhotoCase::RefusedAfterInspection, 1),
    );
    let mut sync = vec!["sync"];
    sync.extend_from_slice(FAST);
    let o = term(&data, &sync, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let label = format!("L-{order_ref}");
    ok(&data, &["arrive", &label]).await;
    ok(&data, &["inspect", &label]).await;
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_needs_its_photo_and_the_server_stores_the_same_bytes() {
    let server = Server::start_on_test_database().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = at_the_door(&server, &tmp, "PH-1").await;
    let mut t = terminal(&data);

    let refused = t.record_outcome(
        "L-PH-1",
        Outcome::RefusedAfterInspection,
        Some(Reason::Damaged),
        None,
    );
    assert!(
        matches!(
            refused,
            Err(TerminalError::Refused(Refusal::PhotoRequired {
                case: PhotoCase::RefusedAfterInspection,
                required: 1,
                taken: 0
            }))
        ),
        "{refused:?}"
    );
    assert_eq!(
        t.store().chain_tip().expect("tip").seq,
        3,
        "nothing recorded"
    );

    let photo = t.take_photo("L-PH-1").expect("photo");
    assert_eq!((photo.width, photo.height), (1920, 1440));
    let file = std::fs::read(t.photo_files().path(&photo.sha256)).expect("file");
    assert_eq!(sha256(&file), photo.sha256);
    assert_eq!(file.len() as u64, photo.bytes);

    // The terminal stops between the photo and the outcome: nothing is lost.
    drop(t);
    let mut t = terminal(&data);
    assert_eq!(
        t.photos_taken("L-PH-1").expect("taken"),
        vec![photo.clone()]
    );

    let event = t
        .record_outcome(
            "L-PH-1",
            Outcome::RefusedAfterInspection,
            Some(Reason::Damaged),
            None,
        )
        .expect("recorded with its photo");
    assert_eq!(event.body.photos, vec![photo.clone()]);
    assert!(t.photos_taken("L-PH-1").expect("taken").is_empty());
    drop(t);

    let mut engine = engine(&data);
    engine
        .upload_all(true, Instant::now() + Duration::from_secs(30))
        .await
        .expect("sync");
    let report = engine.upload_photos().await.expect("photos");
    assert_eq!(report.uploaded, 1, "{report:?}");
    let held = server
        .state()
        .photos()
        .read(&photo.sha256)
        .expect("server copy");
    assert_eq!(held, file, "the server stores the same bytes");
    // The receipt is kept; the file stays on the device for the retention period.
    let store = Store::open(&data.join("terminal.db")).expect("store");
    assert_eq!(store.photo_counts().expect("counts").awaiting_upload, 0);
    assert!(
        data.join("photos")
            .join(format!("{}.jpg", photo.sha256))
            .exists()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_off_midway_resumes_and_no_photo_goes_before_its_receipt() {
    use escrow_reference_server::photo_store::Held;

    let server = Server::start_on_test_database().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = at_the_door(&server, &tmp, "PH-2").await;
    let mut t = terminal(&data);
    let photo = t.take_photo("L-PH-2").expect("photo");
    let chunk = courier_protocol::photo::MAX_PHOTO_CHUNK_BYTES as u64;
    assert!(
        photo.bytes > chunk,
        "several chunks ({} bytes)",
        photo.bytes
    );
    t.record_outcome(
        "L-PH-2",
        Outcome::RefusedAfterInspection,
        Some(Reason::WrongItem),
        None,
    )
    .expect("recorded");
    drop(t);

    let mut engine = engine(&data);
    let deadline = Instant::now() + Duration::from_secs(30);
    let events = engine.upload_all(true, deadline).await.expect("events");
    assert_eq!(events.pending, 0);
    // The status request goes through; the first chunk is stored and its
    // answer lost: the upload is cut off midway.
    server.state().faults.add(&FaultPlan {
        delay_next: 1,
        delay_ms: 0,
        lose_answer_next: 1,
        ..FaultPlan::default()
    });
    let cut = engine.upload_photos().await.expect("photo run");
    assert_eq!((cut.uploaded, cut.failed), (0, 1), "{cut:?}");
    assert_eq!(
        server.state().photos().held(&photo.sha256).expect("held"),
        Held::Partial(chunk)
    );

    // Without a receipt the file is never deleted, whatever the time.
    let mut store = Store::open(&data.join("terminal.db")).expect("store");
    let far = i64::MAX / 2;
    assert!(store.photos_to_delete(far, 0).expect("due").is_empty());
    assert!(
        store.photo_deleted(&photo.sha256, far).is_err(),
        "the trigger refuses it"
    );
    let file = data.join("photos").join(format!("{}.jpg", photo.sha256));
    assert!(file.exists());

    // The next run asks where the server's copy ends and sends the rest.
    let resumed = engine.upload_photos().await.expect("photo run");
    assert_eq!((resumed.uploaded, resumed.failed), (1, 0), "{resumed:?}");
    let held = server
        .state()
        .photos()
        .read(&photo.sha256)
        .expect("server copy");
    assert_eq!(held, std::fs::read(&file).expect("device copy"));
    // Idempotent by hash: asking again answers the same receipt.
    assert_eq!(engine.upload_photos().await.expect("again").uploaded, 0);

    // With its receipt, the file goes once the retention period passed.
    let now = SystemClock::new();
    let now_ms = courier_terminal::clock::Clock::now(&now).device_utc_ms;
    let retention = courier_terminal::sync::photo_upload::PHOTO_RETENTION_MS;
    assert!(
        store
            .photos_to_delete(now_ms, retention)
            .expect("due")
            .is_empty()
    );
    assert_eq!(
        store
            .photos_to_delete(now_ms + retention + 1, retention)
            .expect("due"),
        vec![photo.sha256.clone()]
    );
    store
        .photo_deleted(&photo.sha256, now_ms)
        .expect("deletable after its receipt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_no_event_names_is_refused_by_the_server() {
    let server = Server::start_on_test_database().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = at_the_door(&server, &tmp, "PH-3").await;
    let mut t = terminal(&data);
    let photo = t.take_photo("L-PH-3").expect("photo");
    drop(t);
    let engine = engine(&data);
    let bytes =
        std::fs::read(data.join("photos").join(format!("{}.jpg", photo.sha256))).expect("file");
    let refused = engine
        .client()
        .photo_chunk(&photo.sha256, 0, photo.bytes, bytes[..1024].to_vec())
        .await;
    assert!(
        matches!(&refused, Err(courier_terminal::sync::client::CallError::Server { status: 404, code, .. }) if code == "photo_not_named"),
        "{refused:?}"
    );
    assert_eq!(
        server.state().photos().held(&photo.sha256).expect("held"),
        escrow_reference_server::photo_store::Held::Partial(0)
    );
}
