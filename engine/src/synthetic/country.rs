//! A synthetic country for `cascade gen`, benchmarks and documentation: any
//! number of assets (1 to 1,000,000) with the structure of a real one, the same
//! bytes for the same parameters on every machine.
//!
//! The structure (docs/gen.md describes it for people):
//! - up to ten sectors (catalog.rs), each with three tiers of assets: a few
//!   national **hubs** (transmission substations, core routers, data centres),
//!   **regional** nodes spread over the country's regions, and **leaves** that
//!   serve people (hospitals' clinical systems, base stations, bank portals);
//! - dependencies that follow the tiers and the geography: a leaf depends on
//!   its sector's regional node in its own region, on the power and telecom
//!   nodes of that region, sometimes on data, water, payments or transport;
//!   regional nodes on two hubs of their sector (a **redundancy group**, N-1);
//!   hubs on other sectors' hubs;
//! - **buffers** where real plants have them (generators at hospitals and data
//!   centres, batteries in exchanges, water tanks, stock in warehouses);
//! - **cycles** where real infrastructure has them: the grid's control needs
//!   telecom and telecom needs power, at hub and at regional level. The telecom
//!   side always has backup power and the grid's side only a light weight, so
//!   a dark pair can black-start (docs/model.md, cycles);
//! - operators of very unequal sizes (one large operator per sector owns the
//!   hubs), a CSIRT per sector with its operators as constituency, a national
//!   CSIRT, authorities, a crisis cell, a ministry, the media;
//! - network links inside each operator (a tree with a few cross links) and
//!   from managed-service platforms into their customers, for incidents to
//!   spread along;
//! - a storm, a substation fire and a fibre cut; seven incidents; reporting
//!   regimes, injects and objectives; and up to `teams` teams, all bot-played.
//!
//! Everything is a pure function of `Params`: sizes come from the asset count
//! alone, choices from the engine's own random streams (`rng::stream`) under
//! purpose names of their own (`gen/assets`, `gen/dependencies`, …), so one
//! part never shifts another's draws. No clock, no hash-map order.
//!
//! Assets, dependencies and links are produced one at a time from a compact
//! plan (`for_each_*`), so `write_ron` streams a million-asset country without
//! holding its text or its `Scenario` in memory.

mod catalog;
mod exercise;
mod write;

use std::fmt;

use rand_chacha::ChaCha12Rng;
use rand_core::Rng;

use self::catalog::{
    DIGITAL, ENERGY, FINANCE, FOOD, GOVERNMENT, HEALTH, MANAGED_SERVICE, MANUFACTURING, SECTORS, TELECOM, TRANSPORT,
    WATER,
};
use crate::rng::stream;
use crate::scenario::{
    Asset, Criticality, Dependency, DependencyKind, Disruption, Incident, Inject, Link, Objective, Organisation,
    OrganisationKind, Regime, Response, Scenario, Sector, SmallString, Team,
};
use crate::validate::limits::{MAX_ASSETS, MAX_DURATION_TICKS, MAX_ORGANISATIONS, MAX_TEAMS};

/// A day of one-minute ticks.
pub const DEFAULT_DURATION_TICKS: u64 = 1440;

/// Users per asset: the country's population is this times the asset count.
const PEOPLE_PER_ASSET: u64 = 50;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// 1..=1,000,000.
    pub assets: u32,
    /// 0..=`max_teams(assets)`.
    pub teams: u32,
    /// Seeds the generator and is the scenario's own `seed`.
    pub seed: u64,
    pub duration_ticks: u64,
    pub bots: Bots,
}

/// How the generated teams are played until a human takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Bots {
    /// Each role's built-in responsive policy (docs/model.md, Bots).
    #[default]
    Responsive,
    /// Bots that do nothing: the cascade and the threats alone.
    Passive,
}

impl Params {
    /// A day of one-minute ticks, responsive bots.
    pub fn new(assets: u32, teams: u32, seed: u64) -> Self {
        Self { assets, teams, seed, duration_ticks: DEFAULT_DURATION_TICKS, bots: Bots::Responsive }
    }

