//! The scenario file format: the serde types a RON scenario deserialises into.
//!
//! These types mirror the file one to one, with ids as strings; nothing here is
//! checked beyond what RON's syntax and serde's types enforce. `validate` turns a
//! `Scenario` into a `Model` (resolved indices) or a list of every problem found.
//! docs/scenario-format.md is the author's reference for every field below.
//!
//! Unknown fields are refused (`deny_unknown_fields`) so that a misspelt field is an
//! error with a line and column instead of a silently ignored setting.

use serde::{Deserialize, Serialize};

mod exercise;
mod small_string;
pub use exercise::*;
pub use small_string::SmallString;

/// Per-mille full health: integrity, level, cap, weight and threshold are 0..=1000.
pub const PER_MILLE: u32 = 1000;

fn default_tick_seconds() -> u32 {
    60
}

fn full() -> u32 {
    PER_MILLE
}

fn default_time_zone() -> String {
    "UTC".to_string()
}

/// A whole exercise scenario, as written in a `.ron` file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short title shown in summaries and reports.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream; `--seed` on the command line overrides it.
    #[serde(default)]
    pub seed: u64,
    /// Exercise seconds per tick (60: one tick is one exercise minute).
    #[serde(default = "default_tick_seconds")]
    pub tick_seconds: u32,
    /// Number of ticks a full run computes (ticks 1..=duration_ticks).
    pub duration_ticks: u64,
    /// Exercise time of tick 0, as local civil time `YYYY-MM-DDTHH:MM[:SS]` in `time_zone`.
    pub start: String,
    /// IANA time zone of the exercise clock, e.g. `Europe/Luxembourg`.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// How many people live in the exercise's country. Assets' `population`s
    /// weigh service (several assets serve the same people, so they do not add
    /// up to this); only with it are figures shown as people served.
    #[serde(default)]
    pub population: Option<u64>,
    pub sectors: Vec<Sector>,
    pub organisations: Vec<Organisation>,
    pub assets: Vec<Asset>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub teams: Vec<Team>,
    #[serde(default)]
    pub disruptions: Vec<Disruption>,
    /// Cyber incidents (threats).
    #[serde(default)]
    pub incidents: Vec<Incident>,
    /// Durations, effort and effects of team actions.
    #[serde(default)]
    pub response: Response,
    /// Reporting regimes (NIS2, GDPR, DORA, or the scenario's own).
    #[serde(default)]
    pub regimes: Vec<Regime>,
    /// The MSEL: scheduled and conditional injects.
    #[serde(default)]
    pub injects: Vec<Inject>,
    /// More injects from an MSEL CSV file, relative to the scenario file. Loading
    /// appends its rows to `injects` and clears this field, so a loaded scenario
    /// is self-contained.
    #[serde(default)]
    pub msel: Option<String>,
    /// Exercise objectives, evaluated every tick.
    #[serde(default)]
    pub objectives: Vec<Objective>,
    /// Whether physical damage is kept apart from cyber damage (a restore from
    /// backup then repairs only cyber damage; docs/model.md, "Physical and
    /// cyber damage"). A scenario file leaves it out and gets `true`; `false`
    /// keeps the single kind of damage of journals written before December
    /// 2026, whose stored scenarios lack the field and so replay unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub physical_damage: Option<bool>,
}

/// A sector of the economy; service is also reported per sector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// How many people the sector serves, if known (its service is then also
    /// shown as people served).
    #[serde(default)]
    pub population: Option<u64>,
}

/// What an organisation is in the national response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrganisationKind {
    /// A CERT, CSIRT or SOC.
    Csirt,
    /// Runs infrastructure (an operator of essential services, a company).
    Operator,
    /// A regulator or other public authority (ILR, CSSF, CNPD, HCPN, ...).
    Authority,
    /// The national crisis cell.
    CrisisCell,
    Ministry,
    Media,
}

