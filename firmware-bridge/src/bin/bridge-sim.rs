//! Run the GNSS and scanner simulators on pseudo-terminals for demos and
//! manual tests; prints the pty paths to point the terminal at.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use firmware_bridge::simulator::{GnssSim, GnssSimConfig, ScannerSim};

#[derive(Parser)]
#[command(about = "GNSS + barcode scanner simulators on pseudo-terminals")]
struct Args {
    /// NMEA log to replay.
    log: PathBuf,
    /// Baud rate whose pace is imitated.
    #[arg(long, default_value_t = 9600)]
    baud: u32,
    /// Pace multiplier (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    speedup: f64,
    /// Loop the log.
    #[arg(long)]
    repeat: bool,
    /// Drop the fix after N sentences.
    #[arg(long)]
    drop_fix_after: Option<u64>,
    /// Corrupt every N-th checksum.
    #[arg(long)]
    corrupt_every: Option<u64>,
    /// Vanish after N sentences.
    #[arg(long)]
    vanish_after: Option<u64>,
    /// Reappear after this many ms (needs --link to keep a stable path).
    #[arg(long)]
    reappear_ms: Option<u64>,
    /// Stable symlink to the GNSS pty, like a udev rule would give.
    #[arg(long)]
    link: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let log = std::fs::read(&args.log).with_context(|| format!("read {}", args.log.display()))?;
    let gnss = GnssSim::start(
        &log,
        GnssSimConfig {
            baud: args.baud,
            speedup: args.speedup,
            repeat: args.repeat,
            drop_fix_after: args.drop_fix_after,
            corrupt_every: args.corrupt_every,
            vanish_after: args.vanish_after,
            reappear_after: args.reappear_ms.map(Duration::from_millis),
            link_path: args.link.clone(),
            gated: false,
        },
    )?;
    let scanner = ScannerSim::new()?;
    println!("gnss pty:    {}", gnss.port_path());
    println!("scanner pty: {}", scanner.path());
    println!("type codes (optionally prefixed with an AIM id like ]Q1) and Enter; Ctrl-D to quit");
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let code = line.trim();
        if code.is_empty() {
            continue;
        }
        let (aim, data) = match code.strip_prefix(']') {
            Some(rest) if rest.len() > 2 => (Some(&code[..3]), &rest[2..]),
            _ => (None, code),
        };
        scanner.type_code(aim, data)?;
    }
    drop(gnss);
    Ok(())
}
