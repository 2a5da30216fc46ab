//! A validated scenario with every id resolved to a dense stable index.
//!
//! The stable index of an item is its position in its list in the scenario file
//! (declaration order, from 0). Everything ordered in the simulation, the state
//! hash and the outputs is ordered by it; ECS entity ids never are.

use crate::clock::ExerciseClock;
use crate::scenario::Scenario;

/// A scenario that passed `validate`: every reference resolves and every value is
/// in range, so the engine can index without checks.
#[derive(Debug, Clone)]
pub struct Model {
    /// The scenario exactly as loaded (text and all), for outputs and journals.
    pub scenario: Scenario,
    /// Physical damage kept apart from cyber damage (`Scenario::physical_damage`,
    /// unset: false; see `damage`).
    pub physical_damage: bool,
    pub clock: ExerciseClock,
    /// Per organisation: its sector, if it has one.
    pub organisation_sector: Vec<Option<u32>>,
    /// Per organisation: the organisations of its constituency.
    pub organisation_constituency: Vec<Vec<u32>>,
    pub assets: Vec<ResolvedAsset>,
    /// Per organisation: its assets, in declaration order (views look an
    /// organisation's assets up here rather than scanning every asset).
    pub organisation_assets: Vec<Vec<u32>>,
    pub dependencies: Vec<ResolvedDependency>,
    pub links: Vec<ResolvedLink>,
    /// Per team: its organisation.
    pub team_organisation: Vec<u32>,
    pub disruptions: Vec<ResolvedDisruption>,
    /// Sum of every asset's population.
    pub total_population: u64,
    /// Per sector: the sum of its assets' populations.
    pub sector_population: Vec<u64>,
    /// The assets of criticality `Critical`, ascending (the first critical
    /// outage is looked for among them, not among every asset).
    pub critical_assets: Vec<u32>,
    pub exercise: ExerciseModel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedAsset {
    pub organisation: u32,
    pub sector: u32,
    pub population: u64,
    /// Starting integrity, per mille.
    pub integrity: u16,
    /// The level it is held to while isolated, per mille (its own, or the
    /// response's default).
    pub isolation_cap: u16,
    /// Ticks a physical repair takes (its own, or the response's).
    pub repair_ticks: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedDependency {
    /// The dependent asset.
    pub asset: u32,
    /// The provider it depends on.
    pub on: u32,
    pub weight: u16,
    pub threshold: u16,
    pub buffer_ticks: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedLink {
    pub from: u32,
    pub to: u32,
    pub directed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedDisruption {
    pub tick: u64,
    pub asset: u32,
    pub integrity: u16,
}

impl Model {
    pub fn asset_count(&self) -> usize {
        self.assets.len()
    }

    pub fn sector_count(&self) -> usize {
        self.scenario.sectors.len()
    }

    /// Stable index of the asset with this id.
    pub fn asset_index(&self, id: &str) -> Option<u32> {
        self.scenario.assets.iter().position(|a| a.id == id).map(|i| i as u32)
    }
}

/// Exercise-minutes → ticks, rounding up (a deadline is never earlier than written).
pub fn minutes_to_ticks(minutes: u64, tick_seconds: u32) -> u64 {
    (minutes.saturating_mul(60)).div_ceil(u64::from(tick_seconds.max(1)))
}

/// The exercise part of a validated scenario: incidents, regimes, injects and
/// objectives with ids resolved to stable indices and times to ticks.
#[derive(Debug, Clone, Default)]
pub struct ExerciseModel {
    pub incidents: Vec<ResolvedIncident>,
    pub regimes: Vec<ResolvedRegime>,
    pub injects: Vec<ResolvedInject>,
    pub objectives: Vec<ResolvedObjective>,
    /// Undirected network links as adjacency: neighbours of asset `a` (in link
    /// stable order) are `link_targets[link_start[a]..link_start[a + 1]]`.
    pub link_start: Vec<u32>,
    pub link_targets: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedIncident {
    pub targets: Vec<u32>,
    pub start: Option<u64>,
    pub impact: u16,
    pub floor: u16,
    pub spread: u16,
    pub visibility: u16,
    pub detectability: u16,
    pub personal_data: bool,
    /// Its impact is physical damage.
    pub physical: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRegime {
    pub authority: u32,
    pub stages: Vec<ResolvedStage>,
    /// Per organisation: whether the regime applies to it.
    pub applies_to: Vec<bool>,
    pub personal_data_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedStage {
    pub id: String,
    /// (anchor, ticks after it).
    pub deadlines: Vec<(crate::scenario::Anchor, u64)>,
    /// Only after the previous stage is filed.
    pub after_previous: bool,
    /// Not before (ticks after the previous stage's filing, unless contained).
    pub not_before: Option<(u64, bool)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedCondition {
    AssetBelow { asset: u32, level: u16 },
    SectorBelow { sector: u32, per_mille: u16 },
    IncidentDetected(u32),
    DeadlineMissed(u32),
    PiuActive,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedEffect {
    StartIncident(u32),
    SetIntegrity { asset: u32, integrity: u16 },
    SetStaff { team: u32, staff: u32 },
    Alert { incident: u32, asset: u32 },
    Indicators { incident: u32, to: Vec<u32>, tlp: crate::scenario::Tlp },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedInject {
    pub at: Option<u64>,
    pub when: Option<ResolvedCondition>,
    /// Recipient teams (every team when the inject names none).
    pub to: Vec<u32>,
    pub effects: Vec<ResolvedEffect>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedRule {
    PiuActivatedWithin {
        ticks: u64,
    },
    /// `organisations` empty: every organisation's reports.
    ReportsOnTime {
        regime: u32,
        stage: Option<u32>,
        organisations: Vec<u32>,
    },
    AssetLevelBy {
        asset: u32,
        at_least: u16,
        by: u64,
    },
    SectorServiceBy {
        sector: u32,
        at_least: u16,
        by: u64,
    },
    IndicatorsSharedWithin {
        incident: u32,
        teams: Vec<u32>,
        ticks: u64,
    },
    ContainedWithin {
        incident: u32,
        ticks: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedObjective {
    pub rule: ResolvedRule,
    pub teams: Vec<u32>,
}
