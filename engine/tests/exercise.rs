//! The exercise model (issue 3) as a spec: every team action's effect and every
//! refusal code, TLP delivery, reporting deadlines, objectives, injects, lateral
//! spread statistics, determinism with actions, and bots.
//!
//! Most tests run one small world, `WORLD` below: one hour per tick (so NIS2's
//! 24 h is 24 ticks), four assets, a CSIRT with a constituency, several teams per
//! organisation, three incidents that start only when a test says so, and the
//! NIS2, GDPR and DORA presets. Every expected value is worked out by hand from
//! the rules in docs/model.md; the comments show the arithmetic.
//!
//! Timing reminders (DESIGN §2): a command given "at t" applies in step 1 of tick
//! t; a timed action with `ticks: d` lands in step 5 of tick t+d, after the
//! cascade, so a new cap shows in levels from t+d+1; conditions are checked in
//! step 2 on levels of t-1; spread at t starts only from assets compromised
//! before t.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use cascade_engine::exercise::measure::due;
use cascade_engine::exercise::state::{Infection, MessageKind, Obligation, Sender};
use cascade_engine::exercise::{Action, Command, Exercise, Order, Refusal, Status, tlp};
use cascade_engine::load::parse_scenario;
use cascade_engine::scenario::{
    Anchor, BotPolicy, Condition, Cost, CsirtAccess, Deadline, Effect, Incident, IncidentKind, Inject, Link, Method,
    Objective, Regime, Rule, Scenario, Stage, Team, TeamRole, TimeRef, Tlp,
};
use cascade_engine::{Model, Simulation};
use common::*;

const WORLD: &str = r#"
Scenario(
    name: "Exercise model test",
    seed: 7,
    tick_seconds: 3600,
    duration_ticks: 40,
    start: "2026-03-10T08:00",
    time_zone: "UTC",
    sectors: [Sector(id: "health"), Sector(id: "telecom"), Sector(id: "finance")],
    organisations: [
        Organisation(id: "circl", kind: Csirt, constituency: ["hospital", "telco"]),
        Organisation(id: "hospital", kind: Operator, sector: "health"),
        Organisation(id: "telco", kind: Operator, sector: "telecom"),
        Organisation(id: "bank", kind: Operator, sector: "finance"),
        Organisation(id: "ilr", kind: Authority),
        Organisation(id: "cnpd", kind: Authority),
        Organisation(id: "cssf", kind: Authority),
        Organisation(id: "hcpn", kind: CrisisCell),
    ],
    assets: [
        Asset(id: "hospital-it", organisation: "hospital", sector: "health", population: 1000,
              criticality: Critical),
        Asset(id: "hospital-lab", organisation: "hospital", sector: "health", population: 500),
        Asset(id: "telco-core", organisation: "telco", sector: "telecom", population: 2000),
        Asset(id: "bank-core", organisation: "bank", sector: "finance", population: 1000),
    ],
    links: [
        Link(from: "hospital-it", to: "hospital-lab"),
        Link(from: "hospital-it", to: "telco-core"),
    ],
    teams: [
        Team(id: "circl", organisation: "circl", role: Csirt),             // 0
        Team(id: "hospital-ops", organisation: "hospital", role: Operator), // 1
        Team(id: "hospital-soc", organisation: "hospital", role: Csirt),    // 2
        Team(id: "telco-ops", organisation: "telco", role: Operator),       // 3
        Team(id: "bank-ops", organisation: "bank", role: Operator),         // 4
        Team(id: "ilr", organisation: "ilr", role: Regulator),              // 5
        Team(id: "cnpd", organisation: "cnpd", role: Regulator),            // 6
        Team(id: "cssf", organisation: "cssf", role: Regulator),            // 7
        Team(id: "crisis", organisation: "hcpn", role: CrisisCell),         // 8
        Team(id: "cerc", organisation: "hcpn", role: Cerc),                 // 9
        Team(id: "comms", organisation: "hcpn", role: Communication),       // 10
    ],
    incidents: [
        Incident(id: "ransom", name: "Hospital ransomware", kind: Ransomware, targets: ["hospital-it"],
                 impact: 100, detectability: 1000, personal_data: true),
        Incident(id: "ddos", kind: Ddos, targets: ["telco-core"], impact: 300, floor: 400,
                 detectability: 1000),
        Incident(id: "apt", kind: Espionage, targets: ["bank-core"], detectability: 1000),
    ],
    response: Response(
        investigate: Cost(ticks: 2, staff: 2),
        isolate: Cost(ticks: 1, staff: 1),
        restore: Cost(ticks: 3, staff: 3),
        harden: Cost(ticks: 2, staff: 2),
    ),
    regimes: [
        Regime(id: "nis2", preset: Nis2, authority: "ilr", sectors: ["health", "telecom"]),
        Regime(id: "gdpr", preset: Gdpr, authority: "cnpd"),
        Regime(id: "dora", preset: Dora, authority: "cssf", sectors: ["finance"]),
    ],
)
"#;

const ALL_TEAMS: [&str; 11] = [
    "circl",
    "hospital-ops",
    "hospital-soc",
    "telco-ops",
    "bank-ops",
    "ilr",
    "cnpd",
    "cssf",
    "crisis",
    "cerc",
    "comms",
];

fn world() -> Scenario {
    parse_scenario(WORLD.as_bytes(), Path::new("exercise-test.ron")).unwrap_or_else(|e| panic!("{e}"))
}

// ------------------------------------------------------------ scenario edits

fn incident<'a>(s: &'a mut Scenario, id: &str) -> &'a mut Incident {
    s.incidents.iter_mut().find(|x| x.id == id).unwrap_or_else(|| panic!("no incident {id}"))
}

fn team_mut<'a>(s: &'a mut Scenario, id: &str) -> &'a mut Team {
    s.teams.iter_mut().find(|x| x.id == id).unwrap_or_else(|| panic!("no team {id}"))
}

/// `incident` starts at `tick`.
fn start(s: &mut Scenario, id: &str, tick: u64) {
    incident(s, id).start = Some(tick);
}

fn add_inject(s: &mut Scenario, id: &str, at: Option<u64>, when: Option<Condition>, to: &[&str], message: &str) {
    s.injects.push(Inject {
        id: id.into(),
        at,
        when,
        from: String::new(),
        to: to.iter().map(|t| t.to_string()).collect(),
        method: Method::Email,
        message: message.into(),
        expected_action: String::new(),
        effects: vec![],
        tlp: Tlp::Red,
    });
}

/// A silent inject at `tick` with `effects`.
fn effects_at(s: &mut Scenario, tick: u64, effects: Vec<Effect>) {
    let id = format!("effects-{}", s.injects.len());
    add_inject(s, &id, Some(tick), None, &[], "");
    s.injects.last_mut().unwrap().effects = effects;
}

/// An alert inject at `tick`: `incident` is detected on `asset`.
fn alert_at(s: &mut Scenario, tick: u64, id: &str, asset: &str) {
    effects_at(s, tick, vec![Effect::Alert { incident: id.into(), asset: asset.into() }]);
}

fn set_integrity_at(s: &mut Scenario, tick: u64, asset: &str, integrity: u32) {
    effects_at(s, tick, vec![Effect::SetIntegrity { asset: asset.into(), integrity }]);
}

fn add_objective(s: &mut Scenario, id: &str, rule: Rule) {
    s.objectives.push(Objective {
        id: id.into(),
        description: String::new(),
        teams: vec![],
        rule,
        capability: String::new(),
    });
}

/// The ransomware on hospital-it starts at tick 1 and is detected at once (an alert).
fn ransom_detected_at_1() -> Scenario {
    let mut s = world();
    start(&mut s, "ransom", 1);
    alert_at(&mut s, 1, "ransom", "hospital-it");
    s
}

// ------------------------------------------------------------ actions

fn investigate(asset: &str) -> Action {
    Action::Investigate { asset: asset.into() }
}
fn isolate(asset: &str) -> Action {
    Action::Isolate { asset: asset.into() }
}
fn restore(asset: &str) -> Action {
    Action::Restore { asset: asset.into() }
}
fn harden(asset: &str) -> Action {
    Action::Harden { asset: asset.into() }
}
fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|t| t.to_string()).collect()
}
fn share(to: &[&str], tlp: Tlp, incident: Option<&str>, text: &str) -> Action {
    Action::Share { to: strings(to), tlp, incident: incident.map(str::to_string), text: text.into() }
}
fn report(regime: &str, stage: &str, incident: &str) -> Action {
    Action::Report { regime: regime.into(), stage: stage.into(), incident: incident.into() }
}
fn classify(incident: &str) -> Action {
    Action::Classify { incident: incident.into() }
}
fn request(csirt: &str) -> Action {
    Action::RequestAssistance { csirt: csirt.into() }
}
fn message(to: &[&str], text: &str, tlp: Tlp) -> Action {
    Action::Message { to: strings(to), text: text.into(), tlp }
}
fn statement(text: &str) -> Action {
    Action::PublicStatement { text: text.into() }
}

// ------------------------------------------------------------ a run

/// A simulation with lookups by id, stepped to the tick a command is for.
struct Run {
    sim: Simulation,
}

impl Run {
    fn new(s: Scenario) -> Self {
        Self::seeded(s, 0)
    }

    fn seeded(s: Scenario, seed: u64) -> Self {
        Self { sim: simulate(s, seed) }
    }

    fn model(&self) -> &Model {
        self.sim.model()
    }

    fn team(&self, id: &str) -> u32 {
        self.sim.team_index(id).unwrap_or_else(|| panic!("no team {id}"))
    }

    fn teams(&self, ids: &[&str]) -> Vec<u32> {
        let mut out: Vec<u32> = ids.iter().map(|id| self.team(id)).collect();
        out.sort_unstable();
        out
    }

    fn asset(&self, id: &str) -> usize {
        self.model().scenario.assets.iter().position(|a| a.id == id).unwrap_or_else(|| panic!("no asset {id}"))
    }

    fn incident(&self, id: &str) -> u32 {
        self.model().scenario.incidents.iter().position(|a| a.id == id).unwrap_or_else(|| panic!("no incident {id}"))
            as u32
    }

    fn org(&self, id: &str) -> u32 {
        self.model().scenario.organisations.iter().position(|a| a.id == id).unwrap() as u32
    }

    fn ex(&self) -> &Exercise {
        self.sim.exercise()
    }

    fn tick(&self) -> u64 {
        self.sim.tick()
    }

    /// Computes ticks with no commands up to `tick`.
    fn to(&mut self, tick: u64) {
        while self.sim.tick() < tick {
            assert!(self.sim.step(), "the exercise ended at tick {}", self.sim.tick());
        }
    }

    /// Computes ticks up to `tick`, giving `commands` (team id, action) at `tick`.
    fn at(&mut self, tick: u64, commands: Vec<(&str, Action)>) -> Vec<Result<(), Refusal>> {
        assert!(self.sim.tick() < tick, "tick {tick} is already computed");
        self.to(tick - 1);
        let commands = commands
            .into_iter()
            .map(|(team, action)| Command { team: self.team(team), action, origin: None })
            .collect();
        self.sim.step_with(commands).into_iter().map(|o| o.result).collect()
    }

    /// One command at `tick` that must succeed.
    fn ok(&mut self, tick: u64, team: &str, action: Action) {
        let what = format!("{team} {action:?} at tick {tick}");
        assert_eq!(self.at(tick, vec![(team, action)]), vec![Ok(())], "{what}");
    }

