//! The exercise part of the scenario format: incidents, response settings,
//! reporting regimes, injects (the MSEL), objectives and bot policies.
//!
//! Like the rest of `scenario`, these mirror the file one to one; `validate`
//! resolves and checks them. docs/scenario-format.md documents each field and
//! docs/model.md what the engine does with it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

// ---------------------------------------------------------------- incidents

/// What kind of attack an incident is. The engine's mechanics are the same for
/// all kinds (impact, spread, detection); the kind labels the incident for people
/// and gives the presets listed in docs/model.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IncidentKind {
    Ransomware,
    Ddos,
    Wiper,
    Espionage,
    DataBreach,
    SupplyChain,
}

impl IncidentKind {
    pub fn label(self) -> &'static str {
        match self {
            IncidentKind::Ransomware => "ransomware",
            IncidentKind::Ddos => "DDoS",
            IncidentKind::Wiper => "wiper",
            IncidentKind::Espionage => "espionage/APT",
            IncidentKind::DataBreach => "data breach",
            IncidentKind::SupplyChain => "supply-chain compromise",
        }
    }
}

/// A cyber incident: compromises its targets at `start` and then eats their
/// integrity, spreads along network links, and waits to be detected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Incident {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub kind: IncidentKind,
    /// Assets compromised when the incident starts.
    pub targets: Vec<String>,
    /// Tick at which it starts (1..=duration). Without it the incident starts only
    /// when an inject's `StartIncident` effect fires.
    #[serde(default)]
    pub start: Option<u64>,
    /// Integrity lost per tick by each compromised, uncontained asset (per mille).
    #[serde(default)]
    pub impact: u32,
    /// The impact stops at this integrity (a DDoS degrades, a wiper destroys).
    #[serde(default)]
    pub floor: u32,
    /// Per-mille chance per tick and per link that a compromised, uncontained
    /// asset compromises a neighbour.
    #[serde(default)]
    pub spread: u32,
    /// Per-mille chance per tick that the owner notices a compromised asset unaided.
    #[serde(default)]
    pub visibility: u32,
    /// Per-mille chance that a completed investigation of a compromised asset finds it.
    #[serde(default = "default_detectability")]
    pub detectability: u32,
    /// Personal data is affected: the GDPR breach notice applies.
    #[serde(default)]
    pub personal_data: bool,
    /// Its impact destroys equipment (sabotage of an industrial control
    /// system): the damage is physical, so a restore from backup does not
    /// undo it; only a repair does.
    #[serde(default, skip_serializing_if = "is_false")]
    pub physical: bool,
    /// Synthetic indicators of compromise: what a team holding the incident's
    /// indicators sees and shares. Only documentation addresses, example
    /// domains, hex hashes and ATT&CK ids pass validation, so a scenario never
    /// carries a real indicator.
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

/// One synthetic indicator of compromise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub kind: IndicatorKind,
    pub value: String,
    /// What it is, for people ("C2 server", "dropper").
    #[serde(default)]
    pub comment: String,
}

/// The kinds of indicator a scenario may carry (MISP attribute types in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IndicatorKind {
    /// An IPv4 or IPv6 address in a documentation range (`ip-dst`).
    Ip,
    /// A domain under `example.com/.net/.org` or the `.example`, `.test`, `.invalid` names (`domain`).
    Domain,
    /// An `http(s)` URL on such a domain (`url`).
    Url,
    /// An e-mail address on such a domain (`email-src`).
    Email,
    /// 64 hex digits (`sha256`).
    Sha256,
    /// 32 hex digits (`md5`).
    Md5,
    /// A file name (`filename`).
    Filename,
    /// A MITRE ATT&CK technique id such as `T1486` or `T1566.001`.
    Technique,
}

impl IndicatorKind {
    /// The MISP attribute type (ATT&CK techniques travel as MISP `text`, tagged).
    pub fn misp_type(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "ip-dst",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "url",
            IndicatorKind::Email => "email-src",
            IndicatorKind::Sha256 => "sha256",
            IndicatorKind::Md5 => "md5",
            IndicatorKind::Filename => "filename",
            IndicatorKind::Technique => "text",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            IndicatorKind::Ip => "IP",
            IndicatorKind::Domain => "domain",
            IndicatorKind::Url => "URL",
            IndicatorKind::Email => "e-mail",
            IndicatorKind::Sha256 => "SHA-256",
            IndicatorKind::Md5 => "MD5",
            IndicatorKind::Filename => "file",
            IndicatorKind::Technique => "ATT&CK",
        }
    }
}

