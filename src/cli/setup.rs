//! `init` and `enroll`: an identity is made once, never replaced by accident.

use anyhow::{Context, Result};
use clap::Args;
use courier_protocol::keys::PublicKey;

use crate::sync::enrollment;
use crate::terminal::{self, DataDir};

/// Options of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Device id (given at enrollment; derived from the key if absent).
    #[arg(long)]
    pub device_id: Option<String>,
    /// Server public key to pin (64 hex characters).
    #[arg(long)]
    pub server_key: Option<String>,
}

/// Options of `enroll`.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// Server base URL, e.g. https://escrow.example.
    #[arg(long)]
    pub server: String,
    /// One-time enrollment token from the fleet operator.
    #[arg(long)]
    pub token: String,
    /// Label for the fleet inventory (serial number, asset tag).
    #[arg(long, default_value = "")]
    pub hardware_label: String,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn init(dir: &DataDir, args: &InitArgs) -> Result<u8> {
    let server_key = args
        .server_key
        .as_deref()
        .map(PublicKey::from_hex)
        .transpose()
        .context("--server-key must be 64 hex characters")?;
    let r = terminal::init(dir, args.device_id.as_deref(), server_key)?;
    outln!("device id:   {}", r.device_id);
    outln!("public key:  {}", r.public_key.to_hex());
    outln!("fingerprint: {}", r.public_key.fingerprint().grouped());
    outln!("new device key created (mode 0600)");
    Ok(0)
}

pub(super) fn enroll(dir: &DataDir, args: &EnrollArgs) -> Result<u8> {
    let e = enrollment::enroll(dir, &args.server, &args.token, &args.hardware_label)?;
    if args.json {
        outln!("{}", serde_json::to_string(&e)?);
    } else {
        outln!("enrolled as   {}", e.device_id);
        outln!("device key    {}", e.device_fingerprint);
        outln!("server key    {} (pinned)", e.server_fingerprint);
    }
    Ok(0)
}
