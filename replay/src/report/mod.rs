//! The after-action report (HSEEP AAR) of a journal: the journal is re-simulated
//! tick by tick (every checkpoint checked, as `Replay::verify` does) while the
//! per-tick service, the actions teams start and the decisions on objectives are
//! collected; the final state gives incidents, notifications and the message log.
//!
//! `Report` is plain data (serialised as `report.json`); `render` turns it into
//! Markdown and a self-contained HTML page with SVG charts. Strengths and areas
//! for improvement are derived from the numbers by the rules in `rules`.

pub mod hseep;
pub mod reconcile;
pub mod render;
pub mod render_docx;
mod render_hseep;
pub mod rules;

use std::collections::BTreeMap;
use std::sync::Arc;

use cascade_engine::exercise::Status;
use cascade_engine::exercise::state::MessageKind;
use cascade_engine::scenario::Rule;
use cascade_engine::view::{ActionFate, TeamActionView, actions_this_tick, director_view};
use cascade_engine::{Model, Simulation};
use serde::Serialize;

use crate::replay::{Replay, ReplayError};

/// A point in exercise time: the tick and the exercise clock ("09:41").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    pub tick: u64,
    pub clock: String,
}

/// The version of report.json's structure (docs/journal.md documents it;
/// raised whenever a field changes meaning or goes away).
pub const REPORT_FORMAT: u32 = 2;

/// The most assets `Report::outages` lists (report.json would otherwise grow
/// by 30 MB for a national day); the per-organisation counts cover them all.
pub const OUTAGE_ASSETS: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `REPORT_FORMAT`: tools reading report.json check it first.
    pub format: u32,
    /// HSEEP: objectives met and missed, the main strengths and areas for improvement.
    pub summary: hseep::ExecutiveSummary,
    pub overview: Overview,
    /// HSEEP: the organisations, and which teams people played.
    pub details: hseep::ExerciseDetails,
    /// HSEEP: each core capability its objectives name, rated P/S/M/U.
    pub capabilities: Vec<hseep::CapabilityRating>,
    /// HSEEP: the Improvement Plan matrix, a row per area for improvement.
    pub improvement_plan: Vec<hseep::ImprovementRow>,
    pub service: ServiceSeries,
    pub lowest_service: Lowest,
    /// The assets that fell below the scenario's critical outage level, the
    /// longest outage first (then the lowest level, then declaration order):
    /// at most `OUTAGE_ASSETS` of them (a national storm takes down 10,000s;
    /// `organisation_outages` counts every one).
    #[serde(default)]
    pub outages: Vec<AssetOutage>,
    /// How many assets fell below the level in all.
    #[serde(default)]
    pub outage_assets: u64,
    /// Every organisation with such an asset, the hardest hit first (most
    /// minutes of outage over its assets, then most assets down, then
    /// declaration order).
    #[serde(default)]
    pub organisation_outages: Vec<OrganisationOutage>,
    pub incidents: Vec<IncidentResult>,
    pub objectives: Vec<ObjectiveResult>,
    pub notifications: Vec<Notification>,
    pub teams: Vec<TeamActivity>,
    /// Every journaled team command and every order of a bot, in order.
    pub commands: Vec<CommandRecord>,
    /// The fired injects that expect something, against each addressed team's response.
    pub injects: Vec<reconcile::InjectReconciliation>,
    /// The injects that never fired: skipped or held by the director, or never due.
    #[serde(default)]
    pub injects_not_fired: Vec<reconcile::NotFired>,
    /// The evaluators' observations: taken live (journaled director notes) and
    /// while watching the recording (`<journal>.notes.jsonl`), in tick order.
    pub observations: Vec<ObservationRow>,
    pub timeline: Vec<TimelineEntry>,
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overview {
    pub scenario: String,
    pub description: String,
    pub seed: String,
    /// The exercise clock at tick 0 (`YYYY-MM-DD HH:MM zone`).
    pub start: String,
    /// When the recorded run started (wall clock, from the journal header).
    pub recorded_at: String,
    pub engine: String,
    pub tick_seconds: u32,
    pub duration_ticks: u64,
    /// Ticks computed and checkpointed (the last checkpoint).
    pub ticks_run: u64,
    /// The exercise clock at the last tick.
    pub end: String,
    pub teams: usize,
    pub final_hash: String,
    /// Every checkpoint matched the re-simulation (a report is only made then).
    pub verified: bool,
}

/// Service per tick (index = tick), weighted by the assets' `population`s:
/// `national[t]` out of `population` weighted users. The weights overlap (one
/// person uses many assets), so they are no head count: `people` is, when the
/// scenario states it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceSeries {
    pub population: u64,
    /// The scenario's stated number of people, if it gives one.
    pub people: Option<u64>,
    pub national: Vec<u64>,
    pub sectors: Vec<SectorSeries>,
    /// About seven evenly spaced times, for chart axes.
    pub axis: Vec<Moment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectorSeries {
    pub id: String,
    pub name: String,
    pub population: u64,
    /// The sector's stated number of people, if the scenario gives one.
    pub people: Option<u64>,
    pub served: Vec<u64>,
    /// Its lowest service, at its first tick.
    pub lowest: u64,
    pub lowest_at: Moment,
}

