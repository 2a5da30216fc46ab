//! Small builders shared by the engine's integration tests.
#![allow(dead_code)]

use std::sync::Arc;

use cascade_engine::scenario::{Asset, Criticality, Dependency, DependencyKind, Disruption, Scenario, Sector};
use cascade_engine::validate::validate;
use cascade_engine::{Model, Simulation};

/// A scenario with one organisation and no sector, asset or dependency yet.
pub fn empty_scenario(duration_ticks: u64) -> Scenario {
    cascade_engine::synthetic::skeleton("test", 0, duration_ticks)
}

pub fn add_sector(s: &mut Scenario, id: &str) {
    if !s.sectors.iter().any(|x| x.id == id) {
        s.sectors.push(Sector { id: id.into(), name: String::new(), population: None });
    }
}

pub fn add_asset(s: &mut Scenario, id: &str, sector: &str, population: u64, integrity: u32) {
    add_sector(s, sector);
    s.assets.push(Asset {
        id: id.into(),
        name: String::new(),
        organisation: "org".into(),
        sector: sector.into(),
        population,
        criticality: Criticality::Medium,
        integrity,
        isolation_cap: None,
        repair_ticks: None,
    });
}

pub fn add_dependency(
    s: &mut Scenario,
    asset: &str,
    on: &str,
    weight: u32,
    threshold: u32,
    buffer_ticks: u32,
    group: Option<&str>,
) {
    s.dependencies.push(Dependency {
        asset: asset.into(),
        on: on.into(),
        kind: DependencyKind::Power,
        weight,
        threshold,
        buffer_ticks,
        group: group.map(Into::into),
    });
}

pub fn add_disruption(s: &mut Scenario, tick: u64, asset: &str, integrity: u32) {
    s.disruptions.push(Disruption { tick, asset: asset.into(), integrity, note: String::new() });
}

/// Validates `s` (panicking with every problem if invalid) and starts a simulation.
pub fn simulate(s: Scenario, seed: u64) -> Simulation {
    simulate_hashing(s, seed, cascade_engine::hash::HashVersion::default())
}

/// `simulate` with the state hash of `version` (the format-1 hash of old journals).
pub fn simulate_hashing(s: Scenario, seed: u64, version: cascade_engine::hash::HashVersion) -> Simulation {
    let model: Model = validate(s).unwrap_or_else(|problems| {
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        panic!("test scenario is invalid:\n{}", lines.join("\n"))
    });
    Simulation::with_hash(Arc::new(model), seed, version)
}

/// The repository's bundled scenario `name`.
pub fn bundled(name: &str) -> Model {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name);
    cascade_engine::load_model(&path).unwrap_or_else(|e| panic!("{e}"))
}
