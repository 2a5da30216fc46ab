//! The cascade rule of DESIGN §3, walked over flat arrays.
//!
//! The dependency graph is compiled once, at world build, into a
//! compressed-sparse-row layout: the rows (dependencies) of each asset are
//! contiguous, and within an asset the rows of one redundancy group are
//! adjacent. A tick is then one linear pass over the rows with no allocation,
//! no hashing and no indirection but the provider's level. This module knows
//! nothing of bevy, so it can be tested and benchmarked on its own; it must
//! never read anything but its arguments, so the order of assets cannot matter.
//!
//! Double buffering: `step` reads the levels of tick t-1 (`previous`) and writes
//! those of tick t (`level`), so the visiting order of assets cannot change the
//! result and a failure moves one hop per tick.

use std::collections::HashMap;

use crate::model::Model;

mod incremental;
use crate::scenario::PER_MILLE;
pub use incremental::{LevelChange, Propagation};

const FULL: u16 = PER_MILLE as u16;

/// Set in `Rule::weight` when the row is an alternative of the row before it
/// (same asset, same group). Weights are per mille (at most 1000 < 2^10), so
/// the top bit is free; packing the flag there keeps a rule in 8 bytes.
const JOINS: u16 = 1 << 15;

/// What the hot loop reads of one dependency on every tick (8 bytes). The
/// buffer is in a separate array: it is read only below the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    provider: u32,
    threshold: u16,
    /// The weight (0..=1000), with `JOINS` or'ed in.
    weight: u16,
}

/// The compiled dependency graph. Rows are in CSR order (asset, then group in
/// order of first appearance, then scenario order within the group);
/// `stable_of_row` maps each row back to the dependency's stable index.
#[derive(Debug, Clone, Default)]
pub struct CascadeGraph {
    /// Rows of asset `a` are `asset_rows[a]..asset_rows[a + 1]`.
    asset_rows: Vec<u32>,
    rules: Vec<Rule>,
    /// Per row: its `buffer_ticks`.
    buffer_ticks: Vec<u32>,
    /// Row → stable index of the dependency in the scenario.
    stable_of_row: Vec<u32>,
    /// The assets that depend on provider `p` (each once, ascending) are
    /// `dependents[dependents_start[p]..dependents_start[p + 1]]`: whom a
    /// change of `p`'s level can reach on the next tick.
    dependents_start: Vec<u32>,
    dependents: Vec<u32>,
}

impl CascadeGraph {
    /// Compiles the model's dependencies. Groups are keyed by (asset, group name);
    /// an ungrouped dependency is a group of its own.
    pub fn build(model: &Model) -> Self {
        let n = model.assets.len();
        // Every dependency keyed by (asset, its group's place among the
        // asset's groups in order of first appearance, stable index); sorted,
        // the rows come out grouped as the rule reads them, each group in
        // scenario order. One flat array, not a list per group: at millions
        // of dependencies, millions of small allocations would outlive the
        // build in a fragmented heap.
        let mut groups_so_far = vec![0u32; n];
        let mut named: HashMap<(u32, &str), u32> = HashMap::new();
        let mut keyed: Vec<(u32, u32, u32)> = Vec::with_capacity(model.dependencies.len());
        for (d, (dep, source)) in model.dependencies.iter().zip(&model.scenario.dependencies).enumerate() {
            let mut new_group = || {
                let slot = groups_so_far[dep.asset as usize];
                groups_so_far[dep.asset as usize] += 1;
                slot
            };
            let slot = match source.group.as_deref() {
                Some(name) => *named.entry((dep.asset, name)).or_insert_with(new_group),
                None => new_group(),
            };
            keyed.push((dep.asset, slot, d as u32));
        }
        drop(named);
        keyed.sort_unstable();

        let rows = model.dependencies.len();
        let mut graph = CascadeGraph {
            asset_rows: Vec::with_capacity(n + 1),
            rules: Vec::with_capacity(rows),
            buffer_ticks: Vec::with_capacity(rows),
            stable_of_row: Vec::with_capacity(rows),
            ..Default::default()
        };
        graph.asset_rows.push(0);
        let mut next = keyed.iter().peekable();
        for a in 0..n as u32 {
            let mut group = None;
            while let Some(&(_, slot, d)) = next.next_if(|&&(asset, _, _)| asset == a) {
                let dep = &model.dependencies[d as usize];
                // The first row of a group starts it; the others join it.
                let joins = if group == Some(slot) { JOINS } else { 0 };
                group = Some(slot);
                // A validated weight is at most 1000; the `min` only keeps
                // the flag bit and the supply's subtraction safe whatever
                // a caller builds by hand.
                graph.rules.push(Rule {
                    provider: dep.on,
                    threshold: dep.threshold,
                    weight: dep.weight.min(FULL) | joins,
                });
                graph.buffer_ticks.push(dep.buffer_ticks);
                graph.stable_of_row.push(d);
            }
            graph.asset_rows.push(graph.rules.len() as u32);
        }
        graph.build_dependents();
        graph
    }

