//! What a player sees of its own actions and of the exercise, end to end (issue
//! 9): the real binary on 127.0.0.1 port 0, real websocket clients. Commands
//! given in one tick all show with their fates in the team's view, for every
//! analyst of the team and after a reconnect; the director's view shows the
//! tick's actions, refused ones too; `takeover` silences the bot.

#[path = "common/host.rs"]
mod common;

use common::*;
use serde_json::{Value, json};

/// The fates of the view's action log as `(client, seq, action, fate, code)`.
fn log(view: &Value) -> Vec<(String, u64, String, String, String)> {
    view["actions"]
        .as_array()
        .expect("an action log")
        .iter()
        .map(|a| {
            (
                a["client"].as_str().unwrap_or("bot").to_string(),
                a["seq"].as_u64().unwrap_or(0),
                a["command"]["action"].as_str().unwrap_or("?").to_string(),
                a["fate"].as_str().unwrap().to_string(),
                a["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn entry(client: &str, seq: u64, action: &str, fate: &str, code: &str) -> (String, u64, String, String, String) {
    (client.into(), seq, action.into(), fate.into(), code.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_of_a_tick_shows_with_its_fate_for_every_analyst_of_the_team() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "fates", &[]);
    let mut director = server.director().await;
    let mut x = server.team("team-a", "analyst-x").await;
    let mut y = server.team("team-a", "analyst-y").await;
    let snapshot = x.snapshot.clone();
    assert_eq!(snapshot["human"], false, "the bot plays the team until the first command");
    assert_eq!(snapshot["directory"].as_array().unwrap().len(), 3, "every team in the directory");
    assert_eq!(snapshot["tick_seconds"], 60);

    // Four commands before tick 1: one refused on receipt, three journaled.
    x.acked(1, json!({"action": "investigate", "asset": "a-core"})).await;
    x.acked(2, json!({"action": "classify", "incident": "ransom-a"})).await;
    assert_eq!(x.rejected(3, json!({"action": "isolate", "asset": "b-core"})).await, "not_your_asset");
    y.acked(1, json!({"action": "message", "to": ["team-b"], "text": "heads up", "tlp": "TLP:RED"})).await;
    director.acked(1, json!({"action": "step"})).await;

    // Both analysts' tick frames carry the whole log, in time order (the
    // refusal came while tick 0 was current).
    let expected = vec![
        entry("analyst-x", 3, "isolate", "refused", "not_your_asset"),
        entry("host", 1, "takeover", "applied", ""),
        entry("analyst-x", 1, "investigate", "running", ""),
        entry("analyst-x", 2, "classify", "failed", "not_aware"),
        entry("analyst-y", 1, "message", "applied", ""),
    ];
    for client in [&mut x, &mut y] {
        let tick = client.wait_for("tick 1", |f| kind(f) == "tick" && f["tick"] == 1).await;
        assert_eq!(log(&tick), expected);
        assert_eq!(tick["human"], true);
        let investigation = &tick["actions"][2];
        assert_eq!((investigation["lands"].as_u64(), investigation["lands_clock"].as_str()), (Some(3), Some("08:03")));
        assert!(tick["actions"][3]["message"].as_str().unwrap().contains("not detected"));
    }
    // The director's timeline gets the tick's actions, the refused one too.
    let dtick = director.wait_for("director tick 1", |f| kind(f) == "director_tick" && f["tick"] == 1).await;
    let fates: Vec<(String, String, String)> = dtick["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["team"].as_str().unwrap().into(),
                a["command"]["action"].as_str().unwrap().into(),
                a["fate"].as_str().unwrap().into(),
            )
        })
        .collect();
    for want in [("team-a", "classify", "failed"), ("team-a", "isolate", "refused"), ("team-a", "message", "applied")] {
        assert!(fates.contains(&(want.0.into(), want.1.into(), want.2.into())), "{want:?} in {fates:?}");
    }

    // The investigation lands; a new connection (a reconnect) sees the same log.
    director.acked(2, json!({"action": "step"})).await;
    director.acked(3, json!({"action": "step"})).await;
    x.wait_for("tick 3", |f| kind(f) == "tick" && f["tick"] == 3).await;
    let z = server.team("team-a", "analyst-x").await;
    let again = z.snapshot.clone();
    let mut landed = expected.clone();
    landed[2].3 = "applied".into();
    assert_eq!(log(&again), landed);
    // Team B sees none of team A's log.
    let b = server.team("team-b", "b").await;
    let theirs = b.snapshot.clone();
    assert!(log(&theirs).is_empty(), "{:?}", log(&theirs));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn takeover_silences_the_bot_without_another_action() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "takeover", &[]);
    let mut director = server.director().await;
    let mut b = server.team("team-b", "b").await;
    b.acked(1, json!({"action": "takeover"})).await;
    assert_eq!(b.rejected(2, json!({"action": "takeover"})).await, "already_human");
    director.acked(1, json!({"action": "step"})).await;
    let tick = b.wait_for("tick 1", |f| kind(f) == "tick" && f["tick"] == 1).await;
    assert_eq!(tick["human"], true);
    assert_eq!(tick["humans"], json!(["team-b"]));
    assert_eq!(
        log(&tick),
        [entry("b", 2, "takeover", "refused", "already_human"), entry("b", 1, "takeover", "applied", "")]
    );
    // Journaled once, as the client's own command; no host takeover.
    let takeovers: Vec<Value> =
        journal_commands(&server.journal).into_iter().filter(|c| c["command"]["action"] == "takeover").collect();
    assert_eq!(takeovers.len(), 1, "{takeovers:?}");
    assert_eq!((takeovers[0]["client"].as_str(), takeovers[0]["seq"].as_u64()), (Some("b"), Some(1)));
    // The next command journals no second takeover.
    b.acked(3, json!({"action": "harden", "asset": "b-core"})).await;
    let count = journal_commands(&server.journal).iter().filter(|c| c["command"]["action"] == "takeover").count();
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evaluator_s_note_is_journaled_with_its_tick_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "notes", &[]);
    let mut director = server.director().await;
    director.acked(1, json!({"action": "step"})).await;
    let note = json!({"action": "note", "text": "team-a hesitated", "team": "team-a", "rating": "M"});
    assert_eq!(director.acked(2, note.clone()).await, 2, "stamped for the next tick");
    assert_eq!(director.rejected(3, json!({"action": "note", "text": " "})).await, "empty_text");
    assert_eq!(director.rejected(4, json!({"action": "note", "text": "x", "team": "team-z"})).await, "unknown_team");
    let lines = journal_commands(&server.journal);
    let noted: Vec<&Value> = lines.iter().filter(|c| c["command"]["action"] == "note").collect();
    assert_eq!(noted.len(), 1);
    assert_eq!((noted[0]["team"].as_str(), noted[0]["tick"].as_u64()), (Some("director"), Some(2)));
    assert_eq!(noted[0]["command"], note);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_huge_or_deep_refused_commands_neither_blinds_clients_nor_hides_real_actions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "flood", &["--rate", "1000"]);
    let mut director = server.director().await;
    let mut x = server.team("team-a", "x").await;
    x.acked(1, json!({"action": "harden", "asset": "a-edge"})).await;
    // 125 levels deep (the most a server frame can quote and still parse) and
    // 60 KB of action name; then many small bad ones.
    let mut deep = json!(1);
    for _ in 0..120 {
        deep = json!([deep]);
    }
    assert_eq!(x.rejected(2, json!({"action": deep})).await, "bad_command");
    let huge = x.rejected(3, json!({"action": "A".repeat(60_000)})).await;
    assert_eq!(huge, "bad_command");
    for seq in 4..40 {
        x.rejected(seq, json!({"action": "isolate", "asset": "nowhere"})).await;
    }
    director.acked(1, json!({"action": "step"})).await;
    let tick = x.wait_for("tick 1", |f| kind(f) == "tick" && f["tick"] == 1).await;
    // The frame is small and a Rust client reads it.
    let raw = serde_json::to_string(&tick).unwrap();
    assert!(raw.len() < 32 * 1024, "{} bytes", raw.len());
    serde_json::from_str::<cascade_engine::wire::ServerMessage>(&raw).expect("the client's own types read it");
    // The applied harden is still there beside the newest refusals.
    let entries = log(&tick);
    assert!(entries.contains(&entry("x", 1, "harden", "running", "")), "{entries:?}");
    assert_eq!(entries.iter().filter(|e| e.3 == "refused").count(), 10, "the newest refusals only");
    let dtick = director.wait_for("director tick 1", |f| kind(f) == "director_tick" && f["tick"] == 1).await;
    let draw = serde_json::to_string(&dtick).unwrap();
    serde_json::from_str::<cascade_engine::wire::ServerMessage>(&draw).expect("the director's client reads it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_director_watches_a_team_s_view_live_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "watch", &[]);
    let mut director = server.director().await;
    let mut x = server.team("team-a", "x").await;
    x.acked(1, json!({"action": "harden", "asset": "a-edge"})).await;
    director.command(1, json!({"action": "watch", "team": "team-a"})).await;
    let now = director.wait_for("team-a's view", |f| kind(f) == "watched").await;
    assert_eq!((now["team"].as_str(), now["view"]["team"].as_str()), (Some("team-a"), Some("team-a")));
    assert_eq!(now["view"]["actions"][1]["fate"], "acknowledged", "its log, as its players see it");
    assert!(now["view"].get("hash").is_none(), "a team's view, not the director's");
    director.acked(2, json!({"action": "step"})).await;
    let next = director.wait_for("team-a's view at tick 1", |f| kind(f) == "watched" && f["view"]["tick"] == 1).await;
    assert_eq!(next["view"]["actions"][1]["fate"], "running");
    // Team B's players never get anyone's watched view, nor may they ask.
    let mut b = server.team("team-b", "b").await;
    assert_eq!(b.rejected(1, json!({"action": "watch", "team": "team-a"})).await, "bad_command");
    assert_eq!(director.rejected(3, json!({"action": "watch", "team": "team-z"})).await, "unknown_team");
    director.acked(4, json!({"action": "watch", "team": null})).await;
    director.acked(5, json!({"action": "step"})).await;
    director.wait_for("director tick 2", |f| kind(f) == "director_tick" && f["tick"] == 2).await;
    x.wait_for("tick 2", |f| kind(f) == "tick" && f["tick"] == 2).await;
    assert!(director.event_within(std::time::Duration::from_millis(300)).await.is_none_or(|e| match e {
        Event::Frame(f) => kind(&f) != "watched",
        Event::Closed(_) => false,
    }));
    assert!(b.raw.iter().all(|f| !f.contains("\"watched\"")));
}
