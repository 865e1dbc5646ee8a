//! A proxy in front of the reference server that hands each answer to a
//! test's rewrite (a server that lies, signed with its own key).

use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};

/// Rewrites an answer: `(path, status, body) -> body`.
pub type Rewrite = Arc<dyn Fn(&str, u16, String) -> String + Send + Sync>;

/// A proxy in front of `upstream` whose answers go through `rewrite`; its URL.
pub async fn proxy(upstream: String, rewrite: Rewrite) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let (upstream, rewrite) = (upstream.clone(), rewrite.clone());
            tokio::spawn(async move { serve(sock, &upstream, &rewrite).await });
        }
    });
    format!("http://{addr}")
}

async fn serve(sock: TcpStream, upstream: &str, rewrite: &Rewrite) {
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
    let text = rewrite(&path, status, answer.text().await.expect("upstream body"));
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
