//! Tests of the synthetic country: the same bytes for the same parameters, a
//! valid (and, once the key teams exist, warning-free) scenario at every size,
//! the structure docs/gen.md promises, and a cascade that really cascades.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::lint::lint;
use crate::load::parse_scenario;
use crate::scenario::BotPolicy;
use crate::validate::validate;
use crate::{Model, Simulation};

fn text(params: &Params) -> Vec<u8> {
    let mut bytes = Vec::new();
    let written = Country::generate(params).unwrap().write_ron(&mut bytes).unwrap();
    assert_eq!(written, bytes.len() as u64, "the byte count is what was written");
    bytes
}

fn model(params: &Params) -> Model {
    validate(scenario(params).unwrap())
        .unwrap_or_else(|problems| panic!("{params:?}: {} problems, first: {}", problems.len(), problems[0]))
}

#[test]
fn the_same_parameters_give_the_same_bytes_and_another_seed_others() {
    let params = Params::new(2000, 20, 3);
    let first = text(&params);
    assert_eq!(first, text(&params));
    let other = text(&Params { seed: 4, ..params });
    assert_ne!(first, other);
    // The seed changes the choices, not the sizes.
    let a = scenario(&params).unwrap();
    let b = scenario(&Params { seed: 4, ..params }).unwrap();
    assert_eq!(a.assets.len(), b.assets.len());
    assert_eq!(a.organisations, b.organisations);
    assert_ne!(a.dependencies, b.dependencies);
}

#[test]
fn written_text_reads_back_as_the_same_scenario() {
    for params in [Params::new(1000, 30, 9), Params { bots: Bots::Passive, ..Params::new(7, 2, 1) }] {
        let bytes = text(&params);
        let read = parse_scenario(&bytes, Path::new("gen.ron")).unwrap_or_else(|e| panic!("{e}"));
        assert!(read == scenario(&params).unwrap(), "{params:?}: the file does not read back as generated");
    }
}

#[test]
fn valid_at_every_size_and_free_of_warnings_once_the_key_teams_play() {
    for (assets, teams) in
        [(1, 0), (2, 1), (9, 3), (50, 0), (50, 5), (50, max_teams(50)), (1000, 5), (1000, 100), (20_000, 100)]
    {
        let params = Params::new(assets, teams, 11);
        let m = model(&params);
        assert_eq!(m.assets.len(), assets as usize);
        assert_eq!(m.scenario.teams.len(), teams as usize);
        assert!(m.scenario.teams.iter().all(|t| matches!(t.bot, BotPolicy::Responsive { .. })));
        // The crisis cell, the national CSIRT and the CERC come first: with
        // them nothing is left that nobody can act on.
        if teams >= 3 && assets >= 10 {
            let lints: Vec<String> = lint(&m).iter().map(ToString::to_string).collect();
            assert!(lints.is_empty(), "{params:?}: {lints:#?}");
        }
    }
}

#[test]
fn short_exercises_and_passive_bots_are_valid_too() {
    for ticks in [1, 2, 30] {
        let params = Params { duration_ticks: ticks, bots: Bots::Passive, ..Params::new(500, 40, 2) };
        let m = model(&params);
        assert!(m.scenario.teams.iter().all(|t| t.bot == BotPolicy::Passive));
    }
}

#[test]
fn parameters_out_of_range_are_refused_with_the_reason() {
    assert_eq!(Params::new(0, 0, 1).check(), Err(ParamError::Assets(0)));
    assert_eq!(Params::new(1_000_001, 0, 1).check(), Err(ParamError::Assets(1_000_001)));
    let max = max_teams(50);
    assert!(max >= 20, "{max}");
    let error = Params::new(50, max + 1, 1).check().unwrap_err();
    assert!(error.to_string().contains(&format!("{} is more than {max}", max + 1)), "{error}");
    assert!(Params::new(50, max, 1).check().is_ok());
    assert_eq!(max_teams(1_000_000), MAX_TEAMS as u32);
    let no_ticks = Params { duration_ticks: 0, ..Params::new(10, 0, 1) };
    assert_eq!(no_ticks.check(), Err(ParamError::DurationTicks(0)));
    assert!(Country::generate(&no_ticks).is_err());
}

