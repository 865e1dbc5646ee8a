//! `escrow-server`: run the reference escrow server, or act on its database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use courier_protocol::api::{CreateOrderRequest, IssueManifestRequest};
use courier_protocol::back_office::CreateOperatorRequest;
use courier_protocol::enrollment_qr::{EnrollmentQr, Profile};
use courier_protocol::keys::Signer;
use courier_protocol::manifest::{Address, Recipient};
use courier_protocol::rules::operator_role::DepotScope;
use courier_protocol::rules::operator_role::OperatorRole;
use courier_protocol::vocabulary::{CodePolicy, ParcelKind};
use escrow_reference_server::back_office::PasswordCost;
use escrow_reference_server::display_zone::DisplayZone;
use escrow_reference_server::faults::Faults;
use escrow_reference_server::photo_store::FsPhotoBlobs;
use escrow_reference_server::storage::open::open_storage;
use escrow_reference_server::{
    AppState, Database, ServerConfig, admin, start, start_tls, system_clock, tls,
};

/// Reference escrow server for courier terminals (see docs/protocol.md).
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The server's database: a SQLite file, or a `postgres://` URL (several
    /// server processes may share one PostgreSQL database).
    #[arg(
        long,
        visible_alias = "database",
        env = "ESCROW_DB",
        default_value = "escrow-server.sqlite"
    )]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Bearer token of the admin API (needed from every peer; plain HTTP answers this machine only); absent disables it.
        #[arg(long, env = "ESCROW_ADMIN_TOKEN")]
        admin_token: Option<String>,
        /// Serve HTTPS with this PEM certificate chain (leaf first).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of `--tls-cert`.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// The zone the back office shows times and days in: `system` (the
        /// system's zone: `TZ`, else /etc/localtime) or a fixed offset, e.g. +01:00.
        #[arg(
            long,
            env = "ESCROW_TIME_ZONE",
            default_value = "system",
            allow_hyphen_values = true
        )]
        time_zone: String,
    },
    /// Print the server's public key (what devices pin).
    PublicKey,
    /// Issue a one-time enrollment token, with its enrollment QR when the
    /// devices' view of this server is given.
    IssueToken {
        /// The URL devices reach this server at (puts it in an enrollment QR).
        #[arg(long)]
        server_url: Option<String>,
        /// The platform: test or production.
        #[arg(long, default_value = "production")]
        profile: String,
        /// Also write the QR as a PNG image here.
        #[arg(long, requires = "server_url")]
        png: Option<PathBuf>,
    },
    /// Create a demo order and print its codes (the only time they are shown).
    CreateOrder {
        /// Order reference.
        #[arg(long)]
        order_ref: String,
        /// Parcel label (barcode).
        #[arg(long)]
        label: String,
        /// Require the server to check the code (no offline verifier).
        #[arg(long)]
        online_only: bool,
        /// PBKDF2 iterations of the numeric form.
        #[arg(long, default_value_t = admin::DEFAULT_ITERATIONS)]
        iterations: u32,
        /// Derive codes from this demo secret (reproducible demos).
        #[arg(long)]
        demo_secret: Option<String>,
    },
    /// Create (or re-issue) a depot supervisor's credential; manifests for the
    /// depot then carry it. With --pin, the PIN is read from standard input
    /// (never an argument). Prints the badge text once.
    CreateSupervisor {
        /// Supervisor id (letters, digits, '-', '_').
        #[arg(long)]
        id: String,
        /// Name, as printed on the day sheet.
        #[arg(long)]
        name: String,
        /// Depot (as manifests name it).
        #[arg(long, default_value = "Depot")]
        depot: String,
        /// Issue no badge (a PIN only).
        #[arg(long)]
        no_badge: bool,
        /// Read a PIN (4-12 digits) from the first line of standard input.
        #[arg(long)]
        pin: bool,
    },
    /// Revoke a device: its requests are refused from then on, its events
    /// signed after the time are kept but not honoured.
    RevokeDevice {
        /// The device id.
        #[arg(long)]
        device: String,
        /// Why (shown on the device).
        #[arg(long)]
        reason: String,
        /// From when, Unix milliseconds (default: now).
        #[arg(long)]
        at_ms: Option<i64>,
    },
    /// Back-office operator accounts (named people with roles).
    Operator {
        #[command(subcommand)]
        action: OperatorCommand,
    },
    /// Write a day's accounting extraction (CSV, one row per order and
    /// status change) to standard output: run it daily from a timer.
    Extraction {
        /// The day, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// The day's offset from UTC, e.g. +01:00.
        #[arg(long, default_value = "+00:00", allow_hyphen_values = true)]
        utc_offset: String,
    },
    /// Write the dispute pack of an order (every event of it, the devices'
    /// keys, manifest entries, photos, inclusion proofs to one checkpoint,
    /// the timeline in fr, ar, en): one signed tar (docs/protocol.md,
    /// "Dispute pack").
    DisputePack {
        /// The order reference.
        order_ref: String,
        /// The timeline's UTC offset, e.g. +01:00.
        #[arg(long, default_value = "+00:00", allow_hyphen_values = true)]
        utc_offset: String,
        /// Where to write it (default: dispute-pack-<order>.tar here).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Sign a device's next manifest with the given parcels.
    IssueManifest {
        /// The device id.
        #[arg(long)]
        device: String,
        /// Parcel ids to include.
        #[arg(long = "parcel", required = true)]
        parcels: Vec<String>,
        /// Depot name.
        #[arg(long, default_value = "Depot")]
        depot: String,
        /// Validity in hours.
        #[arg(long, default_value_t = 24)]
        hours: i64,
    },
}

