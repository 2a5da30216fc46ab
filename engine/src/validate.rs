//! Semantic checks of a parsed scenario: every problem at once, each naming the item.
//!
//! Syntax and type errors come from RON with a line and column (see `load`); what
//! RON cannot know — unknown or duplicate ids, values out of range, impossible
//! schedules, sizes over the engine's limits — is found here. Every check runs even
//! after a failure, so an author fixes a file in one pass, not one error per run.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;

mod exercise;
pub mod indicators;

pub use exercise::{preset_stages, regime_stages};

use crate::clock::ExerciseClock;
use crate::model::{Model, ResolvedAsset, ResolvedDependency, ResolvedDisruption, ResolvedLink};
use crate::scenario::{Criticality, Dependency, Link, PER_MILLE, Scenario, SmallString};

/// Limits on a scenario's size: beyond them memory or run time would surprise
/// the operator, so they are refused up front (TigerBeetle style: a limit on
/// everything).
pub mod limits {
    pub const MAX_SECTORS: usize = 256;
    pub const MAX_ORGANISATIONS: usize = 100_000;
    pub const MAX_ASSETS: usize = 1_000_000;
    pub const MAX_DEPENDENCIES: usize = 4_000_000;
    pub const MAX_LINKS: usize = 4_000_000;
    pub const MAX_TEAMS: usize = 1_000;
    pub const MAX_DISRUPTIONS: usize = 1_000_000;
    /// About 19 years of one-minute ticks.
    pub const MAX_DURATION_TICKS: u64 = 10_000_000;
    /// One day.
    pub const MAX_TICK_SECONDS: u32 = 86_400;
    pub const MAX_ID_CHARS: usize = 64;
    pub const MAX_NAME_CHARS: usize = 200;
    pub const MAX_TEXT_CHARS: usize = 20_000;
    /// Keeps `population × 1000` summed over all assets far inside u64.
    pub const MAX_TOTAL_POPULATION: u64 = 1_000_000_000_000;
}
use limits::*;

/// A stated number of people: at least one, at most the population limit.
fn check_people(v: &mut Validator, item: &str, population: Option<u64>) {
    match population {
        Some(0) => v.problem(item, "population: 0 people (leave it out if the number is not known)"),
        Some(p) if p > MAX_TOTAL_POPULATION => {
            v.problem(item, format!("population: {p} is over the limit of {MAX_TOTAL_POPULATION}"))
        }
        _ => {}
    }
}

/// Team id reserved for the exercise director in journals and on the wire.
pub const DIRECTOR_ID: &str = "director";

/// One thing wrong with a scenario: which item, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The item, e.g. `dependency #12 (chl-it -> post-core)`; empty for the whole file.
    pub item: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.item.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.item, self.message) }
    }
}

/// Checks `scenario` and resolves its ids, or returns every problem found.
pub fn validate(scenario: Scenario) -> Result<Model, Vec<Problem>> {
    validate_with(scenario, PARALLEL_FROM)
}