    /// Every parameter within what the engine accepts.
    pub fn check(&self) -> Result<(), ParamError> {
        if self.assets == 0 || self.assets as usize > MAX_ASSETS {
            return Err(ParamError::Assets(self.assets));
        }
        if self.duration_ticks == 0 || self.duration_ticks > MAX_DURATION_TICKS {
            return Err(ParamError::DurationTicks(self.duration_ticks));
        }
        let max = max_teams(self.assets);
        if self.teams > max {
            return Err(ParamError::Teams {
                teams: self.teams,
                max,
                organisations: Layout::new(self.assets).organisations,
                assets: self.assets,
            });
        }
        Ok(())
    }
}

/// Parameters the generator cannot honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    Assets(u32),
    Teams { teams: u32, max: u32, organisations: u32, assets: u32 },
    DurationTicks(u64),
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Assets(n) => write!(f, "assets: {n} is out of range 1..={MAX_ASSETS}"),
            ParamError::DurationTicks(n) => write!(f, "ticks: {n} is out of range 1..={MAX_DURATION_TICKS}"),
            ParamError::Teams { teams, max, organisations, assets } => write!(
                f,
                "teams: {teams} is more than {max}: a country of {assets} assets has {organisations} organisations (at most one team each) and a scenario at most {MAX_TEAMS} teams"
            ),
        }
    }
}

impl std::error::Error for ParamError {}

/// The most teams a country of `assets` assets can have: one per
/// organisation, within the engine's limit.
pub fn max_teams(assets: u32) -> u32 {
    Layout::new(assets.clamp(1, MAX_ASSETS as u32)).organisations.min(MAX_TEAMS as u32)
}

/// The whole scenario in memory (for tests and benches; `Country::write_ron`
/// streams it instead).
pub fn scenario(params: &Params) -> Result<Scenario, ParamError> {
    Ok(Country::generate(params)?.to_scenario())
}

// ---------------------------------------------------------------- sizes

/// Organisations every country has, in this order, before the sectors' own.
const NATIONAL_CSIRT: u32 = 0;
const CRISIS_CELL: u32 = 1;
const CYBER_AGENCY: u32 = 2;
const FIN_SUPERVISOR: u32 = 3;
const DATA_PROTECTION: u32 = 4;
const INTERIOR: u32 = 5;
const MEDIA: u32 = 6;
const NATIONAL_ORGANISATIONS: u32 = 7;

/// One sector's share of the country: where its assets and organisations are.
#[derive(Debug, Clone)]
struct SectorLayout {
    /// Index in `SECTORS` (and in the scenario's sectors).
    spec: usize,
    /// Global index of its first asset: its hubs, then regional nodes, then leaves.
    first: u32,
    hubs: u32,
    regional: u32,
    leaves: u32,
    /// Organisation index of its sector CSIRT (the government's is the national CSIRT).
    csirt: Option<u32>,
    /// Organisation index of its largest operator; the others follow it.
    first_operator: u32,
    operators: u32,
}

impl SectorLayout {
    fn hub(&self, k: u32) -> u32 {
        self.first + k
    }
    fn regional_node(&self, k: u32) -> u32 {
        self.first + self.hubs + k
    }
    fn leaf(&self, k: u32) -> u32 {
        self.first + self.hubs + self.regional + k
    }
}

/// Sizes, from the asset count alone (so `max_teams` needs no generation).
#[derive(Debug, Clone)]
struct Layout {
    sectors: Vec<SectorLayout>,
    regions: u32,
    organisations: u32,
}

