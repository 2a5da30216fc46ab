//! How instant the replay viewer's seek is on a full day of the Luxembourg
//! exercise (480 ticks, 100 assets, 41 teams with their bots).
//!
//! `cargo bench -p cascade-replay --bench seek` — results in docs/performance.md.
//!
//! - `open`: re-simulate and check the whole journal, keeping snapshots (once,
//!   when `cascade replay` starts);
//! - `seek_far`: a seek to a tick far from the current one (restore a snapshot,
//!   step at most `interval - 1` ticks), cycling through the day;
//! - `step_back`: one tick back (a restore and up to `interval - 1` steps);
//! - `seek_and_view`: what the console does per key: a seek plus the engine's
//!   director view of the tick.
//!
//! Then the same seeks on a national-scale recording: the synthetic
//! 100,000-asset graph of `cascade_engine::synthetic` for 480 ticks
//! (`national_100k/…`).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use cascade_engine::view::director_view;
use cascade_engine::{Simulation, load_model};
use cascade_replay::player::SNAPSHOT_BUDGET_BYTES;
use cascade_replay::{Header, JournalWriter, Player, Replay, read_journal};
use criterion::{Criterion, criterion_group, criterion_main};

/// Luxembourg's full day, bots only, as a journal in `dir`.
fn record(dir: &Path) -> std::path::PathBuf {
    let model = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/luxembourg.ron")).unwrap();
    record_model(dir.join("lux.jsonl"), model)
}

fn record_model(path: std::path::PathBuf, model: cascade_engine::Model) -> std::path::PathBuf {
    let header = Header::new(&model.scenario, model.scenario.seed, "2026-03-10T07:00:00Z".into()).unwrap();
    let mut writer = JournalWriter::create(&path, &header).unwrap();
    let seed = model.scenario.seed;
    let mut sim = Simulation::new(Arc::new(model), seed);
    writer.append_checkpoint(0, &sim.state_hash()).unwrap();
    while sim.step() {
        writer.append_checkpoint(sim.tick(), &sim.state_hash()).unwrap();
    }
    writer.sync().unwrap();
    path
}

fn open(path: &Path) -> Player {
    let replay = Replay::new(read_journal(path).unwrap()).unwrap();
    Player::open(replay, SNAPSHOT_BUDGET_BYTES, |_| {}).unwrap()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = record(dir.path());
    c.bench_function("open", |b| b.iter(|| black_box(open(&path))));
    let mut player = open(&path);
    let last = player.last_tick();
    // Ticks spread over the day, never two neighbours in a row.
    let targets: Vec<u64> = (0..64).map(|i| (i * 197 + 31) % (last + 1)).collect();
    let mut i = 0;
    c.bench_function("seek_far", |b| {
        b.iter(|| {
            i = (i + 1) % targets.len();
            player.seek(black_box(targets[i]));
        })
    });
    c.bench_function("step_back", |b| {
        b.iter(|| {
            // From the tick after a snapshot's last step back to it: the worst case.
            player.seek(last - 1);
            player.seek(black_box(last - 2));
        })
    });
    c.bench_function("seek_and_view", |b| {
        b.iter(|| {
            i = (i + 1) % targets.len();
            player.seek(targets[i]);
            black_box(director_view(player.sim(), 0));
        })
    });
}

/// 480 ticks of the 100,000-asset synthetic graph.
fn bench_national(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = cascade_engine::synthetic::national_graph(100_000);
    scenario.duration_ticks = 480;
    let model = cascade_engine::validate::validate(scenario).unwrap();
    let path = record_model(dir.path().join("national.jsonl"), model);
    let mut group = c.benchmark_group("national_100k");
    group.sample_size(10);
    let started = std::time::Instant::now();
    let mut player = open(&path);
    let (count, bytes) = player.snapshots();
    eprintln!(
        "national_100k: opened in {:.2?}: {count} snapshots, {} MiB, one every {} ticks",
        started.elapsed(),
        bytes >> 20,
        player.interval()
    );
    let last = player.last_tick();
    let targets: Vec<u64> = (0..64).map(|i| (i * 197 + 31) % (last + 1)).collect();
    let mut i = 0;
    group.bench_function("seek_far", |b| {
        b.iter(|| {
            i = (i + 1) % targets.len();
            player.seek(black_box(targets[i]));
        })
    });
    let worst = last - last % player.interval() - 1;
    group.bench_function("step_back_worst", |b| {
        b.iter(|| {
            // One tick before a snapshot: a restore and interval - 1 steps.
            player.seek(worst + 1);
            player.seek(black_box(worst));
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_national);
criterion_main!(benches);