fn default_detectability() -> u32 {
    700
}

// ---------------------------------------------------------------- response

/// Duration and effort of one kind of team action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cost {
    /// Ticks from the tick the command applies to the tick its effect lands
    /// (0: at once).
    pub ticks: u32,
    /// Staff it occupies for that time, out of the team's `staff`.
    pub staff: u32,
}

impl Cost {
    pub const fn new(ticks: u32, staff: u32) -> Self {
        Self { ticks, staff }
    }
}

/// When a CSIRT may act on the assets of its constituency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CsirtAccess {
    /// Once the asset's organisation has requested its assistance.
    #[default]
    OnRequest,
    /// At any time.
    Always,
}

/// How team actions work in this scenario: durations, effort, and the
/// parameters of their effects. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Response {
    pub investigate: Cost,
    pub isolate: Cost,
    pub restore: Cost,
    pub harden: Cost,
    pub share: Cost,
    pub report: Cost,
    pub classify: Cost,
    pub request_assistance: Cost,
    pub activate_piu: Cost,
    pub public_statement: Cost,
    pub message: Cost,
    /// A physical repair (operators only; an asset's `repair_ticks` overrides
    /// the duration).
    pub repair: Cost,
    /// The cap an isolated asset's level is held to (per mille).
    pub isolation_cap: u32,
    /// Integrity an asset has after a restore from backup (per mille).
    pub restore_integrity: u32,
    /// Added to an incident's detectability for investigations by a team that
    /// holds shared indicators of it (per mille, capped at 1000).
    pub indicator_bonus: u32,
    /// How much hardening cuts the chance of being compromised by spread (per mille).
    pub harden_protection: u32,
    /// An asset of criticality `Critical` whose level falls below this is a
    /// critical outage (objectives and bots key on the first one).
    pub critical_outage_level: u32,
    pub csirt_access: CsirtAccess,
    /// The national response plan the crisis cell activates (`activate_piu`).
    pub plan: Plan,
}

/// The national cyber response plan, as the country names it: Luxembourg's
/// is the Cyber PIU (Plan d'intervention d'urgence), another country has its
/// own. Messages and screens use these words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Plan {
    /// Its full name ("Cyber PIU").
    pub name: String,
    /// A short form for tight places (headers): "PIU".
    pub short: String,
    /// What every team is told when it is activated; `{level}` is the level.
    pub activation: String,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            name: "Cyber PIU".into(),
            short: "PIU".into(),
            activation: "The Cyber PIU is activated at level {level}.".into(),
        }
    }
}

impl Default for Response {
    fn default() -> Self {
        Self {
            investigate: Cost::new(30, 2),
            isolate: Cost::new(5, 1),
            restore: Cost::new(120, 3),
            harden: Cost::new(60, 2),
            share: Cost::new(0, 0),
            report: Cost::new(0, 0),
            classify: Cost::new(0, 0),
            request_assistance: Cost::new(0, 0),
            activate_piu: Cost::new(0, 0),
            public_statement: Cost::new(0, 0),
            message: Cost::new(0, 0),
            repair: Cost::new(240, 3),
            isolation_cap: 200,
            restore_integrity: 1000,
            indicator_bonus: 300,
            harden_protection: 800,
            critical_outage_level: 500,
            csirt_access: CsirtAccess::OnRequest,
            plan: Plan::default(),
        }
    }
}

// ---------------------------------------------------------------- reporting

/// Built-in reporting regimes; `stages` of a `Regime` may replace them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegimePreset {
    /// NIS2: early warning ≤ 24 h and notification ≤ 72 h from awareness, final
    /// report ≤ 1 month.
    Nis2,
    /// GDPR breach notice ≤ 72 h from awareness, for incidents with personal data.
    Gdpr,
    /// DORA: initial notification ≤ 4 h after classification as major and ≤ 24 h
    /// after awareness; intermediate ≤ 72 h and final ≤ 1 month after classification.
    Dora,
}

/// What a deadline counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Anchor {
    /// The organisation's first detection of the incident on one of its assets.
    Awareness,
    /// The organisation's classification of the incident as major (`classify`).
    Classification,
}

/// One time limit of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadline {
    pub from: Anchor,
    /// Exercise minutes from the anchor (converted to ticks, rounding up).
    pub within_minutes: u64,
}

