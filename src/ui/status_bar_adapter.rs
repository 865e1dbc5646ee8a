//! Status bar: GNSS fix and its age, events waiting to sync, last sync, clock skew.

use slint::ComponentHandle;

use super::{MainWindow, StatusBarState, UiCtx, format};
use crate::domain::position::FixDimension;
use crate::domain::trusted_clock;
use crate::storage::outbox::SyncStatus;
use crate::terminal::Status;

/// Reads the position feed and the clock (UI thread, cheap: one mutex read).
pub(super) fn tick(ui: &MainWindow, ctx: &UiCtx) {
    let g = ui.global::<StatusBarState>();
    let reading = ctx.position.reading();
    let (fix, age_ms) = match &reading.current {
        Some(f) => (
            match f.fix.dimension {
                FixDimension::ThreeD => "3d",
                _ => "2d",
            },
            f.age_ms,
        ),
        None => (
            "none",
            reading.last_valid.as_ref().map(|f| f.age_ms).unwrap_or(0),
        ),
    };
    set_if_changed(g.get_fix().as_str(), fix, |v| g.set_fix(v.into()));
    let age_s = i32::try_from(age_ms / 1000).unwrap_or(i32::MAX);
    if g.get_fix_age_s() != age_s {
        g.set_fix_age_s(age_s);
    }
    let now = ctx.clock.now().device_utc_ms;
    let skew = trusted_clock::skew_ms(now, reading.gnss_utc_ms);
    let warn = trusted_clock::skew_warning(skew);
    if g.get_skew_warning() != warn {
        g.set_skew_warning(warn);
    }
    g.set_skew_s(i32::try_from(skew.unwrap_or(0) / 1000).unwrap_or(i32::MAX));
    let clock = format::clock(now, ctx.utc_offset_minutes);
    set_if_changed(g.get_clock().as_str(), &clock, |v| g.set_clock(v.into()));
}

fn set_if_changed(old: &str, new: &str, set: impl FnOnce(&str)) {
    if old != new {
        set(new);
    }
}

/// Shows what the terminal reports: events waiting to sync, the last sync, and
/// whether sending fails (the outbox's last try failed) or the server refused some.
pub(super) fn apply_status(
    ui: &MainWindow,
    ctx: &UiCtx,
    status: &Status,
    sync: Option<&SyncStatus>,
) {
    let g = ui.global::<StatusBarState>();
    let pending = i32::try_from(status.pending_sync).unwrap_or(i32::MAX);
    if g.get_pending() != pending {
        g.set_pending(pending);
    }
    let last = status
        .last_sync_ms
        .map(|ms| format::clock(ms, ctx.utc_offset_minutes))
        .unwrap_or_default();
    set_if_changed(g.get_last_sync().as_str(), &last, |v| {
        g.set_last_sync(v.into())
    });
    let failing = sync.is_some_and(|s| s.pending > 0 && s.last_error.is_some());
    if g.get_sync_failing() != failing {
        g.set_sync_failing(failing);
    }
    let rejected = sync.map_or(0, |s| i32::try_from(s.rejected).unwrap_or(i32::MAX));
    if g.get_rejected() != rejected {
        g.set_rejected(rejected);
    }
    let not_honoured = sync.map_or(0, |s| i32::try_from(s.not_honoured).unwrap_or(i32::MAX));
    if g.get_not_honoured() != not_honoured {
        g.set_not_honoured(not_honoured);
    }
    let revoked = sync.is_some_and(|s| s.revoked.is_some());
    if g.get_revoked() != revoked {
        g.set_revoked(revoked);
    }
    let refused = sync.map_or(0, |s| {
        i32::try_from(s.checkpoints_refused).unwrap_or(i32::MAX)
    });
    if g.get_checkpoints_refused() != refused {
        g.set_checkpoints_refused(refused);
    }
}
