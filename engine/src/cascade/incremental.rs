//! The cascade rule of DESIGN §3, computed only where it can change.
//!
//! `CascadeGraph::step` visits every asset every tick. Most ticks of a
//! national exercise change a few hundred levels out of a million, so the
//! simulation runs this instead: it gives exactly the levels and outage
//! counters of the full walk (tests below and engine/tests/cascade_reference.rs
//! compare the two), visiting at tick t only the assets whose inputs may
//! differ from the last time they were computed:
//!
//! - the dependents of every asset whose level changed at t-1 (a provider's
//!   level is the only input of a row besides its counter);
//! - every asset whose min(integrity, cap) differs from the value its last
//!   computation used (whoever wrote it: a disruption, an incident, an order,
//!   a restored snapshot);
//! - every asset with a row whose buffer runs out at t: a row in outage
//!   supplies in full while its counter is at most `buffer_ticks`, so its
//!   supply changes, with its provider unchanged, exactly once, at
//!   `since + buffer_ticks`, and that tick is planned when the outage begins.
//!
//! Every other asset keeps its level: none of its inputs changed. This is why
//! the counters are kept as the tick each outage began (`since`) rather than as
//! counts: a count advances every tick of an outage and would need a visit; the
//! tick it began does not. The count at tick t is `t - since + 1`.
//!
//! A freshly built or restored propagation has no history to trust, so its
//! first step visits every asset and plans every running buffer again.
//! Levels are double-buffered as the rule requires: every visited asset reads
//! its providers' levels of t-1, and the new levels are written only after all
//! are computed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{CascadeGraph, FULL, JOINS, supply_in_outage};

/// A level that changed at the last computed tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelChange {
    pub asset: u32,
    pub from: u16,
    pub to: u16,
}

/// The cascade's state between ticks: the outage of every row, and what lets
/// the next tick visit only the assets that can change.
#[derive(Debug, Clone)]
pub struct Propagation {
    /// Per row (CSR order): the tick its current outage began, 0 while its
    /// provider is at or above the threshold. Ticks start at 1 and are below
    /// `u32::MAX` (scenarios last at most 10,000,000 ticks).
    since: Vec<u32>,
    /// Per asset: the min(integrity, cap) its last computation used.
    own: Vec<u16>,
    /// The levels that changed at the last computed tick, ascending by asset.
    changes: Vec<LevelChange>,
    /// (tick, asset): a buffer of the asset runs out at that tick. Entries may
    /// be stale (the outage ended, or the asset was replanned): a visit too
    /// many costs a little time and changes nothing.
    run_outs: BinaryHeap<Reverse<(u32, u32)>>,
    /// Per asset: the last tick it was put on the `visit` list (no repeats).
    marked: Vec<u32>,
    /// The rows whose outage began or ended at the last step (each once, in
    /// the order computed): all the state hash needs to compare.
    rows_changed: Vec<u32>,
    /// Scratch, kept for its capacity: the assets to visit, and their new levels.
    visit: Vec<u32>,
    computed: Vec<(u32, u16)>,
    /// False when built and after `restore`: the next step visits every asset.
    primed: bool,
}

/// When more than 1 in `VISIT_ALL_RATIO` assets would be visited, one linear
/// walk over all of them is cheaper than jumping about (and gives the same
/// result: visiting an asset whose inputs did not change recomputes its level).
const VISIT_ALL_RATIO: usize = 8;

impl Propagation {
    /// The state of tick 0: no outages.
    pub fn new(graph: &CascadeGraph) -> Self {
        let n = graph.asset_count();
        Self {
            since: vec![0; graph.dependency_count()],
            own: vec![0; n],
            changes: Vec::new(),
            run_outs: BinaryHeap::new(),
            marked: vec![0; n],
            rows_changed: Vec::new(),
            visit: Vec::new(),
            computed: Vec::new(),
            primed: false,
        }
    }

    /// Per row, the tick its outage began (0: supplied).
    pub fn since_by_row(&self) -> &[u32] {
        &self.since
    }

    /// The outage counter of every row at `tick` (DESIGN §3's `outage[d]`).
    pub fn counter(since: u32, tick: u64) -> u32 {
        if since == 0 { 0 } else { u32::try_from(tick.saturating_sub(u64::from(since)) + 1).unwrap_or(u32::MAX) }
    }

