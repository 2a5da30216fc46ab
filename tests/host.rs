//! `cascade serve` end to end (issue 4; DESIGN §5–§7): the real binary listening
//! on 127.0.0.1 port 0, websocket clients, the journal and the tokens on disk.
//!
//! Most tests drive the clock with the director's `step` so that every tick is
//! ours to choose; the others run it at 20–1000 ticks per second. Every wait is
//! bounded (common::TIMEOUT) and the server is SIGKILLed when a test ends.

#[path = "common/host.rs"]
mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tokio::time::Instant;

fn message(to: &[&str], text: &str, tlp: &str) -> Value {
    json!({"action": "message", "to": to, "text": text, "tlp": tlp})
}

fn asset<'a>(view: &'a Value, id: &str) -> Option<&'a Value> {
    view["assets"].as_array()?.iter().find(|a| a["id"] == id)
}

fn texts(view: &Value) -> Vec<String> {
    view["messages"].as_array().map(|m| m.iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()).unwrap()
}

fn has_text(view: &Value, text: &str) -> bool {
    is_view(view) && view["messages"].as_array().is_some_and(|m| m.iter().any(|m| m["text"] == text))
}

/// The journal holds exactly one line for (team, client, seq), stamped `tick`.
fn journaled_once(journal: &Path, team: &str, client: &str, seq: u64, tick: u64) {
    let lines = journaled(journal, team, client, seq);
    assert_eq!(lines.len(), 1, "({team}, {client}, {seq}) is journaled exactly once: {lines:?}");
    assert_eq!(lines[0]["tick"], tick, "({team}, {client}, {seq}) is stamped for the acked tick");
}

/// Whether any object in `value` has the key `key`.
fn has_key(value: &Value, key: &str) -> bool {
    match value {
        Value::Object(map) => map.contains_key(key) || map.values().any(|v| has_key(v, key)),
        Value::Array(items) => items.iter().any(|v| has_key(v, key)),
        _ => false,
    }
}

/// What a team frame may show (DESIGN §5): its own organisation's assets in
/// full, others' only as outages with a level, no state hash anywhere.
fn check_team_frames(client: &Client, organisation: &str) {
    for frame in client.frames() {
        assert!(!has_key(&frame, "hash"), "a team frame carries no state hash: {frame}");
        if !matches!(kind(&frame), "snapshot" | "tick") {
            continue;
        }
        if kind(&frame) == "snapshot" {
            assert_eq!(frame["organisation"], organisation);
        }
        for a in frame["assets"].as_array().unwrap() {
            assert_eq!(a["organisation"], organisation, "a team sees only its own assets in full: {a}");
        }
        // Absent from a tick frame when unchanged (tick frames are deltas).
        for o in frame["outages"].as_array().into_iter().flatten() {
            assert_ne!(o["organisation"], organisation, "own assets are not listed as outages: {o}");
            let keys: BTreeSet<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                BTreeSet::from(["id", "name", "organisation", "sector", "level"]),
                "another organisation's asset shows only its public outage: {o}"
            );
        }
    }
}