    /// One command at `tick` that must fail as an outcome.
    fn fails(&mut self, tick: u64, team: &str, action: Action) -> Refusal {
        let what = format!("{team} {action:?} at tick {tick}");
        self.at(tick, vec![(team, action)]).remove(0).expect_err(&what)
    }

    /// Plays a script of (tick, team, action), every command succeeding, up to `until`.
    fn play(&mut self, script: &[(u64, &str, Action)], until: u64) {
        for tick in self.tick() + 1..=until {
            let commands: Vec<(&str, Action)> =
                script.iter().filter(|c| c.0 == tick).map(|(_, team, action)| (*team, action.clone())).collect();
            let n = commands.len();
            assert_eq!(self.at(tick, commands), vec![Ok(()); n], "script at tick {tick}");
        }
    }

    fn level(&self, asset: &str) -> u16 {
        self.sim.levels()[self.asset(asset)]
    }

    fn integrity(&self, asset: &str) -> u16 {
        self.sim.integrity()[self.asset(asset)]
    }

    fn cap(&self, asset: &str) -> u16 {
        self.sim.caps()[self.asset(asset)]
    }

    fn isolated(&self, asset: &str) -> bool {
        self.ex().isolated[self.asset(asset)]
    }

    fn infection(&self, incident: &str, asset: &str) -> Option<Infection> {
        self.ex().incidents[self.incident(incident) as usize].infections.get(&(self.asset(asset) as u32)).copied()
    }

    /// Ids of the assets `incident` compromises now.
    fn compromised(&self, incident: &str) -> Vec<String> {
        let s = &self.model().scenario;
        self.ex().incidents[self.incident(incident) as usize]
            .infections
            .keys()
            .map(|&a| s.assets[a as usize].id.to_string())
            .collect()
    }

    /// Tick at which `team` got `incident`'s indicators.
    fn indicators(&self, team: &str, incident: &str) -> Option<u64> {
        self.ex().teams[self.team(team) as usize].indicators.get(&self.incident(incident)).map(|held| held.since)
    }

    fn busy(&self, team: &str) -> u32 {
        self.ex().teams[self.team(team) as usize].busy
    }

    fn obligation(&self, regime: &str, stage: &str, incident: &str) -> &Obligation {
        let m = self.model();
        let r = m.scenario.regimes.iter().position(|x| x.id == regime).unwrap() as u32;
        let st = m.exercise.regimes[r as usize].stages.iter().position(|x| x.id == stage).unwrap() as u32;
        let i = self.incident(incident);
        self.ex()
            .obligations
            .iter()
            .find(|o| o.regime == r && o.stage == st && o.incident == i)
            .unwrap_or_else(|| panic!("no {regime} {stage} obligation for {incident}"))
    }

    fn due(&self, regime: &str, stage: &str, incident: &str) -> Option<u64> {
        due(self.model(), self.ex(), self.obligation(regime, stage, incident))
    }

    /// (regime id, stage id) of every obligation for `incident`.
    fn owed(&self, incident: &str) -> Vec<(String, String)> {
        let m = self.model();
        let i = self.incident(incident);
        self.ex()
            .obligations
            .iter()
            .filter(|o| o.incident == i)
            .map(|o| {
                let stage = &m.exercise.regimes[o.regime as usize].stages[o.stage as usize].id;
                (m.scenario.regimes[o.regime as usize].id.clone(), stage.clone())
            })
            .collect()
    }

    fn objective(&self, id: &str) -> Status {
        let i = self.model().scenario.objectives.iter().position(|o| o.id == id).unwrap();
        self.ex().objectives[i]
    }

    fn inject_fired(&self, id: &str) -> Option<u64> {
        let i = self.model().scenario.injects.iter().position(|o| o.id == id).unwrap();
        self.ex().inject_fired[i]
    }

    /// Messages sent by a team.
    fn sent_by(&self, team: &str) -> usize {
        let t = self.team(team);
        self.ex().messages.iter().filter(|m| m.sender == Sender::Team(t)).count()
    }

    fn hash(&self) -> String {
        self.sim.state_hash().to_hex().to_string()
    }
}

// ------------------------------------------------------------ refused on receipt

#[test]
fn receipt_refuses_what_a_team_may_never_do_with_a_code_and_a_sentence() {
    let run = Run::new(world());
    let long = "x".repeat(4_001);
    let many: Vec<&str> = vec!["circl"; 1_001];
    // (team, action, code, words the sentence must contain)
    let cases: Vec<(&str, Action, &str, &[&str])> = vec![
        ("ilr", isolate("hospital-it"), "not_allowed_for_role", &["regulator", "isolate"]),
        ("circl", Action::ActivatePiu { level: 1 }, "not_allowed_for_role", &["CSIRT", "activate piu"]),
        ("cerc", restore("hospital-it"), "not_allowed_for_role", &["CERC", "restore"]),
        ("hospital-soc", request("circl"), "not_allowed_for_role", &["CSIRT", "request assistance"]),
        ("hospital-ops", isolate("hospital-itt"), "unknown_asset", &["\"hospital-itt\""]),
        ("hospital-ops", isolate("telco-core"), "not_your_asset", &["\"telco-core\"", "belongs to telco"]),
        ("circl", investigate("bank-core"), "not_your_asset", &["\"bank-core\"", "bank"]),
        ("hospital-ops", classify("ransom2"), "unknown_incident", &["\"ransom2\""]),
        ("hospital-ops", share(&["circl"], Tlp::Red, Some("nope"), ""), "unknown_incident", &["\"nope\""]),
        ("hospital-ops", message(&["circl", "nobody"], "hi", Tlp::Red), "unknown_team", &["\"nobody\""]),
        ("hospital-ops", request("nobody"), "unknown_team", &["\"nobody\""]),
        ("hospital-ops", message(&[], "hi", Tlp::Red), "no_recipients", &["recipient"]),
        ("hospital-ops", share(&[], Tlp::Red, Some("ransom"), ""), "no_recipients", &["recipient"]),
        ("hospital-ops", message(&many, "hi", Tlp::Red), "too_many_recipients", &["1000"]),
        ("hospital-ops", share(&["circl"], Tlp::Red, None, "  \n"), "empty_share", &["incident", "text"]),
        ("comms", statement("   "), "empty_text", &["text"]),
        ("hospital-ops", message(&["circl"], "", Tlp::Red), "empty_text", &["text"]),
        ("comms", statement(&long), "text_too_long", &["4000"]),
        ("hospital-ops", share(&["circl"], Tlp::Red, None, &long), "text_too_long", &["4000"]),
        ("hospital-ops", report("nis3", "early-warning", "ransom"), "unknown_regime", &["\"nis3\""]),
        (
            "hospital-ops",
            report("nis2", "early_warning", "ransom"),
            "unknown_stage",
            &["\"early_warning\"", "early-warning", "notification", "final-report"],
        ),
        ("hospital-ops", report("nis2", "early-warning", "nope"), "unknown_incident", &["\"nope\""]),
        // The bank (finance) is outside NIS2's sectors here; DORA is for it.
        ("bank-ops", report("nis2", "early-warning", "apt"), "not_subject", &["bank", "\"nis2\""]),
        ("hospital-ops", report("dora", "initial-notification", "ransom"), "not_subject", &["hospital", "\"dora\""]),
        // GDPR covers only incidents with personal data; the DDoS has none.
        ("telco-ops", report("gdpr", "breach-notification", "ddos"), "not_subject", &["\"gdpr\"", "personal data"]),
        ("hospital-ops", request("telco-ops"), "not_a_csirt", &["\"telco-ops\"", "not a CSIRT"]),
        ("hospital-ops", request("hospital-soc"), "own_csirt", &["your organisation"]),
        ("crisis", Action::ActivatePiu { level: 0 }, "bad_level", &["1 to 4"]),
        ("crisis", Action::ActivatePiu { level: 5 }, "bad_level", &["1 to 4"]),
        ("crisis", Action::SetPiuLevel { level: 9 }, "bad_level", &["1 to 4"]),
        ("ilr", share(&["circl"], Tlp::Red, None, "hi"), "ok", &[]),
    ];
    for (team, action, code, words) in cases {
        let result = run.sim.check_command(run.team(team), &action);
        if code == "ok" {
            assert!(result.is_ok(), "{team} {action:?}: {result:?}");
            continue;
        }
        let refusal = result.expect_err(&format!("{team} {action:?} must be refused"));
        assert_eq!(refusal.code, code, "{team} {action:?}: {}", refusal.message);
        assert!(refusal.message.len() > 10 && refusal.message.contains(' '), "{code}: {:?}", refusal.message);
        for word in words {
            assert!(refusal.message.contains(word), "{code}: {:?} should mention {word:?}", refusal.message);
        }
    }
}

#[test]
fn receipt_accepts_what_only_the_state_at_the_tick_can_decide() {
    let run = Run::new(world());
    let a = |id: &str| run.asset(id) as u32;
    // A CSIRT on its constituency's asset, and the CERC on anyone's: the request
    // and the PIU are checked at the tick.
    assert_eq!(run.sim.check_command(run.team("circl"), &isolate("hospital-it")), Ok(Order::Isolate(a("hospital-it"))));
    assert_eq!(run.sim.check_command(run.team("cerc"), &isolate("bank-core")), Ok(Order::Isolate(a("bank-core"))));
    // A report before anyone is aware, a restore before isolation: the tick decides.
    assert_eq!(
        run.sim.check_command(run.team("hospital-ops"), &report("nis2", "final-report", "ransom")),
        Ok(Order::Report { regime: 0, stage: 2, incident: 0 })
    );
    assert_eq!(run.sim.check_command(run.team("hospital-ops"), &restore("hospital-lab")), Ok(Order::Restore(1)));
    // Recipients are resolved, deduplicated and sorted; text of exactly 4000 characters is fine.
    let text = "y".repeat(4_000);
    assert_eq!(
        run.sim.check_command(run.team("bank-ops"), &message(&["ilr", "circl", "ilr"], &text, Tlp::Amber)),
        Ok(Order::Message { to: vec![0, 5], text, tlp: Tlp::Amber })
    );
}

// ------------------------------------------------------------ refused at the tick

/// Runs `s` twice, with and without `team`'s `action` at tick `at` (after the
/// `script`, which must succeed): the action fails with `code`, and the state —
/// hash and messages — is exactly that of the run without it, then and after.
fn refused_at_tick(s: Scenario, script: &[(u64, &str, Action)], at: u64, team: &str, action: Action) -> Refusal {
    let mut with = Run::new(s.clone());
    let mut without = Run::new(s);
    with.play(script, at - 1);
    without.play(script, at - 1);
    let refusal = with.fails(at, team, action);
    without.to(at);
    for tick in at..at + 4 {
        without.to(tick);
        with.to(tick);
        assert_eq!(with.hash(), without.hash(), "{}: the state changed (tick {tick})", refusal.code);
        assert_eq!(with.ex().messages, without.ex().messages, "{}: messages changed", refusal.code);
    }
    refusal
}