/// [`validate`], resolving dependencies and links on two threads when they
/// number `parallel_from` or more (the tests hold both ways to the same result).
fn validate_with(scenario: Scenario, parallel_from: usize) -> Result<Model, Vec<Problem>> {
    let mut v = Validator::default();
    let clock = v.check_header(&scenario);
    let sectors = v.check_ids("sector", scenario.sectors.iter().map(|s| s.id.as_str()), MAX_SECTORS);
    let organisations =
        v.check_ids("organisation", scenario.organisations.iter().map(|o| o.id.as_str()), MAX_ORGANISATIONS);
    let assets = v.check_ids("asset", scenario.assets.iter().map(|a| a.id.as_str()), MAX_ASSETS);
    let teams = v.check_ids("team", scenario.teams.iter().map(|t| t.id.as_str()), MAX_TEAMS);
    if scenario.sectors.is_empty() {
        v.problem("", "sectors: the scenario defines no sector (every asset needs one)");
    }
    if scenario.assets.is_empty() {
        v.problem("", "assets: the scenario defines no asset, so there is nothing to simulate");
    }

    for (i, sector) in scenario.sectors.iter().enumerate() {
        let it = item("sector", i, &sector.id);
        v.check_name(&it, "name", &sector.name, MAX_NAME_CHARS);
        check_people(&mut v, &it, sector.population);
    }
    check_people(&mut v, "", scenario.population);

    let mut organisation_sector = Vec::with_capacity(scenario.organisations.len());
    let mut organisation_constituency = Vec::with_capacity(scenario.organisations.len());
    for (i, org) in scenario.organisations.iter().enumerate() {
        let it = item("organisation", i, &org.id);
        v.check_name(&it, "name", &org.name, MAX_NAME_CHARS);
        organisation_sector.push(org.sector.as_deref().map(|s| v.resolve(&it, "sector", "sector", s, &sectors)));
        let mut seen = HashSet::new();
        let mut constituency = Vec::with_capacity(org.constituency.len());
        for member in &org.constituency {
            if member == &org.id {
                v.problem(&it, "constituency: lists the organisation itself");
            } else if !seen.insert(member.as_str()) {
                v.problem(&it, format!("constituency: lists {member:?} twice"));
            }
            constituency.push(v.resolve(&it, "constituency", "organisation", member, &organisations));
        }
        organisation_constituency.push(constituency);
    }

    let mut resolved_assets = Vec::with_capacity(scenario.assets.len());
    let mut sector_population = vec![0u64; scenario.sectors.len()];
    let mut total_population: u64 = 0;
    for (i, asset) in scenario.assets.iter().enumerate() {
        // Named only when something is wrong (a country has a million assets).
        let it = || item("asset", i, &asset.id);
        if asset.name.len() > MAX_NAME_CHARS {
            v.check_name(&it(), "name", &asset.name, MAX_NAME_CHARS);
        }
        let organisation = match organisations.get(asset.organisation.as_str()) {
            Some(&organisation) => organisation,
            None => v.resolve(&it(), "organisation", "organisation", &asset.organisation, &organisations),
        };
        let sector = match sectors.get(asset.sector.as_str()) {
            Some(&sector) => sector,
            None => v.resolve(&it(), "sector", "sector", &asset.sector, &sectors),
        };
        let mut per_mille = |field, value| match u16::try_from(value) {
            Ok(value) if u32::from(value) <= PER_MILLE => value,
            _ => v.per_mille(&it(), field, value),
        };
        let integrity = per_mille("integrity", asset.integrity);
        // The response's default is checked with the response.
        let isolation_cap = match asset.isolation_cap {
            Some(cap) => per_mille("isolation_cap", cap),
            None => scenario.response.isolation_cap.min(PER_MILLE) as u16,
        };
        // The response's default is checked with the response's costs.
        let repair_ticks = asset.repair_ticks.unwrap_or(scenario.response.repair.ticks);
        if let Some(ticks) = asset.repair_ticks
            && u64::from(ticks) > MAX_DURATION_TICKS
        {
            v.problem(&it(), format!("repair_ticks: {ticks} is over the limit of {MAX_DURATION_TICKS}"));
        }
        total_population = total_population.saturating_add(asset.population);
        if let Some(total) = sector_population.get_mut(sector as usize) {
            *total = total.saturating_add(asset.population);
        }
        resolved_assets.push(ResolvedAsset {
            organisation,
            sector,
            population: asset.population,
            integrity,
            isolation_cap,
            repair_ticks,
        });
    }
    if total_population > MAX_TOTAL_POPULATION {
        v.problem(
            "",
            format!("assets: total population {total_population} is over the limit of {MAX_TOTAL_POPULATION}"),
        );
    }

    // Dependencies and links are most of a country and independent of each
    // other: at scale they are resolved on two threads. Each thread takes
    // only the common case (everything well formed); whatever it flags is
    // checked after, here, in list order, so the problems and their hints are
    // exactly those of one thread.
    let (dependencies, links) = if scenario.dependencies.len() + scenario.links.len() >= parallel_from {
        std::thread::scope(|threads| {
            let links = threads.spawn(|| links_common_case(&scenario.links, &assets));
            let dependencies = dependencies_common_case(&scenario.dependencies, &assets);
            (dependencies, links.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })
    } else {
        (dependencies_common_case(&scenario.dependencies, &assets), links_common_case(&scenario.links, &assets))
    };
    v.check_count("dependencies", scenario.dependencies.len(), MAX_DEPENDENCIES);
    let dependencies = dependencies_flagged(&mut v, &scenario.dependencies, &assets, dependencies);
    v.check_count("links", scenario.links.len(), MAX_LINKS);
    let links = links_flagged(&mut v, &scenario.links, &assets, links);

    let mut team_organisation = Vec::with_capacity(scenario.teams.len());
    for (i, team) in scenario.teams.iter().enumerate() {
        let it = item("team", i, &team.id);
        if team.id == DIRECTOR_ID {
            v.problem(&it, format!("the id {DIRECTOR_ID:?} is reserved for the exercise director"));
        }
        v.check_name(&it, "name", &team.name, MAX_NAME_CHARS);
        v.check_name(&it, "brief", &team.brief, MAX_TEXT_CHARS);
        if team.organisation.is_empty() {
            v.problem(&it, "has no organisation (every team acts for one organisation)");
            team_organisation.push(0);
        } else {
            team_organisation.push(v.resolve(&it, "organisation", "organisation", &team.organisation, &organisations));
        }
    }

    v.check_count("disruptions", scenario.disruptions.len(), MAX_DISRUPTIONS);
    let mut disruptions = Vec::with_capacity(scenario.disruptions.len());
    for (i, d) in scenario.disruptions.iter().enumerate() {
        let it = format!("disruption #{} (tick {}, {})", i + 1, d.tick, d.asset);
        let asset = v.resolve(&it, "asset", "asset", &d.asset, &assets);
        let integrity = v.per_mille(&it, "integrity", d.integrity);
        if d.tick == 0 {
            v.problem(&it, "tick 0 is the starting state: set the asset's `integrity` instead");
        } else if d.tick > scenario.duration_ticks {
            v.problem(
                &it,
                format!(
                    "tick {} is after the end of the exercise (duration_ticks {})",
                    d.tick, scenario.duration_ticks
                ),
            );
        }
        v.check_name(&it, "note", &d.note, MAX_TEXT_CHARS);
        disruptions.push(ResolvedDisruption { tick: d.tick, asset, integrity });
    }

    let refs = exercise::Refs { sectors: &sectors, organisations: &organisations, assets: &assets, teams: &teams };
    let exercise = exercise::check(&mut v, &scenario, &refs, clock.as_ref(), &organisation_sector, &links);

    match (v.problems.is_empty(), clock) {
        (true, Some(clock)) => Ok(Model {
            organisation_assets: organisation_assets(organisation_sector.len(), &resolved_assets),
            physical_damage: scenario.physical_damage.unwrap_or(false),
            exercise,
            clock,
            organisation_sector,
            organisation_constituency,
            assets: resolved_assets,
            dependencies,
            links,
            team_organisation,
            disruptions,
            total_population,
            sector_population,
            critical_assets: scenario
                .assets
                .iter()
                .enumerate()
                .filter(|(_, a)| a.criticality == Criticality::Critical)
                .map(|(i, _)| i as u32)
                .collect(),
            scenario,
        }),
        _ => Err(v.problems),
    }
}

/// Dependencies and links together from which validation resolves them on two
/// threads; below it a second thread costs more than it saves.
const PARALLEL_FROM: usize = 200_000;

/// Resolved dependencies, in order, and the indices of those that are not the
/// common case (a placeholder stands in their place).
struct Flagged<T> {
    resolved: Vec<T>,
    flagged: Vec<usize>,
}

/// Dependencies whose ids are known and values in range, resolved; the rest flagged.
fn dependencies_common_case(dependencies: &[Dependency], assets: &Ids) -> Flagged<ResolvedDependency> {
    let mut resolved = Vec::with_capacity(dependencies.len());
    let mut flagged = Vec::new();
    // An asset's dependencies are usually written together: its id is looked
    // up once for them all.
    let mut last: Option<(&str, u32)> = None;
    for (i, dep) in dependencies.iter().enumerate() {
        let asset = match last {
            Some((id, index)) if id == dep.asset.as_str() => Some(index),
            _ => assets.get(dep.asset.as_str()).copied(),
        };
        if let Some(asset) = asset {
            last = Some((dep.asset.as_str(), asset));
        }
        if let (Some(asset), Some(&on)) = (asset, assets.get(dep.on.as_str()))
            && dep.weight <= PER_MILLE
            && dep.threshold <= PER_MILLE
            && dep.group.as_deref().is_none_or(|g| id_problem("group", g).is_none())
        {
            let (weight, threshold) = (dep.weight as u16, dep.threshold as u16);
            resolved.push(ResolvedDependency { asset, on, weight, threshold, buffer_ticks: dep.buffer_ticks });
        } else {
            resolved.push(ResolvedDependency { asset: 0, on: 0, weight: 0, threshold: 0, buffer_ticks: 0 });
            flagged.push(i);
        }
    }
    Flagged { resolved, flagged }
}

/// The flagged dependencies checked one by one, each problem named.
fn dependencies_flagged(
    v: &mut Validator,
    dependencies: &[Dependency],
    assets: &Ids,
    common: Flagged<ResolvedDependency>,
) -> Vec<ResolvedDependency> {
    let Flagged { mut resolved, flagged } = common;
    for i in flagged {
        let dep = &dependencies[i];
        let it = format!("dependency #{} ({} -> {})", i + 1, dep.asset, dep.on);
        let asset = v.resolve(&it, "asset", "asset", &dep.asset, assets);
        let on = v.resolve(&it, "on", "asset", &dep.on, assets);
        let weight = v.per_mille(&it, "weight", dep.weight);
        let threshold = v.per_mille(&it, "threshold", dep.threshold);
        if let Some(group) = &dep.group {
            v.check_id(&it, "group", group);
        }
        resolved[i] = ResolvedDependency { asset, on, weight, threshold, buffer_ticks: dep.buffer_ticks };
    }
    resolved
}

/// Why a link was flagged.
enum LinkFlag {
    /// An end's id is unknown.
    Unresolved,
    /// From an asset to itself.
    ToItself,
    /// Listed before, as this link (0-based).
    Repeats(usize),
}

/// Links between known assets, resolved and checked for repeats; the rest flagged.
fn links_common_case(links: &[Link], assets: &Ids) -> (Flagged<ResolvedLink>, Vec<LinkFlag>) {
    let mut resolved = Vec::with_capacity(links.len());
    let (mut flagged, mut why) = (Vec::new(), Vec::new());
    // By resolved asset: (from << 32 | to) << 1 | directed.
    let mut seen: HashMap<u64, usize, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(links.len(), Default::default());
    for (i, link) in links.iter().enumerate() {
        let (Some(&from), Some(&to)) = (assets.get(link.from.as_str()), assets.get(link.to.as_str())) else {
            resolved.push(ResolvedLink { from: 0, to: 0, directed: link.directed });
            flagged.push(i);
            why.push(LinkFlag::Unresolved);
            continue;
        };
        resolved.push(ResolvedLink { from, to, directed: link.directed });
        if from == to {
            flagged.push(i);
            why.push(LinkFlag::ToItself);
            continue;
        }
        // An undirected link is the same link whichever way it is written.
        let (a, b) = if link.directed || from < to { (from, to) } else { (to, from) };
        let key = (u64::from(a) << 32 | u64::from(b)) << 1 | u64::from(link.directed);
        // Name the first listing, not the latest repeat (`insert` would overwrite it).
        match seen.entry(key) {
            Entry::Occupied(first) => {
                flagged.push(i);
                why.push(LinkFlag::Repeats(*first.get()));
            }
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
        }
    }
    (Flagged { resolved, flagged }, why)
}

/// The flagged links' problems, in list order.
fn links_flagged(
    v: &mut Validator,
    links: &[Link],
    assets: &Ids,
    (common, why): (Flagged<ResolvedLink>, Vec<LinkFlag>),
) -> Vec<ResolvedLink> {
    let Flagged { mut resolved, flagged } = common;
    for (i, why) in flagged.into_iter().zip(why) {
        let link = &links[i];
        let arrow = if link.directed { "->" } else { "--" };
        let it = format!("link #{} ({} {arrow} {})", i + 1, link.from, link.to);
        match why {
            LinkFlag::Unresolved => {
                let from = v.resolve(&it, "from", "asset", &link.from, assets);
                let to = v.resolve(&it, "to", "asset", &link.to, assets);
                resolved[i] = ResolvedLink { from, to, directed: link.directed };
                if link.from == link.to {
                    v.problem(&it, "links an asset to itself");
                }
            }
            LinkFlag::ToItself => v.problem(&it, "links an asset to itself"),
            LinkFlag::Repeats(first) => {
                v.problem(&it, format!("repeats link #{}; a network link is listed once", first + 1));
            }
        }
    }
    resolved
}

/// Per organisation, its assets in declaration order.
fn organisation_assets(organisations: usize, assets: &[ResolvedAsset]) -> Vec<Vec<u32>> {
    let mut by_organisation = vec![Vec::new(); organisations];
    for (a, asset) in assets.iter().enumerate() {
        by_organisation[asset.organisation as usize].push(a as u32);
    }
    by_organisation
}

/// What is wrong with `id` as an id written in `field`, if anything.
fn id_problem(field: &str, id: &str) -> Option<String> {
    let well_formed = id.bytes().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
    if id.is_empty() {
        Some(format!("{field}: must not be empty"))
    } else if !well_formed {
        Some(format!(
            "{field}: {id:?} may only hold ASCII letters, digits, '-', '_' and '.', and must start with a letter or digit"
        ))
    } else if id.len() > MAX_ID_CHARS {
        // Well formed, so ASCII: bytes are characters.
        Some(format!("{field}: longer than {MAX_ID_CHARS} characters"))
    } else {
        None
    }
}

fn item(kind: &str, index: usize, id: &str) -> String {
    format!("{kind} #{} {id:?}", index + 1)
}

/// Collects problems; every check records and carries on.
struct Validator {
    problems: Vec<Problem>,
    /// Known ids the "did you mean" hints may still compare an unknown id
    /// with. A hint compares with every id of its kind, so without a bound a
    /// large file with many unknown references (an id prefix renamed in a
    /// 100,000-asset country: half a million of them) took hours to report.
    hint_comparisons_left: usize,
}

/// About a second of hints, however many ids are unknown.
const HINT_COMPARISONS: usize = 5_000_000;

impl Default for Validator {
    fn default() -> Self {
        Self { problems: Vec::new(), hint_comparisons_left: HINT_COMPARISONS }
    }
}

/// Ids of one kind → stable index.
///
/// foldhash rather than std's SipHash: validation looks up some ten million ids
/// at a million assets, and SipHash was a quarter of the load. Its seed is
/// random per process like std's, and nothing here depends on a map's order.
///
/// Keyed by a copy of the id: a `SmallString` holds a short id inside the
/// table's entry, so a lookup compares it there instead of following a
/// pointer to the scenario's item (a second cache miss per lookup).
type Ids = HashMap<SmallString, u32, foldhash::fast::RandomState>;

impl Validator {
    fn problem(&mut self, item: &str, message: impl Into<String>) {
        self.problems.push(Problem { item: item.to_string(), message: message.into() });
    }

    fn check_header(&mut self, s: &Scenario) -> Option<ExerciseClock> {
        if s.name.trim().is_empty() {
            self.problem("", "name: must not be empty");
        }
        self.check_name("", "name", &s.name, MAX_NAME_CHARS);
        self.check_name("", "description", &s.description, MAX_TEXT_CHARS);
        if s.duration_ticks == 0 {
            self.problem("", "duration_ticks: must be at least 1 (0 would simulate nothing)");
        } else if s.duration_ticks > MAX_DURATION_TICKS {
            self.problem("", format!("duration_ticks: {} is over the limit of {MAX_DURATION_TICKS}", s.duration_ticks));
        }
        let tick_seconds_valid = (1..=MAX_TICK_SECONDS).contains(&s.tick_seconds);
        if !tick_seconds_valid {
            self.problem("", format!("tick_seconds: {} is out of range 1..={MAX_TICK_SECONDS}", s.tick_seconds));
        }
        // Start and time zone are checked even when tick_seconds is out of range.
        let tick_seconds = s.tick_seconds.clamp(1, MAX_TICK_SECONDS);
        match ExerciseClock::new(&s.start, &s.time_zone, tick_seconds) {
            Ok(_) if !tick_seconds_valid => None,
            Ok(clock) if clock.at(s.duration_ticks.min(MAX_DURATION_TICKS)).is_none() => {
                self.problem("", "start: the exercise would end past the year 9999");
                None
            }
            Ok(clock) => Some(clock),
            Err(message) => {
                self.problem("", message);
                None
            }
        }
    }

    fn check_count(&mut self, list: &str, count: usize, limit: usize) {
        if count > limit {
            self.problem("", format!("{list}: {count} entries, over the limit of {limit}"));
        }
    }

    /// Checks every id of one kind (format, uniqueness, count) and indexes them.
    fn check_ids<'a>(&mut self, kind: &str, ids: impl ExactSizeIterator<Item = &'a str>, limit: usize) -> Ids {
        let mut index = Ids::with_capacity_and_hasher(ids.len(), Default::default());
        let mut count = 0;
        for (i, id) in ids.enumerate() {
            count += 1;
            if let Some(message) = id_problem("id", id) {
                self.problem(&item(kind, i, id), message);
            }
            match index.entry(SmallString::new(id)) {
                Entry::Occupied(first) => {
                    let message = format!("duplicate id: {kind} #{} has the same id", first.get() + 1);
                    self.problem(&item(kind, i, id), message);
                }
                Entry::Vacant(slot) => {
                    slot.insert(i as u32);
                }
            }
        }
        self.check_count(&format!("{kind}s"), count, limit);
        index
    }

    /// Ids are short ASCII words so that they work as CSV columns, file names and
    /// command arguments: letters, digits, `-`, `_`, `.`, starting with a letter or digit.
    fn check_id(&mut self, item: &str, field: &str, id: &str) {
        if let Some(message) = id_problem(field, id) {
            self.problem(item, message);
        }
    }

    fn check_name(&mut self, item: &str, field: &str, text: &str, limit: usize) {
        if text.chars().count() > limit {
            self.problem(item, format!("{field}: longer than {limit} characters"));
        }
    }

    fn per_mille(&mut self, item: &str, field: &str, value: u32) -> u16 {
        if value > PER_MILLE {
            self.problem(item, format!("{field}: {value} is out of range 0..=1000 (per mille)"));
        }
        value.min(PER_MILLE) as u16
    }

    /// Looks up `id` (a reference to a `kind`, written in `field`); an unknown id is a
    /// problem with a "did you mean" hint. Returns index 0 on failure: the model is
    /// then discarded, so the placeholder is never simulated.
    fn resolve(&mut self, item: &str, field: &str, kind: &str, id: &str, ids: &Ids) -> u32 {
        if let Some(&index) = ids.get(id) {
            return index;
        }
        let mut message = if field == kind { String::new() } else { format!("{field}: ") };
        message.push_str(&format!("unknown {kind} {id:?}"));
        if let Some(left) = self.hint_comparisons_left.checked_sub(ids.len()) {
            self.hint_comparisons_left = left;
            if let Some(near) = closest(id, ids.keys().map(SmallString::as_str)) {
                message.push_str(&format!(" (did you mean {near:?}?)"));
            }
        }
        self.problem(item, message);
        0
    }
}

