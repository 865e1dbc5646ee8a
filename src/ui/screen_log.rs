//! The screen on show, written to the log each time it changes: the journal
//! then tells carrier IT what the courier saw and when, and the real-window
//! smoke test (`tests/ui_real_window.rs`) follows the app through it.

use slint::ComponentHandle;
use tracing::info;

use super::{AppState, MainWindow};

/// Logs the screen on show now and at every change.
pub(crate) fn follow(ui: &MainWindow) {
    let app = ui.global::<AppState>();
    app.on_shown(|screen| info!(?screen, "screen shown"));
    info!(screen = ?app.get_screen(), "screen shown");
}
