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

const ASSETS: usize = 100_000;
/// Ticks of the agreement check: past the longest buffer (59) of the graph.
const CHECK_TICKS: u64 = 80;

fn national_graph() -> Model {
    cascade_engine::validate::validate(synthetic::national_graph(ASSETS)).expect("bench graph is valid")
}

/// The rule over parallel arrays in CSR order, written for speed and nothing else.
struct Flat {
    /// Rows of asset `a` are `start[a]..start[a + 1]`.
    start: Vec<u32>,
    on: Vec<u32>,
    threshold: Vec<u16>,
    weight: Vec<u16>,
    buffer: Vec<u32>,
    /// True when the row is an alternative of the row before it (same group).
    joins: Vec<bool>,
    /// Row → the dependency's stable index (for comparing outage counters).
    stable: Vec<u32>,
}

impl Flat {
    fn new(model: &Model) -> Self {
        let n = model.assets.len();
        // Per asset: its dependencies, those sharing a group name moved next to
        // the first of them (group order = first appearance; scenario order within).
        let mut per_asset: Vec<Vec<(Option<&str>, u32)>> = vec![Vec::new(); n];
        for (d, (dep, src)) in model.dependencies.iter().zip(&model.scenario.dependencies).enumerate() {
            per_asset[dep.asset as usize].push((src.group.as_deref(), d as u32));
        }
        let mut flat = Flat {
            start: vec![0],
            on: vec![],
            threshold: vec![],
            weight: vec![],
            buffer: vec![],
            joins: vec![],
            stable: vec![],
        };
        for deps in &per_asset {
            let mut done = vec![false; deps.len()];
            for i in 0..deps.len() {
                if done[i] {
                    continue;
                }
                for j in i..deps.len() {
                    let same = j == i || (deps[i].0.is_some() && deps[j].0 == deps[i].0);
                    if same && !done[j] {
                        done[j] = true;
                        let d = &model.dependencies[deps[j].1 as usize];
                        flat.on.push(d.on);
                        flat.threshold.push(d.threshold);
                        flat.weight.push(d.weight);
                        flat.buffer.push(d.buffer_ticks);
                        flat.joins.push(j != i);
                        flat.stable.push(deps[j].1);
                    }
                }
            }
            flat.start.push(flat.on.len() as u32);
        }
        flat
    }

    fn step(&self, prev: &[u16], integrity: &[u16], cap: &[u16], outage: &mut [u32], level: &mut [u16]) {
        for a in 0..level.len() {
            let mut value = integrity[a].min(cap[a]);
            let mut best = 1000u16;
            for r in self.start[a] as usize..self.start[a + 1] as usize {
                let l = prev[self.on[r] as usize];
                let supply = if l >= self.threshold[r] {
                    outage[r] = 0;
                    1000
                } else {
                    outage[r] = outage[r].saturating_add(1);
                    if outage[r] <= self.buffer[r] {
                        1000
                    } else {
                        1000 - (u32::from(self.weight[r]) * u32::from(1000 - l) / 1000) as u16
                    }
                };
                if self.joins[r] {
                    best = best.max(supply);
                } else {
                    value = value.min(best);
                    best = supply;
                }
            }
            level[a] = value.min(best);
        }
    }
}

/// Runs the engine's step and the baseline `CHECK_TICKS` ticks from the same
/// degraded start and panics at the first tick where a level or a counter differs.
fn check_agreement(model: &Model, graph: &CascadeGraph, flat: &Flat, start: &[u16]) {
    let n = model.assets.len();
    let mut g = Gen(11);
    let mut integrity = vec![1000u16; n];
    let mut cap = vec![1000u16; n];
    // Caps from containment on 1% of the assets, lifted at tick 50; another 1%
    // knocked out at tick 1 and repaired at tick 40.
    let capped: Vec<usize> = (0..n / 100).map(|_| g.below(n)).collect();
    let knocked: Vec<usize> = (0..n / 100).map(|_| g.below(n)).collect();
    let (mut engine_prev, mut engine_level) = (start.to_vec(), vec![0u16; n]);
    let (mut flat_prev, mut flat_level) = (start.to_vec(), vec![0u16; n]);
    let mut engine_outage = vec![0u32; graph.dependency_count()];
    let mut flat_outage = vec![0u32; flat.on.len()];
    for t in 1..=CHECK_TICKS {
        // The graph's own disruptions hit at their tick (the national graph's
        // at 1); half of them are repaired at tick 30.
        for (i, d) in model.disruptions.iter().enumerate() {
            if t == d.tick {
                integrity[d.asset as usize] = d.integrity;
            } else if t == 30 && i % 2 == 0 {
                integrity[d.asset as usize] = 1000;
            }
        }
        if t == 1 || t == 40 {
            for &a in &knocked {
                integrity[a] = if t == 1 { 0 } else { 1000 };
            }
        }
        for &a in &capped {
            cap[a] = if t < 50 { 300 } else { 1000 };
        }
        graph.step(&engine_prev, &integrity, &cap, &mut engine_outage, &mut engine_level);
        flat.step(&flat_prev, &integrity, &cap, &mut flat_outage, &mut flat_level);
        assert_eq!(engine_level, flat_level, "levels at tick {t}");
        let mut engine_stable = vec![0u32; engine_outage.len()];
        let mut flat_stable = vec![0u32; flat_outage.len()];
        for (row, &o) in engine_outage.iter().enumerate() {
            engine_stable[graph.stable_index_of_row(row) as usize] = o;
        }
        for (row, &o) in flat_outage.iter().enumerate() {
            flat_stable[flat.stable[row] as usize] = o;
        }
        assert_eq!(engine_stable, flat_stable, "outage counters at tick {t}");
        std::mem::swap(&mut engine_prev, &mut engine_level);
        std::mem::swap(&mut flat_prev, &mut flat_level);
    }
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