    /// The reverse of the rows, deduplicated per (provider, asset): a counting
    /// sort, so each provider's dependents come out ascending.
    fn build_dependents(&mut self) {
        let n = self.asset_count();
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(self.rules.len());
        for a in 0..n {
            for rule in &self.rules[self.rows_of(a)] {
                pairs.push((rule.provider, a as u32));
            }
        }
        pairs.dedup(); // rows of one asset on one provider are often adjacent
        let mut start = vec![0u32; n + 1];
        for &(p, _) in &pairs {
            start[p as usize + 1] += 1;
        }
        for p in 0..n {
            start[p + 1] += start[p];
        }
        let mut next = start.clone();
        let mut dependents = vec![0u32; pairs.len()];
        let mut last = vec![u32::MAX; n];
        let mut kept = 0;
        // Assets ascend in `pairs`, so a repeat of (p, a) is always the last one written for p.
        for &(p, a) in &pairs {
            let p = p as usize;
            if last[p] == a {
                continue;
            }
            last[p] = a;
            dependents[next[p] as usize] = a;
            next[p] += 1;
            kept += 1;
        }
        // Close the gaps the repeats left: compact each provider's slice.
        if kept != pairs.len() {
            let mut compact = Vec::with_capacity(kept);
            let mut compact_start = Vec::with_capacity(n + 1);
            compact_start.push(0u32);
            for p in 0..n {
                compact.extend_from_slice(&dependents[start[p] as usize..next[p] as usize]);
                compact_start.push(compact.len() as u32);
            }
            dependents = compact;
            start = compact_start;
        }
        self.dependents_start = start;
        self.dependents = dependents;
    }

    /// The rows of asset `a`.
    pub(crate) fn rows_of(&self, a: usize) -> std::ops::Range<usize> {
        self.asset_rows[a] as usize..self.asset_rows[a + 1] as usize
    }

    /// The assets that depend on `provider`, each once, ascending.
    pub fn dependents_of(&self, provider: usize) -> &[u32] {
        &self.dependents[self.dependents_start[provider] as usize..self.dependents_start[provider + 1] as usize]
    }

    pub fn asset_count(&self) -> usize {
        self.asset_rows.len().saturating_sub(1)
    }

    pub fn dependency_count(&self) -> usize {
        self.rules.len()
    }

    /// Stable index of the dependency stored at `row`.
    pub fn stable_index_of_row(&self, row: usize) -> u32 {
        self.stable_of_row[row]
    }

