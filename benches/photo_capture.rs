//! Benchmark: photos as evidence (`cargo bench --profile dev --bench photo_capture`;
//! the dev profile builds the JPEG codec and SHA-256 optimised, see Cargo.toml).
//!
//! A full day: 200 parcels refused after inspection with 3 photos each, on a
//! simulated 5-megapixel sensor (2592x1944, scaled to 1920x1440). Times the
//! capture path (scale, encode, hash, write and fsync the file, record the
//! row) per photo and the photo with its durable signed event (the third
//! photo and the outcome that names the three), prints the JPEG sizes, then
//! uploads the day's photos to the reference server over HTTPS on loopback
//! (events first, then the photo outbox) and prints its time and rate. The
//! frames are drawn before timing; each is made unique by its first pixels.

#![allow(missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use courier_devtools::test_pki::TestPki;
use courier_protocol::api::{CreateOrderRequest, IssueManifestRequest};
use courier_protocol::manifest::{Address, Recipient};
use courier_protocol::photo_policy::{PhotoCase, PhotoNeed, PhotoPolicy, PhotoRule};
use courier_protocol::vocabulary::{CodePolicy, Outcome, ParcelKind, Reason};
use courier_terminal::clock::SystemClock;
use courier_terminal::position_source::NoPosition;
use courier_terminal::sync::enrollment::{Enrollment, enroll_with};
use courier_terminal::sync::{SyncConfig, SyncEngine, TlsTrust};
use courier_terminal::terminal::{DataDir, Terminal};
use escrow_reference_server::faults::Faults;
use escrow_reference_server::{AppState, Database, ServerConfig, admin, start_tls, system_clock};
use firmware_bridge::simulator::TestPatternCamera;
use firmware_bridge::{Camera, CameraError, Frame, FramePixels};

/// A day's parcels (`PHOTO_BENCH_PARCELS` to measure fewer on a busy machine).
const PARCELS: usize = 200;
const PHOTOS_PER_PARCEL: usize = 3;

