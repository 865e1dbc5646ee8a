//! The crash campaign (`courier-devtools crash-campaign --cycles N --seed S`):
//! two soak workers write to one data directory at once while the campaign
//! SIGKILLs one or both at moments drawn from the seed, cycle after cycle.
//! After every cycle it checks what the evidence must keep:
//! - every event a worker reported as committed is in the log, once, at its seq;
//! - no attempt counter ever goes back, none passes its limit;
//! - no parcel has two deliveries;
//!
//! and at the end of each day: the chain verifies, SQLite is intact, and every
//! spent try reached the log (tries left in flight by killed workers are
//! recorded as interrupted at the next start). A seed replays the same
//! schedule of worker seeds and kill points.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use courier_protocol::vocabulary::{EventKind, Outcome};
use courier_terminal::position_source::NoPosition;
use courier_terminal::storage::{Reads, Store};
use courier_terminal::terminal::verify_log;

use crate::fixture;

/// Options of `crash-campaign`.
#[derive(Debug, Clone, clap::Args)]
pub struct CampaignArgs {
    /// Kill cycles to run.
    #[arg(long, default_value_t = 200)]
    pub cycles: u64,
    /// Seed of the schedule (worker seeds, kill points); printed, so a run can be replayed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Parcels per day (a new day starts when the workers have ended every parcel).
    #[arg(long, default_value_t = 300)]
    pub parcels: usize,
    /// The soak worker binary (default: this binary).
    #[arg(long)]
    pub worker: Option<PathBuf>,
}

/// What a campaign saw.
#[derive(Debug, Default, Clone)]
pub struct CampaignReport {
    /// Cycles run.
    pub cycles: u64,
    /// Workers killed by SIGKILL.
    pub kills: u64,
    /// Commits the workers reported.
    pub commits: u64,
    /// Days (fresh data directories) used.
    pub days: u64,
    /// Events in the logs at the end, all days.
    pub events: u64,
    /// Tries recorded as interrupted at a restart.
    pub interrupted: u64,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Commit {
    seq: u64,
    event_id: String,
    label: String,
    attempts: u32,
}

fn parse(line: &str) -> Option<Commit> {
    let mut it = line.strip_prefix("COMMIT ")?.split(' ');
    Some(Commit {
        seq: it.next()?.parse().ok()?,
        event_id: it.next()?.to_owned(),
        label: it.next()?.to_owned(),
        attempts: it.next()?.parse().ok()?,
    })
}

enum Line {
    Commit(Commit),
    Done,
}

fn spawn_worker(
    worker: &Path,
    day: &fixture::Day,
    seed: u64,
    id: usize,
    tx: mpsc::Sender<(usize, Line)>,
) -> Result<Child> {
    let mut child = Command::new(worker)
        .arg("soak")
        .arg("--data-dir")
        .arg(&day.dir.0)
        .arg("--codes")
        .arg(&day.codes_file)
        .args(["--ops", "1000000", "--seed"])
        .arg(seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start a soak worker")?;
    let out = child.stdout.take().context("worker stdout")?;
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let parsed = if line.starts_with("DONE") {
                Some(Line::Done)
            } else {
                parse(&line).map(Line::Commit)
            };
            if let Some(l) = parsed
                && tx.send((id, l)).is_err()
            {
                break;
            }
        }
    });
    Ok(child)
}

fn attempts(store: &Store) -> Result<HashMap<String, (u32, u32)>> {
    Ok(store
        .parcels()?
        .into_iter()
        .map(|p| (p.spec.label, (p.attempts_spent, p.spec.attempt_limit)))
        .collect())
}

/// Runs the campaign; `Err` names the first violation.
pub fn run(args: &CampaignArgs) -> Result<CampaignReport> {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    println!("crash campaign seed {seed} (replay: --seed {seed})");
    let worker = match &args.worker {
        Some(w) => w.clone(),
        None => std::env::current_exe().context("cannot find this binary")?,
    };
    let mut rng = Rng(seed | 1);
    let mut report = CampaignReport::default();
    let start = Instant::now();
    while report.cycles < args.cycles {
        report.days += 1;
        let day = fixture::day(args.parcels);
        day_campaign(&worker, &day, args.cycles, &mut rng, &mut report)?;
    }
    println!(
        "{} cycles, {} kills, {} commits, {} days, {} events, {} interrupted tries recorded, 0 violations, {:.1} s",
        report.cycles,
        report.kills,
        report.commits,
        report.days,
        report.events,
        report.interrupted,
        start.elapsed().as_secs_f64()
    );
    Ok(report)
}

