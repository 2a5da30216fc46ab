//! The parts of a team's view that tell a player who is who, what is expected
//! of them and what became of what they did: the team directory, the brief,
//! the action log, the indicators held, and the constituents' assets a CSIRT
//! acts on.
//!
//! Everything here is either public to every team (the directory: who plays
//! which organisation), or the viewing team's own (its brief, its actions, its
//! indicators), or what DESIGN §4 authority already lets it act on (a
//! constituent's assets once assistance is accepted). tests/views.rs proves
//! that nothing of another team's private state gets in.

use serde::{Deserialize, Serialize};

use super::{AssetView, asset_view};
use crate::exercise::actions::{Fate, RecordedOrder};
use crate::exercise::command::needs_request;
use crate::exercise::state::HeldFrom;
use crate::scenario::{IndicatorKind, OrganisationKind, TeamRole, Tlp};
use crate::simulation::Simulation;

/// One team in the directory every team receives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub id: String,
    /// The team's display name (its id when the scenario gives none).
    pub name: String,
    pub organisation: String,
    /// The organisation's display name (its id when the scenario gives none).
    pub organisation_name: String,
    pub organisation_kind: OrganisationKind,
    pub role: TeamRole,
    pub sector: Option<String>,
    /// The organisations the team's organisation serves (a CSIRT's constituency).
    pub constituency: Vec<String>,
    /// Played by people now (false: by its bot).
    pub human: bool,
}

/// What became of one of the team's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionFate {
    /// Journaled and acknowledged; the next tick applies it.
    Acknowledged,
    /// Refused by the checks on receipt: live, never journaled; in a replay,
    /// a journaled command this engine's checks refuse. `code` says why.
    Refused,
    /// Refused by the state when its tick applied it: `code` says why.
    Failed,
    /// Started; it lands at `lands`.
    Running,
    /// Done.
    Applied,
}

impl ActionFate {
    /// True for the fates a player must notice.
    pub fn is_failure(self) -> bool {
        matches!(self, ActionFate::Refused | ActionFate::Failed)
    }
}

/// One entry of the team's action log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionView {
    /// The tick that applied it (acknowledged: the tick it is stamped for;
    /// refused: the tick that was current when it arrived).
    pub tick: u64,
    /// That tick as the exercise clock reads it.
    pub clock: String,
    /// The client that sent it; `null` for the team's bot.
    pub client: Option<String>,
    /// The client's sequence number (`null` for the bot).
    pub seq: Option<u64>,
    /// The command as given (`{"action":"isolate","asset":"…"}`).
    pub command: serde_json::Value,
    pub fate: ActionFate,
    /// Why it was refused or failed.
    pub code: Option<String>,
    pub message: Option<String>,
    /// When a timed action lands (or landed).
    pub lands: Option<u64>,
    pub lands_clock: Option<String>,
}

/// The indicators of one incident that the team holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldView {
    pub incident: String,
    /// The incident's display name (its id when the scenario gives none).
    pub name: String,
    /// The label it may pass them on under at most (the least restrictive received).
    pub tlp: Tlp,
    pub since: u64,
    pub since_clock: String,
    /// Who gave them under `tlp`: `own investigation`, `detection on your
    /// organisation's asset`, a team id, or the inject's sender.
    pub source: String,
    pub values: Vec<IndicatorValue>,
}

/// One indicator value, as the scenario gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorValue {
    pub kind: IndicatorKind,
    pub value: String,
    pub comment: String,
}

/// An inject addressed to the team that has fired, with what exercise control
/// expects of its recipients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedView {
    pub inject: String,
    pub tick: u64,
    pub clock: String,
    pub from: String,
    pub expected_action: String,
}

/// A reporting regime of the scenario (public: the law is the same for all).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegimeView {
    pub id: String,
    pub name: String,
    /// The organisation reports go to.
    pub authority: String,
    /// Stage ids, in order (`early-warning`, `notification`, `final-report`).
    pub stages: Vec<String>,
    /// Whether the viewing team's organisation reports under it.
    pub applies: bool,
    /// Only incidents that affect personal data.
    pub personal_data_only: bool,
}

