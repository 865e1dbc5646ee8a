//! The terminal holds the server to one history (issue 23, point 2): at
//! every sync it checks that the server's new checkpoint of the one event
//! log is consistent with the one it kept and includes its own latest
//! event. A server that rewrites its tree (here a proxy showing a history
//! with an early leaf changed, signed with the server's own key) is caught:
//! the view is kept as evidence, carrier IT is told (`sync --status`,
//! `diagnose`), the kept checkpoint stays, and no event is dropped.

mod sync_support;

use std::sync::Arc;

use courier_protocol::keys::Signer;
use courier_protocol::merkle_log::{Hash, LogView, TreeHead, verify_checkpoint};
use courier_protocol::vocabulary::CodePolicy;
use courier_test_support::memory_log::MemoryLog;
use escrow_reference_server::AppState;
use sync_support::{FAST, Server, data_dir, enroll, ok, rewriting_proxy, term, text};

/// The log checkpoint the terminal keeps, verified with the server's key.
fn kept(data: &std::path::Path, state: &AppState) -> Option<TreeHead> {
    let db = rusqlite::Connection::open(data.join("terminal.db")).expect("db");
    let note: Option<String> = db
        .query_row(
            "SELECT value FROM meta WHERE key = 'last_log_checkpoint'",
            [],
            |r| r.get(0),
        )
        .ok();
    note.map(|n| {
        verify_checkpoint(&n, &state.key().public_key())
            .expect("the kept checkpoint verifies")
            .head
    })
}

async fn sync(data: &std::path::Path, server: Option<&str>) -> std::process::Output {
    let mut args = vec!["sync", "--no-manifest"];
    if let Some(url) = server {
        args.extend(["--server", url]);
    }
    args.extend_from_slice(FAST);
    term(data, &args, &[]).await
}

/// The view of the real log with leaf 0 rewritten: same size, the device's
/// event included, a "consistency proof" of the rewritten tree.
fn rewritten(state: &Arc<AppState>, real: &LogView) -> LogView {
    let key = state.key().public_key();
    let size = verify_checkpoint(&real.checkpoint, &key)
        .expect("real")
        .head
        .size;
    let store = state.store();
    let indexes: Vec<u64> = (0..size)
        .map(|i| tlog_tiles::stored_hash_index(0, i))
        .collect();
    let leaves = tokio::task::block_in_place(|| {
        tokio::runtime::Handle::current().block_on(store.log_hashes(&indexes))
    })
    .expect("leaves");
    let mut leaves: Vec<Hash> = leaves.into_iter().map(Hash).collect();
    leaves[0] = tlog_tiles::record_hash(b"an insider's other history");
    let own = real.inclusion.as_ref().map(|p| (p.seq, p.leaf_index));
    let from = real.consistency.as_ref().map(|p| p.from_size);
    MemoryLog::of(&leaves).view(state.key(), own, from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewritten_log_is_caught_across_syncs_and_kept_as_evidence() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let (data, other) = (data_dir(&tmp), tmp.path().join("other"));
    std::fs::create_dir_all(&other).expect("dir");
    let order = server.order("TL-1", CodePolicy::OfflineAllowed);
    let second = server.order("TL-2", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    let neighbour = enroll(&server, &other).await;
    server.manifest(&device, &[&order.parcel_id, &second.parcel_id], 3_600_000);
    server.manifest(&neighbour, &[], 3_600_000);

    // First sync: a checkpoint kept, none refused.
    let mut first = vec!["sync"];
    first.extend_from_slice(FAST);
    let o = term(&data, &first, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let k1 = kept(&data, server.state()).expect("a log checkpoint kept");
    assert!(k1.size > 0);

    // Another device's events grow the log; the next sync of this one must
    // prove consistency from k1 (the terminal says its size) and include its event.
    let o = term(&other, &first, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    ok(&data, &["arrive", "L-TL-1"]).await;
    let o = sync(&data, None).await;
    assert!(o.status.success(), "{}", text(&o));
    let k2 = kept(&data, server.state()).expect("kept");
    assert!(
        k2.size > k1.size + 1,
        "the neighbour's events are in the one log: {k2:?}"
    );
    let status: serde_json::Value =
        serde_json::from_str(&ok(&data, &["sync", "--status", "--json"]).await).expect("json");
    assert_eq!(status["checkpoints_refused"], 0, "{status}");

    // The server rewrites leaf 0 and shows the result, signed with its key.
    let state = server.state().clone();
    let via = rewriting_proxy::proxy(
        server.url(),
        Arc::new(move |path, status, text| {
            if path != "/v1/events" || status != 200 {
                return text;
            }
            let mut v: serde_json::Value = serde_json::from_str(&text).expect("json");
            let real: LogView = serde_json::from_value(v["log"].clone()).expect("log");
            v["log"] = serde_json::to_value(rewritten(&state, &real)).expect("json");
            v.to_string()
        }),
    )
    .await;
    ok(&data, &["inspect", "L-TL-1"]).await;
    let o = sync(&data, Some(&via)).await;
    assert!(o.status.success(), "the sync itself goes on: {}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("rewritten or forked"),
        "{}",
        text(&o)
    );
    let status: serde_json::Value =
        serde_json::from_str(&ok(&data, &["sync", "--status", "--json"]).await).expect("json");
    assert_eq!(
        status["checkpoints_refused"], 1,
        "kept as evidence: {status}"
    );
    assert_eq!(status["pending"], 0, "no event dropped or held: {status}");
    assert_eq!(
        kept(&data, server.state()),
        Some(k2),
        "the kept checkpoint stays"
    );
    let o = term(&data, &["diagnose"], &[]).await;
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("rewritten"),
        "diagnose names it: {}",
        text(&o)
    );

    // The honest server again: consistent with what was kept, taken.
    ok(&data, &["arrive", "L-TL-2"]).await;
    let o = sync(&data, None).await;
    assert!(o.status.success(), "{}", text(&o));
    let k3 = kept(&data, server.state()).expect("kept");
    assert!(k3.size > k2.size);
    let status: serde_json::Value =
        serde_json::from_str(&ok(&data, &["sync", "--status", "--json"]).await).expect("json");
    assert_eq!(status["checkpoints_refused"], 1, "{status}");
}