    /// Computes the levels of tick t from those of tick t-1 (`previous`), updating the
    /// outage counters (one per row, in row order). `integrity` and `cap` are as left
    /// by steps 1–3 of tick t. All slices have one entry per asset except `outage`.
    pub fn step(&self, previous: &[u16], integrity: &[u16], cap: &[u16], outage: &mut [u32], level: &mut [u16]) {
        let n = self.asset_count();
        assert!(previous.len() == n && integrity.len() == n && cap.len() == n && level.len() == n);
        assert_eq!(outage.len(), self.rules.len());
        let assets = level.iter_mut().zip(integrity).zip(cap).zip(self.asset_rows.windows(2));
        for (((out, &integrity), &cap), bounds) in assets {
            let rows = bounds[0] as usize..bounds[1] as usize;
            let mut value = integrity.min(cap);
            // Supply of the group being read; FULL before the first row, so
            // closing that "group" changes nothing.
            let mut best = FULL;
            let rows = self.rules[rows.clone()].iter().zip(&mut outage[rows.clone()]).zip(&self.buffer_ticks[rows]);
            // Every row is visited (no early exit): each outage counter advances
            // every tick, whatever its alternatives supply.
            for ((rule, outage), &buffer_ticks) in rows {
                let supplied = supply(rule, previous[rule.provider as usize], buffer_ticks, outage);
                if rule.weight & JOINS != 0 {
                    best = best.max(supplied);
                } else {
                    value = value.min(best);
                    best = supplied;
                }
            }
            *out = value.min(best);
        }
    }
}

/// Supply of one dependency given its provider's level at t-1 (DESIGN §3).
#[inline(always)]
fn supply(rule: &Rule, provider_level: u16, buffer_ticks: u32, outage: &mut u32) -> u16 {
    if provider_level >= rule.threshold {
        // Written only when it changes: in a calm tick nearly every counter is
        // already 0, and a line left clean need not be written back.
        if *outage != 0 {
            *outage = 0;
        }
        return FULL;
    }
    below_threshold(rule, provider_level, buffer_ticks, outage)
}

/// The rare side of `supply`, kept out of line so the common path stays small.
#[cold]
#[inline(never)]
fn below_threshold(rule: &Rule, provider_level: u16, buffer_ticks: u32, outage: &mut u32) -> u16 {
    *outage = outage.saturating_add(1);
    supply_in_outage(rule, provider_level, buffer_ticks, *outage)
}

/// Supply of a row whose provider is below its threshold, in the `count`th
/// tick of its outage: full while on backup, then cut by the weight of the
/// provider's shortfall (DESIGN §3).
#[inline]
fn supply_in_outage(rule: &Rule, provider_level: u16, buffer_ticks: u32, count: u32) -> u16 {
    if count <= buffer_ticks {
        return FULL; // running on backup
    }
    let weight = u32::from(rule.weight & !JOINS);
    let shortfall = weight * u32::from(FULL.saturating_sub(provider_level)) / u32::from(FULL);
    FULL - shortfall as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(weight: u16, threshold: u16) -> Rule {
        Rule { provider: 0, threshold, weight }
    }

    #[test]
    fn supply_follows_the_rule() {
        let mut outage = 0;
        assert_eq!(supply(&rule(1000, 500), 500, 0, &mut outage), 1000, "at the threshold is full");
        assert_eq!(outage, 0);
        assert_eq!(supply(&rule(1000, 500), 499, 0, &mut outage), 499);
        assert_eq!(outage, 1);
        // 1000 - 333 * 700 / 1000 = 1000 - 233 (233.1 rounded down)
        assert_eq!(supply(&rule(333, 1000), 300, 1, &mut outage), 767, "second tick of outage, past a 1-tick buffer");
        assert_eq!(outage, 2);
        assert_eq!(supply(&rule(0, 1000), 0, 0, &mut outage), 1000, "weight 0 passes nothing on");
        assert_eq!(supply(&rule(1000 | JOINS, 1000), 250, 0, &mut outage), 250, "the group flag is not weight");
    }

    #[test]
    fn outage_counter_saturates() {
        let mut outage = u32::MAX;
        assert_eq!(supply(&rule(1000, 1000), 0, u32::MAX, &mut outage), 1000, "still on an unbounded buffer");
        assert_eq!(outage, u32::MAX);
    }
}
