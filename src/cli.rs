//! The command line: for carrier IT, scripts, tests and the demo.
//!
//! Exit codes: 0 done, 1 error (storage, setup, input), 2 usage, 3 refused by the
//! doorstep rules (wrong code, locked, needs network, evidence missing); `sync` also
//! 4 incomplete (events stay queued, retried later) and 5 downloaded manifest refused.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use courier_protocol::keys::{PublicKey, Signer, keypair_from_pkcs8};
use courier_protocol::manifest::SignedManifest;
use courier_protocol::vocabulary::{Outcome, Reason};

use crate::clock::SystemClock;
use crate::domain::code_check::CodeVerdict;
use crate::domain::parcel::DisplayState;
use crate::position_source::{FixedPosition, NoPosition, PositionSource};
use crate::sample_day::{SampleSpec, sample_day};
use crate::terminal::{self, CodeEntry, ContactChannel, DataDir, Terminal, TerminalError};

/// Courier terminal: escrow code check and signed delivery evidence.
#[derive(Debug, Parser)]
#[command(name = "courier-terminal", version, about)]
pub struct Cli {
    /// Data directory (database, device key).
    #[arg(
        long,
        global = true,
        env = "COURIER_TERMINAL_DATA",
        default_value = "/var/lib/courier-terminal"
    )]
    pub data_dir: PathBuf,
    /// A fixed position "LAT,LON" instead of a GNSS receiver (bench, depot).
    #[arg(long, global = true, value_name = "LAT,LON")]
    pub fixed_position: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the data directory, the device key (0600) and the database.
    Init {
        /// Device id (given at enrollment; derived from the key if absent).
        #[arg(long)]
        device_id: Option<String>,
        /// Server public key to pin (64 hex characters).
        #[arg(long)]
        server_key: Option<String>,
    },
    /// Manifests.
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// List the day's parcels with their state.
    Parcels {
        /// JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Record arrival at the address (starts the no-answer wait).
    Arrive {
        /// Parcel label.
        label: String,
    },
    /// Record that the buyer was offered to inspect the parcel.
    Inspect {
        /// Parcel label.
        label: String,
    },
    /// Log an attempt to reach the buyer.
    Contact {
        /// Parcel label.
        label: String,
        /// How.
        #[arg(long, value_enum, default_value = "call")]
        channel: Channel,
    },
    /// Scan the item collected from the buyer (exchange, pick-up).
    Collect {
        /// Parcel label.
        label: String,
        /// Label of the collected item.
        item: String,
    },
    /// Check the buyer's code; delivered only if it is right.
    Deliver(DeliverArgs),
    /// Record a non-delivery outcome.
    Attempt {
        /// Parcel label.
        label: String,
        /// Outcome.
        #[arg(long, value_parser = parse_outcome)]
        outcome: Outcome,
        /// Reason.
        #[arg(long, value_parser = parse_reason)]
        reason: Option<Reason>,
        /// Free note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Correct an earlier outcome (a new event pointing to it).
    Correct {
        /// Event id to correct.
        event_id: String,
        /// The right outcome.
        #[arg(long, value_parser = parse_outcome)]
        outcome: Outcome,
        /// Reason.
        #[arg(long, value_parser = parse_reason)]
        reason: Option<Reason>,
        /// Why the correction.
        #[arg(long)]
        note: String,
    },
    /// Depot: check a returned parcel in.
    CheckIn {
        /// Parcel label.
        label: String,
    },
    /// Depot supervisor: the day's reconciliation and its signed close.
    #[command(subcommand)]
    Depot(DepotCommand),
    /// The evidence log.
    #[command(subcommand)]
    Events(EventsCommand),
    /// Device, manifest, parcels and sync summary.
    Status {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Enroll this device with the escrow server using a one-time token.
    Enroll {
        /// Server base URL, e.g. https://escrow.example.
        #[arg(long)]
        server: String,
        /// One-time enrollment token from the fleet operator.
        #[arg(long)]
        token: String,
        /// Label for the fleet inventory (serial number, asset tag).
        #[arg(long, default_value = "")]
        hardware_label: String,
    },
    /// Upload queued events and download the manifest; `--status` shows the queue.
    Sync(crate::sync::commands::SyncArgs),
    /// Open the courier's screens on the data directory.
    Ui {
        /// Language at start: fr, ar or en.
        #[arg(long, default_value = "fr")]
        lang: String,
    },
    /// Draw every main screen to PNG files (French, Arabic, English) on a sample day.
    Screenshots {
        /// Output directory.
        #[arg(long, default_value = "docs/screens")]
        out: PathBuf,
    },
    /// The whole system on this machine: local escrow server, simulated GNSS and
    /// scanner, a sample day in Algiers, the screens (or a scripted round headless).
    Demo(crate::demo::DemoArgs),
    /// Development and demo tools.
    #[command(subcommand, hide = true)]
    Dev(DevCommand),
}

/// Code entry.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// Parcel label.
    pub label: String,
    /// The numeric code ("-" reads it from standard input, out of the shell history).
    #[arg(long, conflicts_with = "qr", required_unless_present = "qr")]
    pub code: Option<String>,
    /// The scanned QR text.
    #[arg(long)]
    pub qr: Option<String>,
}

/// Contact channels.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Channel {
    /// Phone call.
    Call,
    /// SMS or messaging.
    Message,
    /// Doorbell or knock.
    Doorbell,
}

