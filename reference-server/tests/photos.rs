//! Photos at the server (issue 24): an outcome without the photo its
//! manifest requires is stored, not honoured (`photo_required`); a photo no
//! stored event of the device names is refused; a named photo is taken in
//! chunks that must follow each other, its bytes must hash to its name, and
//! the answer then carries a receipt signed with the server key; the back
//! office reads the same bytes and lists it. On PostgreSQL with
//! `ESCROW_TEST_DATABASE_URL`.

use courier_protocol::api::{EventStatus, IssueManifestRequest, RejectReason};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::photo::{PhotoRef, PhotoUploadResponse, photo_path};
use courier_protocol::photo_policy::{PhotoCase, PhotoNeed, PhotoPolicy, PhotoRule};
use courier_protocol::vocabulary::{CodePolicy, EventKind, Liability, Outcome, Reason};
use courier_test_support::server::{ADMIN, Device, Harness, T0, error_code};

fn sha256(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

fn damaged_in_transit(
    dev: &mut Device,
    parcel: &str,
    version: u64,
    photos: Vec<PhotoRef>,
) -> courier_protocol::envelope::SignedEvent {
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::Outcome,
        Some(parcel),
    );
    body.manifest_version = Some(version);
    body.outcome = Some(Outcome::CarrierProblem);
    body.reason = Some(Reason::DamagedInTransit);
    body.liability = Some(Liability::Carrier);
    body.photos = photos;
    dev.seal_next(body)
}

async fn put(
    h: &Harness,
    dev: &mut Device,
    sha: &str,
    offset: u64,
    total: u64,
    chunk: &[u8],
) -> (u16, String) {
    let path = format!("{}?offset={offset}&total={total}", photo_path(sha));
    h.signed(dev, "PUT", &path, chunk.to_vec()).await
}