/// The known id nearest to `id`, if it is close enough to be a likely typo
/// (also used for the ids given on the command line).
pub fn closest<'a>(id: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let budget = (id.chars().count() / 3).clamp(1, 3);
    known.map(|k| (strsim::osa_distance(id, k), k)).filter(|(distance, _)| *distance <= budget).min().map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hints stop when their comparisons run out; the problems do not.
    #[test]
    fn hints_are_bounded_and_problems_are_not() {
        let mut v = Validator::default();
        let known = ["telco", "power", "water"];
        let ids = v.check_ids("organisation", known.into_iter(), MAX_ORGANISATIONS);
        v.hint_comparisons_left = 2 * known.len();
        for _ in 0..3 {
            assert_eq!(v.resolve("asset #1", "organisation", "organisation", "telcoo", &ids), 0);
        }
        let messages: Vec<&str> = v.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                r#"unknown organisation "telcoo" (did you mean "telco"?)"#,
                r#"unknown organisation "telcoo" (did you mean "telco"?)"#,
                r#"unknown organisation "telcoo""#,
            ]
        );
    }

    /// Resolving dependencies and links on two threads gives what one thread
    /// gives: the same model from a good country, the same problems, in the
    /// same order and with the same hints, from a broken one.
    #[test]
    fn two_threads_resolve_as_one_does() {
        use crate::synthetic::country::{Country, Params};
        let good = Country::generate(&Params::new(400, 10, 3)).unwrap().to_scenario();
        let one = validate_with(good.clone(), usize::MAX).unwrap();
        let two = validate_with(good.clone(), 0).unwrap();
        assert_eq!(one.dependencies, two.dependencies);
        assert_eq!(one.links, two.links);

        let mut broken = good;
        let unknown = |id: &str| SmallString::new(&format!("{id}x"));
        // Dependencies: unknown ends, values out of range, a bad group.
        broken.dependencies[3].on = unknown(&broken.dependencies[3].on);
        broken.dependencies[5].asset = unknown(&broken.dependencies[5].asset);
        broken.dependencies[8].weight = 1001;
        broken.dependencies[9].threshold = 5000;
        broken.dependencies[12].group = Some(SmallString::new("no group"));
        // Links: unknown ends, an asset to itself (known and unknown), repeats
        // either way round.
        let first = broken.links[0].clone();
        broken.links[2].to = unknown(&broken.links[2].to);
        broken.links[4].from = broken.links[4].to.clone();
        broken.links[6].from = unknown("nowhere");
        broken.links[6].to = unknown("nowhere");
        broken.links.push(first.clone());
        let mut reversed = first;
        (reversed.from, reversed.to) = (reversed.to, reversed.from);
        broken.links.push(reversed);
        let one = validate_with(broken.clone(), usize::MAX).unwrap_err();
        let two = validate_with(broken, 0).unwrap_err();
        assert!(one.len() >= 10, "{one:#?}");
        assert!(one.iter().any(|p| p.message.contains("did you mean")));
        assert!(one.iter().any(|p| p.message.contains("repeats link #1")));
        assert_eq!(one, two);
    }
}
