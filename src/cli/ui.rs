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
    /// Language at start: fr, ar or en [default: from the configuration, fr].
    #[arg(long)]
    pub lang: Option<String>,
}

pub(super) fn run(cli: &Cli, args: &UiArgs) -> Result<u8> {
    let file = cli.file_config()?;
    let language = match &args.lang {
        Some(code) => match Language::parse(code) {
            Some(l) => l,
            None => bail!("unknown language {code:?}: use fr, ar or en"),
        },
        None => file.ui.language,
    };
    if !crate::ui::has_display() {
        bail!(
            "no display: set WAYLAND_DISPLAY or DISPLAY (or build with --features kiosk for Linux KMS)"
        );
    }
    let mut config = cli.device_config()?;
    config.background_sync = file.server.background_sync.then(Schedule::default);
    let device = config.assemble()?;
    let (terminal, feeds, parts) = (device.terminal, device.feeds, device.parts);
    let mut app = AppConfig::new(terminal, feeds);
    app.language = language;
    crate::ui::run_app(app)?;
    drop(parts);
    Ok(0)
}