/// Manifest subcommands.
#[derive(Debug, Subcommand)]
pub enum ManifestCommand {
    /// Verify and load a signed manifest file.
    Load {
        /// The file.
        file: PathBuf,
    },
    /// Show the manifest in force.
    Show,
}

/// Depot subcommands.
#[derive(Debug, Subcommand)]
pub enum DepotCommand {
    /// Delivered, returned, missing and never attempted parcels, with who pays each return.
    Report {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Record the signed end of the day (refused while parcels are unaccounted for).
    Close {
        /// Close anyway, recording the missing parcels in the event.
        #[arg(long)]
        force: bool,
    },
}

/// Event log subcommands.
#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Write every event as JSON lines.
    Export {
        /// Output file (standard output if absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify signatures, hashes, sequence and chain.
    Verify,
}

/// Development tools.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Create a server signing key (PKCS#8) and print its public key.
    ServerKey {
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Sign a sample manifest (Algiers) for a device.
    SampleManifest {
        /// Server key file (PKCS#8).
        #[arg(long)]
        server_key: PathBuf,
        /// Device id.
        #[arg(long)]
        device_id: String,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Parcels.
        #[arg(long, default_value_t = 40)]
        parcels: usize,
        /// Version.
        #[arg(long, default_value_t = 1)]
        version: u64,
        /// PBKDF2 iterations of numeric codes.
        #[arg(long, default_value_t = 100_000)]
        iterations: u32,
        /// Validity in hours (negative: already expired).
        #[arg(long, default_value_t = 18, allow_negative_numbers = true)]
        valid_hours: i64,
        /// Labels to mark withdrawn.
        #[arg(long)]
        withdraw: Vec<String>,
        /// Also write the buyers' codes here (JSON).
        #[arg(long)]
        codes_out: Option<PathBuf>,
    },
    /// Print the buyers' codes of the sample day (derived from the public demo secret).
    Codes {
        /// Parcels.
        #[arg(long, default_value_t = 40)]
        parcels: usize,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Crash-test worker: validations and attempts, printing each commit.
    Soak {
        /// Codes file from sample-manifest.
        #[arg(long)]
        codes: PathBuf,
        /// Operations to perform.
        #[arg(long)]
        ops: u64,
        /// Random seed.
        #[arg(long)]
        seed: u64,
    },
}

fn parse_outcome(s: &str) -> Result<Outcome, String> {
    Outcome::parse(s).ok_or_else(|| {
        format!(
            "unknown outcome {s:?}; one of: {}",
            Outcome::ALL.map(|o| o.as_str()).join(", ")
        )
    })
}

fn parse_reason(s: &str) -> Result<Reason, String> {
    Reason::parse(s).ok_or_else(|| {
        format!(
            "unknown reason {s:?}; one of: {}",
            Reason::ALL.map(|r| r.as_str()).join(", ")
        )
    })
}

/// Exit code for a refusal by the doorstep rules.
pub const EXIT_REFUSED: u8 = 3;

/// Runs a parsed command and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let dir = DataDir(cli.data_dir.clone());
    let position = position_source(cli.fixed_position.as_deref())?;
    match cli.command {
        Command::Init {
            device_id,
            server_key,
        } => {
            let server_key = server_key
                .map(|k| PublicKey::from_hex(&k))
                .transpose()
                .context("--server-key must be 64 hex characters")?;
            let r = terminal::init(&dir, device_id.as_deref(), server_key)?;
            println!("device id:   {}", r.device_id);
            println!("public key:  {}", r.public_key.to_hex());
            println!("fingerprint: {}", r.public_key.fingerprint().grouped());
            println!(
                "{}",
                if r.key_created {
                    "new device key created (mode 0600)"
                } else {
                    "existing device key kept"
                }
            );
            Ok(0)
        }
        Command::Dev(dev) => run_dev(dev, &dir, position),
        Command::Ui { lang } => crate::ui::run_on_data_dir(&dir, position, &lang).map(|()| 0),
        Command::Screenshots { out } => {
            for path in crate::ui::screenshots::run(&out)? {
                println!("{}", path.display());
            }
            Ok(0)
        }
        Command::Enroll {
            server,
            token,
            hardware_label,
        } => crate::sync::commands::enroll(&dir, &server, &token, &hardware_label),
        Command::Sync(args) => crate::sync::commands::sync(&dir, position, &args),
        Command::Demo(args) => crate::demo::run(&args),
        command => {
            let mut t = Terminal::open(&dir, Arc::new(SystemClock::new()), position)?;
            if matches!(command, Command::Deliver(_))
                && let Some(online) = crate::sync::commands::online_checker(&dir)?
            {
                t.set_online_check(online);
            }
            run_terminal(command, &mut t)
        }
    }
}

fn position_source(fixed: Option<&str>) -> Result<Arc<dyn PositionSource>> {
    let Some(text) = fixed else {
        return Ok(Arc::new(NoPosition));
    };
    let (lat, lon) = text
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)))
        .filter(|(a, b)| a.abs() <= 90.0 && b.abs() <= 180.0)
        .context("--fixed-position must be LAT,LON in degrees, e.g. 36.7538,3.0588")?;
    Ok(Arc::new(FixedPosition {
        lat_deg: lat,
        lon_deg: lon,
    }))
}

