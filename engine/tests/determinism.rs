//! Determinism is tested, not assumed: the same scenario and seed give the same
//! hash sequence; the seed is part of the state; and the state hash, in both its
//! formats, is exactly the encoding docs/model.md describes, recomputed here by hand.

mod common;

use std::sync::Arc;

use cascade_engine::hash::HashVersion;
use cascade_engine::{Model, Simulation};
use common::*;

fn hashes(model: &Model, seed: u64, ticks: u64) -> Vec<String> {
    let mut sim = Simulation::new(Arc::new(model.clone()), seed);
    let mut out = vec![sim.state_hash().to_hex().to_string()];
    while sim.tick() < ticks && sim.step() {
        out.push(sim.state_hash().to_hex().to_string());
    }
    out
}

#[test]
fn the_same_scenario_and_seed_give_the_same_hash_sequence() {
    for name in ["tutorial.ron", "luxembourg.ron"] {
        let model = bundled(name);
        let seed = model.scenario.seed;
        let duration = model.scenario.duration_ticks;
        let first = hashes(&model, seed, duration);
        assert_eq!(first.len() as u64, duration + 1, "{name}: ticks 0..=duration");
        assert_eq!(first, hashes(&model, seed, duration), "{name}: a second run differs");
        let distinct: std::collections::HashSet<_> = first.iter().collect();
        assert_eq!(distinct.len(), first.len(), "{name}: the tick is hashed, so no two ticks share a hash");
    }
}

#[test]
fn a_different_seed_changes_every_hash() {
    let model = bundled("tutorial.ron");
    let a = hashes(&model, 1, 50);
    let b = hashes(&model, 2, 50);
    assert!(a.iter().zip(&b).all(|(x, y)| x != y), "the seed decides future draws, so it is in the hash");
}

#[test]
fn the_v1_state_hash_is_the_documented_encoding() {
    let sim = two_assets(HashVersion::V1);

    // Worked by hand. Tick 1: p's integrity 250; p reads x (700 < 800): outage 1,
    // supply 1000 - 500 * 300 / 1000 = 850, level min(250, 850) = 250; x reads p
    // (1000): full, level 700. Tick 2: x reads p (250 < 1000): outage 1 <= buffer 1,
    // level 700; p reads x (700): outage 2, level 250.
    assert_eq!(sim.levels(), &[250, 700]);
    assert_eq!(sim.outages(), vec![1, 2]);

    let mut bytes = Vec::new();
    bytes.extend_from_slice(&2u64.to_le_bytes()); // tick
    for (integrity, level, cap) in [(250u16, 250u16, 1000u16), (700, 700, 1000)] {
        bytes.extend_from_slice(&integrity.to_le_bytes());
        bytes.extend_from_slice(&level.to_le_bytes());
        bytes.extend_from_slice(&cap.to_le_bytes());
    }
    for outage in [1u32, 2] {
        bytes.extend_from_slice(&outage.to_le_bytes()); // dependency stable order
    }
    bytes.push(0x01); // randomness section
    bytes.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    bytes.push(3); // streams: threats, detection, bots
    for _ in 0..3 {
        bytes.extend_from_slice(&0u128.to_le_bytes()); // nothing drawn yet
    }
    // The exercise sections of a scenario with no incident, team, inject or objective.
    let never = u64::MAX.to_le_bytes();
    bytes.push(0x02); // incidents: none
    bytes.push(0x03); // per asset: isolated/hardened flags, last investigation
    for _ in 0..2 {
        bytes.push(0);
        bytes.extend_from_slice(&never);
    }
    bytes.push(0x04); // teams: none
    bytes.push(0x05); // pending actions
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.push(0x06); // bot orders
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.push(0x07); // assistance, awareness, classification, obligations
    for _ in 0..4 {
        bytes.extend_from_slice(&0u32.to_le_bytes());
    }
    bytes.push(0x08); // injects: none
    bytes.push(0x09); // objectives: none
    bytes.push(0x0A); // PIU: never active, level 0; no critical outage
    bytes.extend_from_slice(&never);
    bytes.push(0);
    bytes.extend_from_slice(&never);
    bytes.push(0x0B); // messages: none
    bytes.extend_from_slice(&0u64.to_le_bytes());
    // Physical damage: p's disruption (250) and x's starting integrity (700)
    // are its plant's state; no cyber damage on either.
    bytes.push(0x0D);
    bytes.extend_from_slice(&2u32.to_le_bytes());
    for (asset, physical, cyber) in [(0u32, 250u16, 1000u16), (1, 700, 1000)] {
        bytes.extend_from_slice(&asset.to_le_bytes());
        bytes.extend_from_slice(&physical.to_le_bytes());
        bytes.extend_from_slice(&cyber.to_le_bytes());
    }
    assert_eq!(sim.state_hash(), blake3::hash(&bytes));

    // A scenario of before physical damage (as a journal stores it: the field
    // unset) has one kind of damage and no 0x0D section.
    let mut legacy = empty_scenario(5);
    legacy.physical_damage = None;
    add_asset(&mut legacy, "p", "s", 10, 1000);
    add_asset(&mut legacy, "x", "s", 10, 700);
    add_dependency(&mut legacy, "x", "p", 1000, 1000, 1, Some("g"));
    add_dependency(&mut legacy, "p", "x", 500, 800, 0, None);
    add_disruption(&mut legacy, 1, "p", 250);
    let mut old = simulate_hashing(legacy, 0x0102_0304_0506_0708, HashVersion::V1);
    old.step();
    old.step();
    let without_section = &bytes[..bytes.len() - (1 + 4 + 2 * 8)];
    assert_eq!(old.state_hash(), blake3::hash(without_section));
}

