//! Carrier IT's diagnosis screen: the lines [`crate::diagnosis::diagnose`]
//! computes (the same as `courier-terminal diagnose`), mapped to rows. The checks
//! read the GNSS module and ask the server, so they run on a thread of their own,
//! never on the UI thread nor the terminal's worker (the courier's commands
//! do not wait behind them).

use slint::{ComponentHandle, ModelRc, VecModel};
use tracing::warn;

use super::{AppState, DiagRow, DiagnoseState, MainWindow, Screen, UiCtx};
use crate::diagnosis::{Diagnosis, Verdict, diagnose};

pub(super) fn connect(ui: &MainWindow, ctx: &std::rc::Rc<UiCtx>) {
    let (w, c) = (ui.as_weak(), std::rc::Rc::downgrade(ctx));
    ui.global::<DiagnoseState>().on_run(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            run(&ui, &ctx);
        }
    });
    let (w, c) = (ui.as_weak(), std::rc::Rc::downgrade(ctx));
    ui.global::<AppState>().on_open_diagnose(move || {
        if let (Some(ui), Some(ctx)) = (w.upgrade(), c.upgrade()) {
            super::clear_banner(&ui);
            ui.global::<AppState>().set_screen(Screen::Diagnose);
            run(&ui, &ctx);
        }
    });
}

/// Runs the checks again and shows them when they are done.
fn run(ui: &MainWindow, ctx: &UiCtx) {
    let g = ui.global::<DiagnoseState>();
    let Some(config) = ctx.diagnosis.clone() else {
        g.set_available(false);
        return;
    };
    if g.get_running() {
        return;
    }
    g.set_running(true);
    if ctx.is_inline() {
        show(ui, &diagnose(&config));
        return;
    }
    let weak = ui.as_weak();
    let spawned = std::thread::Builder::new()
        .name("diagnose".into())
        .spawn(move || {
            let d = diagnose(&config);
            let _ = weak.upgrade_in_event_loop(move |ui| show(&ui, &d));
        });
    if let Err(e) = spawned {
        warn!(error = %e, "cannot start the diagnosis");
        g.set_running(false);
    }
}

fn verdict_code(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "ok",
        Verdict::Warn => "warn",
        Verdict::Fail => "fail",
    }
}

/// Shows a diagnosis: one row per check, in order.
pub(super) fn show(ui: &MainWindow, d: &Diagnosis) {
    let rows: Vec<DiagRow> = d
        .checks
        .iter()
        .map(|c| DiagRow {
            area: c.area.into(),
            verdict: verdict_code(c.verdict).into(),
            detail: c.detail.as_str().into(),
            fix: c.fix.as_str().into(),
        })
        .collect();
    let g = ui.global::<DiagnoseState>();
    g.set_rows(ModelRc::new(VecModel::from(rows)));
    g.set_running(false);
}