/// The lowest national service, at its first tick.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lowest {
    pub served: u64,
    pub per_mille: u64,
    /// The people it comes to, when the scenario states how many there are.
    pub people: Option<u64>,
    pub at: Moment,
}

/// An asset's time below the critical outage level (`response.critical_outage_level`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetOutage {
    pub id: String,
    pub organisation: String,
    pub sector: String,
    /// `critical`, `high`, `medium` or `low`.
    pub criticality: String,
    /// Its lowest level, per mille, and when it first got there.
    pub lowest: u16,
    pub lowest_at: Moment,
    /// The first tick it was below the level.
    pub first_below: Moment,
    /// Minutes below the level, over the whole run (not necessarily in one go).
    pub minutes_below: u64,
    /// Still below the level at the end of the run.
    pub down_at_end: bool,
}

/// An organisation's assets below the critical outage level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganisationOutage {
    pub id: String,
    /// All its assets.
    pub assets: u32,
    /// Those that were below the level at some tick.
    pub assets_down: u32,
    /// Those still below it at the end.
    pub down_at_end: u32,
    /// Minutes below the level, summed over its assets.
    pub minutes_below: u64,
    /// Its lowest asset level, per mille.
    pub lowest: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentResult {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub started: Option<Moment>,
    pub detected: Option<Moment>,
    pub contained: Option<Moment>,
    pub recovered: Option<Moment>,
    /// Minutes from the start to the first detection, containment, recovery.
    pub ttd_minutes: Option<u64>,
    pub ttc_minutes: Option<u64>,
    pub ttr_minutes: Option<u64>,
    /// Every asset it ever compromised.
    pub compromised: Vec<String>,
    /// Some team shared its indicators.
    pub indicators_shared: bool,
    /// The containment time the scenario's objectives ask for (the tightest
    /// `ContainedWithin` on this incident), which findings judge it by.
    pub ttc_target_minutes: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveResult {
    pub id: String,
    pub description: String,
    pub teams: Vec<String>,
    /// `met`, `missed` or `pending`.
    pub status: String,
    pub decided: Option<Moment>,
    /// Short sentences: what the decision rests on.
    pub evidence: Vec<String>,
    /// For rules with a time limit: the minutes it took, and the limit.
    pub minutes_taken: Option<u64>,
    pub minutes_allowed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub organisation: String,
    pub regime: String,
    pub stage: String,
    pub incident: String,
    pub authority: String,
    pub due: Option<Moment>,
    pub filed: Option<Moment>,
    /// `open`, `on_time`, `late` or `overdue`.
    pub status: String,
    /// Who filed it: the client id of the person, `bot`, or `null` if not filed.
    pub filed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamActivity {
    pub id: String,
    pub name: String,
    pub organisation: String,
    pub role: String,
    /// People took the team over from its bot (at `takeover`).
    pub human: bool,
    /// When people took over (a journaled `takeover`); before it, the bot played.
    pub takeover: Option<Moment>,
    /// Command lines the journal holds for the team (its takeover included).
    pub commands_journaled: usize,
    /// Every action of the team (people's commands and its bot's orders, the
    /// takeover not counted), by action name, whatever its fate.
    pub actions: BTreeMap<String, u64>,
    pub total_actions: u64,
    /// Of those: by people, by the bot.
    pub by_people: u64,
    pub by_bot: u64,
    /// Of those: applied (or started), failed at their tick, refused by the
    /// checks on receipt.
    pub applied: u64,
    pub failed: u64,
    pub refused: u64,
    pub first_action: Option<Moment>,
    pub last_action: Option<Moment>,
}

/// An evaluator's observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObservationRow {
    pub tick: u64,
    pub clock: String,
    pub text: String,
    pub team: Option<String>,
    pub objective: Option<String>,
    pub capability: Option<String>,
    pub rating: Option<String>,
    /// `live` (journaled during the exercise) or `replay` (noted on the recording).
    pub taken: String,
}

/// One team command (or bot order) and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandRecord {
    pub tick: u64,
    pub clock: String,
    pub team: String,
    /// The client id that sent it, or `bot`.
    pub client: String,
    /// Sent by people (false: the team's bot).
    pub human: bool,
    /// The action's name (`isolate`, `report`, …).
    pub action: String,
    /// The command as journaled (or the bot's order in the same form).
    pub command: serde_json::Value,
    /// `applied`, `running` (still running at the end), `failed` or `refused`.
    pub fate: String,
    pub code: Option<String>,
    pub message: Option<String>,
    /// When a timed action lands.
    pub lands: Option<Moment>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    pub tick: u64,
    pub clock: String,
    /// A message kind (`inject`, `alert`, `piu`, `report`, `share`, `statement`,
    /// `assistance`) or an incident milestone (`incident`), or `outage`.
    pub kind: String,
    pub from: String,
    pub text: String,
}