    /// The rows (CSR order) whose outage began or ended at the last step:
    /// every row of `since_by_row` that step wrote, each once.
    pub fn rows_changed(&self) -> &[u32] {
        &self.rows_changed
    }

    /// The levels that changed at the last computed tick.
    pub fn changes(&self) -> &[LevelChange] {
        &self.changes
    }

    /// Puts back the outages of a snapshot (`since_by_row` of the same graph).
    /// Everything else is rebuilt by the next step, which visits every asset.
    pub fn restore(&mut self, since: &[u32]) {
        assert_eq!(since.len(), self.since.len(), "a snapshot restores only into a propagation of its graph");
        self.since.copy_from_slice(since);
        self.changes.clear();
        self.rows_changed.clear();
        self.primed = false;
    }

    /// Computes tick `tick`: `level` holds the levels of tick-1 on entry and
    /// those of `tick` on return; `integrity` and `cap` are as steps 1–3 of the
    /// tick left them.
    pub fn step(&mut self, graph: &CascadeGraph, tick: u64, integrity: &[u16], cap: &[u16], level: &mut [u16]) {
        let n = graph.asset_count();
        assert!(integrity.len() == n && cap.len() == n && level.len() == n && self.own.len() == n);
        assert_eq!(self.since.len(), graph.dependency_count());
        assert!(tick >= 1 && tick < u64::from(u32::MAX), "tick {tick} is out of the cascade's range");
        let tick = tick as u32;

        self.visit.clear();
        self.rows_changed.clear();
        let mut all = !self.primed;
        if self.primed {
            self.mark_inputs_changed(graph, tick, integrity, cap);
            all = self.visit.len() > n / VISIT_ALL_RATIO;
        } else {
            self.run_outs.clear();
            self.marked.iter_mut().for_each(|m| *m = 0);
        }

        // Compute every visited asset from the levels of tick-1, then write.
        self.computed.clear();
        let replan = !self.primed;
        if all {
            for a in 0..n {
                self.compute(graph, a, tick, integrity, cap, level, replan);
            }
        } else {
            let mut visit = std::mem::take(&mut self.visit);
            visit.sort_unstable(); // memory order; the result does not depend on it
            for &a in &visit {
                self.compute(graph, a as usize, tick, integrity, cap, level, replan);
            }
            self.visit = visit;
        }
        self.changes.clear();
        for &(a, to) in &self.computed {
            let from = std::mem::replace(&mut level[a as usize], to);
            self.changes.push(LevelChange { asset: a, from, to });
        }
        self.primed = true;
    }

    /// Lists the assets whose inputs changed since they were last computed.
    fn mark_inputs_changed(&mut self, graph: &CascadeGraph, tick: u32, integrity: &[u16], cap: &[u16]) {
        let Self { changes, run_outs, marked, visit, own, .. } = self;
        let mut mark = |a: u32| {
            let m = &mut marked[a as usize];
            if *m != tick {
                *m = tick;
                visit.push(a);
            }
        };
        for change in changes.iter() {
            graph.dependents_of(change.asset as usize).iter().for_each(|&a| mark(a));
        }
        while let Some(&Reverse((due, a))) = run_outs.peek() {
            if due > tick {
                break;
            }
            run_outs.pop();
            mark(a);
        }
        // A linear scan, blockwise so that the common case (no change in a
        // block) is a branch-free fold the compiler vectorises.
        const BLOCK: usize = 64;
        for (b, ((own, integrity), cap)) in
            own.chunks(BLOCK).zip(integrity.chunks(BLOCK)).zip(cap.chunks(BLOCK)).enumerate()
        {
            let differs = own.iter().zip(integrity).zip(cap).fold(false, |d, ((&o, &i), &c)| d | (o != i.min(c)));
            if differs {
                for (i, ((&o, &int), &c)) in own.iter().zip(integrity).zip(cap).enumerate() {
                    if o != int.min(c) {
                        mark((b * BLOCK + i) as u32);
                    }
                }
            }
        }
    }

