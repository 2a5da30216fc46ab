//! What each participant may see (DESIGN §5): one function per kind of viewer.
//!
//! `team_view` is the security boundary. A team sees its own organisation's
//! assets in full (with the compromises *detected* on them, never undetected
//! ones), other organisations' assets only as public outages (level, nothing
//! else), the messages whose TLP audience includes it, its own pending actions,
//! its organisation's reporting deadlines, the objectives that concern it, and
//! public facts (national and sector service, the PIU). It never carries another
//! team's private state nor the global state hash. `director_view` sees all
//! (summarised beyond `DIRECTOR_ASSETS` assets, so that no frame grows with
//! the country: `director_assets`).

mod delta;
mod director_assets;
mod director_delta;
mod msel;
mod player;

use serde::{Deserialize, Serialize};

pub use delta::TeamDelta;
pub use director_assets::{
    AssetPage, DIRECTOR_ASSETS, DIRECTOR_MESSAGES, DIRECTOR_ORGANISATIONS, MAX_ASSET_FILTER_CHARS, OrganisationSummary,
    asset_page,
};
pub use director_delta::DirectorDelta;
pub use msel::{FiredBy, MselEntry, MselStatus, msel};
pub use player::{
    ActionFate, ActionView, DirectoryEntry, ExpectedView, HeldView, IndicatorValue, RegimeView, TeamActionView,
    actions_this_tick,
};

use crate::exercise::Status;
use crate::exercise::measure::{Filing, due, filing};
use crate::exercise::orders::{StageReadiness, stage_readiness};
use crate::exercise::state::{Message, MessageKind, Sender};
use crate::scenario::Tlp;
use crate::simulation::Simulation;

/// `part` of `whole` as a percentage with one decimal, **rounded down** (in
/// integer arithmetic): the one rounding rule of every figure shown to people
/// (`run`, `sweep`, the consoles, the report). `whole` 0 reads `n/a`.
pub fn percent(part: impl Into<u128>, whole: impl Into<u128>) -> String {
    let (part, whole) = (part.into(), whole.into());
    if whole == 0 {
        return "n/a".to_string();
    }
    let tenths = part.saturating_mul(1000) / whole;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// How many of `stated` people a service of `served` out of `total` weighted
/// users comes to, rounded down: assets' `population`s weigh service (they
/// overlap, so their sum is no head count); people are only counted where the
/// scenario says how many there are.
pub fn people(served: u64, total: u64, stated: u64) -> u64 {
    if total == 0 {
        return stated;
    }
    (u128::from(served.min(total)) * u128::from(stated) / u128::from(total)) as u64
}

/// Service as people read it: the share, and the people it comes to when the
/// scenario states them (`70.5% (about 473,795 of 672,050 people)`).
pub fn service_label(served: u64, total: u64, stated: Option<u64>) -> String {
    let share = percent(served, total);
    match stated {
        Some(p) => format!("{share} (about {} of {} people)", thousands(people(served, total, p)), thousands(p)),
        None => share,
    }
}

/// `672050` → `672,050`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Most public outages listed in one view (the worst first).
pub const MAX_OUTAGES_IN_VIEW: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub national: u64,
    pub population: u64,
    pub sectors: Vec<SectorService>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectorService {
    pub id: String,
    pub served: u64,
    pub population: u64,
}

/// An asset of the viewer's own organisation (or any asset, for the director).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssetView {
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub sector: String,
    pub level: u16,
    pub integrity: u16,
    pub cap: u16,
    pub isolated: bool,
    pub hardened: bool,
    /// Incidents detected on it (for the director: every compromise, detected or not).
    pub compromised: Vec<String>,
    /// The level isolating it caps it at, per mille (the asset's
    /// `isolation_cap`, else the response's): below 1000, isolating it costs
    /// service. Absent when 1000.
    #[serde(default = "full", skip_serializing_if = "is_full")]
    pub isolation_cap: u16,
    /// Those of `compromised` that do no damage (the incident's `impact` is 0,
    /// as espionage): isolating stops them spreading, not a loss of integrity.
    /// Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_damage: Vec<String>,
    /// What its plant allows, per mille (docs/model.md, "Physical and cyber
    /// damage"): below 1000 it needs a repair, which a restore from backup
    /// does not do. Absent when 1000.
    #[serde(default = "full", skip_serializing_if = "is_full")]
    pub physical: u16,
}