/// What `escrow-server operator` does.
#[derive(Subcommand)]
enum OperatorCommand {
    /// Create a named account and print its initial password (the only
    /// time it is shown; it is stored as an Argon2id hash).
    Add {
        /// Account name (letters, digits, '.', '-', '_').
        name: String,
        /// A role: carrier_it, depot_manager, back_office, approver (repeat for several).
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// A depot the account answers for (repeat; none: every depot).
        #[arg(long = "depot")]
        depots: Vec<String>,
    },
}

/// Writes a QR code as a black-on-white PNG, 8 pixels a module, quiet zone 4.
fn write_png(code: &qrcode::QrCode, path: &std::path::Path) -> anyhow::Result<()> {
    const SCALE: usize = 8;
    const QUIET: usize = 4;
    let modules = code.width();
    let side = (modules + 2 * QUIET) * SCALE;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; side * side];
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (x, y) = ((i % modules + QUIET) * SCALE, (i / modules + QUIET) * SCALE);
            for dy in 0..SCALE {
                let row = (y + dy) * side;
                pixels[row + x..row + x + SCALE].fill(0);
            }
        }
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let side = u32::try_from(side).context("QR too large")?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let now = (system_clock())();
    let database = Database::parse(&cli.db);
    let open = || async {
        open_storage(&database)
            .await
            .with_context(|| format!("opening {}", database.describe()))
    };
    match cli.command {
        Command::Serve {
            listen,
            admin_token,
            tls_cert,
            tls_key,
            time_zone,
        } => {
            let zone = DisplayZone::parse(&time_zone)
                .with_context(|| format!("--time-zone {time_zone:?}: use system or +HH:MM"))?;
            let config = ServerConfig {
                database: database.clone(),
                admin_token,
                clock: system_clock(),
                password_cost: PasswordCost::default(),
            };
            let state = AppState::open(&config, Arc::new(Faults::default()))
                .await
                .with_context(|| format!("opening {}", database.describe()))?;
            state.set_time_zone(zone);
            tracing::info!(time_zone = %zone.describe(), "back-office times shown in this zone");
            let server = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => {
                    start_tls(state, listen, tls::acceptor(&cert, &key)?).await?
                }
                _ => start(state, listen).await?,
            };
            println!("listening on {}", server.url());
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = async { server.wait().await } => {}
            }
        }
        Command::PublicKey => {
            let db = open().await?;
            let key = admin::server_key(db.as_ref()).await?;
            let pk = Signer::public_key(&key);
            println!(
                "{}\nfingerprint {}",
                pk.to_hex(),
                pk.fingerprint().grouped()
            );
        }
        Command::IssueToken {
            server_url,
            profile,
            png,
        } => {
            let db = open().await?;
            let t = admin::issue_token(db.as_ref(), now).await?;
            println!("{}", t.token);
            if let Some(url) = server_url {
                let profile = Profile::parse(&profile)
                    .with_context(|| format!("--profile {profile:?}: use test or production"))?;
                let key = Signer::public_key(&admin::server_key(db.as_ref()).await?);
                let qr = EnrollmentQr::new(&url, profile, &t.token, &key);
                let text = qr.to_string();
                println!("{text}");
                let code = qrcode::QrCode::new(text.as_bytes()).context("the QR does not fit")?;
                println!(
                    "{}",
                    code.render::<qrcode::render::unicode::Dense1x2>()
                        .quiet_zone(true)
                        .build()
                );
                if let Some(path) = png {
                    write_png(&code, &path)?;
                    println!("QR image written to {}", path.display());
                }
            }
        }
        Command::CreateOrder {
            order_ref,
            label,
            online_only,
            iterations,
            demo_secret,
        } => {
            let db = open().await?;
            let created = admin::create_order(
                db.as_ref(),
                &CreateOrderRequest {
                    order_parcels: Default::default(),
                    order_ref,
                    label,
                    kind: ParcelKind::Delivery,
                    policy: if online_only {
                        CodePolicy::OnlineOnly
                    } else {
                        CodePolicy::OfflineAllowed
                    },
                    recipient: Recipient {
                        name: "Demo Buyer".into(),
                        phone: "+000000000".into(),
                    },
                    address: Address {
                        text: "1 Demo Street".into(),
                        city: "Demo City".into(),
                        lat_e7: None,
                        lon_e7: None,
                    },
                    amount_minor: 10_000,
                    currency: "EUR".into(),
                    collect: None,
                    digits: None,
                    iterations: Some(iterations),
                    attempt_limit: None,
                    demo_secret,
                },
            )
            .await?;
            println!(
                "parcel_id {}\norder_ref {}\nnumeric_code {}\nqr_text {}",
                created.parcel_id, created.order_ref, created.numeric_code, created.qr_text
            );
        }
        Command::CreateSupervisor {
            id,
            name,
            depot,
            no_badge,
            pin,
        } => {
            let pin = if pin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("cannot read the PIN from standard input")?;
                Some(line.trim().to_owned())
            } else {
                None
            };
            let db = open().await?;
            let created = admin::create_supervisor(
                db.as_ref(),
                &courier_protocol::api::CreateSupervisorRequest {
                    supervisor_id: id,
                    name,
                    depot,
                    badge: !no_badge,
                    pin,
                    attempt_limit: None,
                    pin_iterations: None,
                },
                now,
            )
            .await?;
            println!(
                "supervisor_id {}\ndepot {}\nhas_pin {}",
                created.supervisor_id, created.depot, created.has_pin
            );
            if let Some(b) = created.badge_text {
                println!("badge_text {b}");
            }
        }
        Command::RevokeDevice {
            device,
            reason,
            at_ms,
        } => {
            let db = open().await?;
            let r = admin::revoke_device(
                db.as_ref(),
                &device,
                &courier_protocol::api::RevokeDeviceRequest { reason, at_ms },
                now,
            )
            .await?;
            println!(
                "device_id {}\nrevoked_at_ms {}\nreason {}",
                r.device_id, r.revoked_at_ms, r.reason
            );
        }
        Command::Operator {
            action:
                OperatorCommand::Add {
                    name,
                    roles,
                    depots,
                },
        } => {
            let roles = roles
                .iter()
                .map(|r| {
                    OperatorRole::parse(r).with_context(|| {
                        format!(
                            "--role {r:?}: use carrier_it, depot_manager, back_office or approver"
                        )
                    })
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let db = open().await?;
            let created = escrow_reference_server::back_office::create_operator(
                db.as_ref(),
                PasswordCost::default(),
                &CreateOperatorRequest {
                    name,
                    roles,
                    depots,
                },
                "command-line",
                now,
            )
            .await?;
            let roles: Vec<&str> = created.roles.iter().map(|r| r.as_str()).collect();
            println!(
                "operator {}\nroles {}\ndepots {}\npassword {}",
                created.name,
                roles.join(","),
                if created.depots.is_empty() {
                    "all".to_owned()
                } else {
                    created.depots.join(",")
                },
                created.password
            );
        }
        Command::Extraction { date, utc_offset } => {
            let day = courier_protocol::day_window::DayWindow::parse(&date, &utc_offset)
                .with_context(|| format!("--date {date:?} --utc-offset {utc_offset:?}"))?;
            let db = open().await?;
            let csv =
                escrow_reference_server::back_office::extraction_csv(db.as_ref(), &day, |_| true)
                    .await?;
            use std::io::Write;
            std::io::stdout()
                .write_all(&csv)
                .context("cannot write the extraction")?;
        }
        Command::DisputePack {
            order_ref,
            utc_offset,
            out,
        } => {
            let offset = courier_protocol::day_window::DayWindow::parse("1970-01-01", &utc_offset)
                .with_context(|| format!("--utc-offset {utc_offset:?}"))?
                .utc_offset_min;
            let db = open().await?;
            let key = admin::server_key(db.as_ref()).await?;
            let photos = FsPhotoBlobs::new(database.photo_dir());
            let pack = escrow_reference_server::dispute_pack::build_for(
                db.as_ref(),
                &photos,
                &key,
                "command-line",
                &order_ref,
                &DepotScope::All,
                offset,
                now,
            )
            .await
            .with_context(|| format!("the dispute pack of order {order_ref}"))?;
            let path = out.unwrap_or_else(|| PathBuf::from(&pack.file_name));
            std::fs::write(&path, &pack.bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("{} ({} bytes)", path.display(), pack.bytes.len());
        }
        Command::IssueManifest {
            device,
            parcels,
            depot,
            hours,
        } => {
            let db = open().await?;
            let key = admin::server_key(db.as_ref()).await?;
            let m = admin::issue_manifest(
                db.as_ref(),
                &key,
                &IssueManifestRequest {
                    device_id: device,
                    parcel_ids: parcels,
                    withdrawn: Vec::new(),
                    depot,
                    valid_for_ms: hours * 3600 * 1000,
                    load_check: false,
                    desks: Default::default(),
                    photos: Default::default(),
                },
                now,
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&m)?);
        }
    }
    Ok(())
}
