//! Which assets the director's view carries, and the pages of assets a director
//! asks for (docs/protocol.md, *The director's view at national scale*).
//!
//! A country of 100,000 assets would make every director frame tens of
//! megabytes, almost all of it healthy assets nobody looks at. So a view holds
//! every asset only while there are at most [`DIRECTOR_ASSETS`]; beyond that it
//! holds the *affected* ones (anything not whole: below full level, integrity,
//! cap or plant, isolated, or compromised), worst first, at most
//! [`DIRECTOR_ASSETS`] of them, with aggregates per organisation; the rest is
//! fetched on request, a page at a time, by [`asset_page`]. Its messages are
//! the latest [`DIRECTOR_MESSAGES`] (a reconnecting director does not get the
//! whole day's log in one frame).
//!
//! It must never: let a frame grow with the size of the country (every list
//! here is bounded), or differ between two calls on the same state (the order
//! is total: worst level, then integrity, then id, an order a client can
//! restore after applying a delta).

use serde::{Deserialize, Serialize};

use super::{AssetView, asset_view};
use crate::simulation::Simulation;

/// The most assets a director frame (a view or a page) carries.
pub const DIRECTOR_ASSETS: usize = 2_000;
/// The most organisations a director view summarises (the worst first).
pub const DIRECTOR_ORGANISATIONS: usize = 2_000;
/// The most messages a director frame carries: the latest (a snapshot late
/// in a national exercise would otherwise carry the whole day's log; the
/// report and the journal keep every message).
pub const DIRECTOR_MESSAGES: usize = 5_000;
/// Longest filter of an asset request, in characters.
pub const MAX_ASSET_FILTER_CHARS: usize = 200;

/// An organisation with affected assets, as the director sees it when the view
/// is summarised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationSummary {
    pub id: String,
    /// All its assets.
    pub assets: u32,
    /// Those not whole (see the module's doc).
    pub affected: u32,
    /// Those with a compromise on them, detected or not.
    pub compromised: u32,
    pub isolated: u32,
    /// Its lowest asset level, per mille.
    pub lowest_level: u16,
}

/// One page of the assets matching a director's filter (`"type":"assets"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetPage {
    /// The tick the assets are at.
    pub tick: u64,
    /// The filter as asked (case-insensitive; empty: every asset).
    pub filter: String,
    /// The position of the page's first asset among those matching.
    pub from: u64,
    /// How many assets match in all.
    pub total: u64,
    /// At most [`DIRECTOR_ASSETS`], in declaration order.
    pub assets: Vec<AssetView>,
}

/// The assets of a director view: all of them while there are at most
/// [`DIRECTOR_ASSETS`], else the affected ones, worst first, at most that many.
pub fn director_assets(sim: &Simulation) -> Vec<AssetView> {
    let count = sim.model().assets.len();
    if count <= DIRECTOR_ASSETS {
        return (0..count).map(|a| asset_view(sim, a, true)).collect();
    }
    let mut worst: Vec<usize> = affected_assets(sim, &compromised_assets(sim));
    let ids = &sim.model().scenario.assets;
    let key = |a: usize| (sim.levels()[a], sim.integrity()[a], ids[a].id.as_str());
    worst_first(&mut worst, DIRECTOR_ASSETS, |&x, &y| key(x).cmp(&key(y)));
    worst.into_iter().map(|a| asset_view(sim, a, true)).collect()
}

/// Per asset, whether any incident has a compromise on it (detected or not):
/// looked up per incident (a handful) rather than per asset.
fn compromised_assets(sim: &Simulation) -> Vec<bool> {
    let mut compromised = vec![false; sim.model().assets.len()];
    for incident in &sim.exercise().incidents {
        for &a in incident.infections.keys() {
            compromised[a as usize] = true;
        }
    }
    compromised
}

/// Every affected asset, in declaration order, in one pass.
fn affected_assets(sim: &Simulation, compromised: &[bool]) -> Vec<usize> {
    (0..sim.model().assets.len())
        .filter(|&a| {
            compromised[a]
                || sim.levels()[a] < 1000
                || sim.integrity()[a] < 1000
                || sim.caps()[a] < 1000
                || sim.physical()[a] < 1000
                || sim.exercise().isolated[a]
        })
        .collect()
}

