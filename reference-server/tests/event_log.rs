//! The one event log (issue 23, points 1-2): every stored event of every
//! device becomes a leaf of one RFC 6962 tree; each upload is answered with
//! the signed C2SP checkpoint, the inclusion of the device's last event and
//! the consistency with the size the device keeps, checked here with the
//! same rule the terminal applies; a witness cosigns only a consistent
//! history, so a split view (two trees shown to two devices) is caught by
//! the witness and by the devices.

mod common;

use common::{Device, Harness};
use courier_protocol::api::EventsResponse;
use courier_protocol::keys::Signer;
use courier_protocol::log_consistency::{LogRefusal, OwnLeaf, WitnessKey, check_log_view};
use courier_protocol::merkle_log::{
    ConsistencyProof, Hash, TreeHead, decode_proof, leaf_hash, verify_checkpoint,
};
use courier_protocol::vocabulary::EventKind;
use courier_test_support::memory_log::MemoryLog;
use escrow_reference_server::witness::{Witness, WitnessRefusal, add_checkpoint_body};
use serde_json::json;

/// Uploads `n` new events saying the log size the device keeps.
async fn upload(h: &Harness, dev: &mut Device, n: usize, kept: Option<u64>) -> EventsResponse {
    let events: Vec<_> = (0..n)
        .map(|_| dev.next(EventKind::ManifestAccepted, None))
        .collect();
    send(h, dev, &events, kept).await
}

/// Uploads events saying the log size the device keeps.
async fn send(
    h: &Harness,
    dev: &mut Device,
    events: &[courier_protocol::envelope::SignedEvent],
    kept: Option<u64>,
) -> EventsResponse {
    let body = serde_json::to_vec(&json!({ "events": events, "log_size": kept })).expect("json");
    let (status, text) = h.signed(dev, "POST", "/v1/events", body).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).expect("events response")
}

/// A device's own last event as the rule wants it.
fn own(answer: &EventsResponse, last: &courier_protocol::envelope::SignedEvent) -> OwnLeaf {
    assert_eq!(answer.receipt.body.last_seq, last.body.seq);
    OwnLeaf {
        seq: last.body.seq,
        leaf: leaf_hash(last).expect("leaf"),
    }
}