/// The scenario's reporting regimes, as `team` may file them.
pub fn regimes(sim: &Simulation, team: u32) -> Vec<RegimeView> {
    let m = sim.model();
    let s = &m.scenario;
    let org = m.team_organisation[team as usize] as usize;
    s.regimes
        .iter()
        .zip(&m.exercise.regimes)
        .map(|(regime, resolved)| RegimeView {
            id: regime.id.clone(),
            name: display(&regime.name, &regime.id),
            authority: s.organisations[resolved.authority as usize].id.clone(),
            stages: resolved.stages.iter().map(|st| st.id.clone()).collect(),
            applies: resolved.applies_to[org],
            personal_data_only: resolved.personal_data_only,
        })
        .collect()
}

fn display(name: &str, id: &str) -> String {
    if name.is_empty() { id.to_string() } else { name.to_string() }
}

/// Every team of the scenario, in scenario order.
pub fn directory(sim: &Simulation) -> Vec<DirectoryEntry> {
    let m = sim.model();
    let s = &m.scenario;
    s.teams
        .iter()
        .enumerate()
        .map(|(t, team)| {
            let org = m.team_organisation[t] as usize;
            let o = &s.organisations[org];
            DirectoryEntry {
                id: team.id.clone(),
                name: display(&team.name, &team.id),
                organisation: o.id.clone(),
                organisation_name: display(&o.name, &o.id),
                organisation_kind: o.kind,
                role: team.role,
                sector: o.sector.clone(),
                constituency: o.constituency.clone(),
                human: sim.exercise().teams[t].human,
            }
        })
        .collect()
}

/// The ids of the teams people play now.
pub fn humans(sim: &Simulation) -> Vec<String> {
    let s = &sim.model().scenario;
    sim.exercise().teams.iter().zip(&s.teams).filter(|(state, _)| state.human).map(|(_, t)| t.id.clone()).collect()
}

/// One team's action as the director's timeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamActionView {
    pub team: String,
    #[serde(flatten)]
    pub action: ActionView,
}

/// The team's action log, oldest first.
pub fn actions(sim: &Simulation, team: u32) -> Vec<ActionView> {
    actions_from(sim, team, 0)
}

/// Every team's actions applied (or failed) at the last computed tick, in
/// team order.
pub fn actions_this_tick(sim: &Simulation) -> Vec<TeamActionView> {
    let s = &sim.model().scenario;
    (0..s.teams.len() as u32)
        .flat_map(|t| {
            actions_from(sim, t, sim.tick())
                .into_iter()
                .map(move |action| TeamActionView { team: s.teams[t as usize].id.clone(), action })
        })
        .collect()
}

/// The team's actions applied at `since` or later (the log is in tick order).
fn actions_from(sim: &Simulation, team: u32, since: u64) -> Vec<ActionView> {
    let m = sim.model();
    let log = &sim.exercise().teams[team as usize].actions;
    let recent = log.iter().rev().take_while(|r| r.tick >= since).count();
    log.iter()
        .skip(log.len() - recent)
        .map(|r| {
            let command = match &r.order {
                RecordedOrder::Resolved(order) => order.to_action(m),
                RecordedOrder::Unresolved(action) => action.clone(),
            };
            let (fate, code, message) = match (&r.fate, &r.order) {
                (Fate::Applied, _) => (ActionFate::Applied, None, None),
                (Fate::Running, _) => (ActionFate::Running, None, None),
                // A journaled command the checks on receipt refuse (a journal
                // written by hand, or by an engine with other checks).
                (Fate::Failed(refusal), RecordedOrder::Unresolved(_)) => {
                    (ActionFate::Refused, Some(refusal.code.to_string()), Some(refusal.message.clone()))
                }
                (Fate::Failed(refusal), RecordedOrder::Resolved(_)) => {
                    (ActionFate::Failed, Some(refusal.code.to_string()), Some(refusal.message.clone()))
                }
            };
            ActionView {
                tick: r.tick,
                clock: m.clock.label(r.tick),
                client: r.origin.as_ref().map(|o| o.client.clone()),
                seq: r.origin.as_ref().map(|o| o.seq),
                command: serde_json::to_value(command).unwrap_or(serde_json::Value::Null),
                fate,
                code,
                message,
                lands: r.lands,
                lands_clock: r.lands.map(|t| m.clock.label(t)),
            }
        })
        .collect()
}