#[test]
fn outcome_refusals_leave_the_state_exactly_as_it_was() {
    let aware = ransom_detected_at_1;
    let ops = "hospital-ops";
    // (scenario, script, tick, team, action, code, words the sentence must contain)
    type Case =
        (Scenario, Vec<(u64, &'static str, Action)>, u64, &'static str, Action, &'static str, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        (
            // Two investigations occupy 2 + 2 of the 4 staff until tick 3.
            world(),
            vec![(1, ops, investigate("hospital-it")), (1, ops, investigate("hospital-lab"))],
            2,
            ops,
            isolate("hospital-it"),
            "no_staff",
            vec!["isolate needs 1 staff; 0 free"],
        ),
        // The isolation lands at tick 2.
        (
            world(),
            vec![(1, ops, isolate("hospital-it"))],
            3,
            ops,
            isolate("hospital-it"),
            "already_isolated",
            vec!["\"hospital-it\""],
        ),
        // ... so at tick 2 it is still running.
        (
            world(),
            vec![(1, ops, isolate("hospital-it"))],
            2,
            ops,
            isolate("hospital-it"),
            "in_progress",
            vec!["isolate", "in progress"],
        ),
        (
            // Another team of the organisation: the same work is already running.
            world(),
            vec![(1, ops, isolate("hospital-it"))],
            2,
            "hospital-soc",
            isolate("hospital-it"),
            "in_progress",
            vec!["isolate"],
        ),
        (
            world(),
            vec![(1, ops, investigate("hospital-it"))],
            2,
            ops,
            investigate("hospital-it"),
            "in_progress",
            vec!["investigate"],
        ),
        (world(), vec![], 1, ops, restore("hospital-it"), "not_isolated", vec!["isolate \"hospital-it\""]),
        (
            // The isolation has not landed yet at tick 2: still not isolated.
            world(),
            vec![(1, ops, isolate("hospital-it"))],
            2,
            ops,
            restore("hospital-it"),
            "not_isolated",
            vec!["\"hospital-it\""],
        ),
        (
            world(),
            vec![],
            1,
            ops,
            share(&["circl"], Tlp::Red, Some("ransom"), ""),
            "indicators_not_held",
            vec!["\"ransom\""],
        ),
        (
            // The incident runs but nobody has detected it.
            {
                let mut s = world();
                start(&mut s, "ransom", 1);
                s
            },
            vec![],
            3,
            ops,
            report("nis2", "early-warning", "ransom"),
            "not_aware",
            vec!["\"ransom\""],
        ),
        (world(), vec![], 1, ops, classify("ransom"), "not_aware", vec!["\"ransom\""]),
        (
            aware(),
            vec![(2, ops, report("nis2", "early-warning", "ransom"))],
            3,
            "hospital-soc",
            report("nis2", "early-warning", "ransom"),
            "already_filed",
            vec!["already been filed"],
        ),
        (
            aware(),
            vec![(2, ops, classify("ransom"))],
            3,
            "hospital-soc",
            classify("ransom"),
            "already_classified",
            vec!["\"ransom\""],
        ),
        (
            aware(),
            vec![],
            2,
            ops,
            report("nis2", "notification", "ransom"),
            "previous_stage_not_filed",
            vec!["comes after the \"early-warning\" report"],
        ),
        (
            aware(),
            vec![
                (2, ops, report("nis2", "early-warning", "ransom")),
                (3, ops, report("nis2", "notification", "ransom")),
            ],
            4,
            ops,
            report("nis2", "final-report", "ransom"),
            "too_early",
            vec!["may be filed from", "14 days after the \"notification\" report", "once the incident is contained"],
        ),
        (
            world(),
            vec![(1, ops, request("circl"))],
            2,
            ops,
            request("circl"),
            "already_requested",
            vec!["already been requested"],
        ),
        (
            world(),
            vec![(1, "crisis", Action::ActivatePiu { level: 2 })],
            2,
            "crisis",
            Action::ActivatePiu { level: 3 },
            "piu_already_active",
            vec!["already active"],
        ),
        (world(), vec![], 1, "crisis", Action::SetPiuLevel { level: 3 }, "piu_not_active", vec!["activate"]),
        (world(), vec![], 1, "cerc", isolate("bank-core"), "piu_not_active", vec!["CERC", "PIU"]),
        (world(), vec![], 1, "circl", isolate("hospital-it"), "no_authority_yet", vec!["hospital", "assistance"]),
        (
            // Assistance from another CSIRT does not count.
            world(),
            vec![(1, "telco-ops", request("circl"))],
            2,
            "circl",
            investigate("hospital-it"),
            "no_authority_yet",
            vec!["hospital"],
        ),
    ];
    let mut codes = BTreeSet::new();
    for (s, script, at, team, action, code, words) in cases {
        let refusal = refused_at_tick(s, &script, at, team, action);
        assert_eq!(refusal.code, code, "{}", refusal.message);
        for word in words {
            assert!(refusal.message.contains(word), "{code}: {:?} should mention {word:?}", refusal.message);
        }
        codes.insert(code);
    }
    assert_eq!(codes.len(), 14, "every outcome code is covered: {codes:?}");
}

#[test]
fn a_csirt_acts_on_its_constituency_once_asked_and_the_cerc_once_the_piu_is_active() {
    let mut run = Run::new(world());
    assert_eq!(run.fails(1, "circl", isolate("hospital-it")).code, "no_authority_yet");
    run.ok(2, "hospital-ops", request("circl"));
    let hospital = run.org("hospital");
    let circl = run.org("circl");
    assert!(run.ex().assistance.contains(&(hospital, circl)));
    run.ok(3, "circl", isolate("hospital-it"));
    // Only the organisation that asked: the telco has not.
    assert_eq!(run.fails(4, "circl", investigate("telco-core")).code, "no_authority_yet");

    assert_eq!(run.fails(5, "cerc", isolate("bank-core")).code, "piu_not_active");
    run.ok(6, "crisis", Action::ActivatePiu { level: 2 });
    run.ok(7, "cerc", isolate("bank-core"));
    run.to(8);
    assert!(run.isolated("hospital-it") && run.isolated("bank-core"));

    // With `csirt_access: Always` no request is needed.
    let mut s = world();
    s.response.csirt_access = CsirtAccess::Always;
    let mut run = Run::new(s);
    run.ok(1, "circl", investigate("telco-core"));
}

// ------------------------------------------------------------ effects

#[test]
fn investigate_lands_after_its_duration_and_finds_with_the_detectability() {
    let mut s = world();
    start(&mut s, "ransom", 1);
    let mut run = Run::new(s.clone());
    run.ok(2, "hospital-ops", investigate("hospital-it"));
    // Lands at 2 + 2 = 4; meanwhile 2 of the 4 staff are busy.
    for tick in [2, 3] {
        run.to(tick);
        assert_eq!((run.busy("hospital-ops"), run.ex().free_staff(1)), (2, 2), "tick {tick}");
        assert_eq!(run.ex().incidents[0].first_detected, None, "tick {tick}");
    }
    run.to(4);
    assert_eq!(run.busy("hospital-ops"), 0);
    assert!(run.ex().pending.is_empty());
    assert_eq!(run.infection("ransom", "hospital-it"), Some(Infection { since: 1, detected: Some(4) }));
    assert_eq!(run.ex().incidents[0].first_detected, Some(4));
    assert_eq!(run.ex().investigated_at[run.asset("hospital-it")], 4);
    assert_eq!(run.ex().awareness.get(&(run.org("hospital"), 0)), Some(&4));
    // Every team of the owner holds the indicators; the others do not.
    assert_eq!(run.indicators("hospital-ops", "ransom"), Some(4));
    assert_eq!(run.indicators("hospital-soc", "ransom"), Some(4));
    assert_eq!(run.indicators("circl", "ransom"), None);
    let result = run.ex().messages.iter().find(|m| m.kind == MessageKind::Result).unwrap();
    assert_eq!(result.text, "Investigation of hospital-it found: Hospital ransomware (ransomware).");
    assert_eq!(result.audience, vec![1]);
    let alert = run.ex().messages.iter().find(|m| m.kind == MessageKind::Alert).unwrap();
    assert_eq!((alert.tick, alert.audience.clone()), (4, vec![1, 2]));

    // Detectability 0: the investigation finds nothing, and nobody is aware.
    incident(&mut s, "ransom").detectability = 0;
    let mut run = Run::new(s);
    run.ok(2, "hospital-ops", investigate("hospital-it"));
    run.ok(3, "hospital-ops", investigate("hospital-lab"));
    run.to(5);
    assert_eq!(run.infection("ransom", "hospital-it"), Some(Infection { since: 1, detected: None }));
    assert!(run.ex().awareness.is_empty() && run.ex().obligations.is_empty());
    assert_eq!(run.ex().investigated_at[run.asset("hospital-it")], 4);
    let texts: Vec<&str> = run.ex().messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(
        texts,
        ["Investigation of hospital-it found no compromise.", "Investigation of hospital-lab found no compromise."]
    );
}

#[test]
fn isolate_caps_the_level_from_the_next_tick_and_stops_the_impact() {
    let mut s = world();
    start(&mut s, "ransom", 1);
    let mut run = Run::new(s);
    let script = [(2, "hospital-ops", isolate("hospital-it"))];
    // (tick, integrity, level, cap, isolated, busy): impact 100 per tick; the
    // isolation lands in step 5 of tick 3, after that tick's impact and cascade.
    for (tick, integrity, level, cap, isolated, busy) in [
        (1, 900, 900, 1000, false, 0),
        (2, 800, 800, 1000, false, 1),
        (3, 700, 700, 200, true, 0),
        (4, 700, 200, 200, true, 0),
        (8, 700, 200, 200, true, 0),
    ] {
        run.play(&script, tick);
        let row = (
            run.integrity("hospital-it"),
            run.level("hospital-it"),
            run.cap("hospital-it"),
            run.isolated("hospital-it"),
            run.busy("hospital-ops"),
        );
        assert_eq!(row, (integrity, level, cap, isolated, busy), "tick {tick}");
    }
    // Isolated but undetected: not contained.
    assert_eq!(run.ex().incidents[0].contained_at, None);
}

#[test]
fn isolation_stops_spread_from_and_into_the_asset() {
    // Spread 1000: at tick 3 the ransomware (started at 2) reaches both neighbours.
    let mut s = world();
    start(&mut s, "ransom", 2);
    incident(&mut s, "ransom").spread = 1000;
    let spread_after = |isolated: Option<&str>| {
        let mut run = Run::new(s.clone());
        if let Some(asset) = isolated {
            run.ok(1, "hospital-ops", isolate(asset)); // lands at tick 2
        }
        run.to(6);
        (run.compromised("ransom"), run.integrity("hospital-it"))
    };
    assert_eq!(spread_after(None), (strings(&["hospital-it", "hospital-lab", "telco-core"]), 500));
    // The source isolated (after the impact of tick 2): no spread, no more impact.
    assert_eq!(spread_after(Some("hospital-it")), (strings(&["hospital-it"]), 900));
    // A neighbour isolated: it is not compromised, the other one is.
    assert_eq!(spread_after(Some("hospital-lab")), (strings(&["hospital-it", "telco-core"]), 500));
}

