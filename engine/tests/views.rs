//! The views are the security boundary (DESIGN §5): what a team's view holds and,
//! above all, what it never holds.

use std::path::Path;
use std::sync::Arc;

use cascade_engine::Simulation;
use cascade_engine::exercise::{Action, Command};
use cascade_engine::load::parse_model;
use cascade_engine::scenario::Tlp;
use cascade_engine::view::{director_view, team_view};

const WORLD: &str = r#"
Scenario(
    name: "views", seed: 3, tick_seconds: 60, duration_ticks: 50, start: "2026-03-10T08:00",
    sectors: [Sector(id: "health"), Sector(id: "telecom")],
    organisations: [
        Organisation(id: "hospital", kind: Operator, sector: "health"),
        Organisation(id: "telco", kind: Operator, sector: "telecom"),
        Organisation(id: "csirt", kind: Csirt, constituency: ["hospital"]),
    ],
    assets: [
        Asset(id: "hospital-it", organisation: "hospital", sector: "health", population: 100),
        Asset(id: "telco-core", organisation: "telco", sector: "telecom", population: 100),
        Asset(id: "telco-billing", organisation: "telco", sector: "telecom", population: 10),
    ],
    teams: [
        Team(id: "hospital-ops", organisation: "hospital", role: Operator),
        Team(id: "telco-ops", organisation: "telco", role: Operator),
        Team(id: "csirt", organisation: "csirt", role: Csirt),
    ],
    incidents: [
        // Seen at once on the hospital; never seen on the telco's billing.
        Incident(id: "loud", kind: Ransomware, targets: ["hospital-it"], start: 1, impact: 100, visibility: 1000),
        Incident(id: "quiet", kind: Espionage, targets: ["telco-billing"], start: 1, impact: 50, visibility: 0),
    ],
)
"#;

fn sim() -> Simulation {
    let model = parse_model(WORLD.as_bytes(), Path::new("views.ron")).unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(Arc::new(model), 3)
}

#[test]
fn a_team_sees_its_own_assets_in_full_and_others_only_as_public_outages() {
    let mut sim = sim();
    sim.step();
    sim.step();
    let telco = team_view(&sim, 1, 0);
    let own: Vec<&str> = telco.assets.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(own, ["telco-core", "telco-billing"]);
    // Its billing is compromised but nobody has detected it: not even its owner sees it.
    assert!(telco.assets.iter().all(|a| a.compromised.is_empty()));
    assert!(telco.indicators.is_empty());
    // The hospital is down (impact 100 per tick): public, as a level only.
    let outages: Vec<(&str, u16)> = telco.outages.iter().map(|o| (o.id.as_str(), o.level)).collect();
    assert_eq!(outages, [("hospital-it", 800)]);

    let hospital = team_view(&sim, 0, 0);
    assert_eq!(hospital.assets[0].compromised, ["loud"]);
    assert_eq!(hospital.indicators, ["loud"]);
    // The telco's billing (degraded, undetected) shows as a public outage level,
    // never with its integrity or compromise.
    let json = serde_json::to_string(&hospital).unwrap();
    assert!(!json.contains("quiet"), "{json}");
    assert!(!json.contains("\"hash\""), "no state hash in a team view");

    let director = director_view(&sim, 0);
    let billing = director.assets.iter().find(|a| a.id == "telco-billing").unwrap();
    assert_eq!(billing.compromised, ["quiet"], "the director sees undetected compromises");
    assert_eq!(director.hash, sim.state_hash().to_hex().to_string());
}

