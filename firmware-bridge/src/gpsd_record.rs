//! gpsd's record of a capture (a `.chk` file): every input sentence echoed,
//! followed by the JSON reports gpsd emitted after it. Read whole
//! ([`parse_chk`], small files) or lazily with bounded memory
//! ([`ChkStream`], any size).

use std::collections::VecDeque;
use std::io::BufRead;

use serde::Serialize;

/// How far ahead in the `.chk` an echo is searched for.
pub const ALIGN_LOOKAHEAD: usize = 400;

/// Longest `.chk` line kept (longer ones are skipped and counted).
pub const MAX_CHK_LINE: usize = 64 * 1024;

/// One gpsd TPV report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpsdTpv {
    /// gpsd mode: 0/1 no fix, 2 2D, 3 3D.
    pub mode: u8,
    /// gpsd status, when reported (2 DGPS, 7 surveyed/manual, 8 simulated...).
    pub status: Option<u8>,
    /// Time, unix ms.
    pub time_ms: Option<i64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
}

/// An echoed input line with the TPV reports gpsd emitted after it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChkEntry {
    /// Sentence body as echoed (no `$`, no checksum).
    pub echo: String,
    /// TPV reports that followed it.
    pub tpvs: Vec<GpsdTpv>,
}

/// Parse an ISO 8601 UTC time as gpsd prints it (`2001-06-06T22:53:08.000Z`).
/// `None` for anything that is not a real time; never overflows.
pub fn parse_iso_ms(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-');
    let year: i32 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let date = crate::nmea_fields::calendar_date(year, month, day).ok()?;
    let mut t = time.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let m: i64 = t.next()?.parse().ok()?;
    let sec: f64 = t.next()?.parse().ok()?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) || !(0.0..61.0).contains(&sec) {
        return None;
    }
    date.days_since_epoch()
        .checked_mul(86_400_000)?
        .checked_add((h * 3600 + m * 60) * 1000)?
        .checked_add((sec * 1000.0).round() as i64)
}

fn sentence_body(line: &str) -> &str {
    let l = line.trim_end();
    let l = l.strip_prefix(['$', '!']).unwrap_or(l);
    match l.rfind('*') {
        Some(i) if l.len() - i <= 3 => &l[..i],
        _ => l,
    }
}

/// What one `.chk` line is.
enum ChkLine {
    /// An echoed input sentence: a new entry.
    Echo(String),
    /// A TPV report, for the current entry.
    Tpv(GpsdTpv),
    /// Anything else (other reports, comments, blank).
    Other,
}

fn classify_chk_line(line: &str) -> ChkLine {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.starts_with('{') {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            return ChkLine::Other;
        };
        if v.get("class").and_then(|c| c.as_str()) != Some("TPV") {
            return ChkLine::Other;
        }
        ChkLine::Tpv(GpsdTpv {
            mode: v
                .get("mode")
                .and_then(|m| m.as_u64())
                .and_then(|m| u8::try_from(m).ok())
                .unwrap_or(0),
            status: v
                .get("status")
                .and_then(|m| m.as_u64())
                .and_then(|m| u8::try_from(m).ok()),
            time_ms: v
                .get("time")
                .and_then(|t| t.as_str())
                .and_then(parse_iso_ms),
            lat: v.get("lat").and_then(|x| x.as_f64()),
            lon: v.get("lon").and_then(|x| x.as_f64()),
        })
    } else if !line.is_empty() && !line.starts_with('#') {
        ChkLine::Echo(sentence_body(line).to_string())
    } else {
        ChkLine::Other
    }
}

/// Parse a whole gpsd `.chk` text (small files, tests).
pub fn parse_chk(text: &str) -> Vec<ChkEntry> {
    let mut out: Vec<ChkEntry> = Vec::new();
    for line in text.lines() {
        match classify_chk_line(line) {
            ChkLine::Echo(echo) => out.push(ChkEntry {
                echo,
                tpvs: Vec::new(),
            }),
            ChkLine::Tpv(tpv) => {
                if let Some(last) = out.last_mut() {
                    last.tpvs.push(tpv);
                }
            }
            ChkLine::Other => {}
        }
    }
    out
}

/// Read one line of at most `cap` bytes into `buf` (the rest of a longer
/// line is consumed and dropped). `None` at the end; `Some(true)` when the
/// line was cut.
fn read_line_capped<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut any = false;
    let mut cut = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(any.then_some(cut));
        }
        any = true;
        let (chunk, used, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (&avail[..i], i + 1, true),
            None => (avail, avail.len(), false),
        };
        let room = cap.saturating_sub(buf.len());
        if chunk.len() > room {
            cut = true;
        }
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        r.consume(used);
        if done {
            return Ok(Some(cut));
        }
    }
}

