//! Sentences decoded per second over the corpus, and CPU time per hour of a
//! 1 Hz, 10-sentence-per-second stream.

use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use firmware_bridge::{GnssFeed, YearWindow};

/// The corpus is a recording: judge its dates as the capture check does.
fn feed() -> GnssFeed {
    GnssFeed::default().with_years(YearWindow::historic())
}

fn corpus() -> Vec<u8> {
    let dir = match std::env::var_os("NMEA_CORPUS") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/nmea-corpus/gpsd"),
    };
    let mut all = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "log"))
        {
            if let Ok(b) = std::fs::read(p) {
                all.extend(b);
            }
        }
    }
    all
}

fn bench(c: &mut Criterion) {
    let data = corpus();
    if data.is_empty() {
        eprintln!("SKIPPED: no corpus");
        return;
    }
    let mut probe = feed();
    probe.push(&data, 0);
    let sentences = probe.stats().sentences;
    let mut g = c.benchmark_group("nmea");
    g.throughput(Throughput::Elements(sentences));
    g.bench_function("corpus_frame_decode_track", |b| {
        b.iter(|| {
            let mut f = feed();
            f.push(std::hint::black_box(&data), 0);
            f.stats().sentences
        })
    });
    g.finish();
    // One hour at 10 sentences/s = 36 000 sentences: time it directly.
    let per_sentence = {
        let t = Instant::now();
        let mut f = feed();
        let mut n = 0u64;
        while n < 36_000 {
            f.push(&data, 0);
            n = f.stats().sentences;
        }
        t.elapsed().as_secs_f64() / n as f64
    };
    println!(
        "corpus: {sentences} sentences; {:.0} sentences/s; CPU per hour of a 10-sentence/s stream: {:.1} ms",
        1.0 / per_sentence,
        per_sentence * 36_000.0 * 1000.0
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