pub fn moment(model: &Model, tick: u64) -> Moment {
    Moment { tick, clock: model.clock.label(tick) }
}

/// Minutes in `ticks` ticks (rounded down).
pub fn minutes(model: &Model, ticks: u64) -> u64 {
    ticks.saturating_mul(u64::from(model.clock.tick_seconds())) / 60
}

fn kebab<T: std::fmt::Debug>(value: &T) -> String {
    let debug = format!("{value:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// What is learnt tick by tick (the final state does not keep it).
struct Collector {
    national: Vec<u64>,
    sectors: Vec<Vec<u64>>,
    /// Every team's actions, as the engine's logs record them at each tick.
    commands: Vec<TeamActionView>,
    /// Per objective: its evidence at the tick it was decided.
    decided_evidence: Vec<Option<Vec<String>>>,
    /// Per asset: its lowest level and the first tick it had it, the ticks it
    /// spent below the critical outage level and the first of them.
    lowest: Vec<(u16, u64)>,
    ticks_below: Vec<u32>,
    first_below: Vec<Option<u64>>,
}

impl Collector {
    fn new(sim: &Simulation) -> Self {
        let m = sim.model();
        Self {
            national: Vec::new(),
            sectors: vec![Vec::new(); m.scenario.sectors.len()],
            commands: Vec::new(),
            decided_evidence: vec![None; m.scenario.objectives.len()],
            lowest: vec![(u16::MAX, 0); m.assets.len()],
            ticks_below: vec![0; m.assets.len()],
            first_below: vec![None; m.assets.len()],
        }
    }

    fn observe(&mut self, sim: &Simulation) {
        let tick = sim.tick();
        self.national.push(sim.national_service());
        for (series, &served) in self.sectors.iter_mut().zip(sim.sector_service()) {
            series.push(served);
        }
        // One pass over the levels a tick (a national country has 100,000s
        // of assets): cheap beside the tick itself.
        let critical = sim.model().scenario.response.critical_outage_level;
        for (a, &level) in sim.levels().iter().enumerate() {
            if level < self.lowest[a].0 {
                self.lowest[a] = (level, tick);
            }
            if u32::from(level) < critical {
                self.ticks_below[a] += 1;
                self.first_below[a].get_or_insert(tick);
            }
        }
        let ex = sim.exercise();
        if tick > 0 {
            self.commands.extend(actions_this_tick(sim));
        }
        for (i, status) in ex.objectives.iter().enumerate() {
            if self.decided_evidence[i].is_none() && *status != Status::Pending {
                self.decided_evidence[i] = Some(objective_evidence(sim, i).0);
            }
        }
    }
}

/// The evaluators' notes: live ones from the journal's director lines, and
/// those kept beside the journal while watching it, in tick order (live first
/// at a tick).
fn observations(replay: &Replay) -> Result<Vec<ObservationRow>, ReplayError> {
    let m = &replay.model;
    let row = |tick: u64, note: cascade_engine::wire::Observation, taken: &str| ObservationRow {
        tick,
        clock: m.clock.label(tick),
        text: note.text,
        team: note.team,
        objective: note.objective,
        capability: note.capability,
        rating: note.rating,
        taken: taken.to_string(),
    };
    let mut rows = Vec::new();
    for (_, line) in &replay.journal.commands {
        if line.team == crate::format::DIRECTOR
            && let Ok(cascade_engine::wire::DirectorAction::Note(note)) = serde_json::from_value(line.command.clone())
        {
            rows.push(row(line.tick, note, "live"));
        }
    }
    for line in crate::notes::read_notes(&replay.journal.path).map_err(ReplayError::Notes)? {
        rows.push(row(line.tick, line.note, "replay"));
    }
    rows.sort_by_key(|r| (r.tick, r.taken != "live"));
    Ok(rows)
}

/// The collected actions as report rows: a timed action still running at the
/// end of the run says so, one that landed is applied.
fn command_records(m: &Model, sim: &Simulation, collected: Vec<TeamActionView>) -> Vec<CommandRecord> {
    collected
        .into_iter()
        .map(|TeamActionView { team, action: a }| {
            let fate = match a.fate {
                ActionFate::Running if a.lands.is_some_and(|t| t > sim.tick()) => "running",
                ActionFate::Running | ActionFate::Applied | ActionFate::Acknowledged => "applied",
                ActionFate::Failed => "failed",
                ActionFate::Refused => "refused",
            };
            CommandRecord {
                tick: a.tick,
                clock: a.clock,
                team,
                human: a.client.is_some(),
                client: a.client.unwrap_or_else(|| "bot".to_string()),
                action: a.command["action"].as_str().unwrap_or("?").to_string(),
                command: a.command,
                fate: fate.to_string(),
                code: a.code,
                message: a.message,
                lands: a.lands.map(|t| moment(m, t)),
            }
        })
        .collect()
}

/// Re-simulates the journal (checking every checkpoint; `progress` after each
/// tick) and builds its report.
pub fn build(replay: &Replay, mut progress: impl FnMut(u64)) -> Result<Report, ReplayError> {
    let mut sim = Simulation::with_hash(Arc::clone(&replay.model), replay.seed, replay.hash);
    let mut collector = Collector::new(&sim);
    for (tick, expected) in replay.journal.checkpoints.iter().enumerate() {
        let tick = tick as u64;
        if tick > 0 {
            let commands = replay.commands_for(&sim, tick)?;
            sim.step_with(commands);
        }
        let actual = sim.state_hash().to_hex().to_string();
        if actual != *expected {
            return Err(ReplayError::Mismatch { tick, expected: expected.clone(), actual });
        }
        collector.observe(&sim);
        progress(tick);
    }
    let mut report = assemble(replay, &sim, collector);
    report.observations = observations(replay)?;
    let (strengths, improvements) = rules::derive(&report);
    report.strengths = strengths;
    report.improvements = improvements;
    hseep::complete(&mut report, &replay.model, &BTreeMap::new());
    Ok(report)
}

fn assemble(replay: &Replay, sim: &Simulation, collector: Collector) -> Report {
    let m = sim.model();
    let s = &m.scenario;
    let ex = sim.exercise();
    let view = director_view(sim, usize::MAX);
    let at = |tick: Option<u64>| tick.map(|t| moment(m, t));
    let since = |from: Option<u64>, to: Option<u64>| match (from, to) {
        (Some(a), Some(b)) => Some(minutes(m, b.saturating_sub(a))),
        _ => None,
    };

    let overview = Overview {
        scenario: s.name.clone(),
        description: s.description.clone(),
        seed: replay.seed.to_string(),
        start: m.clock.start_label(),
        recorded_at: replay.journal.header.started_at.clone(),
        engine: replay.journal.header.engine.clone(),
        tick_seconds: m.clock.tick_seconds(),
        duration_ticks: s.duration_ticks,
        ticks_run: sim.tick(),
        end: m.clock.label(sim.tick()),
        teams: s.teams.len(),
        final_hash: sim.state_hash().to_hex().to_string(),
        verified: true,
    };

    let (low_tick, low) = collector
        .national
        .iter()
        .enumerate()
        .min_by_key(|&(t, &v)| (v, t))
        .map(|(t, &v)| (t as u64, v))
        .unwrap_or((0, m.total_population));
    let lowest_service = Lowest {
        served: low,
        per_mille: per_mille(low, m.total_population),
        people: s.population.map(|p| cascade_engine::view::people(low, m.total_population, p)),
        at: moment(m, low_tick),
    };

    let (outages, outage_assets, organisation_outages) = outages(sim, &collector);

    let last = sim.tick();
    let step = last.div_ceil(6).max(1);
    let service = ServiceSeries {
        axis: (0..=last).step_by(step as usize).map(|t| moment(m, t)).collect(),
        population: m.total_population,
        people: s.population,
        national: collector.national,
        sectors: s
            .sectors
            .iter()
            .zip(collector.sectors)
            .enumerate()
            .map(|(i, (sector, served))| SectorSeries {
                lowest: served.iter().copied().min().unwrap_or(m.sector_population[i]),
                lowest_at: moment(
                    m,
                    served.iter().enumerate().min_by_key(|&(t, &v)| (v, t)).map_or(0, |(t, _)| t as u64),
                ),
                id: sector.id.clone(),
                name: if sector.name.is_empty() { sector.id.clone() } else { sector.name.clone() },
                population: m.sector_population[i],
                people: sector.population,
                served,
            })
            .collect(),
    };

    let incidents = s
        .incidents
        .iter()
        .zip(&ex.incidents)
        .enumerate()
        .map(|(i, (inc, state))| IncidentResult {
            id: inc.id.clone(),
            name: inc.name.clone(),
            kind: kebab(&inc.kind),
            started: at(state.started_at),
            detected: at(state.first_detected),
            contained: at(state.contained_at),
            recovered: at(state.recovered_at),
            ttd_minutes: since(state.started_at, state.first_detected),
            ttc_minutes: since(state.started_at, state.contained_at),
            ttr_minutes: since(state.started_at, state.recovered_at),
            compromised: state.ever_compromised.iter().map(|&a| s.assets[a as usize].id.to_string()).collect(),
            indicators_shared: ex.teams.iter().any(|t| t.shared.contains(&(i as u32))),
            ttc_target_minutes: s
                .objectives
                .iter()
                .filter_map(|o| match &o.rule {
                    Rule::ContainedWithin { incident, minutes } if *incident == inc.id => Some(*minutes),
                    _ => None,
                })
                .min(),
        })
        .collect();

    let objectives = s
        .objectives
        .iter()
        .zip(&ex.objectives)
        .enumerate()
        .map(|(i, (o, status))| {
            let (final_evidence, taken, allowed) = objective_evidence(sim, i);
            let (status, decided) = match *status {
                Status::Met(t) => ("met", Some(moment(m, t))),
                Status::Missed(t) => ("missed", Some(moment(m, t))),
                Status::Pending => ("pending", None),
            };
            let mut evidence = collector.decided_evidence[i].clone().unwrap_or(final_evidence);
            if status == "pending" {
                evidence.push("Not decided by the end of the run.".to_string());
            }
            ObjectiveResult {
                id: o.id.clone(),
                description: o.description.clone(),
                teams: o.teams.clone(),
                status: status.to_string(),
                decided,
                evidence,
                minutes_taken: taken,
                minutes_allowed: allowed,
            }
        })
        .collect();

    let commands = command_records(m, sim, collector.commands);
    // The report command that filed a notification: same regime, stage and
    // incident, from a team of the organisation, applied.
    let filer = |d: &cascade_engine::view::DeadlineView| -> Option<String> {
        d.filed?;
        commands
            .iter()
            .find(|c| {
                c.action == "report"
                    && c.fate != "failed"
                    && c.fate != "refused"
                    && c.command["regime"] == d.regime.as_str()
                    && c.command["stage"] == d.stage.as_str()
                    && c.command["incident"] == d.incident.as_str()
                    && s.teams.iter().any(|t| t.id == c.team && t.organisation == d.organisation)
            })
            .map(|c| c.client.clone())
    };
    let notifications = view
        .deadlines
        .iter()
        .map(|d| Notification {
            filed_by: filer(d),
            organisation: d.organisation.clone(),
            regime: d.regime.clone(),
            stage: d.stage.clone(),
            incident: d.incident.clone(),
            authority: d.authority.clone(),
            due: at(d.due),
            filed: at(d.filed),
            status: d.status.clone(),
        })
        .collect();

    let journaled = |id: &str| replay.journal.commands.iter().filter(|(_, c)| c.team == id).count();
    let teams = s
        .teams
        .iter()
        .zip(&ex.teams)
        .map(|(team, state)| {
            let mine: Vec<&CommandRecord> = commands.iter().filter(|c| c.team == team.id).collect();
            let takeover = mine.iter().find(|c| c.action == "takeover").map(|c| moment(m, c.tick));
            let acts: Vec<&&CommandRecord> = mine.iter().filter(|c| c.action != "takeover").collect();
            let mut actions = BTreeMap::new();
            for c in &acts {
                *actions.entry(c.action.clone()).or_insert(0u64) += 1;
            }
            let count = |f: &dyn Fn(&CommandRecord) -> bool| acts.iter().filter(|c| f(c)).count() as u64;
            TeamActivity {
                id: team.id.clone(),
                name: if team.name.is_empty() { team.id.clone() } else { team.name.clone() },
                organisation: team.organisation.clone(),
                role: kebab(&team.role),
                human: state.human,
                takeover,
                commands_journaled: journaled(&team.id),
                total_actions: acts.len() as u64,
                actions,
                by_people: count(&|c| c.human),
                by_bot: count(&|c| !c.human),
                applied: count(&|c| matches!(c.fate.as_str(), "applied" | "running")),
                failed: count(&|c| c.fate == "failed"),
                refused: count(&|c| c.fate == "refused"),
                first_action: acts.first().map(|c| moment(m, c.tick)),
                last_action: acts.last().map(|c| moment(m, c.tick)),
            }
        })
        .collect();

    Report {
        format: REPORT_FORMAT,
        summary: Default::default(),
        details: Default::default(),
        capabilities: Vec::new(),
        improvement_plan: Vec::new(),
        overview,
        service,
        lowest_service,
        outages,
        outage_assets,
        organisation_outages,
        incidents,
        objectives,
        notifications,
        teams,
        timeline: timeline(sim, &commands),
        injects: reconcile::reconcile(m, sim, &commands),
        injects_not_fired: reconcile::not_fired(m, sim),
        observations: Vec::new(),
        commands,
        strengths: Vec::new(),
        improvements: Vec::new(),
    }
}

/// The assets that fell below the critical outage level, and the
/// organisations they belong to, each the worst first.
fn outages(sim: &Simulation, collector: &Collector) -> (Vec<AssetOutage>, u64, Vec<OrganisationOutage>) {
    let m = sim.model();
    let s = &m.scenario;
    let critical = s.response.critical_outage_level;
    let mut down: Vec<usize> = (0..m.assets.len()).filter(|&a| collector.ticks_below[a] > 0).collect();
    down.sort_by_key(|&a| (std::cmp::Reverse(collector.ticks_below[a]), collector.lowest[a].0, a));
    let at_end = |a: usize| u32::from(sim.levels()[a]) < critical;
    let assets = down
        .iter()
        .take(OUTAGE_ASSETS)
        .map(|&a| {
            let resolved = &m.assets[a];
            AssetOutage {
                id: s.assets[a].id.to_string(),
                organisation: s.organisations[resolved.organisation as usize].id.clone(),
                sector: s.sectors[resolved.sector as usize].id.clone(),
                criticality: kebab(&s.assets[a].criticality),
                lowest: collector.lowest[a].0,
                lowest_at: moment(m, collector.lowest[a].1),
                first_below: moment(m, collector.first_below[a].unwrap_or(0)),
                minutes_below: minutes(m, u64::from(collector.ticks_below[a])),
                down_at_end: at_end(a),
            }
        })
        .collect();
    // Per organisation, in declaration order, then sorted.
    let mut by_org: BTreeMap<u32, OrganisationOutage> = BTreeMap::new();
    for &a in &down {
        let org = m.assets[a].organisation;
        let row = by_org.entry(org).or_insert_with(|| OrganisationOutage {
            id: s.organisations[org as usize].id.clone(),
            assets: m.organisation_assets[org as usize].len() as u32,
            assets_down: 0,
            down_at_end: 0,
            minutes_below: 0,
            lowest: u16::MAX,
        });
        row.assets_down += 1;
        row.down_at_end += u32::from(at_end(a));
        row.minutes_below += minutes(m, u64::from(collector.ticks_below[a]));
        row.lowest = row.lowest.min(collector.lowest[a].0);
    }
    let mut organisations: Vec<(u32, OrganisationOutage)> = by_org.into_iter().collect();
    organisations
        .sort_by_key(|(o, row)| (std::cmp::Reverse(row.minutes_below), std::cmp::Reverse(row.assets_down), *o));
    (assets, down.len() as u64, organisations.into_iter().map(|(_, row)| row).collect())
}

fn per_mille(served: u64, population: u64) -> u64 {
    served.saturating_mul(1000).checked_div(population).unwrap_or(1000)
}

/// Actions that show as timeline rows of their own (shares, reports, requests
/// for assistance, statements and chat show as their messages).
const TIMELINE_ACTIONS: [&str; 8] =
    ["investigate", "isolate", "restore", "harden", "repair", "classify", "activate_piu", "set_piu_level"];

/// The timeline: incident milestones, the first critical outage, the messages
/// that mark the response (chat included; results of actions are not), the
/// asset actions and classifications, and every command that failed or was
/// refused.
pub(crate) fn timeline(sim: &Simulation, commands: &[CommandRecord]) -> Vec<TimelineEntry> {
    let m = sim.model();
    let ex = sim.exercise();
    let mut out = Vec::new();
    let mut push = |tick: u64, kind: &str, from: &str, text: String| {
        out.push(TimelineEntry {
            tick,
            clock: m.clock.label(tick),
            kind: kind.to_string(),
            from: from.to_string(),
            text,
        })
    };
    if let Some(t) = ex.first_critical_outage {
        push(t, "outage", "exercise", "First critical outage.".to_string());
    }
    for (inc, state) in m.scenario.incidents.iter().zip(&ex.incidents) {
        let milestones = [
            (state.started_at, "starts"),
            (state.first_detected, "is first detected"),
            (state.contained_at, "is contained"),
            (state.recovered_at, "is recovered"),
        ];
        for (tick, what) in milestones {
            if let Some(t) = tick {
                push(t, "incident", "exercise", format!("Incident {} {what}.", inc.id));
            }
        }
    }
    for msg in &ex.messages {
        if msg.kind == MessageKind::Result {
            continue;
        }
        let mut text = msg.text.clone();
        if msg.kind == MessageKind::Chat {
            let to: Vec<&str> = msg.to.iter().map(|&t| m.scenario.teams[t as usize].id.as_str()).collect();
            text = format!(
                "to {}: {text}",
                if to.len() == m.scenario.teams.len() { "all teams".to_string() } else { to.join(", ") }
            );
        }
        push(msg.tick, &kebab(&msg.kind), &msg.from, text);
    }
    for c in commands {
        let by = if c.human { format!(" ({})", c.client) } else { " (bot)".to_string() };
        let what = crate::player::command_text(&c.command);
        match c.fate.as_str() {
            "failed" | "refused" => push(
                c.tick,
                "failed",
                &c.team,
                format!(
                    "{what} {} ({}): {}{by}",
                    c.fate,
                    c.code.as_deref().unwrap_or("?"),
                    c.message.as_deref().unwrap_or("")
                ),
            ),
            _ if TIMELINE_ACTIONS.contains(&c.action.as_str()) => {
                let lands = c.lands.as_ref().map(|l| format!(", lands {}", l.clock)).unwrap_or_default();
                push(c.tick, "action", &c.team, format!("{what}{lands}{by}"))
            }
            _ => {}
        }
    }
    out.sort_by_key(|e| e.tick);
    out
}

/// The evidence for objective `i` in the current state, with the minutes taken
/// and allowed for rules with a time limit.
fn objective_evidence(sim: &Simulation, i: usize) -> (Vec<String>, Option<u64>, Option<u64>) {
    let m = sim.model();
    let ex = sim.exercise();
    let label = |t: u64| m.clock.label(t);
    let mut evidence = Vec::new();
    let (mut taken, mut allowed) = (None, None);
    match &m.scenario.objectives[i].rule {
        Rule::PiuActivatedWithin { minutes: limit } => {
            allowed = Some(*limit);
            match ex.first_critical_outage {
                Some(t) => evidence.push(format!("First critical outage at {} (tick {t}).", label(t))),
                None => evidence.push("No critical outage.".to_string()),
            }
            let plan = &m.scenario.response.plan.short;
            match ex.piu.active_since {
                Some(a) => evidence.push(format!("{plan} activated at {} (tick {a}).", label(a))),
                None => evidence.push(format!("{plan} not activated.")),
            }
            if let (Some(o), Some(a)) = (ex.first_critical_outage, ex.piu.active_since) {
                let took = minutes(m, a.saturating_sub(o));
                taken = Some(took);
                evidence
                    .push(format!("{plan} activated {took} min after the first critical outage (objective: {limit})."));
            }
        }
        Rule::ContainedWithin { incident, minutes: limit } => {
            allowed = Some(*limit);
            if let Some(k) = m.scenario.incidents.iter().position(|x| &x.id == incident) {
                let state = &ex.incidents[k];
                match state.first_detected {
                    Some(d) => evidence.push(format!("{incident} first detected at {} (tick {d}).", label(d))),
                    None => evidence.push(format!("{incident} not detected.")),
                }
                match state.contained_at {
                    Some(c) => evidence.push(format!("{incident} contained at {} (tick {c}).", label(c))),
                    None => evidence.push(format!("{incident} not contained.")),
                }
                if let (Some(d), Some(c)) = (state.first_detected, state.contained_at) {
                    let took = minutes(m, c.saturating_sub(d));
                    taken = Some(took);
                    evidence.push(format!("Contained {took} min after detection (objective: {limit})."));
                }
            }
        }
        Rule::ReportsOnTime { regime, stage, .. } => {
            let view = director_view(sim, usize::MAX);
            let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
            for d in
                view.deadlines.iter().filter(|d| &d.regime == regime && stage.as_ref().is_none_or(|s| &d.stage == s))
            {
                *counts.entry(d.status.as_str()).or_default() += 1;
            }
            let what = match stage {
                Some(s) => format!("{regime} {s}"),
                None => regime.clone(),
            };
            if counts.is_empty() {
                evidence.push(format!("No {what} report was due."));
            } else {
                let list: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {}", k.replace('_', " "))).collect();
                evidence.push(format!("{what} reports: {}.", list.join(", ")));
            }
        }
        Rule::AssetLevelBy { asset, at_least, .. } => {
            if let Some(a) = m.asset_index(asset) {
                evidence.push(format!(
                    "{asset} at {}‰ at {} (required: at least {at_least}‰).",
                    sim.levels()[a as usize],
                    label(sim.tick())
                ));
            }
        }
        Rule::SectorServiceBy { sector, at_least, .. } => {
            if let Some(k) = m.scenario.sectors.iter().position(|x| &x.id == sector) {
                let served = per_mille(sim.sector_service()[k], m.sector_population[k]);
                evidence.push(format!(
                    "{sector} service at {served}‰ at {} (required: at least {at_least}‰).",
                    label(sim.tick())
                ));
            }
        }
        Rule::IndicatorsSharedWithin { incident, teams, minutes: limit } => {
            allowed = Some(*limit);
            if let Some(k) = m.scenario.incidents.iter().position(|x| &x.id == incident) {
                let (mut holding, mut missing) = (Vec::new(), Vec::new());
                for id in teams {
                    if let Some(t) = sim.team_index(id) {
                        match ex.teams[t as usize].indicators.get(&(k as u32)) {
                            Some(h) => holding.push(format!("{id} ({})", label(h.since))),
                            None => missing.push(id.clone()),
                        }
                    }
                }
                if !holding.is_empty() {
                    evidence.push(format!("Indicators of {incident} held by {}.", holding.join(", ")));
                }
                if !missing.is_empty() {
                    evidence.push(format!("Not held by {}.", missing.join(", ")));
                }
            }
        }
    }
    (evidence, taken, allowed)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use cascade_engine::exercise::{Action, Command};

    use cascade_engine::load_model;

    use super::*;
    use crate::{CommandLine, Header, JournalWriter, read_journal};

    /// The tutorial for 10 ticks, with hospital-ops (a passive bot) isolating
    /// hospital-it by hand at tick 3.
    fn journal_with_a_human_command(dir: &Path) -> Replay {
        let model = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tutorial.ron")).unwrap();
        let path = dir.join("j.jsonl");
        let header = Header::new(&model.scenario, 42, "t".into()).unwrap();
        let mut writer = JournalWriter::create(&path, &header).unwrap();
        let mut sim = Simulation::new(Arc::new(model), 42);
        writer.append_checkpoint(0, &sim.state_hash()).unwrap();
        let hospital = sim.team_index("hospital-ops").unwrap();
        for tick in 1..=10u64 {
            let mut commands = Vec::new();
            if tick == 3 {
                let action = Action::Isolate { asset: "hospital-it".into() };
                let line = CommandLine {
                    tick,
                    team: "hospital-ops".into(),
                    client: "laptop-1".into(),
                    seq: 1,
                    command: serde_json::to_value(&action).unwrap(),
                };
                writer.append_command(&line).unwrap();
                commands.push(Command { team: hospital, action, origin: None });
            }
            sim.step_with(commands);
            writer.append_checkpoint(tick, &sim.state_hash()).unwrap();
        }
        writer.sync().unwrap();
        Replay::new(read_journal(&path).unwrap()).unwrap()
    }

    #[test]
    fn a_journaled_command_counts_as_a_person_s_action() {
        let dir = tempfile::tempdir().unwrap();
        let replay = journal_with_a_human_command(dir.path());
        let mut ticks = Vec::new();
        let report = build(&replay, |t| ticks.push(t)).unwrap();
        assert_eq!(ticks, (0..=10).collect::<Vec<_>>(), "progress after every tick");
        assert_eq!(report.overview.ticks_run, 10);
        assert!(report.overview.verified);
        let hospital = report.teams.iter().find(|t| t.id == "hospital-ops").unwrap();
        // Journaled without a takeover (by hand): a person's command, yet the
        // team was never taken over from its bot.
        assert!(!hospital.human);
        assert_eq!((hospital.by_people, hospital.by_bot, hospital.takeover.clone()), (1, 0, None));
        assert_eq!(hospital.commands_journaled, 1);
        assert_eq!(hospital.actions, BTreeMap::from([("isolate".to_string(), 1)]));
        assert_eq!(hospital.first_action, Some(Moment { tick: 3, clock: "08:03".into() }));
        let csirt = report.teams.iter().find(|t| t.id == "csirt").unwrap();
        assert!(!csirt.human);
        assert_eq!(csirt.total_actions, 0);
        // The isolation lands at tick 8 (5 ticks), after that tick's levels, so
        // hospital-it is held to 200‰ from tick 9: its 20000 people lose 80%,
        // nothing else is down yet.
        assert_eq!(report.service.national.len(), 11);
        assert_eq!(report.lowest_service.at.tick, 9);
        assert_eq!(report.lowest_service.served, report.service.population - 16000);
        assert_eq!(report.service.axis.first().map(|m| m.clock.as_str()), Some("08:00"));
    }

    #[test]
    fn a_mismatch_is_reported_at_its_tick() {
        let dir = tempfile::tempdir().unwrap();
        let mut replay = journal_with_a_human_command(dir.path());
        replay.journal.checkpoints[6] = "f".repeat(64);
        match build(&replay, |_| {}) {
            Err(ReplayError::Mismatch { tick, .. }) => assert_eq!(tick, 6),
            other => panic!("expected a mismatch, got {:?}", other.map(|r| r.overview)),
        }
    }

    /// Hospital-it, isolated and held to 200‰ from tick 9, is an outage that
    /// is still on at the end; the organisations' counts add up to the assets.
    #[test]
    fn outages_list_the_assets_below_the_critical_level_and_their_organisations() {
        let dir = tempfile::tempdir().unwrap();
        let replay = journal_with_a_human_command(dir.path());
        let report = build(&replay, |_| {}).unwrap();
        let hospital = report.outages.iter().find(|o| o.id == "hospital-it").expect("hospital-it is down");
        assert_eq!((hospital.lowest, hospital.lowest_at.tick, hospital.first_below.tick), (200, 9, 9));
        assert!(hospital.down_at_end);
        assert_eq!(hospital.minutes_below, minutes(&replay.model, 2));
        assert_eq!(report.outage_assets, report.outages.len() as u64);
        let down: u32 = report.organisation_outages.iter().map(|o| o.assets_down).sum();
        assert_eq!(u64::from(down), report.outage_assets);
        let sector = report.service.sectors.iter().min_by_key(|s| s.lowest * 1000 / s.population.max(1)).unwrap();
        assert!(sector.lowest < sector.population && sector.lowest_at.tick >= 9);
    }
}
