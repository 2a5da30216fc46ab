//! The v2 state hash (docs/model.md, *The state hash*, format 2): its cache
//! only saves work. After any sequence of ticks, commands, restores or direct
//! writes to the hashed arrays the incremental hash equals one computed from
//! scratch; any single change of a hashed element changes it; and two runs,
//! or a run restored from a snapshot, give the same hash sequence.
//!
//! The countries here have more than `CHUNK` assets and dependencies, so that
//! every chunked section has several chunks, the last one short.

mod common;

use std::sync::{Arc, OnceLock};

use cascade_engine::cascade::CascadeGraph;
use cascade_engine::exercise::state::NEVER;
use cascade_engine::exercise::{Action, Command, Exercise};
use cascade_engine::hash::{HashVersion, StateHasher, StateView, v2::CHUNK};
use cascade_engine::rng::{Purpose, RngStreams};
use cascade_engine::synthetic::country::{Country, Params};
use cascade_engine::{Model, Simulation};
use proptest::prelude::*;

/// A generated country of `assets` assets and `teams` teams (bots).
fn country(assets: u32, teams: u32, duration_ticks: u64) -> Model {
    let params = Params { duration_ticks, ..Params::new(assets, teams, 7) };
    let scenario = Country::generate(&params).expect("valid parameters").to_scenario();
    cascade_engine::validate::validate(scenario).expect("a generated country is valid")
}

/// 2,500 assets (three asset chunks, the last short) and some teams.
fn shared_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| country(2500, 20, 200))
}

/// Hashed state owned by the test, written directly.
struct Fixture {
    graph: CascadeGraph,
    tick: u64,
    integrity: Vec<u16>,
    physical: Vec<u16>,
    cyber: Vec<u16>,
    level: Vec<u16>,
    cap: Vec<u16>,
    /// Per row, the tick its outage began (0: supplied).
    outage: Vec<u32>,
    rng: RngStreams,
    ex: Exercise,
}

impl Fixture {
    fn new(model: &Model) -> Self {
        let n = model.assets.len();
        let graph = CascadeGraph::build(model);
        let outage = vec![0; graph.dependency_count()];
        Self {
            graph,
            tick: 0,
            integrity: vec![1000; n],
            physical: vec![1000; n],
            cyber: vec![1000; n],
            level: vec![1000; n],
            cap: vec![1000; n],
            outage,
            rng: RngStreams::new(3),
            ex: Exercise::new(model),
        }
    }