impl Layout {
    fn new(assets: u32) -> Layout {
        let used = (assets as usize).min(SECTORS.len());
        let shares: u64 = SECTORS[..used].iter().map(|s| u64::from(s.share)).sum();
        let rest = u64::from(assets) - used as u64;
        // One asset each, the rest by share, the rounding left-overs one by one.
        let mut sizes: Vec<u32> =
            SECTORS[..used].iter().map(|s| 1 + (rest * u64::from(s.share) / shares) as u32).collect();
        let mut left = assets - sizes.iter().sum::<u32>();
        let mut i = 0;
        while left > 0 {
            sizes[i % used] += 1;
            left -= 1;
            i += 1;
        }
        let mut first = 0;
        let mut organisation = NATIONAL_ORGANISATIONS;
        let mut sectors = Vec::with_capacity(used);
        for (spec, &size) in sizes.iter().enumerate() {
            // A hub per 500 assets, a regional node per 25: a substation feeds
            // a few dozen sites, a transmission substation a few dozen substations.
            let (hubs, regional) = if size >= 3 { ((size / 500).max(1), (size / 25).max(1)) } else { (1, 0) };
            let csirt = (spec != GOVERNMENT).then(|| {
                organisation += 1;
                organisation - 1
            });
            // An operator per ten assets, within the engine's limit on
            // organisations (each sector its share of it).
            let most = (MAX_ORGANISATIONS as u32 - 1000) * SECTORS[spec].share / 1000;
            let operators = (size / 10).clamp(1, most);
            sectors.push(SectorLayout {
                spec,
                first,
                hubs,
                regional,
                leaves: size - hubs - regional,
                csirt,
                first_operator: organisation,
                operators,
            });
            organisation += operators;
            first += size;
        }
        Layout { sectors, regions: (assets / 400).clamp(1, 4096), organisations: organisation }
    }

    fn sector(&self, spec: usize) -> Option<&SectorLayout> {
        self.sectors.get(spec)
    }
}

// ---------------------------------------------------------------- randomness

/// Draws from one of the engine's ChaCha streams with our own small
/// functions (as `rng.rs` does), never a library's range sampling.
struct Draw(ChaCha12Rng);

impl Draw {
    fn new(seed: u64, purpose: &str) -> Self {
        Draw(stream(seed, purpose))
    }
    /// In `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u32) -> u32 {
        ((u64::from(self.0.next_u32()) * u64::from(n)) >> 32) as u32
    }
    /// In `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + self.below(hi - lo + 1)
    }
    /// A per-mille chance.
    fn chance(&mut self, per_mille: u32) -> bool {
        self.below(1000) < per_mille
    }
    /// In `0..n`, skewed towards 0 (the square of a uniform draw): a few large
    /// operators and many small ones.
    fn skewed(&mut self, n: u32) -> u32 {
        let u = u128::from(self.0.next_u32());
        ((u * u * u128::from(n)) >> 64) as u32
    }
}

// ---------------------------------------------------------------- the plan

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Hub,
    Regional,
    Leaf,
}

/// One asset, compactly: ids and names are derived when it is written.
#[derive(Debug, Clone, Copy)]
struct PlanAsset {
    sector: u8,
    tier: Tier,
    /// Leaf kind (index in the sector's `leaves`); 0 for hubs and regional nodes.
    kind: u8,
    /// Its number within its tier and sector, from 1 (ids and names).
    number: u32,
    criticality: Criticality,
    region: u32,
    organisation: u32,
    population: u64,
}

/// A dependency before its ids are written.
struct Dep {
    on: u32,
    kind: DependencyKind,
    weight: u32,
    threshold: u32,
    buffer: u32,
    group: Option<&'static str>,
}

/// A generated country: the plan of its assets and the exercise around them.
pub struct Country {
    params: Params,
    layout: Layout,
    population: u64,
    assets: Vec<PlanAsset>,
    ids: Vec<SmallString>,
    organisations: Vec<Organisation>,
    /// Each organisation's assets, in index order.
    owned: Vec<Vec<u32>>,
    /// Managed-service platforms (digital leaves that reach into customers).
    managed: Vec<u32>,
    teams: Vec<Team>,
    disruptions: Vec<Disruption>,
    incidents: Vec<Incident>,
    regimes: Vec<Regime>,
    injects: Vec<Inject>,
    objectives: Vec<Objective>,
}

