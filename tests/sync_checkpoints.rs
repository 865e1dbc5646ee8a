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
use sync_support::{FAST, Server, data_dir, enroll, ok, term, text};
use tokio::net::{TcpListener, TcpStream};

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
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (upstream, state) = (upstream.clone(), state.clone());
            tokio::spawn(async move { serve(sock, &upstream, &state, rewrite).await });
        }
    });
    format!("http://{addr}")
}

async fn serve(sock: TcpStream, upstream: &str, state: &AppState, rewrite: Rewrite) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = read_some(&sock, &mut chunk).await;
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request = lines.next().expect("request line").split(' ');
    let (method, path) = (
        request.next().expect("method").to_owned(),
        request.next().expect("path").to_owned(),
    );
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().expect("length"));
    while buf.len() < head_end + length {
        let n = read_some(&sock, &mut chunk).await;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..].to_vec();
    let mut forward = reqwest::Client::new().request(
        reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
        format!("{upstream}{path}"),
    );
    for (k, v) in &headers {
        if k.starts_with("x-") || k == "content-type" {
            forward = forward.header(k.as_str(), v.as_str());
        }
    }
    let answer = forward.body(body).send().await.expect("upstream");
    let status = answer.status().as_u16();
    let mut text = answer.text().await.expect("upstream body");
    if path == "/v1/events" && status == 200 {
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
        let forged = SignedCheckpoint::sign(&device, &tip, real.body.server_time_ms, state.key())
            .expect("sign");
        v["checkpoint"] = serde_json::to_value(forged).expect("json");
        text = v.to_string();
    }
    let reply = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    write_all(&sock, reply.as_bytes()).await;
}

/// Reads what is there (0 at the end or on an error).
async fn read_some(sock: &TcpStream, buf: &mut [u8]) -> usize {
    loop {
        if sock.readable().await.is_err() {
            return 0;
        }
        match sock.try_read(buf) {
            Ok(n) => return n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return 0,
        }
    }
}

async fn write_all(sock: &TcpStream, mut data: &[u8]) {
    while !data.is_empty() {
        if sock.writable().await.is_err() {
            return;
        }
        match sock.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return,
        }
    }
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
