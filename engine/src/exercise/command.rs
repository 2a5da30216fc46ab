//! Team commands: the wire/journal form (`Action`, ids as strings), the resolved
//! form the engine applies (`Order`, stable indices), and the checks made on
//! receipt — everything that does not depend on the state at the tick it applies.
//!
//! A command that its team may never give (wrong role, not its asset, unknown id,
//! bad value) is rejected here with a code and a sentence and is never journaled.
//! What the state at the tick decides (staff, isolation, authority granted later)
//! is checked when the order is applied (`apply`), and fails as an outcome.

use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::scenario::{CsirtAccess, Effect, Method, TeamRole, Tlp};

/// Longest free text in a command, in characters.
pub const MAX_COMMAND_TEXT: usize = 4_000;
/// Most recipients of one share or message.
pub const MAX_RECIPIENTS: usize = 1_000;
/// Cyber PIU levels run from 1 to this.
pub const MAX_PIU_LEVEL: u8 = 4;

/// The team index the exercise director's commands carry inside the engine (the
/// director is not a team of the scenario).
pub const DIRECTOR_TEAM: u32 = u32::MAX;

fn red() -> Tlp {
    Tlp::Red
}

/// A team action as it travels on the wire and sits in the journal:
/// `{"action":"isolate","asset":"post-mobile-core"}`. docs/protocol.md lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Look for compromise on an asset; finds an incident with its detectability.
    Investigate { asset: String },
    /// Contain: cut the asset off (stops impact and spread, caps its level).
    Isolate { asset: String },
    /// Restore from backup (needs isolation): integrity back; a detected
    /// compromise is cleared, an undetected one reinfects.
    Restore { asset: String },
    /// Patch and harden: cuts the chance of compromise by spread.
    Harden { asset: String },
    /// Repair physical damage (operators, their own assets): the plant is
    /// whole again when it lands.
    Repair { asset: String },
    /// Share indicators of an incident (and/or text) with teams, under a TLP label.
    Share {
        to: Vec<String>,
        tlp: Tlp,
        #[serde(default)]
        incident: Option<String>,
        #[serde(default)]
        text: String,
    },
    /// File a report of a regime's stage for an incident with the authority.
    Report { regime: String, stage: String, incident: String },
    /// Classify an incident as major (starts DORA's classification deadlines).
    Classify { incident: String },
    /// Ask a CSIRT team for assistance: it may then act on our assets.
    RequestAssistance { csirt: String },
    /// Activate the Cyber PIU at a level (crisis cell only).
    ActivatePiu { level: u8 },
    /// Change the active Cyber PIU's level (crisis cell only).
    SetPiuLevel { level: u8 },
    /// A public statement, seen by every team.
    PublicStatement { text: String },
    /// A free-text message to teams (default label TLP:RED: the recipients only).
    Message {
        to: Vec<String>,
        text: String,
        #[serde(default = "red")]
        tlp: Tlp,
    },
    /// A human takes the team over from its bot.
    Takeover,
    /// A live inject: the exercise director only.
    Inject(LiveInject),
    /// The director steers one of the scenario's injects (the MSEL): fire it
    /// now, hold it, release it or skip it.
    Msel { inject: String, op: MselOp },
}

/// What the director does with a scheduled or conditional inject of the MSEL.
/// docs/model.md ("The MSEL in the director's hands") gives the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MselOp {
    /// Fire it at this tick; its scheduled firing is consumed.
    Fire,
    /// Keep it from firing until it is released.
    Hold,
    /// Undo a hold or a skip: it fires at its time or condition again, at
    /// once when its time passed meanwhile.
    Release,
    /// It will not fire (unless fired by hand or released).
    Skip,
}

impl MselOp {
    pub fn name(self) -> &'static str {
        match self {
            MselOp::Fire => "fire",
            MselOp::Hold => "hold",
            MselOp::Release => "release",
            MselOp::Skip => "skip",
        }
    }
}