impl Country {
    pub fn generate(params: &Params) -> Result<Country, ParamError> {
        params.check()?;
        let layout = Layout::new(params.assets);
        let population = (u64::from(params.assets) * PEOPLE_PER_ASSET).max(1000);
        let mut country = Country {
            params: *params,
            population,
            assets: Vec::with_capacity(params.assets as usize),
            ids: Vec::with_capacity(params.assets as usize),
            organisations: Vec::new(),
            owned: vec![Vec::new(); layout.organisations as usize],
            managed: Vec::new(),
            teams: Vec::new(),
            disruptions: Vec::new(),
            incidents: Vec::new(),
            regimes: Vec::new(),
            injects: Vec::new(),
            objectives: Vec::new(),
            layout,
        };
        country.plan_assets();
        country.plan_organisations();
        country.plan_exercise();
        Ok(country)
    }

    /// The parameters it was generated from.
    pub fn params(&self) -> &Params {
        &self.params
    }

    fn plan_assets(&mut self) {
        let mut rng = Draw::new(self.params.seed, "gen/assets");
        let regions = self.layout.regions;
        for sl in &self.layout.sectors {
            let spec = &SECTORS[sl.spec];
            let sector = sl.spec as u8;
            let leaf_weights: u32 = spec.leaves.iter().map(|k| k.weight).sum();
            let mut push = |asset: PlanAsset, id: String| {
                self.owned[asset.organisation as usize].push(self.assets.len() as u32);
                self.assets.push(asset);
                self.ids.push(id.into());
            };
            for k in 0..sl.hubs {
                push(
                    PlanAsset {
                        sector,
                        tier: Tier::Hub,
                        kind: 0,
                        number: k + 1,
                        criticality: Criticality::Critical,
                        region: spread(k, sl.hubs, regions),
                        organisation: sl.first_operator,
                        population: 0,
                    },
                    format!("{}-h{}", spec.code, k + 1),
                );
            }
            // Regional nodes belong to a few operators by area (distribution
            // system operators, regional carriers).
            let area_operators = sl.operators.min(4);
            let regional_people = (self.population * 3 / 10 / u64::from(sl.regional.max(1))).max(1);
            for k in 0..sl.regional {
                push(
                    PlanAsset {
                        sector,
                        tier: Tier::Regional,
                        kind: 0,
                        number: k + 1,
                        criticality: Criticality::High,
                        region: spread(k, sl.regional, regions),
                        organisation: sl.first_operator + spread(k, sl.regional, area_operators),
                        population: regional_people,
                    },
                    format!("{}-r{}", spec.code, k + 1),
                );
            }
            let leaf_people = (self.population * 7 / 10 / u64::from(sl.leaves.max(1))).max(2);
            for k in 0..sl.leaves {
                let mut pick = rng.below(leaf_weights);
                let kind = spec
                    .leaves
                    .iter()
                    .position(|leaf| {
                        let hit = pick < leaf.weight;
                        pick = pick.saturating_sub(leaf.weight);
                        hit
                    })
                    .unwrap_or(0);
                // Every operator owns at least one leaf; the rest go mostly to
                // the large ones.
                let operator = if k < sl.operators { k } else { rng.skewed(sl.operators) };
                let region = rng.below(regions);
                let population = (leaf_people * u64::from(rng.range(50, 150)) / 100).max(1);
                let index = sl.leaf(k);
                if sl.spec == DIGITAL && spec.leaves[kind].name == MANAGED_SERVICE {
                    self.managed.push(index);
                }
                push(
                    PlanAsset {
                        sector,
                        tier: Tier::Leaf,
                        kind: kind as u8,
                        number: k + 1,
                        criticality: spec.leaves[kind].criticality,
                        region,
                        organisation: sl.first_operator + operator,
                        population,
                    },
                    format!("{}-{}", spec.code, k + 1),
                );
            }
        }
    }

