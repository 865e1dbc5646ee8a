//! `courier-devtools`: the tools around the terminal that never ship on a
//! device. `courier-devtools demo` runs the whole system on one machine.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use courier_devtools::{crash_campaign, demo, dev_commands, screenshots, soak, test_pki};
use tracing_subscriber::EnvFilter;

/// Courier terminal dev tools: demo, screenshots, sample manifests, crash tests.
#[derive(Debug, Parser)]
#[command(name = "courier-devtools", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The whole system on this machine: local escrow server, simulated GNSS and
    /// scanner, a sample day in Algiers, the screens (or a scripted round headless).
    Demo(demo::DemoArgs),
    /// Draw every main screen to PNG files (French, Arabic, English) on a sample day.
    Screenshots {
        /// Output directory.
        #[arg(long, default_value = "docs/screens")]
        out: PathBuf,
    },
    /// Make a throwaway carrier CA and a loopback server certificate (PEM) for
    /// HTTPS tests: `<name>-ca.pem`, `<name>-server.pem`, `<name>-server.key`.
    TestPki {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Name of the CA (file prefix).
        #[arg(long, default_value = "carrier")]
        name: String,
    },
    /// Create a server signing key (PKCS#8, mode 0600) and print its public key.
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
    /// A closed sample day at the depot and its exports (day sheet PDF, signed
    /// JSON report, CSV, events, device key) in a directory.
    DaySheet {
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// The UTC offset of the day and its times.
        #[arg(long, default_value = "+01:00", allow_hyphen_values = true)]
        utc_offset: String,
        /// The courier's name printed on the sheet.
        #[arg(long, default_value = "كريم بوضياف")]
        courier: String,
    },
    /// Crash-test worker: validations and attempts, printing each commit.
    Soak(soak::SoakArgs),
    /// Two soak workers on one data directory, SIGKILLed at seeded moments;
    /// checks after every cycle that nothing committed was lost or doubled.
    CrashCampaign(crash_campaign::CampaignArgs),
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Screenshots { out } => {
            for path in screenshots::run(&out)? {
                println!("{}", path.display());
            }
            Ok(0)
        }
        Command::TestPki { out, name } => {
            let pki = test_pki::TestPki::create(&out, &name)?;
            println!("CA          {}", pki.ca.display());
            println!("certificate {}", pki.cert_chain.display());
            println!("key         {}", pki.key.display());
            Ok(0)
        }
        Command::ServerKey { out } => {
            println!("{}", dev_commands::server_key(&out)?);
            Ok(0)
        }
        Command::SampleManifest {
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
            let supervisor = dev_commands::sample_manifest(&dev_commands::SampleManifestArgs {
                server_key: &server_key,
                device_id: &device_id,
                out: &out,
                parcels,
                version,
                iterations,
                valid_hours,
                withdraw: &withdraw,
                codes_out: codes_out.as_deref(),
                now_ms: demo::now_ms(),
            })?;
            println!(
                "manifest version {version} with {parcels} parcels for {device_id} written to {}",
                out.display()
            );
            println!("supervisor badge: {}", supervisor.badge_text);
            Ok(0)
        }
        Command::Codes { parcels, json } => {
            for c in dev_commands::codes(parcels)? {
                if json {
                    println!("{}", serde_json::to_string(&c)?);
                } else {
                    println!(
                        "{:<12} {:<10} {}  {}",
                        c.label, c.order_ref, c.numeric, c.qr
                    );
                }
            }
            Ok(0)
        }
        Command::DaySheet {
            out,
            utc_offset,
            courier,
        } => {
            courier_devtools::day_sheet::run(&out, &utc_offset, &courier)?;
            println!("{}", out.display());
            Ok(0)
        }
        Command::Soak(args) => soak::run(&args),
        Command::CrashCampaign(args) => crash_campaign::run(&args).map(|_| 0),
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("COURIER_LOG").unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    match run(Cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