fn parcels() -> usize {
    std::env::var("PHOTO_BENCH_PARCELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PARCELS)
}

/// Replays frames drawn beforehand, each made unique (the simulator's
/// drawing is not what is measured).
struct Replay {
    frames: Vec<Frame>,
    n: u32,
}

impl Camera for Replay {
    fn capture(&mut self) -> Result<Frame, CameraError> {
        self.n += 1;
        let mut frame = self.frames[self.n as usize % self.frames.len()].clone();
        // The counter's bits as 16x16 black or white squares along the top:
        // a mark no scaling or JPEG quantisation erases.
        if let FramePixels::Rgb8(px) = &mut frame.pixels {
            let row = frame.width as usize * 3;
            for bit in 0..32 {
                let v = if (self.n >> bit) & 1 == 1 { 255 } else { 0 };
                for y in 0..16 {
                    let start = y * row + bit * 16 * 3;
                    px[start..start + 48].fill(v);
                }
            }
        }
        Ok(frame)
    }

    fn describe(&self) -> String {
        "replayed test pattern".into()
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    ms(sorted[i])
}

fn order(n: usize) -> CreateOrderRequest {
    CreateOrderRequest {
        order_parcels: Default::default(),
        order_ref: format!("PHOTO-{n}"),
        label: format!("L-PHOTO-{n}"),
        kind: ParcelKind::Delivery,
        policy: CodePolicy::OfflineAllowed,
        recipient: Recipient {
            name: "B".into(),
            phone: "1".into(),
        },
        address: Address {
            text: "x".into(),
            city: "y".into(),
            lat_e7: None,
            lon_e7: None,
        },
        amount_minor: 1,
        currency: "EUR".into(),
        collect: None,
        digits: None,
        iterations: Some(1_000),
        attempt_limit: None,
        demo_secret: None,
    }
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let tmp = tempfile::tempdir()?;
    let pki = TestPki::create(tmp.path(), "bench")?;
    let config = ServerConfig {
        database: Database::Sqlite(tmp.path().join("server.sqlite")),
        admin_token: None,
        clock: system_clock(),
        password_cost: escrow_reference_server::back_office::PasswordCost::for_tests(),
    };
    let state = rt.block_on(AppState::open(&config, Arc::new(Faults::default())))?;
    let acceptor = escrow_reference_server::tls::acceptor(&pki.cert_chain, &pki.key)?;
    let server = rt.block_on(start_tls(state.clone(), "127.0.0.1:0".parse()?, acceptor))?;
    let url = server.url();
    let mut parcel_ids = Vec::new();
    for n in 0..parcels() {
        parcel_ids.push(
            rt.block_on(admin::create_order(state.store(), &order(n)))?
                .parcel_id,
        );
    }
    let token = rt.block_on(admin::issue_token(state.store(), state.now_ms()))?;
    let dir = DataDir(tmp.path().join("device"));
    let tls = TlsTrust::CaFile(pki.ca.clone());
    enroll_with(
        &dir,
        &Enrollment {
            server: &url,
            token: &token.token,
            hardware_label: "bench",
            profile: courier_protocol::enrollment_qr::Profile::Production,
            expect_fingerprint: None,
            tls: tls.clone(),
        },
    )?;
    let mut t = Terminal::open(&dir, Arc::new(SystemClock::new()), Arc::new(NoPosition))?;
    let manifest = rt.block_on(admin::issue_manifest(
        state.store(),
        state.key(),
        &IssueManifestRequest {
            device_id: t.device_id().to_string(),
            parcel_ids,
            withdrawn: vec![],
            depot: "D".into(),
            valid_for_ms: 3_600_000,
            load_check: false,
            desks: Default::default(),
            photos: PhotoPolicy::from([(
                PhotoCase::RefusedAfterInspection,
                PhotoRule {
                    need: PhotoNeed::Required,
                    min_count: PHOTOS_PER_PARCEL as u8,
                },
            )]),
        },
        state.now_ms(),
    ))?;
    t.load_manifest(&manifest)?;
    let mut sim = TestPatternCamera::new(2592, 1944);
    let frames = (0..4)
        .map(|_| sim.capture())
        .collect::<Result<Vec<_>, _>>()?;
    t.set_camera(Box::new(Replay { frames, n: 0 }));

    let mut capture = Vec::new();
    let mut with_event = Vec::new();
    let mut sizes = Vec::new();
    for n in 0..parcels() {
        let label = format!("L-PHOTO-{n}");
        t.arrive_and_offer_inspection(&label)?;
        for i in 0..PHOTOS_PER_PARCEL {
            let started = Instant::now();
            let photo = t.take_photo(&label)?;
            capture.push(started.elapsed());
            sizes.push(photo.bytes);
            if i + 1 == PHOTOS_PER_PARCEL {
                let event = t.record_outcome(
                    &label,
                    Outcome::RefusedAfterInspection,
                    Some(Reason::Damaged),
                    None,
                )?;
                with_event.push(started.elapsed());
                assert_eq!(event.body.photos.len(), PHOTOS_PER_PARCEL);
            }
        }
    }
    drop(t);
    capture.sort();
    with_event.sort();
    sizes.sort();
    let total: u64 = sizes.iter().sum();
    println!(
        "photo_capture: {} photos at 1920x1440 (JPEG q{}): capture to durable photo p50 {:.1} ms, p99 {:.1} ms",
        capture.len(),
        courier_terminal::photo_encoding::JPEG_QUALITY,
        percentile(&capture, 0.5),
        percentile(&capture, 0.99)
    );
    println!(
        "photo_capture: capture to durable signed event naming it (3rd photo + outcome) p50 {:.1} ms, p99 {:.1} ms",
        percentile(&with_event, 0.5),
        percentile(&with_event, 0.99)
    );
    println!(
        "photo_capture: JPEG size min {} KiB, median {} KiB, max {} KiB; the day's {} photos {:.1} MiB",
        sizes[0] / 1024,
        sizes[sizes.len() / 2] / 1024,
        sizes[sizes.len() - 1] / 1024,
        sizes.len(),
        total as f64 / 1_048_576.0
    );

    let mut engine = SyncEngine::open(
        &dir,
        SyncConfig {
            tls,
            ..SyncConfig::default()
        },
    )?;
    rt.block_on(engine.upload_all(true, Instant::now() + Duration::from_secs(120)))?;
    let started = Instant::now();
    let mut uploaded = 0;
    loop {
        let r = rt.block_on(engine.upload_photos())?;
        anyhow::ensure!(r.failed == 0, "a photo upload failed: {r:?}");
        if r.uploaded == 0 {
            break;
        }
        uploaded += r.uploaded;
    }
    let elapsed = started.elapsed();
    anyhow::ensure!(uploaded as usize == sizes.len(), "uploaded {uploaded}");
    println!(
        "photo_capture: upload of the day's {uploaded} photos over HTTPS (loopback, chunks of {} KiB) {:.1} s, {:.1} MiB/s",
        courier_protocol::photo::MAX_PHOTO_CHUNK_BYTES / 1024,
        elapsed.as_secs_f64(),
        total as f64 / 1_048_576.0 / elapsed.as_secs_f64()
    );
    Ok(())
}