/// Keeps the `keep` first of `items` in the order `cmp` (a total order),
/// sorted: the same as sorting all and truncating, without sorting the
/// hundreds of thousands an exercise may have affected.
fn worst_first<T>(items: &mut Vec<T>, keep: usize, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if items.len() > keep && keep > 0 {
        items.select_nth_unstable_by(keep - 1, &cmp);
    }
    items.truncate(keep);
    items.sort_by(cmp);
}

/// Per organisation with affected assets (only when the view is summarised,
/// else empty: the director has every asset), the worst lowest level first,
/// at most [`DIRECTOR_ORGANISATIONS`].
pub fn organisation_summaries(sim: &Simulation) -> Vec<OrganisationSummary> {
    let m = sim.model();
    if m.assets.len() <= DIRECTOR_ASSETS {
        return Vec::new();
    }
    let mut summaries: Vec<Option<OrganisationSummary>> = vec![None; m.scenario.organisations.len()];
    let mut totals = vec![0u32; m.scenario.organisations.len()];
    for asset in &m.assets {
        totals[asset.organisation as usize] += 1;
    }
    let compromised = compromised_assets(sim);
    for a in affected_assets(sim, &compromised) {
        let o = m.assets[a].organisation as usize;
        let summary = summaries[o].get_or_insert_with(|| OrganisationSummary {
            id: m.scenario.organisations[o].id.clone(),
            assets: totals[o],
            affected: 0,
            compromised: 0,
            isolated: 0,
            lowest_level: 1000,
        });
        summary.affected += 1;
        summary.compromised += u32::from(compromised[a]);
        summary.isolated += u32::from(sim.exercise().isolated[a]);
        summary.lowest_level = summary.lowest_level.min(sim.levels()[a]);
    }
    let mut present: Vec<(usize, OrganisationSummary)> =
        summaries.into_iter().enumerate().filter_map(|(o, s)| s.map(|s| (o, s))).collect();
    worst_first(&mut present, DIRECTOR_ORGANISATIONS, |(_, x), (_, y)| {
        (x.lowest_level, &x.id).cmp(&(y.lowest_level, &y.id))
    });
    present.into_iter().map(|(_, s)| s).collect()
}

/// The text a filter is matched against: what the director console filters
/// on (sector, id, name, organisation, incidents on it).
fn haystack(view: &AssetView) -> String {
    format!("{} {} {} {} {}", view.sector, view.id, view.name, view.organisation, view.compromised.join(" "))
        .to_lowercase()
}

/// The assets matching `filter` (case-insensitive substring of an asset's
/// sector, id, name, organisation or incidents; empty: all), from position
/// `from`, at most [`DIRECTOR_ASSETS`]. The caller bounds the filter's length.
pub fn asset_page(sim: &Simulation, filter: &str, from: u64) -> AssetPage {
    let needle = filter.to_lowercase();
    let mut total = 0u64;
    let mut assets = Vec::new();
    for a in 0..sim.model().assets.len() {
        let view = asset_view(sim, a, true);
        if !needle.is_empty() && !haystack(&view).contains(&needle) {
            continue;
        }
        if total >= from && assets.len() < DIRECTOR_ASSETS {
            assets.push(view);
        }
        total += 1;
    }
    AssetPage { tick: sim.tick(), filter: filter.to_string(), from, total, assets }
}

/// The last `limit` of `items` (all of them when there are no more).
pub(super) fn latest<T>(mut items: Vec<T>, limit: usize) -> Vec<T> {
    let excess = items.len().saturating_sub(limit);
    items.drain(..excess);
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::Gen;

    #[test]
    fn the_worst_first_are_the_first_of_the_whole_sort() {
        let mut g = Gen(5);
        for _ in 0..200 {
            let items: Vec<(u16, usize)> = (0..g.below(300)).map(|i| (g.below(20) as u16, i)).collect();
            for keep in [0, 1, 7, 150, 299, 400] {
                let mut sorted = items.clone();
                sorted.sort();
                sorted.truncate(keep);
                let mut kept = items.clone();
                worst_first(&mut kept, keep, |x, y| x.cmp(y));
                assert_eq!(kept, sorted, "keep {keep} of {}", items.len());
            }
        }
    }
}