/// One report a regime asks for. Its due tick is the earliest of its deadlines
/// whose anchor has happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    pub deadlines: Vec<Deadline>,
    /// Filed only once the previous stage (of the same incident, by the same
    /// organisation) is: a notification after the early warning.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub after_previous: bool,
    /// Not filed before this long after the previous stage, unless the
    /// incident is contained by then: a final report describes an incident
    /// handled, not one minutes old. Implies `after_previous`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<NotBefore>,
}

/// The earliest a stage may be filed (see `Stage::not_before`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotBefore {
    /// Exercise minutes after the previous stage was filed.
    pub minutes_after_previous: u64,
    /// … or at once when the incident is contained.
    #[serde(default)]
    pub unless_contained: bool,
}

/// A reporting regime: who must report what to which authority, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regime {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Stages from a preset; `stages` (if given) replaces them.
    #[serde(default)]
    pub preset: Option<RegimePreset>,
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// The authority organisation reports go to.
    pub authority: String,
    /// Applies to the organisations of these sectors …
    #[serde(default)]
    pub sectors: Vec<String>,
    /// … and to these organisations. With neither list, to every organisation
    /// (never to the authority itself).
    #[serde(default)]
    pub organisations: Vec<String>,
    /// Only incidents that affect personal data (the GDPR preset sets this).
    #[serde(default)]
    pub personal_data_only: bool,
}

// ---------------------------------------------------------------- injects

/// How an inject reaches its recipients (the MSEL "method" column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Method {
    #[default]
    Email,
    Phone,
    Media,
    Portal,
    Radio,
    InPerson,
}

impl Method {
    pub const ALL: [Method; 6] =
        [Method::Email, Method::Phone, Method::Media, Method::Portal, Method::Radio, Method::InPerson];

    pub fn name(self) -> &'static str {
        match self {
            Method::Email => "Email",
            Method::Phone => "Phone",
            Method::Media => "Media",
            Method::Portal => "Portal",
            Method::Radio => "Radio",
            Method::InPerson => "InPerson",
        }
    }
}

/// A condition that fires an inject once, at the first tick it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// An asset's level is below `level`.
    AssetBelow { asset: String, level: u32 },
    /// A sector's service is below `per_mille` of its population.
    SectorBelow { sector: String, per_mille: u32 },
    /// The incident has been detected by anyone.
    IncidentDetected(String),
    /// A reporting deadline of the regime has passed without its report.
    DeadlineMissed(String),
    /// The Cyber PIU is active.
    PiuActive,
}

/// What an inject does besides delivering its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Start an incident (one without `start`, or start it early).
    StartIncident(String),
    /// Set an asset's integrity.
    SetIntegrity { asset: String, integrity: u32 },
    /// Set a team's staff capacity.
    SetStaff { team: String, staff: u32 },
    /// An alert: the incident is detected on the asset (if compromised there).
    Alert { incident: String, asset: String },
    /// Indicators of the incident reach these teams under a TLP label (a
    /// partner CERT's or an ISAC's feed): as if shared with them.
    Indicators { incident: String, to: Vec<String>, tlp: Tlp },
}

/// One MSEL entry: a message to teams, maybe with effects, scheduled or conditional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    pub id: String,
    /// Tick at which it fires (1..=duration) …
    #[serde(default)]
    pub at: Option<u64>,
    /// … or the condition that fires it.
    #[serde(default)]
    pub when: Option<Condition>,
    /// Who it comes from, in the story ("RTL journalist", "ILR duty officer").
    #[serde(default)]
    pub from: String,
    /// Recipient team ids; empty: every team.
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub method: Method,
    #[serde(default)]
    pub message: String,
    /// What the exercise control expects the recipients to do.
    #[serde(default)]
    pub expected_action: String,
    #[serde(default)]
    pub effects: Vec<Effect>,
    /// The message's TLP label (default TLP:RED: the recipients only;
    /// TLP:CLEAR for a public storm warning or a press release).
    #[serde(default = "inject_tlp", skip_serializing_if = "is_inject_tlp")]
    pub tlp: Tlp,
}

/// An inject's TLP label when none is given.
pub fn inject_tlp() -> Tlp {
    Tlp::Red
}

fn is_inject_tlp(tlp: &Tlp) -> bool {
    *tlp == inject_tlp()
}

// ---------------------------------------------------------------- objectives

