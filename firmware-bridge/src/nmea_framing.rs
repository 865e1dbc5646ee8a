//! Bytes to sentences: cuts an NMEA 0183 byte stream into complete,
//! checksum-verified sentences. Knows nothing about what a sentence means.
//!
//! The buffer is bounded ([`FramerConfig::max_sentence_len`]); every byte that
//! cannot belong to a good sentence is counted, never panicked on.

use serde::Serialize;
use thiserror::Error;

/// NMEA 0183 allows 82 characters; real receivers (u-blox GSV, 24-channel
/// GSA) run longer, so the default leaves slack.
pub const DEFAULT_MAX_SENTENCE_LEN: usize = 128;

/// Framer settings.
#[derive(Debug, Clone, Copy)]
pub struct FramerConfig {
    /// Longest accepted sentence, from `$` to the checksum, in bytes.
    pub max_sentence_len: usize,
    /// Accept sentences without a `*hh` checksum (off: they are rejected).
    pub allow_missing_checksum: bool,
}

impl Default for FramerConfig {
    fn default() -> Self {
        Self {
            max_sentence_len: DEFAULT_MAX_SENTENCE_LEN,
            allow_missing_checksum: false,
        }
    }
}

/// Why a candidate sentence was thrown away.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// The `*hh` checksum did not match the body.
    #[error("checksum mismatch: sentence says {expected:02X}, body gives {actual:02X}")]
    Checksum {
        /// Value written in the sentence.
        expected: u8,
        /// Value computed from the body.
        actual: u8,
    },
    /// No `*hh` checksum and the framer requires one.
    #[error("sentence has no checksum")]
    MissingChecksum,
    /// The checksum field is not two hex digits.
    #[error("malformed checksum field")]
    BadChecksumField,
    /// The sentence grew beyond the configured maximum.
    #[error("sentence longer than {0} bytes")]
    TooLong(usize),
    /// A non-printable byte inside a sentence.
    #[error("non-printable byte 0x{0:02X} inside sentence")]
    BadByte(u8),
    /// A new `$` arrived before the previous sentence ended.
    #[error("sentence cut short by a new start character")]
    Truncated,
}

/// Counters kept by the framer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FramerStats {
    /// Bytes fed in.
    pub bytes: u64,
    /// Sentences that passed framing and checksum.
    pub sentences: u64,
    /// Checksum mismatches (including malformed checksum fields).
    pub checksum_errors: u64,
    /// Sentences without a checksum.
    pub missing_checksum: u64,
    /// Over-long sentences.
    pub too_long: u64,
    /// Sentences with non-printable bytes or cut short.
    pub malformed: u64,
    /// Bytes outside any sentence (line noise, binary protocols).
    pub garbage_bytes: u64,
}

/// A framed, checksum-verified sentence body: the text between `$`/`!` and `*`,
/// e.g. `GPGGA,123519,4807.038,N,...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence<'a> {
    /// Body without start character and checksum.
    pub body: &'a str,
    /// `true` for `!`-started (encapsulated, e.g. AIS) sentences.
    pub encapsulated: bool,
}

/// Incremental NMEA framer with a bounded buffer.
#[derive(Debug)]
pub struct NmeaFramer {
    cfg: FramerConfig,
    buf: Vec<u8>,
    in_sentence: bool,
    overflowed: bool,
    stats: FramerStats,
}

impl Default for NmeaFramer {
    fn default() -> Self {
        Self::new(FramerConfig::default())
    }
}

