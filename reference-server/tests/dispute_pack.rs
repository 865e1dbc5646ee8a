//! The dispute pack of one order (issue 23, point 3): an operator with a
//! claims role downloads it, the independent Python verifier written from
//! docs/protocol.md accepts it, and refuses each tampering: an event
//! removed, a time changed, the proofs set against another tree's
//! checkpoint. The two devices that held the order are both in it; an
//! operator of another depot, or without the role, gets nothing. Run on
//! PostgreSQL with `ESCROW_TEST_DATABASE_URL` (scripts/postgres-test.sh).

mod common;
mod doorstep;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::operators::{manifest_in, operator};
use common::{Device, Harness};
use courier_protocol::api::CreateOrderResponse;
use courier_protocol::envelope::SignedEvent;
use courier_protocol::manifest::SignedManifest;
use courier_protocol::rules::operator_role::OperatorRole;
use courier_protocol::vocabulary::{CodePolicy, EventKind, Liability, Outcome, Reason};
use doorstep::{accepted, upload};
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

/// The pack as `token`'s operator asks for it: status and bytes.
async fn download(h: &Harness, token: &str, order_ref: &str) -> (u16, Vec<u8>) {
    let r = h
        .http
        .get(h.url(&format!(
            "/v1/orders/{order_ref}/dispute-pack?utc_offset=%2B01:00"
        )))
        .bearer_auth(token)
        .send()
        .await
        .expect("pack");
    let status = r.status().as_u16();
    if status == 200 {
        assert_eq!(
            r.headers()["content-type"].to_str().expect("type"),
            "application/x-tar"
        );
    }
    (status, r.bytes().await.expect("bytes").to_vec())
}

/// An outcome at the door of `dev`, under manifest `m`.
fn outcome(
    dev: &mut Device,
    m: &SignedManifest,
    order: &CreateOrderResponse,
    o: Outcome,
) -> SignedEvent {
    let mut body = dev.body(
        dev.seq + 1,
        &dev.prev.clone(),
        EventKind::Outcome,
        Some(&order.parcel_id),
    );
    body.manifest_version = Some(m.body.version);
    body.outcome = Some(o);
    match o {
        Outcome::RefusedAfterInspection => {
            body.reason = Some(Reason::Damaged);
            body.liability = Some(Liability::Seller);
            body.inspection_offered = Some(true);
        }
        _ => {
            body.reason = Some(Reason::Absent);
            body.liability = Some(Liability::Buyer);
        }
    }
    dev.seal_next(body)
}

/// The pack's files, by path inside its folder, and the folder.
fn untar(bytes: &[u8]) -> (String, BTreeMap<String, Vec<u8>>) {
    let mut files = BTreeMap::new();
    let mut folder = String::new();
    let mut archive = tar::Archive::new(bytes);
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").to_string_lossy().into_owned();
        let (top, rel) = path.split_once('/').expect("in a folder");
        folder = top.to_owned();
        if entry.header().entry_type().is_file() {
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("read");
            files.insert(rel.to_owned(), data);
        }
    }
    (folder, files)
}

fn retar(folder: &str, files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        tar.append_data(&mut h, format!("{folder}/{path}"), data.as_slice())
            .expect("append");
    }
    tar.into_inner().expect("tar")
}

/// Rewrites SHA256SUMS over the files as they are now (what a forger can
/// do; the server's signature over it he cannot).
fn resum(files: &mut BTreeMap<String, Vec<u8>>) {
    let sums: String = files
        .iter()
        .filter(|(p, _)| !p.starts_with("SHA256SUMS"))
        .map(|(p, d)| format!("{}  {p}\n", hex::encode(courier_protocol::keys::sha256(d))))
        .collect();
    files.insert("SHA256SUMS".into(), sums.into_bytes());
}

fn verifier() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/external/verify_dispute_pack.py")
}