/// An organisation: owns assets, fields teams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub kind: OrganisationKind,
    /// The sector it belongs to, if any (a CSIRT or ministry may have none).
    #[serde(default)]
    pub sector: Option<String>,
    /// Organisations this one serves (a CSIRT's constituency), by id. Authority rules
    /// built on it come with team actions; for now it is validated and kept.
    #[serde(default)]
    pub constituency: Vec<String>,
    /// Played by exercise control, not by a team of players: it owes no
    /// reports (no reporting obligations arise for it), so no reporting
    /// objective is missed by chance through it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub simulated: bool,
}

/// How much the loss of an asset matters, beyond the people it serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Criticality {
    Low,
    #[default]
    Medium,
    High,
    /// Essential to life or to the state (hospitals, the grid, 112).
    Critical,
}

/// A piece of infrastructure that delivers a service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    pub id: SmallString,
    #[serde(default)]
    pub name: String,
    /// Owning organisation id.
    pub organisation: SmallString,
    /// Sector id.
    pub sector: SmallString,
    /// People who depend on this asset's service directly.
    #[serde(default)]
    pub population: u64,
    #[serde(default)]
    pub criticality: Criticality,
    /// Starting integrity, per mille.
    #[serde(default = "full")]
    pub integrity: u32,
    /// The level (per mille) this asset is held to while isolated; default
    /// `response.isolation_cap`. A substation that islands its control network
    /// keeps the power on (1000); a hospital system cut off stops (0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation_cap: Option<u32>,
    /// Ticks a physical repair of this asset takes; default
    /// `response.repair.ticks` (a substation's transformer takes longer than a
    /// server's power supply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_ticks: Option<u32>,
}

/// What flows along a dependency. Informative for now (the rule is the same for
/// every kind); reports and views group by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DependencyKind {
    Power,
    Network,
    Data,
    Supply,
    Staff,
    Finance,
}

/// `asset` depends on `on`, by the rule of DESIGN §3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    pub asset: SmallString,
    pub on: SmallString,
    pub kind: DependencyKind,
    /// How much of the provider's shortfall passes on, per mille.
    pub weight: u32,
    /// Provider level at or above which supply is full, per mille.
    pub threshold: u32,
    /// Ticks of backup autonomy once the provider falls below the threshold.
    #[serde(default)]
    pub buffer_ticks: u32,
    /// Redundancy group: dependencies of one asset with the same group are alternatives.
    #[serde(default)]
    pub group: Option<SmallString>,
}

/// A network link along which a compromise can spread laterally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub from: SmallString,
    pub to: SmallString,
    /// One way only (from → to); by default a link carries spread both ways.
    #[serde(default)]
    pub directed: bool,
}

/// The role a team plays in the response; team actions (a later issue) check it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TeamRole {
    /// Incident response for its organisation and constituency.
    Csirt,
    /// Runs its organisation's systems.
    Operator,
    /// Receives reports, supervises.
    Regulator,
    /// The national crisis cell (activates the Cyber PIU).
    CrisisCell,
    /// The Cyber Risk Evaluation Cell (CERC), chaired by GOVCERT.LU.
    Cerc,
    /// Public communication.
    Communication,
    Ministry,
    Media,
}

/// A team of players (or a bot) acting for an organisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub organisation: String,
    pub role: TeamRole,
    /// People on the team: actions occupy some of them while they run.
    #[serde(default = "default_staff")]
    pub staff: u32,
    /// The built-in policy that plays the team until a human takes over.
    #[serde(default)]
    pub bot: BotPolicy,
    /// What the team is and does in the exercise, for its players (shown on
    /// their Brief panel, never to other teams).
    #[serde(default)]
    pub brief: String,
}

fn default_staff() -> u32 {
    4
}

/// The simplest inject: at `tick`, set `asset`'s integrity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disruption {
    pub tick: u64,
    pub asset: SmallString,
    pub integrity: u32,
    /// What happened, for people (reports, timelines).
    #[serde(default)]
    pub note: String,
}