    fn view(&self) -> StateView<'_> {
        StateView {
            tick: self.tick,
            integrity: &self.integrity,
            physical: &self.physical,
            cyber: &self.cyber,
            level: &self.level,
            cap: &self.cap,
            graph: &self.graph,
            outage_since_by_row: &self.outage,
            rng: &self.rng,
            exercise: &self.ex,
            written: None,
        }
    }

    fn scratch(&self) -> blake3::Hash {
        StateHasher::new(HashVersion::V2).hash(&self.view())
    }

    /// Writes one hashed element, always to a different value: `what` picks
    /// the element kind, `index` the element (modulo its array), `value` a
    /// non-zero change.
    fn mutate(&mut self, what: u8, index: usize, value: u32) {
        let delta = value.max(1);
        let u16_change = |v: &mut u16| *v = v.wrapping_add((delta % 0xFFFF).max(1) as u16);
        let n = self.level.len();
        match what % 13 {
            0 => u16_change(&mut self.integrity[index % n]),
            1 => u16_change(&mut self.level[index % n]),
            2 => u16_change(&mut self.cap[index % n]),
            3 => u16_change(&mut self.physical[index % n]),
            4 => u16_change(&mut self.cyber[index % n]),
            5 => {
                let rows = self.outage.len();
                let o = &mut self.outage[index % rows];
                *o = o.wrapping_add(delta);
            }
            6 => self.ex.isolated[index % n] ^= true,
            7 => self.ex.hardened[index % n] ^= true,
            8 => {
                let at = &mut self.ex.investigated_at[index % n];
                // Never investigated is `NEVER`; a tick never becomes it.
                *at = match *at {
                    NEVER => u64::from(value),
                    t if value.is_multiple_of(2) => t.wrapping_add(u64::from(delta)) % NEVER,
                    _ => NEVER,
                };
            }
            9 => {
                let purpose = Purpose::ALL[index % Purpose::ALL.len()];
                self.rng.chance(purpose, 500);
            }
            10 => self.tick = self.tick.wrapping_add(u64::from(delta)),
            11 => self.ex.piu.level = self.ex.piu.level.wrapping_add((delta % 255).max(1) as u8),
            _ => {
                let teams = self.ex.teams.len();
                let team = &mut self.ex.teams[index % teams];
                team.busy = team.busy.wrapping_add(delta);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// (a) After random batches of direct writes (a batch may touch many
    /// chunks, or none of the chunked arrays), the incremental hash equals
    /// the hash from scratch.
    #[test]
    fn incremental_equals_scratch_after_random_writes(
        batches in prop::collection::vec(
            prop::collection::vec((0u8..13, 0usize..1_000_000, 1u32..70_000), 0..40),
            1..8,
        )
    ) {
        let mut f = Fixture::new(shared_model());
        let mut hasher = StateHasher::new(HashVersion::V2);
        prop_assert_eq!(hasher.hash(&f.view()), f.scratch());
        for batch in batches {
            for (what, index, value) in batch {
                f.mutate(what, index, value);
            }
            prop_assert_eq!(hasher.hash(&f.view()), f.scratch());
        }
    }

    /// (b) Any single change of any hashed element changes the hash, and the
    /// incremental hash still equals the one from scratch.
    #[test]
    fn any_single_change_changes_the_hash(what in 0u8..13, index in 0usize..1_000_000, value in 1u32..70_000) {
        let mut f = Fixture::new(shared_model());
        let mut hasher = StateHasher::new(HashVersion::V2);
        // A state that is not all defaults, hashed once so the cache is warm.
        for i in 0..50 {
            f.mutate((i % 13) as u8, i * 7919, i as u32 + 1);
        }
        let before = hasher.hash(&f.view());
        f.mutate(what, index, value);
        let after = hasher.hash(&f.view());
        prop_assert_ne!(before, after, "element kind {} at {} changed, the hash did not", what, index);
        prop_assert_eq!(after, f.scratch());
    }
}

/// (b) for the outage counters specifically: every row, whichever stable
/// chunk it maps to, is seen — the row-order copy and the stable-order copy
/// must agree for every row.
#[test]
fn every_outage_row_is_hashed() {
    let mut f = Fixture::new(shared_model());
    assert!(f.outage.len() > 2 * CHUNK, "the country has several outage chunks");
    let mut hasher = StateHasher::new(HashVersion::V2);
    let mut last = hasher.hash(&f.view());
    for row in (0..f.outage.len()).step_by(97).chain([f.outage.len() - 1]) {
        f.outage[row] += 1;
        let now = hasher.hash(&f.view());
        assert_ne!(now, last, "row {row}");
        assert_eq!(now, f.scratch(), "row {row}");
        last = now;
    }
}

/// The hashes of every tick of a simulation, each checked against the
/// hash from scratch.
fn run_checked(sim: &mut Simulation, commands: impl Fn(&Simulation) -> Vec<Command>) -> Vec<blake3::Hash> {
    let mut out = vec![sim.state_hash()];
    assert_eq!(sim.state_hash(), sim.state_hash_from_scratch(), "tick 0");
    while !sim.is_finished() {
        let c = commands(sim);
        sim.step_with(c);
        assert_eq!(sim.state_hash(), sim.state_hash_from_scratch(), "tick {}", sim.tick());
        out.push(sim.state_hash());
    }
    out
}

/// (a) and (c) on a running country: bots, incidents, disruptions. Every
/// tick's incremental hash equals the one from scratch, and a second run
/// gives the same sequence.
#[test]
fn a_country_run_hashes_as_from_scratch_and_twice_alike() {
    let model = Arc::new(country(3000, 30, 120));
    let mut a = Simulation::new(Arc::clone(&model), 11);
    assert_eq!(a.hash_version(), HashVersion::V2);
    let first = run_checked(&mut a, |_| Vec::new());
    let mut b = Simulation::new(Arc::clone(&model), 11);
    let second = run_checked(&mut b, |_| Vec::new());
    assert_eq!(first, second);
    let distinct: std::collections::BTreeSet<_> = first.iter().map(|h| *h.as_bytes()).collect();
    assert_eq!(distinct.len(), first.len(), "the tick is hashed, so no two ticks share a hash");
    // The levels did move: the cache had work to do.
    assert!(a.levels().iter().any(|&l| l < 1000));
}

/// (c) Restoring a snapshot (backwards into the same simulation, whose cache
/// holds a later state; forwards into another) and continuing gives the hashes
/// of the uninterrupted run.
#[test]
fn restore_then_continue_equals_uninterrupted() {
    let model = Arc::new(country(3000, 30, 90));
    let seed = 5;
    let mut straight = Simulation::new(Arc::clone(&model), seed);
    let mut expected = vec![straight.state_hash()];
    let mut snapshots = vec![straight.snapshot()];
    while straight.step() {
        expected.push(straight.state_hash());
        if straight.tick() % 20 == 7 {
            snapshots.push(straight.snapshot());
        }
    }
    let mut other = Simulation::new(Arc::clone(&model), seed);
    for _ in 0..3 {
        other.step();
    }
    for (i, snapshot) in snapshots.iter().enumerate().rev() {
        let sim = if i.is_multiple_of(2) { &mut straight } else { &mut other };
        sim.restore(snapshot);
        assert_eq!(sim.state_hash(), expected[snapshot.tick() as usize]);
        assert_eq!(sim.state_hash_from_scratch(), sim.state_hash(), "restored at {}", snapshot.tick());
        while sim.step() {
            assert_eq!(
                sim.state_hash(),
                expected[sim.tick() as usize],
                "from {}, tick {}",
                snapshot.tick(),
                sim.tick()
            );
        }
    }
}

/// A v1 simulation still computes the format-1 hash (old journals), and it
/// differs from the v2 one of the same state.
#[test]
fn the_version_is_chosen_per_simulation() {
    let model = Arc::new(common::bundled("tutorial.ron"));
    let mut v1 = Simulation::with_hash(Arc::clone(&model), 1, HashVersion::V1);
    let mut v2 = Simulation::new(Arc::clone(&model), 1);
    assert_eq!(v1.hash_version(), HashVersion::V1);
    for _ in 0..10 {
        v1.step();
        v2.step();
        assert_eq!(v1.levels(), v2.levels(), "the version changes the hash only");
        assert_ne!(v1.state_hash(), v2.state_hash());
        assert_eq!(v1.state_hash(), v1.state_hash_from_scratch());
    }
}

/// One command of a team on an asset: the per-asset response arrays change.
fn command(model: &Model, team: usize, asset: usize, kind: u8) -> Command {
    let asset = model.scenario.assets[asset % model.scenario.assets.len()].id.to_string();
    let action = match kind % 4 {
        0 => Action::Investigate { asset },
        1 => Action::Isolate { asset },
        2 => Action::Harden { asset },
        _ => Action::Restore { asset },
    };
    Command { team: (team % model.scenario.teams.len()) as u32, action, origin: None }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// (a) Random commands on Luxembourg (bots play the other teams): every
    /// tick's incremental hash equals the one from scratch.
    #[test]
    fn random_commands_hash_as_from_scratch(
        orders in prop::collection::vec((1u64..60, 0usize..100, 0usize..1000, 0u8..4), 0..30),
    ) {
        let model = Arc::new(common::bundled("luxembourg.ron"));
        let mut sim = Simulation::new(Arc::clone(&model), 9);
        while sim.tick() < 60 {
            let next = sim.tick() + 1;
            let commands: Vec<Command> = orders
                .iter()
                .filter(|o| o.0 == next)
                .map(|&(_, team, asset, kind)| command(&model, team, asset, kind))
                .collect();
            sim.step_with(commands);
            prop_assert_eq!(sim.state_hash(), sim.state_hash_from_scratch(), "tick {}", sim.tick());
        }
    }
}

/// Section 0x12 hashes since when each dependency is out: outages that run
/// on leave their chunks alone while the clock advances, a restored earlier
/// tick with the same outages is a different state, and the v1 encoding of
/// the same state is the counters. Every case equals the hash from scratch.
#[test]
fn outage_encodings_follow_the_clock() {
    let mut f = Fixture::new(shared_model());
    let mut hasher = StateHasher::new(HashVersion::V2);
    let rows = f.outage.len();
    for row in (0..rows).step_by(3) {
        f.outage[row] = 1 + (row % 5) as u32;
    }
    f.tick = 10;
    let mut seen = vec![hasher.hash(&f.view())];
    for _ in 0..3 {
        f.tick += 1;
        let h = hasher.hash(&f.view());
        assert_eq!(h, f.scratch(), "tick {}", f.tick);
        seen.push(h);
    }
    // One outage ends at tick 13: a new state.
    f.outage[0] = 0;
    let h = hasher.hash(&f.view());
    assert_eq!(h, f.scratch());
    assert!(!seen.contains(&h));
    f.outage[0] = 1;
    f.tick = 10;
    assert_eq!(hasher.hash(&f.view()), seen[0], "tick 10's state again");
    // v1 hashes the counters: tick - since + 1.
    let mut v1 = StateHasher::new(HashVersion::V1);
    let before = v1.hash(&f.view());
    f.tick = 11;
    let after = v1.hash(&f.view());
    assert_ne!(before, after);
}
