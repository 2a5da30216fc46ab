//! The replay viewer's player: a seek to any tick, forwards or backwards, from
//! any tick, gives exactly the state of a straight simulation to that tick; the
//! snapshot budget holds; the events and series cover the whole exercise.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cascade_engine::exercise::command::DIRECTOR_TEAM;
use cascade_engine::exercise::{Action, Command};

use cascade_engine::wire::{DirectorAction, LiveInject};
use cascade_engine::{Simulation, load_model};
use cascade_replay::player::{FIRST_INTERVAL, SNAPSHOT_BUDGET_BYTES};
use cascade_replay::{CommandLine, Header, JournalWriter, Player, Replay, read_journal};

/// Luxembourg's whole day with its bots, a team's takeover and isolation at
/// tick 20, a director pause at 30 and a live inject at 40; returns the journal
/// and the straight run's hash at every tick.
fn luxembourg_journal(dir: &Path) -> (PathBuf, Vec<String>) {
    let model = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/luxembourg.ron")).unwrap();
    let path = dir.join("lux.jsonl");
    let header = Header::new(&model.scenario, model.scenario.seed, "2026-03-10T07:00:00Z".into()).unwrap();
    let mut writer = JournalWriter::create(&path, &header).unwrap();
    let seed = model.scenario.seed;
    let mut sim = Simulation::new(Arc::new(model), seed);
    // The first operator team whose organisation has an asset.
    let s = &sim.model().scenario;
    let (team, asset) = s
        .teams
        .iter()
        .filter(|t| format!("{:?}", t.role) == "Operator")
        .find_map(|t| s.assets.iter().find(|a| a.organisation == t.organisation).map(|a| (t.id.clone(), a.id.clone())))
        .expect("some operator's organisation has an asset");
    let team_index = sim.team_index(&team).unwrap();
    writer.append_checkpoint(0, &sim.state_hash()).unwrap();
    let mut hashes = vec![sim.state_hash().to_hex().to_string()];
    let mut seq = 0;
    let mut line = |writer: &mut JournalWriter, tick: u64, team: &str, command: serde_json::Value| {
        seq += 1;
        writer.append_command(&CommandLine { tick, team: team.into(), client: "test".into(), seq, command }).unwrap();
    };
    while !sim.is_finished() {
        let tick = sim.tick() + 1;
        let mut commands = Vec::new();
        if tick == 20 {
            line(&mut writer, tick, &team, serde_json::json!({"action": "takeover"}));
            commands.push(Command { team: team_index, action: Action::Takeover, origin: None });
            let isolate = Action::Isolate { asset: asset.to_string() };
            line(&mut writer, tick, &team, serde_json::to_value(&isolate).unwrap());
            commands.push(Command { team: team_index, action: isolate, origin: None });
        }
        if tick == 30 {
            line(&mut writer, tick, "director", serde_json::to_value(DirectorAction::Pause).unwrap());
        }
        if tick == 40 {
            let inject = LiveInject {
                from: "EXCON".into(),
                to: vec![],
                method: Default::default(),
                message: "Press calls about the outage.".into(),
                expected_action: String::new(),
                effects: vec![],
                tlp: cascade_engine::scenario::Tlp::Clear,
                replaces: None,
            };
            line(&mut writer, tick, "director", serde_json::to_value(DirectorAction::Inject(inject.clone())).unwrap());
            commands.push(Command { team: DIRECTOR_TEAM, action: Action::Inject(inject), origin: None });
        }
        sim.step_with(commands);
        writer.append_checkpoint(sim.tick(), &sim.state_hash()).unwrap();
        hashes.push(sim.state_hash().to_hex().to_string());
    }
    writer.sync().unwrap();
    (path, hashes)
}

fn open(path: &Path, budget: usize) -> Player {
    let replay = Replay::new(read_journal(path).unwrap()).unwrap();
    Player::open(replay, budget, |_| {}).unwrap()
}