/// Whether the dependency graph (dependant → provider) has a cycle.
fn has_cycle(n: usize, edges: &[(u32, u32)]) -> bool {
    let mut next = vec![Vec::new(); n];
    for &(a, b) in edges {
        next[a as usize].push(b);
    }
    // 0 unseen, 1 on the current path, 2 done.
    let mut state = vec![0u8; n];
    for root in 0..n {
        if state[root] != 0 {
            continue;
        }
        let mut stack = vec![(root, 0usize)];
        state[root] = 1;
        while let Some(&mut (v, ref mut i)) = stack.last_mut() {
            if let Some(&w) = next[v].get(*i) {
                *i += 1;
                match state[w as usize] {
                    1 => return true,
                    0 => {
                        state[w as usize] = 1;
                        stack.push((w as usize, 0));
                    }
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    false
}

#[test]
fn it_has_the_promised_structure() {
    let m = model(&Params::new(20_000, 50, 5));
    let s = &m.scenario;
    assert_eq!(s.sectors.len(), 10);
    let per_asset = s.dependencies.len() as f64 / s.assets.len() as f64;
    assert!((2.0..4.0).contains(&per_asset), "{per_asset} dependencies per asset");
    assert!(s.dependencies.iter().any(|d| d.group.is_some()), "redundancy groups");
    assert!(s.dependencies.iter().filter(|d| d.buffer_ticks > 0).count() > s.assets.len() / 20, "buffers");
    assert!(s.links.len() >= s.assets.len() && s.links.iter().any(|l| l.directed), "links");
    let edges: Vec<(u32, u32)> = m.dependencies.iter().map(|d| (d.asset, d.on)).collect();
    assert!(has_cycle(m.assets.len(), &edges), "a dependency cycle");
    // Hubs: the most depended-on assets serve hundreds, most assets nobody.
    let mut dependants: HashMap<u32, usize> = HashMap::new();
    for d in &m.dependencies {
        *dependants.entry(d.on).or_default() += 1;
    }
    let most = dependants.values().max().copied().unwrap_or(0);
    assert!(most >= 100, "the busiest provider has {most} dependants");
    assert!(dependants.len() < s.assets.len() / 4, "{} providers", dependants.len());
    // Operators of unequal size, each with at least one asset.
    let mut owned: HashMap<&str, usize> = HashMap::new();
    for a in &s.assets {
        *owned.entry(a.organisation.as_str()).or_default() += 1;
    }
    let operators = s.organisations.iter().filter(|o| o.kind == OrganisationKind::Operator).count();
    assert_eq!(owned.len(), operators, "every operator owns an asset and nobody else does");
    let largest = owned.values().max().copied().unwrap_or(0);
    assert!(largest > 5 * (s.assets.len() / operators), "largest operator: {largest} assets");
    assert_eq!(s.incidents.len(), 7);
    assert!(!s.regimes.is_empty() && !s.injects.is_empty() && !s.objectives.is_empty());
}

#[test]
fn the_cascade_cascades() {
    let params = Params { duration_ticks: 100, ..Params::new(3000, 0, 1) };
    let m = model(&params);
    let storm = m.scenario.disruptions.iter().map(|d| d.tick).min().unwrap();
    let last = storm + 3;
    // Nothing but the storm lowers a level before `last`.
    for incident in &m.scenario.incidents {
        assert!(incident.impact == 0 || incident.start.is_none_or(|t| t > last), "{}", incident.id);
    }
    let disrupted: BTreeSet<u32> = m.disruptions.iter().filter(|d| d.tick <= last).map(|d| d.asset).collect();
    let first_hop: BTreeSet<u32> =
        m.dependencies.iter().filter(|d| disrupted.contains(&d.on)).map(|d| d.asset).collect();
    let mut sim = Simulation::new(Arc::new(m), params.seed);
    while sim.tick() < last {
        sim.step();
    }
    let down = |set: &dyn Fn(u32) -> bool| {
        sim.levels().iter().enumerate().filter(|&(a, &level)| level < 1000 && set(a as u32)).count()
    };
    let direct = down(&|a| !disrupted.contains(&a) && first_hop.contains(&a));
    let further = down(&|a| !disrupted.contains(&a) && !first_hop.contains(&a));
    assert!(direct > 0, "no dependant of the {} tripped substations went down", disrupted.len());
    assert!(further > 0, "the outage went no further than the first hop ({direct} assets)");
}
