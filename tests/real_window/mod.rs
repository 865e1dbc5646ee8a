//! The real `courier-terminal ui` binary in a real window: a virtual X display
//! (Xvfb, from Debian's `xvfb`), key presses and taps from `xdotool`, and
//! screenshots with ImageMagick's `import`. The app says which screen it shows
//! in its log (`screen shown`, `src/ui/screen_log.rs`): every step waits for
//! that line, and fails at once if the process ends (a panic) instead.
#![allow(dead_code, missing_docs)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_courier-terminal");

/// How long a step may take before the test gives up on it (a debug build on
/// a loaded two-core machine; a healthy step takes well under a second).
const STEP: Duration = Duration::from_secs(60);

fn tool(name: &str) -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p.display().to_string();
        }
    }
    panic!(
        "{name} is missing: the real-window tests need Debian's xvfb, xdotool and imagemagick \
         (`bash scripts/install-deps.sh` installs them)"
    );
}

/// A virtual X display of a given size, stopped when dropped.
pub struct VirtualDisplay {
    xvfb: Child,
    /// What the display shows before any window (black): a screenshot waits
    /// until the app has drawn something else.
    blank: Vec<u8>,
    /// `:N`, for `DISPLAY`.
    pub name: String,
    pub width: u32,
    pub height: u32,
}