#[test]
fn restore_brings_integrity_back_and_clears_a_detected_compromise() {
    let mut run = Run::new(ransom_detected_at_1());
    let script = [
        (1, "hospital-ops", isolate("hospital-it")), // lands at 2
        (3, "hospital-ops", restore("hospital-it")), // 3 ticks, 3 staff: lands at 6
    ];
    for (tick, integrity, level, cap, isolated, busy) in [
        (1, 900, 900, 1000, false, 1),
        (2, 800, 800, 200, true, 0),
        (3, 800, 200, 200, true, 3),
        (5, 800, 200, 200, true, 3),
        (6, 1000, 200, 1000, false, 0), // lands after the cascade of tick 6
        (7, 1000, 1000, 1000, false, 0),
        (9, 1000, 1000, 1000, false, 0),
    ] {
        run.play(&script, tick);
        let row = (
            run.integrity("hospital-it"),
            run.level("hospital-it"),
            run.cap("hospital-it"),
            run.isolated("hospital-it"),
            run.busy("hospital-ops"),
        );
        assert_eq!(row, (integrity, level, cap, isolated, busy), "tick {tick}");
    }
    let state = &run.ex().incidents[0];
    assert!(state.infections.is_empty());
    assert_eq!((state.contained_at, state.recovered_at), (Some(2), Some(6)));
    assert_eq!(run.ex().metrics.incidents_recovered, 1);
    assert!(run.ex().messages.iter().any(|m| m.text == "hospital-it is restored from backup."));
}

#[test]
fn restore_leaves_an_undetected_compromise_which_reinfects() {
    let mut s = world();
    start(&mut s, "ransom", 1);
    let mut run = Run::new(s);
    let script = [(1, "hospital-ops", isolate("hospital-it")), (3, "hospital-ops", restore("hospital-it"))];
    for (tick, integrity, isolated) in
        [(2, 800, true), (5, 800, true), (6, 1000, false), (7, 900, false), (8, 800, false)]
    {
        run.play(&script, tick);
        assert_eq!((run.integrity("hospital-it"), run.isolated("hospital-it")), (integrity, isolated), "tick {tick}");
    }
    assert_eq!(run.infection("ransom", "hospital-it"), Some(Infection { since: 1, detected: None }));
    assert_eq!(run.ex().incidents[0].recovered_at, None);
    assert!(run.ex().messages.iter().any(|m| m.text.contains("undetected compromise is still there")));
}

#[test]
fn hardening_with_full_protection_stops_spread_into_the_asset() {
    let mut s = world();
    start(&mut s, "ransom", 3);
    incident(&mut s, "ransom").spread = 1000;
    s.response.harden_protection = 1000;
    let mut hardened = Run::new(s.clone());
    hardened.ok(1, "hospital-ops", harden("hospital-lab")); // lands at 3
    hardened.to(10);
    assert!(hardened.ex().hardened[hardened.asset("hospital-lab")]);
    assert_eq!(hardened.compromised("ransom"), strings(&["hospital-it", "telco-core"]));
    assert!(hardened.ex().messages.iter().any(|m| m.text == "hospital-lab is hardened."));

    let mut bare = Run::new(s);
    bare.to(4);
    assert_eq!(bare.compromised("ransom"), strings(&["hospital-it", "hospital-lab", "telco-core"]));
}

#[test]
fn hardening_cuts_the_spread_chance_by_its_protection() {
    // Spread 1000, protection 500: the hardened lab is reached at tick 4 with
    // chance 1000 * (1000 - 500) / 1000 = 500‰, the telco core always.
    let mut s = world();
    start(&mut s, "ransom", 3);
    incident(&mut s, "ransom").spread = 1000;
    s.response.harden_protection = 500;
    let model = Arc::new(validate_ok(s));
    let runs = 200u64;
    let (mut lab, mut telco) = (0u64, 0u64);
    for seed in 0..runs {
        let mut sim = Simulation::new(Arc::clone(&model), seed);
        let command = Command { team: 1, action: harden("hospital-lab"), origin: None };
        assert!(sim.step_with(vec![command])[0].result.is_ok());
        for _ in 2..=4 {
            sim.step();
        }
        let infections = &sim.exercise().incidents[0].infections;
        lab += u64::from(infections.contains_key(&1));
        telco += u64::from(infections.contains_key(&2));
    }
    assert_eq!(telco, runs);
    assert_within(lab, runs, 500);
}

#[test]
fn share_gives_indicators_to_the_tlp_audience() {
    let mut run = Run::new(ransom_detected_at_1());
    run.ok(2, "hospital-ops", share(&["circl"], Tlp::Amber, Some("ransom"), "C2 at 203.0.113.7"));
    // AMBER to circl: circl, its organisation (no other team), and the teams of
    // its constituency (hospital, telco); the sender is one of them.
    let sent = run.ex().messages.last().unwrap();
    assert_eq!(sent.kind, MessageKind::Share);
    assert_eq!((sent.sender.clone(), sent.tlp, sent.to.clone()), (Sender::Team(1), Tlp::Amber, vec![0]));
    assert_eq!(sent.audience, run.teams(&["circl", "hospital-ops", "hospital-soc", "telco-ops"]));
    assert_eq!(sent.text, "Indicators of Hospital ransomware (ransomware). C2 at 203.0.113.7");
    for (team, got) in [
        ("circl", Some(2)),
        ("telco-ops", Some(2)),
        ("hospital-ops", Some(1)), // kept from the detection
        ("hospital-soc", Some(1)),
        ("bank-ops", None),
        ("ilr", None),
    ] {
        assert_eq!(run.indicators(team, "ransom"), got, "{team}");
    }
    assert!(run.ex().teams[1].shared.contains(&0));

    // Text only: no indicators change hands.
    run.ok(3, "bank-ops", share(&["cssf"], Tlp::Red, None, "All quiet here."));
    let m = run.ex().messages.last().unwrap();
    assert_eq!(
        (m.text.as_str(), m.incident, m.audience.clone()),
        ("All quiet here.", None, run.teams(&["bank-ops", "cssf"]))
    );
    assert_eq!(run.indicators("cssf", "ransom"), None);
}

#[test]
fn shared_indicators_raise_the_recipients_detection() {
    // The ransomware is on both hospital-it and telco-core, invisible to a plain
    // investigation (detectability 0); indicators add 1000.
    let mut s = ransom_detected_at_1();
    incident(&mut s, "ransom").targets.push("telco-core".into());
    incident(&mut s, "ransom").detectability = 0;
    s.response.indicator_bonus = 1000;
    let found = |shared: bool| {
        let mut run = Run::new(s.clone());
        if shared {
            run.ok(2, "hospital-ops", share(&["telco-ops"], Tlp::Red, Some("ransom"), ""));
        }
        run.ok(3, "telco-ops", investigate("telco-core")); // lands at 5
        run.to(6);
        (
            run.infection("ransom", "telco-core").unwrap().detected,
            run.ex().awareness.get(&(run.org("telco"), 0)).copied(),
        )
    };
    assert_eq!(found(false), (None, None));
    assert_eq!(found(true), (Some(5), Some(5)));
}

#[test]
fn report_files_the_obligation_and_reaches_the_authority() {
    let mut run = Run::new(ransom_detected_at_1());
    run.to(1);
    assert_eq!(run.obligation("nis2", "early-warning", "ransom").filed, None);
    run.ok(2, "hospital-soc", report("nis2", "early-warning", "ransom"));
    let o = run.obligation("nis2", "early-warning", "ransom");
    assert_eq!((o.organisation, o.filed, o.missed_at), (run.org("hospital"), Some(2), None));
    assert_eq!(run.obligation("nis2", "notification", "ransom").filed, None);
    let m = run.ex().messages.last().unwrap();
    assert_eq!((m.kind, m.tlp, m.to.clone()), (MessageKind::Report, Tlp::AmberStrict, vec![run.team("ilr")]));
    assert_eq!(m.audience, run.teams(&["hospital-ops", "hospital-soc", "ilr"]));
    assert_eq!(m.text, "nis2 report (early-warning) on Hospital ransomware (ransomware) from hospital.");
}

#[test]
fn classify_request_assistance_piu_statement_and_message_take_effect() {
    let mut run = Run::new(ransom_detected_at_1());
    run.ok(2, "hospital-ops", classify("ransom"));
    assert_eq!(run.ex().classification.get(&(run.org("hospital"), 0)), Some(&2));
    assert_eq!(run.ex().messages.last().unwrap().audience, run.teams(&["hospital-ops", "hospital-soc"]));

    run.ok(3, "hospital-ops", request("circl"));
    assert!(run.ex().assistance.contains(&(run.org("hospital"), run.org("circl"))));
    let m = run.ex().messages.last().unwrap();
    assert_eq!((m.kind, m.tlp), (MessageKind::Assistance, Tlp::AmberStrict));
    assert_eq!(m.audience, run.teams(&["circl", "hospital-ops"]));
    assert_eq!(m.text, "hospital requests the assistance of circl.");

    run.ok(4, "crisis", Action::ActivatePiu { level: 2 });
    assert_eq!((run.ex().piu.active_since, run.ex().piu.level), (Some(4), 2));
    let every_team = run.teams(&ALL_TEAMS);
    let m = run.ex().messages.last().unwrap();
    assert_eq!((m.kind, m.audience.clone()), (MessageKind::Piu, every_team.clone()));
    assert_eq!(m.text, "The Cyber PIU is activated at level 2.");
    run.ok(5, "crisis", Action::SetPiuLevel { level: 4 });
    assert_eq!((run.ex().piu.active_since, run.ex().piu.level), (Some(4), 4));
    assert_eq!(run.ex().messages.last().unwrap().text, "The Cyber PIU is now at level 4.");

    run.ok(6, "comms", statement("Hospitals take emergencies as usual."));
    let m = run.ex().messages.last().unwrap();
    assert_eq!((m.kind, m.tlp, m.audience.clone()), (MessageKind::Statement, Tlp::Clear, every_team.clone()));
    assert_eq!(run.ex().teams[run.team("comms") as usize].statements, 1);

    // A message is TLP:RED unless labelled otherwise.
    run.ok(7, "bank-ops", Action::Message { to: strings(&["cssf"]), text: "Fine.".into(), tlp: Tlp::Red });
    let m = run.ex().messages.last().unwrap();
    assert_eq!((m.kind, m.audience.clone()), (MessageKind::Chat, run.teams(&["bank-ops", "cssf"])));
    run.ok(8, "bank-ops", message(&["cssf"], "Fine, for everyone.", Tlp::Green));
    assert_eq!(run.ex().messages.last().unwrap().audience, every_team);
}

#[test]
fn takeover_silences_the_teams_bot() {
    let mut s = ransom_detected_at_1();
    team_mut(&mut s, "hospital-ops").bot = BotPolicy::Responsive { delay: 0, skill: 1000 };
    let hospital_it = 0;

    // The bot sees the detection at tick 1 and orders the isolation for tick 2.
    let mut bot = Run::new(s.clone());
    bot.to(1);
    assert_eq!(bot.ex().bot_orders, vec![(1, Order::Isolate(hospital_it))]);
    bot.to(10);
    assert!(bot.isolated("hospital-it"));
    assert!(bot.sent_by("hospital-ops") > 0, "the bot reports");

    // Taken over at tick 1: it decides nothing from then on.
    let mut human = Run::new(s.clone());
    human.ok(1, "hospital-ops", Action::Takeover);
    assert!(human.ex().teams[1].human);
    assert!(human.ex().bot_orders.is_empty());
    human.to(10);
    assert!(!human.isolated("hospital-it") && human.ex().pending.is_empty());
    assert_eq!(human.sent_by("hospital-ops"), 0);

    // Taken over at tick 2: the order the bot decided at tick 1 is dropped.
    let mut late = Run::new(s);
    late.to(1);
    late.ok(2, "hospital-ops", Action::Takeover);
    late.to(10);
    assert!(!late.isolated("hospital-it") && late.ex().pending.is_empty());
    assert_eq!(late.sent_by("hospital-ops"), 0);
}

// ------------------------------------------------------------ TLP

