//! `init` and `enroll`: an identity is made once, never replaced by accident.

use anyhow::{Context, Result};
use clap::Args;
use courier_protocol::keys::PublicKey;

use courier_protocol::enrollment_qr::EnrollmentQr;

use crate::sync::enrollment::{self, Enrollment};
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
    /// The enrollment QR's text (server, profile, token, server key fingerprint);
    /// "-" reads it from standard input (a scanner in keyboard mode).
    #[arg(long, conflicts_with_all = ["server", "token"], required_unless_present_all = ["server", "token"])]
    pub qr: Option<String>,
    /// Server base URL, e.g. https://escrow.example.
    #[arg(long, requires = "token")]
    pub server: Option<String>,
    /// One-time enrollment token from the fleet operator.
    #[arg(long, requires = "server")]
    pub token: Option<String>,
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

pub(super) fn enroll(cli: &super::Cli, dir: &DataDir, args: &EnrollArgs) -> Result<u8> {
    let e = match (&args.qr, &args.server, &args.token) {
        (Some(text), _, _) => {
            let mut line = String::new();
            let text = if text == "-" {
                std::io::stdin()
                    .read_line(&mut line)
                    .context("cannot read the QR text from standard input")?;
                line.trim()
            } else {
                text.as_str()
            };
            let qr = EnrollmentQr::parse(text)?;
            enrollment::enroll_with(
                dir,
                &Enrollment {
                    tls: cli.tls_trust()?,
                    ..Enrollment::from_qr(&qr, &args.hardware_label)
                },
            )?
        }
        (None, Some(server), Some(token)) => enrollment::enroll_with(
            dir,
            &Enrollment {
                server,
                token,
                hardware_label: &args.hardware_label,
                profile: cli.file_config()?.server.profile.into(),
                expect_fingerprint: None,
                tls: cli.tls_trust()?,
            },
        )?,
        _ => return Err(super::note::Note::GiveQrOrServer.into()),
    };
    if args.json {
        outln!("{}", serde_json::to_string(&e)?);
    } else {
        outln!("enrolled as   {}", e.device_id);
        outln!("device key    {}", e.device_fingerprint);
        outln!("server key    {} (pinned)", e.server_fingerprint);
        outln!("platform      {}", e.profile);
        outln!("fleet inventory QR ({}):", e.inventory);
        if let Ok(code) = qrcode::QrCode::new(e.inventory.as_bytes()) {
            outln!(
                "{}",
                code.render::<qrcode::render::unicode::Dense1x2>()
                    .quiet_zone(true)
                    .build()
            );
        }
    }
    Ok(0)
}
