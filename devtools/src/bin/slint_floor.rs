//! `slint-floor`: the floor of the app's start-up (issue 27). A minimal Slint
//! window with the product's backend (winit, software renderer), its fonts
//! (Noto Sans and Noto Sans Arabic, embedded the same way) and its scale, one
//! line of text in each script, sized to the screen; it logs `first frame
//! drawn` on stderr at the same point as the app (the event loop's turn after
//! winit's first redraw). `scripts/ui-start-bench.sh` times it beside the
//! real app, so the ratio shows what is the app's own.
//!
//! Run with `SLINT_SCALE_FACTOR` set as the app sets it (`1.8375` for 294 dpi).

use std::time::Duration;

use anyhow::{Context, Result};
use slint::ComponentHandle;
use slint::winit_030::winit::event::WindowEvent;
use slint::winit_030::{EventResult, WinitWindowAccessor};

slint::slint! {
    import "../../../assets/fonts/NotoSans-Regular.ttf";
    import "../../../assets/fonts/NotoSansArabic-Regular.ttf";
    export component Floor inherits Window {
        default-font-family: "Noto Sans";
        default-font-size: 18px;
        background: #f4f4f0;
        VerticalLayout {
            padding: 16px;
            spacing: 12px;
            Text { text: "Tournée du jour"; font-size: 24px; }
            Text { text: "جولة اليوم"; font-family: "Noto Sans Arabic"; horizontal-alignment: right; }
            Rectangle { }
        }
    }
}

fn main() -> Result<()> {
    let floor = Floor::new().context("cannot make the floor window")?;
    let window = floor.window();
    let mut seen = false;
    window.on_winit_window_event(move |_, event| {
        if !seen && matches!(event, WindowEvent::RedrawRequested) {
            seen = true;
            slint::Timer::single_shot(Duration::ZERO, || eprintln!("first frame drawn"));
        }
        EventResult::Propagate
    });
    // Sized to the monitor once winit made the window, as the app does
    // without a window manager (`ui::display`).
    let weak = floor.as_weak();
    slint::spawn_local(async move {
        let Some(strong) = weak.upgrade() else {
            return;
        };
        let made = strong.window().winit_window().await;
        drop(strong);
        if let Ok(w) = made
            && let Some(monitor) = w.current_monitor().or_else(|| w.primary_monitor())
        {
            w.set_outer_position(monitor.position());
            let _ = w.request_inner_size(monitor.size());
        }
    })
    .context("cannot size the window")?;
    window.set_fullscreen(true);
    floor.run().context("the event loop failed")
}
