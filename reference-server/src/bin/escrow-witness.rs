//! `escrow-witness`: a witness of the escrow server's event log, run by the
//! carrier or a third party. It answers C2SP `tlog-witness` requests
//! (`POST /add-checkpoint`) and cosigns (C2SP `tlog-cosignature`) a
//! checkpoint only when it is signed by the log's key and proven consistent
//! with the last one it cosigned; it keeps that one in its state file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use clap::Parser;
use courier_protocol::keys::{PublicKey, generate_pkcs8, keypair_from_pkcs8};
use courier_protocol::signed_note::{COSIGNATURE_KEY_TYPE, verifier_key};
use escrow_reference_server::witness::{Witness, WitnessRefusal};

/// A witness of the escrow server's event log.
#[derive(Debug, Parser)]
#[command(name = "escrow-witness", version)]
struct Args {
    /// The witness's key name in its cosignatures (e.g. `witness.carrier.example`).
    #[arg(long)]
    name: String,
    /// The witness's key (PKCS#8); created on first start.
    #[arg(long)]
    key: PathBuf,
    /// The escrow server's public key (hex), whose log this witness watches.
    #[arg(long)]
    log_key: String,
    /// The last checkpoint cosigned (kept across restarts).
    #[arg(long)]
    state: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if args.name.is_empty() || args.name.contains(['+', ' ', '\n']) {
        bail!("--name must be a key name without spaces or '+'");
    }
    if !args.key.exists() {
        let pkcs8 = generate_pkcs8().context("generating the witness key")?;
        std::fs::write(&args.key, pkcs8)
            .with_context(|| format!("writing the witness key {}", args.key.display()))?;
    }
    let pkcs8 = std::fs::read(&args.key)
        .with_context(|| format!("reading the witness key {}", args.key.display()))?;
    let key = keypair_from_pkcs8(&pkcs8).context("the witness key is not an Ed25519 PKCS#8 key")?;
    let log_key = PublicKey::from_hex(&args.log_key).context("--log-key is not a hex key")?;
    let witness = Witness::new(&args.name, key, log_key, Some(args.state.clone()))
        .context("reading the witness state")?;
    println!(
        "witness verifier key: {}",
        verifier_key(&args.name, COSIGNATURE_KEY_TYPE, &witness.public_key())
    );
    let app = Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .with_state(Arc::new(Mutex::new(witness)));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(listen = %args.listen, "witness ready");
    axum::serve(listener, app).await.context("serving")
}

/// `POST /add-checkpoint` (C2SP tlog-witness).
async fn add_checkpoint(State(w): State<Arc<Mutex<Witness>>>, body: String) -> Response {
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let answer = match w.lock() {
        Ok(mut w) => w.add_checkpoint_request(&body, now_s),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    match answer {
        Ok(sig) => (StatusCode::OK, sig.line()).into_response(),
        Err(WitnessRefusal::Conflict { known, .. }) => (
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "text/x.tlog.size")],
            format!("{known}\n"),
        )
            .into_response(),
        Err(e) => {
            let status = match e {
                WitnessRefusal::Malformed(_) => StatusCode::BAD_REQUEST,
                WitnessRefusal::Checkpoint(_) => StatusCode::FORBIDDEN,
                WitnessRefusal::Inconsistent(_) => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::warn!(error = %e, "checkpoint not cosigned");
            (status, format!("{e}\n")).into_response()
        }
    }
}
