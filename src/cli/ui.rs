//! `ui`: the courier's screens, assembled with the GNSS module, the scanner,
//! the online check and background sync as configured.

use anyhow::{Context, Result, bail};
use clap::Args;

use super::Cli;
use crate::sync::background::Schedule;
use crate::ui::{AppConfig, Display, Language, ScaleSource};

/// Set in the environment of the `ui` process started again with the display's
/// variables, so it never starts itself a third time.
const REEXEC: &str = "COURIER_UI_DISPLAY_ENV";

/// Options of `ui`.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// Language at start: fr, ar or en.
    #[arg(long, default_value = "fr")]
    pub lang: String,
    /// Fill the screen (a handheld); a window otherwise.
    #[arg(long)]
    pub fullscreen: bool,
    /// The panel's density in dots per inch: the screens scale to dpi / 160, so
    /// a 9 mm target is 9 mm on the glass (e.g. 294 for a 5-inch 720x1280).
    #[arg(long, conflicts_with = "scale")]
    pub panel_dpi: Option<u32>,
    /// A fixed scale factor instead (physical pixels per logical pixel).
    #[arg(long)]
    pub scale: Option<f32>,
}

impl UiArgs {
    /// The display setting these options ask for (the platform's scale by default).
    pub fn display(&self) -> Display {
        Display {
            fullscreen: self.fullscreen,
            scale: match (self.panel_dpi, self.scale) {
                (Some(dpi), _) => ScaleSource::PanelDpi(dpi),
                (None, Some(f)) => ScaleSource::Factor(f),
                (None, None) => ScaleSource::Platform,
            },
            ..Display::default()
        }
    }
}

pub(super) fn run(cli: &Cli, args: &UiArgs, schedule: Schedule) -> Result<u8> {
    let Some(language) = Language::parse(&args.lang) else {
        bail!("unknown language {:?}: use fr, ar or en", args.lang);
    };
    // Scale and rotation reach Slint's backend through its environment, read
    // when it starts: start again with them if this process lacks them.
    let display = args.display();
    let missing = display.missing_env();
    if !missing.is_empty() && std::env::var_os(REEXEC).is_none() {
        let exe =
            std::env::current_exe().context("cannot find this program to start the screens")?;
        let status = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .envs(missing)
            .env(REEXEC, "1")
            .status()
            .context("cannot start the screens with the display setting")?;
        return Ok(status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .unwrap_or(1));
    }
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
    app.display = display;
    crate::ui::run_app(app)?;
    drop(parts);
    Ok(0)
}