    /// Computes asset `a`'s level at `tick` from its providers' levels of
    /// tick-1 (still in `level`), updating its rows' outages, and records it in
    /// `computed` if it changed. With `replan`, plans again every running
    /// buffer of the asset (the run-out list was cleared).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn compute(
        &mut self,
        graph: &CascadeGraph,
        a: usize,
        tick: u32,
        integrity: &[u16],
        cap: &[u16],
        level: &[u16],
        replan: bool,
    ) {
        let own = integrity[a].min(cap[a]);
        self.own[a] = own;
        let rows = graph.rows_of(a);
        let mut value = own;
        let mut best = FULL; // as in `CascadeGraph::step`
        let first = rows.start as u32;
        for (row, ((rule, since), &buffer_ticks)) in (first..)
            .zip(graph.rules[rows.clone()].iter().zip(&mut self.since[rows.clone()]).zip(&graph.buffer_ticks[rows]))
        {
            let provider_level = level[rule.provider as usize];
            let supplied = if provider_level >= rule.threshold {
                if *since != 0 {
                    *since = 0;
                    self.rows_changed.push(row);
                }
                FULL
            } else {
                if *since == 0 {
                    *since = tick;
                    self.rows_changed.push(row);
                    plan_run_out(&mut self.run_outs, tick, buffer_ticks, tick, a);
                } else if replan {
                    plan_run_out(&mut self.run_outs, *since, buffer_ticks, tick, a);
                }
                supply_in_outage(rule, provider_level, buffer_ticks, tick - *since + 1)
            };
            if rule.weight & JOINS != 0 {
                best = best.max(supplied);
            } else {
                value = value.min(best);
                best = supplied;
            }
        }
        let value = value.min(best);
        if value != level[a] {
            self.computed.push((a as u32, value));
        }
    }
}