impl VirtualDisplay {
    /// Starts Xvfb on a free display number (it prints the number it took).
    pub fn start(width: u32, height: u32) -> VirtualDisplay {
        let mut xvfb = Command::new(tool("Xvfb"))
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let mut line = String::new();
        BufReader::new(xvfb.stdout.take().expect("Xvfb stdout"))
            .read_line(&mut line)
            .expect("read Xvfb's display number");
        let number = line.trim();
        assert!(
            !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()),
            "Xvfb gave no display number: {line:?}"
        );
        let mut display = VirtualDisplay {
            xvfb,
            blank: Vec::new(),
            name: format!(":{number}"),
            width,
            height,
        };
        display.blank = display.capture();
        display
    }

    /// Gives the keyboard to the app's window (there is no window manager to do it).
    pub fn focus_app(&self) {
        self.xdotool(&[
            "search",
            "--name",
            "Courier terminal",
            "windowfocus",
            "--sync",
        ]);
    }

    /// Whether the app's window exists on this display.
    fn has_app_window(&self) -> bool {
        Command::new(tool("xdotool"))
            .args(["search", "--name", "Courier terminal"])
            .env("DISPLAY", &self.name)
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Presses keys (`xdotool key` names: `Return`, `Escape`, `2`, `Arabic_...`).
    pub fn key(&self, keys: &[&str]) {
        self.xdotool(&[&["key", "--delay", "20"], keys].concat());
    }

    /// Types text as a keyboard (or a keyboard-wedge scanner) would.
    pub fn type_text(&self, text: &str) {
        self.xdotool(&["type", "--delay", "5", text]);
    }

    /// A tap at (x, y), in the display's pixels.
    pub fn tap(&self, x: u32, y: u32) {
        self.xdotool(&["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    }

    /// A press held `seconds` at (x, y) (a service entry that no tap opens).
    pub fn hold(&self, x: u32, y: u32, seconds: f32) {
        self.xdotool(&[
            "mousemove",
            &x.to_string(),
            &y.to_string(),
            "mousedown",
            "1",
            "sleep",
            &seconds.to_string(),
            "mouseup",
            "1",
        ]);
    }

    fn xdotool(&self, args: &[&str]) {
        let st = Command::new(tool("xdotool"))
            .args(args)
            .env("DISPLAY", &self.name)
            .status()
            .expect("run xdotool");
        assert!(st.success(), "xdotool {args:?}: {st}");
    }

    /// The whole display as PNG bytes.
    pub fn capture(&self) -> Vec<u8> {
        let out = Command::new(tool("import"))
            .args(["-display", &self.name, "-window", "root", "png:-"])
            .output()
            .expect("run import");
        assert!(
            out.status.success(),
            "import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Waits until the display shows something drawn and stops changing (the
    /// frame for the step just taken is drawn), then writes it to `path`.
    pub fn screenshot(&self, path: &Path) {
        let started = Instant::now();
        let mut last = self.capture();
        loop {
            let now = self.capture();
            let drawn = now != self.blank;
            if (drawn && now == last) || started.elapsed() > Duration::from_secs(20) {
                std::fs::write(path, &now).expect("write screenshot");
                return;
            }
            last = now;
        }
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// `courier-terminal ui` running on a virtual display.
pub struct RealApp {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Lines received while waiting for something else (the window), not yet
    /// looked at by a wait for a log line.
    pending: std::collections::VecDeque<String>,
    /// Everything it logged so far (for failure messages).
    pub log: Vec<String>,
}

impl RealApp {
    /// Starts `courier-terminal --data-dir DATA ui ARGS` on `display`.
    pub fn start(display: &VirtualDisplay, data: &Path, args: &[&str]) -> RealApp {
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(data)
            .arg("ui")
            .args(args)
            .env("DISPLAY", &display.name)
            .env_remove("WAYLAND_DISPLAY")
            .env("COURIER_LOG", "info")
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start courier-terminal ui");
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        RealApp {
            child,
            lines,
            pending: Default::default(),
            log: Vec::new(),
        }
    }

    /// The process id (for signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a log line containing `needle`; fails if the app ends first.
    pub fn wait_for_log(&mut self, needle: &str) {
        assert!(
            self.log_within(needle, STEP),
            "no {needle:?} within {STEP:?}; the app logged:\n{}",
            self.log.join("\n")
        );
    }

    /// Taps (x, y) until the app shows `screen`: a tap that lands while the
    /// tap guard still holds (600 ms after a tap that records, longer on a
    /// loaded machine) is not taken, as on the device; a person taps again.
    pub fn tap_to(&mut self, display: &VirtualDisplay, x: u32, y: u32, screen: &str) {
        let needle = format!("screen shown screen={screen}");
        for _ in 0..5 {
            display.tap(x, y);
            if self.log_within(&needle, Duration::from_secs(3)) {
                return;
            }
        }
        panic!(
            "tapping ({x}, {y}) never showed {screen}; the app logged:\n{}",
            self.log.join("\n")
        );
    }

    /// Whether a log line containing `needle` comes within `wait`; fails if
    /// the app ends first.
    fn log_within(&mut self, needle: &str, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while let Some(line) = self.pending.pop_front() {
            if line.contains(needle) {
                return true;
            }
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.log.push(line);
                    if hit {
                        return true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().expect("wait for the app");
                    panic!(
                        "the app ended ({status}) while waiting for {needle:?}:\n{}",
                        self.log.join("\n")
                    );
                }
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
    }

    /// Waits until the app's window is on `display` (the first screen is made
    /// with the window, before it is shown and laid out); fails at once if the
    /// app ends first, as a panic at the first layout does.
    pub fn wait_window(&mut self, display: &VirtualDisplay) {
        let deadline = Instant::now() + STEP;
        while !display.has_app_window() {
            self.assert_running();
            assert!(
                Instant::now() < deadline,
                "no window within {STEP:?}; the app logged:\n{}",
                self.log.join("\n")
            );
            // Keeps what the app logs meanwhile for the next wait (and paces the look-ups).
            while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(100)) {
                self.log.push(line.clone());
                self.pending.push_back(line);
            }
        }
        self.assert_running();
    }

    /// Waits until the app says it shows `screen` (Slint's enum name: `Route`, `Enroll`, ...).
    pub fn wait_screen(&mut self, screen: &str) {
        self.wait_for_log(&format!("screen shown screen={screen}"));
    }

    /// Fails if the process has ended (a panic, an error).
    pub fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            // The rest of what it said (its stderr closes as it ends).
            while let Ok(l) = self.lines.recv() {
                self.log.push(l);
            }
            panic!("the app ended ({status}):\n{}", self.log.join("\n"));
        }
        assert!(
            !self.log.iter().any(|l| l.contains("panicked")),
            "the app panicked:\n{}",
            self.log.join("\n")
        );
    }

    /// Ends the app (SIGKILL) and reaps it.
    pub fn kill(mut self) {
        self.assert_running();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RealApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the smoke tests keep their screenshots: `ui-real-window/` in Cargo's
/// temporary directory for integration tests (under the target directory).
pub fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-real-window");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}
