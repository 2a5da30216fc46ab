//! The exercise state: everything about incidents, teams, actions, reports,
//! injects, objectives and the Cyber PIU that the tick systems read and write.
//!
//! All collections are `Vec`s indexed by stable index or `BTreeMap`s keyed by
//! stable indices, so every iteration order is deterministic. Every field that
//! can influence a later tick is encoded into the state hash (`exercise::hash`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::command::{LiveInject, Order};
use crate::model::Model;
use crate::scenario::Tlp;

/// "Never" in hashed tick fields.
pub const NEVER: u64 = u64::MAX;

/// One compromised asset of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Infection {
    /// Tick it was compromised.
    pub since: u64,
    /// Tick it was detected, if it has been.
    pub detected: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct IncidentState {
    pub started_at: Option<u64>,
    /// Compromised assets, by asset index.
    pub infections: BTreeMap<u32, Infection>,
    /// Every asset it has ever compromised (for reports).
    pub ever_compromised: BTreeSet<u32>,
    pub first_detected: Option<u64>,
    /// First tick at which it was detected and every compromised asset was
    /// isolated (or none was left).
    pub contained_at: Option<u64>,
    /// First tick at which no compromised asset was left.
    pub recovered_at: Option<u64>,
}

/// Indicators a team holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// The tick the team first got them.
    pub since: u64,
    /// The least restrictive label it has received them under; it bounds how the
    /// team may pass them on (TLP 2.0).
    pub tlp: Tlp,
    /// Who gave them under `tlp` (views only; not hashed).
    pub from: HeldFrom,
}

/// Where a team got an incident's indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldFrom {
    /// Its own investigation.
    Own,
    /// A detection on its organisation's asset: an alert, the owner noticing
    /// unaided, or another team's investigation.
    Detected,
    /// A share from another team.
    Team(u32),
    /// An inject of the MSEL (its stable index).
    Inject(u32),
    /// A live inject of the exercise director.
    Director,
}

impl TeamState {
    /// Gives the team the indicators of `incident` under `tlp`, keeping the
    /// first tick and the least restrictive label seen, with whoever gave that
    /// label (the source always names the release the label comes from).
    pub fn receive_indicators(&mut self, incident: u32, tick: u64, tlp: Tlp, from: HeldFrom) {
        let held = self.indicators.entry(incident).or_insert(Held { since: tick, tlp, from });
        if tlp < held.tlp {
            held.tlp = tlp;
            held.from = from;
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TeamState {
    pub staff: u32,
    /// Staff occupied by running actions.
    pub busy: u32,
    /// A human has taken the team over from its bot.
    pub human: bool,
    /// Incidents whose indicators the team holds: since when, and under which
    /// label (its own findings count as TLP:CLEAR).
    pub indicators: BTreeMap<u32, Held>,
    /// Incidents whose indicators the team has shared.
    pub shared: BTreeSet<u32>,
    pub statements: u32,
    /// The last action applied for this team, for views and reports.
    pub last_action: Option<(u64, &'static str)>,
    /// What the team did and what became of it (views only; not hashed).
    pub actions: super::actions::ActionLog,
}

/// An action in progress: its effect lands at `finish`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub team: u32,
    pub order: Order,
    pub started: u64,
    pub finish: u64,
    pub staff: u32,
    /// Its record in the team's action log (not hashed: the log never
    /// influences a tick).
    pub record: u64,
}

/// One report an organisation owes under a regime for an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Obligation {
    pub regime: u32,
    pub organisation: u32,
    pub incident: u32,
    pub stage: u32,
    pub filed: Option<u64>,
    /// First tick at which the due tick had passed without the report.
    pub missed_at: Option<u64>,
}

/// The state of an objective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "status", content = "tick", rename_all = "snake_case")]
pub enum Status {
    #[default]
    Pending,
    Met(u64),
    Missed(u64),
}

/// Who a message comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Sender {
    Team(u32),
    /// An inject of the MSEL (its stable index); `from` names the story's sender.
    Inject(u32),
    /// The exercise engine itself (results of actions, alerts).
    System,
    /// The exercise director (live injects).
    Director,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Inject,
    Share,
    Report,
    Statement,
    Chat,
    Assistance,
    Piu,
    Result,
    Alert,
}

/// A message in the exercise: delivered to `audience` (team indices, sorted),
/// which the TLP rule computed when it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub tick: u64,
    pub kind: MessageKind,
    pub sender: Sender,
    /// The sender as people read it ("GOVCERT.LU", "RTL journalist").
    pub from: String,
    /// Addressed teams (indices).
    pub to: Vec<u32>,
    pub tlp: Tlp,
    pub text: String,
    pub incident: Option<u32>,
    pub audience: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Piu {
    pub active_since: Option<u64>,
    pub level: u8,
}

/// Per-tick counts for metrics and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExerciseMetrics {
    pub incidents_open: u32,
    pub incidents_detected: u32,
    pub incidents_contained: u32,
    pub incidents_recovered: u32,
    pub notifications_on_time: u32,
    pub notifications_late: u32,
    /// Due and not filed.
    pub notifications_overdue: u32,
}