/// A command with ids resolved to stable indices, ready to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Order {
    Investigate(u32),
    Isolate(u32),
    Restore(u32),
    Harden(u32),
    Repair(u32),
    Share {
        to: Vec<u32>,
        tlp: Tlp,
        incident: Option<u32>,
        text: String,
    },
    Report {
        regime: u32,
        stage: u32,
        incident: u32,
    },
    Classify(u32),
    RequestAssistance(u32),
    ActivatePiu(u8),
    SetPiuLevel(u8),
    PublicStatement(String),
    Message {
        to: Vec<u32>,
        text: String,
        tlp: Tlp,
    },
    Takeover,
    /// A director's live inject with its recipients and effects resolved, and
    /// the MSEL inject it is sent in place of (whose firing it consumes).
    Inject {
        live: Box<LiveInject>,
        to: Vec<u32>,
        effects: Vec<crate::model::ResolvedEffect>,
        replaces: Option<u32>,
    },
    /// A director's order on an MSEL inject (its stable index).
    Msel {
        inject: u32,
        op: MselOp,
    },
}

impl Order {
    /// The action's name, as in the wire format.
    pub fn name(&self) -> &'static str {
        match self {
            Order::Investigate(_) => "investigate",
            Order::Isolate(_) => "isolate",
            Order::Restore(_) => "restore",
            Order::Harden(_) => "harden",
            Order::Repair(_) => "repair",
            Order::Share { .. } => "share",
            Order::Report { .. } => "report",
            Order::Classify(_) => "classify",
            Order::RequestAssistance(_) => "request_assistance",
            Order::ActivatePiu(_) => "activate_piu",
            Order::SetPiuLevel(_) => "set_piu_level",
            Order::PublicStatement(_) => "public_statement",
            Order::Message { .. } => "message",
            Order::Takeover => "takeover",
            Order::Inject { .. } => "inject",
            Order::Msel { .. } => "msel",
        }
    }

    /// The asset an asset action targets.
    pub fn asset(&self) -> Option<u32> {
        match *self {
            Order::Investigate(a) | Order::Isolate(a) | Order::Restore(a) | Order::Harden(a) | Order::Repair(a) => {
                Some(a)
            }
            _ => None,
        }
    }

    /// Back to the wire form (for bots' orders shown to people, and tests).
    pub fn to_action(&self, model: &Model) -> Action {
        let s = &model.scenario;
        let asset = |a: u32| s.assets[a as usize].id.to_string();
        let teams = |t: &[u32]| t.iter().map(|&t| s.teams[t as usize].id.clone()).collect();
        match self {
            Order::Investigate(a) => Action::Investigate { asset: asset(*a) },
            Order::Isolate(a) => Action::Isolate { asset: asset(*a) },
            Order::Restore(a) => Action::Restore { asset: asset(*a) },
            Order::Harden(a) => Action::Harden { asset: asset(*a) },
            Order::Repair(a) => Action::Repair { asset: asset(*a) },
            Order::Share { to, tlp, incident, text } => Action::Share {
                to: teams(to),
                tlp: *tlp,
                incident: incident.map(|i| s.incidents[i as usize].id.clone()),
                text: text.clone(),
            },
            Order::Report { regime, stage, incident } => {
                let r = &model.exercise.regimes[*regime as usize];
                Action::Report {
                    regime: s.regimes[*regime as usize].id.clone(),
                    stage: r.stages[*stage as usize].id.clone(),
                    incident: s.incidents[*incident as usize].id.clone(),
                }
            }
            Order::Classify(i) => Action::Classify { incident: s.incidents[*i as usize].id.clone() },
            Order::RequestAssistance(t) => Action::RequestAssistance { csirt: s.teams[*t as usize].id.clone() },
            Order::ActivatePiu(l) => Action::ActivatePiu { level: *l },
            Order::SetPiuLevel(l) => Action::SetPiuLevel { level: *l },
            Order::PublicStatement(text) => Action::PublicStatement { text: text.clone() },
            Order::Message { to, text, tlp } => Action::Message { to: teams(to), text: text.clone(), tlp: *tlp },
            Order::Takeover => Action::Takeover,
            Order::Inject { live, .. } => Action::Inject((**live).clone()),
            Order::Msel { inject, op } => Action::Msel { inject: s.injects[*inject as usize].id.clone(), op: *op },
        }
    }
}

