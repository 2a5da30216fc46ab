//! The cascade rule of DESIGN §3, walked over flat arrays.
//!
//! The dependency graph is compiled once into a compressed-sparse-row layout:
//! asset → its redundancy groups → each group's dependencies, every rule packed in
//! one contiguous `Vec`. A tick is then one linear pass with no allocation and no
//! hashing. The ECS keeps these arrays as resources (see `world`); this module
//! knows nothing of bevy, so it can be tested and benchmarked on its own.
//!
//! Double buffering: `step` reads the levels of tick t-1 (`previous`) and writes
//! those of tick t (`level`), so the visiting order of assets cannot change the
//! result and a failure moves one hop per tick.

use std::collections::HashMap;

use crate::model::Model;
use crate::scenario::PER_MILLE;

const FULL: u16 = PER_MILLE as u16;

/// One dependency's parameters, packed for the hot loop (12 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rule {
    provider: u32,
    buffer_ticks: u32,
    weight: u16,
    threshold: u16,
}

/// The compiled dependency graph. Dependencies are stored grouped (CSR order);
/// `stable_of_row` maps each row back to the dependency's stable index.
#[derive(Debug, Clone, Default)]
pub struct CascadeGraph {
    /// Groups of asset `a` are `asset_groups[a]..asset_groups[a + 1]`.
    asset_groups: Vec<u32>,
    /// Rows of group `g` are `group_rows[g]..group_rows[g + 1]`.
    group_rows: Vec<u32>,
    rules: Vec<Rule>,
    /// Row → stable index of the dependency in the scenario.
    stable_of_row: Vec<u32>,
}

impl CascadeGraph {
    /// Compiles the model's dependencies. Groups are keyed by (asset, group name);
    /// an ungrouped dependency is a group of its own.
    pub fn build(model: &Model) -> Self {
        let n = model.assets.len();
        // Per asset, its groups in order of first appearance, each a list of
        // dependency stable indices in scenario order.
        let mut groups_of: Vec<Vec<Vec<u32>>> = vec![Vec::new(); n];
        let mut named: HashMap<(u32, &str), usize> = HashMap::new();
        for (d, (dep, source)) in model.dependencies.iter().zip(&model.scenario.dependencies).enumerate() {
            let groups = &mut groups_of[dep.asset as usize];
            match source.group.as_deref() {
                Some(name) => {
                    let slot = *named.entry((dep.asset, name)).or_insert_with(|| {
                        groups.push(Vec::new());
                        groups.len() - 1
                    });
                    groups[slot].push(d as u32);
                }
                None => groups.push(vec![d as u32]),
            }
        }

        let rows = model.dependencies.len();
        let mut graph = CascadeGraph {
            asset_groups: Vec::with_capacity(n + 1),
            group_rows: Vec::new(),
            rules: Vec::with_capacity(rows),
            stable_of_row: Vec::with_capacity(rows),
        };
        graph.asset_groups.push(0);
        graph.group_rows.push(0);
        for groups in &groups_of {
            for group in groups {
                for &d in group {
                    let dep = &model.dependencies[d as usize];
                    graph.rules.push(Rule {
                        provider: dep.on,
                        buffer_ticks: dep.buffer_ticks,
                        weight: dep.weight,
                        threshold: dep.threshold,
                    });
                    graph.stable_of_row.push(d);
                }
                graph.group_rows.push(graph.rules.len() as u32);
            }
            graph.asset_groups.push((graph.group_rows.len() - 1) as u32);
        }
        graph
    }

    pub fn asset_count(&self) -> usize {
        self.asset_groups.len().saturating_sub(1)
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
        for a in 0..n {
            let mut value = integrity[a].min(cap[a]);
            let groups = self.asset_groups[a] as usize..self.asset_groups[a + 1] as usize;
            for g in groups {
                let rows = self.group_rows[g] as usize..self.group_rows[g + 1] as usize;
                let mut best = 0u16;
                // Every row is visited (no early exit): each outage counter advances
                // every tick, whatever its alternatives supply.
                for row in rows {
                    let supplied =
                        supply(&self.rules[row], previous[self.rules[row].provider as usize], &mut outage[row]);
                    best = best.max(supplied);
                }
                value = value.min(best);
            }
            level[a] = value;
        }
    }
}

/// Supply of one dependency given its provider's level at t-1 (DESIGN §3).
#[inline]
fn supply(rule: &Rule, provider_level: u16, outage: &mut u32) -> u16 {
    if provider_level >= rule.threshold {
        *outage = 0;
        return FULL;
    }
    *outage = outage.saturating_add(1);
    if *outage <= rule.buffer_ticks {
        return FULL; // running on backup
    }
    let shortfall = u32::from(rule.weight) * u32::from(FULL - provider_level) / u32::from(FULL);
    FULL - shortfall as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(weight: u16, threshold: u16, buffer_ticks: u32) -> Rule {
        Rule { provider: 0, buffer_ticks, weight, threshold }
    }

    #[test]
    fn supply_follows_the_rule() {
        let mut outage = 0;
        assert_eq!(supply(&rule(1000, 500, 0), 500, &mut outage), 1000, "at the threshold is full");
        assert_eq!(outage, 0);
        assert_eq!(supply(&rule(1000, 500, 0), 499, &mut outage), 499);
        assert_eq!(outage, 1);
        // 1000 - 333 * 700 / 1000 = 1000 - 233 (233.1 rounded down)
        assert_eq!(supply(&rule(333, 1000, 1), 300, &mut outage), 767, "second tick of outage, past a 1-tick buffer");
        assert_eq!(outage, 2);
        assert_eq!(supply(&rule(0, 1000, 0), 0, &mut outage), 1000, "weight 0 passes nothing on");
    }

    #[test]
    fn outage_counter_saturates() {
        let mut outage = u32::MAX;
        assert_eq!(supply(&rule(1000, 1000, u32::MAX), 0, &mut outage), 1000, "still on an unbounded buffer");
        assert_eq!(outage, u32::MAX);
    }
}