#[test]
fn tlp_delivery_follows_the_table() {
    let run = Run::new(world());
    let everyone: &[&str] = &ALL_TEAMS;
    // (label, sender, recipients, who receives it)
    type Row<'a> = (Tlp, Option<&'a str>, &'a [&'a str], &'a [&'a str]);
    let table: Vec<Row> = vec![
        (Tlp::Clear, Some("bank-ops"), &["circl"], everyone),
        (Tlp::Green, Some("bank-ops"), &["circl"], everyone),
        (Tlp::Green, None, &["ilr"], everyone),
        // AMBER: recipients, their organisations, their constituency's organisations.
        (Tlp::Amber, Some("bank-ops"), &["circl"], &["circl", "hospital-ops", "hospital-soc", "telco-ops", "bank-ops"]),
        (Tlp::Amber, Some("circl"), &["hospital-ops"], &["circl", "hospital-ops", "hospital-soc"]),
        // A constituency does not work upwards: the hospital's CSIRT is not told.
        (Tlp::Amber, Some("bank-ops"), &["hospital-soc"], &["hospital-ops", "hospital-soc", "bank-ops"]),
        (Tlp::Amber, Some("ilr"), &["crisis"], &["ilr", "crisis", "cerc", "comms"]),
        (Tlp::Amber, None, &["telco-ops", "cssf"], &["telco-ops", "cssf"]),
        // AMBER+STRICT: recipients and their organisations only.
        (Tlp::AmberStrict, Some("bank-ops"), &["circl"], &["circl", "bank-ops"]),
        (Tlp::AmberStrict, Some("ilr"), &["hospital-soc"], &["hospital-ops", "hospital-soc", "ilr"]),
        (Tlp::AmberStrict, Some("telco-ops"), &["cerc", "circl"], &["circl", "telco-ops", "crisis", "cerc", "comms"]),
        // RED: the recipients only (and the sender).
        (Tlp::Red, Some("bank-ops"), &["hospital-soc"], &["hospital-soc", "bank-ops"]),
        (Tlp::Red, Some("circl"), &["hospital-ops", "telco-ops"], &["circl", "hospital-ops", "telco-ops"]),
        (Tlp::Red, Some("circl"), &["circl"], &["circl"]),
        (Tlp::Red, None, &["cnpd"], &["cnpd"]),
    ];
    for (label, sender, recipients, expected) in table {
        let sender_index = sender.map(|t| run.team(t));
        let audience = tlp::audience(run.model(), label, sender_index, &run.teams(recipients));
        assert_eq!(audience, run.teams(expected), "{label} from {sender:?} to {recipients:?}");
    }
}

#[test]
fn the_response_plan_is_named_by_the_scenario() {
    let mut s = world();
    s.response.plan = cascade_engine::scenario::Plan {
        name: "National Cyber Crisis Plan".into(),
        short: "NCCP".into(),
        activation: "NCCP raised to level {level}: crisis staff report to the Ministry.".into(),
    };
    let mut run = Run::new(s);
    let refusal = run.fails(1, "crisis", Action::SetPiuLevel { level: 2 });
    assert_eq!(refusal.message, "activate the National Cyber Crisis Plan first");
    run.ok(2, "crisis", Action::ActivatePiu { level: 2 });
    assert_eq!(run.ex().messages.last().unwrap().text, "NCCP raised to level 2: crisis staff report to the Ministry.");
    run.ok(3, "crisis", Action::SetPiuLevel { level: 3 });
    assert_eq!(run.ex().messages.last().unwrap().text, "The National Cyber Crisis Plan is now at level 3.");
    let view = cascade_engine::view::team_view(&run.sim, run.team("bank-ops"), 0);
    assert_eq!(
        (view.piu.plan.as_str(), view.piu.short.as_str(), view.piu.level),
        ("National Cyber Crisis Plan", "NCCP", 3)
    );
}

#[test]
fn amber_never_reaches_a_newsroom_through_a_constituency_only_when_named() {
    let text = WORLD
        .replace(
            r#"Organisation(id: "circl", kind: Csirt, constituency: ["hospital", "telco"]),"#,
            r#"Organisation(id: "circl", kind: Csirt, constituency: ["hospital", "telco", "rtl"]),
        Organisation(id: "rtl", kind: Media),"#,
        )
        .replace(
            r#"Team(id: "comms", organisation: "hcpn", role: Communication),       // 10"#,
            r#"Team(id: "comms", organisation: "hcpn", role: Communication),       // 10
        Team(id: "newsroom", organisation: "rtl", role: Media),             // 11"#,
        );
    let s = parse_scenario(text.as_bytes(), Path::new("media.ron")).unwrap_or_else(|e| panic!("{e}"));
    let run = Run::new(s);
    let amber = |to: &[&str]| tlp::audience(run.model(), Tlp::Amber, Some(run.team("bank-ops")), &run.teams(to));
    let through_constituency = amber(&["circl"]);
    assert!(through_constituency.contains(&run.team("telco-ops")), "operators in the constituency get it");
    assert!(!through_constituency.contains(&run.team("newsroom")), "the newsroom does not");
    assert!(amber(&["circl", "newsroom"]).contains(&run.team("newsroom")), "named, it does");
    // GREEN and CLEAR are for everyone, media included.
    let green = tlp::audience(run.model(), Tlp::Green, Some(run.team("bank-ops")), &run.teams(&["circl"]));
    assert!(green.contains(&run.team("newsroom")));
}

#[test]
fn a_red_share_reaches_no_other_team() {
    const SECRET: &str = "patient records exfiltrated via 198.51.100.23";
    let mut run = Run::new(ransom_detected_at_1());
    run.play(
        &[
            (2, "hospital-ops", share(&["circl"], Tlp::Red, Some("ransom"), SECRET)),
            (2, "crisis", Action::ActivatePiu { level: 1 }),
            (3, "circl", message(&["hospital-ops"], &format!("About '{SECRET}': noted."), Tlp::Red)),
            (3, "comms", statement("Hospital systems are disrupted.")),
            (4, "hospital-ops", report("nis2", "early-warning", "ransom")),
            (4, "hospital-soc", share(&["telco-ops"], Tlp::Amber, None, "Watch your VPN.")),
            (5, "bank-ops", message(&["circl", "cssf"], "Anything for us?", Tlp::Green)),
            (5, "hospital-ops", request("circl")),
        ],
        8,
    );
    let allowed = run.teams(&["circl", "hospital-ops"]);
    let secret_messages: Vec<_> = run.ex().messages.iter().filter(|m| m.text.contains(SECRET)).collect();
    assert_eq!(secret_messages.len(), 2);
    for m in &secret_messages {
        assert_eq!(m.audience, allowed, "{:?}", m.text);
    }
    // What every other team can see holds neither the text nor the indicators.
    for team in ALL_TEAMS {
        let t = run.team(team);
        if allowed.contains(&t) {
            continue;
        }
        let seen = run.ex().messages.iter().filter(|m| m.audience.contains(&t));
        assert!(seen.clone().count() > 0, "{team} sees the public messages");
        for m in seen {
            assert!(!m.text.contains(SECRET), "{team} sees {:?}", m.text);
        }
        // The hospital's own CSIRT holds them from the detection, not from the share.
        let expected = if team == "hospital-soc" { Some(1) } else { None };
        assert_eq!(run.indicators(team, "ransom"), expected, "{team}");
    }
}

#[test]
fn indicators_are_passed_on_only_as_their_label_allows() {
    // hospital-ops shares the indicators with circl under RED at 2 and with
    // telco-ops under AMBER at 2; circl holds them under RED, telco-ops AMBER.
    let script = |extra: Vec<(u64, &'static str, Action)>| {
        let mut s: Vec<(u64, &str, Action)> = vec![
            (2, "hospital-ops", share(&["circl"], Tlp::Red, Some("ransom"), "")),
            (2, "hospital-ops", share(&["telco-ops"], Tlp::Amber, Some("ransom"), "")),
        ];
        s.extend(extra);
        s
    };
    let cases: Vec<(&str, Action, Option<&str>)> = vec![
        // RED: not passed on at all, whatever the label.
        ("circl", share(&["telco-ops"], Tlp::Red, Some("ransom"), ""), Some("tlp_forbids")),
        // AMBER: within the organisation (none here besides telco-ops) or its
        // constituency (telco has none): bank-ops is outside.
        ("telco-ops", share(&["bank-ops"], Tlp::Amber, Some("ransom"), ""), Some("tlp_forbids")),
        // Never under a less restrictive label.
        ("telco-ops", share(&["telco-ops"], Tlp::Green, Some("ransom"), ""), Some("tlp_forbids")),
        // The hospital found them itself: it may share them with anyone.
        ("hospital-soc", share(&["bank-ops"], Tlp::Green, Some("ransom"), ""), None),
    ];
    for (team, action, refusal) in cases {
        let mut run = Run::new(ransom_detected_at_1());
        run.play(&script(vec![]), 2);
        let result = run.at(3, vec![(team, action.clone())]).remove(0);
        match (refusal, result) {
            (None, Ok(())) => {}
            (Some(code), Err(r)) => {
                assert_eq!(r.code, code, "{team} {action:?}");
                assert!(r.message.contains("received the indicators of \"ransom\" under TLP:"), "{}", r.message);
            }
            (expected, got) => panic!("{team} {action:?}: expected {expected:?}, got {got:?}"),
        }
    }
}

#[test]
fn bots_never_pass_on_red_indicators() {
    // circl is a diligent bot; it gets the indicators under RED only.
    let mut s = ransom_detected_at_1();
    team_mut(&mut s, "circl").bot = BotPolicy::Responsive { delay: 0, skill: 1000 };
    let mut run = Run::new(s);
    run.play(&[(2, "hospital-ops", share(&["circl"], Tlp::Red, Some("ransom"), ""))], 20);
    assert_eq!(run.indicators("circl", "ransom"), Some(2));
    for team in ["telco-ops", "bank-ops", "ilr", "cnpd", "cssf", "crisis", "cerc", "comms"] {
        assert_eq!(run.indicators(team, "ransom"), None, "{team}");
    }
    assert_eq!(run.sent_by("circl"), 0, "nothing to share, so nothing sent");
}

#[test]
fn an_indicators_effect_hands_a_feed_to_teams_under_its_label() {
    let mut s = world();
    start(&mut s, "ransom", 1);
    effects_at(
        &mut s,
        3,
        vec![Effect::Indicators { incident: "ransom".into(), to: strings(&["circl", "bank-ops"]), tlp: Tlp::Amber }],
    );
    let mut run = Run::new(s);
    run.to(3);
    assert_eq!(run.indicators("circl", "ransom"), Some(3));
    assert_eq!(run.indicators("bank-ops", "ransom"), Some(3));
    assert_eq!(run.indicators("telco-ops", "ransom"), None);
    let held = run.ex().teams[run.team("circl") as usize].indicators[&run.incident("ransom")];
    assert_eq!(held.tlp, Tlp::Amber, "passed on only as TLP:AMBER allows");
    // circl may pass them to its constituency, not to the bank.
    assert_eq!(run.fails(4, "circl", share(&["bank-ops"], Tlp::Amber, Some("ransom"), "")).code, "tlp_forbids");
    run.ok(5, "circl", share(&["hospital-ops"], Tlp::Amber, Some("ransom"), ""));
}

// ------------------------------------------------------------ reporting deadlines

