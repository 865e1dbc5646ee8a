//! The byte-to-fix pipeline shared by the serial reader, the capture check and
//! tests: framer, decoder and tracker in one place, with counters.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::fix_tracker::FixTracker;
use crate::nmea_decode::{DecodeError, NmeaDecoder};
use crate::nmea_framing::{FrameError, FramerConfig, NmeaFramer};
use crate::nmea_sentences::Decoded;
use crate::year_window::YearWindow;

/// Counts one more under `key` in a map of at most 64 keys.
fn bump(map: &mut BTreeMap<String, u64>, key: String) {
    let n = map.len();
    if let Some(c) = map.get_mut(&key) {
        *c += 1;
    } else if n < 64 {
        map.insert(key, 1);
    }
}

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
    /// Well-formed sentences ignored because a field holds a value no
    /// receiver can produce (out of range, not a calendar date, a year
    /// outside the accepted window...).
    pub out_of_range: u64,
    /// The same, by sentence and field (e.g. `GGA altitude`, `ZDA year`).
    pub out_of_range_by_field: BTreeMap<String, u64>,
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
    /// A good sentence ignored because a value in it is implausible.
    Implausible {
        /// Sentence body.
        body: &'a str,
        /// Why, e.g. `GGA altitude: altitude outside -500 m .. 10 km; sentence ignored`.
        reason: &'a str,
    },
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

    /// The same pipeline accepting receiver dates in `years` (e.g.
    /// [`YearWindow::historic`] to replay old captures).
    pub fn with_years(mut self, years: YearWindow) -> Self {
        self.tracker = FixTracker::with_years(years);
        self
    }

    /// The same pipeline judging continuity with `limits`.
    pub fn with_limits(mut self, limits: crate::fix_continuity::ContinuityLimits) -> Self {
        self.tracker = std::mem::take(&mut self.tracker).with_limits(limits);
        self
    }

    /// The terminal's trusted clock reads `unix_ms` (see [`FixTracker::note_trusted_time`]).
    pub fn note_trusted_time(&mut self, unix_ms: i64) {
        self.tracker.note_trusted_time(unix_ms);
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

    /// Note a (re)connect of the link; drops any partial sentence. A
    /// documented reset: the receiver's stream starts over
    /// ([`FixTracker::restart_stream`]).
    pub fn note_connect(&mut self) {
        self.stats.connects += 1;
        self.framer.reset();
        self.tracker.restart_stream();
    }

    /// Feed bytes received at system time `now_ms` (no monotonic clock: a
    /// recording or a test).
    pub fn push(&mut self, data: &[u8], now_ms: i64) {
        self.push_observed(data, now_ms, None, &mut |_, _| {});
    }

    /// Feed bytes received at system time `now_ms` and device monotonic
    /// time `mono_ms` (GNSS time is then judged against it).
    pub fn push_at(&mut self, data: &[u8], now_ms: i64, mono_ms: i64) {
        self.push_observed(data, now_ms, Some(mono_ms), &mut |_, _| {});
    }

    /// Feed bytes; `observe` sees every framed unit and the tracker after it.
    pub fn push_observed(
        &mut self,
        data: &[u8],
        now_ms: i64,
        mono_ms: Option<i64>,
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
                Ok(d) => match tracker.observe_at(&d, now_ms, mono_ms) {
                    Ok(()) => {
                        stats.decoded += 1;
                        observe(
                            FeedEvent::Decoded {
                                body: s.body,
                                decoded: &d,
                            },
                            tracker,
                        );
                    }
                    Err(e) => {
                        stats.out_of_range += 1;
                        let kind = s.body.get(2..5).unwrap_or_default();
                        bump(&mut stats.out_of_range_by_field, format!("{kind} year"));
                        let reason = format!("{kind} {e}");
                        tracing::debug!(%reason, "GNSS sentence ignored");
                        observe(
                            FeedEvent::Implausible {
                                body: s.body,
                                reason: &reason,
                            },
                            tracker,
                        );
                    }
                },
                Err(DecodeError::Skipped(kind)) => {
                    stats.skipped += 1;
                    bump(&mut stats.skipped_by_type, kind);
                    observe(FeedEvent::Skipped { body: s.body }, tracker);
                }
                Err(DecodeError::BadAddress) => {
                    stats.malformed += 1;
                    observe(FeedEvent::Skipped { body: s.body }, tracker);
                }
                Err(e @ DecodeError::Implausible { .. }) => {
                    stats.out_of_range += 1;
                    if let Some(key) = e.implausible_key() {
                        bump(&mut stats.out_of_range_by_field, key);
                    }
                    let reason = e.to_string();
                    tracing::debug!(%reason, "GNSS sentence ignored");
                    observe(
                        FeedEvent::Implausible {
                            body: s.body,
                            reason: &reason,
                        },
                        tracker,
                    );
                }
            },
            Err(e) => observe(FeedEvent::Rejected(&e), tracker),
        });
    }
}
