//! How the engine's costs grow with the country: one row per scenario file.
//!
//! `cargo bench -p cascade-engine --bench scale -- FILE…` prints, per file, a
//! tab-separated row: assets, dependencies, teams, load (read, parse,
//! validate), the cascade step, the flat baseline's step, the full tick of the
//! bare graph (the exercise removed: disruptions, cascade, metrics, state
//! hash) and the mean tick of the whole exercise with its bots over its first
//! `EXERCISE_TICKS` ticks. `scripts/scale-table` runs it over generated
//! countries of 1k–1M assets and adds peak memory from the real binary; the
//! table is in docs/performance.md.
//!
//! A measurement only: before timing a graph it checks that the engine's step
//! and the baseline agree on every level and counter (`flat::check_agreement`).
//! Times are medians of repeated runs with `std::time::Instant`, so that one
//! file's row costs seconds, not criterion's minutes.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cascade_engine::cascade::CascadeGraph;
use cascade_engine::synthetic::Gen;
use cascade_engine::{Model, Simulation};

mod flat;
use flat::{Flat, check_agreement};

/// Ticks of the whole exercise timed per file (from tick 0, where a day's
/// incidents start spreading).
const EXERCISE_TICKS: u64 = 200;
/// Each timed operation repeats until this much time has passed (and at least
/// `MIN_RUNS` times); the row reports the median.
const BUDGET: Duration = Duration::from_secs(2);
const MIN_RUNS: usize = 7;

fn main() {
    // `cargo bench` passes `--bench` (and criterion's flags) to every target.
    let files: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    if files.is_empty() {
        eprintln!(
            "usage: cargo bench -p cascade-engine --bench scale -- FILE…  (scenario files, e.g. from `cascade gen`)"
        );
        return;
    }
    println!("file\tassets\tdependencies\tteams\tload_ms\tstep_ms\tbaseline_ms\tfull_tick_ms\texercise_tick_ms");
    for file in files {
        if let Err(message) = row(Path::new(&file)) {
            eprintln!("{file}: {message}");
            std::process::exit(1);
        }
    }
}

fn row(path: &Path) -> Result<(), String> {
    let started = Instant::now();
    let model = cascade_engine::load::load_model(path).map_err(|e| e.to_string())?;
    let load = started.elapsed();
    let n = model.assets.len();

    let graph = CascadeGraph::build(&model);
    let flat = Flat::new(&model);
    let mut g = Gen(7);
    let start: Vec<u16> = (0..n).map(|_| if g.below(10) == 0 { g.below(1001) as u16 } else { 1000 }).collect();
    check_agreement(&model, &graph, &flat, &start);

    // The `ticking` state of the cascade bench: 1% of the assets down, every
    // iteration the next tick, double-buffered.
    let mut down = vec![1000u16; n];
    for _ in 0..n / 100 {
        down[g.below(n)] = 0;
    }
    let cap = vec![1000u16; n];
    let (mut prev, mut level) = (vec![1000u16; n], vec![0u16; n]);
    let mut outage = vec![0u32; graph.dependency_count()];
    let step = median(|| {
        graph.step(black_box(&prev), &down, &cap, &mut outage, &mut level);
        std::mem::swap(&mut prev, &mut level);
    });
    let (mut prev, mut level) = (vec![1000u16; n], vec![0u16; n]);
    let mut outage = vec![0u32; flat.on.len()];
    let baseline = median(|| {
        flat.step(black_box(&prev), &down, &cap, &mut outage, &mut level);
        std::mem::swap(&mut prev, &mut level);
    });

    let bare = bare_graph(&model)?;
    let mut sim = Simulation::new(Arc::new(bare), 1);
    let full_tick = median(|| {
        if !sim.step() {
            sim = Simulation::new(Arc::new(bare_graph(&model).expect("validated once")), 1);
        }
    });

    let teams = model.scenario.teams.len();
    let seed = model.scenario.seed;
    let ticks = EXERCISE_TICKS.min(model.scenario.duration_ticks);
    let mut sim = Simulation::new(Arc::new(model), seed);
    let started = Instant::now();
    for _ in 0..ticks {
        sim.step();
    }
    let exercise_tick = started.elapsed() / ticks.max(1) as u32;

    println!(
        "{}\t{n}\t{}\t{teams}\t{:.0}\t{:.3}\t{:.3}\t{:.3}\t{:.3}",
        path.display(),
        graph.dependency_count(),
        ms(load),
        ms(step),
        ms(baseline),
        ms(full_tick),
        ms(exercise_tick),
    );
    Ok(())
}

/// The scenario's graph and disruptions with the exercise taken out (no teams,
/// incidents, injects, regimes, objectives), for timing the bare tick.
fn bare_graph(model: &Model) -> Result<Model, String> {
    let mut scenario = model.scenario.clone();
    scenario.teams.clear();
    scenario.incidents.clear();
    scenario.injects.clear();
    scenario.regimes.clear();
    scenario.objectives.clear();
    cascade_engine::validate::validate(scenario)
        .map_err(|problems| format!("without its exercise the graph does not validate: {problems:?}"))
}

/// The median duration of `f` over at least `MIN_RUNS` runs filling `BUDGET`,
/// after one warm-up run.
fn median(mut f: impl FnMut()) -> Duration {
    f();
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < MIN_RUNS || started.elapsed() < BUDGET {
        let t = Instant::now();
        f();
        times.push(t.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