/// The rule an objective is evaluated by, every tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rule {
    /// The crisis cell activates the Cyber PIU within `minutes` of the first
    /// critical outage (met at once if it is already active then).
    PiuActivatedWithin { minutes: u64 },
    /// Every report of the regime (and stage, if given) is filed on time; decided
    /// missed at the first late or missing report, met at the end. With
    /// `organisations`, only theirs count.
    ReportsOnTime {
        regime: String,
        stage: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        organisations: Vec<String>,
    },
    /// At the tick `by` (a tick number or "HH:MM" on the exercise clock), the
    /// asset's level is at least `at_least`.
    AssetLevelBy { asset: String, at_least: u32, by: TimeRef },
    /// At `by`, the sector's service is at least `at_least` per mille.
    SectorServiceBy { sector: String, at_least: u32, by: TimeRef },
    /// Within `minutes` of the incident's first detection, every listed team
    /// holds its indicators (through shares).
    IndicatorsSharedWithin { incident: String, teams: Vec<String>, minutes: u64 },
    /// Within `minutes` of its first detection, every compromised asset of the
    /// incident is isolated or cleaned.
    ContainedWithin { incident: String, minutes: u64 },
}

/// An HSEEP-style exercise objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    pub id: String,
    #[serde(default)]
    pub description: String,
    /// Teams it concerns (shown in their views and in the report).
    #[serde(default)]
    pub teams: Vec<String>,
    pub rule: Rule,
    /// The core capability it evaluates, as the exercise plan names it
    /// ("Operational Coordination", "Cybersecurity", …): the report rates each
    /// capability from its objectives (HSEEP P/S/M/U).
    #[serde(default)]
    pub capability: String,
}

/// A point in exercise time: a tick number, a clock time "HH:MM" (the first
/// such time at or after the start), or a local date and time
/// "YYYY-MM-DD HH:MM".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeRef {
    Tick(u64),
    Clock(String),
}

impl Serialize for TimeRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TimeRef::Tick(t) => s.serialize_u64(*t),
            TimeRef::Clock(c) => s.serialize_str(c),
        }
    }
}

impl<'de> Deserialize<'de> for TimeRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = TimeRef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a tick number, a clock time like \"12:00\" or a date and time like \"2026-10-25 12:00\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TimeRef, E> {
                Ok(TimeRef::Tick(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TimeRef, E> {
                u64::try_from(v).map(TimeRef::Tick).map_err(|_| E::custom("a tick cannot be negative"))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TimeRef, E> {
                Ok(TimeRef::Clock(v.to_string()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

// ---------------------------------------------------------------- bots

/// The built-in policy that plays a team until a human takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BotPolicy {
    /// Does nothing.
    #[default]
    Passive,
    /// Responds to what its team can see, `delay` ticks after it becomes visible;
    /// each tick it acts with a per-mille chance `skill` (drawn from the bots stream).
    Responsive { delay: u32, skill: u32 },
}

// ---------------------------------------------------------------- TLP

/// A Traffic Light Protocol 2.0 label. Written as in TLP 2.0, e.g.
/// `"TLP:AMBER+STRICT"` (also accepted: `"amber+strict"`, any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

impl Tlp {
    pub const ALL: [Tlp; 5] = [Tlp::Clear, Tlp::Green, Tlp::Amber, Tlp::AmberStrict, Tlp::Red];

    pub fn label(self) -> &'static str {
        match self {
            Tlp::Clear => "TLP:CLEAR",
            Tlp::Green => "TLP:GREEN",
            Tlp::Amber => "TLP:AMBER",
            Tlp::AmberStrict => "TLP:AMBER+STRICT",
            Tlp::Red => "TLP:RED",
        }
    }

    pub fn parse(text: &str) -> Option<Tlp> {
        let upper = text.trim().to_ascii_uppercase();
        let bare = upper.strip_prefix("TLP:").unwrap_or(&upper);
        Tlp::ALL.into_iter().find(|t| t.label()[4..] == *bare)
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for Tlp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> Deserialize<'de> for Tlp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Tlp::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown TLP label {text:?}: use TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED"
            ))
        })
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlp_labels_parse_in_any_spelling() {
        assert_eq!(Tlp::parse("TLP:AMBER+STRICT"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("amber+strict"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::parse("tlp:red"), Some(Tlp::Red));
        assert_eq!(Tlp::parse("AMBER"), Some(Tlp::Amber));
        assert_eq!(Tlp::parse("WHITE"), None, "TLP 2.0 replaced WHITE with CLEAR");
        for tlp in Tlp::ALL {
            assert_eq!(Tlp::parse(tlp.label()), Some(tlp));
        }
    }
}
