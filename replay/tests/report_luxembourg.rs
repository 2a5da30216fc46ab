//! The report of Luxembourg's bot-only day, checked on its numbers (issue 11):
//! the journal of a whole day with every team played by its bot, and figures
//! gathered independently while it was recorded — each bot order seen as its
//! team's `last_action` (a bot gives at most one order a tick), the lowest
//! national service and when — against report.json.

use std::path::Path;
use std::sync::Arc;

use cascade_engine::Simulation;
use cascade_engine::load::load_model;
use cascade_engine::view::{people, percent};
use cascade_replay::report::build;
use cascade_replay::{Header, JournalWriter, Replay, read_journal};
use serde_json::Value;

#[test]
fn the_bot_only_day_reports_what_the_bots_did_and_the_service_it_left() {
    let model = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/luxembourg.ron")).unwrap();
    let seed = model.scenario.seed;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lux.jsonl");
    let mut writer = JournalWriter::create(&path, &Header::new(&model.scenario, seed, "t".into()).unwrap()).unwrap();
    let mut sim = Simulation::new(Arc::new(model), seed);
    writer.append_checkpoint(0, &sim.state_hash()).unwrap();
    let teams = sim.model().scenario.teams.len();
    let mut orders = vec![0u64; teams];
    let (mut lowest, mut lowest_at) = (sim.national_service(), 0);
    while sim.step() {
        let tick = sim.tick();
        for (t, state) in sim.exercise().teams.iter().enumerate() {
            if state.last_action.is_some_and(|(at, _)| at == tick) {
                orders[t] += 1;
            }
        }
        if sim.national_service() < lowest {
            (lowest, lowest_at) = (sim.national_service(), tick);
        }
        writer.append_checkpoint(tick, &sim.state_hash()).unwrap();
    }
    writer.sync().unwrap();
    let total = sim.model().total_population;
    let stated = sim.model().scenario.population.expect("Luxembourg states its population");

    let report = build(&Replay::new(read_journal(&path).unwrap()).unwrap(), |_| {}).unwrap();
    let json: Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["overview"]["ticks_run"], 480);
    assert_eq!(json["details"]["human_teams"], Value::Array(vec![]), "nobody took over");
    assert_eq!(json["details"]["bot_teams"].as_array().unwrap().len(), teams);

    // Every bot order, counted per team, all by bots.
    let commands = json["commands"].as_array().unwrap();
    assert!(commands.iter().all(|c| c["client"] == "bot" && c["human"] == false));
    assert_eq!(commands.len() as u64, orders.iter().sum::<u64>());
    assert!(commands.len() > 20, "Luxembourg's bots respond: {}", commands.len());
    for (t, team) in json["teams"].as_array().unwrap().iter().enumerate() {
        assert_eq!(team["total_actions"], orders[t], "{}", team["id"]);
        assert_eq!((team["by_bot"].clone(), team["by_people"].clone()), (Value::from(orders[t]), Value::from(0)));
        assert_eq!(team["takeover"], Value::Null);
    }

    // The lowest national service, its share and the people it comes to.
    let low = &json["lowest_service"];
    assert_eq!((low["served"].as_u64(), low["at"]["tick"].as_u64()), (Some(lowest), Some(lowest_at)));
    assert_eq!(low["people"], people(lowest, total, stated));
    let md = cascade_replay::report::render::markdown(&report);
    let shown = format!("{} (about ", percent(lowest, total));
    assert!(md.contains(&shown), "{shown} in the overview");

    // Whatever the bots filed is no strength of the players.
    assert!(
        json["notifications"].as_array().unwrap().iter().all(|n| n["filed_by"] == "bot" || n["filed_by"].is_null())
    );
    assert!(report.strengths.iter().all(|s| !s.starts_with("Every notification")), "{:?}", report.strengths);
}
