//! The report counts what people and bots did, exactly (issue 11, item 1): a
//! journal with several commands per tick, a command the checks on receipt
//! refuse, failures at the tick and a takeover in the middle of the exercise.
//! The bot's share is counted independently of the action log the report
//! reads: bots give at most one order a tick, each visible as the team's
//! `last_action`.

use std::path::Path;
use std::sync::Arc;

use cascade_engine::exercise::actions::Origin;
use cascade_engine::exercise::{Action, Command};
use cascade_engine::load::parse_model;
use cascade_engine::{Model, Simulation};
use cascade_replay::report::{build, render};
use cascade_replay::{CommandLine, Header, JournalWriter, Replay, read_journal};
use serde_json::{Value, json};

const WORLD: &str = r#"
Scenario(
    name: "counts", seed: 5, tick_seconds: 60, duration_ticks: 20, start: "2026-03-10T08:00",
    sectors: [Sector(id: "health"), Sector(id: "telecom")],
    organisations: [
        Organisation(id: "hospital", kind: Operator, sector: "health"),
        Organisation(id: "telco", kind: Operator, sector: "telecom"),
        Organisation(id: "csirt", kind: Csirt, constituency: ["hospital"]),
        Organisation(id: "ilr", kind: Authority),
    ],
    assets: [
        Asset(id: "hospital-it", organisation: "hospital", sector: "health", population: 100),
        Asset(id: "hospital-lab", organisation: "hospital", sector: "health", population: 50),
        Asset(id: "telco-core", organisation: "telco", sector: "telecom", population: 100),
    ],
    teams: [
        Team(id: "hospital-ops", organisation: "hospital", role: Operator, bot: Responsive(delay: 0, skill: 1000)),
        Team(id: "telco-ops", organisation: "telco", role: Operator),
        Team(id: "csirt", organisation: "csirt", role: Csirt),
        Team(id: "ilr-desk", organisation: "ilr", role: Regulator),
    ],
    incidents: [
        Incident(id: "loud", kind: Ransomware, targets: ["hospital-it", "hospital-lab"], start: 1, impact: 20,
                 visibility: 1000),
        Incident(id: "quiet", kind: Espionage, targets: ["telco-core"], start: 1, impact: 5, visibility: 0),
    ],
    response: Response(isolate: Cost(ticks: 2, staff: 1), harden: Cost(ticks: 30, staff: 1)),
    injects: [
        Inject(id: "call", at: 9, from: "ILR duty officer", to: ["hospital-ops", "csirt"], message: "Status?",
               expected_action: "Tell ILR what is hit; brief the CSIRT."),
        Inject(id: "press", at: 11, from: "RTL", to: ["hospital-ops"], message: "Is the hospital down?",
               expected_action: "A holding statement."),
        Inject(id: "fyi", at: 3, to: ["telco-ops"], message: "Nothing expected."),
    ],
)
"#;

const TAKEOVER_TICK: u64 = 10;

/// (tick, team, client, seq, command): hospital-ops taken over at tick 10
/// (the host's line first), then four commands of two analysts in that tick —
/// a message, a classify of an incident it never detected (fails), an isolate
/// of an unknown asset (refused by the checks on receipt: only a journal
/// written by hand holds one) and a harden — and at tick 11 the same harden
/// again (fails: in progress). telco-ops takes over at 12 and investigates.
fn script() -> Vec<(u64, &'static str, &'static str, u64, Value)> {
    vec![
        (10, "hospital-ops", "host", 1, json!({"action": "takeover"})),
        (
            10,
            "hospital-ops",
            "laptop-1",
            1,
            json!({"action": "message", "to": ["csirt"], "text": "we are hit", "tlp": "TLP:RED"}),
        ),
        (10, "hospital-ops", "laptop-1", 2, json!({"action": "classify", "incident": "quiet"})),
        (10, "hospital-ops", "laptop-2", 1, json!({"action": "isolate", "asset": "nowhere"})),
        (10, "hospital-ops", "laptop-2", 2, json!({"action": "harden", "asset": "hospital-lab"})),
        (11, "hospital-ops", "laptop-1", 3, json!({"action": "harden", "asset": "hospital-lab"})),
        (12, "telco-ops", "host", 2, json!({"action": "takeover"})),
        (12, "telco-ops", "analyst", 1, json!({"action": "investigate", "asset": "telco-core"})),
        (
            12,
            "director",
            "console",
            1,
            json!({"action": "note", "text": "hospital hesitated", "team": "hospital-ops", "rating": "S"}),
        ),
        (13, "director", "console", 2, json!({"action": "note", "text": "room was calm"})),
    ]
}

