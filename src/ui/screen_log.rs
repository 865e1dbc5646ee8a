//! The screen on show, written to the log each time one is made (its view's
//! `init` in `ui/app.slint`, when the frame that shows it is laid out): the journal
//! then tells carrier IT what the courier saw and when, and the real-window
//! smoke test (`tests/ui_real_window.rs`) follows the app through it.

use slint::ComponentHandle;
use tracing::info;

use super::{AppState, MainWindow};

/// Logs the screen on show now (made with the window, before this was
/// connected) and each screen the window makes from then on.
pub(crate) fn follow(ui: &MainWindow) {
    let app = ui.global::<AppState>();
    app.on_shown(|screen| info!(?screen, "screen shown"));
    info!(screen = ?app.get_screen(), "screen shown");
}
