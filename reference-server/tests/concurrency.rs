//! Several server processes on one database (emulated by two servers with
//! their own connections on the same SQLite file or PostgreSQL database):
//! racing batches keep each chain gapless and every event stored once; a
//! fork is refused and recorded as an alert the back office can read; nonces
//! and enrollment tokens are shared through the database, not process memory.
//! Run on PostgreSQL with `ESCROW_TEST_DATABASE_URL` (scripts/postgres-test.sh).

mod common;

use common::{ADMIN, Harness, error_code};
use courier_protocol::api::{EventBatch, EventStatus, EventsResponse, RejectReason};
use courier_protocol::envelope::{ChainTip, SignedEvent, verify_chain};
use courier_protocol::vocabulary::EventKind;

fn batch_body(events: &[SignedEvent]) -> Vec<u8> {
    serde_json::to_vec(&EventBatch {
        events: events.to_vec(),
    })
    .expect("json")
}

fn parse(answer: (u16, String)) -> EventsResponse {
    assert_eq!(answer.0, 200, "{}", answer.1);
    serde_json::from_str(&answer.1).expect("events response")
}

async fn alerts(h: &Harness) -> Vec<serde_json::Value> {
    let r = h
        .http
        .get(h.url("/v1/admin/alerts"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("alerts");
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    v["alerts"].as_array().expect("alerts array").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_is_refused_and_recorded_as_an_alert() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let chain: Vec<SignedEvent> = (0..3)
        .map(|_| dev.next(EventKind::ManifestAccepted, None))
        .collect();
    h.upload(&mut dev, &chain).await;
    // A validly signed second event number 2: a cloned device or a restored backup.
    let body = dev.body(2, &chain[0].hash, EventKind::ManifestAccepted, None);
    let fork = SignedEvent::seal(body, &dev.key).expect("seal");
    let r = h.upload(&mut dev, std::slice::from_ref(&fork)).await;
    assert_eq!(r.receipt.body.results[0].status, EventStatus::Rejected);
    assert_eq!(
        r.receipt.body.results[0].reason,
        Some(RejectReason::Conflict)
    );
    assert_eq!(r.receipt.body.last_seq, 3, "the stored chain is untouched");

    // Visible to the back office from any server process.
    let twin = h.twin().await;
    let seen = alerts(&twin).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["kind"], "fork");
    assert_eq!(seen[0]["device_id"], dev.id.as_str());
    let detail = seen[0]["detail"].as_str().expect("detail");
    assert!(
        detail.contains(&fork.hash) && detail.contains(&chain[1].hash),
        "{detail}"
    );
    let stored = h
        .server
        .state
        .store()
        .device_events(&dev.id)
        .await
        .expect("events");
    assert_eq!(stored, chain);

    // Re-sending the same fork is refused again and recorded again: never dropped.
    h.upload(&mut dev, std::slice::from_ref(&fork)).await;
    assert_eq!(alerts(&h).await.len(), 2);
    // Paging: only the newer one after the first id.
    let first = seen[0]["id"].as_i64().expect("id");
    let r = h
        .http
        .get(h.url(&format!("/v1/admin/alerts?after_id={first}&limit=10")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("alerts");
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["alerts"].as_array().expect("array").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_id_reused_with_other_content_is_an_alert() {
    let h = Harness::new().await;
    let mut dev = h.enroll().await;
    let e1 = dev.next(EventKind::ManifestAccepted, None);
    h.upload(&mut dev, std::slice::from_ref(&e1)).await;
    let mut body = dev.body(2, &dev.prev.clone(), EventKind::ManifestAccepted, None);
    body.event_id = e1.body.event_id.clone();
    let e2 = dev.seal_next(body);
    let r = h.upload(&mut dev, &[e2]).await;
    assert_eq!(
        r.receipt.body.results[0].reason,
        Some(RejectReason::Conflict)
    );
    let seen = alerts(&h).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["kind"], "event_id_conflict");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_batch_racing_on_two_processes_is_stored_once() {
    let a = Harness::new().await;
    let b = a.twin().await;
    let mut dev = a.enroll().await;
    for round in 0..10 {
        let batch: Vec<SignedEvent> = (0..20)
            .map(|_| dev.next(EventKind::ManifestAccepted, None))
            .collect();
        let body = batch_body(&batch);
        let auth_a = a.sign(&mut dev, "POST", "/v1/events", &body);
        let auth_b = a.sign(&mut dev, "POST", "/v1/events", &body);
        let (ra, rb) = tokio::join!(
            a.send_with(&auth_a, "POST", "/v1/events", body.clone()),
            b.send_with(&auth_b, "POST", "/v1/events", body.clone()),
        );
        let (ra, rb) = (parse(ra), parse(rb));
        for r in [&ra, &rb] {
            assert_eq!(r.receipt.body.last_seq, 20 * (round + 1));
            assert!(
                r.receipt
                    .body
                    .results
                    .iter()
                    .all(|x| matches!(x.status, EventStatus::Accepted | EventStatus::Duplicate))
            );
        }
        let accepted = [&ra, &rb]
            .iter()
            .flat_map(|r| &r.receipt.body.results)
            .filter(|x| x.status == EventStatus::Accepted)
            .count();
        assert_eq!(accepted, 20, "each event accepted by exactly one process");
    }
    let stored = a
        .server
        .state
        .store()
        .device_events(&dev.id)
        .await
        .expect("events");
    assert_eq!(stored.len(), 200);
    verify_chain(
        &stored,
        &courier_protocol::keys::Signer::public_key(&dev.key),
        ChainTip::genesis(),
    )
    .expect("the chain verifies");
    assert_eq!(
        a.server.state.store().event_counts().await.expect("counts"),
        (200, 200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_batches_racing_on_two_processes_keep_the_chain_gapless() {
    let a = Harness::new().await;
    let b = a.twin().await;
    let mut devices = Vec::new();
    for _ in 0..4 {
        devices.push(a.enroll().await);
    }
    let mut tasks = Vec::new();
    for (i, mut dev) in devices.into_iter().enumerate() {
        let batches: Vec<Vec<SignedEvent>> = (0..6)
            .map(|_| {
                (0..15)
                    .map(|_| dev.next(EventKind::ManifestAccepted, None))
                    .collect()
            })
            .collect();
        let (a_url, b_url) = (a.server.url(), b.server.url());
        let sign = a.clock.clone();
        tasks.push(tokio::spawn(async move {
            // Every batch goes to both processes at once until both answer
            // it accepted or duplicate; a batch that overtakes its
            // predecessor is refused with a gap and simply sent again.
            let http = reqwest::Client::new();
            let mut nonce = 1_000u64 * (i as u64 + 1);
            for batch in &batches {
                let last = batch.last().expect("batch").body.seq;
                loop {
                    let body = batch_body(batch);
                    let mut sends = Vec::new();
                    for url in [&a_url, &b_url] {
                        nonce += 1;
                        let mut n = [0u8; 16];
                        n[..8].copy_from_slice(&nonce.to_le_bytes());
                        let auth = courier_protocol::request_signing::sign_request(
                            &dev.key,
                            &dev.id,
                            "POST",
                            "/v1/events",
                            &body,
                            sign.load(std::sync::atomic::Ordering::SeqCst),
                            n,
                        );
                        sends.push(
                            http.post(format!("{url}/v1/events"))
                                .header("x-device-id", &auth.device_id)
                                .header("x-timestamp", auth.timestamp_ms.to_string())
                                .header("x-nonce", &auth.nonce)
                                .header("x-signature", &auth.signature)
                                .header("content-type", "application/json")
                                .body(body.clone())
                                .send(),
                        );
                    }
                    let mut done = true;
                    for answer in futures_join(sends).await {
                        let r: EventsResponse =
                            answer.expect("send").json().await.expect("events response");
                        done &= r.receipt.body.last_seq >= last;
                    }
                    if done {
                        break;
                    }
                }
            }
            dev
        }));
    }
    for t in tasks {
        let dev = t.await.expect("device task");
        let stored = a
            .server
            .state
            .store()
            .device_events(&dev.id)
            .await
            .expect("events");
        assert_eq!(stored.len(), 90, "every event of {} once", dev.id);
        verify_chain(
            &stored,
            &courier_protocol::keys::Signer::public_key(&dev.key),
            ChainTip::genesis(),
        )
        .expect("the chain verifies");
    }
    assert_eq!(
        a.server.state.store().event_counts().await.expect("counts"),
        (360, 360)
    );
}

/// Awaits request futures side by side.
async fn futures_join<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("join"));
    }
    out
}

#[tokio::test]
async fn a_nonce_used_on_one_process_is_refused_by_another() {
    let a = Harness::new().await;
    let b = a.twin().await;
    let mut dev = a.enroll().await;
    let auth = a.sign(&mut dev, "GET", "/v1/manifest", b"");
    let (status, _) = a.send_with(&auth, "GET", "/v1/manifest", Vec::new()).await;
    assert_eq!(status, 200);
    let (status, text) = b.send_with(&auth, "GET", "/v1/manifest", Vec::new()).await;
    assert_eq!(status, 401, "{text}");
    assert_eq!(error_code(&text), "replayed_nonce");
}

#[tokio::test]
async fn an_enrollment_token_spent_on_one_process_is_spent_on_all() {
    let a = Harness::new().await;
    let b = a.twin().await;
    let token: courier_protocol::api::EnrollmentTokenResponse = a
        .admin_post("/v1/admin/enrollment-tokens", &serde_json::json!({}))
        .await;
    let mut codes = Vec::new();
    for h in [&a, &b] {
        let key = courier_protocol::keys::keypair_from_pkcs8(
            &courier_protocol::keys::generate_pkcs8().expect("gen"),
        )
        .expect("key");
        let r = h
            .http
            .post(h.url("/v1/enroll"))
            .json(&courier_protocol::api::EnrollRequest {
                token: token.token.clone(),
                device_public_key: courier_protocol::keys::Signer::public_key(&key),
                hardware_label: "t".into(),
            })
            .send()
            .await
            .expect("enroll");
        codes.push(r.status().as_u16());
    }
    assert_eq!(codes, vec![200, 401]);
}

#[tokio::test]
async fn both_processes_sign_with_the_one_server_key() {
    let a = Harness::new().await;
    let b = a.twin().await;
    assert_eq!(
        courier_protocol::keys::Signer::public_key(a.server.state.key()),
        courier_protocol::keys::Signer::public_key(b.server.state.key())
    );
}
