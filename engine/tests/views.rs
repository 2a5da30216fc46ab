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
