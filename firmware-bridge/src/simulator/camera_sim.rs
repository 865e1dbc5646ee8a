//! The camera simulator: test-pattern frames (colour bars with sensor-like
//! grain) showing a frame counter and the time, so the demo, the
//! screenshots and the tests take photos through the real capture path and
//! every photo is different.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::camera::{Camera, CameraError, Frame, FramePixels};

/// The colour bars, left to right (SMPTE order).
const BARS: [[u8; 3]; 8] = [
    [235, 235, 235],
    [235, 235, 16],
    [16, 235, 235],
    [16, 235, 16],
    [235, 16, 235],
    [235, 16, 16],
    [16, 16, 235],
    [16, 16, 16],
];

/// 3x5 glyphs of `0`-`9`, `:` and `#`, one row per 3 bits.
const GLYPHS: [(char, [u8; 5]); 12] = [
    ('0', [7, 5, 5, 5, 7]),
    ('1', [2, 6, 2, 2, 7]),
    ('2', [7, 1, 7, 4, 7]),
    ('3', [7, 1, 7, 1, 7]),
    ('4', [5, 5, 7, 1, 1]),
    ('5', [7, 4, 7, 1, 7]),
    ('6', [7, 4, 7, 5, 7]),
    ('7', [7, 1, 1, 1, 1]),
    ('8', [7, 5, 7, 5, 7]),
    ('9', [7, 5, 7, 1, 7]),
    (':', [0, 2, 0, 2, 0]),
    ('#', [5, 7, 5, 7, 5]),
];

/// A camera that draws its frames: a counter and the UTC time on colour bars.
pub struct TestPatternCamera {
    width: u32,
    height: u32,
    counter: u32,
    now_ms: Box<dyn Fn() -> i64 + Send>,
}

impl TestPatternCamera {
    /// A simulated sensor of `width` x `height` pixels, stamped with the
    /// system clock.
    pub fn new(width: u32, height: u32) -> Self {
        TestPatternCamera {
            width: width.max(64),
            height: height.max(64),
            counter: 0,
            now_ms: Box::new(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            }),
        }
    }

    /// The same with another clock (tests pin it).
    pub fn with_clock(mut self, now_ms: impl Fn() -> i64 + Send + 'static) -> Self {
        self.now_ms = Box::new(now_ms);
        self
    }

    /// Frames drawn so far.
    pub fn frames(&self) -> u32 {
        self.counter
    }

    fn draw(&self, text: &str) -> Vec<u8> {
        let (w, h) = (self.width as usize, self.height as usize);
        let mut rgb = vec![0u8; w * h * 3];
        let mut seed = 0x9E37_79B9u32 ^ self.counter.wrapping_mul(0x85EB_CA6B);
        for y in 0..h {
            for x in 0..w {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                let grain = (seed % 13) as i16 - 6;
                let bar = BARS[x * BARS.len() / w];
                let shade = (y * 40 / h) as i16;
                let i = (y * w + x) * 3;
                for (out, &channel) in rgb[i..i + 3].iter_mut().zip(&bar) {
                    *out = (i16::from(channel) - shade + grain).clamp(0, 255) as u8;
                }
            }
        }
        // The text on a black band across the middle.
        let scale = (w / (text.len() * 4 + 2)).min(h / 12).max(1);
        let band_top = h / 2 - scale * 4;
        for y in band_top..(band_top + scale * 7).min(h) {
            rgb[y * w * 3..(y + 1) * w * 3].fill(0);
        }
        for (n, ch) in text.chars().enumerate() {
            let Some((_, rows)) = GLYPHS.iter().find(|(c, _)| *c == ch) else {
                continue;
            };
            for (gy, bits) in rows.iter().enumerate() {
                for gx in 0..3 {
                    if bits & (4 >> gx) == 0 {
                        continue;
                    }
                    let x0 = scale + (n * 4 + gx) * scale;
                    let y0 = band_top + scale + gy * scale;
                    for y in y0..(y0 + scale).min(h) {
                        for x in x0..(x0 + scale).min(w) {
                            let i = (y * w + x) * 3;
                            rgb[i..i + 3].fill(255);
                        }
                    }
                }
            }
        }
        rgb
    }
}

impl Camera for TestPatternCamera {
    fn capture(&mut self) -> Result<Frame, CameraError> {
        self.counter = self.counter.wrapping_add(1);
        let secs = (self.now_ms)().div_euclid(1000).rem_euclid(86_400);
        let text = format!(
            "#{:04} {:02}:{:02}:{:02}",
            self.counter % 10_000,
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        Ok(Frame {
            width: self.width,
            height: self.height,
            pixels: FramePixels::Rgb8(self.draw(&text)),
        })
    }

    fn describe(&self) -> String {
        format!(
            "simulated camera {}x{} (test pattern)",
            self.width, self.height
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_differ_by_counter_and_show_the_text() {
        let mut cam = TestPatternCamera::new(320, 240).with_clock(|| 45_296_000);
        let a = cam.capture().expect("frame");
        let b = cam.capture().expect("frame");
        assert_eq!((a.width, a.height), (320, 240));
        let (FramePixels::Rgb8(pa), FramePixels::Rgb8(pb)) = (&a.pixels, &b.pixels) else {
            panic!("RGB frames");
        };
        assert_eq!(pa.len(), 320 * 240 * 3);
        assert_ne!(pa, pb, "each frame differs");
        // White text pixels sit inside the black band.
        let row = 120 * 320 * 3;
        assert!(pa[row..row + 320 * 3].contains(&255));
        assert_eq!(cam.frames(), 2);
    }
}
