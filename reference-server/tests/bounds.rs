//! Issue 21, point 8: bounds on every field, per event, on both engines
//! (`ESCROW_TEST_DATABASE_URL` runs these on PostgreSQL); the enrollment
//! token is never reached by a large body; online code checks are limited
//! per device.

mod common;

use common::{Harness, error_code};
use courier_protocol::api::{EventStatus, RejectReason, SignedReceipt};
use courier_protocol::bounds::{MAX_CODE_CHECKS_PER_MINUTE, MAX_NOTE_CHARS};
use courier_protocol::vocabulary::{CodePolicy, EventKind};

fn statuses(r: &SignedReceipt) -> Vec<(EventStatus, Option<RejectReason>)> {
    r.body
        .results
        .iter()
        .map(|x| (x.status, x.reason))
        .collect()
}

/// The finding: a 10 MB note was accepted (the database grew 15 MB an
/// event). Now the event is refused on its own, `too_large`, and nothing of
/// it is stored; the event before it is accepted.
#[tokio::test]
async fn a_ten_megabyte_note_is_refused_per_event() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let order = h.order("ORD-B1", CodePolicy::OfflineAllowed).await;
    h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let arrived = dev.next(EventKind::Arrived, Some(&order.parcel_id));
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::ContactAttempt,
        Some(&order.parcel_id),
    );
    body.detail.insert("channel".into(), "call".into());
    body.detail
        .insert("note".into(), "n".repeat(10 * 1024 * 1024));
    let big = dev.seal_next(body);
    let after = dev.next(EventKind::ContactAttempt, Some(&order.parcel_id));
    let r = h.upload(&mut dev, &[arrived, big, after]).await;
    assert_eq!(
        statuses(&r.receipt),
        vec![
            (EventStatus::Accepted, None),
            (EventStatus::Rejected, Some(RejectReason::TooLarge)),
            (EventStatus::Rejected, Some(RejectReason::NotProcessed)),
        ]
    );
    assert_eq!(r.receipt.body.last_seq, 1);
}

/// The finding's other events: fields of 15.7 million characters, and a note
/// one character past its bound, each refused with its reason.
#[tokio::test]
async fn any_field_past_its_bound_is_refused_per_event() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let order = h.order("ORD-B2", CodePolicy::OfflineAllowed).await;
    h.manifest(&dev.id, &[&order.parcel_id], 3_600_000).await;
    let arrived = dev.next(EventKind::Arrived, Some(&order.parcel_id));
    let r = h.upload(&mut dev, &[arrived]).await;
    assert_eq!(statuses(&r.receipt), vec![(EventStatus::Accepted, None)]);
    let huge = 15_700_000;
    for mutate in [
        (|b: &mut courier_protocol::envelope::EventBody| {
            b.app_version = "v".repeat(15_700_000);
        }) as fn(&mut courier_protocol::envelope::EventBody),
        |b| {
            b.detail.insert("channel".into(), "c".repeat(15_700_000));
        },
        |b| {
            b.detail
                .insert("note".into(), "é".repeat(MAX_NOTE_CHARS + 1));
        },
    ] {
        let mut body = dev.body(
            dev.seq + 1,
            &dev.prev.clone(),
            EventKind::ContactAttempt,
            Some(&order.parcel_id),
        );
        mutate(&mut body);
        let (seq, prev) = (dev.seq, dev.prev.clone());
        let e = dev.seal_next(body);
        let r = h.upload(&mut dev, &[e]).await;
        assert_eq!(
            statuses(&r.receipt),
            vec![(EventStatus::Rejected, Some(RejectReason::TooLarge))]
        );
        (dev.seq, dev.prev) = (seq, prev);
    }
    assert!(huge > 15_000_000);
    // Within its bound, the same note is taken.
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::ContactAttempt,
        Some(&order.parcel_id),
    );
    body.detail
        .insert("note".into(), "é".repeat(MAX_NOTE_CHARS));
    let e = dev.seal_next(body);
    let r = h.upload(&mut dev, &[e]).await;
    assert_eq!(statuses(&r.receipt), vec![(EventStatus::Accepted, None)]);
}

/// A large enrollment body is refused before it is parsed: the answer is
/// about its size, never about its token.
#[tokio::test]
async fn a_large_enrollment_body_is_refused_before_its_token_is_read() {
    let h = Harness::new().await;
    let body = serde_json::to_vec(&serde_json::json!({
        "token": "no-such-token",
        "device_public_key": "00".repeat(32),
        "hardware_label": "x".repeat(1024 * 1024),
    }))
    .expect("json");
    let r = h
        .http
        .post(h.url("/v1/enroll"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("enroll");
    assert_eq!(r.status().as_u16(), 413);
    let text = r.text().await.expect("text");
    assert_eq!(error_code(&text), "batch_too_large", "{text}");
    // An ordinary enrollment still works.
    h.enroll().await;
}

/// Online code checks are limited per device: past the limit in one minute
/// of the server's clock, `429 rate_limited`; another device is not slowed;
/// the next minute the device may check again.
#[tokio::test]
async fn code_checks_are_limited_per_device() {
    let h = Harness::new().await;
    let mut a = h.enroll().await;
    let mut b = h.enroll().await;
    for _ in 0..MAX_CODE_CHECKS_PER_MINUTE {
        let (s, text) = h
            .signed(&mut a, "POST", "/v1/code-checks", b"{}".to_vec())
            .await;
        assert_eq!(s, 400, "{text}");
    }
    let (s, text) = h
        .signed(&mut a, "POST", "/v1/code-checks", b"{}".to_vec())
        .await;
    assert_eq!(s, 429, "{text}");
    assert_eq!(error_code(&text), "rate_limited");
    let (s, text) = h
        .signed(&mut b, "POST", "/v1/code-checks", b"{}".to_vec())
        .await;
    assert_eq!(s, 400, "another device: {text}");
    h.clock
        .fetch_add(60_000, std::sync::atomic::Ordering::SeqCst);
    let (s, text) = h
        .signed(&mut a, "POST", "/v1/code-checks", b"{}".to_vec())
        .await;
    assert_eq!(s, 400, "the next minute: {text}");
}