fn hash(player: &Player) -> String {
    player.sim().state_hash().to_hex().to_string()
}

#[test]
fn a_seek_anywhere_gives_the_state_of_a_straight_simulation() {
    let dir = tempfile::tempdir().unwrap();
    let (path, straight) = luxembourg_journal(dir.path());
    let mut player = open(&path, SNAPSHOT_BUDGET_BYTES);
    let last = player.last_tick();
    assert_eq!(last as usize + 1, straight.len());
    assert_eq!(player.tick(), last, "the player opens at the end of the recording");
    // Backwards and forwards, near and far, on and between snapshots.
    let targets = [0, last, 1, 479.min(last), 20, 19, 21, 250, 3, 4, 5, last / 2, last / 2 + 1, last - 1, 0, 40, 39];
    for target in targets {
        player.seek(target);
        assert_eq!(player.tick(), target);
        assert_eq!(hash(&player), straight[target as usize], "seek to {target}");
    }
    // Every tick, stepping back one at a time from the end.
    for target in (0..=last).rev() {
        player.seek(target);
        assert_eq!(hash(&player), straight[target as usize], "step back to {target}");
    }
    player.seek(last + 100);
    assert_eq!(player.tick(), last, "a seek past the end stops at the last tick");
}

#[test]
fn snapshots_stay_within_their_budget() {
    let dir = tempfile::tempdir().unwrap();
    let (path, straight) = luxembourg_journal(dir.path());
    let roomy = open(&path, SNAPSHOT_BUDGET_BYTES);
    assert_eq!(roomy.interval(), FIRST_INTERVAL, "Luxembourg's day fits the default budget");
    let (count, bytes) = roomy.snapshots();
    assert_eq!(count as u64, roomy.last_tick() / FIRST_INTERVAL + 1);

    // A tenth of that memory: fewer snapshots, a longer interval, same states.
    let mut tight = open(&path, bytes / 10);
    let (tight_count, tight_bytes) = tight.snapshots();
    assert!(tight_bytes <= bytes / 10, "{tight_bytes} > {}", bytes / 10);
    assert!(tight.interval() >= FIRST_INTERVAL * 8, "interval {}", tight.interval());
    assert!(tight_count < count);
    for target in [0, 7, 123, 300, tight.last_tick()] {
        tight.seek(target);
        assert_eq!(hash(&tight), straight[target as usize], "tight seek to {target}");
    }
}

#[test]
fn the_events_cover_the_whole_exercise_in_tick_order() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = luxembourg_journal(dir.path());
    let player = open(&path, SNAPSHOT_BUDGET_BYTES);
    let events = player.events();
    assert!(events.windows(2).all(|w| w[0].tick <= w[1].tick), "sorted by tick");
    let has = |tick: u64, kind: &str, text: &str| {
        events.iter().any(|e| e.tick == tick && e.kind == kind && e.text.contains(text))
    };
    let at_20: Vec<_> = events.iter().filter(|e| e.tick == 20).collect();
    assert!(has(20, "action", "isolate"), "the human isolation: {at_20:?}");
    assert!(!has(20, "failed", ""), "{at_20:?}");
    assert!(!events.iter().any(|e| e.tick == 20 && e.kind == "action" && e.text == "isolate (bot)"));
    assert!(has(30, "director", "pause"));
    assert!(has(40, "director", "inject"));
    assert!(has(40, "inject", "Press calls about the outage."), "the inject's message");
    assert!(events.iter().any(|e| e.kind == "incident"), "incident milestones");
    assert!(events.iter().any(|e| e.kind == "action" && e.text.ends_with("(bot)")), "bot actions");
    assert!(events.iter().any(|e| e.kind == "objective"), "objectives decided");

    assert_eq!(player.national_series().len() as u64, player.last_tick() + 1);
    assert!(player.sector_series().iter().all(|s| s.len() == player.national_series().len()));
}