fn day_campaign(
    worker: &Path,
    day: &fixture::Day,
    cycles: u64,
    rng: &mut Rng,
    report: &mut CampaignReport,
) -> Result<()> {
    let db = day.dir.database();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut before = attempts(&Store::open_read_only(&db)?)?;
    let mut done = false;
    while !done && report.cycles < cycles {
        report.cycles += 1;
        if report.cycles.is_multiple_of(100) {
            println!(
                "cycle {}: {} kills, {} commits so far",
                report.cycles, report.kills, report.commits
            );
        }
        let (tx, rx) = mpsc::channel();
        let mut workers = vec![
            Some(spawn_worker(worker, day, rng.next(), 0, tx.clone())?),
            Some(spawn_worker(worker, day, rng.next(), 1, tx)?),
        ];
        // Kill after a number of commits drawn from the seed, one worker or both.
        let kill_after = 1 + rng.below(40);
        let both = rng.below(3) == 0;
        let victim = rng.below(2) as usize;
        let spin = rng.below(200_000);
        let mut commits = 0;
        let guard = Instant::now() + Duration::from_secs(60);
        while commits < kill_after {
            let Ok((_, line)) = rx.recv_timeout(Duration::from_secs(30)) else {
                break;
            };
            match line {
                Line::Done => {
                    done = true;
                    break;
                }
                Line::Commit(c) => {
                    commits += 1;
                    report.commits += 1;
                    check_commit(&db, &c, &mut seen)?;
                }
            }
            if Instant::now() > guard {
                bail!("cycle {}: the workers made no progress", report.cycles);
            }
        }
        // Land the kill at a point of the next operation drawn from the seed.
        for _ in 0..spin {
            std::hint::spin_loop();
        }
        for (i, w) in workers.iter_mut().enumerate() {
            if (both || i == victim || done)
                && let Some(mut child) = w.take()
            {
                let _ = child.kill();
                if !child.wait()?.success() {
                    report.kills += 1;
                }
            }
        }
        for mut child in workers.into_iter().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // What the surviving or killed workers printed after the kill decision.
        while let Ok((_, line)) = rx.recv_timeout(Duration::from_millis(200)) {
            if let Line::Commit(c) = line {
                report.commits += 1;
                check_commit(&db, &c, &mut seen)?;
            }
        }
        let store = Store::open_read_only(&db)?;
        let now = attempts(&store)?;
        for (label, (spent, limit)) in &now {
            let (was, _) = before.get(label).copied().unwrap_or((0, *limit));
            if *spent < was {
                bail!(
                    "cycle {}: the counter of {label} went back from {was} to {spent}",
                    report.cycles
                );
            }
            if spent > limit {
                bail!(
                    "cycle {}: {label} has {spent} tries spent, limit {limit}",
                    report.cycles
                );
            }
        }
        before = now;
    }
    end_of_day(day, report)
}

fn check_commit(db: &Path, c: &Commit, seen: &mut HashMap<String, u64>) -> Result<()> {
    let store = Store::open_read_only(db)?;
    let e = store.event_by_id(&c.event_id)?.with_context(|| {
        format!(
            "reported event {} of {} is not in the log",
            c.event_id, c.label
        )
    })?;
    if e.body.seq != c.seq {
        bail!(
            "event {} reported at seq {} is at {}",
            c.event_id,
            c.seq,
            e.body.seq
        );
    }
    if seen.insert(c.event_id.clone(), c.seq).is_some() {
        bail!("event {} reported twice", c.event_id);
    }
    let spent = store
        .parcel_by_label(&c.label)?
        .map_or(0, |p| p.attempts_spent);
    if spent < c.attempts {
        bail!(
            "{}: counter {spent} below the reported {}",
            c.label,
            c.attempts
        );
    }
    Ok(())
}

fn end_of_day(day: &fixture::Day, report: &mut CampaignReport) -> Result<()> {
    // A start records the tries the killed workers left in flight.
    let t = fixture::open(&day.dir, Arc::new(NoPosition));
    let key = t.public_key();
    drop(t);
    let store = Store::open_read_only(&day.dir.database())?;
    if store.integrity_check()? != "ok" {
        bail!("SQLite integrity check failed");
    }
    let verified = verify_log(&store, &key).context("the chain does not verify")?;
    report.events += verified.events;
    if !store.tries_in_flight()?.is_empty() {
        bail!("tries still in flight after a start");
    }
    for p in store.parcels()? {
        let events = store.parcel_events(&p.spec.parcel_id)?;
        let delivered = events
            .iter()
            .filter(|e| {
                e.body.kind == EventKind::Outcome && e.body.outcome == Some(Outcome::Delivered)
            })
            .count();
        if delivered > 1 {
            bail!("{} delivered {delivered} times", p.spec.label);
        }
        let recorded: BTreeSet<u32> = events
            .iter()
            .filter_map(|e| e.body.verification.as_ref())
            .filter(|v| v.attempt > 0)
            .map(|v| v.attempt)
            .collect();
        report.interrupted += events
            .iter()
            .filter_map(|e| e.body.verification.as_ref())
            .filter(|v| v.result == courier_protocol::vocabulary::CheckResult::Interrupted)
            .count() as u64;
        let expected: BTreeSet<u32> = (1..=p.attempts_spent).collect();
        if recorded != expected {
            bail!(
                "{}: {} tries spent, the log records tries {:?}",
                p.spec.label,
                p.attempts_spent,
                recorded
            );
        }
    }
    Ok(())
}