fn full() -> u16 {
    1000
}

fn is_full(v: &u16) -> bool {
    *v == 1000
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Another organisation's asset that is not at full service: public knowledge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutageView {
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub sector: String,
    pub level: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    /// Position in the exercise's message log (clients use it to de-duplicate).
    pub index: u64,
    pub tick: u64,
    /// The tick as the exercise clock reads it (`09:42`, with the date when it
    /// is not the first day's).
    pub clock: String,
    pub kind: MessageKind,
    pub from: String,
    /// The sending team's id, when a team sent it.
    pub sender_team: Option<String>,
    /// The addressed team ids; empty when `to_all`.
    pub to: Vec<String>,
    /// Addressed to every team of the exercise.
    pub to_all: bool,
    pub tlp: Tlp,
    pub text: String,
    pub incident: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingView {
    pub team: String,
    pub command: crate::exercise::Action,
    pub started: u64,
    pub finish: u64,
    /// `finish` as the exercise clock reads it.
    pub finish_clock: String,
    pub staff: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineView {
    pub organisation: String,
    pub regime: String,
    pub stage: String,
    pub incident: String,
    pub authority: String,
    pub due: Option<u64>,
    /// `due` as the exercise clock reads it.
    pub due_clock: Option<String>,
    pub filed: Option<u64>,
    pub filed_clock: Option<String>,
    /// `open`, `on_time`, `late` or `overdue`.
    pub status: String,
    /// Not filed, and it cannot be yet: it follows this stage of the regime,
    /// which is not filed yet. Absent when filed or when that one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waits_for: Option<String>,
    /// Not filed, and it cannot be before this tick (its delay after the
    /// previous stage), unless `or_contained` and the incident is contained
    /// first. Absent when filed or when it can be filed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<u64>,
    /// `not_before` as the exercise clock reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before_clock: Option<String>,
    /// With `not_before`: it may also be filed as soon as the incident is contained.
    #[serde(default, skip_serializing_if = "is_false")]
    pub or_contained: bool,
}

impl DeadlineView {
    /// Not filed, and nothing (the previous stage, an earliest time) holds it
    /// back: a report sent now applies.
    pub fn can_file(&self) -> bool {
        self.filed.is_none() && self.waits_for.is_none() && self.not_before.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveView {
    pub id: String,
    pub description: String,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiuView {
    pub active_since: Option<u64>,
    pub level: u8,
    /// The plan's name and its short form, as the scenario gives them
    /// ("Cyber PIU", "PIU").
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub short: String,
}

/// A team's view of the exercise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    pub tick: u64,
    pub clock: String,
    /// Exercise seconds per tick (clients turn tick differences into countdowns).
    pub tick_seconds: u32,
    /// The IANA time zone the clock labels are in.
    pub time_zone: String,
    pub team: String,
    pub organisation: String,
    /// People play the team now; false: its bot plays it until a client of the
    /// team gives its first command (or `takeover`).
    pub human: bool,
    /// What the team is and does (the scenario's `brief`), in snapshots (empty
    /// in tick frames: it never changes).
    pub brief: String,
    /// Fired injects addressed to the team and what exercise control expects.
    pub expected: Vec<ExpectedView>,
    /// Every team of the exercise, in snapshots (empty in tick frames: the
    /// directory does not change, and `humans` says who plays what now).
    pub directory: Vec<DirectoryEntry>,
    /// The ids of the teams people play now (the others are played by bots).
    pub humans: Vec<String>,
    /// The scenario's reporting regimes and their stages, in snapshots (empty
    /// in tick frames).
    pub regimes: Vec<RegimeView>,
    pub staff: u32,
    pub busy: u32,
    pub service: Service,
    pub piu: PiuView,
    pub assets: Vec<AssetView>,
    pub outages: Vec<OutageView>,
    pub messages: Vec<MessageView>,
    pub pending: Vec<PendingView>,
    pub deadlines: Vec<DeadlineView>,
    pub objectives: Vec<ObjectiveView>,
    /// Incidents whose indicators the team holds.
    pub indicators: Vec<String>,
    /// The same, with the values, label, date and source of each.
    pub held: Vec<HeldView>,
    /// The team's own action log (its last `MAX_ACTIONS_KEPT`), oldest first:
    /// every command its clients gave and its bot's orders, with their fates.
    pub actions: Vec<ActionView>,
    /// A CSIRT's constituents' assets it may act on now (after their request
    /// for assistance when the scenario says so), in full.
    pub constituents: Vec<AssetView>,
}

/// A team as the director sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub id: String,
    pub organisation: String,
    pub role: crate::scenario::TeamRole,
    pub staff: u32,
    pub busy: u32,
    pub human: bool,
    pub last_action: Option<(u64, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentView {
    pub id: String,
    pub kind: crate::scenario::IncidentKind,
    pub started_at: Option<u64>,
    pub first_detected: Option<u64>,
    pub contained_at: Option<u64>,
    pub recovered_at: Option<u64>,
    pub compromised: Vec<String>,
}

/// The director's view: everything, with the state hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectorView {
    pub tick: u64,
    pub clock: String,
    pub hash: String,
    pub service: Service,
    pub piu: PiuView,
    /// Every asset while the scenario has at most `DIRECTOR_ASSETS`; beyond,
    /// the affected ones, worst first, at most that many (the rest on request:
    /// `asset_page`).
    pub assets: Vec<AssetView>,
    /// How many assets the scenario has (more than `assets` holds when the
    /// view is summarised).
    #[serde(default)]
    pub assets_total: u64,
    /// When summarised: the organisations with affected assets, worst first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisations: Vec<OrganisationSummary>,
    pub incidents: Vec<IncidentView>,
    pub teams: Vec<TeamSummary>,
    pub messages: Vec<MessageView>,
    pub pending: Vec<PendingView>,
    pub deadlines: Vec<DeadlineView>,
    pub objectives: Vec<ObjectiveView>,
    pub metrics: crate::exercise::state::ExerciseMetrics,
    /// Every team's actions applied or failed at this tick (the host adds those
    /// refused on receipt since the last tick), for the timeline.
    pub actions: Vec<TeamActionView>,
    /// The MSEL: every inject of the scenario and what became of it.
    #[serde(default)]
    pub msel: Vec<MselEntry>,
}

fn service(sim: &Simulation) -> Service {
    let m = sim.model();
    Service {
        national: sim.national_service(),
        population: m.total_population,
        sectors: m
            .scenario
            .sectors
            .iter()
            .enumerate()
            .map(|(i, s)| SectorService {
                id: s.id.clone(),
                served: sim.sector_service()[i],
                population: m.sector_population[i],
            })
            .collect(),
    }
}

fn asset_view(sim: &Simulation, a: usize, all_compromises: bool) -> AssetView {
    let m = sim.model();
    let ex = sim.exercise();
    let asset = &m.scenario.assets[a];
    let shown: Vec<usize> = ex
        .incidents
        .iter()
        .enumerate()
        .filter(|(_, state)| {
            state.infections.get(&(a as u32)).is_some_and(|inf| all_compromises || inf.detected.is_some())
        })
        .map(|(i, _)| i)
        .collect();
    let id = |&i: &usize| m.scenario.incidents[i].id.clone();
    let compromised = shown.iter().map(id).collect();
    let no_damage = shown.iter().filter(|&&i| m.exercise.incidents[i].impact == 0).map(id).collect();
    AssetView {
        id: asset.id.to_string(),
        name: asset.name.clone(),
        organisation: asset.organisation.to_string(),
        sector: asset.sector.to_string(),
        level: sim.levels()[a],
        integrity: sim.integrity()[a],
        cap: sim.caps()[a],
        isolated: ex.isolated[a],
        hardened: ex.hardened[a],
        compromised,
        isolation_cap: m.assets[a].isolation_cap,
        no_damage,
        physical: sim.physical()[a],
    }
}

/// The messages of the log from `since` on, as `viewer` may see them (`None`:
/// the director, who sees all).
pub fn messages(sim: &Simulation, viewer: Option<u32>, since: usize) -> Vec<MessageView> {
    let m = sim.model();
    let team_id = |t: u32| m.scenario.teams[t as usize].id.clone();
    let every_team = m.scenario.teams.len();
    sim.exercise()
        .messages
        .iter()
        .enumerate()
        .skip(since)
        .filter(|(_, msg)| viewer.is_none_or(|t| msg.audience.binary_search(&t).is_ok()))
        .map(|(index, msg): (usize, &Message)| MessageView {
            index: index as u64,
            tick: msg.tick,
            clock: m.clock.label(msg.tick),
            kind: msg.kind,
            from: msg.from.clone(),
            sender_team: match msg.sender {
                Sender::Team(t) => Some(team_id(t)),
                _ => None,
            },
            to: if msg.to.len() == every_team && every_team > 1 {
                Vec::new()
            } else {
                msg.to.iter().map(|&t| team_id(t)).collect()
            },
            to_all: msg.to.len() == every_team && every_team > 1,
            tlp: msg.tlp,
            text: msg.text.clone(),
            incident: msg.incident.map(|i| m.scenario.incidents[i as usize].id.clone()),
        })
        .collect()
}

fn pending(sim: &Simulation, team: Option<u32>) -> Vec<PendingView> {
    let m = sim.model();
    sim.exercise()
        .pending
        .iter()
        .filter(|p| team.is_none_or(|t| p.team == t))
        .map(|p| PendingView {
            team: m.scenario.teams[p.team as usize].id.clone(),
            command: p.order.to_action(m),
            started: p.started,
            finish: p.finish,
            finish_clock: m.clock.label(p.finish),
            staff: p.staff,
        })
        .collect()
}

fn deadlines(sim: &Simulation, organisation: Option<u32>) -> Vec<DeadlineView> {
    let m = sim.model();
    let ex = sim.exercise();
    ex.obligations
        .iter()
        .filter(|o| organisation.is_none_or(|org| o.organisation == org))
        .map(|o| {
            let regime = &m.exercise.regimes[o.regime as usize];
            let due = due(m, ex, o);
            // As of the next tick: the one a report sent now applies at.
            let readiness = match o.filed {
                Some(_) => StageReadiness::Ready,
                None => stage_readiness(m, ex, o.organisation, o.regime, o.stage, o.incident, sim.tick() + 1),
            };
            let (waits_for, not_before, or_contained) = match readiness {
                StageReadiness::Ready => (None, None, false),
                StageReadiness::AfterPrevious(s) => (Some(regime.stages[s as usize].id.clone()), None, false),
                StageReadiness::NotBefore { earliest, or_contained } => (None, Some(earliest), or_contained),
            };
            DeadlineView {
                organisation: m.scenario.organisations[o.organisation as usize].id.clone(),
                regime: m.scenario.regimes[o.regime as usize].id.clone(),
                stage: regime.stages[o.stage as usize].id.clone(),
                incident: m.scenario.incidents[o.incident as usize].id.clone(),
                authority: m.scenario.organisations[regime.authority as usize].id.clone(),
                due,
                due_clock: due.map(|t| m.clock.label(t)),
                filed: o.filed,
                filed_clock: o.filed.map(|t| m.clock.label(t)),
                status: match filing(m, ex, o, sim.tick()) {
                    Filing::Open => "open",
                    Filing::OnTime => "on_time",
                    Filing::Late => "late",
                    Filing::Overdue => "overdue",
                }
                .to_string(),
                waits_for,
                not_before,
                not_before_clock: not_before.map(|t| m.clock.label(t)),
                or_contained,
            }
        })
        .collect()
}

fn objectives(sim: &Simulation, team: Option<u32>) -> Vec<ObjectiveView> {
    let m = sim.model();
    m.scenario
        .objectives
        .iter()
        .zip(&m.exercise.objectives)
        .zip(&sim.exercise().objectives)
        .filter(|((_, resolved), _)| team.is_none_or(|t| resolved.teams.contains(&t)))
        .map(|((o, _), status)| ObjectiveView { id: o.id.clone(), description: o.description.clone(), status: *status })
        .collect()
}

fn piu(sim: &Simulation) -> PiuView {
    let piu = sim.exercise().piu;
    let plan = &sim.model().scenario.response.plan;
    PiuView { active_since: piu.active_since, level: piu.level, plan: plan.name.clone(), short: plan.short.clone() }
}

/// What `team` may see now. `messages_since` skips log entries the client
/// already has (0 for a full snapshot).
pub fn team_view(sim: &Simulation, team: u32, messages_since: usize) -> TeamView {
    team_view_with(sim, team, messages_since, true)
}

/// What changed for `team` at a tick (a `tick` frame): its view from message
/// `messages_since` on, without the parts that never change (brief, directory,
/// regimes), which its snapshot carried. They are not even built: with a
/// thousand teams, a directory per team per tick is a million entries.
pub fn team_view_update(sim: &Simulation, team: u32, messages_since: usize) -> TeamView {
    team_view_with(sim, team, messages_since, false)
}

fn team_view_with(sim: &Simulation, team: u32, messages_since: usize, snapshot: bool) -> TeamView {
    let m = sim.model();
    let ex = sim.exercise();
    let org = m.team_organisation[team as usize];
    // One lookup of the levels, not one per asset: this runs per team per tick.
    let levels = sim.levels();
    let mut outages: Vec<OutageView> = levels
        .iter()
        .enumerate()
        .filter(|&(a, &level)| level < 1000 && m.assets[a].organisation != org)
        .map(|(a, &level)| {
            let asset = &m.scenario.assets[a];
            OutageView {
                id: asset.id.to_string(),
                name: asset.name.clone(),
                organisation: asset.organisation.to_string(),
                sector: asset.sector.to_string(),
                level,
            }
        })
        .collect();
    // Worst first, ties by id: an order a client can restore after applying
    // a delta's changed and gone entries (`TeamDelta::apply`).
    outages.sort_by(|x, y| x.level.cmp(&y.level).then_with(|| x.id.cmp(&y.id)));
    outages.truncate(MAX_OUTAGES_IN_VIEW);
    let state = &ex.teams[team as usize];
    TeamView {
        tick: sim.tick(),
        clock: m.clock.label(sim.tick()),
        tick_seconds: m.scenario.tick_seconds,
        time_zone: m.scenario.time_zone.clone(),
        team: m.scenario.teams[team as usize].id.clone(),
        organisation: m.scenario.organisations[org as usize].id.clone(),
        human: state.human,
        brief: if snapshot { m.scenario.teams[team as usize].brief.clone() } else { String::new() },
        expected: player::expected(sim, team),
        directory: if snapshot { player::directory(sim) } else { Vec::new() },
        humans: player::humans(sim),
        regimes: if snapshot { player::regimes(sim, team) } else { Vec::new() },
        staff: state.staff,
        busy: state.busy,
        service: service(sim),
        piu: piu(sim),
        assets: m.organisation_assets[org as usize].iter().map(|&a| asset_view(sim, a as usize, false)).collect(),
        outages,
        messages: messages(sim, Some(team), messages_since),
        pending: pending(sim, Some(team)),
        deadlines: deadlines(sim, Some(org)),
        objectives: objectives(sim, Some(team)),
        indicators: state.indicators.keys().map(|&i| m.scenario.incidents[i as usize].id.clone()).collect(),
        held: player::held(sim, team),
        actions: player::actions(sim, team),
        constituents: player::constituents(sim, team),
    }
}

/// Everything, for the exercise director.
pub fn director_view(sim: &Simulation, messages_since: usize) -> DirectorView {
    let m = sim.model();
    let ex = sim.exercise();
    DirectorView {
        tick: sim.tick(),
        clock: m.clock.label(sim.tick()),
        hash: sim.state_hash().to_hex().to_string(),
        service: service(sim),
        piu: piu(sim),
        assets: director_assets::director_assets(sim),
        assets_total: m.assets.len() as u64,
        organisations: director_assets::organisation_summaries(sim),
        incidents: m
            .scenario
            .incidents
            .iter()
            .zip(&ex.incidents)
            .map(|(i, s)| IncidentView {
                id: i.id.clone(),
                kind: i.kind,
                started_at: s.started_at,
                first_detected: s.first_detected,
                contained_at: s.contained_at,
                recovered_at: s.recovered_at,
                compromised: s.infections.keys().map(|&a| m.scenario.assets[a as usize].id.to_string()).collect(),
            })
            .collect(),
        teams: m
            .scenario
            .teams
            .iter()
            .zip(&ex.teams)
            .map(|(t, s)| TeamSummary {
                id: t.id.clone(),
                organisation: t.organisation.clone(),
                role: t.role,
                staff: s.staff,
                busy: s.busy,
                human: s.human,
                last_action: s.last_action.map(|(tick, name)| (tick, name.to_string())),
            })
            .collect(),
        messages: director_assets::latest(messages(sim, None, messages_since), DIRECTOR_MESSAGES),
        pending: pending(sim, None),
        deadlines: deadlines(sim, None),
        objectives: objectives(sim, None),
        metrics: ex.metrics,
        actions: player::actions_this_tick(sim),
        msel: msel(sim),
    }
}

#[cfg(test)]
mod tests {
    /// `percent` on plain counts (literals would be i32).
    fn percent(part: u64, whole: u64) -> String {
        super::percent(part, whole)
    }

    #[test]
    fn percentages_round_down_to_one_decimal() {
        assert_eq!(percent(7055, 10_000), "70.5%");
        assert_eq!(percent(7059, 10_000), "70.5%");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.6%");
        assert_eq!(percent(5, 5), "100.0%");
        assert_eq!(percent(0, 5), "0.0%");
        assert_eq!(percent(1, 0), "n/a");
        assert_eq!(percent(u64::MAX, u64::MAX), "100.0%");
    }

    #[test]
    fn people_are_counted_only_from_a_stated_population_and_round_down() {
        use super::{people, service_label, thousands};
        assert_eq!(people(3_525_296, 4_994_150, 672_050), 474_390);
        assert_eq!(people(1, 3, 100), 33);
        assert_eq!(people(5, 0, 100), 100);
        assert_eq!(service_label(3_525_296, 4_994_150, None), "70.5%");
        assert_eq!(service_label(3_525_296, 4_994_150, Some(672_050)), "70.5% (about 474,390 of 672,050 people)");
        assert_eq!(
            (thousands(0), thousands(999), thousands(1000), thousands(1_234_567)),
            ("0".into(), "999".into(), "1,000".into(), "1,234,567".into())
        );
    }

    /// A hospital under NIS2 (early warning → notification → final report, the
    /// last two weeks after the notification or once contained), hit by a
    /// ransomware and by a spy on an asset whose isolation costs service.
    const REPORTING: &str = r#"
Scenario(
    name: "readiness", seed: 1, tick_seconds: 60, duration_ticks: 60, start: "2026-03-10T08:00",
    time_zone: "UTC",
    sectors: [Sector(id: "health")],
    organisations: [
        Organisation(id: "hospital", kind: Operator, sector: "health"),
        Organisation(id: "ilr", kind: Authority),
    ],
    assets: [
        Asset(id: "hospital-it", organisation: "hospital", sector: "health", population: 100, isolation_cap: 1000),
        Asset(id: "hospital-lab", organisation: "hospital", sector: "health", population: 100, isolation_cap: 300),
    ],
    teams: [
        Team(id: "ops", organisation: "hospital", role: Operator),
        Team(id: "ilr", organisation: "ilr", role: Regulator),
    ],
    incidents: [
        Incident(id: "ransom", kind: Ransomware, targets: ["hospital-it"], start: 1, impact: 50, visibility: 1000),
        Incident(id: "spy", kind: Espionage, targets: ["hospital-lab"], start: 1, impact: 0, visibility: 1000),
    ],
    response: Response(isolate: Cost(ticks: 1, staff: 1)),
    regimes: [Regime(id: "nis2", preset: Nis2, authority: "ilr")],
)
"#;

    fn reporting() -> crate::simulation::Simulation {
        let model = crate::load::parse_model(REPORTING.as_bytes(), std::path::Path::new("readiness.ron"))
            .unwrap_or_else(|e| panic!("{e}"));
        crate::simulation::Simulation::new(std::sync::Arc::new(model), 1)
    }

    fn ops(action: crate::exercise::Action) -> Vec<crate::exercise::Command> {
        vec![crate::exercise::Command { team: 0, action, origin: None }]
    }

    fn report(stage: &str) -> crate::exercise::Action {
        crate::exercise::Action::Report { regime: "nis2".into(), stage: stage.into(), incident: "ransom".into() }
    }

    /// (stage, waits_for, not_before_clock, or_contained, can_file) of the
    /// team's `ransom` deadlines.
    type Readiness = (String, Option<String>, Option<String>, bool, bool);

    fn readiness(sim: &crate::simulation::Simulation) -> Vec<Readiness> {
        super::team_view(sim, 0, 0)
            .deadlines
            .iter()
            .filter(|d| d.incident == "ransom")
            .map(|d| (d.stage.clone(), d.waits_for.clone(), d.not_before_clock.clone(), d.or_contained, d.can_file()))
            .collect()
    }

    fn row(stage: &str, waits: Option<&str>, not_before: Option<&str>, or_contained: bool, can: bool) -> Readiness {
        (stage.into(), waits.map(Into::into), not_before.map(Into::into), or_contained, can)
    }

    #[test]
    fn the_team_view_says_which_report_stages_can_be_filed_and_from_when() {
        let mut sim = reporting();
        sim.step(); // tick 1: both detected at once; the hospital owes its reports
        assert_eq!(
            readiness(&sim),
            [
                row("early-warning", None, None, false, true),
                row("notification", Some("early-warning"), None, false, false),
                row("final-report", Some("notification"), None, false, false),
            ]
        );
        // Every one of them still reads "open": readiness is beside the status.
        assert!(super::team_view(&sim, 0, 0).deadlines.iter().all(|d| d.status == "open"));
        sim.step_with(ops(report("early-warning"))); // tick 2
        sim.step_with(ops(report("notification"))); // tick 3
        // Two weeks after the notification (08:03 + 14 days), or once contained.
        assert_eq!(
            readiness(&sim),
            [
                row("early-warning", None, None, false, false),
                row("notification", None, None, false, false),
                row("final-report", None, Some("2026-03-24 08:03"), true, false),
            ]
        );
        let view = super::team_view(&sim, 0, 0);
        let final_report = view.deadlines.iter().find(|d| d.stage == "final-report" && d.incident == "ransom").unwrap();
        assert_eq!(final_report.not_before, Some(3 + 14 * 24 * 60));
        // The view agrees with the check a report meets when it applies.
        let refused = sim.step_with(ops(report("final-report"))); // tick 4
        assert_eq!(refused[0].result.as_ref().unwrap_err().code, "too_early");
        // Isolating the only compromised asset contains the incident: it can be filed.
        sim.step_with(ops(crate::exercise::Action::Isolate { asset: "hospital-it".into() })); // tick 5
        sim.step(); // tick 6: landed
        assert!(sim.exercise().incidents[0].contained_at.is_some());
        assert_eq!(readiness(&sim)[2], row("final-report", None, None, false, true));
        let filed = sim.step_with(ops(report("final-report")));
        assert!(filed[0].result.is_ok(), "{filed:?}");
        // Filed: nothing about readiness is serialised, as before these fields.
        let json = serde_json::to_value(super::team_view(&sim, 0, 0)).unwrap();
        for d in json["deadlines"].as_array().unwrap().iter().filter(|d| d["incident"] == "ransom") {
            for field in ["waits_for", "not_before", "not_before_clock", "or_contained"] {
                assert!(d.get(field).is_none(), "{d}");
            }
        }
    }

    #[test]
    fn a_view_without_the_readiness_and_isolation_fields_still_reads() {
        let old = serde_json::json!({
            "organisation": "hospital", "regime": "nis2", "stage": "notification", "incident": "ransom",
            "authority": "ilr", "due": 10, "due_clock": "08:10", "filed": null, "filed_clock": null,
            "status": "open"
        });
        let d: super::DeadlineView = serde_json::from_value(old).unwrap();
        assert!(d.can_file() && d.waits_for.is_none() && !d.or_contained);
        let old = serde_json::json!({
            "id": "a", "name": "a", "organisation": "o", "sector": "s", "level": 1000, "integrity": 1000,
            "cap": 1000, "isolated": false, "hardened": false, "compromised": ["x"]
        });
        let a: super::AssetView = serde_json::from_value(old).unwrap();
        assert_eq!((a.isolation_cap, a.no_damage.len()), (1000, 0));
    }

    #[test]
    fn assets_say_what_isolating_them_costs_and_which_compromises_do_no_damage() {
        let mut sim = reporting();
        sim.step();
        let view = super::team_view(&sim, 0, 0);
        let it = &view.assets[0];
        assert_eq!(
            (it.isolation_cap, it.compromised.as_slice(), it.no_damage.len()),
            (1000, &["ransom".to_string()][..], 0)
        );
        let lab = &view.assets[1];
        assert_eq!(lab.isolation_cap, 300);
        assert_eq!(
            (lab.compromised.as_slice(), lab.no_damage.as_slice()),
            (&["spy".to_string()][..], &["spy".to_string()][..])
        );
        let json = serde_json::to_value(&view.assets).unwrap();
        assert!(json[0].get("isolation_cap").is_none() && json[0].get("no_damage").is_none(), "{}", json[0]);
        assert_eq!((json[1]["isolation_cap"].as_u64(), json[1]["no_damage"][0].as_str()), (Some(300), Some("spy")));
    }
}
