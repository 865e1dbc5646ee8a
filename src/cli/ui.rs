//! `ui`: the courier's screens, assembled with the GNSS module, the scanner,
//! the online check and background sync as configured.

use anyhow::{Result, bail};
use clap::Args;

use super::Cli;
use crate::sync::background::Schedule;
use crate::ui::{AppConfig, Language};

/// Options of `ui`.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// Language at start: fr, ar or en.
    #[arg(long, default_value = "fr")]
    pub lang: String,
}

pub(super) fn run(cli: &Cli, args: &UiArgs, schedule: Schedule) -> Result<u8> {
    let Some(language) = Language::parse(&args.lang) else {
        bail!("unknown language {:?}: use fr, ar or en", args.lang);
    };
    if !crate::ui::has_display() {
        bail!(
            "no display: set WAYLAND_DISPLAY or DISPLAY (or build with --features kiosk for Linux KMS)"
        );
    }
    let mut config = cli.device_config()?;
    config.online_check = true;
    config.background_sync = Some(schedule);
    let device = config.assemble()?;
    let (terminal, feeds, parts) = (device.terminal, device.feeds, device.parts);
    let mut app = AppConfig::new(terminal, feeds);
    app.language = language;
    crate::ui::run_app(app)?;
    drop(parts);
    Ok(0)
}
