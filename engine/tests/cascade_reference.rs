//! The engine against a naive, literal reading of DESIGN §3 on random graphs.
//!
//! `Reference` below follows the text of the design sentence by sentence, with
//! maps and no cleverness. Random scenarios (cycles, self-dependencies, duplicates,
//! shared group names, buffers, disruptions) must give the same levels, outage
//! counters and national service at every tick as the engine's flat-array walk.
//! A second property drives `CascadeGraph::step` itself, the code the
//! simulation's cascade system runs, with random integrities, caps, starting
//! levels and starting outage counters (some about to saturate) every tick.
//! Tests only: nothing here is timed.

mod common;

use std::collections::BTreeMap;

use cascade_engine::cascade::CascadeGraph;
use cascade_engine::scenario::Scenario;
use common::*;
use proptest::prelude::*;

struct Reference {
    integrity: Vec<u64>,
    level: Vec<u64>,
    outage: Vec<u32>,
}

impl Reference {
    fn new(s: &Scenario) -> Self {
        let integrity: Vec<u64> = s.assets.iter().map(|a| u64::from(a.integrity)).collect();
        // At tick 0, level = min(integrity, cap) and every cap is 1000.
        let level = integrity.iter().map(|&i| i.min(1000)).collect();
        Self { integrity, level, outage: vec![0; s.dependencies.len()] }
    }

    fn index(s: &Scenario, id: &str) -> usize {
        s.assets.iter().position(|a| a.id == id).unwrap()
    }

    fn tick(&mut self, s: &Scenario, t: u64) {
        // Events that set integrity at tick t act first, in scenario order.
        for d in s.disruptions.iter().filter(|d| d.tick == t) {
            self.integrity[Self::index(s, &d.asset)] = u64::from(d.integrity);
        }
        // L = level[b] as it was at the end of tick t-1.
        let previous = self.level.clone();
        // Supply of each group, keyed by (asset, group name or the dependency's own key).
        let mut groups: BTreeMap<(usize, String), u64> = BTreeMap::new();
        for (i, dep) in s.dependencies.iter().enumerate() {
            let l = previous[Self::index(s, &dep.on)];
            let supply = if l >= u64::from(dep.threshold) {
                self.outage[i] = 0;
                1000
            } else {
                self.outage[i] = self.outage[i].saturating_add(1);
                if self.outage[i] <= dep.buffer_ticks {
                    1000
                } else {
                    1000 - (u64::from(dep.weight) * (1000 - l)) / 1000
                }
            };
            let key = match &dep.group {
                Some(g) => (Self::index(s, &dep.asset), format!("group {g}")),
                None => (Self::index(s, &dep.asset), format!("dependency {i}")),
            };
            let best = groups.entry(key).or_insert(0);
            *best = (*best).max(supply);
        }
        for a in 0..self.level.len() {
            let mut level = self.integrity[a].min(1000);
            for ((asset, _), &supply) in &groups {
                if *asset == a {
                    level = level.min(supply);
                }
            }
            self.level[a] = level;
        }
    }

    fn national(&self, s: &Scenario) -> u64 {
        let total: u128 =
            s.assets.iter().zip(&self.level).map(|(a, &l)| u128::from(a.population) * u128::from(l)).sum();
        (total / 1000) as u64
    }
}

#[derive(Debug, Clone)]
struct DepSpec {
    asset: usize,
    on: usize,
    weight: u32,
    threshold: u32,
    buffer: u32,
    group: Option<u8>,
}

fn dep_spec(assets: usize) -> impl Strategy<Value = DepSpec> {
    (
        0..assets,
        0..assets,
        prop_oneof![Just(0u32), Just(1000u32), 0..=1000u32],
        prop_oneof![Just(0u32), Just(1000u32), 0..=1000u32],
        // Small buffers expire within a run; the largest never do, and meet
        // counters near saturation in the step property.
        prop_oneof![Just(0u32), 0..4u32, (u32::MAX - 2)..=u32::MAX],
        prop_oneof![Just(None), (0..3u8).prop_map(Some)],
    )
        .prop_map(|(asset, on, weight, threshold, buffer, group)| DepSpec {
            asset,
            on,
            weight,
            threshold,
            buffer,
            group,
        })
}

fn scenario_strategy() -> impl Strategy<Value = (Scenario, u64)> {
    (1usize..10).prop_flat_map(|n| {
        (
            proptest::collection::vec((0..=1000u32, 0..5000u64), n),
            proptest::collection::vec(dep_spec(n), 0..25),
            proptest::collection::vec((1..=12u64, 0..n, prop_oneof![Just(0u32), Just(1000u32), 0..=1000u32]), 0..12),
        )
            .prop_map(move |(assets, deps, events)| {
                let mut s = empty_scenario(12);
                for (i, (integrity, population)) in assets.iter().enumerate() {
                    add_asset(&mut s, &format!("a{i}"), &format!("s{}", i % 3), *population, *integrity);
                }
                for d in &deps {
                    let group = d.group.map(|g| format!("g{g}"));
                    add_dependency(
                        &mut s,
                        &format!("a{}", d.asset),
                        &format!("a{}", d.on),
                        d.weight,
                        d.threshold,
                        d.buffer,
                        group.as_deref(),
                    );
                }
                for (tick, asset, integrity) in &events {
                    add_disruption(&mut s, *tick, &format!("a{asset}"), *integrity);
                }
                (s, 12)
            })
    })
}

