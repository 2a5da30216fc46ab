//! The flat baseline shared by the benches: the cascade rule of docs/model.md
//! written for speed and nothing else, independent of the engine's code, and
//! the check that the engine and it agree tick for tick.

use cascade_engine::Model;
use cascade_engine::cascade::CascadeGraph;
use cascade_engine::synthetic::Gen;

/// Ticks of the agreement check: past the longest buffer (59) of the graphs.
pub const CHECK_TICKS: u64 = 80;

/// The rule over parallel arrays in CSR order, written for speed and nothing else.
pub struct Flat {
    /// Rows of asset `a` are `start[a]..start[a + 1]`.
    pub start: Vec<u32>,
    pub on: Vec<u32>,
    threshold: Vec<u16>,
    weight: Vec<u16>,
    buffer: Vec<u32>,
    /// True when the row is an alternative of the row before it (same group).
    joins: Vec<bool>,
    /// Row → the dependency's stable index (for comparing outage counters).
    stable: Vec<u32>,
}

impl Flat {
    pub fn new(model: &Model) -> Self {
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

    pub fn step(&self, prev: &[u16], integrity: &[u16], cap: &[u16], outage: &mut [u32], level: &mut [u16]) {
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
pub fn check_agreement(model: &Model, graph: &CascadeGraph, flat: &Flat, start: &[u16]) {
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