/// Why a command was refused on receipt (never journaled) or failed when applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// Stable machine-readable code, e.g. `not_your_asset`; docs/protocol.md lists them.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }
}

/// How a team's authority over an asset arises (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authority {
    /// Its own organisation's asset.
    Own,
    /// A CSIRT over its constituency (maybe only once assistance is requested).
    Constituency,
    /// The CERC over any target, once the PIU is active.
    Cerc,
}

/// The authority path `team` has over `asset`, if any (state not considered).
pub fn authority(model: &Model, team: u32, asset: u32) -> Option<Authority> {
    let team_org = model.team_organisation[team as usize];
    let asset_org = model.assets[asset as usize].organisation;
    let role = model.scenario.teams[team as usize].role;
    if team_org == asset_org {
        Some(Authority::Own)
    } else if role == TeamRole::Csirt && model.organisation_constituency[team_org as usize].contains(&asset_org) {
        Some(Authority::Constituency)
    } else if role == TeamRole::Cerc {
        Some(Authority::Cerc)
    } else {
        None
    }
}

/// Whether a role may give an action at all.
fn role_allows(role: TeamRole, action: &Action) -> bool {
    use TeamRole::*;
    match action {
        Action::Investigate { .. } | Action::Isolate { .. } => matches!(role, Operator | Csirt | Cerc),
        Action::Restore { .. } | Action::Harden { .. } => matches!(role, Operator | Csirt),
        // Repair crews are the operator's.
        Action::Repair { .. } => matches!(role, Operator),
        Action::Report { .. } | Action::Classify { .. } => matches!(role, Operator | Csirt),
        Action::RequestAssistance { .. } => matches!(role, Operator),
        Action::ActivatePiu { .. } | Action::SetPiuLevel { .. } => matches!(role, CrisisCell),
        Action::Share { .. } => !matches!(role, Media),
        Action::PublicStatement { .. } | Action::Message { .. } | Action::Takeover => true,
        Action::Inject(_) | Action::Msel { .. } => false,
    }
}

fn role_name(role: TeamRole) -> &'static str {
    match role {
        TeamRole::Csirt => "a CSIRT",
        TeamRole::Operator => "an operator",
        TeamRole::Regulator => "a regulator",
        TeamRole::CrisisCell => "the crisis cell",
        TeamRole::Cerc => "the CERC",
        TeamRole::Communication => "a communication cell",
        TeamRole::Ministry => "a ministry",
        TeamRole::Media => "media",
    }
}