#[test]
fn messages_reach_only_their_tlp_audience_in_every_view() {
    let mut sim = sim();
    sim.step(); // the hospital detects "loud" at tick 1
    let secret = "exfiltration to 203.0.113.9";
    let share = |to: &str, tlp: Tlp| Action::Share {
        to: vec![to.to_string()],
        tlp,
        incident: Some("loud".into()),
        text: secret.into(),
    };
    let outcomes = sim.step_with(vec![Command { team: 0, action: share("csirt", Tlp::Red), origin: None }]);
    assert!(outcomes[0].result.is_ok(), "{outcomes:?}");
    for _ in 0..3 {
        sim.step();
    }
    let contains = |team: u32| serde_json::to_string(&team_view(&sim, team, 0)).unwrap().contains(secret);
    assert!(contains(0), "the sender sees what it sent");
    assert!(contains(2), "the recipient sees it");
    assert!(!contains(1), "a RED share to the CSIRT never reaches the telco");
    assert!(!team_view(&sim, 1, 0).indicators.contains(&"loud".to_string()));
    // Deltas: a view from message N on holds only later messages.
    let all = team_view(&sim, 2, 0).messages;
    let later = team_view(&sim, 2, all.last().unwrap().index as usize + 1).messages;
    assert!(later.is_empty());
}

fn command(team: u32, action: Action, client: &str, seq: u64) -> Command {
    Command { team, action, origin: Some(cascade_engine::exercise::actions::Origin::new(client, seq)) }
}

#[test]
fn the_action_log_shows_every_command_of_a_tick_with_its_fate_and_only_to_its_team() {
    use cascade_engine::view::ActionFate;
    let mut sim = sim();
    sim.step(); // the hospital detects "loud" at tick 1
    let report = Action::Report { regime: "none".into(), stage: "x".into(), incident: "loud".into() };
    // Three commands in one tick: a timed investigation, an instant message, and
    // a classify of an incident the hospital has not detected (fails at the tick);
    // plus an isolate of the same asset twice (the second fails: in progress).
    let isolate = Action::Isolate { asset: "hospital-it".into() };
    let message = Action::Message { to: vec!["csirt".into()], text: "we are hit".into(), tlp: Tlp::Red };
    let classify = Action::Classify { incident: "quiet".into() };
    let outcomes = sim.step_with(vec![
        command(0, Action::Investigate { asset: "hospital-it".into() }, "laptop-1", 1),
        command(0, message, "laptop-2", 7),
        command(0, classify, "laptop-1", 2),
        command(0, isolate.clone(), "laptop-1", 3),
        command(0, isolate, "laptop-2", 8),
        command(0, report, "laptop-1", 4),
    ]);
    assert_eq!(outcomes.len(), 6);
    let view = team_view(&sim, 0, 0);
    type Entry<'a> = (Option<&'a str>, Option<u64>, &'a str, ActionFate, Option<&'a str>);
    let log: Vec<Entry> = view
        .actions
        .iter()
        .map(|a| (a.client.as_deref(), a.seq, a.command["action"].as_str().unwrap(), a.fate, a.code.as_deref()))
        .collect();
    assert_eq!(
        log,
        [
            (Some("laptop-1"), Some(1), "investigate", ActionFate::Running, None),
            (Some("laptop-2"), Some(7), "message", ActionFate::Applied, None),
            (Some("laptop-1"), Some(2), "classify", ActionFate::Failed, Some("not_aware")),
            (Some("laptop-1"), Some(3), "isolate", ActionFate::Running, None),
            (Some("laptop-2"), Some(8), "isolate", ActionFate::Failed, Some("in_progress")),
            // Journaled, yet the checks on receipt refuse it (a hand-made journal).
            (Some("laptop-1"), Some(4), "report", ActionFate::Refused, Some("unknown_regime")),
        ]
    );
    assert!(view.actions.iter().all(|a| a.tick == 2 && a.clock == "08:02"));
    let investigation = &view.actions[0];
    assert_eq!((investigation.lands, investigation.lands_clock.as_deref()), (Some(32), Some("08:32")));
    assert!(view.actions[2].message.as_deref().unwrap().contains("not detected"));
    // The running actions land, and say so; the failures stay failures.
    for _ in 0..30 {
        sim.step();
    }
    let later = team_view(&sim, 0, 0);
    let fates: Vec<ActionFate> = later.actions.iter().map(|a| a.fate).collect();
    use ActionFate::*;
    assert_eq!(fates, [Applied, Applied, Failed, Applied, Failed, Refused]);
    // Nobody else sees the hospital's log (the director sees the tick's actions).
    for team in [1, 2] {
        let json = serde_json::to_string(&team_view(&sim, team, 0)).unwrap();
        assert!(!json.contains("laptop-1") && !json.contains("laptop-2"), "team {team}: {json}");
    }
}

