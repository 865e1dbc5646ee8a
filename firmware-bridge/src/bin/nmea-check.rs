//! Decode an NMEA capture (or a live port for N seconds), print the tracker's
//! fixes as JSON lines and a summary; with gpsd's `.chk`, the agreement.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use firmware_bridge::capture_check::{check_capture, render_table};
use firmware_bridge::{GnssConfig, GnssSerial};

#[derive(Parser)]
#[command(about = "Check an NMEA capture against the fix tracker (and gpsd's .chk)")]
struct Args {
    /// Capture file (NMEA log).
    file: Option<PathBuf>,
    /// gpsd output for the capture (default: FILE.chk when present).
    #[arg(long)]
    chk: Option<PathBuf>,
    /// Read a live port instead of a file.
    #[arg(long)]
    port: Option<String>,
    /// Baud rate for --port.
    #[arg(long, default_value_t = 9600)]
    baud: u32,
    /// Seconds to record from --port.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Print only the summary.
    #[arg(long)]
    quiet: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let live_skew: Option<i64> = None;
    let (name, bytes) = match (&args.file, &args.port) {
        (Some(f), None) => (
            f.display().to_string(),
            std::fs::read(f).with_context(|| format!("read {}", f.display()))?,
        ),
        (None, Some(p)) => {
            // Record raw bytes through the real reader path, then decode them.
            let reader = GnssSerial::spawn(GnssConfig::new(p.clone(), args.baud))?;
            let h = reader.handle();
            let rx = h.subscribe();
            let end = std::time::Instant::now() + Duration::from_secs(args.seconds);
            while let Some(left) = end.checked_duration_since(std::time::Instant::now()) {
                if let Ok(fix) = rx.recv_timeout(left)
                    && !args.quiet
                {
                    println!("{}", serde_json::to_string(&fix)?);
                }
            }
            let snap = h.snapshot();
            println!(
                "{}",
                serde_json::to_string(&serde_json::json!({"summary": {
                    "port": p, "link": snap.link, "stats": snap.stats,
                    "clock_skew_ms": snap.clock_skew_ms,
                }}))?
            );
            reader.stop();
            return Ok(());
        }
        _ => anyhow::bail!("give a capture FILE or --port"),
    };
    let chk_path = args.chk.clone().or_else(|| {
        let p = PathBuf::from(format!("{name}.chk"));
        p.exists().then_some(p)
    });
    let chk = match &chk_path {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("read {}", p.display()))?)
        }
        None => None,
    };
    let report = check_capture(&bytes, chk.as_deref());
    if !args.quiet {
        for f in &report.fixes {
            println!("{}", serde_json::to_string(f)?);
        }
    }
    let times: Vec<i64> = report
        .fixes
        .iter()
        .filter(|f| f.valid)
        .filter_map(|f| f.gnss_utc_ms)
        .collect();
    println!(
        "{}",
        serde_json::to_string(&serde_json::json!({"summary": {
            "capture": name,
            "sentences": report.stats.sentences,
            "checksum_errors": report.stats.checksum_errors,
            "decoded": report.stats.decoded,
            "skipped": report.stats.skipped,
            "valid_fix_share_percent": report.valid_fix_share,
            "gnss_time_first_ms": times.first(),
            "gnss_time_last_ms": times.last(),
            "clock_skew_ms": live_skew,
            "clock_skew_note": "a file has no system time stamps; use --port for skew",
            "gpsd_agreement_percent": report.agreement.as_ref().map(|a| a.overall().percent()),
        }}))?
    );
    if let Some(a) = report.agreement {
        eprint!("{}", render_table(&[(name, a.clone())]));
        for ex in &a.examples {
            eprintln!("  {ex}");
        }
    }
    Ok(())
}
