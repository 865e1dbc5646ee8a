//! The terminal keeps only checkpoints of its own log (issue 21, point 9):
//! a server-signed checkpoint of another device, or of this device with its
//! sequence changed, is refused, kept as evidence (`refused_checkpoints`),
//! shown to carrier IT (`sync`, `sync --status`, `diagnose`), and never
//! breaks `events verify`. The checkpoints are put into the real server's
//! answers by a small rewriting proxy that signs them with the server's key.

mod sync_support;

use std::sync::Arc;

use courier_protocol::checkpoint::SignedCheckpoint;
use courier_protocol::envelope::ChainTip;
use courier_protocol::vocabulary::CodePolicy;
use escrow_reference_server::AppState;
use serde_json::Value;
use sync_support::{FAST, Server, data_dir, enroll, ok, rewriting_proxy, term, text};

/// How the proxy changes the checkpoint of an events answer.
#[derive(Clone, Copy)]
enum Rewrite {
    /// A checkpoint of another device, at the same head.
    OtherDevice,
    /// This device's checkpoint one sequence number back, same hash.
    SeqChanged,
}

/// A proxy in front of `upstream` that re-signs each events answer's
/// checkpoint as `rewrite` says, with the server's own key.
async fn proxy(upstream: String, state: Arc<AppState>, rewrite: Rewrite) -> String {
    rewriting_proxy::proxy(
        upstream,
        Arc::new(move |path, status, text| {
            if path != "/v1/events" || status != 200 {
                return text;
            }
            let mut v: Value = serde_json::from_str(&text).expect("json");
            let real: SignedCheckpoint =
                serde_json::from_value(v["checkpoint"].clone()).expect("checkpoint");
            let (device, seq) = match rewrite {
                Rewrite::OtherDevice => ("dev-someone-else".to_owned(), real.body.seq),
                Rewrite::SeqChanged => (real.body.device_id.clone(), real.body.seq - 1),
            };
            let tip = ChainTip {
                seq,
                hash: real.body.head_hash.clone(),
            };
            let forged =
                SignedCheckpoint::sign(&device, &tip, real.body.server_time_ms, state.key())
                    .expect("sign");
            v["checkpoint"] = serde_json::to_value(forged).expect("json");
            v.to_string()
        }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_of_another_log_are_refused_kept_and_never_break_verify() {
    let server = Server::start().await;
    let tmp = tempfile::tempdir().expect("tmp");
    let data = data_dir(&tmp);
    let order = server.order("CP-1", CodePolicy::OfflineAllowed);
    let device = enroll(&server, &data).await;
    server.manifest(&device, &[&order.parcel_id], 3_600_000);
    let mut sync = vec!["sync"];
    sync.extend_from_slice(FAST);
    let o = term(&data, &sync, &[]).await;
    assert!(o.status.success(), "{}", text(&o));
    let verified = ok(&data, &["events", "verify"]).await;
    assert!(verified.contains("ok: consistent"), "{verified}");

    for (n, rewrite) in [Rewrite::OtherDevice, Rewrite::SeqChanged]
        .into_iter()
        .enumerate()
    {
        let via = proxy(server.url(), server.state().clone(), rewrite).await;
        let step = if n == 0 { "arrive" } else { "inspect" };
        ok(&data, &[step, "L-CP-1"]).await;
        let mut args = vec!["sync", "--no-manifest", "--server", via.as_str()];
        args.extend_from_slice(FAST);
        let o = term(&data, &args, &[]).await;
        assert!(o.status.success(), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("not of this log"),
            "{}",
            text(&o)
        );
        let o = term(&data, &["events", "verify"], &[]).await;
        assert!(
            o.status.success(),
            "events verify still passes: {}",
            text(&o)
        );
        let status: serde_json::Value =
            serde_json::from_str(&ok(&data, &["sync", "--status", "--json"]).await).expect("json");
        assert_eq!(
            status["checkpoints_refused"],
            n + 1,
            "kept as evidence: {status}"
        );
        assert_eq!(status["pending"], 0, "{status}");
    }
    let status = ok(&data, &["sync", "--status"]).await;
    assert!(status.contains("2 refused as not of this log"), "{status}");
    let o = term(&data, &["diagnose"], &[]).await;
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("checkpoint"),
        "diagnose names it: {}",
        text(&o)
    );
}
