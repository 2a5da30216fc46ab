//! Speed of the cascade step and of a whole tick on a national-scale graph.
//!
//! `cargo bench -p cascade-engine --bench cascade` — results in docs/performance.md.
//! A measurement only: it asserts that what it times is right, and never
//! touches a journal or a file.
//!
//! On two 100,000-asset graphs — `national_100k`, the synthetic graph of
//! `cascade_engine::synthetic` (300,000 dependencies, a third of the assets with
//! a two-provider redundancy group, a quarter of the dependencies with
//! buffers), and `country_100k`, `cascade gen`'s country of that size (286,839
//! dependencies) — it times:
//! - `engine_step`: `CascadeGraph::step`, the engine's CSR walk (what the
//!   cascade system of every tick runs), in three states of the graph (`calm`,
//!   `degraded`, `ticking`: see `step_benches`);
//! - `flat_baseline`: the fastest plain implementation of the same rule we could
//!   write, independent of the engine's code: CSR rows in parallel arrays
//!   (dependencies of each asset contiguous, alternatives of a group adjacent),
//!   one loop, no allocation, no hashing, in the same three states. The engine
//!   must stay within 1.5x of it;
//! - `full_tick` (national graph): `Simulation::step`, i.e. the ECS schedule
//!   with disruptions, cascade, service metrics and the state hash.
//!
//! Before timing a graph, the engine and the baseline are run `CHECK_TICKS`
//! ticks from the same start, double-buffered, with disruptions, repairs and
//! caps, and must agree on every level and every outage counter at every tick.

use std::hint::black_box;
use std::sync::Arc;

use cascade_engine::cascade::CascadeGraph;
use cascade_engine::synthetic::{self, Gen};
use cascade_engine::{Model, Simulation};
use criterion::{Criterion, criterion_group, criterion_main};

mod flat;
use flat::{Flat, check_agreement};

const ASSETS: usize = 100_000;

fn national_graph() -> Model {
    cascade_engine::validate::validate(synthetic::national_graph(ASSETS)).expect("bench graph is valid")
}

/// Times the engine's step and the baseline on `model`, after checking that
/// they agree:
/// - `degraded/…`: every iteration computes a tick from the same levels, 10% of
///   the assets at a random level (so about 6% of the dependencies are below
///   their threshold, unpredictably), the outage counters advancing as in a
///   long outage;
/// - `ticking/…`: every iteration is the next tick, double-buffered, from the
///   graph's start with 1% of the assets at integrity 0 (after the warm-up the
///   cascade has settled: what most ticks of a long exercise look like);
/// - `calm/…`: every level, integrity and cap at 1000 (every dependency above
///   its threshold): the cheapest tick there is;
/// - `degraded/floor_min_of_providers` (national graph only): not the rule,
///   only the minimum of each asset's providers' levels — the cost of reading
///   the rows and gathering the levels, which no implementation avoids.
fn step_benches(c: &mut Criterion, name: &str, model: &Model, floor: bool) {
    let n = model.assets.len();
    let mut g = Gen(7);
    let previous: Vec<u16> = (0..n).map(|_| if g.below(10) == 0 { g.below(1001) as u16 } else { 1000 }).collect();
    let integrity = vec![1000u16; n];
    let cap = vec![1000u16; n];

    let graph = CascadeGraph::build(model);
    let flat = Flat::new(model);
    check_agreement(model, &graph, &flat, &previous);

    let mut outage = vec![0u32; graph.dependency_count()];
    let mut level = vec![0u16; n];
    c.bench_function(&format!("{name}/degraded/engine_step"), |b| {
        b.iter(|| graph.step(black_box(&previous), &integrity, &cap, &mut outage, &mut level))
    });
    let mut flat_outage = vec![0u32; flat.on.len()];
    let mut flat_level = vec![0u16; n];
    c.bench_function(&format!("{name}/degraded/flat_baseline"), |b| {
        b.iter(|| flat.step(black_box(&previous), &integrity, &cap, &mut flat_outage, &mut flat_level))
    });
    if floor {
        c.bench_function(&format!("{name}/degraded/floor_min_of_providers"), |b| {
            b.iter(|| {
                for (a, out) in flat_level.iter_mut().enumerate() {
                    let rows = flat.start[a] as usize..flat.start[a + 1] as usize;
                    *out = flat.on[rows].iter().fold(integrity[a].min(cap[a]), |v, &p| v.min(previous[p as usize]));
                }
                black_box(&flat_level);
            })
        });
    }

    let full = vec![1000u16; n];
    let mut outage = vec![0u32; graph.dependency_count()];
    c.bench_function(&format!("{name}/calm/engine_step"), |b| {
        b.iter(|| graph.step(black_box(&full), &full, &full, &mut outage, &mut level))
    });
    let mut flat_outage = vec![0u32; flat.on.len()];
    c.bench_function(&format!("{name}/calm/flat_baseline"), |b| {
        b.iter(|| flat.step(black_box(&full), &full, &full, &mut flat_outage, &mut flat_level))
    });

    let mut down = vec![1000u16; n];
    for _ in 0..n / 100 {
        down[g.below(n)] = 0;
    }
    let (mut prev, mut level) = (vec![1000u16; n], vec![0u16; n]);
    let mut outage = vec![0u32; graph.dependency_count()];
    c.bench_function(&format!("{name}/ticking/engine_step"), |b| {
        b.iter(|| {
            graph.step(black_box(&prev), &down, &cap, &mut outage, &mut level);
            std::mem::swap(&mut prev, &mut level);
        })
    });
    let (mut prev, mut level) = (vec![1000u16; n], vec![0u16; n]);
    let mut flat_outage = vec![0u32; flat.on.len()];
    c.bench_function(&format!("{name}/ticking/flat_baseline"), |b| {
        b.iter(|| {
            flat.step(black_box(&prev), &down, &cap, &mut flat_outage, &mut level);
            std::mem::swap(&mut prev, &mut level);
        })
    });
}

fn bench(c: &mut Criterion) {
    let model = national_graph();
    step_benches(c, "national_100k", &model, true);
    // `cascade gen`'s country of the same size: hubs and regional nodes shared
    // by many dependants, groups of two hubs, cycles, uneven fan-in.
    let country = synthetic::country::Country::generate(&synthetic::country::Params::new(ASSETS as u32, 0, 1))
        .expect("bench country parameters are valid")
        .to_scenario();
    let country = cascade_engine::validate::validate(country).expect("generated country is valid");
    step_benches(c, "country_100k", &country, false);

    let mut sim = Simulation::new(Arc::new(model), 1);
    c.bench_function("national_100k/full_tick", |b| b.iter(|| sim.step()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
