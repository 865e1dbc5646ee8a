//! The byte-to-fix pipeline shared by the serial reader, the capture check and
//! tests: framer, decoder and tracker in one place, with counters.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::fix_tracker::FixTracker;
use crate::nmea_decode::{DecodeError, Decoded, NmeaDecoder};
use crate::nmea_framing::{FrameError, FramerConfig, NmeaFramer};

/// Counters of the whole GNSS path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GnssStats {
    /// Bytes read.
    pub bytes: u64,
    /// Sentences that passed framing and checksum.
    pub sentences: u64,
    /// Sentences decoded into observations.
    pub decoded: u64,
    /// Good sentences of other types/talkers, skipped quietly.
    pub skipped: u64,
    /// Skipped sentences by address field (e.g. `GPGSV`), capped at 64 kinds.
    pub skipped_by_type: BTreeMap<String, u64>,
    /// Checksum mismatches.
    pub checksum_errors: u64,
    /// Sentences without checksum.
    pub missing_checksum: u64,
    /// Over-long sentences.
    pub too_long: u64,
    /// Malformed sentences (bad bytes, cut short, bad address).
    pub malformed: u64,
    /// Bytes outside any sentence.
    pub garbage_bytes: u64,
    /// Observations after which the fix was valid.
    pub valid_observations: u64,
    /// Times the serial link was (re)opened.
    pub connects: u64,
}

/// What happened to one framed unit, handed to an optional observer.
#[derive(Debug)]
pub enum FeedEvent<'a> {
    /// A sentence decoded and applied to the tracker.
    Decoded {
        /// Sentence body.
        body: &'a str,
        /// Its decoded form.
        decoded: &'a Decoded,
    },
    /// A good sentence that is not used.
    Skipped {
        /// Sentence body.
        body: &'a str,
    },
    /// A rejected frame.
    Rejected(&'a FrameError),
}

/// Framer + decoder + tracker.
#[derive(Debug)]
pub struct GnssFeed {
    framer: NmeaFramer,
    decoder: NmeaDecoder,
    tracker: FixTracker,
    stats: GnssStats,
}

impl Default for GnssFeed {
    fn default() -> Self {
        Self::new(FramerConfig::default(), NmeaDecoder::default())
    }
}

impl GnssFeed {
    /// Pipeline with the given framer limits and decoder.
    pub fn new(framer: FramerConfig, decoder: NmeaDecoder) -> Self {
        Self {
            framer: NmeaFramer::new(framer),
            decoder,
            tracker: FixTracker::new(),
            stats: GnssStats::default(),
        }
    }

    /// The tracker.
    pub fn tracker(&self) -> &FixTracker {
        &self.tracker
    }

    /// Counters, framer counters merged in.
    pub fn stats(&self) -> GnssStats {
        let f = self.framer.stats();
        GnssStats {
            bytes: f.bytes,
            sentences: f.sentences,
            checksum_errors: f.checksum_errors,
            missing_checksum: f.missing_checksum,
            too_long: f.too_long,
            malformed: f.malformed + self.stats.malformed,
            garbage_bytes: f.garbage_bytes,
            valid_observations: self.tracker.stats().valid_observations,
            ..self.stats.clone()
        }
    }

    /// Note a (re)connect of the link; drops any partial sentence.
    pub fn note_connect(&mut self) {
        self.stats.connects += 1;
        self.framer.reset();
    }

    /// Feed bytes received at system time `now_ms`.
    pub fn push(&mut self, data: &[u8], now_ms: i64) {
        self.push_observed(data, now_ms, &mut |_, _| {});
    }

    /// Feed bytes; `observe` sees every framed unit and the tracker after it.
    pub fn push_observed(
        &mut self,
        data: &[u8],
        now_ms: i64,
        observe: &mut dyn FnMut(FeedEvent<'_>, &FixTracker),
    ) {
        let Self {
            framer,
            decoder,
            tracker,
            stats,
        } = self;
        framer.feed(data, &mut |r| match r {
            Ok(s) => match decoder.decode(s.body) {
                Ok(d) => {
                    stats.decoded += 1;
                    tracker.observe(&d, now_ms);
                    observe(
                        FeedEvent::Decoded {
                            body: s.body,
                            decoded: &d,
                        },
                        tracker,
                    );
                }
                Err(DecodeError::Skipped(kind)) => {
                    stats.skipped += 1;
                    let n = stats.skipped_by_type.len();
                    if let Some(c) = stats.skipped_by_type.get_mut(&kind) {
                        *c += 1;
                    } else if n < 64 {
                        stats.skipped_by_type.insert(kind, 1);
                    }
                    observe(FeedEvent::Skipped { body: s.body }, tracker);
                }
                Err(DecodeError::BadAddress) => {
                    stats.malformed += 1;
                    observe(FeedEvent::Skipped { body: s.body }, tracker);
                }
            },
            Err(e) => observe(FeedEvent::Rejected(&e), tracker),
        });
    }
}