impl NmeaFramer {
    /// New framer with the given limits.
    pub fn new(cfg: FramerConfig) -> Self {
        let cap = cfg.max_sentence_len.max(8);
        Self {
            cfg: FramerConfig {
                max_sentence_len: cap,
                ..cfg
            },
            buf: Vec::with_capacity(cap),
            in_sentence: false,
            overflowed: false,
            stats: FramerStats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> FramerStats {
        self.stats
    }

    /// Bytes currently held for an unfinished sentence (never above the limit).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Drop any partial sentence (e.g. after a reconnect).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.in_sentence = false;
        self.overflowed = false;
    }

    /// Feed bytes; `sink` is called once per complete sentence or rejected frame.
    pub fn feed(&mut self, data: &[u8], sink: &mut dyn FnMut(Result<Sentence<'_>, FrameError>)) {
        self.stats.bytes += data.len() as u64;
        for &b in data {
            match b {
                b'$' | b'!' => {
                    if self.in_sentence && !self.overflowed && !self.buf.is_empty() {
                        self.stats.malformed += 1;
                        sink(Err(FrameError::Truncated));
                    }
                    self.buf.clear();
                    self.buf.push(b);
                    self.in_sentence = true;
                    self.overflowed = false;
                }
                b'\r' | b'\n' => {
                    if self.in_sentence {
                        self.finish(sink);
                    }
                }
                _ if !self.in_sentence => {
                    if !b.is_ascii_whitespace() {
                        self.stats.garbage_bytes += 1;
                    }
                }
                _ if self.overflowed => {}
                _ if self.buf.len() >= self.cfg.max_sentence_len => {
                    self.overflowed = true;
                    self.buf.clear();
                    self.stats.too_long += 1;
                    sink(Err(FrameError::TooLong(self.cfg.max_sentence_len)));
                }
                _ => self.buf.push(b),
            }
        }
    }

    fn finish(&mut self, sink: &mut dyn FnMut(Result<Sentence<'_>, FrameError>)) {
        self.in_sentence = false;
        if self.overflowed {
            self.overflowed = false;
            self.buf.clear();
            return;
        }
        let result = check(&self.buf, self.cfg.allow_missing_checksum);
        match &result {
            Ok(_) => self.stats.sentences += 1,
            Err(FrameError::Checksum { .. } | FrameError::BadChecksumField) => {
                self.stats.checksum_errors += 1
            }
            Err(FrameError::MissingChecksum) => self.stats.missing_checksum += 1,
            Err(FrameError::TooLong(_)) => self.stats.too_long += 1,
            Err(FrameError::BadByte(_) | FrameError::Truncated) => self.stats.malformed += 1,
        }
        sink(result);
        self.buf.clear();
    }
}

/// XOR checksum of a sentence body.
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0u8, |acc, b| acc ^ b)
}

/// Render a body as a full sentence `$body*hh\r\n` (used by simulators and tests).
pub fn render_sentence(body: &str) -> String {
    format!("${}*{:02X}\r\n", body, checksum(body.as_bytes()))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn check(buf: &[u8], allow_missing: bool) -> Result<Sentence<'_>, FrameError> {
    let Some((&start, rest)) = buf.split_first() else {
        return Err(FrameError::Truncated);
    };
    if let Some(&bad) = rest.iter().find(|b| !(0x20..0x7f).contains(*b)) {
        return Err(FrameError::BadByte(bad));
    }
    let (body, ck) = match rest.iter().rposition(|&b| b == b'*') {
        Some(star) => (&rest[..star], Some(&rest[star + 1..])),
        None => (rest, None),
    };
    match ck {
        Some(ck) => {
            // Trailing spaces after the checksum are tolerated.
            let ck = ck.trim_ascii_end();
            let [h, l] = ck else {
                return Err(FrameError::BadChecksumField);
            };
            let (Some(h), Some(l)) = (hex(*h), hex(*l)) else {
                return Err(FrameError::BadChecksumField);
            };
            let expected = (h << 4) | l;
            let actual = checksum(body);
            if expected != actual {
                return Err(FrameError::Checksum { expected, actual });
            }
        }
        None if allow_missing => {}
        None => return Err(FrameError::MissingChecksum),
    }
    // Printable ASCII was checked above, so this cannot fail.
    let body = std::str::from_utf8(body).map_err(|_| FrameError::BadByte(0))?;
    Ok(Sentence {
        body,
        encapsulated: start == b'!',
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(f: &mut NmeaFramer, data: &[u8]) -> Vec<Result<String, FrameError>> {
        let mut out = Vec::new();
        f.feed(data, &mut |r| out.push(r.map(|s| s.body.to_string())));
        out
    }

    #[test]
    fn frames_good_sentence_split_across_reads() {
        let mut f = NmeaFramer::default();
        let s = render_sentence("GPGLL,4916.45,N,12311.12,W,225444,A");
        let (a, b) = s.as_bytes().split_at(10);
        assert!(collect(&mut f, a).is_empty());
        let out = collect(&mut f, b);
        assert_eq!(out, vec![Ok("GPGLL,4916.45,N,12311.12,W,225444,A".into())]);
        assert_eq!(f.stats().sentences, 1);
    }

    #[test]
    fn rejects_bad_checksum_and_counts() {
        let mut f = NmeaFramer::default();
        let out = collect(&mut f, b"$GPGLL,1*00\r\n");
        assert!(matches!(out[0], Err(FrameError::Checksum { .. })));
        assert_eq!(f.stats().checksum_errors, 1);
    }

    #[test]
    fn over_long_sentence_is_dropped_with_bounded_buffer() {
        let mut f = NmeaFramer::new(FramerConfig {
            max_sentence_len: 20,
            ..FramerConfig::default()
        });
        let mut data = b"$GP".to_vec();
        data.extend(std::iter::repeat_n(b'A', 1000));
        let out = collect(&mut f, &data);
        assert_eq!(out, vec![Err(FrameError::TooLong(20))]);
        assert!(f.buffered() <= 20);
        let out = collect(&mut f, b"\r\n$GPX*4F\r\n");
        assert_eq!(out, vec![Ok("GPX".into())]);
    }

    #[test]
    fn restart_on_new_dollar_counts_truncation() {
        let mut f = NmeaFramer::default();
        let out = collect(&mut f, b"$GPGG$GPX*4F\n");
        assert_eq!(out, vec![Err(FrameError::Truncated), Ok("GPX".into())]);
    }
}