/// NIS2's early warning (24 h = 24 ticks of an hour) for the ransomware detected
/// at tick 1: due at 25. With the objective "all early warnings on time" and an
/// inject when a NIS2 deadline is missed.
fn nis2_deadline(filed_at: Option<u64>) -> Run {
    let mut s = ransom_detected_at_1();
    s.duration_ticks = 30;
    add_objective(
        &mut s,
        "early-warnings",
        Rule::ReportsOnTime { regime: "nis2".into(), stage: Some("early-warning".into()), organisations: vec![] },
    );
    add_inject(
        &mut s,
        "ilr-calls",
        None,
        Some(Condition::DeadlineMissed("nis2".into())),
        &["hospital-ops"],
        "Where is your early warning?",
    );
    let mut run = Run::new(s);
    run.to(1);
    assert_eq!(run.due("nis2", "early-warning", "ransom"), Some(25));
    assert_eq!(run.due("nis2", "notification", "ransom"), Some(73));
    assert_eq!(run.due("nis2", "final-report", "ransom"), Some(721));
    assert_eq!(run.due("gdpr", "breach-notification", "ransom"), Some(73));
    if let Some(tick) = filed_at {
        run.ok(tick, "hospital-ops", report("nis2", "early-warning", "ransom"));
    }
    run.to(25);
    run
}

#[test]
fn nis2_early_warning_filed_on_time() {
    let mut run = nis2_deadline(Some(25));
    assert_eq!(run.objective("early-warnings"), Status::Pending);
    run.to(30);
    assert_eq!(run.obligation("nis2", "early-warning", "ransom").missed_at, None);
    assert_eq!(run.objective("early-warnings"), Status::Met(30), "met at the end");
    assert_eq!(run.inject_fired("ilr-calls"), None);
    let metrics = run.ex().metrics;
    assert_eq!((metrics.notifications_on_time, metrics.notifications_late, metrics.notifications_overdue), (1, 0, 0));
}

#[test]
fn nis2_early_warning_filed_late() {
    let mut run = nis2_deadline(None);
    run.ok(26, "hospital-ops", report("nis2", "early-warning", "ransom"));
    assert_eq!(run.obligation("nis2", "early-warning", "ransom").missed_at, Some(26));
    assert_eq!(run.objective("early-warnings"), Status::Missed(26));
    assert_eq!((run.ex().metrics.notifications_late, run.ex().metrics.notifications_on_time), (1, 0));
    // The condition holds from the end of tick 26: the inject fires in step 2 of 27.
    run.to(27);
    assert_eq!(run.inject_fired("ilr-calls"), Some(27));
}

#[test]
fn nis2_early_warning_missing() {
    let mut run = nis2_deadline(None);
    // At its due tick it is still open.
    assert_eq!(run.obligation("nis2", "early-warning", "ransom").missed_at, None);
    assert_eq!(run.ex().metrics.notifications_overdue, 0);
    assert_eq!(run.objective("early-warnings"), Status::Pending);
    run.to(26);
    assert_eq!(run.obligation("nis2", "early-warning", "ransom").missed_at, Some(26));
    assert_eq!(run.ex().metrics.notifications_overdue, 1);
    assert_eq!(run.objective("early-warnings"), Status::Missed(26));
    assert_eq!(run.inject_fired("ilr-calls"), None);
    run.to(27);
    assert_eq!(run.inject_fired("ilr-calls"), Some(27));
    let m = run.ex().messages.last().unwrap();
    assert_eq!(
        (m.kind, m.text.as_str(), m.audience.clone()),
        (MessageKind::Inject, "Where is your early warning?", vec![1])
    );
    // Filed afterwards, it is late; the objective stays missed at 26.
    run.ok(28, "hospital-ops", report("nis2", "early-warning", "ransom"));
    run.to(30);
    assert_eq!(run.ex().metrics.notifications_late, 1);
    assert_eq!(run.objective("early-warnings"), Status::Missed(26));
    assert_eq!(run.inject_fired("ilr-calls"), Some(27), "an inject fires once");
}

#[test]
fn dora_initial_notification_is_due_at_the_earlier_of_its_deadlines() {
    // The APT at the bank is detected at tick 1. DORA's initial notification:
    // 4 h after classification, and at most 24 h after awareness.
    let mut s = world();
    start(&mut s, "apt", 1);
    alert_at(&mut s, 1, "apt", "bank-core");
    let dues = |classified: Option<u64>| {
        let mut run = Run::new(s.clone());
        if let Some(tick) = classified {
            run.ok(tick, "bank-ops", classify("apt"));
        }
        run.to(30);
        assert_eq!(run.owed("apt").len(), 3, "only DORA applies to the bank");
        ["initial-notification", "intermediate-report", "final-report"].map(|stage| run.due("dora", stage, "apt"))
    };
    assert_eq!(dues(None), [Some(25), None, None], "classification deadlines wait for the classification");
    assert_eq!(dues(Some(10)), [Some(14), Some(82), Some(730)], "min(10 + 4, 1 + 24)");
    assert_eq!(dues(Some(22)), [Some(25), Some(94), Some(742)], "min(22 + 4, 1 + 24)");

    // Classified at 10: filed at 14 is on time, at 15 late.
    for (filed, missed) in [(14, None), (15, Some(15))] {
        let mut run = Run::new(s.clone());
        run.ok(10, "bank-ops", classify("apt"));
        run.ok(filed, "bank-ops", report("dora", "initial-notification", "apt"));
        run.to(16);
        assert_eq!(run.obligation("dora", "initial-notification", "apt").missed_at, missed, "filed at {filed}");
    }
}

#[test]
fn obligations_follow_the_regimes_that_apply() {
    let mut s = world();
    for id in ["ransom", "ddos", "apt"] {
        start(&mut s, id, 1);
        incident(&mut s, id).visibility = 1000; // every owner notices at tick 1
    }
    let mut run = Run::new(s);
    run.to(1);
    let pairs = |v: &[(&str, &str)]| v.iter().map(|(r, st)| (r.to_string(), st.to_string())).collect::<Vec<_>>();
    let nis2 = [("nis2", "early-warning"), ("nis2", "notification"), ("nis2", "final-report")];
    // Personal data: NIS2 and GDPR.
    assert_eq!(run.owed("ransom"), pairs(&[nis2.as_slice(), &[("gdpr", "breach-notification")]].concat()));
    // No personal data: NIS2 only.
    assert_eq!(run.owed("ddos"), pairs(&nis2));
    assert_eq!(
        run.owed("apt"),
        pairs(&[("dora", "initial-notification"), ("dora", "intermediate-report"), ("dora", "final-report")])
    );
}

#[test]
fn an_organisation_exercise_control_plays_owes_no_reports_and_objectives_can_be_scoped() {
    let mut s = world();
    for id in ["ransom", "ddos"] {
        start(&mut s, id, 1);
        incident(&mut s, id).visibility = 1000; // every owner notices at tick 1
    }
    // The telco is played by exercise control.
    s.organisations.iter_mut().find(|o| o.id == "telco").unwrap().simulated = true;
    let nis2 = |organisations: &[&str]| Rule::ReportsOnTime {
        regime: "nis2".into(),
        stage: Some("early-warning".into()),
        organisations: organisations.iter().map(|o| o.to_string()).collect(),
    };
    add_objective(&mut s, "hospital-reports", nis2(&["hospital"]));
    add_objective(&mut s, "all-reports", nis2(&[]));
    let mut run = Run::new(s);
    run.to(1);
    assert!(run.owed("ddos").is_empty(), "the simulated telco owes nothing for its DDoS");
    assert!(!run.owed("ransom").is_empty(), "the hospital still does");
    // The hospital files on time: both objectives are met, the telco's silence
    // missing nothing.
    run.play(&[(2, "hospital-ops", report("nis2", "early-warning", "ransom"))], 40);
    assert!(matches!(run.objective("hospital-reports"), Status::Met(_)), "{:?}", run.objective("hospital-reports"));
    assert!(matches!(run.objective("all-reports"), Status::Met(_)), "{:?}", run.objective("all-reports"));
}

// ------------------------------------------------------------ objectives

#[test]
fn piu_activated_within_the_time_of_the_first_critical_outage() {
    // hospital-it (Critical) drops to 0 at tick 3: the first critical outage.
    // 120 minutes are 2 ticks: the PIU is due by tick 5.
    let status = |activated: Option<u64>| {
        let mut s = world();
        set_integrity_at(&mut s, 3, "hospital-it", 0);
        add_objective(&mut s, "piu", Rule::PiuActivatedWithin { minutes: 120 });
        let mut run = Run::new(s);
        let script: Vec<_> = activated.map(|t| (t, "crisis", Action::ActivatePiu { level: 3 })).into_iter().collect();
        run.play(&script, 2);
        let before = run.objective("piu");
        run.play(&script, 8);
        assert_eq!(run.ex().first_critical_outage, Some(3));
        (before, run.objective("piu"))
    };
    assert_eq!(status(Some(5)), (Status::Pending, Status::Met(5)));
    assert_eq!(status(Some(6)), (Status::Pending, Status::Missed(6)));
    assert_eq!(status(None), (Status::Pending, Status::Missed(6)));
    assert_eq!(status(Some(1)), (Status::Pending, Status::Met(3)), "already active at the outage");
}

#[test]
fn asset_level_by_a_clock_time() {
    // hospital-it is hit at tick 1 (300) and repaired (900) at some tick; 12:00 is
    // tick 4 (08:00 + 4 one-hour ticks).
    let status = |repaired: u64, by: TimeRef| {
        let mut s = world();
        set_integrity_at(&mut s, 1, "hospital-it", 300);
        set_integrity_at(&mut s, repaired, "hospital-it", 900);
        add_objective(&mut s, "back-by-noon", Rule::AssetLevelBy { asset: "hospital-it".into(), at_least: 800, by });
        let mut run = Run::new(s);
        run.to(3);
        let before = run.objective("back-by-noon");
        run.to(8);
        (before, run.objective("back-by-noon"))
    };
    let noon = || TimeRef::Clock("12:00".into());
    assert_eq!(status(4, noon()), (Status::Pending, Status::Met(4)));
    assert_eq!(status(5, noon()), (Status::Pending, Status::Missed(4)));
    assert_eq!(status(3, TimeRef::Tick(4)), (Status::Pending, Status::Met(4)), "decided at `by`, not before");
}

#[test]
fn sector_service_by() {
    // Health serves 1500 people; with hospital-it at 300 it serves
    // 1000 * 300 / 1000 + 500 = 800 people, 533 per mille.
    let mut s = world();
    set_integrity_at(&mut s, 1, "hospital-it", 300);
    for (id, at_least) in [("half", 500), ("most", 700), ("exact", 533), ("just-over", 534)] {
        add_objective(&mut s, id, Rule::SectorServiceBy { sector: "health".into(), at_least, by: TimeRef::Tick(4) });
    }
    let mut run = Run::new(s);
    run.to(3);
    assert_eq!(run.sim.sector_service()[0], 800);
    assert_eq!(run.objective("half"), Status::Pending);
    run.to(4);
    // 800 * 1000 >= 1500 * at_least?
    assert_eq!(run.objective("half"), Status::Met(4));
    assert_eq!(run.objective("most"), Status::Missed(4));
    assert_eq!(run.objective("exact"), Status::Met(4), "799 500 <= 800 000");
    assert_eq!(run.objective("just-over"), Status::Missed(4), "801 000 > 800 000");
}