fn model() -> Model {
    parse_model(WORLD.as_bytes(), Path::new("counts.ron")).unwrap_or_else(|e| panic!("{e}"))
}

fn write_journal(path: &Path) {
    let model = model();
    let header = Header::new(&model.scenario, 5, "t".into()).unwrap();
    let mut writer = JournalWriter::create(path, &header).unwrap();
    let mut sim = Simulation::new(Arc::new(model), 5);
    writer.append_checkpoint(0, &sim.state_hash()).unwrap();
    let script = script();
    for tick in 1..=20u64 {
        let mut commands = Vec::new();
        for (t, team, client, seq, command) in script.iter().filter(|c| c.0 == tick) {
            writer
                .append_command(&CommandLine {
                    tick: *t,
                    team: team.to_string(),
                    client: client.to_string(),
                    seq: *seq,
                    command: command.clone(),
                })
                .unwrap();
            if *team == "director" {
                continue; // a note: journaled, ignored by the simulation
            }
            commands.push(Command {
                team: sim.team_index(team).unwrap(),
                action: serde_json::from_value::<Action>(command.clone()).unwrap(),
                origin: Some(Origin::new(*client, *seq)),
            });
        }
        sim.step_with(commands);
        writer.append_checkpoint(tick, &sim.state_hash()).unwrap();
    }
    writer.sync().unwrap();
}

/// The hospital bot's orders before the takeover, counted from the state: the
/// ticks at which the team's last action is that tick's.
fn bot_orders_before_takeover() -> (u64, Vec<String>) {
    let mut sim = Simulation::new(Arc::new(model()), 5);
    let mut names = Vec::new();
    while sim.tick() < TAKEOVER_TICK - 1 {
        sim.step();
        if let Some((tick, name)) = sim.exercise().teams[0].last_action
            && tick == sim.tick()
        {
            names.push(name.to_string());
        }
    }
    (names.len() as u64, names)
}

