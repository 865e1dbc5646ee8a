//! The banner over the screen (a notice, an error, the inspection question).

use slint::ComponentHandle;

use super::generated::{AppState, MainWindow};

/// Clears the banner.
pub(crate) fn clear_banner(ui: &MainWindow) {
    let app = ui.global::<AppState>();
    app.set_error_kind("".into());
    app.set_notice("".into());
    app.set_explain("".into());
    app.set_confirm_inspection(false);
}