#[test]
fn a_bot_s_orders_are_logged_as_the_bot_s() {
    let text = WORLD.replace(
        r#"Team(id: "hospital-ops", organisation: "hospital", role: Operator),"#,
        r#"Team(id: "hospital-ops", organisation: "hospital", role: Operator, bot: Responsive(delay: 0, skill: 1000)),"#,
    );
    let model = parse_model(text.as_bytes(), Path::new("views.ron")).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(Arc::new(model), 3);
    for _ in 0..40 {
        sim.step();
    }
    // The hospital's responsive bot isolates and investigates its compromised asset.
    let view = team_view(&sim, 0, 0);
    assert!(!view.actions.is_empty(), "the bot acted: {:?}", view.actions);
    assert!(view.actions.iter().all(|a| a.client.is_none() && a.seq.is_none()), "{:?}", view.actions);
    assert!(!view.human);
    assert!(view.humans.is_empty());
}

#[test]
fn a_share_of_indicators_the_team_does_not_hold_is_refused_on_receipt() {
    let mut sim = sim();
    sim.step();
    let share = |incident: &str| Action::Share {
        to: vec!["csirt".into()],
        tlp: Tlp::Green,
        incident: Some(incident.into()),
        text: "C2 at 198.51.100.7".into(),
    };
    // The telco holds nothing: refused at once, never turned into text.
    let refusal = sim.check_command(1, &share("loud")).unwrap_err();
    assert_eq!(refusal.code, "indicators_not_held");
    assert!(refusal.message.contains("\"loud\""), "{}", refusal.message);
    // The hospital detected "loud": it may share it.
    assert!(sim.check_command(0, &share("loud")).is_ok());
    // Applied anyway (an older journal), it fails with the same code.
    let outcomes = sim.step_with(vec![Command { team: 1, action: share("loud"), origin: None }]);
    assert_eq!(outcomes[0].result.as_ref().unwrap_err().code, "indicators_not_held");
    assert!(sim.exercise().messages.iter().all(|m| !m.text.contains("198.51.100.7")), "nothing was sent");
}

#[test]
fn a_csirt_sees_a_constituent_s_assets_only_once_its_assistance_is_requested() {
    let mut sim = sim();
    sim.step();
    assert!(team_view(&sim, 2, 0).constituents.is_empty(), "no request yet");
    assert!(team_view(&sim, 0, 0).constituents.is_empty(), "an operator has no constituents");
    let request = Action::RequestAssistance { csirt: "csirt".into() };
    let outcomes = sim.step_with(vec![command(0, request, "laptop", 1)]);
    assert!(outcomes[0].result.is_ok(), "{outcomes:?}");
    let csirt = team_view(&sim, 2, 0);
    let seen: Vec<(&str, &str, &[String])> =
        csirt.constituents.iter().map(|a| (a.id.as_str(), a.organisation.as_str(), a.compromised.as_slice())).collect();
    assert_eq!(seen, [("hospital-it", "hospital", &["loud".to_string()][..])]);
    // The telco, outside the CSIRT's constituency, never shows up in full.
    let json = serde_json::to_string(&csirt).unwrap();
    assert!(
        !json.contains("quiet")
            && !json.contains(
                "\"integrity\":1000,\"cap\":1000,\"isolated\":false,\"hardened\":false,\"compromised\":[]}],\"outages\""
            )
    );
    assert!(csirt.constituents.iter().all(|a| a.organisation == "hospital"));
}