/// The scenario of the documented-encoding tests, after two ticks, hashed
/// in `version`.
fn two_assets(version: HashVersion) -> Simulation {
    let mut s = empty_scenario(5);
    add_asset(&mut s, "p", "s", 10, 1000);
    add_asset(&mut s, "x", "s", 10, 700);
    add_dependency(&mut s, "x", "p", 1000, 1000, 1, Some("g"));
    add_dependency(&mut s, "p", "x", 500, 800, 0, None);
    add_disruption(&mut s, 1, "p", 250);
    let mut sim = simulate_hashing(s, 0x0102_0304_0506_0708, version);
    sim.step();
    sim.step();
    sim
}

#[test]
fn the_v2_state_hash_is_the_documented_encoding() {
    let sim = two_assets(HashVersion::V2);
    assert_eq!(sim.hash_version(), HashVersion::V2);
    assert_eq!(sim.levels(), &[250, 700]);
    assert_eq!(sim.outages(), vec![1, 2]);
    let never = u64::MAX.to_le_bytes();

    // The chunks: two assets, two dependencies, so one (short) chunk each.
    let mut assets = Vec::new();
    for v in [250u16, 250, 1000, 700, 700, 1000] {
        assets.extend_from_slice(&v.to_le_bytes());
    }
    let mut plant = Vec::new();
    for v in [250u16, 1000, 700, 1000] {
        plant.extend_from_slice(&v.to_le_bytes());
    }
    // Outages as since when they run: tick + 2^32 - counter (counters 1 and 2 at tick 2).
    let mut outages = Vec::new();
    for counter in [1u64, 2] {
        outages.extend_from_slice(&(2 + (1u64 << 32) - counter).to_le_bytes());
    }
    let mut response = Vec::new();
    for _ in 0..2 {
        response.push(0);
        response.extend_from_slice(&never);
    }

    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"cascade state v2");
    bytes.extend_from_slice(&2u64.to_le_bytes()); // tick
    bytes.extend_from_slice(&1024u32.to_le_bytes()); // elements per chunk
    for (tag, chunk) in [(0x10u8, &assets), (0x11, &plant), (0x12, &outages), (0x13, &response)] {
        bytes.push(tag);
        bytes.extend_from_slice(&2u32.to_le_bytes());
        bytes.extend_from_slice(blake3::hash(chunk).as_bytes());
    }
    bytes.push(0x01); // randomness, as in format 1
    bytes.extend_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
    bytes.push(3);
    for _ in 0..3 {
        bytes.extend_from_slice(&0u128.to_le_bytes());
    }
    // The exercise sections of format 1 but 0x03 (hashed in chunks above).
    bytes.push(0x02);
    bytes.push(0x04);
    bytes.push(0x05);
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.push(0x06);
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.push(0x07);
    for _ in 0..4 {
        bytes.extend_from_slice(&0u32.to_le_bytes());
    }
    bytes.push(0x08);
    bytes.push(0x09);
    bytes.push(0x0A);
    bytes.extend_from_slice(&never);
    bytes.push(0);
    bytes.extend_from_slice(&never);
    bytes.push(0x0B);
    bytes.extend_from_slice(&0u64.to_le_bytes());
    // No 0x0D: physical and cyber are chunked (0x11) whatever their values.
    assert_eq!(sim.state_hash(), blake3::hash(&bytes));
    assert_eq!(sim.state_hash_from_scratch(), blake3::hash(&bytes));
}

