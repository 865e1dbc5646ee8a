//! Barcode scanner frames: bytes (or key events) to scanned texts. Frames end
//! with CR, LF or CRLF (configurable), may start with an AIM symbology
//! identifier (`]Q1`, `]C0`, ...). Garbage and over-long frames are rejected
//! and counted; the buffer never exceeds the configured maximum.

use serde::Serialize;
use thiserror::Error;

/// Which bytes end a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminator {
    /// Carriage return.
    Cr,
    /// Line feed.
    Lf,
    /// CR followed by LF (a lone CR or LF also ends the frame; the pair counts once).
    CrLf,
}

/// Scanner framing settings.
#[derive(Debug, Clone, Copy)]
pub struct ScannerFramingConfig {
    /// Frame terminator.
    pub terminator: Terminator,
    /// Longest accepted frame in bytes (without terminator).
    pub max_frame_len: usize,
}

impl Default for ScannerFramingConfig {
    fn default() -> Self {
        Self {
            terminator: Terminator::CrLf,
            max_frame_len: 512,
        }
    }
}

/// A scanned frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanFrame {
    /// AIM symbology identifier without the `]`, e.g. `Q1`.
    pub symbology: Option<String>,
    /// The data.
    pub text: String,
    /// Frame length in bytes as received (identifier included).
    pub raw_len: usize,
}

/// Why a frame was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScanFrameError {
    /// Longer than the configured maximum.
    #[error("frame longer than {0} bytes")]
    TooLong(usize),
    /// Control characters or invalid UTF-8.
    #[error("frame contains non-text bytes")]
    Garbage,
    /// Empty after removing the identifier.
    #[error("empty frame")]
    Empty,
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScannerStats {
    /// Frames accepted.
    pub frames: u64,
    /// Over-long frames.
    pub too_long: u64,
    /// Garbage frames.
    pub garbage: u64,
    /// Empty frames (e.g. a stray terminator).
    pub empty: u64,
}

/// Incremental scanner framer.
#[derive(Debug)]
pub struct ScannerFramer {
    cfg: ScannerFramingConfig,
    buf: Vec<u8>,
    overflowed: bool,
    last_was_cr: bool,
    stats: ScannerStats,
}

impl Default for ScannerFramer {
    fn default() -> Self {
        Self::new(ScannerFramingConfig::default())
    }
}

impl ScannerFramer {
    /// New framer.
    pub fn new(cfg: ScannerFramingConfig) -> Self {
        Self {
            cfg,
            buf: Vec::with_capacity(cfg.max_frame_len.min(4096)),
            overflowed: false,
            last_was_cr: false,
            stats: ScannerStats::default(),
        }
    }

    /// Counters.
    pub fn stats(&self) -> ScannerStats {
        self.stats
    }

    /// Bytes held for the unfinished frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feed bytes; `sink` gets each finished frame or rejection.
    pub fn feed(&mut self, data: &[u8], sink: &mut dyn FnMut(Result<ScanFrame, ScanFrameError>)) {
        for &b in data {
            let ends = match self.cfg.terminator {
                Terminator::Cr => b == b'\r',
                Terminator::Lf => b == b'\n',
                Terminator::CrLf => b == b'\r' || (b == b'\n' && !self.last_was_cr),
            };
            let swallowed_lf =
                self.cfg.terminator == Terminator::CrLf && b == b'\n' && self.last_was_cr;
            self.last_was_cr = b == b'\r';
            if ends {
                self.finish(sink);
            } else if swallowed_lf || self.overflowed {
            } else if self.buf.len() >= self.cfg.max_frame_len {
                self.overflowed = true;
                self.buf.clear();
            } else {
                self.buf.push(b);
            }
        }
    }

    /// Feed key events from a keyboard-wedge scanner: each character typed;
    /// Enter is `'\r'`.
    pub fn feed_keys(
        &mut self,
        keys: &str,
        sink: &mut dyn FnMut(Result<ScanFrame, ScanFrameError>),
    ) {
        let mut tmp = [0u8; 4];
        for c in keys.chars() {
            self.feed(c.encode_utf8(&mut tmp).as_bytes(), sink);
        }
    }

    fn finish(&mut self, sink: &mut dyn FnMut(Result<ScanFrame, ScanFrameError>)) {
        let r = if self.overflowed {
            self.stats.too_long += 1;
            Err(ScanFrameError::TooLong(self.cfg.max_frame_len))
        } else {
            parse_frame(&self.buf)
        };
        match &r {
            Ok(_) => self.stats.frames += 1,
            Err(ScanFrameError::Garbage) => self.stats.garbage += 1,
            Err(ScanFrameError::Empty) => self.stats.empty += 1,
            Err(ScanFrameError::TooLong(_)) => {}
        }
        self.overflowed = false;
        self.buf.clear();
        // A bare terminator (e.g. the LF of a CR LF in Cr mode) is not worth a sink call.
        if !matches!(r, Err(ScanFrameError::Empty)) {
            sink(r);
        }
    }
}

fn parse_frame(raw: &[u8]) -> Result<ScanFrame, ScanFrameError> {
    let text = std::str::from_utf8(raw).map_err(|_| ScanFrameError::Garbage)?;
    if text.chars().any(|c| c.is_control()) {
        return Err(ScanFrameError::Garbage);
    }
    let (symbology, data) = match text.strip_prefix(']') {
        Some(rest) => {
            let mut chars = rest.char_indices();
            match (chars.next(), chars.next()) {
                (Some((_, a)), Some((i, m)))
                    if a.is_ascii_alphabetic() && m.is_ascii_alphanumeric() =>
                {
                    (Some(rest[..i + 1].to_string()), &rest[i + 1..])
                }
                _ => return Err(ScanFrameError::Garbage),
            }
        }
        None => (None, text),
    };
    if data.is_empty() {
        return Err(ScanFrameError::Empty);
    }
    Ok(ScanFrame {
        symbology,
        text: data.to_string(),
        raw_len: raw.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: &mut ScannerFramer, data: &[u8]) -> Vec<Result<ScanFrame, ScanFrameError>> {
        let mut out = Vec::new();
        f.feed(data, &mut |r| out.push(r));
        out
    }

    #[test]
    fn crlf_frames_with_aim_identifier() {
        let mut f = ScannerFramer::default();
        let out = run(&mut f, b"]Q1ESC1:ord:abc\r\nPLAIN\n");
        assert_eq!(out.len(), 2);
        let a = out[0].as_ref().expect("frame");
        assert_eq!(a.symbology.as_deref(), Some("Q1"));
        assert_eq!(a.text, "ESC1:ord:abc");
        assert_eq!(out[1].as_ref().expect("frame").text, "PLAIN");
    }

    #[test]
    fn over_long_and_garbage_are_counted() {
        let mut f = ScannerFramer::new(ScannerFramingConfig {
            terminator: Terminator::Cr,
            max_frame_len: 8,
        });
        let out = run(&mut f, b"0123456789abc\rok\r\x01\x02\r");
        assert_eq!(out[0], Err(ScanFrameError::TooLong(8)));
        assert_eq!(out[1].as_ref().expect("ok").text, "ok");
        assert_eq!(out[2], Err(ScanFrameError::Garbage));
        assert_eq!(f.stats().too_long, 1);
        assert_eq!(f.stats().garbage, 1);
    }

    #[test]
    fn keyboard_wedge_path() {
        let mut f = ScannerFramer::default();
        let mut out = Vec::new();
        f.feed_keys("]C0PARCEL-42\r", &mut |r| out.push(r));
        assert_eq!(out[0].as_ref().expect("frame").text, "PARCEL-42");
    }
}