/// gpsd's `.chk` record read lazily: at most [`ALIGN_LOOKAHEAD`] entries
/// (plus the one being read) are held, whatever the file's size.
pub struct ChkStream<R> {
    reader: R,
    window: VecDeque<ChkEntry>,
    pending: Option<ChkEntry>,
    eof: bool,
    line: Vec<u8>,
    /// TPV reports read so far.
    pub tpv_reports: u64,
    /// Lines longer than [`MAX_CHK_LINE`], skipped.
    pub long_lines: u64,
}

impl<R: BufRead> ChkStream<R> {
    /// A record read from `reader`.
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            window: VecDeque::new(),
            pending: None,
            eof: false,
            line: Vec::new(),
            tpv_reports: 0,
            long_lines: 0,
        }
    }

    /// Read until `want` complete entries are held or the file ends.
    fn fill(&mut self, want: usize) -> std::io::Result<()> {
        while self.window.len() < want && !self.eof {
            match read_line_capped(&mut self.reader, &mut self.line, MAX_CHK_LINE)? {
                None => {
                    self.eof = true;
                    self.window.extend(self.pending.take());
                }
                Some(true) => self.long_lines += 1,
                Some(false) => match classify_chk_line(&String::from_utf8_lossy(&self.line)) {
                    ChkLine::Echo(echo) => {
                        self.window.extend(self.pending.take());
                        self.pending = Some(ChkEntry {
                            echo,
                            tpvs: Vec::new(),
                        });
                    }
                    ChkLine::Tpv(tpv) => {
                        if let Some(p) = &mut self.pending {
                            self.tpv_reports += 1;
                            p.tpvs.push(tpv);
                        }
                    }
                    ChkLine::Other => {}
                },
            }
        }
        Ok(())
    }

    /// The entry echoing `body` within the look-ahead; entries before it
    /// are dropped (gpsd saw input we did not align).
    pub fn align(&mut self, body: &str) -> std::io::Result<Option<ChkEntry>> {
        self.fill(ALIGN_LOOKAHEAD)?;
        let Some(j) = self.window.iter().position(|e| e.echo == body) else {
            return Ok(None);
        };
        self.window.drain(..j);
        Ok(self.window.pop_front())
    }

    /// Read to the end, counting the reports never aligned.
    pub fn drain(&mut self) -> std::io::Result<()> {
        while !self.eof {
            self.window.clear();
            self.fill(ALIGN_LOOKAHEAD)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_time() {
        assert_eq!(
            parse_iso_ms("2001-06-06T22:53:08.000Z"),
            Some(991_867_988_000)
        );
        assert_eq!(parse_iso_ms("1970-01-01T00:00:01.5Z"), Some(1500));
    }

    #[test]
    fn iso_time_with_a_huge_year_is_none_not_an_overflow() {
        assert_eq!(parse_iso_ms("2147483647-12-31T23:59:59.000Z"), None);
        assert_eq!(parse_iso_ms("-2147483648-01-01T00:00:00.000Z"), None);
        assert_eq!(parse_iso_ms("2026-02-31T00:00:00.000Z"), None);
        assert_eq!(parse_iso_ms("2026-01-01T99:00:00.000Z"), None);
    }

    #[test]
    fn chk_parse_attaches_reports_to_echo() {
        let chk = "$GPRMC,1*00\n{\"class\":\"TPV\",\"mode\":2,\"lat\":1.5,\"lon\":2.5}\n{\"class\":\"SKY\"}\n$GPGSV,2*11\n";
        let e = parse_chk(chk);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].echo, "GPRMC,1");
        assert_eq!(e[0].tpvs.len(), 1);
        assert_eq!(e[0].tpvs[0].lat, Some(1.5));
        assert!(e[1].tpvs.is_empty());
    }
    #[test]
    fn chk_stream_aligns_with_bounded_look_ahead_and_counts_reports() {
        let mut chk = String::new();
        for i in 0..1000 {
            chk.push_str(&format!(
                "$GPXXX,{i}*00\n{{\"class\":\"TPV\",\"mode\":1}}\n"
            ));
        }
        let mut s = ChkStream::new(chk.as_bytes());
        let e = s.align("GPXXX,5").expect("read").expect("found");
        assert_eq!(e.tpvs.len(), 1);
        assert!(s.window.len() <= ALIGN_LOOKAHEAD);
        // Beyond the look-ahead: not found, nothing consumed.
        assert!(s.align("GPXXX,900").expect("read").is_none());
        s.drain().expect("read");
        assert_eq!(s.tpv_reports, 1000);
    }

    #[test]
    fn chk_lines_longer_than_the_cap_are_skipped_and_counted() {
        let long = format!(
            "{{\"class\":\"SKY\",\"x\":\"{}\"}}\n",
            "a".repeat(MAX_CHK_LINE * 2)
        );
        let chk = format!("$GPRMC,1*00\n{long}{{\"class\":\"TPV\",\"mode\":2}}\n");
        let mut s = ChkStream::new(chk.as_bytes());
        let e = s.align("GPRMC,1").expect("read").expect("found");
        assert_eq!(e.tpvs.len(), 1);
        assert_eq!(s.long_lines, 1);
    }
}