#[test]
fn every_command_and_bot_order_is_counted_with_its_fate_and_the_takeover() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("counts.jsonl");
    write_journal(&path);
    let noted = cascade_engine::wire::Observation {
        text: "should have asked the CSIRT first".into(),
        team: None,
        objective: None,
        capability: Some("Cybersecurity".into()),
        rating: None,
    };
    cascade_replay::notes::append_note(&path, 11, &noted).unwrap();
    let replay = Replay::new(read_journal(&path).unwrap()).unwrap();
    let report = build(&replay, |_| {}).unwrap();
    let json: Value = serde_json::to_value(&report).unwrap();
    let team = |id: &str| json["teams"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap().clone();

    let (bot, bot_names) = bot_orders_before_takeover();
    assert!(bot >= 2, "the responsive bot acted before the takeover: {bot_names:?}");
    let hospital = team("hospital-ops");
    assert_eq!(hospital["human"], true);
    assert_eq!(hospital["takeover"], json!({"tick": 10, "clock": "08:10"}));
    assert_eq!(hospital["commands_journaled"], 6, "the takeover and five commands");
    assert_eq!(hospital["by_people"], 5);
    assert_eq!(hospital["by_bot"], bot);
    assert_eq!(hospital["total_actions"], bot + 5);
    assert_eq!(hospital["applied"], bot + 2, "the bot's orders, the message and the first harden");
    assert_eq!(hospital["failed"], 2, "the classify and the second harden");
    assert_eq!(hospital["refused"], 1, "the isolate of an unknown asset");
    assert_eq!(hospital["actions"]["harden"], 2);
    assert_eq!(hospital["actions"]["message"], 1);
    assert!(hospital["first_action"]["tick"].as_u64().unwrap() < TAKEOVER_TICK, "the bot acted first");
    assert_eq!(hospital["last_action"]["tick"], 11);

    let telco = team("telco-ops");
    assert_eq!((telco["human"].clone(), telco["takeover"]["tick"].clone()), (json!(true), json!(12)));
    assert_eq!((telco["total_actions"].clone(), telco["by_bot"].clone()), (json!(1), json!(0)));
    assert_eq!(telco["actions"], json!({"investigate": 1}));
    // The CSIRT's bot is passive; the regulator only receives.
    for id in ["csirt", "ilr-desk"] {
        assert_eq!((team(id)["total_actions"].clone(), team(id)["human"].clone()), (json!(0), json!(false)));
    }

    // Every command, with its client and fate.
    let people: Vec<(u64, &str, &str, &str, &str)> = json["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["human"] == true)
        .map(|c| {
            (
                c["tick"].as_u64().unwrap(),
                c["client"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
                c["fate"].as_str().unwrap(),
                c["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            (10, "host", "takeover", "applied", ""),
            (10, "laptop-1", "message", "applied", ""),
            (10, "laptop-1", "classify", "failed", "not_aware"),
            (10, "laptop-2", "isolate", "refused", "unknown_asset"),
            (10, "laptop-2", "harden", "running", ""),
            (11, "laptop-1", "harden", "failed", "in_progress"),
            (12, "host", "takeover", "applied", ""),
            (12, "analyst", "investigate", "running", ""),
        ]
    );
    let bots: Vec<&str> = json["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["human"] == false)
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(bots, bot_names);
    assert!(json["commands"].as_array().unwrap().iter().filter(|c| c["human"] == false).all(|c| c["client"] == "bot"));

    // The timeline has the chat, the asset actions and the failures.
    let rows: Vec<(String, String)> = json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_string(), e["text"].as_str().unwrap().to_string()))
        .collect();
    let has = |kind: &str, needle: &str| rows.iter().any(|(k, t)| k == kind && t.contains(needle));
    assert!(has("chat", "to csirt: we are hit"), "{rows:#?}");
    assert!(has("action", "harden hospital-lab, lands 08:40 (laptop-2)"), "{rows:#?}");
    assert!(has("failed", "classify quiet failed (not_aware)"), "{rows:#?}");
    assert!(has("failed", "isolate nowhere refused (unknown_asset)"), "{rows:#?}");
    assert!(has("action", "investigate telco-core"), "{rows:#?}");
    // No finding about the passive regulator.
    assert!(report.improvements.iter().all(|i| !i.contains("ilr-desk")), "{:?}", report.improvements);

    // The rendered report says who played what.
    let md = render::markdown(&report);
    assert!(md.contains("| hospital-ops | bot, then human | 08:10 |"), "{md}");
    assert!(md.contains("✗ failed: not\\_aware"), "{md}");
    let html = render::html(&report);
    assert!(html.contains("<tr class=\"failed\">"));

    // The MSEL against the response.
    let injects = json["injects"].as_array().unwrap();
    let ids: Vec<&str> = injects.iter().map(|i| i["inject"].as_str().unwrap()).collect();
    assert_eq!(ids, ["call", "press"], "only injects that expect something");
    let response = |inject: usize, team: &str| {
        injects[inject]["responses"].as_array().unwrap().iter().find(|r| r["team"] == team).unwrap().clone()
    };
    let call = response(0, "hospital-ops");
    assert_eq!(call["until"]["tick"], 11, "the next expected-action inject to the team closes the window");
    let people: Vec<&str> = call["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["human"] == true)
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(
        people,
        ["message csirt TLP:RED \"we are hit\"", "classify quiet", "isolate nowhere", "harden hospital-lab"]
    );
    assert_eq!(response(0, "csirt")["commands"], json!([]));
    assert_eq!(response(0, "csirt")["first_after_minutes"], Value::Null);
    let press = response(1, "hospital-ops");
    assert_eq!(press["until"], Value::Null);
    assert_eq!(press["first_after_minutes"], 0);
    assert_eq!(press["commands"][0]["fate"], "failed");
    assert!(md.contains("| call | 08:09 | Tell ILR what is hit; brief the CSIRT. | csirt | — | nothing |"), "{md}");

    // The evaluators' notes, live and on the recording, in tick order.
    let notes: Vec<(u64, &str, &str)> = json["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["tick"].as_u64().unwrap(), o["taken"].as_str().unwrap(), o["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        notes,
        [
            (11, "replay", "should have asked the CSIRT first"),
            (12, "live", "hospital hesitated"),
            (13, "live", "room was calm")
        ]
    );
    assert!(md.contains("### Team hospital-ops"), "{md}");
    assert!(md.contains("08:12 (12, live) \\[S — Performed with some challenges\\]: hospital hesitated"), "{md}");
    let hot_wash = &md[md.find("## Hot Wash").unwrap()..];
    assert!(hot_wash.contains("room was calm") && hot_wash.contains("should have asked"), "{hot_wash}");
}