/// Plans a visit of asset `a` at the first tick its row, in outage since
/// `since`, no longer runs on backup: `since + buffer_ticks` (the counter is
/// then `buffer_ticks + 1`), if that is after `now` and within the clock.
fn plan_run_out(run_outs: &mut BinaryHeap<Reverse<(u32, u32)>>, since: u32, buffer_ticks: u32, now: u32, a: usize) {
    if let Some(due) = since.checked_add(buffer_ticks)
        && due > now
        && due < u32::MAX
    {
        run_outs.push(Reverse((due, a as u32)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cascade::Rule;
    use crate::synthetic::Gen;

    /// A random graph of `n` assets: cycles, self-dependencies, duplicates,
    /// groups, buffers of 0..4 ticks and some unbounded ones.
    fn random_graph(g: &mut Gen, n: usize) -> CascadeGraph {
        let mut graph = CascadeGraph::default();
        graph.asset_rows.push(0);
        for _ in 0..n {
            for r in 0..g.below(4) {
                let joins = if r > 0 && g.below(3) == 0 { JOINS } else { 0 };
                graph.rules.push(Rule {
                    provider: g.below(n) as u32,
                    threshold: g.below(1001) as u16,
                    weight: g.below(1001) as u16 | joins,
                });
                let buffer = match g.below(6) {
                    0 => u32::MAX,
                    1 | 2 => g.below(4) as u32,
                    _ => 0,
                };
                graph.buffer_ticks.push(buffer);
                graph.stable_of_row.push(graph.stable_of_row.len() as u32);
            }
            graph.asset_rows.push(graph.rules.len() as u32);
        }
        graph.build_dependents();
        graph
    }

    /// Random writes of integrity and cap, about `per_thousand` of the assets.
    fn disturb(g: &mut Gen, integrity: &mut [u16], cap: &mut [u16], per_thousand: usize) {
        for a in 0..integrity.len() {
            if g.below(1000) < per_thousand {
                match g.below(3) {
                    0 => integrity[a] = g.below(1001) as u16,
                    1 => cap[a] = [0, 300, 1000][g.below(3)],
                    _ => integrity[a] = 1000,
                }
            }
        }
    }

    #[test]
    fn dependents_are_the_rows_reversed_once_each() {
        let mut g = Gen(3);
        for _ in 0..50 {
            let n = 1 + g.below(30);
            let graph = random_graph(&mut g, n);
            for p in 0..n {
                let mut expected: Vec<u32> = (0..n)
                    .filter(|&a| graph.rules[graph.rows_of(a)].iter().any(|r| r.provider as usize == p))
                    .map(|a| a as u32)
                    .collect();
                expected.dedup();
                assert_eq!(graph.dependents_of(p), expected, "provider {p}");
            }
        }
    }

    /// The incremental step against the full walk, tick by tick, on random
    /// graphs with random disturbances (some ticks calm, some stormy), and a
    /// restore to an earlier tick midway.
    #[test]
    fn gives_the_levels_and_counters_of_the_full_walk() {
        let mut g = Gen(11);
        for case in 0..300 {
            let n = 1 + g.below(if case % 10 == 0 { 400 } else { 40 });
            let graph = random_graph(&mut g, n);
            let mut integrity: Vec<u16> =
                (0..n).map(|_| if g.below(4) == 0 { g.below(1001) as u16 } else { 1000 }).collect();
            let mut cap = vec![1000u16; n];
            let start: Vec<u16> = integrity.iter().zip(&cap).map(|(&i, &c)| i.min(c)).collect();
            let (mut full_level, mut full_outage, mut previous) =
                (start.clone(), vec![0u32; graph.dependency_count()], start.clone());
            let mut level = start;
            let mut propagation = Propagation::new(&graph);
            let mut saved = None;
            let ticks = 1 + g.below(40) as u64;
            let mut tick = 1;
            while tick <= ticks {
                let rate = [0, 0, 5, 50, 300][g.below(5)];
                disturb(&mut g, &mut integrity, &mut cap, rate);
                previous.copy_from_slice(&full_level);
                graph.step(&previous, &integrity, &cap, &mut full_outage, &mut full_level);
                let before = level.clone();
                let since_before = propagation.since.clone();
                propagation.step(&graph, tick, &integrity, &cap, &mut level);
                assert_eq!(level, full_level, "case {case}, tick {tick}: levels");
                let mut rows_changed = propagation.rows_changed().to_vec();
                rows_changed.sort_unstable();
                let expected: Vec<u32> = (0..since_before.len())
                    .filter(|&r| since_before[r] != propagation.since[r])
                    .map(|r| r as u32)
                    .collect();
                assert_eq!(rows_changed, expected, "case {case}, tick {tick}: the rows whose outage began or ended");
                let counters: Vec<u32> = propagation.since.iter().map(|&s| Propagation::counter(s, tick)).collect();
                assert_eq!(counters, full_outage, "case {case}, tick {tick}: outage counters");
                let changed: Vec<LevelChange> = (0..n)
                    .filter(|&a| before[a] != level[a])
                    .map(|a| LevelChange { asset: a as u32, from: before[a], to: level[a] })
                    .collect();
                assert_eq!(propagation.changes(), changed, "case {case}, tick {tick}: changes");
                if tick == ticks / 2 {
                    saved = Some((
                        tick,
                        propagation.since.clone(),
                        level.clone(),
                        full_outage.clone(),
                        integrity.clone(),
                        cap.clone(),
                    ));
                }
                if tick == ticks
                    && let Some((at, since, lv, outage, int, cp)) = saved.take()
                {
                    // Back to an earlier tick, as `Simulation::restore` does.
                    propagation.restore(&since);
                    (level, full_level, full_outage, integrity, cap) = (lv.clone(), lv, outage, int, cp);
                    tick = at;
                }
                tick += 1;
            }
        }
    }

    #[test]
    fn a_calm_tick_visits_nothing_and_a_buffer_runs_out_on_time() {
        // b depends on a with a 3-tick buffer; a fails at tick 1.
        let mut graph = CascadeGraph {
            asset_rows: vec![0, 0, 1],
            rules: vec![Rule { provider: 0, threshold: 500, weight: 1000 }],
            buffer_ticks: vec![3],
            stable_of_row: vec![0],
            ..Default::default()
        };
        graph.build_dependents();
        let mut p = Propagation::new(&graph);
        let (mut integrity, cap) = (vec![1000u16, 1000], vec![1000u16; 2]);
        let mut level = vec![1000u16, 1000];
        p.step(&graph, 1, &integrity, &cap, &mut level);
        assert!(p.changes().is_empty());
        integrity[0] = 0;
        let mut levels = Vec::new();
        for tick in 2..=8 {
            p.step(&graph, tick, &integrity, &cap, &mut level);
            levels.push(level[1]);
            if tick == 7 {
                assert!(p.visit.is_empty(), "tick 7 is calm: nothing to visit");
            }
        }
        // a is 0 from tick 2; b's outage begins at 3, runs on backup 3..=5, falls at 6.
        assert_eq!(levels, [1000, 1000, 1000, 1000, 0, 0, 0]);
        assert_eq!(Propagation::counter(p.since[0], 8), 6);
    }
}
