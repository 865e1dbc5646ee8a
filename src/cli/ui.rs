//! `ui`: the courier's screens, assembled with the GNSS module, the scanner,
//! the online check and background sync as configured.

use anyhow::{Context, Result};
use clap::Args;

use super::Cli;
use crate::assembly::{DeviceConfig, RunningParts};
use crate::config::{DisplaySettings, DisplaySize};
use crate::sync::background::Schedule;
use crate::sync::enrollment::needs_enrollment;
use crate::ui::{AppConfig, Display, FirstRun, Language, ScaleSource, Started, run_first_run};

/// Set in the environment of the `ui` process that replaced itself (`exec`)
/// to get the display's variables, so it never does it twice.
const REEXEC: &str = "COURIER_UI_DISPLAY_ENV";

/// Options of `ui`.
#[derive(Debug, Args)]
pub struct UiArgs {
    /// Language at start: fr, ar or en [default: from the configuration, fr].
    #[arg(long)]
    pub lang: Option<String>,
    /// Fill the screen (a handheld); a window otherwise [default: from the configuration].
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
    /// The display setting: the configuration's `[display]`, with these options on top.
    pub fn display(&self, file: &DisplaySettings) -> Display {
        Display {
            fullscreen: self.fullscreen || file.fullscreen,
            scale: match (self.panel_dpi, self.scale, file.size) {
                (Some(dpi), _, _) => ScaleSource::PanelDpi(dpi),
                (None, Some(f), _) => ScaleSource::Factor(f),
                (None, None, DisplaySize::PanelDpi(dpi)) => ScaleSource::PanelDpi(dpi),
                (None, None, DisplaySize::Scale(f)) => ScaleSource::Factor(f),
                (None, None, DisplaySize::Auto) => ScaleSource::Platform,
            },
            rotation: file.rotation,
        }
    }
}

pub(super) fn run(cli: &Cli, args: &UiArgs) -> Result<u8> {
    let file = cli.file_config()?;
    let language = match &args.lang {
        Some(code) => match Language::parse(code) {
            Some(l) => l,
            None => {
                return Err(super::note::Note::UnknownLanguage { code: code.clone() }.into());
            }
        },
        None => file.ui.language,
    };
    // Scale and rotation reach Slint's backend through its environment, read
    // when it starts, and this process cannot set its own environment safely
    // once threads may run: replace this process (`exec`, same pid) with one
    // that has them, so the service manager's signals reach the screens.
    let display = args.display(&file.display);
    let missing = display.missing_env();
    if !missing.is_empty() && std::env::var_os(REEXEC).is_none() {
        use std::os::unix::process::CommandExt as _;
        let exe =
            std::env::current_exe().context("cannot find this program to start the screens")?;
        let error = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .envs(missing)
            .env(REEXEC, "1")
            .exec();
        return Err(error).context("cannot start the screens with the display setting");
    }
    if !crate::ui::has_display() {
        return Err(super::note::Note::NoDisplay.into());
    }
    let mut config = cli.device_config()?;
    config.background_sync = file.server.background_sync.then(Schedule::default);
    let allow_language_change = file.ui.courier_may_change_language;
    let app_config = move |config: &DeviceConfig| -> Result<(AppConfig, RunningParts)> {
        let device = config.assemble()?;
        let mut app = AppConfig::new(device.terminal, device.feeds);
        app.language = language;
        app.display = display;
        app.allow_language_change = allow_language_change;
        app.profile = config.profile;
        app.diagnosis = Some(config.clone());
        Ok((app, device.parts))
    };
    if needs_enrollment(&config.dir()) {
        // First run: the enrollment screen, then the app in the same window.
        let (reader, scans) = config.scanner_feed()?;
        let first = FirstRun {
            dir: config.dir(),
            scans,
            language,
            display,
            profile: config.profile,
            hardware_label: String::new(),
            tls: config.tls.clone(),
            start: Box::new(move || {
                // The app's own reader opens the port again.
                if let Some(r) = reader {
                    r.stop();
                }
                let (app, parts) = app_config(&config)?;
                Ok(Started {
                    config: app,
                    keep: Box::new(parts),
                })
            }),
        };
        run_first_run(first)?;
        return Ok(0);
    }
    let (app, parts) = app_config(&config)?;
    crate::ui::run_app(app)?;
    drop(parts);
    Ok(0)
}