#[test]
fn indicators_shared_within_the_time_of_the_first_detection() {
    // Detected at tick 1; 180 minutes are 3 ticks: circl and telco-ops must hold
    // the indicators by tick 4.
    let status = |script: Vec<(u64, &'static str, Action)>| {
        let mut s = ransom_detected_at_1();
        add_objective(
            &mut s,
            "shared",
            Rule::IndicatorsSharedWithin {
                incident: "ransom".into(),
                teams: strings(&["circl", "telco-ops"]),
                minutes: 180,
            },
        );
        let mut run = Run::new(s);
        run.play(&script, 4);
        let at_4 = run.objective("shared");
        run.to(8);
        (at_4, run.objective("shared"))
    };
    let amber = |tick| (tick, "hospital-ops", share(&["circl"], Tlp::Amber, Some("ransom"), ""));
    let red = |tick| (tick, "hospital-ops", share(&["circl"], Tlp::Red, Some("ransom"), ""));
    assert_eq!(status(vec![amber(4)]), (Status::Met(4), Status::Met(4)), "AMBER to circl reaches the telco too");
    assert_eq!(status(vec![red(2)]), (Status::Pending, Status::Missed(5)), "RED to circl alone is not enough");
    assert_eq!(
        status(vec![red(2), (3, "hospital-ops", share(&["telco-ops"], Tlp::Red, Some("ransom"), ""))]),
        (Status::Met(3), Status::Met(3))
    );
    assert_eq!(status(vec![]), (Status::Pending, Status::Missed(5)));
}

#[test]
fn contained_within_the_time_of_the_first_detection() {
    // Detected at tick 1; 120 minutes are 2 ticks: contained by tick 3.
    let status = |isolated_at: u64| {
        let mut s = ransom_detected_at_1();
        add_objective(&mut s, "contained", Rule::ContainedWithin { incident: "ransom".into(), minutes: 120 });
        let mut run = Run::new(s);
        run.ok(isolated_at, "hospital-ops", isolate("hospital-it")); // lands one tick later
        run.to(8);
        (run.ex().incidents[0].contained_at, run.objective("contained"))
    };
    assert_eq!(status(1), (Some(2), Status::Met(2)));
    assert_eq!(status(2), (Some(3), Status::Met(3)));
    assert_eq!(status(3), (Some(4), Status::Missed(4)));
}

#[test]
fn time_limits_beyond_the_last_tick_never_overflow() {
    // One-second ticks and u64::MAX minutes: the limits lie past u64::MAX ticks.
    // They are never reached (this used to overflow `from + ticks` and panic).
    let mut s = ransom_detected_at_1();
    s.tick_seconds = 1;
    set_integrity_at(&mut s, 2, "hospital-it", 0); // the first critical outage
    s.regimes.push(Regime {
        id: "slow".into(),
        name: String::new(),
        preset: None,
        stages: vec![Stage {
            id: "eventually".into(),
            deadlines: vec![Deadline { from: Anchor::Awareness, within_minutes: u64::MAX }],
            after_previous: false,
            not_before: None,
        }],
        authority: "ilr".into(),
        sectors: vec![],
        organisations: strings(&["hospital"]),
        personal_data_only: false,
    });
    add_objective(&mut s, "piu", Rule::PiuActivatedWithin { minutes: u64::MAX });
    add_objective(&mut s, "contained", Rule::ContainedWithin { incident: "ransom".into(), minutes: u64::MAX });
    add_objective(
        &mut s,
        "slow-reports",
        Rule::ReportsOnTime { regime: "slow".into(), stage: None, organisations: vec![] },
    );
    let mut run = Run::new(s);
    run.to(40);
    assert_eq!(run.due("slow", "eventually", "ransom"), Some(u64::MAX));
    assert_eq!(run.objective("piu"), Status::Pending);
    assert_eq!(run.objective("contained"), Status::Pending);
    assert_eq!(run.objective("slow-reports"), Status::Met(40));
}

// ------------------------------------------------------------ injects

#[test]
fn a_condition_inject_fires_once_on_the_level_of_the_previous_tick() {
    let mut s = world();
    add_inject(
        &mut s,
        "lab-slow",
        None,
        Some(Condition::AssetBelow { asset: "hospital-lab".into(), level: 500 }),
        &["hospital-ops"],
        "The lab results are late.",
    );
    set_integrity_at(&mut s, 3, "hospital-lab", 400);
    set_integrity_at(&mut s, 6, "hospital-lab", 1000);
    set_integrity_at(&mut s, 8, "hospital-lab", 100);
    let mut run = Run::new(s);
    run.to(3);
    assert_eq!(run.level("hospital-lab"), 400);
    assert_eq!(run.inject_fired("lab-slow"), None, "step 2 of tick 3 still reads the level of tick 2");
    run.to(4);
    assert_eq!(run.inject_fired("lab-slow"), Some(4));
    run.to(12);
    assert_eq!(run.inject_fired("lab-slow"), Some(4));
    let fired: Vec<_> = run.ex().messages.iter().filter(|m| m.sender == Sender::Inject(0)).collect();
    assert_eq!(fired.len(), 1, "it fires once, though the condition turns true again at 9");
    assert_eq!((fired[0].tick, fired[0].audience.clone(), fired[0].from.as_str()), (4, vec![1], "exercise control"));
}