    fn plan_organisations(&mut self) {
        let has = |spec: usize| self.layout.sector(spec).map(|_| SECTORS[spec].id.to_string());
        let org = |id: &str, name: &str, kind, sector: Option<String>, constituency: Vec<String>| Organisation {
            id: id.into(),
            name: name.into(),
            kind,
            sector,
            constituency,
            simulated: false,
        };
        let operators_of = |sl: &SectorLayout| -> Vec<String> {
            (0..sl.operators).map(|k| format!("{}-op{}", SECTORS[sl.spec].code, k + 1)).collect()
        };
        let government_operators = self.layout.sector(GOVERNMENT).map(operators_of).unwrap_or_default();
        let mut orgs = vec![
            org("national-csirt", "National CSIRT", OrganisationKind::Csirt, has(GOVERNMENT), government_operators),
            org("crisis-cell", "National crisis cell", OrganisationKind::CrisisCell, has(GOVERNMENT), vec![]),
            org("cyber-agency", "National cybersecurity agency", OrganisationKind::Authority, has(GOVERNMENT), vec![]),
            org("fin-supervisor", "Financial supervisor", OrganisationKind::Authority, has(FINANCE), vec![]),
            org("data-protection", "Data protection authority", OrganisationKind::Authority, None, vec![]),
            org("interior-ministry", "Ministry of the Interior", OrganisationKind::Ministry, has(GOVERNMENT), vec![]),
            org("national-media", "National media", OrganisationKind::Media, None, vec![]),
        ];
        for sl in &self.layout.sectors {
            let spec = &SECTORS[sl.spec];
            if sl.csirt.is_some() {
                orgs.push(org(
                    &format!("{}-csirt", spec.code),
                    &format!("{} CSIRT", spec.name),
                    OrganisationKind::Csirt,
                    Some(spec.id.into()),
                    operators_of(sl),
                ));
            }
            for (k, id) in operators_of(sl).into_iter().enumerate() {
                let name = if k == 0 {
                    spec.largest_operator.to_string()
                } else {
                    format!("{} operator {}", spec.name, k + 1)
                };
                orgs.push(org(&id, &name, OrganisationKind::Operator, Some(spec.id.into()), vec![]));
            }
        }
        debug_assert_eq!(orgs.len() as u32, self.layout.organisations);
        self.organisations = orgs;
    }

    // ------------------------------------------------------------ assets

    fn asset(&self, a: u32) -> Asset {
        let p = &self.assets[a as usize];
        let spec = &SECTORS[p.sector as usize];
        let (name, isolation_cap, repair_ticks) = match p.tier {
            Tier::Hub => {
                // Islanding a substation's control network keeps the power on;
                // a transformer takes a day to replace.
                let energy = p.sector as usize == ENERGY;
                (format!("{} {}", spec.hub, p.number), energy.then_some(1000), energy.then_some(1440))
            }
            Tier::Regional => {
                let plant = matches!(p.sector as usize, ENERGY | WATER);
                (format!("{} {}", spec.regional, p.number), plant.then_some(1000), plant.then_some(480))
            }
            Tier::Leaf => (format!("{} {}", spec.leaves[p.kind as usize].name, p.number), None, None),
        };
        Asset {
            id: self.ids[a as usize].clone(),
            name,
            organisation: self.organisations[p.organisation as usize].id.as_str().into(),
            sector: spec.id.into(),
            population: p.population,
            criticality: p.criticality,
            integrity: 1000,
            isolation_cap,
            repair_ticks,
        }
    }

    /// Every asset, in order.
    pub fn for_each_asset<E>(&self, mut f: impl FnMut(Asset) -> Result<(), E>) -> Result<(), E> {
        (0..self.assets.len() as u32).try_for_each(|a| f(self.asset(a)))
    }

    // ------------------------------------------------------------ dependencies

    /// A regional node of sector `spec` serving `region` (its hub when the
    /// sector is too small to have regional nodes).
    fn regional_in(&self, spec: usize, region: u32, rng: &mut Draw) -> Option<u32> {
        let sl = self.layout.sector(spec)?;
        if sl.regional == 0 {
            return Some(sl.hub(0));
        }
        let regions = u64::from(self.layout.regions);
        let lo = (u64::from(region) * u64::from(sl.regional) / regions) as u32;
        let hi = ((u64::from(region + 1) * u64::from(sl.regional) / regions) as u32).clamp(lo + 1, sl.regional);
        Some(sl.regional_node(lo.min(sl.regional - 1) + rng.below(hi - lo.min(sl.regional - 1))))
    }

