//! Crash-test worker (`courier-devtools soak`): code validations and attempts
//! in a loop, printing one line per committed event so a test can kill it at any
//! moment and check that nothing reported was lost.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use courier_protocol::vocabulary::{Outcome, Reason};

use courier_terminal::clock::SystemClock;
use courier_terminal::domain::code_check::CodeVerdict;
use courier_terminal::domain::parcel::DisplayState;
use courier_terminal::position_source::NoPosition;
use courier_terminal::terminal::{CodeEntry, DataDir, Terminal, TerminalError};

use crate::sample_day::SampleCode;

/// A small deterministic generator (xorshift64*); not for secrets.
struct Prng(u64);

impl Prng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Options of `soak`.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// Data directory of the terminal under test.
    #[arg(long)]
    pub data_dir: PathBuf,
    /// Codes file from sample-manifest.
    #[arg(long)]
    pub codes: PathBuf,
    /// Operations to perform.
    #[arg(long)]
    pub ops: u64,
    /// Random seed.
    #[arg(long)]
    pub seed: u64,
}

/// Runs `ops` operations; returns exit code 0 when done or when no parcel is left.
///
/// Several workers may run on one data directory at once: a refusal caused by
/// another writer (already delivered, locked meanwhile) is printed and skipped.
pub fn run(args: &SoakArgs) -> Result<u8> {
    let dir = DataDir(args.data_dir.clone());
    let (codes, ops, seed) = (&args.codes, args.ops, args.seed);
    let text = std::fs::read_to_string(codes)
        .with_context(|| format!("cannot read {}", codes.display()))?;
    let codes: Vec<SampleCode> =
        serde_json::from_str(&text).context("codes file is not valid JSON")?;
    let by_label: HashMap<&str, &SampleCode> =
        codes.iter().map(|c| (c.label.as_str(), c)).collect();
    let mut t = Terminal::open(&dir, Arc::new(SystemClock::new()), Arc::new(NoPosition))?;
    let mut rng = Prng(seed | 1);
    let out = std::io::stdout();
    for _ in 0..ops {
        let open: Vec<_> = t
            .parcels()?
            .into_iter()
            .filter(|p| {
                matches!(
                    p.display_state(),
                    DisplayState::ToDo | DisplayState::AtDoor | DisplayState::Locked
                )
            })
            .filter(|p| p.spec.collect.is_none())
            .filter(|p| {
                by_label.get(p.spec.label.as_str()).is_some_and(|c| {
                    c.policy == courier_protocol::vocabulary::CodePolicy::OfflineAllowed
                })
            })
            .collect();
        let Some(p) = open.get(rng.below(open.len() as u64) as usize) else {
            writeln!(out.lock(), "DONE no parcel left")?;
            return Ok(0);
        };
        let label = p.spec.label.clone();
        let event = if p.is_locked() {
            match t.record_outcome(
                &label,
                Outcome::NoCode,
                Some(Reason::AttemptsExhausted),
                None,
            ) {
                Ok(e) => e,
                Err(TerminalError::Refused(r)) => {
                    writeln!(out.lock(), "REFUSED {label} {r}")?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        } else {
            let right = by_label
                .get(label.as_str())
                .map(|c| c.numeric.clone())
                .unwrap_or_default();
            let code = if rng.below(4) == 0 {
                right
            } else {
                let mut wrong = format!("{:06}", rng.below(1_000_000));
                if wrong == right {
                    wrong = format!(
                        "{:06}",
                        (rng.below(999_999) + 1 + right.parse::<u64>().unwrap_or(0)) % 1_000_000
                    );
                }
                wrong
            };
            let answer = match t.submit_code(&label, CodeEntry::Keypad(&code)) {
                Ok(a) => a,
                Err(TerminalError::Refused(r)) => {
                    writeln!(out.lock(), "REFUSED {label} {r}")?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            if answer.verdict == CodeVerdict::Delivered {
                writeln!(out.lock(), "DELIVERED {label}")?;
            }
            answer.event
        };
        let attempts = t.parcel(&label)?.attempts_spent;
        let mut o = out.lock();
        writeln!(
            o,
            "COMMIT {} {} {} {}",
            event.body.seq, event.body.event_id, label, attempts
        )?;
        o.flush()?;
    }
    Ok(0)
}