#[test]
fn an_inject_carries_its_tlp_label_to_its_recipients_only() {
    let mut s = world();
    add_inject(&mut s, "storm", Some(2), None, &["hospital-ops"], "Storm warning: public.");
    s.injects.last_mut().unwrap().tlp = Tlp::Clear;
    add_inject(&mut s, "secret", Some(2), None, &["crisis"], "For the crisis cell only.");
    let mut run = Run::new(s);
    run.to(3);
    let by_sender = |i: u32| run.ex().messages.iter().find(|m| m.sender == Sender::Inject(i)).unwrap().clone();
    let (storm, secret) = (by_sender(0), by_sender(1));
    assert_eq!((storm.tlp, secret.tlp), (Tlp::Clear, Tlp::Red), "TLP:RED unless the inject says otherwise");
    assert_eq!(storm.audience, run.teams(&["hospital-ops"]), "a CLEAR label does not widen who it is sent to");
    // A live inject takes a label too (journaled with the command).
    let live: cascade_engine::wire::LiveInject =
        serde_json::from_str(r#"{"message": "Press release", "tlp": "TLP:CLEAR"}"#).unwrap();
    assert_eq!(live.tlp, Tlp::Clear);
    let default: cascade_engine::wire::LiveInject = serde_json::from_str(r#"{"message": "x"}"#).unwrap();
    assert_eq!(default.tlp, Tlp::Red);
    assert!(!serde_json::to_string(&default).unwrap().contains("tlp"), "journals without a label read as before");
}

#[test]
fn detection_and_piu_conditions_fire_injects() {
    let mut s = world();
    start(&mut s, "ransom", 1);
    add_inject(
        &mut s,
        "press",
        None,
        Some(Condition::IncidentDetected("ransom".into())),
        &[],
        "RTL asks about the hospital.",
    );
    add_inject(&mut s, "piu-on", None, Some(Condition::PiuActive), &["crisis"], "The PIU convenes.");
    let mut run = Run::new(s);
    run.ok(1, "hospital-ops", investigate("hospital-it")); // detects in step 5 of tick 3
    run.ok(3, "crisis", Action::ActivatePiu { level: 1 }); // active in step 1 of tick 3
    assert_eq!((run.inject_fired("press"), run.inject_fired("piu-on")), (None, Some(3)));
    run.to(4);
    assert_eq!(run.inject_fired("press"), Some(4));
    let press = run.ex().messages.iter().find(|m| m.sender == Sender::Inject(0)).unwrap();
    assert_eq!(press.audience, run.teams(&ALL_TEAMS), "no `to`: every team");
}

#[test]
fn a_scheduled_inject_applies_its_effects_in_order() {
    let mut s = world();
    add_inject(&mut s, "second-wave", Some(2), None, &[], "A second wave hits.");
    s.injects[0].from = "Exercise control".into();
    s.injects[0].effects = vec![
        Effect::StartIncident("ransom".into()),
        Effect::SetIntegrity { asset: "telco-core".into(), integrity: 600 },
        Effect::SetStaff { team: "hospital-ops".into(), staff: 7 },
        Effect::Alert { incident: "ransom".into(), asset: "hospital-it".into() },
    ];
    let mut run = Run::new(s);
    run.to(1);
    assert_eq!(run.ex().incidents[0].started_at, None);
    run.to(2);
    assert_eq!(run.inject_fired("second-wave"), Some(2));
    assert_eq!(run.ex().incidents[0].started_at, Some(2));
    assert_eq!(run.infection("ransom", "hospital-it"), Some(Infection { since: 2, detected: Some(2) }));
    assert_eq!(run.ex().awareness.get(&(run.org("hospital"), 0)), Some(&2));
    assert_eq!(run.indicators("hospital-soc", "ransom"), Some(2));
    assert_eq!((run.integrity("hospital-it"), run.level("hospital-it")), (900, 900), "the impact of tick 2");
    assert_eq!((run.integrity("telco-core"), run.level("telco-core")), (600, 600));
    assert_eq!(run.ex().teams[1].staff, 7);
    let m = run.ex().messages.last().unwrap();
    assert_eq!((m.kind, m.from.as_str(), m.incident), (MessageKind::Inject, "Exercise control", Some(0)));
    assert_eq!(m.audience, run.teams(&ALL_TEAMS));
    // An alert on an asset the incident does not compromise does nothing.
    let mut s = world();
    start(&mut s, "ransom", 1);
    alert_at(&mut s, 2, "ransom", "hospital-lab");
    let mut run = Run::new(s);
    run.to(3);
    assert_eq!(run.ex().incidents[0].first_detected, None);
}

// ------------------------------------------------------------ threats

/// Assets `ids` of one organisation with undirected `links`, a team "ops", and
/// the incident "worm" on the first asset from tick 1 with `spread`.
fn network(ids: &[&str], links: &[(&str, &str)], spread: u32) -> Scenario {
    let mut s = empty_scenario(20);
    for id in ids {
        add_asset(&mut s, id, "s", 1, 1000);
    }
    s.links = links.iter().map(|(a, b)| Link { from: (*a).into(), to: (*b).into(), directed: false }).collect();
    s.teams.push(Team {
        id: "ops".into(),
        name: String::new(),
        organisation: "org".into(),
        role: TeamRole::Operator,
        staff: 10,
        bot: BotPolicy::Passive,
        brief: String::new(),
    });
    s.incidents.push(Incident {
        id: "worm".into(),
        name: String::new(),
        kind: IncidentKind::SupplyChain,
        targets: vec![ids[0].to_string()],
        start: Some(1),
        impact: 0,
        floor: 0,
        spread,
        visibility: 0,
        detectability: 1000,
        personal_data: false,
        physical: false,
        indicators: Vec::new(),
    });
    s.response.investigate = Cost::new(2, 2);
    s.response.isolate = Cost::new(1, 1);
    s.response.restore = Cost::new(3, 3);
    s.response.harden = Cost::new(2, 2);
    s
}

fn validate_ok(s: Scenario) -> Model {
    cascade_engine::validate::validate(s).unwrap_or_else(|p| panic!("{p:?}"))
}

/// `hits` out of `trials` is within 5 standard deviations of `per_mille`.
fn assert_within(hits: u64, trials: u64, per_mille: u64) {
    // Integers only: |1000 hits - p n|² <= 25 n p (1000 - p), all scaled by 1000.
    let expected = trials * per_mille;
    let deviation = (hits * 1000).abs_diff(expected);
    let variance = trials * per_mille * (1000 - per_mille);
    assert!(
        deviation * deviation <= 25 * variance,
        "{hits} of {trials} is {} per mille, too far from {per_mille} (tolerance ±{:.1})",
        hits * 1000 / trials,
        5.0 * (variance as f64).sqrt() / trials as f64
    );
}

#[test]
fn spread_moves_one_hop_per_tick_and_follows_directed_links_one_way() {
    let mut s = network(&["a", "b", "c", "d", "x"], &[("a", "b"), ("b", "c"), ("c", "d")], 1000);
    // x → a carries spread from x to a only.
    s.links.push(Link { from: "x".into(), to: "a".into(), directed: true });
    let mut run = Run::new(s);
    for (tick, compromised) in [(1, "a"), (2, "a b"), (3, "a b c"), (4, "a b c d"), (10, "a b c d")] {
        run.to(tick);
        let expected: Vec<&str> = compromised.split(' ').collect();
        assert_eq!(run.compromised("worm"), strings(&expected), "tick {tick}");
    }
    let since: Vec<u64> = run.ex().incidents[0].infections.values().map(|i| i.since).collect();
    assert_eq!(since, [1, 2, 3, 4]);
}

#[test]
fn lateral_spread_rate_matches_the_configured_chance() {
    // One compromised source with 50 neighbours at 200‰. Tick 1: the incident
    // starts and cannot spread yet; tick 2: 50 draws. Over 200 seeds: 10 000
    // trials, expected 2000, σ = 40, tolerance 5σ = ±200 (±0.02).
    let neighbours: Vec<String> = (0..50).map(|i| format!("n{i}")).collect();
    let mut ids = vec!["source"];
    ids.extend(neighbours.iter().map(String::as_str));
    let links: Vec<(&str, &str)> = neighbours.iter().map(|n| ("source", n.as_str())).collect();
    let model = Arc::new(validate_ok(network(&ids, &links, 200)));
    let (seeds, mut hits) = (200u64, 0u64);
    for seed in 0..seeds {
        let mut sim = Simulation::new(Arc::clone(&model), seed);
        sim.step();
        assert_eq!(sim.exercise().incidents[0].infections.len(), 1, "no spread at the start tick");
        sim.step();
        let infections = &sim.exercise().incidents[0].infections;
        // Fresh compromises do not spread in the tick they happen (no chains).
        assert!(infections.iter().all(|(&a, i)| (a == 0) == (i.since == 1)));
        hits += infections.len() as u64 - 1;
    }
    assert_within(hits, seeds * 50, 200);
}

#[test]
fn impact_stops_at_the_floor_and_visibility_lets_the_owner_notice() {
    // DDoS: impact 300 down to 400. Visibility 1000: noticed at its start.
    let mut s = world();
    start(&mut s, "ddos", 2);
    incident(&mut s, "ddos").visibility = 1000;
    let mut run = Run::new(s);
    for (tick, integrity) in [(1, 1000), (2, 700), (3, 400), (6, 400)] {
        run.to(tick);
        assert_eq!(run.integrity("telco-core"), integrity, "tick {tick}");
    }
    assert_eq!(run.infection("ddos", "telco-core"), Some(Infection { since: 2, detected: Some(2) }));
    assert_eq!(run.ex().awareness.get(&(run.org("telco"), 1)), Some(&2));
    assert_eq!(run.ex().metrics.incidents_detected, 1);
}

// ------------------------------------------------------------ determinism

/// A ring of 16 assets with chords, spread 300, and a team that acts.
fn busy_network() -> (Scenario, Vec<(u64, Action)>) {
    let ids: Vec<String> = (0..16).map(|i| format!("n{i}")).collect();
    let mut links: Vec<(String, String)> = (0..16).map(|i| (ids[i].clone(), ids[(i + 1) % 16].clone())).collect();
    links.extend((0..16).step_by(3).map(|i| (ids[i].clone(), ids[(i + 7) % 16].clone())));
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let link_refs: Vec<(&str, &str)> = links.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let mut s = network(&id_refs, &link_refs, 300);
    let worm = &mut s.incidents[0];
    (worm.impact, worm.visibility, worm.detectability) = (50, 50, 700);
    let commands = vec![
        (2, investigate("n1")),
        (3, isolate("n1")),
        (4, harden("n9")),
        (5, restore("n1")),
        (6, investigate("n5")),
        (7, isolate("n15")),
    ];
    (s, commands)
}

/// Per tick: the hash and the assets the worm has compromised so far; and every outcome.
type Trace = (Vec<String>, Vec<BTreeSet<u32>>, Vec<bool>);

fn trace(model: &Arc<Model>, seed: u64, commands: &[(u64, Action)]) -> Trace {
    let mut sim = Simulation::new(Arc::clone(model), seed);
    let mut hashes = vec![sim.state_hash().to_hex().to_string()];
    let mut spread = vec![BTreeSet::new()];
    let mut outcomes = Vec::new();
    while !sim.is_finished() {
        let tick = sim.tick() + 1;
        let now: Vec<Command> = commands
            .iter()
            .filter(|c| c.0 == tick)
            .map(|(_, a)| Command { team: 0, action: a.clone(), origin: None })
            .collect();
        outcomes.extend(sim.step_with(now).into_iter().map(|o| o.result.is_ok()));
        hashes.push(sim.state_hash().to_hex().to_string());
        spread.push(sim.exercise().incidents[0].ever_compromised.clone());
    }
    (hashes, spread, outcomes)
}

#[test]
fn same_seed_and_commands_give_the_same_hashes_another_seed_another_spread() {
    let (s, commands) = busy_network();
    let model = Arc::new(validate_ok(s));
    let first = trace(&model, 1, &commands);
    assert_eq!(first.0.len(), 21);
    assert_eq!(trace(&model, 1, &commands), first, "same seed, same commands");
    // A fresh model from the same scenario changes nothing either.
    let (s, _) = busy_network();
    assert_eq!(trace(&Arc::new(validate_ok(s)), 1, &commands), first);

    // Other seeds: other spreads — which assets are compromised, tick by tick.
    let mut spreads = BTreeSet::new();
    for seed in 1..=8 {
        let other = trace(&model, seed, &commands);
        if seed != 1 {
            assert_ne!(other.0, first.0, "seed {seed} gives the hashes of seed 1");
        }
        spreads.insert(other.1);
    }
    assert_eq!(spreads.len(), 8, "8 seeds, 8 different spreads");
    let second = trace(&model, 2, &commands);
    let at_tick_3 = |t: &Trace| t.1[3].clone();
    assert_ne!(at_tick_3(&second), at_tick_3(&first), "seeds 1 and 2 compromise different assets by tick 3");

    // Commands change the run: without them the hashes differ from tick 2 on.
    let idle = trace(&model, 1, &[]);
    assert_eq!(idle.0[..2], first.0[..2]);
    assert_ne!(idle.0[2], first.0[2]);
}

// ------------------------------------------------------------ bots

fn bot_world() -> Scenario {
    let mut s = world();
    start(&mut s, "ransom", 1);
    for team in ["circl", "hospital-ops", "crisis", "cerc", "comms"] {
        team_mut(&mut s, team).bot = BotPolicy::Responsive { delay: 0, skill: 1000 };
    }
    add_objective(
        &mut s,
        "early-warning",
        Rule::ReportsOnTime { regime: "nis2".into(), stage: Some("early-warning".into()), organisations: vec![] },
    );
    add_objective(&mut s, "contained", Rule::ContainedWithin { incident: "ransom".into(), minutes: 6 * 60 });
    s
}

#[test]
fn a_final_report_may_follow_at_once_when_the_incident_is_contained() {
    let mut run = Run::new(ransom_detected_at_1());
    run.play(
        &[
            (2, "hospital-ops", report("nis2", "early-warning", "ransom")),
            (3, "hospital-ops", report("nis2", "notification", "ransom")),
            (3, "hospital-ops", isolate("hospital-it")),
        ],
        5,
    );
    assert!(run.ex().incidents[run.incident("ransom") as usize].contained_at.is_some());
    run.ok(6, "hospital-ops", report("nis2", "final-report", "ransom"));
    assert_eq!(run.obligation("nis2", "final-report", "ransom").filed, Some(6));
}

#[test]
fn an_asset_can_have_its_own_isolation_cap() {
    let mut s = world();
    // The telco core islands its management network: service goes on.
    s.assets.iter_mut().find(|a| a.id == "telco-core").unwrap().isolation_cap = Some(1000);
    let mut run = Run::new(s);
    run.play(&[(1, "telco-ops", isolate("telco-core")), (1, "hospital-ops", isolate("hospital-lab"))], 3);
    assert!(run.isolated("telco-core") && run.isolated("hospital-lab"));
    assert_eq!(run.cap("telco-core"), 1000, "its own cap");
    assert_eq!(run.cap("hospital-lab"), 200, "the response's default");
    assert_eq!(run.level("telco-core"), 1000);
}

#[test]
fn bots_do_not_isolate_for_a_compromise_that_does_no_damage_when_it_costs_service() {
    // An espionage compromise (impact 0) on the bank's core, detected at once.
    let run_with = |cap: Option<u32>, impact: u32| {
        let mut s = world();
        start(&mut s, "apt", 1);
        alert_at(&mut s, 1, "apt", "bank-core");
        incident(&mut s, "apt").impact = impact;
        s.assets.iter_mut().find(|a| a.id == "bank-core").unwrap().isolation_cap = cap;
        team_mut(&mut s, "bank-ops").bot = BotPolicy::Responsive { delay: 0, skill: 1000 };
        let mut run = Run::new(s);
        run.to(6);
        run.isolated("bank-core")
    };
    assert!(!run_with(None, 0), "isolating would cost service for nothing the incident does");
    assert!(run_with(Some(1000), 0), "isolating costs nothing: contain it");
    assert!(run_with(None, 50), "a damaging compromise is contained whatever it costs");
}

#[test]
fn responsive_bots_detect_contain_report_and_restore() {
    let mut run = Run::new(bot_world());
    run.to(40);
    let ransom = &run.ex().incidents[0];
    // hospital-ops' bot: at tick 1 it sees hospital-it degraded and orders an
    // investigation (applied at 2, lands at 4: detected); then the isolation
    // (applied at 5, lands at 6: contained); then it shares the indicators with
    // circl (at 6) and files the early warning, its earliest report (at 7).
    assert_eq!(ransom.first_detected, Some(4));
    assert_eq!(ransom.contained_at, Some(6));
    assert!(ransom.recovered_at.is_some(), "restored from backup once contained");
    let early = run.obligation("nis2", "early-warning", "ransom");
    assert_eq!(early.filed, Some(7));
    assert_eq!(run.indicators("circl", "ransom"), Some(6));
    assert_eq!(early.missed_at, None);
    assert_eq!(run.due("nis2", "early-warning", "ransom"), Some(28));
    assert_eq!(run.objective("early-warning"), Status::Met(40));
    assert_eq!(run.objective("contained"), Status::Met(6));
    assert_eq!(run.integrity("hospital-it"), 1000);
    assert_eq!(run.ex().metrics.notifications_late + run.ex().metrics.notifications_overdue, 0);

    // The whole run again: the same hash at every tick.
    let hashes = |mut run: Run| {
        let mut out = vec![run.hash()];
        while run.sim.step() {
            out.push(run.hash());
        }
        out
    };
    assert_eq!(hashes(Run::new(bot_world())), hashes(Run::new(bot_world())));
}
