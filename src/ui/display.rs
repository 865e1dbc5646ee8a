//! How the screens meet the panel: full screen or a window, the scale (logical
//! pixels are 1/160 inch, so the scale comes from the panel's density), rotation.

use tracing::{info, warn};

/// Logical pixels per inch the screens are drawn for (`ui/widgets/styling.slint`).
pub const REFERENCE_DPI: f32 = 160.0;

/// Where the scale factor (physical pixels per logical pixel) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum ScaleSource {
    /// What the window system reports (desktop development; often 1).
    #[default]
    Platform,
    /// A fixed factor, e.g. 1.8.
    Factor(f32),
    /// The panel's density in dots per inch: the factor is `dpi / 160`, so a
    /// 9 mm target is 9 mm on the glass (294 dpi: 1.84).
    PanelDpi(u32),
}

impl ScaleSource {
    /// The factor to apply, or `None` to keep the platform's. Factors outside
    /// 0.5..=6 are refused (`None`, with a warning): they would make the screens unusable.
    pub fn factor(self) -> Option<f32> {
        let f = match self {
            ScaleSource::Platform => return None,
            ScaleSource::Factor(f) => f,
            // Panel densities are small integers; f32 holds them exactly.
            #[allow(clippy::cast_precision_loss)]
            ScaleSource::PanelDpi(dpi) => dpi as f32 / REFERENCE_DPI,
        };
        if f.is_finite() && (0.5..=6.0).contains(&f) {
            Some(f)
        } else {
            warn!(
                factor = f,
                "scale factor out of range (0.5 to 6): keeping the platform's"
            );
            None
        }
    }
}

/// Rotation of the panel, clockwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// Upright.
    #[default]
    Deg0,
    /// A quarter turn.
    Deg90,
    /// Upside down.
    Deg180,
    /// Three quarters.
    Deg270,
}

impl Rotation {
    /// Degrees clockwise.
    pub fn degrees(self) -> u16 {
        match self {
            Rotation::Deg0 => 0,
            Rotation::Deg90 => 90,
            Rotation::Deg180 => 180,
            Rotation::Deg270 => 270,
        }
    }
}

/// The display setting the app applies when it opens its window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Display {
    /// Fill the screen (the handheld); a window otherwise (development).
    pub fullscreen: bool,
    /// The scale factor's source.
    pub scale: ScaleSource,
    /// Panel rotation.
    pub rotation: Rotation,
}

impl Display {
    /// A handheld: full screen, scale from the panel's density, upright.
    pub fn handheld(panel_dpi: u32) -> Self {
        Display {
            fullscreen: true,
            scale: ScaleSource::PanelDpi(panel_dpi),
            rotation: Rotation::Deg0,
        }
    }

    /// The environment Slint's backends read at start for this setting:
    /// `SLINT_SCALE_FACTOR` (winit and KMS) and `SLINT_KMS_ROTATION` (KMS; a
    /// window system rotates its output itself, e.g. `xrandr --rotate`). A scale
    /// cannot be changed on a live winit window (the software renderer panics on
    /// the size mismatch), so it is given to the backend this way, before it starts.
    pub fn backend_env(&self) -> Vec<(&'static str, String)> {
        let mut env = Vec::new();
        if let Some(f) = self.scale.factor() {
            env.push(("SLINT_SCALE_FACTOR", format!("{f}")));
        }
        if self.rotation != Rotation::Deg0 {
            env.push(("SLINT_KMS_ROTATION", self.rotation.degrees().to_string()));
        }
        env
    }

    /// What of [`Display::backend_env`] this process's environment lacks (the
    /// `ui` command then starts itself again with it).
    pub fn missing_env(&self) -> Vec<(&'static str, String)> {
        self.backend_env()
            .into_iter()
            .filter(|(k, v)| std::env::var(k).ok().as_deref() != Some(v.as_str()))
            .collect()
    }

    /// Applies full screen to the app's window once shown (sized to the
    /// screen where no window manager does it); warns when the scale
    /// or rotation did not reach the backend's environment.
    pub fn apply<C: slint::ComponentHandle + 'static>(&self, component: &C) {
        let window = component.window();
        if self.fullscreen {
            window.set_fullscreen(true);
            fill_the_screen(component.as_weak());
        }
        for (k, v) in self.missing_env() {
            warn!("{k} should be {v} for the configured display; the backend runs without it");
        }
        info!(
            scale_factor = window.scale_factor(),
            fullscreen = self.fullscreen,
            "display applied"
        );
        report_first_frame(window);
    }
}

/// Logs `first frame drawn` once the window's first frame is rendered and
/// handed to the window system: the winit backend draws when it handles its
/// first redraw request, and the line is written on the event loop's next
/// turn, after that draw. The app's start-up is timed to this line
/// (`scripts/ui-start-bench.sh`). On Linux KMS (no winit window) nothing is
/// logged.
fn report_first_frame(window: &slint::Window) {
    use slint::winit_030::winit::event::WindowEvent;
    use slint::winit_030::{EventResult, WinitWindowAccessor};
    let mut seen = false;
    window.on_winit_window_event(move |_, event| {
        if !seen && matches!(event, WindowEvent::RedrawRequested) {
            seen = true;
            slint::Timer::single_shot(std::time::Duration::ZERO, || info!("first frame drawn"));
        }
        EventResult::Propagate
    });
}

/// Full screen is a request to the window manager; a handheld often runs
/// none (a bare X server), where the request does nothing and the window keeps
/// its minimum size. So the window is also sized to its monitor and put at its
/// corner, once winit has made it (on the first turn of the event loop). On
/// Linux KMS (no winit window) the backend fills the panel itself.
fn fill_the_screen<C: slint::ComponentHandle + 'static>(component: slint::Weak<C>) {
    use slint::winit_030::WinitWindowAccessor;
    let spawned = slint::spawn_local(async move {
        let Some(strong) = component.upgrade() else {
            return;
        };
        // Resolves once winit has made the window (on the event loop's first turn).
        let made = strong.window().winit_window().await;
        drop(strong);
        let Ok(w) = made else {
            info!("no winit window: full screen left to the backend");
            return;
        };
        let Some(monitor) = w.current_monitor().or_else(|| w.primary_monitor()) else {
            info!("no monitor reported: full screen left to the window manager");
            return;
        };
        let size = monitor.size();
        w.set_outer_position(monitor.position());
        let _ = w.request_inner_size(size);
        info!(
            width = size.width,
            height = size.height,
            "window sized to the screen"
        );
    });
    if let Err(e) = spawned {
        warn!(error = %e, "cannot size the window to the screen");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panel_density_gives_the_factor() {
        assert_eq!(ScaleSource::PanelDpi(320).factor(), Some(2.0));
        assert_eq!(ScaleSource::Factor(1.5).factor(), Some(1.5));
        assert_eq!(ScaleSource::Platform.factor(), None);
        assert_eq!(ScaleSource::Factor(0.0).factor(), None);
        assert_eq!(ScaleSource::PanelDpi(5000).factor(), None);
    }

    #[test]
    fn the_backend_gets_scale_and_rotation_by_its_variables() {
        let d = Display {
            fullscreen: true,
            scale: ScaleSource::PanelDpi(320),
            rotation: Rotation::Deg90,
        };
        assert_eq!(
            d.backend_env(),
            vec![
                ("SLINT_SCALE_FACTOR", "2".to_owned()),
                ("SLINT_KMS_ROTATION", "90".to_owned())
            ]
        );
        assert!(Display::default().backend_env().is_empty());
    }
}