/// The indicators the team holds, by incident in scenario order.
pub fn held(sim: &Simulation, team: u32) -> Vec<HeldView> {
    let m = sim.model();
    let s = &m.scenario;
    sim.exercise().teams[team as usize]
        .indicators
        .iter()
        .map(|(&i, held)| {
            let incident = &s.incidents[i as usize];
            let source = match held.from {
                HeldFrom::Own => "own investigation".to_string(),
                HeldFrom::Detected => "detection on your organisation's asset".to_string(),
                HeldFrom::Team(t) => s.teams[t as usize].id.clone(),
                HeldFrom::Inject(k) => display(&s.injects[k as usize].from, "exercise control"),
                HeldFrom::Director => "exercise control".to_string(),
            };
            HeldView {
                incident: incident.id.clone(),
                name: display(&incident.name, &incident.id),
                tlp: held.tlp,
                since: held.since,
                since_clock: m.clock.label(held.since),
                source,
                values: incident
                    .indicators
                    .iter()
                    .map(|x| IndicatorValue { kind: x.kind, value: x.value.clone(), comment: x.comment.clone() })
                    .collect(),
            }
        })
        .collect()
}

/// What exercise control expects of the team: the fired MSEL injects addressed
/// to it that name an expected action, in firing order.
pub fn expected(sim: &Simulation, team: u32) -> Vec<ExpectedView> {
    let m = sim.model();
    let s = &m.scenario;
    let ex = sim.exercise();
    let mut out: Vec<ExpectedView> = s
        .injects
        .iter()
        .zip(&m.exercise.injects)
        .zip(&ex.inject_fired)
        .enumerate()
        .filter_map(|(i, ((inject, resolved), fired))| {
            let tick = (*fired)?;
            // Sent edited in its place: what the director sent, to whom.
            let (from, expected, to) = match ex.inject_replacements.get(&(i as u32)) {
                Some(r) => (&r.live.from, &r.live.expected_action, &r.to),
                None => (&inject.from, &inject.expected_action, &resolved.to),
            };
            (!expected.trim().is_empty() && to.contains(&team)).then(|| ExpectedView {
                inject: inject.id.clone(),
                tick,
                clock: m.clock.label(tick),
                from: display(from, "exercise control"),
                expected_action: expected.clone(),
            })
        })
        .collect();
    out.sort_by_key(|e| e.tick);
    out
}

/// The assets of other organisations the team may act on now through a
/// CSIRT's constituency authority (DESIGN §4: at once, or once the constituent
/// has requested its assistance, as the scenario says). Empty for any other team.
pub fn constituents(sim: &Simulation, team: u32) -> Vec<AssetView> {
    let m = sim.model();
    if m.scenario.teams[team as usize].role != TeamRole::Csirt {
        return Vec::new();
    }
    let org = m.team_organisation[team as usize];
    let ex = sim.exercise();
    // The organisations whose assets it may act on now: one pass over the
    // constituency, then one over the assets (no per-asset list search).
    let mut allowed = vec![false; m.scenario.organisations.len()];
    for &owner in &m.organisation_constituency[org as usize] {
        if owner != org && (!needs_request(m) || ex.assistance.contains(&(owner, org))) {
            allowed[owner as usize] = true;
        }
    }
    if !allowed.contains(&true) {
        return Vec::new();
    }
    // In declaration order, as before the per-organisation index.
    let mut assets: Vec<u32> = allowed
        .iter()
        .enumerate()
        .filter(|&(_, &ok)| ok)
        .flat_map(|(o, _)| m.organisation_assets[o].iter().copied())
        .collect();
    assets.sort_unstable();
    assets.into_iter().map(|a| asset_view(sim, a as usize, false)).collect()
}