/// Prints a refusal and returns its exit code, or propagates other errors.
fn refused_or(e: TerminalError) -> Result<u8> {
    match e {
        TerminalError::Refused(r) => {
            eprintln!("refused: {r}");
            Ok(EXIT_REFUSED)
        }
        TerminalError::CodeFormat(_)
        | TerminalError::UnknownLabel(_)
        | TerminalError::Manifest(_) => {
            eprintln!("refused: {e}");
            Ok(EXIT_REFUSED)
        }
        other => Err(other.into()),
    }
}

fn run_terminal(command: Command, t: &mut Terminal) -> Result<u8> {
    let done =
        |r: Result<courier_protocol::envelope::SignedEvent, TerminalError>, what: &str| match r {
            Ok(e) => {
                println!("{what}: event {} (seq {})", e.body.event_id, e.body.seq);
                Ok(0)
            }
            Err(e) => refused_or(e),
        };
    match command {
        Command::Manifest(ManifestCommand::Load { file }) => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read manifest file {}", file.display()))?;
            let signed = SignedManifest::from_json(&text)
                .with_context(|| format!("{} is not a signed manifest", file.display()))?;
            match t.load_manifest(&signed) {
                Ok(c) => {
                    println!(
                        "manifest version {} loaded: {} parcels, {} new, {} updated, {} withdrawn",
                        signed.body.version,
                        signed.body.parcels.len(),
                        c.added.len(),
                        c.updated.len(),
                        c.withdrawn.len()
                    );
                    for id in &c.withdrawn_after_delivery {
                        println!(
                            "warning: parcel {id} was withdrawn by the server but is already delivered here"
                        );
                    }
                    Ok(0)
                }
                Err(e) => refused_or(e),
            }
        }
        Command::Manifest(ManifestCommand::Show) => {
            match t.store().current_manifest()? {
                Some(m) => println!(
                    "version {} for {} ({} parcels), depot {}, expires at {} ms",
                    m.body.version,
                    m.body.device_id,
                    m.body.parcels.len(),
                    m.body.depot,
                    m.body.expires_at_ms
                ),
                None => println!("no manifest loaded"),
            }
            Ok(0)
        }
        Command::Parcels { json } => {
            let out = std::io::stdout();
            let mut out = out.lock();
            for p in t.parcels()? {
                let state = display_name(p.display_state());
                if json {
                    let line = serde_json::json!({
                        "label": p.spec.label, "parcel_id": p.spec.parcel_id, "order_ref": p.spec.order_ref,
                        "kind": p.spec.kind, "state": state, "attempts_spent": p.attempts_spent,
                        "tries_left": p.tries_left(), "address": p.spec.address.text, "city": p.spec.address.city,
                        "amount_minor": p.spec.amount_minor, "currency": p.spec.currency, "policy": p.spec.policy,
                    });
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(
                        out,
                        "{:>3} {:<12} {:<9} {:<10} {:<14} {}, {}",
                        p.spec.route_order,
                        p.spec.label,
                        format!("{:?}", p.spec.kind).to_lowercase(),
                        state,
                        p.spec.order_ref,
                        p.spec.address.text,
                        p.spec.address.city
                    )?;
                }
            }
            Ok(0)
        }
        Command::Arrive { label } => done(t.arrive(&label), "arrival recorded"),
        Command::Inspect { label } => done(t.offer_inspection(&label), "inspection offered"),
        Command::Contact { label, channel } => {
            let channel = match channel {
                Channel::Call => ContactChannel::Call,
                Channel::Message => ContactChannel::Message,
                Channel::Doorbell => ContactChannel::Doorbell,
            };
            done(t.contact(&label, channel), "contact attempt logged")
        }
        Command::Collect { label, item } => done(t.collect(&label, &item), "item collected"),
        Command::Deliver(args) => {
            let typed;
            let entry = match (&args.code, &args.qr) {
                (Some(c), _) if c == "-" => {
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .context("cannot read the code from standard input")?;
                    typed = line;
                    CodeEntry::Keypad(typed.trim())
                }
                (Some(c), _) => CodeEntry::Keypad(c),
                (None, Some(q)) => CodeEntry::Qr(q),
                (None, None) => bail!("give --code or --qr"),
            };
            match t.submit_code(&args.label, entry) {
                Ok(answer) => {
                    let (text, code) = match answer.verdict {
                        CodeVerdict::Delivered => ("DELIVERED: hand the parcel over".to_owned(), 0),
                        CodeVerdict::WrongCode { tries_left } => (
                            format!("WRONG CODE: {tries_left} tries left; do not hand over"),
                            EXIT_REFUSED,
                        ),
                        CodeVerdict::Locked => (
                            "LOCKED: too many wrong codes; do not hand over".to_owned(),
                            EXIT_REFUSED,
                        ),
                        CodeVerdict::NeedsNetwork => (
                            "NEEDS NETWORK: cannot validate this parcel offline; do not hand over"
                                .to_owned(),
                            EXIT_REFUSED,
                        ),
                    };
                    println!(
                        "{text} (event {} seq {})",
                        answer.event.body.event_id, answer.event.body.seq
                    );
                    Ok(code)
                }
                Err(e) => refused_or(e),
            }
        }
        Command::Attempt {
            label,
            outcome,
            reason,
            note,
        } => {
            let r = t.record_outcome(&label, outcome, reason, note.as_deref());
            if let Ok(e) = &r {
                println!(
                    "{} recorded; return fees: {:?}",
                    outcome.as_str(),
                    e.body.liability.unwrap_or(outcome.liability())
                );
            }
            done(r, "outcome")
        }
        Command::Correct {
            event_id,
            outcome,
            reason,
            note,
        } => done(
            t.correct(&event_id, outcome, reason, &note),
            "correction recorded",
        ),
        Command::CheckIn { label } => done(t.check_in(&label), "checked in at the depot"),
        Command::Depot(DepotCommand::Report { json }) => {
            let r = t.reconciliation()?;
            let sections = [
                ("delivered", &r.delivered),
                ("returned", &r.returned),
                ("missing", &r.missing),
                ("not_attempted", &r.not_attempted),
            ];
            for (name, lines) in sections {
                for l in lines.iter() {
                    let pays = l
                        .liability
                        .map_or("-".to_owned(), |x| format!("{x:?}").to_lowercase());
                    if json {
                        let v = serde_json::json!({"section": name, "label": l.label, "order_ref": l.order_ref, "return_fees": pays});
                        println!("{v}");
                    } else {
                        println!(
                            "{name:<14} {:<12} {:<12} return fees: {pays}",
                            l.label, l.order_ref
                        );
                    }
                }
            }
            if !json {
                println!(
                    "{} delivered, {} returned, {} missing, {} never attempted",
                    r.delivered.len(),
                    r.returned.len(),
                    r.missing.len(),
                    r.not_attempted.len()
                );
            }
            Ok(0)
        }
        Command::Depot(DepotCommand::Close { force }) => done(t.close_day(force), "day closed"),
        Command::Events(EventsCommand::Export { out }) => {
            match export(t, out.as_deref()) {
                Ok(n) => {
                    eprintln!("{n} events exported");
                    Ok(0)
                }
                // A closed pipe (`| head`) is the reader's choice, not an error.
                Err(e)
                    if e.downcast_ref::<std::io::Error>()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
                {
                    Ok(0)
                }
                Err(e) => Err(e),
            }
        }
        Command::Events(EventsCommand::Verify) => {
            let r = terminal::verify_log(t.store(), &t.public_key());
            match r {
                Ok(r) => {
                    println!(
                        "ok: {} events, signatures and chain verify, tip {}",
                        r.events, r.tip_hash
                    );
                    println!("device public key: {}", t.public_key().to_hex());
                    Ok(0)
                }
                Err(e) => {
                    println!("FAILED: {e}");
                    Ok(1)
                }
            }
        }
        Command::Status { json } => {
            let s = t.status()?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "device_id": s.device_id, "key_fingerprint": s.key_fingerprint,
                        "public_key": t.public_key().to_hex(),
                        "manifest_version": s.manifest_version, "manifest_expires_at_ms": s.manifest_expires_at_ms,
                        "parcels": s.parcels_total, "delivered": s.delivered, "to_do": s.to_do,
                        "not_delivered": s.not_delivered, "events": s.events, "pending_sync": s.pending_sync,
                        "last_sync_ms": s.last_sync_ms, "clock_skew_ms": s.clock_skew_ms,
                    })
                );
            } else {
                println!("device        {}", s.device_id);
                println!("key           {}", s.key_fingerprint);
                println!(
                    "manifest      {}",
                    s.manifest_version
                        .map_or("none loaded".into(), |v| format!("version {v}"))
                );
                println!(
                    "parcels       {} total, {} delivered, {} to do, {} not delivered",
                    s.parcels_total, s.delivered, s.to_do, s.not_delivered
                );
                println!(
                    "events        {} recorded, {} waiting to sync",
                    s.events, s.pending_sync
                );
            }
            Ok(0)
        }
        Command::Init { .. }
        | Command::Dev(_)
        | Command::Enroll { .. }
        | Command::Sync(_)
        | Command::Ui { .. }
        | Command::Screenshots { .. }
        | Command::Demo(_) => Ok(2),
    }
}

