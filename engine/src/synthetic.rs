//! A synthetic national-scale scenario for benchmarks: `assets` assets in 8
//! sectors, three dependencies each (a third with one plus a two-provider
//! redundancy group), a quarter of them with buffers, 1% of the assets down
//! at tick 1. The same graph for the same size, on any machine. It has no
//! incidents or teams: it measures the cascade and the machinery around it.
//!
//! Not for exercises: nothing in it is realistic but its shape and size. For a
//! country with realistic structure (sectors, hubs, buffers, incidents, teams)
//! see `country`, behind `cascade gen`.

pub mod country;

use crate::scenario::{
    Asset, Criticality, Dependency, DependencyKind, Disruption, Organisation, OrganisationKind, Scenario, Sector,
    SmallString,
};

/// A scenario with one operator organisation (`org`), one-minute ticks from
/// 2026-01-01 00:00 UTC, and nothing else yet: the start of generated graphs
/// and of the engine's tests.
pub fn skeleton(name: &str, seed: u64, duration_ticks: u64) -> Scenario {
    Scenario {
        name: name.into(),
        description: String::new(),
        seed,
        tick_seconds: 60,
        duration_ticks,
        start: "2026-01-01T00:00".into(),
        time_zone: "UTC".into(),
        population: None,
        sectors: vec![],
        organisations: vec![Organisation {
            id: "org".into(),
            name: String::new(),
            kind: OrganisationKind::Operator,
            sector: None,
            constituency: vec![],
            simulated: false,
        }],
        assets: vec![],
        dependencies: vec![],
        links: vec![],
        teams: vec![],
        disruptions: vec![],
        incidents: vec![],
        response: Default::default(),
        regimes: vec![],
        injects: vec![],
        msel: None,
        objectives: vec![],
        physical_damage: Some(true),
    }
}

/// A small deterministic generator (splitmix64), so that the graph is the same
/// on every machine and needs no RNG crate.
pub struct Gen(pub u64);
impl Gen {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// The graph with `assets` assets (at least 1), as a scenario: validate it to
/// get a `Model`. It lasts a million one-minute ticks; set `duration_ticks`
/// for a shorter run.
pub fn national_graph(assets: usize) -> Scenario {
    let assets = assets.max(1);
    let mut g = Gen(2026);
    let sectors = ["energy", "telecom", "finance", "health", "transport", "water", "government", "digital"];
    let mut s = skeleton("bench", 1, 1_000_000);
    s.sectors = sectors.iter().map(|id| Sector { id: id.to_string(), name: String::new(), population: None }).collect();
    s.assets = Vec::with_capacity(assets);
    for i in 0..assets {
        s.assets.push(Asset {
            id: format!("a{i}").into(),
            name: String::new(),
            organisation: "org".into(),
            sector: sectors[i % sectors.len()].into(),
            population: 1 + g.below(10_000) as u64,
            criticality: Criticality::Medium,
            integrity: 1000,
            isolation_cap: None,
            repair_ticks: None,
        });
    }
    let dep = |g: &mut Gen, asset: usize, group: Option<&str>| Dependency {
        asset: format!("a{asset}").into(),
        on: format!("a{}", g.below(assets)).into(),
        kind: DependencyKind::Power,
        weight: 200 + g.below(801) as u32,
        threshold: 300 + g.below(600) as u32,
        buffer_ticks: if g.below(4) == 0 { g.below(60) as u32 } else { 0 },
        group: group.map(SmallString::from),
    };
    for a in 0..assets {
        let plain = if a % 3 == 0 { 1 } else { 3 };
        for _ in 0..plain {
            let d = dep(&mut g, a, None);
            s.dependencies.push(d);
        }
        if a % 3 == 0 {
            for _ in 0..2 {
                let d = dep(&mut g, a, Some("alt"));
                s.dependencies.push(d);
            }
        }
    }
    for _ in 0..assets / 100 {
        let asset = format!("a{}", g.below(assets)).into();
        s.disruptions.push(Disruption { tick: 1, asset, integrity: 0, note: String::new() });
    }
    s
}
