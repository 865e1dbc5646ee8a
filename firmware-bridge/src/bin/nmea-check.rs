//! Decode an NMEA capture (or a live port for N seconds), print the tracker's
//! fixes as JSON lines and a summary; with gpsd's `.chk`, the agreement.
//!
//! A file is streamed in 64 KiB reads: memory stays bounded whatever its
//! size. `-` reads standard input.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use firmware_bridge::capture_check::{CaptureCheck, CaptureReport, render_table};
use firmware_bridge::{GnssConfig, GnssSerial};

#[derive(Parser)]
#[command(about = "Check an NMEA capture against the fix tracker (and gpsd's .chk)")]
struct Args {
    /// Capture file (NMEA log); `-` for standard input.
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

const READ_CHUNK: usize = 64 * 1024;

fn live(args: &Args, port: &str) -> anyhow::Result<()> {
    let reader = GnssSerial::spawn(GnssConfig::new(port.to_string(), args.baud))
        .with_context(|| format!("cannot open the GNSS port {port}"))?;
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
            "port": port, "link": snap.link, "stats": snap.stats,
            "clock_skew_ms": snap.clock_skew_ms,
        }}))?
    );
    reader.stop();
    Ok(())
}

fn run_check<R: BufRead>(
    name: &str,
    mut input: Box<dyn Read>,
    chk: Option<R>,
    quiet: bool,
) -> anyhow::Result<CaptureReport> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut check = CaptureCheck::new(chk);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut write_err: Option<std::io::Error> = None;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("read {name}")),
        };
        check
            .push(&buf[..n], &mut |fix| {
                if quiet || write_err.is_some() {
                    return;
                }
                let r = serde_json::to_writer(&mut out, fix)
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"));
                if let Err(e) = r {
                    write_err = Some(e);
                }
            })
            .with_context(|| format!("check {name}"))?;
        if let Some(e) = write_err.take() {
            return Err(e).context("write the fixes to standard output");
        }
    }
    out.flush().context("write the fixes to standard output")?;
    check.finish().with_context(|| format!("check {name}"))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let file = match (&args.file, &args.port) {
        (Some(f), None) => f.clone(),
        (None, Some(p)) => return live(&args, p),
        _ => anyhow::bail!("give a capture FILE (or - for standard input), or --port"),
    };
    let name = file.display().to_string();
    let input: Box<dyn Read> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&file)
                .with_context(|| format!("cannot open the capture {name}"))?,
        )
    };
    let chk_path = args.chk.clone().or_else(|| {
        let p = PathBuf::from(format!("{name}.chk"));
        (name != "-" && p.exists()).then_some(p)
    });
    let chk = match &chk_path {
        Some(p) => Some(BufReader::new(std::fs::File::open(p).with_context(
            || format!("cannot open gpsd's record {}", p.display()),
        )?)),
        None => None,
    };
    let report = run_check(&name, input, chk, args.quiet)?;
    let s = &report.stats;
    println!(
        "{}",
        serde_json::to_string(&serde_json::json!({"summary": {
            "capture": name,
            "bytes": s.bytes,
            "sentences": s.sentences,
            "decoded": s.decoded,
            "skipped": s.skipped,
            "skipped_by_type": s.skipped_by_type,
            "rejected": {
                "checksum_errors": s.checksum_errors,
                "missing_checksum": s.missing_checksum,
                "too_long": s.too_long,
                "malformed": s.malformed,
                "garbage_bytes": s.garbage_bytes,
                "out_of_range": s.out_of_range,
                "out_of_range_by_field": s.out_of_range_by_field,
                "chk_lines_too_long": report.chk_lines_too_long,
            },
            "distinct_fixes": report.distinct_fixes,
            "valid_fix_share_percent": report.valid_fix_share,
            "gnss_time_first_ms": report.first_valid_time_ms,
            "gnss_time_last_ms": report.last_valid_time_ms,
            "clock_skew_ms": null,
            "clock_skew_note": "a file has no system time stamps; use --port for skew",
            "gpsd_agreement_percent": report.agreement.as_ref().map(|a| a.overall().percent()),
            "gpsd_agreement_percent_rule_covered_as_disagreement":
                report.agreement.as_ref().map(|a| a.overall().percent_all()),
            "gpsd_overall": report.agreement.as_ref().map(|a| a.overall()),
            "gpsd_rules": report.agreement.as_ref().map(|a| a.rules.clone()),
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