/// Runs the Python verifier on `pack`: whether it accepted, and its output.
fn verify(dir: &Path, name: &str, pack: &[u8], server_key: &str) -> (bool, String) {
    let path = dir.join(name);
    std::fs::write(&path, pack).expect("write pack");
    let out = Command::new("python3")
        .arg(verifier())
        .arg(&path)
        .args(["--server-key", server_key])
        .output()
        .expect("python3 runs (scripts/install-deps.sh installs it with cryptography)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[tokio::test]
async fn the_pack_verifies_independently_and_each_tampering_fails_it() {
    let h = Harness::new().await;
    let order = h.order("W-7", CodePolicy::OfflineAllowed).await;
    let other = h.order("W-8", CodePolicy::OfflineAllowed).await;

    // The first device finds nobody; the order moves to a second device,
    // which is refused after inspection. Another order's events share the log.
    let mut first = h.enroll().await;
    let m1 = manifest_in(&h, &first.id, &[&order.parcel_id, &other.parcel_id], "D").await;
    let arrived = first.next(EventKind::Arrived, Some(&order.parcel_id));
    let contact = first.next(EventKind::ContactAttempt, Some(&order.parcel_id));
    let none = outcome(&mut first, &m1, &order, Outcome::NoAnswer);
    let elsewhere = first.next(EventKind::Arrived, Some(&other.parcel_id));
    assert_eq!(
        upload(&h, &mut first, &[arrived, contact, none, elsewhere]).await,
        vec![accepted(); 4]
    );
    let mut second = h.enroll().await;
    let m2 = manifest_in(&h, &second.id, &[&order.parcel_id], "D").await;
    let arrived = second.next(EventKind::Arrived, Some(&order.parcel_id));
    let offered = second.next(EventKind::InspectionOffered, Some(&order.parcel_id));
    let refused = outcome(&mut second, &m2, &order, Outcome::RefusedAfterInspection);
    assert_eq!(
        upload(&h, &mut second, &[arrived, offered, refused]).await,
        vec![accepted(); 3]
    );

    // Who may take it: the claim desk and the depot's manager; not carrier IT,
    // not another depot's manager.
    let agent = operator(&h, "amina", &[OperatorRole::BackOffice], &[]).await;
    let manager = operator(&h, "karim", &[OperatorRole::DepotManager], &["D"]).await;
    let elsewhere = operator(&h, "lina", &[OperatorRole::DepotManager], &["E"]).await;
    let it = operator(&h, "yacine", &[OperatorRole::CarrierIt], &[]).await;
    assert_eq!(download(&h, &it, "W-7").await.0, 403);
    assert_eq!(download(&h, &elsewhere, "W-7").await.0, 404);
    assert_eq!(download(&h, &manager, "W-7").await.0, 200);
    let (status, pack) = download(&h, &agent, "W-7").await;
    assert_eq!(status, 200);

    let (folder, files) = untar(&pack);
    assert_eq!(folder, "dispute-pack-W-7");
    let index: Value = serde_json::from_slice(&files["pack.json"]).expect("pack.json");
    assert_eq!(index["events"].as_array().expect("events").len(), 6);
    assert_eq!(index["devices"].as_array().expect("devices").len(), 2);
    let text = String::from_utf8_lossy(&files["pack.json"]).into_owned();
    assert!(!text.contains(&order.numeric_code), "no code in the pack");
    for lang in ["fr", "ar", "en"] {
        assert!(files.contains_key(&format!("timeline/timeline.{lang}.html")));
    }
    let en = String::from_utf8_lossy(&files["timeline/timeline.en.html"]).into_owned();
    assert!(en.contains("Refused after inspection"), "{en}");
    assert!(en.contains("+01:00"), "local times carry their offset");
    let audit: Value = h
        .http
        .get(h.url("/v1/admin/audit"))
        .bearer_auth(common::ADMIN)
        .send()
        .await
        .expect("audit")
        .json()
        .await
        .expect("json");
    assert!(
        audit.to_string().contains("dispute_pack_made"),
        "the download is in the audit log: {audit}"
    );

    let dir = tempfile::tempdir().expect("dir");
    let key = first.server_key.to_hex();
    let (ok, out) = verify(dir.path(), "whole.tar", &pack, &key);
    assert!(ok, "the verifier accepts the pack: {out}");
    println!("{out}");

    // An event removed (and the sums rewritten to match).
    let mut cut = files.clone();
    let path = format!("events/{}.jsonl", second.id);
    let lines: Vec<&str> = std::str::from_utf8(&files[&path])
        .expect("utf8")
        .lines()
        .collect();
    cut.insert(
        path.clone(),
        (lines[0].to_owned() + "\n" + lines[2] + "\n").into_bytes(),
    );
    resum(&mut cut);
    let (ok, out) = verify(dir.path(), "cut.tar", &retar(&folder, &cut), &key);
    assert!(
        !ok && out.contains("MISSING") && out.contains("SIGNATURE"),
        "{out}"
    );

    // A time changed in a signed event.
    let mut moved = files.clone();
    let mut e: Value = serde_json::from_str(lines[2]).expect("event");
    e["body"]["clock"]["device_utc_ms"] =
        json!(e["body"]["clock"]["device_utc_ms"].as_i64().expect("ms") - HOUR);
    let text = format!("{}\n{}\n{}\n", lines[0], lines[1], e);
    moved.insert(path.clone(), text.into_bytes());
    resum(&mut moved);
    let (ok, out) = verify(dir.path(), "moved.tar", &retar(&folder, &moved), &key);
    assert!(!ok && out.contains("hash does not match"), "{out}");
    println!("time changed:\n{out}");

    // The proofs set against a checkpoint of another tree: the server's own
    // signature on it, a later size.
    // (Stored, so a leaf of the log, whether honoured or not.)
    let later = first.next(EventKind::ContactAttempt, Some(&other.parcel_id));
    upload(&h, &mut first, &[later]).await;
    let note = h
        .http
        .get(h.url("/v1/log/checkpoint"))
        .send()
        .await
        .expect("checkpoint")
        .text()
        .await
        .expect("note");
    assert_ne!(note.as_bytes(), files["checkpoint.txt"].as_slice());
    let mut other_tree = files.clone();
    other_tree.insert("checkpoint.txt".into(), note.into_bytes());
    resum(&mut other_tree);
    let (ok, out) = verify(dir.path(), "other.tar", &retar(&folder, &other_tree), &key);
    assert!(!ok && out.contains("INCLUSION"), "{out}");
    println!("another tree:\n{out}");
}