/// The other team is still served: a command of its is acknowledged, and its
/// next view is of a later tick than the last one it had.
async fn still_served(server: &mut Server, b: &mut Client, seq: u64) {
    assert!(server.alive(), "the server is still running");
    b.command(seq, message(&["team-b"], &format!("still here {seq}"), "TLP:RED")).await;
    let answer = b.answer(seq).await;
    assert_eq!(kind(&answer), "ack", "{answer}");
    let tick = answer["tick"].as_u64().unwrap();
    b.view_at(tick).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_small_exercise_with_two_teams_and_the_director() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "full", &["--speed", "20"]);
    assert!(server.stdout[0].starts_with("listening on ws://127.0.0.1:"), "{:?}", server.stdout);

    // The tokens: 128 random bits each, in two files readable by the owner only,
    // never in the journal.
    #[cfg(unix)]
    for path in [server.tokens_out.clone().unwrap(), tokens_beside(&server.journal)] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
        let tokens = Tokens::read(&path);
        assert_eq!(tokens.director, server.tokens.director);
        assert_eq!(tokens.teams, server.tokens.teams);
    }
    let mut all: Vec<&String> = server.tokens.teams.values().collect();
    all.push(&server.tokens.director);
    assert_eq!(server.tokens.teams.keys().collect::<Vec<_>>(), ["csirt", "team-a", "team-b"]);
    for token in &all {
        assert_eq!(token.len(), 32);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    }
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 4, "every token is different");

    let mut d = server.director().await;
    assert_eq!(d.welcome["role"], "director");
    assert_eq!(d.welcome["team"], "director");
    assert_eq!((d.welcome["tick"].as_u64(), d.welcome["running"].as_bool()), (Some(0), Some(false)));
    assert_eq!(d.welcome["scenario"], "Host test");
    assert_eq!(d.welcome["protocol"], 3);
    let mut a = server.team("team-a", "ui-a").await;
    assert_eq!((a.welcome["team"].as_str(), a.welcome["role"].as_str()), (Some("team-a"), Some("operator")));
    let mut b = server.team("team-b", "ui-b").await;
    assert_eq!((b.welcome["team"].as_str(), b.welcome["role"].as_str()), (Some("team-b"), Some("operator")));

    // Before the start, a command is stamped for tick 1.
    assert_eq!(a.acked(1, json!({"action": "investigate", "asset": "a-core"})).await, 1);
    journaled_once(&server.journal, "team-a", "ui-a", 1, 1);
    d.acked(1, json!({"action": "start"})).await;
    let outcome = a.outcome(1).await;
    assert_eq!((outcome["ok"].as_bool(), outcome["tick"].as_u64()), (Some(true), Some(1)), "{outcome}");

    // The investigation (2 ticks) finds the ransomware; A's view shows it.
    let found = a
        .wait_for("ransom-a detected on a-core", |v| {
            is_view(v) && asset(v, "a-core").is_some_and(|x| x["compromised"] == json!(["ransom-a"]))
        })
        .await;
    assert!(found["tick"].as_u64().unwrap() >= 3);
    assert!(found["indicators"].as_array().unwrap().contains(&json!("ransom-a")));

    // A isolates it; B sees alpha's core as an outage at the isolation cap.
    let stamped = a.acked(2, json!({"action": "isolate", "asset": "a-core"})).await;
    journaled_once(&server.journal, "team-a", "ui-a", 2, stamped);
    assert_eq!(a.outcome(2).await["ok"], true);
    // Isolation lands the tick after it is applied (1 tick), and holds the level
    // at the cap (200) from the cascade step after that.
    a.wait_for("a-core isolated and capped", |v| {
        is_view(v) && asset(v, "a-core").is_some_and(|x| x["isolated"] == true && x["level"].as_u64() <= Some(200))
    })
    .await;
    b.wait_for("a-core as an outage", |v| {
        is_view(v)
            // A whole list, or (tick frames are deltas) the changed entries.
            && v["outages"]
                .as_array()
                .into_iter()
                .chain(v["outages_changed"].as_array())
                .flatten()
                .any(|o| o["id"] == "a-core" && o["level"].as_u64() <= Some(200))
    })
    .await;

    // B works on its own degraded core, and A tells B what happened.
    let stamped = b.acked(1, json!({"action": "isolate", "asset": "b-core"})).await;
    journaled_once(&server.journal, "team-b", "ui-b", 1, stamped);
    assert_eq!(b.outcome(1).await["ok"], true);
    a.acked(3, message(&["team-b"], "Alpha to Bravo: our core is isolated", "TLP:GREEN")).await;
    let got = b.wait_for("A's message", |v| has_text(v, "Alpha to Bravo: our core is isolated")).await;
    let m = &got["messages"].as_array().unwrap()[0];
    assert_eq!((m["sender_team"].as_str(), m["tlp"].as_str()), (Some("team-a"), Some("TLP:GREEN")), "{m}");
    d.wait_for("A's message, for the director", |v| has_text(v, "Alpha to Bravo: our core is isolated")).await;

    // The director runs the clock fast to the end (200 ticks).
    d.acked(2, json!({"action": "speed", "ticks_per_second": 1000.0})).await;
    let end = d.wait_for("the end", |v| kind(v) == "clock" && v["ended"] == true).await;
    assert_eq!((end["tick"].as_u64(), end["running"].as_bool()), (Some(200), Some(false)), "{end}");
    let last = d.view_at(200).await;
    assert_eq!(last["tick"], 200);
    let hash = last["hash"].as_str().unwrap().to_string();
    for team in [&mut a, &mut b] {
        team.wait_for("the end", |v| kind(v) == "clock" && v["ended"] == true).await;
        assert_eq!(team.view_at(200).await["tick"], 200);
        assert_eq!(team.rejected(99, json!({"action": "harden", "asset": "a-core"})).await, "exercise_ended");
    }
    assert_eq!(d.rejected(3, json!({"action": "start"})).await, "exercise_ended");
    check_team_frames(&a, "alpha");
    check_team_frames(&b, "bravo");

    // The journal: a takeover per human team, journaled by the host just before
    // the team's first command; no token anywhere; and it replays to the same end.
    let commands = journal_commands(&server.journal);
    let takeovers: Vec<&Value> = commands.iter().filter(|c| c["command"]["action"] == "takeover").collect();
    assert_eq!(takeovers.len(), 2, "{takeovers:?}");
    for t in &takeovers {
        assert_eq!(t["client"], "host");
    }
    let first_a = commands.iter().position(|c| c["team"] == "team-a").unwrap();
    assert_eq!(commands[first_a]["command"]["action"], "takeover");
    let text = server.journal_text();
    for token in &all {
        assert!(!text.contains(token.as_str()), "tokens never go into the journal");
    }
    let checkpoints = journal_lines(&server.journal).iter().filter(|l| l.get("checkpoint").is_some()).count();
    assert_eq!(checkpoints, 201, "one checkpoint per tick, 0..=200");
    let (ok, out, err) = replay_verify(&server.journal);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains(&format!("tick 200 hash {hash}")), "the replay ends where the exercise ended: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_get_an_error_code_and_the_other_team_is_still_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "bad", &["--speed", "20"]);
    let mut d = server.director().await;
    let mut b = server.team("team-b", "ui-b").await;
    d.acked(1, json!({"action": "start"})).await;
    let mut seq_b = 0;
    let mut next = || {
        seq_b += 1;
        seq_b
    };

    // Before hello, on one connection that stays open throughout.
    let mut x = server.connect().await;
    let token_a = server.tokens.team("team-a").to_string();
    let before_hello: Vec<(String, &str)> = vec![
        ("this is not JSON".into(), "bad_json"),
        ("{\"type\": \"hello\", ".into(), "bad_json"),
        ("{\"type\": \"subscribe\"}".into(), "unknown_type"),
        ("{\"type\": \"welcome\", \"team\": \"team-a\"}".into(), "unknown_type"),
        ("{\"hello\": 1}".into(), "missing_type"),
        ("[1, 2, 3]".into(), "missing_type"),
        ("\"hello\"".into(), "missing_type"),
        ("{\"type\": 7}".into(), "missing_type"),
        (json!({"type": "hello", "token": token_a}).to_string(), "bad_message"),
        (json!({"type": "hello", "client": "x", "protocol": 3}).to_string(), "bad_message"),
        (json!({"type": "hello", "token": token_a, "client": "x", "protocol": "1"}).to_string(), "bad_message"),
        // A client cannot name its team: the token decides it.
        (
            json!({"type": "hello", "token": token_a, "client": "x", "protocol": 3, "team": "team-b"}).to_string(),
            "bad_message",
        ),
        (json!({"type": "hello", "token": token_a, "client": "", "protocol": 3}).to_string(), "bad_client"),
        (json!({"type": "hello", "token": token_a, "client": "host", "protocol": 3}).to_string(), "bad_client"),
        (json!({"type": "hello", "token": token_a, "client": "host-setup", "protocol": 3}).to_string(), "bad_client"),
        (json!({"type": "hello", "token": token_a, "client": "a b", "protocol": 3}).to_string(), "bad_client"),
        (json!({"type": "hello", "token": token_a, "client": "x".repeat(65), "protocol": 3}).to_string(), "bad_client"),
        (
            json!({"type": "command", "seq": 1, "command": {"action": "isolate", "asset": "a-core"}}).to_string(),
            "hello_first",
        ),
    ];
    for (frame, code) in &before_hello {
        x.send_text(frame.clone()).await;
        assert_eq!(x.error_code().await, *code, "{frame}");
    }
    x.send_binary(b"{\"type\":\"hello\"}".to_vec()).await;
    assert_eq!(x.error_code().await, "binary_frame");
    still_served(&mut server, &mut b, next()).await;

    // The same connection may still say hello, once.
    x.hello(&token_a, "ui-a").await;
    assert_eq!(x.welcome["team"], "team-a");
    x.send_hello(&token_a, "ui-a").await;
    assert_eq!(x.error_code().await, "already_hello");
    let after_hello: Vec<(Value, &str)> = vec![
        (json!({"type": "command", "seq": 1}), "bad_message"),
        (json!({"type": "command", "command": {"action": "isolate", "asset": "a-core"}}), "bad_message"),
        (json!({"type": "command", "seq": -1, "command": {"action": "isolate", "asset": "a-core"}}), "bad_message"),
        (json!({"type": "command", "seq": "1", "command": {"action": "isolate", "asset": "a-core"}}), "bad_message"),
        (json!({"type": "command", "seq": 1, "command": {"action": "isolate"}, "extra": 1}), "bad_message"),
        (json!({"type": "ack", "seq": 1, "tick": 1}), "unknown_type"),
    ];
    for (frame, code) in &after_hello {
        x.send(frame.clone()).await;
        assert_eq!(x.error_code().await, *code, "{frame}");
    }
    // Well-formed frames with commands the team may not give: a reject with the seq.
    let refused: Vec<(Value, &str)> = vec![
        (json!({"action": "isolate"}), "bad_command"),
        (json!({"action": "nuke", "asset": "b-core"}), "bad_command"),
        (json!({"action": "isolate", "asset": "a-core", "force": true}), "bad_command"),
        (json!("isolate a-core"), "bad_command"),
        (json!({"action": "start"}), "bad_command"),
        (json!({"action": "inject", "message": "fake news"}), "bad_command"),
        (json!({"action": "activate_piu", "level": 2}), "not_allowed_for_role"),
        (json!({"action": "isolate", "asset": "nowhere"}), "unknown_asset"),
        (message(&["team-z"], "hi", "TLP:RED"), "unknown_team"),
        (message(&[], "hi", "TLP:RED"), "no_recipients"),
        (message(&["team-b"], &"x".repeat(4001), "TLP:RED"), "text_too_long"),
    ];
    for (i, (command, code)) in refused.iter().enumerate() {
        assert_eq!(x.rejected(10 + i as u64, command.clone()).await, *code, "{command}");
        assert!(journaled(&server.journal, "team-a", "ui-a", 10 + i as u64).is_empty(), "a reject is not journaled");
    }
    // The director's commands are checked too.
    assert_eq!(d.rejected(2, json!({"action": "isolate", "asset": "a-core"})).await, "bad_command");
    assert_eq!(d.rejected(3, json!({"action": "inject", "message": "x", "to": ["team-z"]})).await, "unknown_team");
    assert_eq!(d.rejected(4, json!({"action": "inject", "message": " "})).await, "empty_inject");
    assert_eq!(d.rejected(5, json!({"action": "speed", "ticks_per_second": 0.0})).await, "bad_speed");
    still_served(&mut server, &mut b, next()).await;
    // And the connection is still good for real commands.
    let tick = x.acked(50, json!({"action": "harden", "asset": "a-edge"})).await;
    journaled_once(&server.journal, "team-a", "ui-a", 50, tick);
    let none_journaled = journal_commands(&server.journal)
        .iter()
        .all(|c| c["team"] != "team-a" || c["seq"] == 50 || c["client"] == "host");
    assert!(none_journaled, "only the accepted command (and the takeover) of team-a is journaled");
    still_served(&mut server, &mut b, next()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_frames_close_1009_and_the_other_team_is_still_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "big", &["--speed", "20"]);
    let mut d = server.director().await;
    let mut b = server.team("team-b", "ui-b").await;
    d.acked(1, json!({"action": "start"})).await;

    // Just under 64 KiB is a frame like any other (here a command refused on receipt).
    let mut a = server.team("team-a", "ui-a").await;
    a.command(1, message(&["team-b"], &"x".repeat(60_000), "TLP:RED")).await;
    let answer = a.answer(1).await;
    assert_eq!((kind(&answer), answer["code"].as_str()), ("reject", Some("text_too_long")), "{answer}");

    // A frame announcing more than 64 KiB: an error, then 1009; after hello and before.
    a.send_frame_header(64 * 1024 + 1).await;
    let (code, frames) = a.closing().await;
    let frames: Vec<Value> = frames.into_iter().filter(|f| !is_view(f)).collect();
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!((kind(&frames[0]), frames[0]["code"].as_str()), ("error", Some("frame_too_large")));
    assert_eq!(code, Some(1009));
    still_served(&mut server, &mut b, 1).await;
    let mut x = server.connect().await;
    x.send_frame_header(u64::MAX >> 1).await;
    let (code, frames) = x.closing().await;
    assert_eq!(frames[0]["code"], "frame_too_large", "{frames:?}");
    assert_eq!(code, Some(1009));

    // Whole oversize frames, 70 kB and 1 MB: the connection is closed the same
    // way. (The server stops reading mid-frame, so its close may reach this
    // client as a TCP reset that overtakes the close frame: the code is not
    // checked here.)
    for size in [70_000, 1 << 20] {
        let mut x = server.team("team-a", "ui-a").await;
        let text = format!(
            "{{\"type\":\"command\",\"seq\":2,\"command\":{{\"action\":\"message\",\"to\":[\"team-b\"],\"text\":\"{}\"}}}}",
            "y".repeat(size)
        );
        x.try_send_text(text).await;
        let (code, frames) = x.closing().await;
        assert!(matches!(code, Some(1009) | None), "{code:?}");
        let errors: Vec<&Value> = frames.iter().filter(|f| !is_view(f)).collect();
        assert!(errors.iter().all(|f| kind(f) == "error" && f["code"] == "frame_too_large"), "{errors:?}");
        still_served(&mut server, &mut b, size as u64).await;
    }
    assert!(journaled(&server.journal, "team-a", "ui-a", 2).is_empty());
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert_eq!(log.matches("frame over the limit").count(), 4, "each oversize frame was refused as such");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_tokens_close_1008_and_a_token_decides_the_team() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "tok", &["--speed", "20"]);
    // Another exercise: its tokens mean nothing here.
    let other = Server::start(dir.path(), "other", &["--speed", "20"]);
    let mut d = server.director().await;
    let mut b = server.team("team-b", "ui-b").await;
    d.acked(1, json!({"action": "start"})).await;

    let good = server.tokens.team("team-a").to_string();
    let mut flipped = good.clone().into_bytes();
    flipped[31] = if flipped[31] == b'0' { b'1' } else { b'0' };
    let wrong = vec![
        "0".repeat(32),
        String::from_utf8(flipped).unwrap(),
        good[..31].to_string(),
        format!("{good}0"),
        good.to_uppercase(),
        String::new(),
        "t".repeat(10_000),
        other.tokens.team("team-a").to_string(),
        other.tokens.director.clone(),
    ];
    for (i, token) in wrong.iter().enumerate() {
        if *token == good {
            continue; // uppercase of an all-digit token
        }
        let mut x = server.connect().await;
        x.send_hello(token, "ui-a").await;
        let (code, frames) = x.closing().await;
        assert_eq!(frames.len(), 1, "only an error before the close: {frames:?}");
        assert_eq!((kind(&frames[0]), frames[0]["code"].as_str()), ("error", Some("bad_token")), "{frames:?}");
        assert!(!x.all_text().contains(token.as_str()) || token.is_empty(), "the token is not echoed");
        assert_eq!(code, Some(1008), "wrong token {i}");
        still_served(&mut server, &mut b, i as u64 + 1).await;
    }
    // Another protocol (an older client's): 1008 as well.
    let mut x = server.connect().await;
    x.send(json!({"type": "hello", "token": good, "client": "ui-a", "protocol": 2})).await;
    let (code, frames) = x.closing().await;
    assert_eq!(frames[0]["code"], "bad_protocol");
    assert_eq!(code, Some(1008));

    // Team B's token makes a client team B, whatever it calls itself; it sees
    // bravo's assets only, and may not act on alpha's.
    let mut imposter = server.team("team-b", "team-a").await;
    assert_eq!(imposter.welcome["team"], "team-b");
    let snapshot = imposter.frames().into_iter().find(|f| kind(f) == "snapshot").unwrap();
    assert_eq!(snapshot["team"], "team-b");
    let ids: Vec<&str> = snapshot["assets"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["b-core"]);
    assert_eq!(imposter.rejected(1, json!({"action": "isolate", "asset": "a-core"})).await, "not_your_asset");
    still_served(&mut server, &mut b, 100).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_hello_in_time_closes_1008() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "slowhello", &["--speed", "20", "--hello-timeout-ms", "700"]);
    let mut d = server.director().await;
    let mut b = server.team("team-b", "ui-b").await;
    d.acked(1, json!({"action": "start"})).await;

    // Silent, and chatty without a valid hello: both are cut at the deadline.
    let started = Instant::now();
    let mut silent = server.connect().await;
    let mut chatty = server.connect().await;
    chatty.send_text("not json").await;
    assert_eq!(chatty.error_code().await, "bad_json");
    chatty.send(json!({"type": "hello", "token": server.tokens.team("team-a"), "client": "", "protocol": 3})).await;
    assert_eq!(chatty.error_code().await, "bad_client");
    chatty.send(json!({"type": "command", "seq": 1, "command": {"action": "harden", "asset": "a-edge"}})).await;
    assert_eq!(chatty.error_code().await, "hello_first");
    for x in [&mut silent, &mut chatty] {
        let (code, frames) = x.closing().await;
        assert_eq!(frames.len(), 1, "{frames:?}");
        assert_eq!(frames[0]["code"], "hello_timeout", "{frames:?}");
        assert_eq!(code, Some(1008));
    }
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(650) && waited < Duration::from_secs(5), "{waited:?}");
    // A hello in time is fine, however long the client then stays quiet.
    let mut a = server.team("team-a", "ui-a").await;
    let views = a.drain(Duration::from_millis(900)).await;
    assert!(views.iter().any(is_view), "still subscribed after the hello deadline");
    still_served(&mut server, &mut b, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_commands_per_second_than_allowed_are_refused_and_the_other_team_is_still_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "rate", &["--speed", "20", "--rate", "5"]);
    let mut d = server.director().await;
    let mut b = server.team("team-b", "ui-b").await;
    d.acked(1, json!({"action": "start"})).await;
    let mut a = server.team("team-a", "ui-a").await;
    // A burst of 20 commands: about 5 pass (the bucket), the rest are refused,
    // each with a reject that names its seq.
    for seq in 1..=20 {
        a.command(seq, message(&["team-a"], &format!("flood {seq}"), "TLP:RED")).await;
    }
    let (mut acked, mut limited) = (Vec::new(), BTreeSet::new());
    while acked.len() + limited.len() < 20 {
        let f = a.wait_for("an answer", |v| matches!(kind(v), "ack" | "error" | "reject")).await;
        match kind(&f) {
            "ack" => acked.push(f["seq"].as_u64().unwrap()),
            "reject" if f["code"] == "rate_limited" => assert!(limited.insert(f["seq"].as_u64().unwrap())),
            _ => panic!("{f}"),
        }
    }
    let answered: BTreeSet<u64> = acked.iter().copied().chain(limited.iter().copied()).collect();
    assert_eq!(answered, (1..=20).collect(), "one answer per seq");
    assert!((5..=8).contains(&acked.len()), "{} acked", acked.len());
    assert_eq!(acked[..5], [1, 2, 3, 4, 5], "the first ones pass");
    let journaled_seqs: BTreeSet<u64> = journal_commands(&server.journal)
        .iter()
        .filter(|c| c["client"] == "ui-a")
        .map(|c| c["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(journaled_seqs, acked.iter().copied().collect(), "exactly the acked commands are journaled");
    // The other team is untouched, and the flooder may go on once the bucket refills.
    still_served(&mut server, &mut b, 1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    a.acked(21, message(&["team-a"], "calmer now", "TLP:RED")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_says_so_and_closes_1013() {
    let dir = tempfile::tempdir().unwrap();
    // Four places, two of them kept for directors: the teams have two.
    let mut server = Server::start(dir.path(), "full-house", &["--max-connections", "4"]);
    let d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    // Connections that have not said hello take no joined place...
    let mut silent = Vec::new();
    for _ in 0..5 {
        silent.push(server.connect().await);
    }
    // ... a third hello finds the joined places taken.
    let mut x = server.connect().await;
    x.send_hello(server.tokens.team("team-b"), "ui-b").await;
    let (code, frames) = x.closing().await;
    assert_eq!(frames[0]["code"], "server_full", "{frames:?}");
    assert_eq!(code, Some(1013));
    // A director still finds a place kept for it.
    server.join(&server.tokens.director, "second-console").await.close().await;
    // A slot frees when a client leaves.
    d.close().await;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let mut y = server.connect().await;
        let hello = json!({"type": "hello", "token": server.tokens.team("team-b"), "client": "ui-b", "protocol": 3});
        y.try_send_text(hello.to_string()).await;
        match y.event().await {
            Event::Frame(f) if kind(&f) == "welcome" => break,
            other => assert!(Instant::now() < deadline, "no slot freed: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(server.alive());
    a.acked(1, json!({"action": "harden", "asset": "a-edge"})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tlp_restricted_messages_and_live_injects_never_reach_another_organisation() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "tlp", &[]);
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    let mut b = server.team("team-b", "ui-b").await;
    let mut c = server.team("csirt", "ui-c").await;

    // A finds the ransomware (investigate: 2 ticks), with the clock stepped by hand.
    a.acked(1, json!({"action": "investigate", "asset": "a-core"})).await;
    let mut dseq = 0;
    for tick in 1..=3 {
        dseq += 1;
        d.acked(dseq, json!({"action": "step"})).await;
        d.view_at(tick).await;
    }
    a.wait_for("indicators", |v| is_view(v) && v["indicators"] == json!(["ransom-a"])).await;

    // Restricted traffic for team A (and A's to the CSIRT), and public traffic.
    let secrets = [
        "RED-csirt-to-A-91f3",
        "AMBER-STRICT-csirt-to-A-22c1",
        "AMBER-csirt-to-A-7d0e",
        "RED-share-A-to-csirt-5b2a",
        "RED-A-to-csirt-0c4d",
        "LIVE-INJECT-for-A-6e1f",
    ];
    c.acked(1, message(&["team-a"], secrets[0], "TLP:RED")).await;
    c.acked(2, message(&["team-a"], secrets[1], "TLP:AMBER+STRICT")).await;
    c.acked(3, message(&["team-a"], secrets[2], "TLP:AMBER")).await;
    a.acked(
        2,
        json!({"action": "share", "to": ["csirt"], "tlp": "TLP:RED", "incident": "ransom-a", "text": secrets[3]}),
    )
    .await;
    a.acked(3, message(&["csirt"], secrets[4], "TLP:RED")).await;
    dseq += 1;
    d.acked(dseq, json!({"action": "inject", "from": "A's bank", "message": secrets[5], "to": ["team-a"]})).await;
    c.acked(4, message(&["team-b"], "GREEN-for-B", "TLP:GREEN")).await;
    c.acked(5, json!({"action": "public_statement", "text": "STATEMENT-for-all"})).await;
    dseq += 1;
    d.acked(dseq, json!({"action": "inject", "message": "INJECT-for-all"})).await;
    dseq += 1;
    d.acked(dseq, json!({"action": "step"})).await;

    // B gets the public ones at that tick ...
    let got = b.wait_for("the public messages", |v| has_text(v, "STATEMENT-for-all")).await;
    let mut got = texts(&got);
    got.sort();
    assert_eq!(got, ["GREEN-for-B", "INJECT-for-all", "STATEMENT-for-all"]);
    // ... A gets what is addressed to it and its own sends ...
    let got = a.wait_for("A's messages", |v| has_text(v, secrets[0])).await;
    let got = texts(&got).join("\n");
    for s in secrets.iter().chain(&["GREEN-for-B", "STATEMENT-for-all", "INJECT-for-all"]) {
        assert!(got.contains(s), "A sees {s} (GREEN goes to every team): {got}");
    }
    // ... the CSIRT what it sent and what A sent it, not A's inject ...
    let got = c.wait_for("the CSIRT's messages", |v| has_text(v, secrets[4])).await;
    let got = texts(&got).join("\n");
    for s in &secrets[..5] {
        assert!(got.contains(s), "the CSIRT sees {s}: {got}");
    }
    assert!(!got.contains(secrets[5]), "{got}");
    // ... and the director everything.
    let got = d.wait_for("everything", |v| has_text(v, secrets[0])).await;
    assert_eq!(got["messages"].as_array().unwrap().len(), 9, "{got}");

    // A few more ticks, and a fresh snapshot for B: nothing restricted, ever, in
    // any frame B received; not even the incident's name.
    for _ in 0..3 {
        dseq += 1;
        d.acked(dseq, json!({"action": "step"})).await;
    }
    let b2 = server.team("team-b", "ui-b2").await;
    b.view_at(7).await;
    let snapshot = b2.frames().into_iter().find(|f| kind(f) == "snapshot").unwrap();
    assert_eq!(snapshot["messages"].as_array().unwrap().len(), 3);
    for bravo in [&b, &b2] {
        let text = bravo.all_text();
        for s in secrets.iter().chain(&["ransom-a"]) {
            assert!(!text.contains(s), "team B received {s}");
        }
        check_team_frames(bravo, "bravo");
    }
    check_team_frames(&a, "alpha");
    check_team_frames(&c, "cert");
    // Team frames carry no hash; the director's do.
    for f in d.frames().iter().filter(|f| is_view(f)) {
        let hash = f["hash"].as_str().unwrap();
        assert!(hash.len() == 64 && hash.chars().all(|c| c.is_ascii_hexdigit()), "{hash}");
    }
    // B does see A's asset, as a public outage with a level only.
    let outage = b.view["outages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == "a-core")
        .cloned()
        .expect("a-core is degraded: a public outage");
    assert!(outage["level"].as_u64().unwrap() < 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_cannot_act_on_another_teams_asset() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "assets", &[]);
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    let mut b = server.team("team-b", "ui-b").await;
    let mut c = server.team("csirt", "ui-c").await;

    // Refused on receipt, never journaled, and nothing happens to the asset.
    for (seq, action) in ["investigate", "isolate", "restore", "harden"].iter().enumerate() {
        let seq = seq as u64 + 1;
        assert_eq!(a.rejected(seq, json!({"action": action, "asset": "b-core"})).await, "not_your_asset");
        assert_eq!(b.rejected(seq, json!({"action": action, "asset": "a-core"})).await, "not_your_asset");
    }
    let journal = &server.journal;
    assert!(journal_commands(journal).is_empty(), "refused commands are not journaled (no takeover either)");

    // The CSIRT's authority over its constituency needs a request first: accepted
    // on receipt, it fails when applied.
    c.acked(1, json!({"action": "isolate", "asset": "a-core"})).await;
    d.acked(1, json!({"action": "step"})).await;
    let outcome = c.outcome(1).await;
    assert_eq!((outcome["ok"].as_bool(), outcome["code"].as_str()), (Some(false), Some("no_authority_yet")));
    a.acked(10, json!({"action": "request_assistance", "csirt": "csirt"})).await;
    d.acked(2, json!({"action": "step"})).await;
    assert_eq!(a.outcome(10).await["ok"], true);
    c.acked(2, json!({"action": "isolate", "asset": "a-core"})).await;
    d.acked(3, json!({"action": "step"})).await;
    assert_eq!(c.outcome(2).await["ok"], true);
    d.acked(4, json!({"action": "step"})).await;
    let v = a.view_at(4).await;
    assert_eq!(asset(&v, "a-core").unwrap()["isolated"], true);
    // Bravo asked nobody: still no authority over b-core.
    c.acked(3, json!({"action": "isolate", "asset": "b-core"})).await;
    d.acked(5, json!({"action": "step"})).await;
    assert_eq!(c.outcome(3).await["code"], "no_authority_yet");
    b.view_at(5).await;
    let last_b = b.view.clone();
    assert_eq!(asset(&last_b, "b-core").unwrap()["isolated"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_command_is_acked_again_and_applied_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "resend", &[]);
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    let note = |text: &str| message(&["team-a"], text, "TLP:RED");

    assert_eq!(a.acked(7, note("once only")).await, 1);
    // Again on the same connection: acknowledged for the same tick. Another
    // command under that seq is refused, never acknowledged and dropped.
    assert_eq!(a.acked(7, note("once only")).await, 1);
    assert_eq!(a.rejected(7, note("something else")).await, "seq_reused");
    d.acked(1, json!({"action": "step"})).await;
    assert_eq!(a.outcome(7).await["ok"], true);
    // Later, from a new connection of the same client: still the first tick.
    let mut a2 = server.team("team-a", "ui-a").await;
    assert_eq!(a2.acked(7, note("once only")).await, 1);
    // The same seq from another client is another command.
    let mut other = server.team("team-a", "ui-other").await;
    assert_eq!(other.acked(7, note("from the other client")).await, 2);
    // And the director's seqs are its own.
    assert_eq!(d.acked(7, json!({"action": "inject", "message": "director seq 7"})).await, 2);
    d.acked(2, json!({"action": "step"})).await;
    d.acked(3, json!({"action": "step"})).await;
    let view = a2.view_at(3).await;
    assert_eq!(view["tick"], 3);

    journaled_once(&server.journal, "team-a", "ui-a", 7, 1);
    journaled_once(&server.journal, "team-a", "ui-other", 7, 2);
    journaled_once(&server.journal, "director", "director-console", 7, 2);
    // Applied once: one message "once only" in the whole exercise.
    let all = server.director().await;
    let snapshot = all.frames().into_iter().find(|f| kind(f) == "director_snapshot").unwrap();
    let texts = texts(&snapshot);
    assert_eq!(texts.iter().filter(|t| *t == "once only").count(), 1, "{texts:?}");
    assert!(!texts.contains(&"something else".to_string()));
    // The resends got no second outcome.
    let outcomes = a.frames().iter().chain(&a2.frames()).filter(|f| kind(f) == "outcome").count();
    assert_eq!(outcomes, 1);
    let (ok, out, err) = replay_verify(&server.journal);
    assert!(ok, "{out}\n{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_director_starts_pauses_resumes_steps_and_ends_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "clock", &["--speed", "25"]);
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    let views = |frames: &[Value]| {
        frames.iter().filter(|f| is_view(f)).map(|f| f["tick"].as_u64().unwrap()).collect::<Vec<_>>()
    };

    // Not started: no ticks.
    assert!(views(&d.drain(Duration::from_millis(300)).await).is_empty());
    assert_eq!(last_checkpoint(&server.journal).0, 0);

    // Step: exactly one tick each, and every client sees it.
    for (seq, tick) in [(1, 1), (2, 2)] {
        d.command(seq, json!({"action": "step"})).await;
        assert_eq!(d.answer(seq).await["tick"], tick, "a step is stamped for the next tick");
        assert_eq!(d.next_view().await["tick"], tick);
        assert_eq!(a.next_view().await["tick"], tick);
    }

    // Start: a clock frame for everyone, then ticks in order, none skipped.
    d.command(3, json!({"action": "start"})).await;
    for c in [&mut d, &mut a] {
        let clock = c.wait_for("the start", |v| kind(v) == "clock").await;
        assert_eq!((clock["running"].as_bool(), clock["tick"].as_u64()), (Some(true), Some(2)), "{clock}");
    }
    assert_eq!(d.answer(3).await["tick"], 3);
    let mut seen = Vec::new();
    while seen.len() < 8 {
        seen.push(d.next_view().await["tick"].as_u64().unwrap());
    }
    assert_eq!(seen, (3..=10).collect::<Vec<_>>());
    assert_eq!(d.rejected(4, json!({"action": "step"})).await, "running");

    // Pause: no tick after the clock frame says so.
    d.command(5, json!({"action": "pause"})).await;
    let paused = d.wait_for("the pause", |v| kind(v) == "clock").await;
    assert_eq!(paused["running"], false);
    let at = paused["tick"].as_u64().unwrap();
    let later = d.drain(Duration::from_millis(400)).await;
    assert!(views(&later).iter().all(|&t| t <= at), "ticks after the pause at {at}: {:?}", views(&later));
    assert_eq!(last_checkpoint(&server.journal).0, at);
    let a_paused = a.wait_for("the pause", |v| kind(v) == "clock" && v["running"] == false).await;
    assert_eq!(a_paused["tick"], at);

    // Speed while paused: the clock changes, nothing ticks.
    d.command(6, json!({"action": "speed", "ticks_per_second": 50.0})).await;
    let clock = d.wait_for("the speed", |v| kind(v) == "clock").await;
    assert_eq!((clock["ticks_per_second"].as_f64(), clock["running"].as_bool()), (Some(50.0), Some(false)));
    assert_eq!(d.rejected(7, json!({"action": "speed", "ticks_per_second": 5000.0})).await, "bad_speed");
    assert_eq!(d.rejected(8, json!({"action": "speed", "ticks_per_second": -1.0})).await, "bad_speed");

    // Resume: on from the next tick.
    d.command(9, json!({"action": "resume"})).await;
    let clock = d.wait_for("the resume", |v| kind(v) == "clock").await;
    assert_eq!((clock["running"].as_bool(), clock["tick"].as_u64()), (Some(true), Some(at)));
    let mut seen = Vec::new();
    while seen.len() < 5 {
        seen.push(d.next_view().await["tick"].as_u64().unwrap());
    }
    assert_eq!(seen, (at + 1..=at + 5).collect::<Vec<_>>());

    // End: for everyone, and then nothing more happens.
    d.command(10, json!({"action": "end"})).await;
    let end = d.wait_for("the end", |v| kind(v) == "clock").await;
    assert_eq!((end["ended"].as_bool(), end["running"].as_bool()), (Some(true), Some(false)), "{end}");
    let ended_at = end["tick"].as_u64().unwrap();
    a.wait_for("the end", |v| kind(v) == "clock" && v["ended"] == true).await;
    let later = d.drain(Duration::from_millis(300)).await;
    assert!(views(&later).iter().all(|&t| t <= ended_at), "ticks after the end: {:?}", views(&later));
    for (seq, action) in [(11, "step"), (12, "start"), (13, "resume")] {
        assert_eq!(d.rejected(seq, json!({"action": action})).await, "exercise_ended");
    }
    assert_eq!(a.rejected(1, json!({"action": "harden", "asset": "a-edge"})).await, "exercise_ended");

    // Every director command is journaled for the timeline; replay ignores the clock ones.
    let director: Vec<String> = journal_commands(&server.journal)
        .iter()
        .filter(|c| c["team"] == "director")
        .map(|c| c["command"]["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(director, ["step", "step", "start", "pause", "speed", "resume", "end"]);
    let (ok, out, err) = replay_verify(&server.journal);
    assert!(ok, "{out}\n{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_does_not_stall_the_others_and_is_closed_1013() {
    // 300 more assets: charlie-ops's view, which the slow console watches,
    // is some 60 kB every tick (the director's own tick frames are deltas).
    let dir = tempfile::tempdir().unwrap();
    // A client that reads nothing for a third of the idle timeout is too slow.
    let args = ["--speed", "50", "--idle-timeout-ms", "3000"];
    let server = Server::start_scenario(dir.path(), "slow", &bulky_scenario(300, 100_000), &args);
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;

    // A director console with a tiny receive window that says hello and never reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let addr = server.url.strip_prefix("ws://").unwrap().parse().unwrap();
    let stream = socket.connect(addr).await.unwrap();
    let mut slow = Client::over(&server.url, stream).await;
    slow.send_hello(&server.tokens.director, "slow-console").await;
    slow.command(1, json!({"action": "watch", "team": "charlie-ops"})).await;
    d.acked(1, json!({"action": "start"})).await;

    // For three seconds the others get every tick, on time (the director reads
    // in the background).
    let console = tokio::spawn(async move {
        let frames = d.drain(Duration::from_secs(3)).await;
        (d, frames)
    });
    let started = Instant::now();
    let first = a.next_view().await["tick"].as_u64().unwrap();
    let mut last = (first, Instant::now());
    let mut longest = Duration::ZERO;
    while started.elapsed() < Duration::from_secs(3) {
        let tick = a.next_view().await["tick"].as_u64().unwrap();
        assert_eq!(tick, last.0 + 1, "team A misses no tick");
        longest = longest.max(last.1.elapsed());
        last = (tick, Instant::now());
    }
    // 150 at 50 per second: leave room for a loaded machine, not for a stall.
    let ticks = last.0 - first;
    assert!(ticks >= 75, "only {ticks} ticks in 3 s at 50 per second");
    assert!(longest < Duration::from_secs(1), "a gap of {longest:?} between ticks");
    let (mut d, frames) = console.await.unwrap();
    let views: Vec<u64> = frames.iter().filter(|f| is_view(f)).map(|f| f["tick"].as_u64().unwrap()).collect();
    assert!(views.len() as u64 >= ticks / 2, "the director kept up too: {} views", views.len());
    assert!(views.windows(2).all(|w| w[1] == w[0] + 1), "the director misses no tick: {views:?}");

    // The slow one has been dropped by now: after a second of reading nothing
    // while its views piled up (the exercise gives up on it), or of a frame
    // waiting unwritten (its writer does) — whichever comes first; the server
    // logs either. When it reads, it finds what was queued, then 1013 — or a
    // reset, when its own unread input left no room for the close frame
    // (docs/protocol.md, *Closing*).
    let deadline = Instant::now() + TIMEOUT;
    let dropped = |log: &str| log.contains("read nothing for") || log.contains("waited unwritten");
    while !dropped(&std::fs::read_to_string(&server.log).unwrap()) {
        assert!(Instant::now() < deadline, "the slow client was never dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, frames) = slow.closing().await;
    assert_eq!(kind(&frames[0]), "welcome");
    assert!(matches!(code, Some(1013) | None), "closed as too slow after {} frames: {code:?}", frames.len());
    assert!(frames.len() < ticks as usize, "it got {} frames of {ticks} ticks", frames.len());
    d.acked(2, json!({"action": "pause"})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_director_that_fell_behind_gets_the_end_once_it_reads_again() {
    // 300 more assets: some 60 kB a view of charlie-ops, which the console
    // watches. A console with a tiny receive window starts the clock and
    // reads nothing until the exercise is over: far more views than its
    // queue holds, so it falls behind.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_scenario(dir.path(), "behind", &bulky_scenario(300, 300), &["--speed", "1000"]);
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let addr = server.url.strip_prefix("ws://").unwrap().parse().unwrap();
    let mut d = Client::over(&server.url, socket.connect(addr).await.unwrap()).await;
    d.send_hello(&server.tokens.director, "busy-console").await;
    d.command(1, json!({"action": "watch", "team": "charlie-ops"})).await;
    d.command(2, json!({"action": "start"})).await;
    let deadline = Instant::now() + TIMEOUT;
    while last_checkpoint(&server.journal).0 < 300 {
        assert!(Instant::now() < deadline, "the exercise did not end");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // No tick comes after the end: the host offers the lagging console its
    // snapshot between ticks, so it sees the last tick and the end.
    d.wait_for("the last tick", |v| is_view(v) && v["tick"] == 300).await;
    d.wait_for("the end", |v| kind(v) == "clock" && v["ended"] == true).await;
    let views: Vec<u64> = d.frames().iter().filter(|f| is_view(f)).map(|f| f["tick"].as_u64().unwrap()).collect();
    assert!(views.len() < 300, "it fell behind (got {} views)", views.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_comes_only_once_the_command_is_in_the_journal_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "durable", &["--speed", "50", "--rate", "1000"]);
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    d.acked(1, json!({"action": "start"})).await;
    let note = |seq: u64| message(&["team-a"], &format!("note {seq}"), "TLP:RED");
    // One at a time, and pipelined: whenever an ack arrives, its line is in the file.
    for seq in 1..=20 {
        let tick = a.acked(seq, note(seq)).await;
        journaled_once(&server.journal, "team-a", "ui-a", seq, tick);
    }
    for seq in 21..=60 {
        a.command(seq, note(seq)).await;
    }
    for seq in 21..=60 {
        let ack = a.answer(seq).await;
        assert_eq!(kind(&ack), "ack");
        journaled_once(&server.journal, "team-a", "ui-a", seq, ack["tick"].as_u64().unwrap());
    }
    // The stamps never go backwards, and each checkpoint follows its commands.
    let lines = journal_lines(&server.journal);
    let mut computed = 0;
    for line in &lines[1..] {
        if let Some(t) = line.get("checkpoint") {
            computed = t.as_u64().unwrap();
        } else {
            assert_eq!(line["tick"].as_u64().unwrap(), computed + 1, "stamped for the first tick not computed: {line}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hello_gets_its_welcome_and_snapshot_first_even_at_full_speed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_scenario(dir.path(), "hellos", &scenario_lasting(100_000), &["--speed", "1000"]);
    let mut d = server.director().await;
    d.acked(1, json!({"action": "start"})).await;
    for i in 0..100 {
        // Client::hello checks welcome, then snapshot of the welcome's tick, then clock.
        let mut c = if i % 2 == 0 { server.team("team-a", "ui-a").await } else { server.director().await };
        let next = c.next_view().await;
        assert!(next["tick"].as_u64() > c.welcome["tick"].as_u64(), "{next}");
        c.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_kill_9_the_resumed_exercise_is_the_same_exercise() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--speed", "50", "--rate", "1000"];
    let mut server = Server::start(dir.path(), "crash", &args);
    let journal = server.journal.clone();
    let tokens = server.tokens.clone();
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    let mut b = server.team("team-b", "ui-b").await;
    let command_a = |seq: u64| {
        if seq == 1 {
            json!({"action": "investigate", "asset": "a-core"})
        } else {
            message(&["team-b"], &format!("a {seq}"), "TLP:GREEN")
        }
    };
    let command_b = |seq: u64| message(&["team-a"], &format!("b {seq}"), "TLP:AMBER");
    // (team, client, seq, tick) of every ack received.
    let mut acked: Vec<(&str, &str, u64, u64)> = Vec::new();

    acked.push(("team-a", "ui-a", 1, a.acked(1, command_a(1)).await));
    acked.push(("director", "director-console", 1, d.acked(1, json!({"action": "start"})).await));
    let inject = json!({"action": "inject", "message": "before the crash", "to": ["team-a"]});
    acked.push(("director", "director-console", 2, d.acked(2, inject).await));
    // Commands while the clock runs, until tick 10 ...
    let mut seq = 1;
    loop {
        seq += 1;
        let tick = a.acked(seq, command_a(seq)).await;
        acked.push(("team-a", "ui-a", seq, tick));
        acked.push(("team-b", "ui-b", seq, b.acked(seq, command_b(seq)).await));
        if tick >= 10 {
            break;
        }
    }
    // ... then the director pauses, so that some acked commands surely wait for
    // a tick that is not computed yet when the server dies ...
    d.acked(3, json!({"action": "pause"})).await;
    for _ in 0..3 {
        seq += 1;
        acked.push(("team-a", "ui-a", seq, a.acked(seq, command_a(seq)).await));
        acked.push(("team-b", "ui-b", seq, b.acked(seq, command_b(seq)).await));
    }
    // ... and a burst, with kill -9 in the middle of it.
    let last_seq = seq + 10;
    for s in seq + 1..=last_seq {
        a.command(s, command_a(s)).await;
        b.command(s, command_b(s)).await;
    }
    server.kill9();
    for (team, client, c) in [("team-a", "ui-a", &mut a), ("team-b", "ui-b", &mut b)] {
        let (_, frames) = c.closing().await;
        for f in frames.iter().filter(|f| kind(f) == "ack") {
            acked.push((team, client, f["seq"].as_u64().unwrap(), f["tick"].as_u64().unwrap()));
        }
    }
    // Nothing acknowledged is lost.
    for &(team, client, seq, tick) in &acked {
        journaled_once(&journal, team, client, seq, tick);
    }
    let (crash_tick, crash_hash) = last_checkpoint(&journal);
    // The last ack before the pause was stamped for tick 10 or later, so at least
    // tick 9 had been computed (a tick may or may not have run before the pause).
    assert!(crash_tick >= 9, "crash at tick {crash_tick}");
    let pending = journal_commands(&journal).iter().filter(|c| c["tick"].as_u64() > Some(crash_tick)).count();
    assert!(pending >= 6, "acked commands wait for tick {}", crash_tick + 1);

    // Resume: same tokens, paused at the last checkpoint, with its hash.
    let server = Server::resume(&journal, &args);
    assert_eq!((&server.tokens.director, &server.tokens.teams), (&tokens.director, &tokens.teams));
    let mut d = server.director().await;
    assert_eq!(d.welcome["tick"], crash_tick);
    assert_eq!(d.welcome["running"], false);
    assert_eq!(d.snapshot["hash"], crash_hash.as_str(), "the first snapshot after resume is the last checkpoint");
    let team_a = server.team("team-a", "ui-a").await;
    assert_eq!(team_a.snapshot["tick"], crash_tick);
    let mut a = team_a;
    let mut b = server.team("team-b", "ui-b").await;

    // The clients resend everything: what is journaled is acked again with its
    // tick; what is not is new, for the tick after the checkpoint.
    for (team, client, c) in [("team-a", "ui-a", &mut a), ("team-b", "ui-b", &mut b)] {
        for s in 1..=last_seq {
            let before = journaled(&journal, team, client, s);
            let command = if team == "team-a" { command_a(s) } else { command_b(s) };
            let tick = c.acked(s, command).await;
            match before.as_slice() {
                [line] => assert_eq!(line["tick"], tick, "a resend after resume keeps its tick"),
                [] => assert_eq!(tick, crash_tick + 1),
                more => panic!("journaled twice: {more:?}"),
            }
            acked.push((team, client, s, tick));
        }
    }
    acked.sort();
    acked.dedup();

    // Nothing runs until the director resumes; then the exercise goes on.
    let quiet = d.drain(Duration::from_millis(200)).await;
    assert!(quiet.iter().all(|f| !is_view(f)), "paused after resume: {quiet:?}");
    d.acked(4, json!({"action": "resume"})).await;
    // A seq never used before (the loop above may have gone far: acks are fast).
    let fresh = last_seq + 1;
    let stamped = a.acked(fresh, json!({"action": "isolate", "asset": "a-core"})).await;
    acked.push(("team-a", "ui-a", fresh, stamped));
    d.view_at(crash_tick + 10).await;
    assert_eq!(a.outcome(fresh).await["ok"], true);
    d.command(5, json!({"action": "end"})).await;
    let end = d.wait_for("the end", |v| kind(v) == "clock" && v["ended"] == true).await;
    assert_eq!(kind(&d.answer(5).await), "ack");
    let end_tick = end["tick"].as_u64().unwrap();
    let last =
        d.frames().into_iter().rev().find(|f| is_view(f) && f["tick"] == end_tick).expect("the last tick's view");
    assert_eq!(last_checkpoint(&journal), (end_tick, last["hash"].as_str().unwrap().to_string()));
    // Every journaled message command was applied exactly once, across the crash.
    let console = server.join(&tokens.director, "another-console").await;
    let texts = texts(&console.snapshot);
    for line in journal_commands(&journal).iter().filter(|c| c["command"]["action"] == "message") {
        let text = line["command"]["text"].as_str().unwrap();
        assert_eq!(texts.iter().filter(|t| *t == text).count(), 1, "{text:?} applied once: {texts:?}");
    }
    drop(server);

    // Every acked command is journaled once; and the whole journal — before the
    // crash, the requeued commands, after the resume — replays to the same hashes
    // as this run computed.
    for &(team, client, seq, tick) in &acked {
        journaled_once(&journal, team, client, seq, tick);
    }
    let (ok, out, err) = replay_verify(&journal);
    assert!(ok, "{out}\n{err}");
    assert!(out.contains(&format!("tick {end_tick} hash {}", last["hash"].as_str().unwrap())), "{out}");
}

/// The `connections` of each team in a `presence` frame, in frame order.
fn presence(frame: &Value) -> Vec<(String, u64)> {
    assert_eq!(kind(frame), "presence", "{frame}");
    let teams = frame["teams"].as_array().unwrap();
    teams.iter().map(|t| (t["team"].as_str().unwrap().to_string(), t["connections"].as_u64().unwrap())).collect()
}

fn counts(a: u64, b: u64, csirt: u64) -> Vec<(String, u64)> {
    vec![("team-a".into(), a), ("team-b".into(), b), ("csirt".into(), csirt)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_director_sees_which_teams_are_connected() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "presence", &[]);
    // Right after the welcome, snapshot and clock: every team, in scenario order.
    let mut d = server.director().await;
    assert_eq!(presence(&d.frame().await), counts(0, 0, 0));
    // A second director is told too, and its arrival changes no team's count.
    let mut d2 = server.join(&server.tokens.director, "second-console").await;
    assert_eq!(presence(&d2.frame().await), counts(0, 0, 0));

    let mut a = server.team("team-a", "ui-a").await;
    assert_eq!(presence(&d.frame().await), counts(1, 0, 0));
    assert_eq!(presence(&d2.frame().await), counts(1, 0, 0));
    let a2 = server.team("team-a", "ui-a-laptop").await;
    assert_eq!(presence(&d.frame().await), counts(2, 0, 0));
    let b = server.team("team-b", "ui-b").await;
    assert_eq!(presence(&d.frame().await), counts(2, 1, 0));

    // Closing a connection, or a connection dropping, counts down.
    a2.close().await;
    assert_eq!(presence(&d.frame().await), counts(1, 1, 0));
    b.close().await;
    assert_eq!(presence(&d.frame().await), counts(1, 0, 0));
    a.acked(1, message(&["team-b"], "hello", "TLP:GREEN")).await;
    a.close().await;
    let last = d.wait_for("presence", |v| kind(v) == "presence").await;
    assert_eq!(presence(&last), counts(0, 0, 0));

    // A director leaving changes no count; teams never get presence frames.
    let mut c = server.team("csirt", "ui-c").await;
    assert_eq!(presence(&d.frame().await), counts(0, 0, 1));
    d2.close().await;
    c.acked(1, message(&["team-a"], "anyone?", "TLP:GREEN")).await;
    assert!(d.drain(Duration::from_millis(200)).await.iter().all(|f| kind(f) != "presence"));
    assert!(c.frames().iter().all(|f| kind(f) != "presence"), "{:?}", c.frames());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_client_counts_as_gone_after_the_idle_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "idle", &["--idle-timeout-ms", "600"]);
    // The director keeps reading (its library answers the pings); team-b's
    // client joins, then never reads again, as a suspended laptop would.
    let mut d = server.director().await;
    let mut b = server.team("team-b", "ui-b").await;
    d.wait_for("team-b connected", |f| kind(f) == "presence" && presence(f) == counts(0, 1, 0)).await;
    let started = tokio::time::Instant::now();
    d.wait_for("team-b gone", |f| kind(f) == "presence" && presence(f) == counts(0, 0, 0)).await;
    assert!(started.elapsed() >= Duration::from_millis(300), "gone too soon: {:?}", started.elapsed());
    // Its connection was closed ("going away", 1001; a client that reads only
    // now may instead fail answering the pings queued meanwhile).
    let (code, _) = b.closing().await;
    assert!(matches!(code, Some(1001) | None), "{code:?}");
    // The director, which answered every ping, is still there.
    d.acked(1, json!({"action": "step"})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_bots_for_some_teams_the_others_are_taken_over_at_tick_1() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), "bots", &["--bots", "team-a"]);
    // The host's takeovers come first, stamped for tick 1, in scenario order.
    let lines = journal_lines(&server.journal);
    assert_eq!(lines[1], json!({"checkpoint": 0, "hash": lines[1]["hash"]}));
    let takeover = |team: &str, seq: u64| json!({"tick": 1, "team": team, "client": "host-setup", "seq": seq, "command": {"action": "takeover"}});
    assert_eq!(lines[2..], [takeover("team-b", 1), takeover("csirt", 2)], "{lines:?}");

    // The director sees team-b human from tick 1, team-a still a bot; a human's
    // first command takes over no team twice.
    let mut d = server.director().await;
    let mut b = server.team("team-b", "ui-b").await;
    assert_eq!(b.acked(1, message(&["team-a"], "we are here", "TLP:GREEN")).await, 1);
    d.acked(1, json!({"action": "step"})).await;
    let view = d.view_at(1).await;
    let human = |id: &str| view["teams"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap()["human"].clone();
    assert_eq!((human("team-a"), human("team-b"), human("csirt")), (json!(false), json!(true), json!(true)));
    let takeovers: Vec<Value> =
        journal_commands(&server.journal).into_iter().filter(|c| c["command"]["action"] == "takeover").collect();
    assert_eq!(takeovers, [takeover("team-b", 1), takeover("csirt", 2)]);
    drop(server);
    let journal = dir.path().join("bots.jsonl");
    let (ok, out, err) = replay_verify(&journal);
    assert!(ok, "{out}\n{err}");
}

#[test]
fn an_unknown_team_for_bots_is_named_and_no_journal_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.ron");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let journal = dir.path().join("j.jsonl");
    let out = std::process::Command::new(cascade_bin())
        .current_dir(dir.path())
        .arg("serve")
        .arg(&scenario)
        .args(["--bots", "team-a,csirtt", "--addr", "127.0.0.1:0", "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(1 | 2)), "{:?} {stderr}", out.status);
    assert!(stderr.contains("unknown team \"csirtt\" (did you mean \"csirt\"?)"), "{stderr}");
    assert!(stderr.contains("team-a, team-b, csirt"), "{stderr}");
    assert!(!journal.exists() && !tokens_beside(&journal).exists());
    assert!(!dir.path().join("journals").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_exercise_runs_at_the_directors_last_speed_unless_told_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), "speedy", &[]);
    let journal = server.journal.clone();
    let mut d = server.director().await;
    d.acked(1, json!({"action": "speed", "ticks_per_second": 7})).await;
    d.acked(2, json!({"action": "speed", "ticks_per_second": 3.5})).await;
    d.acked(3, json!({"action": "step"})).await;
    server.kill9();

    // Without --speed: the journal's last, and the host says so.
    let mut server = Server::resume(&journal, &[]);
    let d = server.director().await;
    assert_eq!(d.welcome["ticks_per_second"], 3.5);
    assert!(
        server
            .stdout
            .iter()
            .any(|l| l == "speed 3.5 ticks per second, the director's last in the journal (--speed sets another)"),
        "{:?}",
        server.stdout
    );
    server.kill9();
    // --speed wins.
    let server = Server::resume(&journal, &["--speed", "2"]);
    let d = server.director().await;
    assert_eq!(d.welcome["ticks_per_second"], 2.0);
    assert!(!server.stdout.iter().any(|l| l.starts_with("speed ")), "{:?}", server.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_director_is_told_when_the_clock_runs_behind_its_schedule() {
    // 2,000 more assets at 1,000 ticks per second: more than a debug build
    // computes, journals and sends in a millisecond.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_scenario(dir.path(), "behind", &bulky_scenario(2000, 100_000), &["--speed", "1000"]);
    let mut d = server.director().await;
    assert_eq!(d.welcome["running"], false);
    d.acked(1, json!({"action": "start"})).await;
    let late =
        d.wait_for("a clock behind its schedule", |v| kind(v) == "clock" && v["behind_ms"].as_u64() > Some(0)).await;
    assert_eq!(late["running"], true, "{late}");
    // Slowed down to what it can do, it is told it is on time again.
    d.acked(2, json!({"action": "speed", "ticks_per_second": 1})).await;
    d.wait_for("a clock on time", |v| kind(v) == "clock" && v["behind_ms"] == 0 && v["ticks_per_second"] == 1.0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_country_reaches_the_director_summarised_and_the_rest_on_request() {
    // 3,000 of charlie's assets at integrity 700 (affected from tick 0) beside
    // alpha's and bravo's: more than DIRECTOR_ASSETS (2,000).
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_scenario(dir.path(), "large", &bulky_scenario(3000, 200), &[]);
    let mut d = server.director().await;
    let snapshot = d.snapshot.clone();
    assert_eq!(kind(&snapshot), "director_snapshot");
    assert_eq!(snapshot["assets_total"], 3003);
    let ids: Vec<&str> = snapshot["assets"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2000, "at most DIRECTOR_ASSETS assets, the affected ones");
    assert!(ids.iter().all(|id| id.starts_with("c-")), "only affected assets: {:?}", &ids[..5]);
    let charlie = snapshot["organisations"].as_array().unwrap();
    assert_eq!(charlie.len(), 1, "{charlie:?}");
    assert_eq!(
        (&charlie[0]["id"], &charlie[0]["assets"], &charlie[0]["affected"], &charlie[0]["lowest_level"]),
        (&json!("charlie"), &json!(3000), &json!(3000), &json!(700))
    );

    // The healthy asset the view left out, found by its name.
    d.send(json!({"type": "assets", "filter": "ALPHA EDGE"})).await;
    let page = d.wait_for("a page of assets", |v| kind(v) == "assets").await;
    assert_eq!((&page["filter"], &page["from"], &page["total"]), (&json!("ALPHA EDGE"), &json!(0), &json!(1)));
    assert_eq!(page["assets"][0]["id"], "a-edge");
    assert_eq!(page["assets"][0]["level"], 1000);
    // Pages of at most 2,000, from where asked.
    d.send(json!({"type": "assets", "filter": "charlie", "from": 2500})).await;
    let page = d.wait_for("the second page", |v| kind(v) == "assets" && v["filter"] == "charlie").await;
    assert_eq!((&page["total"], page["assets"].as_array().unwrap().len()), (&json!(3000), 500));
    assert_eq!(page["assets"][0]["id"], "c-2500");
    // A filter too long is refused, and so is a team's request.
    d.send(json!({"type": "assets", "filter": "x".repeat(201)})).await;
    let refused = d.wait_for("a refusal", |v| kind(v) == "error").await;
    assert_eq!(refused["code"], "bad_message", "{refused}");
    let mut a = server.team("team-a", "ui-a").await;
    a.send(json!({"type": "assets", "filter": ""})).await;
    let refused = a.wait_for("a refusal", |v| kind(v) == "error").await;
    assert_eq!(refused["code"], "director_only", "{refused}");
    // Asking changes nothing: nothing is journaled (a command after the
    // requests is, so the journal is up to date when read).
    a.acked(1, json!({"action": "investigate", "asset": "a-core"})).await;
    let journal = server.journal_text();
    assert!(journal.contains("\"investigate\""));
    assert!(!journal.contains("ALPHA EDGE") && !journal.contains("\"from\":2500"), "{} lines", journal.lines().count());
}