    /// Any regional node of `spec` (a second carrier, anywhere).
    fn any_regional(&self, spec: usize, rng: &mut Draw) -> Option<u32> {
        let sl = self.layout.sector(spec)?;
        Some(if sl.regional == 0 { sl.hub(0) } else { sl.regional_node(rng.below(sl.regional)) })
    }

    /// Up to two distinct hubs of `spec`.
    fn two_hubs(&self, spec: usize, rng: &mut Draw) -> Vec<u32> {
        let Some(sl) = self.layout.sector(spec) else { return vec![] };
        let first = rng.below(sl.hubs);
        if sl.hubs < 2 {
            return vec![sl.hub(first)];
        }
        let second = (first + 1 + rng.below(sl.hubs - 1)) % sl.hubs;
        vec![sl.hub(first), sl.hub(second)]
    }

    /// The dependencies of asset `a`, by the rules in the module comment.
    fn dependencies_of(&self, a: u32, rng: &mut Draw, out: &mut Vec<Dep>) {
        let p = self.assets[a as usize];
        let s = p.sector as usize;
        let service = SECTORS[s].service;
        let dep = |on: u32, kind, weight, threshold, buffer, group| Dep { on, kind, weight, threshold, buffer, group };
        let grouped = |out: &mut Vec<Dep>, on: Vec<u32>, kind, weight, threshold, buffer, group: &'static str| {
            let group = (on.len() > 1).then_some(group);
            for provider in on {
                out.push(dep(provider, kind, weight, threshold, buffer, group));
            }
        };
        match p.tier {
            Tier::Hub => {
                if s == ENERGY {
                    // The grid's control centre needs telecom for its SCADA,
                    // but the grid keeps running (lightly) without it: one half
                    // of the energy-telecom cycle.
                    let on = self.two_hubs(TELECOM, rng);
                    grouped(out, on, DependencyKind::Network, 300, 500, 0, "scada");
                } else {
                    // Two feeds from the transmission grid, and a generator.
                    let on = self.two_hubs(ENERGY, rng);
                    let buffer = if s == TELECOM { rng.range(480, 1440) } else { rng.range(240, 1440) };
                    grouped(out, on, DependencyKind::Power, 1000, 500, buffer, "grid");
                    if s != TELECOM {
                        let on = self.two_hubs(TELECOM, rng);
                        grouped(out, on, DependencyKind::Network, 800, 600, 0, "backbone");
                    }
                }
                if matches!(s, FINANCE | GOVERNMENT | HEALTH) {
                    let on = self.two_hubs(DIGITAL, rng);
                    grouped(out, on, DependencyKind::Data, 700, 500, 0, "cloud");
                }
                if s == DIGITAL
                    && let Some(&on) = self.two_hubs(WATER, rng).first()
                {
                    // Cooling water; tanks for half a day.
                    out.push(dep(on, DependencyKind::Supply, 500, 400, 720, None));
                }
            }
            Tier::Regional => {
                let on = self.two_hubs(s, rng);
                let buffer = match s {
                    WATER => rng.range(240, 720),
                    FOOD | MANUFACTURING => rng.range(720, 2880),
                    _ => 0,
                };
                grouped(out, on, service, 1000, 500, buffer, "core");
                if s == ENERGY {
                    // Substation telemetry over the regional exchange.
                    if let Some(on) = self.regional_in(TELECOM, p.region, rng) {
                        out.push(dep(on, DependencyKind::Network, 200, 500, 0, None));
                    }
                } else {
                    if let Some(on) = self.regional_in(ENERGY, p.region, rng) {
                        let buffer = match s {
                            TELECOM => rng.range(60, 240),
                            DIGITAL => rng.range(720, 1440),
                            HEALTH => rng.range(240, 720),
                            _ if rng.chance(300) => rng.range(10, 60),
                            _ => 0,
                        };
                        out.push(dep(on, DependencyKind::Power, 1000, 500, buffer, None));
                    }
                    if s != TELECOM
                        && let Some(on) = self.regional_in(TELECOM, p.region, rng)
                    {
                        out.push(dep(on, DependencyKind::Network, 700, 600, 0, None));
                    }
                }
                if matches!(s, FINANCE | GOVERNMENT | HEALTH)
                    && let Some(on) = self.regional_in(DIGITAL, p.region, rng)
                {
                    out.push(dep(on, DependencyKind::Data, 600, 500, 0, None));
                }
            }
            Tier::Leaf => {
                let critical = p.criticality == Criticality::Critical;
                let high = matches!(p.criticality, Criticality::High | Criticality::Critical);
                if let Some(on) = self.regional_in(s, p.region, rng) {
                    let weight = rng.range(500, 1000);
                    let threshold = rng.range(400, 700);
                    out.push(dep(on, service, weight, threshold, 0, None));
                }
                if s != ENERGY
                    && let Some(on) = self.regional_in(ENERGY, p.region, rng)
                {
                    // Generators where life or the state depends on it, some
                    // UPS elsewhere.
                    let buffer = if critical {
                        rng.range(120, 720)
                    } else if high && rng.chance(500) {
                        rng.range(30, 240)
                    } else if rng.chance(150) {
                        rng.range(5, 30)
                    } else {
                        0
                    };
                    let weight = rng.range(800, 1000);
                    out.push(dep(on, DependencyKind::Power, weight, 500, buffer, None));
                }
                if s != TELECOM && (high || rng.chance(400)) {
                    let mut on: Vec<u32> = self.regional_in(TELECOM, p.region, rng).into_iter().collect();
                    // Two carriers for what matters most.
                    if (critical || rng.chance(400))
                        && high
                        && let Some(second) = self.any_regional(TELECOM, rng).filter(|x| !on.contains(x))
                    {
                        on.push(second);
                    }
                    let weight = rng.range(600, 1000);
                    let threshold = rng.range(500, 800);
                    grouped(out, on, DependencyKind::Network, weight, threshold, 0, "carriers");
                }
                if matches!(s, FINANCE | GOVERNMENT | HEALTH | TRANSPORT)
                    && rng.chance(350)
                    && let Some(on) = self.regional_in(DIGITAL, p.region, rng)
                {
                    let weight = rng.range(400, 800);
                    out.push(dep(on, DependencyKind::Data, weight, 500, 0, None));
                }
                if matches!(s, HEALTH | FOOD | MANUFACTURING)
                    && rng.chance(300)
                    && let Some(on) = self.regional_in(WATER, p.region, rng)
                {
                    let buffer = rng.range(240, 720);
                    out.push(dep(on, DependencyKind::Supply, 800, 400, buffer, None));
                }
                if matches!(s, FOOD | TRANSPORT)
                    && rng.chance(200)
                    && let Some(sl) = self.layout.sector(FINANCE)
                {
                    // Card payments: shops keep selling, for cash.
                    out.push(dep(sl.hub(rng.below(sl.hubs)), DependencyKind::Finance, 300, 500, 0, None));
                }
                if s == HEALTH
                    && rng.chance(120)
                    && let Some(on) = self.regional_in(TRANSPORT, p.region, rng)
                {
                    out.push(dep(on, DependencyKind::Staff, 250, 300, 0, None));
                }
            }
        }
        // Tiny countries fold tiers together; an asset never waits for itself.
        out.retain(|d| d.on != a);
    }

    /// Every dependency, in order of the dependant asset.
    pub fn for_each_dependency<E>(&self, mut f: impl FnMut(Dependency) -> Result<(), E>) -> Result<(), E> {
        let mut rng = Draw::new(self.params.seed, "gen/dependencies");
        let mut deps = Vec::with_capacity(8);
        for a in 0..self.assets.len() as u32 {
            deps.clear();
            self.dependencies_of(a, &mut rng, &mut deps);
            for d in deps.drain(..) {
                f(Dependency {
                    asset: self.ids[a as usize].clone(),
                    on: self.ids[d.on as usize].clone(),
                    kind: d.kind,
                    weight: d.weight,
                    threshold: d.threshold,
                    buffer_ticks: d.buffer,
                    group: d.group.map(SmallString::from),
                })?;
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ links

    /// Every network link: inside each organisation a tree (each asset to
    /// the one a quarter of its rank above it) with a quarter of the
    /// neighbours in rank also linked, so spread finds more than one path;
    /// then managed-service platforms into a twentieth of the other sectors'
    /// assets (one way: the provider reaches into its customers). No link
    /// repeats: a tree link joins a rank to a lower one, the extra link a rank
    /// to the one just below, which is never its parent past rank 1.
    pub fn for_each_link<E>(&self, mut f: impl FnMut(Link) -> Result<(), E>) -> Result<(), E> {
        let mut rng = Draw::new(self.params.seed, "gen/links");
        let link = |from: u32, to: u32, directed| Link {
            from: self.ids[from as usize].clone(),
            to: self.ids[to as usize].clone(),
            directed,
        };
        for owned in &self.owned {
            for rank in 1..owned.len() {
                f(link(owned[rank], owned[(rank - 1) / 4], false))?;
                if rank >= 2 && rng.chance(250) {
                    f(link(owned[rank], owned[rank - 1], false))?;
                }
            }
        }
        if !self.managed.is_empty() {
            for (a, p) in self.assets.iter().enumerate() {
                if p.sector as usize != DIGITAL && rng.chance(50) {
                    let provider = self.managed[rng.below(self.managed.len() as u32) as usize];
                    f(link(provider, a as u32, true))?;
                }
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ output

    fn header(&self) -> Scenario {
        let p = &self.params;
        let l = &self.layout;
        Scenario {
            name: format!("Synthetic country: {} assets, seed {}", p.assets, p.seed),
            description: format!(
                "Generated by `cascade gen --assets {} --teams {} --seed {}`: {} sectors, {} region{}, {} organisations, hubs, regional nodes and leaves; a storm, a substation fire, a fibre cut and seven incidents (docs/gen.md).",
                p.assets,
                p.teams,
                p.seed,
                l.sectors.len(),
                l.regions,
                if l.regions == 1 { "" } else { "s" },
                l.organisations
            ),
            seed: p.seed,
            tick_seconds: 60,
            duration_ticks: p.duration_ticks,
            start: "2026-03-10T06:00".into(),
            time_zone: "Europe/Brussels".into(),
            population: Some(self.population),
            sectors: l
                .sectors
                .iter()
                .map(|sl| Sector {
                    id: SECTORS[sl.spec].id.into(),
                    name: SECTORS[sl.spec].name.into(),
                    population: Some(self.population),
                })
                .collect(),
            organisations: self.organisations.clone(),
            assets: vec![],
            dependencies: vec![],
            links: vec![],
            teams: self.teams.clone(),
            disruptions: self.disruptions.clone(),
            incidents: self.incidents.clone(),
            response: Response::default(),
            regimes: self.regimes.clone(),
            injects: self.injects.clone(),
            msel: None,
            objectives: self.objectives.clone(),
            physical_damage: Some(true),
        }
    }

    /// The whole scenario in memory.
    pub fn to_scenario(&self) -> Scenario {
        let mut s = self.header();
        s.assets.reserve(self.assets.len());
        // Collecting into memory cannot fail.
        fn push<T>(list: &mut Vec<T>, item: T) -> Result<(), std::convert::Infallible> {
            list.push(item);
            Ok(())
        }
        let (assets, dependencies, links) = (&mut s.assets, &mut s.dependencies, &mut s.links);
        let _ = self.for_each_asset(|a| push(assets, a));
        let _ = self.for_each_dependency(|d| push(dependencies, d));
        let _ = self.for_each_link(|l| push(links, l));
        s
    }
}

/// Where item `k` of `count` sits among `slots` (spread evenly, in order).
fn spread(k: u32, count: u32, slots: u32) -> u32 {
    (u64::from(k) * u64::from(slots) / u64::from(count.max(1))) as u32
}

#[cfg(test)]
mod tests;