impl Action {
    /// The action's wire name (`isolate`, `report`, …).
    pub fn name(&self) -> &'static str {
        action_name(self)
    }

    /// The action in a few words for people, as a player would type it
    /// (`isolate chem-it`, `message csirt TLP:RED "we are hit"`); free text is
    /// cut at 60 characters.
    pub fn words(&self) -> String {
        let quoted = |t: &str| {
            let cut: String = t.chars().take(60).collect();
            if cut.len() < t.len() {
                format!(" \"{cut}…\"")
            } else if t.is_empty() {
                String::new()
            } else {
                format!(" \"{t}\"")
            }
        };
        match self {
            Action::Investigate { asset }
            | Action::Isolate { asset }
            | Action::Restore { asset }
            | Action::Harden { asset }
            | Action::Repair { asset } => format!("{} {asset}", self.name()),
            Action::Share { to, tlp, incident, text } => {
                let incident = incident.as_deref().unwrap_or("-");
                format!("share {} {tlp} {incident}{}", to.join(","), quoted(text))
            }
            Action::Report { regime, stage, incident } => format!("report {regime} {stage} {incident}"),
            Action::Classify { incident } => format!("classify {incident}"),
            Action::RequestAssistance { csirt } => format!("request_assistance {csirt}"),
            Action::ActivatePiu { level } => format!("activate_piu {level}"),
            Action::SetPiuLevel { level } => format!("set_piu_level {level}"),
            Action::PublicStatement { text } => format!("public_statement{}", quoted(text)),
            Action::Message { to, text, tlp } => format!("message {} {tlp}{}", to.join(","), quoted(text)),
            Action::Takeover => "takeover".to_string(),
            Action::Inject(live) => format!("inject{}", quoted(&live.message)),
            Action::Msel { inject, op } => format!("msel {} {inject}", op.name()),
        }
    }
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Investigate { .. } => "investigate",
        Action::Isolate { .. } => "isolate",
        Action::Restore { .. } => "restore",
        Action::Harden { .. } => "harden",
        Action::Repair { .. } => "repair",
        Action::Share { .. } => "share",
        Action::Report { .. } => "report",
        Action::Classify { .. } => "classify",
        Action::RequestAssistance { .. } => "request_assistance",
        Action::ActivatePiu { .. } => "activate_piu",
        Action::SetPiuLevel { .. } => "set_piu_level",
        Action::PublicStatement { .. } => "public_statement",
        Action::Message { .. } => "message",
        Action::Takeover => "takeover",
        Action::Inject(_) => "inject",
        Action::Msel { .. } => "msel",
    }
}