/// A live inject sent in place of an MSEL inject, and the teams it went to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub live: LiveInject,
    pub to: Vec<u32>,
}

/// What the director did with an inject of the MSEL (docs/model.md, "The MSEL
/// in the director's hands").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InjectControl {
    /// Left to its time or condition (fired or not: see `inject_fired`).
    #[default]
    Scheduled,
    /// Held at this tick: it does not fire until released.
    Held(u64),
    /// Skipped at this tick: it does not fire unless fired by hand or released.
    Skipped(u64),
    /// Fired by the director's hand (`inject_fired` says when).
    FiredByHand,
    /// Consumed by a live inject the director sent in its place.
    Replaced,
    /// Held or skipped at this tick, then released: left to its time or
    /// condition again (the hold is remembered for the after-action report).
    Released(u64),
}

impl InjectControl {
    /// Whether its time or condition may fire it.
    pub fn may_fire_by_itself(self) -> bool {
        matches!(self, InjectControl::Scheduled | InjectControl::Released(_))
    }
}

/// The whole exercise state (a bevy resource, see `world`).
#[derive(Debug, Clone)]
pub struct Exercise {
    pub incidents: Vec<IncidentState>,
    pub teams: Vec<TeamState>,
    pub isolated: Vec<bool>,
    pub hardened: Vec<bool>,
    /// Per asset: the tick its last investigation finished (`NEVER` if
    /// none has). A plain tick, not an `Option`: the state hash compares this
    /// array with its copy every tick, at memory speed.
    pub investigated_at: Vec<u64>,
    pub pending: Vec<Pending>,
    /// (requesting organisation, CSIRT organisation): assistance requested.
    pub assistance: BTreeSet<(u32, u32)>,
    /// (organisation, incident) → tick the organisation became aware.
    pub awareness: BTreeMap<(u32, u32), u64>,
    /// (organisation, incident) → tick it classified the incident as major.
    pub classification: BTreeMap<(u32, u32), u64>,
    pub obligations: Vec<Obligation>,
    pub piu: Piu,
    pub first_critical_outage: Option<u64>,
    /// Per MSEL inject: the tick it fired (by its time or condition, by the
    /// director's hand, or consumed by a live inject sent in its place).
    pub inject_fired: Vec<Option<u64>>,
    /// Per MSEL inject: what the director did with it (`Scheduled` unless
    /// held, skipped, fired by hand or replaced).
    pub inject_control: Vec<InjectControl>,
    /// MSEL inject → the live inject the director sent in its place, with its
    /// recipients resolved: what teams were actually told and asked, for the
    /// views and the report. It cannot change a future tick (the message and
    /// effects are in the state already), so it is not hashed.
    pub inject_replacements: BTreeMap<u32, Replacement>,
    pub objectives: Vec<Status>,
    pub messages: Vec<Message>,
    /// Orders the bots decided at the end of the last tick, applied in step 1.
    pub bot_orders: Vec<(u32, Order)>,
    pub metrics: ExerciseMetrics,
}

impl Exercise {
    pub fn new(model: &Model) -> Self {
        let n = model.assets.len();
        Self {
            incidents: vec![IncidentState::default(); model.exercise.incidents.len()],
            teams: model.scenario.teams.iter().map(|t| TeamState { staff: t.staff, ..Default::default() }).collect(),
            isolated: vec![false; n],
            hardened: vec![false; n],
            investigated_at: vec![NEVER; n],
            pending: Vec::new(),
            assistance: BTreeSet::new(),
            awareness: BTreeMap::new(),
            classification: BTreeMap::new(),
            obligations: Vec::new(),
            piu: Piu::default(),
            first_critical_outage: None,
            inject_fired: vec![None; model.exercise.injects.len()],
            inject_control: vec![InjectControl::Scheduled; model.exercise.injects.len()],
            inject_replacements: BTreeMap::new(),
            objectives: vec![Status::Pending; model.exercise.objectives.len()],
            messages: Vec::new(),
            bot_orders: Vec::new(),
            metrics: ExerciseMetrics::default(),
        }
    }

    /// Approximate heap bytes held (snapshot budgets; not exact).
    pub fn approximate_bytes(&self) -> usize {
        let messages: usize =
            self.messages.iter().map(|m| 96 + m.from.len() + m.text.len() + (m.to.len() + m.audience.len()) * 4).sum();
        let teams: usize = self
            .teams
            .iter()
            .map(|t| 96 + t.indicators.len() * 48 + t.shared.len() * 32 + t.actions.approximate_bytes())
            .sum();
        let incidents = self.incidents.len() * 128;
        let assets = self.isolated.len() * 18;
        let maps = (self.assistance.len() + self.awareness.len() + self.classification.len()) * 48;
        messages + teams + incidents + assets + maps + (self.pending.len() + self.obligations.len()) * 64
    }

    pub fn free_staff(&self, team: u32) -> u32 {
        let t = &self.teams[team as usize];
        t.staff.saturating_sub(t.busy)
    }

    /// Whether `team` may still act as a bot.
    pub fn bot_active(&self, team: u32) -> bool {
        !self.teams[team as usize].human
    }
}
