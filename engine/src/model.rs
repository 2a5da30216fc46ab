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
    pub clock: ExerciseClock,
    /// Per organisation: its sector, if it has one.
    pub organisation_sector: Vec<Option<u32>>,
    /// Per organisation: the organisations of its constituency.
    pub organisation_constituency: Vec<Vec<u32>>,
    pub assets: Vec<ResolvedAsset>,
    pub dependencies: Vec<ResolvedDependency>,
    pub links: Vec<ResolvedLink>,
    /// Per team: its organisation.
    pub team_organisation: Vec<u32>,
    pub disruptions: Vec<ResolvedDisruption>,
    /// Sum of every asset's population.
    pub total_population: u64,
    /// Per sector: the sum of its assets' populations.
    pub sector_population: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedAsset {
    pub organisation: u32,
    pub sector: u32,
    pub population: u64,
    /// Starting integrity, per mille.
    pub integrity: u16,
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
        self.scenario
            .assets
            .iter()
            .position(|a| a.id == id)
            .map(|i| i as u32)
    }
}
