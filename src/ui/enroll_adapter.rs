//! The first-run screen's global: what enrollment answered, mapped to
//! `EnrollState` (the words of each failure live in `Tr.refusal`).

use slint::ComponentHandle;

use super::notice::{self, NoticeKind};
use super::{AppState, EnrollState, MainWindow};
use crate::sync::enrollment::{EnrollError, Enrolled};

/// Shows that enrollment is under way.
pub(super) fn show_working(ui: &MainWindow) {
    let g = ui.global::<EnrollState>();
    g.set_error_kind("".into());
    g.set_error_detail("".into());
    g.set_phase("working".into());
}

/// Shows why the text is not an enrollment QR (nothing was sent).
pub(super) fn show_not_a_qr(ui: &MainWindow, why: &str) {
    show_failure(ui, NoticeKind::EnrollNotAQr, why);
}

/// Shows why enrollment failed, and asks for the QR again.
pub(super) fn show_error(ui: &MainWindow, e: &EnrollError) {
    show_failure(ui, notice::enrollment(e).kind, &e.to_string());
}

fn show_failure(ui: &MainWindow, kind: NoticeKind, detail: &str) {
    let g = ui.global::<EnrollState>();
    g.set_phase("scan".into());
    // Emptied, so the next scan of a keyboard-wedge scanner is not appended to it.
    g.set_typed("".into());
    g.set_error_kind(kind.code().into());
    g.set_error_detail(detail.into());
}

/// Shows the enrolled identity: device id, key fingerprint, the fleet-inventory QR.
pub(super) fn show_enrolled(ui: &MainWindow, e: &Enrolled) {
    let g = ui.global::<EnrollState>();
    g.set_error_kind("".into());
    g.set_error_detail("".into());
    g.set_device_id(e.device_id.as_str().into());
    g.set_fingerprint(e.device_fingerprint.as_str().into());
    g.set_profile(e.profile.into());
    if let Some(img) = super::about_adapter::qr_image(&e.inventory, 4) {
        g.set_qr(img);
    }
    g.set_typed("".into());
    g.set_phase("done".into());
    ui.global::<AppState>()
        .set_test_platform(e.profile == "test");
}