#[tokio::test]
async fn every_upload_is_answered_with_a_consistent_checkpoint_that_includes_the_event() {
    let h = Harness::new().await;
    let key = h.server.state.key().public_key();
    let (mut a, mut b) = (h.enroll().await, h.enroll().await);
    let mut kept: Option<TreeHead> = None;
    let mut leaves = Vec::new();
    for round in 0..4 {
        // The other device's events interleave: the log is one for all.
        let other = upload(&h, &mut b, round + 1, None).await;
        assert!(other.log.is_some());
        let r = upload(&h, &mut a, 3, kept.map(|k| k.size)).await;
        let view = r.log.clone().expect("the answer carries the log");
        let last = last_of(&h, &a).await;
        let cp = check_log_view(&view, &key, kept.as_ref(), Some(own(&r, &last)), &[])
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        if kept.is_some_and(|k| k.size > 0) {
            let proof = view.consistency.as_ref().expect("a consistency proof");
            assert!(!proof.hashes.is_empty());
        }
        kept = Some(cp.head);
        leaves.push(cp.head.size);
    }
    // 4 rounds of b (1+2+3+4 events) and of a (3 each): 22 leaves.
    assert_eq!(kept.map(|k| k.size), Some(22));
    // The public reads agree: the checkpoint and a consistency proof.
    let note = h
        .http
        .get(h.url("/v1/log/checkpoint"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    let now = verify_checkpoint(&note, &key).expect("the log's own signature");
    assert_eq!(now.head, kept.expect("kept"));
    let proof: ConsistencyProof = h
        .http
        .get(h.url(&format!("/v1/log/consistency?from={}&to=22", leaves[0])))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!((proof.from_size, proof.to_size), (leaves[0], 22));
    assert!(!decode_proof(&proof.hashes).expect("hex").is_empty());
    let refused = h
        .http
        .get(h.url("/v1/log/consistency?from=3&to=999"))
        .send()
        .await
        .expect("get");
    assert_eq!(refused.status(), 400, "past the log's size");
}

/// The device's last event as the server stored it.
async fn last_of(h: &Harness, dev: &Device) -> courier_protocol::envelope::SignedEvent {
    let events = h
        .server
        .state
        .store()
        .device_events(&dev.id)
        .await
        .expect("events");
    events.last().cloned().expect("an event")
}

#[tokio::test]
async fn a_split_view_is_caught_by_the_witness_and_by_the_devices() {
    let h = Harness::new().await;
    let signer = h.server.state.key();
    let key = signer.public_key();
    let (mut a, mut b) = (h.enroll().await, h.enroll().await);
    let witness_key = courier_protocol::keys::keypair_from_pkcs8(
        &courier_protocol::keys::generate_pkcs8().expect("key"),
    )
    .expect("key");
    let witness_pk = witness_key.public_key();
    let dir = tempfile::tempdir().expect("tmp");
    let mut witness = Witness::new(
        "witness.example",
        witness_key,
        key,
        Some(dir.path().join("state")),
    )
    .expect("witness");

    // Both devices see the honest log of their first uploads.
    let ra = upload(&h, &mut a, 2, None).await;
    let rb = upload(&h, &mut b, 2, None).await;
    let last_b = last_of(&h, &b).await;
    let honest = rb.log.clone().expect("log");
    let cp_b = check_log_view(&honest, &key, None, Some(own(&rb, &last_b)), &[]).expect("honest");
    let kept_a = check_log_view(&ra.log.clone().expect("log"), &key, None, None, &[])
        .expect("honest")
        .head;
    let sig = witness
        .add_checkpoint(0, &[], &honest.checkpoint, 1)
        .expect("the witness cosigns the first checkpoint it sees");
    assert_eq!(sig.name, "witness.example");

    // The server now splits: device a is shown a history where b's events
    // never were (a's next events in their place), signed with its own key.
    let (e3, e4) = (
        a.next(EventKind::ManifestAccepted, None),
        a.next(EventKind::ManifestAccepted, None),
    );
    let mut a_events: Vec<_> = h
        .server
        .state
        .store()
        .device_events(&a.id)
        .await
        .expect("a");
    a_events.extend([e3.clone(), e4.clone()]);
    let split_leaves: Vec<Hash> = a_events
        .iter()
        .map(|e| leaf_hash(e).expect("leaf"))
        .collect();
    let split = MemoryLog::of(&split_leaves);
    let shown_a = split.view(signer, Some((4, 3)), Some(kept_a.size));
    // Device a alone cannot tell (its history is consistent and holds its event)...
    let cp_a = check_log_view(
        &shown_a,
        &key,
        Some(&kept_a),
        Some(OwnLeaf {
            seq: 4,
            leaf: leaf_hash(&e4).expect("leaf"),
        }),
        &[],
    )
    .expect("a view of its own");
    // ...but the witness, which cosigned the other branch, refuses it,
    assert_eq!(cp_a.head.size, cp_b.head.size, "same size, other root");
    let body = add_checkpoint_body(cp_b.head.size, &[], &shown_a.checkpoint);
    assert!(matches!(
        witness.add_checkpoint_request(&body, 2),
        Err(WitnessRefusal::Inconsistent(
            LogRefusal::NotConsistent { .. }
        ))
    ));
    // so a device that requires the witness's cosignature refuses the split view,
    let w = WitnessKey {
        name: "witness.example".into(),
        key: witness_pk,
    };
    assert_eq!(
        check_log_view(
            &shown_a,
            &key,
            Some(&kept_a),
            None,
            std::slice::from_ref(&w)
        ),
        Err(LogRefusal::NotCosigned("witness.example".into()))
    );
    // and one cosigned by it is taken.
    let mut cosigned = honest.clone();
    let mut note = courier_protocol::signed_note::Note::parse(&cosigned.checkpoint).expect("note");
    note.signatures.push(sig);
    cosigned.checkpoint = note.to_text();
    check_log_view(&cosigned, &key, None, None, std::slice::from_ref(&w)).expect("cosigned");

    // Device a kept the split head: when it meets the real history again its
    // consistency check fails, and the evidence says so.
    let back = send(&h, &mut a, &[e3, e4], Some(cp_a.head.size)).await;
    assert_eq!(
        check_log_view(&back.log.expect("log"), &key, Some(&cp_a.head), None, &[]),
        Err(LogRefusal::NotConsistent {
            kept: cp_a.head.size,
            shown: 6
        })
    );
    // The real log moves on, and the witness follows it with a proof.
    let next = upload(&h, &mut b, 1, Some(cp_b.head.size))
        .await
        .log
        .expect("log");
    let proof = decode_proof(&next.consistency.expect("proof").hashes).expect("hex");
    witness
        .add_checkpoint(cp_b.head.size, &proof, &next.checkpoint, 3)
        .expect("consistent: cosigned");
    // A restarted witness remembers what it cosigned (a stale old size is a conflict).
    let mut again = Witness::new(
        "witness.example",
        courier_protocol::keys::keypair_from_pkcs8(
            &courier_protocol::keys::generate_pkcs8().expect("key"),
        )
        .expect("key"),
        key,
        Some(dir.path().join("state")),
    )
    .expect("witness");
    assert!(matches!(
        again.add_checkpoint(cp_b.head.size, &[], &honest.checkpoint, 4),
        Err(WitnessRefusal::Conflict { known: 7, .. })
    ));
}

/// The figures of docs/benchmarks.md ("The event log"): the cost of
/// appending leaves in batch transactions (the log's share of an upload)
/// on the engine of [`common::test_database`], and proof sizes. Run with
/// `cargo test -p escrow-reference-server --test event_log -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement: prints figures, asserts only correctness"]
async fn log_append_cost_and_proof_sizes() {
    use escrow_reference_server::event_log;
    use escrow_reference_server::storage::{LogLeaf, open::open_storage};
    let dir = tempfile::tempdir().expect("tmp");
    let database = common::test_database(&dir).await;
    let store = open_storage(&database).await.expect("store");
    let (batches, per_batch) = (200u64, 500u64);
    let started = std::time::Instant::now();
    for b in 0..batches {
        let leaves: Vec<LogLeaf> = (0..per_batch)
            .map(|i| LogLeaf {
                device_id: format!("dev-{}", b % 50),
                seq: b * per_batch + i + 1,
                leaf_hash: tlog_tiles::record_hash(&(b * per_batch + i).to_be_bytes()).0,
            })
            .collect();
        let mut tx = store.begin_batch().await.expect("begin");
        event_log::append(&mut *tx, leaves).await.expect("append");
        tx.commit().await.expect("commit");
    }
    let n = batches * per_batch;
    let elapsed = started.elapsed();
    println!(
        "{} engine: {n} leaves in {batches} batch transactions of {per_batch}: {:.1} µs per leaf",
        store.engine(),
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
    let signer = courier_protocol::keys::keypair_from_pkcs8(
        &courier_protocol::keys::generate_pkcs8().expect("key"),
    )
    .expect("key");
    let started = std::time::Instant::now();
    let view = event_log::view(&*store, &signer, "dev-7", 3_501, Some(n / 3))
        .await
        .expect("view");
    println!(
        "checkpoint + inclusion + consistency at {n}: {:.2} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let inclusion = view.inclusion.expect("inclusion");
    let consistency = view.consistency.expect("consistency");
    println!(
        "at {n} leaves: inclusion {} hashes, consistency from {} {} hashes, checkpoint note {} bytes, whole view {} bytes of JSON",
        inclusion.hashes.len(),
        consistency.from_size,
        consistency.hashes.len(),
        view.checkpoint.len(),
        serde_json::to_string(&LogViewRef {
            c: &view.checkpoint,
            i: &inclusion.hashes,
            k: &consistency.hashes
        })
        .expect("json")
        .len()
    );
    let head = event_log::head(&*store).await.expect("head");
    assert_eq!(head.size, n);
}

#[derive(serde::Serialize)]
struct LogViewRef<'a> {
    c: &'a str,
    i: &'a [String],
    k: &'a [String],
}

#[tokio::test]
async fn events_stored_before_the_log_existed_are_appended_at_start() {
    let h = Harness::new().await;
    let escrow_reference_server::Database::Sqlite(path) = h.database.clone() else {
        return; // the SQL below is SQLite's; the backfill itself is engine-neutral
    };
    let mut dev = h.enroll().await;
    upload(&h, &mut dev, 2, None).await;
    // An event stored as a server before issue 23 stored it: no leaf.
    let e3 = dev.next(EventKind::ManifestAccepted, None);
    {
        let db = rusqlite::Connection::open(&path).expect("db");
        db.execute(
            "INSERT INTO events(device_id, seq, event_id, hash, signed_json, received_at_ms, signed_at_ms)
             VALUES (?1, 3, ?2, ?3, ?4, 0, 0)",
            rusqlite::params![
                dev.id,
                e3.body.event_id,
                e3.hash,
                serde_json::to_string(&e3).expect("json")
            ],
        )
        .expect("insert");
        db.execute(
            "UPDATE devices SET last_seq = 3, last_hash = ?2 WHERE device_id = ?1",
            rusqlite::params![dev.id, e3.hash],
        )
        .expect("tip");
        db.execute("DELETE FROM meta WHERE key = 'tlog_backfilled'", [])
            .expect("flag");
    }
    let store = h.server.state.store();
    assert_eq!(store.log_leaf_index(&dev.id, 3).await.expect("read"), None);
    let again = Harness::on(tempfile::tempdir().expect("tmp"), h.database.clone()).await;
    let store = again.server.state.store();
    assert_eq!(
        store.log_leaf_index(&dev.id, 3).await.expect("read"),
        Some(2)
    );
    let r = upload(&again, &mut dev, 1, Some(2)).await;
    let last = last_of(&again, &dev).await;
    let key = again.server.state.key().public_key();
    let view = r.log.clone().expect("log");
    check_log_view(&view, &key, None, Some(own(&r, &last)), &[])
        .expect("the log goes on after the backfilled event");
}