#[test]
fn any_change_of_state_changes_the_hash() {
    let base = || {
        let mut s = empty_scenario(3);
        add_asset(&mut s, "a", "s", 1, 1000);
        add_asset(&mut s, "b", "s", 1, 1000);
        add_dependency(&mut s, "b", "a", 1000, 500, 5, None);
        s
    };
    let reference = simulate(base(), 0).state_hash();
    let mut integrity = base();
    integrity.assets[1].integrity = 999;
    assert_ne!(simulate(integrity, 0).state_hash(), reference);

    // Same levels, different outage counter: a buffered outage is still state.
    let mut a = base();
    add_disruption(&mut a, 1, "a", 0);
    let mut sim = simulate(a, 0);
    let mut plain = simulate(base(), 0);
    sim.step();
    plain.step();
    sim.step();
    plain.step();
    assert_eq!(sim.levels()[1], plain.levels()[1], "b is on backup");
    assert_ne!(sim.state_hash(), plain.state_hash());
}

#[test]
fn a_restored_snapshot_continues_hash_for_hash() {
    // Luxembourg with its bots: incidents, actions, messages and every RNG
    // stream are in play, so a snapshot that forgot any state would diverge.
    let model = Arc::new(bundled("luxembourg.ron"));
    let seed = model.scenario.seed;
    let mut straight = Simulation::new(Arc::clone(&model), seed);
    let mut expected = vec![straight.state_hash()];
    let mut snapshots = vec![straight.snapshot()];
    while straight.step() {
        expected.push(straight.state_hash());
        if straight.tick().is_multiple_of(37) {
            snapshots.push(straight.snapshot());
        }
    }
    // Restore into the finished simulation itself (backwards), and into a
    // fresh one (forwards), then run to the end: every hash as before.
    let mut fresh = Simulation::new(Arc::clone(&model), seed);
    for (i, snapshot) in snapshots.iter().enumerate().rev() {
        let sim = if i % 2 == 0 { &mut straight } else { &mut fresh };
        sim.restore(snapshot);
        let from = snapshot.tick();
        assert_eq!(sim.tick(), from);
        assert_eq!(sim.state_hash(), expected[from as usize], "restored at tick {from}");
        while sim.step() {
            assert_eq!(sim.state_hash(), expected[sim.tick() as usize], "from snapshot {from}, tick {}", sim.tick());
        }
    }
}

#[test]
fn a_tick_run_phase_by_phase_is_the_same_tick() {
    // Luxembourg with its bots, and commands from every team now and then
    // (some refused, some landing later): every phase has work to do.
    use cascade_engine::exercise::Command;
    use cascade_engine::exercise::command::Action;
    use cascade_engine::world::Phase;
    let model = Arc::new(bundled("luxembourg.ron"));
    let seed = model.scenario.seed;
    let commands = |tick: u64| -> Vec<Command> {
        if !tick.is_multiple_of(7) {
            return Vec::new();
        }
        let assets = &model.scenario.assets;
        let asset = &assets[(tick as usize / 7) % assets.len()].id;
        let team = (tick / 7) as u32 % model.scenario.teams.len() as u32;
        vec![
            Command { team, action: Action::Harden { asset: asset.to_string() }, origin: None },
            Command { team, action: Action::Investigate { asset: asset.to_string() }, origin: None },
        ]
    };
    let mut whole = Simulation::new(Arc::clone(&model), seed);
    let mut phased = Simulation::new(Arc::clone(&model), seed);
    while !whole.is_finished() {
        let tick = whole.tick() + 1;
        let expected = whole.step_with(commands(tick));
        let mut ran = Vec::new();
        let outcomes = phased.step_with_phases(commands(tick), &mut |phase, run| {
            ran.push(phase);
            run();
        });
        assert_eq!(ran, Phase::ALL, "tick {tick}: every phase once, in order");
        assert_eq!(format!("{outcomes:?}"), format!("{expected:?}"), "tick {tick}: outcomes");
        assert_eq!(phased.state_hash(), whole.state_hash(), "tick {tick}: state hash");
    }
    assert!(phased.is_finished());
    assert!(phased.exercise().messages.len() > 10, "the bots talked: the exercise was exercised");
}
