//! `courier-terminal`: the binary. A thin shell over the library.

use std::process::ExitCode;

use clap::Parser;
use courier_terminal::cli::{Cli, run};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Logs go to the journal when systemd started us (at the configured level),
/// else to standard error (warnings only). `COURIER_LOG` overrides either.
fn init_logging(cli: &Cli) {
    let under_systemd = std::env::var_os("JOURNAL_STREAM").is_some();
    let level = match cli.file_config() {
        Ok(c) if under_systemd => c.log.level.filter(),
        _ => tracing::level_filters::LevelFilter::WARN,
    };
    let filter = EnvFilter::try_from_env("COURIER_LOG")
        .unwrap_or_else(|_| EnvFilter::default().add_directive(level.into()));
    if under_systemd && let Ok(journald) = tracing_journald::layer() {
        tracing_subscriber::registry()
            .with(filter)
            .with(journald)
            .init();
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
