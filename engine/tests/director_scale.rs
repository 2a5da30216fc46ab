//! The director's view of a country larger than `DIRECTOR_ASSETS`: it carries
//! the affected assets only, worst first, with per-organisation aggregates that
//! agree with the assets, and the pages of `asset_page` give back every asset,
//! once, in declaration order. A small country's view is unchanged (every
//! asset, no aggregates).

use std::collections::BTreeMap;
use std::sync::Arc;

use cascade_engine::synthetic::country::{Bots, Params, scenario};
use cascade_engine::validate::validate;
use cascade_engine::view::{AssetView, DIRECTOR_ASSETS, asset_page, director_view};
use cascade_engine::{Model, Simulation};

fn simulation(assets: u32, seed: u64) -> Simulation {
    let params = Params { bots: Bots::Passive, ..Params::new(assets, 0, seed) };
    let model: Model = validate(scenario(&params).unwrap()).unwrap_or_else(|p| panic!("{}", p[0]));
    Simulation::new(Arc::new(model), seed)
}

fn affected(a: &AssetView) -> bool {
    a.level < 1000 || a.integrity < 1000 || a.cap < 1000 || a.physical < 1000 || a.isolated || !a.compromised.is_empty()
}

/// Every asset, through the pages a director would ask for.
fn all_pages(sim: &Simulation, filter: &str) -> Vec<AssetView> {
    let mut all = Vec::new();
    loop {
        let page = asset_page(sim, filter, all.len() as u64);
        assert!(page.assets.len() <= DIRECTOR_ASSETS);
        assert_eq!(page.from, all.len() as u64);
        let done = page.assets.is_empty();
        all.extend(page.assets);
        if done || all.len() as u64 == page.total {
            assert_eq!(all.len() as u64, page.total);
            return all;
        }
    }
}

#[test]
fn a_large_country_is_summarised_to_its_affected_assets_worst_first() {
    let mut sim = simulation(6_000, 5);
    // Past the first incidents' start and into the cascade.
    for _ in 0..400 {
        sim.step();
    }
    let view = director_view(&sim, 0);
    assert_eq!(view.assets_total, 6_000);
    let every = all_pages(&sim, "");
    assert_eq!(every.len(), 6_000, "the pages give every asset");
    let ids: Vec<&str> = every.iter().map(|a| a.id.as_str()).collect();
    let declared: Vec<&str> = sim.model().scenario.assets.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, declared, "pages are in declaration order");

    let hurt: Vec<&AssetView> = every.iter().filter(|a| affected(a)).collect();
    assert!(!hurt.is_empty(), "the scenario's incidents and cascade affect some assets by tick 400");
    assert_eq!(view.assets.len(), hurt.len().min(DIRECTOR_ASSETS));
    assert!(view.assets.iter().all(affected), "only affected assets are carried");
    let keys: Vec<(u16, u16)> = view.assets.iter().map(|a| (a.level, a.integrity)).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "worst first: {keys:?}");
    for a in &view.assets {
        assert_eq!(Some(a), every.iter().find(|e| e.id == a.id), "the view's asset is the page's");
    }

    // Aggregates agree with the assets.
    let mut by_org: BTreeMap<&str, (u32, u32, u32, u32, u16)> = BTreeMap::new();
    for a in &every {
        let e = by_org.entry(a.organisation.as_str()).or_insert((0, 0, 0, 0, 1000));
        e.0 += 1;
        if affected(a) {
            e.1 += 1;
            e.2 += u32::from(!a.compromised.is_empty());
            e.3 += u32::from(a.isolated);
            e.4 = e.4.min(a.level);
        }
    }
    let with_affected = by_org.values().filter(|e| e.1 > 0).count();
    assert_eq!(view.organisations.len(), with_affected);
    for o in &view.organisations {
        let e = by_org[o.id.as_str()];
        assert_eq!((o.assets, o.affected, o.compromised, o.isolated, o.lowest_level), e, "{}", o.id);
    }
    let lowest: Vec<u16> = view.organisations.iter().map(|o| o.lowest_level).collect();
    assert!(lowest.windows(2).all(|w| w[0] <= w[1]), "worst organisations first");

    // A filter finds healthy assets the view left out, case-insensitively.
    let org = &every.iter().find(|a| !affected(a)).expect("some assets are whole").organisation;
    let found = all_pages(&sim, &org.to_uppercase());
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|a| format!("{} {} {} {}", a.sector, a.id, a.name, a.organisation).contains(org.as_str()))
    );
    assert_eq!(asset_page(&sim, "no asset is called this", 0).total, 0);
    assert!(asset_page(&sim, "", 10_000).assets.is_empty(), "a page past the end is empty");
}

#[test]
fn a_country_within_the_limit_is_sent_whole() {
    let mut sim = simulation(DIRECTOR_ASSETS as u32, 5);
    for _ in 0..400 {
        sim.step();
    }
    let view = director_view(&sim, 0);
    assert_eq!(view.assets.len(), DIRECTOR_ASSETS);
    assert_eq!(view.assets_total, DIRECTOR_ASSETS as u64);
    assert!(view.organisations.is_empty(), "every asset is there: no aggregates needed");
    let ids: Vec<&str> = view.assets.iter().map(|a| a.id.as_str()).collect();
    let declared: Vec<&str> = sim.model().scenario.assets.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, declared);
}

#[test]
fn a_director_frame_does_not_grow_with_the_country() {
    // 40,000 assets: whole, the view would be about 8 MB.
    let mut sim = simulation(40_000, 2);
    for _ in 0..400 {
        sim.step();
    }
    let bytes = serde_json::to_string(&director_view(&sim, 0)).unwrap().len();
    assert!(bytes < 2_000_000, "a director snapshot of 40,000 assets is {bytes} bytes");
}