/// The checks made on receipt: resolves ids and refuses what `team` may never
/// do. `team` is a valid team index.
pub fn resolve(model: &Model, team: u32, action: &Action) -> Result<Order, Refusal> {
    let s = &model.scenario;
    let role = s.teams[team as usize].role;
    if !role_allows(role, action) {
        return Err(Refusal::new(
            "not_allowed_for_role",
            format!("{} team cannot {}", role_name(role), action_name(action).replace('_', " ")),
        ));
    }
    let asset = |id: &str| -> Result<u32, Refusal> {
        let a = model.asset_index(id).ok_or_else(|| Refusal::new("unknown_asset", format!("no asset {id:?}")))?;
        match authority(model, team, a) {
            Some(_) => Ok(a),
            None => Err(Refusal::new(
                "not_your_asset",
                format!(
                    "{id:?} belongs to {}; a team acts on its own organisation's assets (a CSIRT also on its constituency's, the CERC on any once the PIU is active)",
                    s.organisations[model.assets[a as usize].organisation as usize].id
                ),
            )),
        }
    };
    let incident = |id: &str| -> Result<u32, Refusal> {
        s.incidents
            .iter()
            .position(|x| x.id == id)
            .map(|i| i as u32)
            .ok_or_else(|| Refusal::new("unknown_incident", format!("no incident {id:?}")))
    };
    let text = |t: &str| -> Result<String, Refusal> {
        if t.chars().count() > MAX_COMMAND_TEXT {
            Err(Refusal::new("text_too_long", format!("text is longer than {MAX_COMMAND_TEXT} characters")))
        } else {
            Ok(t.to_string())
        }
    };
    let recipients = |ids: &[String]| -> Result<Vec<u32>, Refusal> {
        if ids.is_empty() {
            return Err(Refusal::new("no_recipients", "name at least one recipient team"));
        }
        if ids.len() > MAX_RECIPIENTS {
            return Err(Refusal::new("too_many_recipients", format!("at most {MAX_RECIPIENTS} recipients")));
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let t = s
                .teams
                .iter()
                .position(|t| t.id == *id)
                .ok_or_else(|| Refusal::new("unknown_team", format!("no team {id:?}")))? as u32;
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out.sort_unstable();
        Ok(out)
    };
    let piu_level = |level: u8| -> Result<u8, Refusal> {
        if (1..=MAX_PIU_LEVEL).contains(&level) {
            Ok(level)
        } else {
            Err(Refusal::new("bad_level", format!("PIU levels run from 1 to {MAX_PIU_LEVEL}")))
        }
    };
    Ok(match action {
        Action::Investigate { asset: a } => Order::Investigate(asset(a)?),
        Action::Isolate { asset: a } => {
            let a = asset(a)?;
            Order::Isolate(a)
        }
        Action::Restore { asset: a } => Order::Restore(asset(a)?),
        Action::Harden { asset: a } => Order::Harden(asset(a)?),
        Action::Repair { asset: a } => Order::Repair(asset(a)?),
        Action::Share { to, tlp, incident: inc, text: t } => {
            let incident = inc.as_deref().map(incident).transpose()?;
            if incident.is_none() && t.trim().is_empty() {
                return Err(Refusal::new("empty_share", "share indicators of an incident, or some text"));
            }
            Order::Share { to: recipients(to)?, tlp: *tlp, incident, text: text(t)? }
        }
        Action::Report { regime, stage, incident: inc } => {
            let r = s
                .regimes
                .iter()
                .position(|x| x.id == *regime)
                .ok_or_else(|| Refusal::new("unknown_regime", format!("no reporting regime {regime:?}")))?;
            let resolved = &model.exercise.regimes[r];
            let st = resolved.stages.iter().position(|x| x.id == *stage).ok_or_else(|| {
                let known: Vec<&str> = resolved.stages.iter().map(|x| x.id.as_str()).collect();
                Refusal::new("unknown_stage", format!("regime {regime:?} has no stage {stage:?} (it has {known:?})"))
            })?;
            let i = incident(inc)?;
            let org = model.team_organisation[team as usize];
            if !resolved.applies_to[org as usize] {
                return Err(Refusal::new(
                    "not_subject",
                    format!("{} does not report under {regime:?}", s.organisations[org as usize].id),
                ));
            }
            if resolved.personal_data_only && !model.exercise.incidents[i as usize].personal_data {
                return Err(Refusal::new(
                    "not_subject",
                    format!("{regime:?} covers only incidents with personal data"),
                ));
            }
            Order::Report { regime: r as u32, stage: st as u32, incident: i }
        }
        Action::Classify { incident: inc } => Order::Classify(incident(inc)?),
        Action::RequestAssistance { csirt } => {
            let t = recipients(std::slice::from_ref(csirt))?[0];
            if s.teams[t as usize].role != TeamRole::Csirt {
                return Err(Refusal::new("not_a_csirt", format!("team {csirt:?} is not a CSIRT")));
            }
            if model.team_organisation[t as usize] == model.team_organisation[team as usize] {
                return Err(Refusal::new("own_csirt", "that CSIRT already acts for your organisation"));
            }
            Order::RequestAssistance(t)
        }
        Action::ActivatePiu { level } => Order::ActivatePiu(piu_level(*level)?),
        Action::SetPiuLevel { level } => Order::SetPiuLevel(piu_level(*level)?),
        Action::PublicStatement { text: t } => {
            if t.trim().is_empty() {
                return Err(Refusal::new("empty_text", "a statement needs text"));
            }
            Order::PublicStatement(text(t)?)
        }
        Action::Message { to, text: t, tlp } => {
            if t.trim().is_empty() {
                return Err(Refusal::new("empty_text", "a message needs text"));
            }
            Order::Message { to: recipients(to)?, text: text(t)?, tlp: *tlp }
        }
        Action::Takeover => Order::Takeover,
        Action::Inject(_) | Action::Msel { .. } => {
            unreachable!("role_allows refuses the director's commands for every team")
        }
    })
}

/// The index of the scenario's inject `id` (the MSEL's entries).
fn msel_inject(model: &Model, id: &str) -> Result<u32, Refusal> {
    model
        .scenario
        .injects
        .iter()
        .position(|i| i.id == id)
        .map(|i| i as u32)
        .ok_or_else(|| Refusal::new("unknown_inject", format!("the MSEL has no inject {id:?}")))
}

/// The checks on a director's command: only live injects and the MSEL's
/// controls reach the engine, with known recipients and effect targets.
pub fn resolve_director(model: &Model, action: &Action) -> Result<Order, Refusal> {
    use crate::model::ResolvedEffect;
    use crate::scenario::Effect;
    let live = match action {
        Action::Inject(live) => live,
        Action::Msel { inject, op } => return Ok(Order::Msel { inject: msel_inject(model, inject)?, op: *op }),
        _ => return Err(Refusal::new("team_only", "that is a team's action, not the director's")),
    };
    let replaces = live.replaces.as_deref().map(|id| msel_inject(model, id)).transpose()?;
    let s = &model.scenario;
    if live.message.trim().is_empty() && live.effects.is_empty() {
        return Err(Refusal::new("empty_inject", "an inject needs a message or an effect"));
    }
    if live.message.chars().count() > MAX_COMMAND_TEXT || live.from.chars().count() > 200 {
        return Err(Refusal::new("text_too_long", format!("text is longer than {MAX_COMMAND_TEXT} characters")));
    }
    let team = |id: &str| {
        s.teams
            .iter()
            .position(|t| t.id == id)
            .map(|t| t as u32)
            .ok_or_else(|| Refusal::new("unknown_team", format!("no team {id:?}")))
    };
    let asset =
        |id: &str| model.asset_index(id).ok_or_else(|| Refusal::new("unknown_asset", format!("no asset {id:?}")));
    let incident = |id: &str| {
        s.incidents
            .iter()
            .position(|x| x.id == id)
            .map(|i| i as u32)
            .ok_or_else(|| Refusal::new("unknown_incident", format!("no incident {id:?}")))
    };
    let mut to = Vec::with_capacity(live.to.len());
    for id in &live.to {
        let t = team(id)?;
        if !to.contains(&t) {
            to.push(t);
        }
    }
    if to.is_empty() {
        to = (0..s.teams.len() as u32).collect();
    }
    to.sort_unstable();
    let mut effects = Vec::with_capacity(live.effects.len());
    for effect in &live.effects {
        let per_mille = |v: u32| {
            if v > 1000 {
                Err(Refusal::new("bad_value", format!("{v} is out of range 0..=1000")))
            } else {
                Ok(v as u16)
            }
        };
        effects.push(match effect {
            Effect::StartIncident(id) => ResolvedEffect::StartIncident(incident(id)?),
            Effect::SetIntegrity { asset: a, integrity } => {
                ResolvedEffect::SetIntegrity { asset: asset(a)?, integrity: per_mille(*integrity)? }
            }
            Effect::SetStaff { team: t, staff } => {
                ResolvedEffect::SetStaff { team: team(t)?, staff: (*staff).min(10_000) }
            }
            Effect::Alert { incident: i, asset: a } => {
                ResolvedEffect::Alert { incident: incident(i)?, asset: asset(a)? }
            }
            Effect::Indicators { incident: i, to: recipients, tlp } => {
                let mut teams = Vec::with_capacity(recipients.len());
                for id in recipients {
                    teams.push(team(id)?);
                }
                ResolvedEffect::Indicators { incident: incident(i)?, to: teams, tlp: *tlp }
            }
        });
    }
    Ok(Order::Inject { live: Box::new(live.clone()), to, effects, replaces })
}

/// Whether a CSIRT's constituency authority needs a request first.
pub fn needs_request(model: &Model) -> bool {
    model.scenario.response.csirt_access == CsirtAccess::OnRequest
}

/// An inject the director writes during the exercise (or picks from the MSEL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveInject {
    #[serde(default)]
    pub from: String,
    /// Recipient team ids; empty: every team.
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub method: Method,
    pub message: String,
    #[serde(default)]
    pub expected_action: String,
    #[serde(default)]
    pub effects: Vec<Effect>,
    /// The message's TLP label (default TLP:RED).
    #[serde(default = "crate::scenario::inject_tlp", skip_serializing_if = "is_red")]
    pub tlp: Tlp,
    /// The MSEL inject this one is sent in place of (its id), perhaps edited:
    /// that inject's scheduled firing is consumed, so it does not come again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

fn is_red(tlp: &Tlp) -> bool {
    *tlp == Tlp::Red
}