#[test]
fn the_directory_brief_and_clock_labels_are_there_and_public_facts_only() {
    let mut text = WORLD.replace(
        r#"Team(id: "csirt", organisation: "csirt", role: Csirt),"#,
        r#"Team(id: "csirt", name: "National CSIRT", organisation: "csirt", role: Csirt, brief: "You serve the hospital."),"#,
    );
    text =
        text.replace("start: \"2026-03-10T08:00\",", "start: \"2026-03-10T23:58\", time_zone: \"Europe/Luxembourg\",");
    let model = parse_model(text.as_bytes(), Path::new("views.ron")).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(Arc::new(model), 3);
    for _ in 0..3 {
        sim.step();
    }
    let csirt = team_view(&sim, 2, 0);
    assert_eq!(csirt.brief, "You serve the hospital.");
    assert_eq!((csirt.tick_seconds, csirt.time_zone.as_str()), (60, "Europe/Luxembourg"));
    assert_eq!(csirt.clock, "2026-03-11 00:01", "past the first day, the date is written");
    let ids: Vec<&str> = csirt.directory.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["hospital-ops", "telco-ops", "csirt"]);
    let me = &csirt.directory[2];
    assert_eq!((me.name.as_str(), me.organisation_name.as_str()), ("National CSIRT", "csirt"));
    assert_eq!(me.constituency, ["hospital"]);
    // Another team's brief is private: only the team's own view has it.
    let hospital = team_view(&sim, 0, 0);
    assert!(hospital.brief.is_empty());
    assert!(!serde_json::to_string(&hospital).unwrap().contains("You serve the hospital."));
    // Tick frames leave out what never changes, messages or none.
    use cascade_engine::view::team_view_update;
    for since in [0, 1] {
        let update = team_view_update(&sim, 2, since);
        assert!(update.directory.is_empty() && update.regimes.is_empty() && update.brief.is_empty());
    }
    assert!(!team_view(&sim, 0, 1).directory.is_empty(), "a full view always has them");
}

#[test]
fn held_indicators_carry_their_values_label_and_source_and_expected_actions_their_inject() {
    let text = WORLD
        .replace(
            r#"impact: 100, visibility: 1000),"#,
            r#"impact: 100, visibility: 1000, indicators: [
                (kind: Ip, value: "198.51.100.7", comment: "C2"), (kind: Technique, value: "T1486")]),"#,
        )
        .replace(
            "    ],\n)\n",
            r#"    ],
    injects: [
        Inject(id: "call", at: 2, from: "ILR duty officer", to: ["csirt"], message: "Any news?",
               expected_action: "Coordinate with the hospital and brief ILR."),
        Inject(id: "later", at: 40, to: ["csirt"], message: "Later.", expected_action: "Not yet."),
    ],
)
"#,
        );
    let model = parse_model(text.as_bytes(), Path::new("views.ron")).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = Simulation::new(Arc::new(model), 3);
    sim.step(); // the hospital detects "loud"
    let share =
        Action::Share { to: vec!["csirt".into()], tlp: Tlp::Amber, incident: Some("loud".into()), text: String::new() };
    sim.step_with(vec![command(0, share, "laptop", 1)]);
    let hospital = team_view(&sim, 0, 0);
    assert_eq!(hospital.held.len(), 1);
    // Noticed unaided (visibility 1000): a detection, not an investigation of its own.
    assert_eq!(
        (hospital.held[0].source.as_str(), hospital.held[0].tlp),
        ("detection on your organisation's asset", Tlp::Clear)
    );
    let csirt = team_view(&sim, 2, 0);
    let held = &csirt.held[0];
    assert_eq!(
        (held.incident.as_str(), held.source.as_str(), held.tlp, held.since),
        ("loud", "hospital-ops", Tlp::Amber, 2)
    );
    let values: Vec<(&str, &str)> = held.values.iter().map(|v| (v.value.as_str(), v.comment.as_str())).collect();
    assert_eq!(values, [("198.51.100.7", "C2"), ("T1486", "")]);
    // The inject fired at tick 2 is expected of the CSIRT; the one at 40 not yet.
    let expected: Vec<(&str, &str, &str)> =
        csirt.expected.iter().map(|e| (e.inject.as_str(), e.from.as_str(), e.clock.as_str())).collect();
    assert_eq!(expected, [("call", "ILR duty officer", "08:02")]);
    assert!(team_view(&sim, 1, 0).expected.is_empty(), "addressed to the CSIRT only");
    assert!(!serde_json::to_string(&team_view(&sim, 1, 0)).unwrap().contains("198.51.100.7"));
}
