//! Manifest attacks on the download path: a manifest signed by a key other than
//! the pinned one, and an expired manifest, are refused and the current one kept.

mod sync_support;

use courier_protocol::keys::{Signer, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::vocabulary::CodePolicy;
use courier_terminal::storage::{Reads, Store};
use sync_support::{FAST, Server, data_dir, enroll, ok, term, text};

async fn sync(data: &std::path::Path) -> std::process::Output {
    let mut args = vec!["sync"];
    args.extend_from_slice(FAST);
    term(data, &args, &[]).await
}

async fn version(data: &std::path::Path) -> Option<u64> {
    Store::open(&data.join("terminal.db"))
        .expect("store")
        .current_manifest()
        .expect("manifest")
        .map(|m| m.body.version)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manifest_signed_by_another_key_is_refused_and_the_current_one_kept() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let order = server.order("MA-1", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    server.manifest(&device, &[&order.parcel_id], 3_600_000);
    let o = sync(&data).await;
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(version(&data).await, Some(1));

    // The device's pinned key is not the key that signs what this server sends
    // (a rogue or substituted server): version 2 must be refused.
    let other = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
    Store::open(&data.join("terminal.db"))
        .expect("store")
        .pin_server_key(&other.public_key())
        .expect("pin other key");
    server.manifest(&device, &[&order.parcel_id], 3_600_000);
    let o = sync(&data).await;
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("refused"),
        "{}",
        text(&o)
    );
    assert_eq!(version(&data).await, Some(1), "the current manifest stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_manifest_is_refused_and_the_current_one_kept() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let order = server.order("MA-2", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    server.manifest(&device, &[&order.parcel_id], 3_600_000);
    let o = sync(&data).await;
    assert!(o.status.success(), "{}", text(&o));
    server.manifest(&device, &[&order.parcel_id], -60_000);
    let o = sync(&data).await;
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("expired"),
        "{}",
        text(&o)
    );
    assert_eq!(version(&data).await, Some(1), "the current manifest stays");
    // Events still sync after the refusal.
    let status = ok(&data, &["sync", "--status", "--json"]).await;
    let status: serde_json::Value = serde_json::from_str(&status).expect("json");
    assert_eq!(status["pending"], 0, "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_not_signed_by_the_pinned_key_acknowledges_nothing() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let order = server.order("MA-3", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    server.manifest(&device, &[&order.parcel_id], 3_600_000);
    let o = sync(&data).await;
    assert!(o.status.success(), "{}", text(&o));
    ok(&data, &["arrive", "L-MA-3"]).await;
    let store = Store::open(&data.join("terminal.db")).expect("store");
    let receipts = store.receipts().expect("receipts").len();
    let other = keypair_from_pkcs8(&generate_pkcs8().expect("gen")).expect("key");
    store
        .pin_server_key(&other.public_key())
        .expect("pin other key");
    let mut args = vec!["sync", "--no-manifest", "--deadline-s", "1"];
    args.extend_from_slice(FAST);
    let o = term(&data, &args, &[]).await;
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("receipt refused"),
        "{}",
        text(&o)
    );
    assert_eq!(
        store.pending_count().expect("pending"),
        1,
        "nothing acknowledged"
    );
    assert_eq!(
        store.receipts().expect("receipts").len(),
        receipts,
        "no receipt kept"
    );
}