/// One tick of the rule read literally, in stable order: the levels of tick t
/// from `previous` (tick t-1), `integrity` and `cap`, advancing `outage`.
fn literal_step(s: &Scenario, previous: &[u16], integrity: &[u16], cap: &[u16], outage: &mut [u32]) -> Vec<u16> {
    let mut groups: BTreeMap<(usize, String), u64> = BTreeMap::new();
    for (i, dep) in s.dependencies.iter().enumerate() {
        let l = u64::from(previous[Reference::index(s, &dep.on)]);
        let supply = if l >= u64::from(dep.threshold) {
            outage[i] = 0;
            1000
        } else {
            outage[i] = outage[i].saturating_add(1);
            if outage[i] <= dep.buffer_ticks { 1000 } else { 1000 - (u64::from(dep.weight) * (1000 - l)) / 1000 }
        };
        let key = match &dep.group {
            Some(g) => (Reference::index(s, &dep.asset), format!("group {g}")),
            None => (Reference::index(s, &dep.asset), format!("dependency {i}")),
        };
        let best = groups.entry(key).or_insert(0);
        *best = (*best).max(supply);
    }
    (0..previous.len())
        .map(|a| {
            let mut level = u64::from(integrity[a].min(cap[a]));
            for ((asset, _), &supply) in &groups {
                if *asset == a {
                    level = level.min(supply);
                }
            }
            level as u16
        })
        .collect()
}

fn per_mille() -> impl Strategy<Value = u16> {
    prop_oneof![Just(0u16), Just(1000u16), 0..=1000u16]
}

/// A graph, starting levels, starting outage counters (stable order) and, per
/// tick, the integrities and caps left by steps 1–3.
type StepCase = (Scenario, Vec<u16>, Vec<u32>, Vec<(Vec<u16>, Vec<u16>)>);

fn step_case() -> impl Strategy<Value = StepCase> {
    scenario_strategy().prop_flat_map(|(s, _)| {
        let n = s.assets.len();
        let d = s.dependencies.len();
        let counter = prop_oneof![Just(0u32), 0..5u32, (u32::MAX - 3)..=u32::MAX];
        (
            Just(s),
            proptest::collection::vec(per_mille(), n),
            proptest::collection::vec(counter, d),
            proptest::collection::vec(
                (proptest::collection::vec(per_mille(), n), proptest::collection::vec(per_mille(), n)),
                1..12,
            ),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn the_step_matches_the_literal_rule((scenario, start, counters, ticks) in step_case()) {
        let model = cascade_engine::validate::validate(scenario.clone()).expect("generated scenarios are valid");
        let graph = CascadeGraph::build(&model);
        // The graph keeps counters in its row order; the rule in stable order.
        let mut rows: Vec<u32> =
            (0..graph.dependency_count()).map(|r| counters[graph.stable_index_of_row(r) as usize]).collect();
        let mut expected_counters = counters.clone();
        let mut previous = start.clone();
        let mut expected_previous = start;
        for (t, (integrity, cap)) in ticks.iter().enumerate() {
            let mut level = vec![0u16; previous.len()];
            graph.step(&previous, integrity, cap, &mut rows, &mut level);
            let expected = literal_step(&scenario, &expected_previous, integrity, cap, &mut expected_counters);
            prop_assert_eq!(&level, &expected, "levels at step {}", t + 1);
            let mut stable = vec![0u32; rows.len()];
            for (r, &o) in rows.iter().enumerate() {
                stable[graph.stable_index_of_row(r) as usize] = o;
            }
            prop_assert_eq!(&stable, &expected_counters, "outage counters at step {}", t + 1);
            previous = level;
            expected_previous = expected;
        }
    }

    #[test]
    fn the_engine_matches_the_literal_rule((scenario, ticks) in scenario_strategy()) {
        let mut reference = Reference::new(&scenario);
        let mut sim = simulate(scenario.clone(), 0);
        for t in 0..=ticks {
            if t > 0 {
                prop_assert!(sim.step());
                reference.tick(&scenario, t);
            }
            let levels: Vec<u64> = sim.levels().iter().map(|&l| u64::from(l)).collect();
            prop_assert_eq!(&levels, &reference.level, "levels at tick {}", t);
            prop_assert_eq!(sim.outages(), reference.outage.clone(), "outage counters at tick {}", t);
            prop_assert_eq!(sim.national_service(), reference.national(&scenario), "national service at tick {}", t);
        }
    }
}