#[tokio::test]
async fn the_server_checks_names_chunks_and_hashes_and_signs_a_receipt() {
    let h = Harness::new().await;
    let order = h.order("PX-1", CodePolicy::OfflineAllowed).await;
    let mut dev = h.enroll().await;
    let m: SignedManifest = h
        .admin_post(
            "/v1/admin/manifests",
            &IssueManifestRequest {
                load_check: false,
                desks: Default::default(),
                device_id: dev.id.clone(),
                parcel_ids: vec![order.parcel_id.clone()],
                withdrawn: vec![],
                depot: "D".into(),
                valid_for_ms: 3_600_000,
                photos: PhotoPolicy::from([(
                    PhotoCase::DamagedInTransit,
                    PhotoRule {
                        need: PhotoNeed::Required,
                        min_count: 1,
                    },
                )]),
            },
        )
        .await;
    let v = m.body.version;
    let mut accept = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::ManifestAccepted,
        None,
    );
    accept.manifest_version = Some(v);
    let accept = dev.seal_next(accept);
    let bare = damaged_in_transit(&mut dev, &order.parcel_id, v, Vec::new());
    let r = h.upload(&mut dev, &[accept, bare]).await;
    assert_eq!(
        r.receipt.body.results[1].status,
        EventStatus::NotHonoured,
        "{r:?}"
    );
    assert_eq!(
        r.receipt.body.results[1].reason,
        Some(RejectReason::PhotoRequired)
    );

    let jpeg: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    let sha = sha256(&jpeg);
    let total = jpeg.len() as u64;
    // Not named by any event yet: refused.
    let (status, text) = put(&h, &mut dev, &sha, 0, total, &jpeg[..1000]).await;
    assert_eq!(
        (status, error_code(&text).as_str()),
        (404, "photo_not_named")
    );

    let photo = PhotoRef {
        sha256: sha.clone(),
        bytes: total,
        width: 1920,
        height: 1440,
        taken_at_ms: T0,
    };
    let with = damaged_in_transit(&mut dev, &order.parcel_id, v, vec![photo]);
    let r = h.upload(&mut dev, &[with]).await;
    assert_eq!(
        r.receipt.body.results[0].status,
        EventStatus::Accepted,
        "{r:?}"
    );

    let (status, text) = put(&h, &mut dev, &sha, 0, total + 1, &jpeg[..1000]).await;
    assert_eq!(
        (status, error_code(&text).as_str()),
        (422, "photo_mismatch")
    );
    let (status, text) = put(&h, &mut dev, &sha, 0, total, &jpeg[..65_536]).await;
    assert_eq!(status, 200, "{text}");
    let first: PhotoUploadResponse = serde_json::from_str(&text).expect("answer");
    assert_eq!((first.received, first.receipt.is_none()), (65_536, true));
    // A chunk that does not follow the server's copy is refused.
    let (status, text) = put(&h, &mut dev, &sha, 0, total, &jpeg[..65_536]).await;
    assert_eq!((status, error_code(&text).as_str()), (409, "photo_offset"));
    let (status, text) = h
        .signed(&mut dev, "GET", &photo_path(&sha), Vec::new())
        .await;
    assert_eq!(status, 200, "{text}");
    let held: PhotoUploadResponse = serde_json::from_str(&text).expect("answer");
    assert_eq!(held.received, 65_536);
    put(&h, &mut dev, &sha, 65_536, total, &jpeg[65_536..131_072]).await;
    let (status, text) = put(&h, &mut dev, &sha, 131_072, total, &jpeg[131_072..]).await;
    assert_eq!(status, 200, "{text}");
    let done: PhotoUploadResponse = serde_json::from_str(&text).expect("answer");
    let receipt = done.receipt.expect("a receipt once whole");
    receipt
        .verify(&dev.server_key, &sha)
        .expect("signed by the server key");
    assert_eq!(
        (receipt.body.bytes, receipt.body.device_id.as_str()),
        (total, dev.id.as_str())
    );
    // Idempotent by hash: asking again answers the same receipt.
    let (_, text) = h
        .signed(&mut dev, "GET", &photo_path(&sha), Vec::new())
        .await;
    let again: PhotoUploadResponse = serde_json::from_str(&text).expect("answer");
    assert_eq!(again.receipt, Some(receipt));

    // The back office reads the same bytes and finds it in the day's list.
    let bytes = h
        .http
        .get(h.url(&format!("/v1/admin/photos/{sha}")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("get")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(bytes.as_ref(), jpeg.as_slice());
    let list: serde_json::Value = h
        .http
        .get(h.url(&format!(
            "/v1/admin/photos?from_ms={}&to_ms={}",
            T0 - 1,
            T0 + 1
        )))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let photos = list["photos"].as_array().expect("photos");
    assert_eq!(photos.len(), 1, "{list}");
    assert_eq!(photos[0]["sha256"], sha.as_str());
    assert_eq!(photos[0]["order_ref"], "PX-1");
    assert!(photos[0]["stored_at_ms"].is_i64());
}

#[tokio::test]
async fn bytes_that_do_not_hash_to_the_name_are_dropped() {
    let h = Harness::new().await;
    let order = h.order("PX-2", CodePolicy::OfflineAllowed).await;
    let mut dev = h.enroll().await;
    let m = h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let v = m.body.version;
    let mut accept = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::ManifestAccepted,
        None,
    );
    accept.manifest_version = Some(v);
    let accept = dev.seal_next(accept);
    let named = sha256(b"the real photo");
    let photo = PhotoRef {
        sha256: named.clone(),
        bytes: 14,
        width: 100,
        height: 100,
        taken_at_ms: T0,
    };
    let with = damaged_in_transit(&mut dev, &order.parcel_id, v, vec![photo]);
    h.upload(&mut dev, &[accept, with]).await;
    let (status, text) = put(&h, &mut dev, &named, 0, 14, b"another photo!").await;
    assert_eq!(
        (status, error_code(&text).as_str()),
        (422, "photo_mismatch")
    );
    let (_, text) = h
        .signed(&mut dev, "GET", &photo_path(&named), Vec::new())
        .await;
    let held: PhotoUploadResponse = serde_json::from_str(&text).expect("answer");
    assert_eq!(
        (held.received, held.receipt),
        (0, None),
        "the partial copy is dropped"
    );
}