fn export(t: &Terminal, out: Option<&Path>) -> Result<u64> {
    let mut writer: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut next = 1;
    let mut n = 0;
    loop {
        let batch = t.store().events(next, 1000)?;
        let Some(last) = batch.last() else { break };
        next = last.body.seq + 1;
        for e in &batch {
            let line = serde_json::to_string(e)?;
            writer.write_all(line.as_bytes())?;
            writer.write_all(b"\n")?;
            n += 1;
        }
    }
    writer.flush()?;
    Ok(n)
}

/// The route-list name of a display state.
pub fn display_name(state: DisplayState) -> String {
    match state {
        DisplayState::ToDo => "to_do".into(),
        DisplayState::AtDoor => "at_door".into(),
        DisplayState::Delivered => "delivered".into(),
        DisplayState::Failed(o) => format!("failed:{}", o.as_str()),
        DisplayState::Withdrawn => "withdrawn".into(),
        DisplayState::Locked => "locked".into(),
        DisplayState::Returned => "returned".into(),
    }
}

fn run_dev(dev: DevCommand, dir: &DataDir, position: Arc<dyn PositionSource>) -> Result<u8> {
    match dev {
        DevCommand::ServerKey { out } => {
            let pkcs8 = courier_protocol::keys::generate_pkcs8()?;
            std::fs::write(&out, &pkcs8)
                .with_context(|| format!("cannot write {}", out.display()))?;
            let pair = keypair_from_pkcs8(&pkcs8)?;
            println!("{}", Signer::public_key(&pair).to_hex());
            Ok(0)
        }
        DevCommand::SampleManifest {
            server_key,
            device_id,
            out,
            parcels,
            version,
            iterations,
            valid_hours,
            withdraw,
            codes_out,
        } => {
            let pkcs8 = std::fs::read(&server_key)
                .with_context(|| format!("cannot read {}", server_key.display()))?;
            let pair = keypair_from_pkcs8(&pkcs8)?;
            let now = SystemClock::new();
            let now_ms = crate::clock::Clock::now(&now).device_utc_ms;
            let day = sample_day(
                &SampleSpec {
                    device_id: &device_id,
                    version,
                    issued_at_ms: now_ms.min(now_ms + valid_hours * 3_600_000 - 1),
                    valid_for_ms: valid_hours * 3_600_000,
                    parcels,
                    iterations,
                    withdrawn: &withdraw,
                },
                &pair,
            )?;
            std::fs::write(&out, serde_json::to_vec_pretty(&day.manifest)?)
                .with_context(|| format!("cannot write {}", out.display()))?;
            if let Some(c) = codes_out {
                std::fs::write(&c, serde_json::to_vec_pretty(&day.codes)?)
                    .with_context(|| format!("cannot write {}", c.display()))?;
            }
            println!(
                "manifest version {version} with {parcels} parcels for {device_id} written to {}",
                out.display()
            );
            Ok(0)
        }
        DevCommand::Codes { parcels, json } => {
            let throwaway = keypair_from_pkcs8(&courier_protocol::keys::generate_pkcs8()?)?;
            let day = sample_day(
                &SampleSpec {
                    device_id: "any",
                    version: 1,
                    issued_at_ms: 0,
                    valid_for_ms: 1,
                    parcels,
                    iterations: 1,
                    withdrawn: &[],
                },
                &throwaway,
            )?;
            for c in &day.codes {
                if json {
                    println!("{}", serde_json::to_string(c)?);
                } else {
                    println!(
                        "{:<12} {:<10} {}  {}",
                        c.label, c.order_ref, c.numeric, c.qr
                    );
                }
            }
            Ok(0)
        }
        DevCommand::Soak { codes, ops, seed } => crate::soak::run(dir, position, &codes, ops, seed),
    }
}
