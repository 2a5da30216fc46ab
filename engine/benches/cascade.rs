//! Speed of the cascade step and of a whole tick on a national-scale graph.
//!
//! `cargo bench -p cascade-engine --bench cascade` — results in docs/performance.md.
//!
//! Three measurements on the same 100,000-asset graph (about 300,000 dependencies,
//! a third of the assets with a two-provider redundancy group, 1% of assets down):
//! - `engine_step`: `CascadeGraph::step`, the engine's CSR walk;
//! - `plain_flat_arrays`: the same rule written the obvious way over parallel
//!   arrays in scenario order (supply per dependency, max per group, min per asset),
//!   the baseline the engine must stay within 2x of;
//! - `full_tick`: `Simulation::step`, i.e. the ECS schedule with disruptions,
//!   cascade, service metrics and the state hash.

use std::hint::black_box;
use std::sync::Arc;

use cascade_engine::cascade::CascadeGraph;
use cascade_engine::synthetic::{self, Gen};
use cascade_engine::{Model, Simulation};
use criterion::{Criterion, criterion_group, criterion_main};

const ASSETS: usize = 100_000;

fn national_graph() -> Model {
    cascade_engine::validate::validate(synthetic::national_graph(ASSETS)).expect("bench graph is valid")
}

/// The rule written the obvious way: parallel arrays in scenario order.
struct Plain {
    on: Vec<u32>,
    weight: Vec<u16>,
    threshold: Vec<u16>,
    buffer: Vec<u32>,
    /// Global group id of each dependency; `group_asset` maps it to its asset.
    group: Vec<u32>,
    group_asset: Vec<u32>,
    outage: Vec<u32>,
    best: Vec<u16>,
}

impl Plain {
    fn new(model: &Model) -> Self {
        let mut ids = std::collections::HashMap::new();
        let mut group_asset = Vec::new();
        let mut group = Vec::new();
        for (i, (d, src)) in model.dependencies.iter().zip(&model.scenario.dependencies).enumerate() {
            let key = match &src.group {
                Some(name) => (d.asset, name.clone()),
                None => (d.asset, format!("#{i}")),
            };
            let id = *ids.entry(key).or_insert_with(|| {
                group_asset.push(d.asset);
                group_asset.len() as u32 - 1
            });
            group.push(id);
        }
        let n = model.dependencies.len();
        Plain {
            on: model.dependencies.iter().map(|d| d.on).collect(),
            weight: model.dependencies.iter().map(|d| d.weight).collect(),
            threshold: model.dependencies.iter().map(|d| d.threshold).collect(),
            buffer: model.dependencies.iter().map(|d| d.buffer_ticks).collect(),
            best: vec![0; group_asset.len()],
            group,
            group_asset,
            outage: vec![0; n],
        }
    }

    fn step(&mut self, previous: &[u16], integrity: &[u16], cap: &[u16], level: &mut [u16]) {
        self.best.fill(0);
        for d in 0..self.on.len() {
            let l = previous[self.on[d] as usize];
            let supply = if l >= self.threshold[d] {
                self.outage[d] = 0;
                1000
            } else {
                self.outage[d] = self.outage[d].saturating_add(1);
                if self.outage[d] <= self.buffer[d] {
                    1000
                } else {
                    1000 - (u32::from(self.weight[d]) * u32::from(1000 - l) / 1000) as u16
                }
            };
            let g = self.group[d] as usize;
            self.best[g] = self.best[g].max(supply);
        }
        for a in 0..level.len() {
            level[a] = integrity[a].min(cap[a]);
        }
        for (g, &a) in self.group_asset.iter().enumerate() {
            level[a as usize] = level[a as usize].min(self.best[g]);
        }
    }
}

fn bench(c: &mut Criterion) {
    let model = national_graph();
    let n = model.assets.len();
    // A realistic, partly degraded set of previous levels.
    let mut g = Gen(7);
    let previous: Vec<u16> = (0..n).map(|_| if g.below(10) == 0 { g.below(1001) as u16 } else { 1000 }).collect();
    let integrity = vec![1000u16; n];
    let cap = vec![1000u16; n];

    let graph = CascadeGraph::build(&model);
    let mut outage = vec![0u32; graph.dependency_count()];
    let mut level = vec![0u16; n];
    c.bench_function("engine_step", |b| {
        b.iter(|| graph.step(black_box(&previous), &integrity, &cap, &mut outage, &mut level))
    });

    let mut plain = Plain::new(&model);
    let mut plain_level = vec![0u16; n];
    c.bench_function("plain_flat_arrays", |b| {
        b.iter(|| plain.step(black_box(&previous), &integrity, &cap, &mut plain_level))
    });
    // Same inputs, same rule: the two must agree (outage counters differ only in
    // how many iterations each ran, so compare one fresh step of each).
    let mut fresh_outage = vec![0u32; graph.dependency_count()];
    graph.step(&previous, &integrity, &cap, &mut fresh_outage, &mut level);
    let mut fresh_plain = Plain::new(&model);
    fresh_plain.step(&previous, &integrity, &cap, &mut plain_level);
    assert_eq!(level, plain_level, "the baseline implements the same rule");

    let mut sim = Simulation::new(Arc::new(model), 1);
    c.bench_function("full_tick", |b| b.iter(|| sim.step()));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
