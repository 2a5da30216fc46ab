//! `cascade serve --branch JOURNAL --at TICK` end to end: a new live exercise
//! from the exact state of a recording at a tick, its journal, provenance
//! sidecar and tokens, and the errors that leave nothing behind.

#[path = "common/host.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::{Value, json};

/// `cascade run s.ron --ticks N --journal j.jsonl` in `dir` (a bots-only
/// recording of `scenario`); returns the journal.
fn record(dir: &Path, scenario: &str, ticks: u64) -> PathBuf {
    let file = dir.join("s.ron");
    std::fs::write(&file, scenario).unwrap();
    let journal = dir.join("j.jsonl");
    let out = Command::new(cascade_bin())
        .arg("run")
        .arg(&file)
        .args(["--ticks", &ticks.to_string(), "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    journal
}

/// The checkpoint hashes, by tick.
fn checkpoints(journal: &Path) -> Vec<String> {
    journal_lines(journal).iter().filter_map(|l| Some(l.get("hash")?.as_str()?.to_string())).collect()
}

fn sidecar(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".branch.json");
    PathBuf::from(name)
}

/// `cascade ARGS` in `dir`, with no terminal.
fn cascade(dir: &Path, args: &[&str]) -> Output {
    Command::new(cascade_bin()).current_dir(dir).args(args).output().unwrap()
}

/// Every file in `dir` (recursively), by name relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(
                files(&path).into_iter().map(|f| format!("{}/{f}", path.file_name().unwrap().to_string_lossy())),
            );
        } else {
            out.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_starts_from_the_recordings_state_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let source = record(dir.path(), SCENARIO, 12);
    let recorded = checkpoints(&source);
    assert_eq!(recorded.len(), 13);
    let branch = dir.path().join("b.jsonl");
    let server = Server::branch(dir.path(), &source, 5, Some(&branch), &[]);
    let origin = format!("branched from {} at tick 5 (hash {})", source.display(), recorded[5]);
    assert!(server.stdout.contains(&origin), "{:?}", server.stdout);

    // The new journal: the source's header but for started_at, checkpoints 0..=5.
    let (old, new) = (journal_lines(&source), journal_lines(&branch));
    assert_ne!(old[0]["started_at"], new[0]["started_at"]);
    let mut header = new[0].clone();
    header["started_at"] = old[0]["started_at"].clone();
    assert_eq!(header, old[0], "the header is the source's but for started_at");
    assert_eq!(checkpoints(&branch), recorded[..=5]);
    // Provenance beside it, and fresh tokens.
    let provenance: Value = serde_json::from_str(&std::fs::read_to_string(sidecar(&branch)).unwrap()).unwrap();
    let absolute = std::fs::canonicalize(&source).unwrap().display().to_string();
    assert_eq!(provenance, json!({"source": absolute, "at": 5, "hash": recorded[5]}));
    let tokens = Tokens::read(&tokens_beside(&branch));
    assert_eq!((&tokens.director, &tokens.teams), (&server.tokens.director, &server.tokens.teams));

    // The director finds it paused at tick 5, with the recording's hash.
    let mut d = server.director().await;
    assert_eq!((d.welcome["tick"].as_u64(), d.welcome["running"].as_bool()), (Some(5), Some(false)));
    assert_eq!(d.snapshot["tick"], 5);
    assert_eq!(d.snapshot["hash"], recorded[5].as_str());
    let a = server.team("team-a", "ui-a").await;
    assert_eq!(a.snapshot["tick"], 5);
    // One step, nothing changed: the same tick 6 as the recording.
    d.acked(1, json!({"action": "step"})).await;
    let view = d.view_at(6).await;
    assert_eq!(view["hash"], recorded[6].as_str());
    assert_eq!(last_checkpoint(&branch), (6, recorded[6].clone()));
    drop(server);
    let (ok, out, err) = replay_verify(&branch);
    assert!(ok, "{out}\n{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_keeps_the_commands_up_to_its_tick_and_drops_the_later_ones() {
    let dir = tempfile::tempdir().unwrap();
    // A live exercise: a command stamped for each of ticks 1 to 4, and one
    // acknowledged for tick 5 that tick 4's branch leaves out.
    let mut server = Server::start(dir.path(), "live", &[]);
    let mut d = server.director().await;
    let mut a = server.team("team-a", "ui-a").await;
    for tick in 1..=5u64 {
        let command = if tick == 1 {
            json!({"action": "investigate", "asset": "a-core"})
        } else {
            json!({"action": "message", "to": ["team-b"], "text": format!("t{tick}"), "tlp": "TLP:GREEN"})
        };
        assert_eq!(a.acked(tick, command).await, tick);
        if tick < 5 {
            d.acked(tick, json!({"action": "step"})).await;
            d.view_at(tick).await;
        }
    }
    server.kill9();
    let source = server.journal.clone();
    let recorded = checkpoints(&source);
    assert_eq!(recorded.len(), 5);

    let server = Server::branch(dir.path(), &source, 4, None, &[]);
    // The default name, under journals/ in the working directory.
    let name = server.journal.file_name().unwrap().to_string_lossy().into_owned();
    assert!(server.journal.starts_with(dir.path().join("journals")), "{}", server.journal.display());
    assert!(name.starts_with("live-branch-t4-") && name.ends_with(".jsonl"), "{name}");
    let branch = server.journal.clone();
    let kept: Vec<Value> = journal_commands(&source).into_iter().filter(|c| c["tick"].as_u64() <= Some(4)).collect();
    // The host's takeover of team-a, its four commands and the director's four steps.
    assert_eq!(kept.len(), 9, "{kept:?}");
    assert_eq!(journal_commands(&branch), kept, "the commands up to tick 4, not tick 5's");
    assert_eq!(checkpoints(&branch), recorded);

    // The team's client resends what it sent: what the branch kept is acked with
    // its tick, the dropped command is new, for tick 5. (As after --resume, a
    // (team, client, seq) journaled before the branch is never applied again: a
    // new console has a client id of its own.)
    let mut d = server.join(&server.tokens.director, "branch-console").await;
    let mut a = server.team("team-a", "ui-a").await;
    for seq in 1..=4 {
        let resend = kept.iter().find(|c| c["seq"] == seq && c["client"] == "ui-a").unwrap();
        assert_eq!(a.acked(seq, resend["command"].clone()).await, seq);
    }
    let fresh = json!({"action": "isolate", "asset": "a-core"});
    assert_eq!(a.acked(5, fresh.clone()).await, 5);
    d.acked(1, json!({"action": "step"})).await;
    d.view_at(5).await;
    assert_eq!(journaled(&branch, "team-a", "ui-a", 5)[0]["command"], fresh);
    drop(server);
    let (ok, out, err) = replay_verify(&branch);
    assert!(ok, "{out}\n{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_at_tick_0_keeps_the_teams_bots_do_not_play() {
    let dir = tempfile::tempdir().unwrap();
    // --bots team-a: team-b and csirt are human from tick 1. csirt's human
    // acts first (no takeover: it is human already); then a human plays team-a
    // too, whose takeover the host journals ahead of its command.
    let mut server = Server::start(dir.path(), "setup", &["--bots", "team-a"]);
    let mut c = server.team("csirt", "ui-c").await;
    let hello = json!({"action": "message", "to": ["team-b"], "text": "on duty", "tlp": "TLP:GREEN"});
    assert_eq!(c.acked(1, hello).await, 1);
    let mut a = server.team("team-a", "ui-a").await;
    assert_eq!(a.acked(1, json!({"action": "investigate", "asset": "a-core"})).await, 1);
    server.kill9();
    let source = server.journal.clone();
    let takeovers = |journal: &Path| -> Vec<(u64, String)> {
        journal_commands(journal)
            .into_iter()
            .filter(|c| c["command"]["action"] == "takeover")
            .map(|c| (c["tick"].as_u64().unwrap(), c["team"].as_str().unwrap().to_string()))
            .collect()
    };
    let set_up = vec![(1, "team-b".to_string()), (1, "csirt".to_string())];
    assert_eq!(takeovers(&source), [set_up.clone(), vec![(1, "team-a".to_string())]].concat());

    // From tick 0: the set-up's takeovers, not the one a human's command caused.
    let server = Server::branch(dir.path(), &source, 0, Some(&dir.path().join("b.jsonl")), &[]);
    assert_eq!(takeovers(&server.journal), set_up);
    let mut d = server.director().await;
    d.acked(1, json!({"action": "step"})).await;
    let view = d.view_at(1).await;
    let human = |id: &str| view["teams"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap()["human"].clone();
    assert_eq!((human("team-a"), human("team-b"), human("csirt")), (json!(false), json!(true), json!(true)));
    let branch = server.journal.clone();
    drop(server);
    let (ok, out, err) = replay_verify(&branch);
    assert!(ok, "{out}\n{err}");
}

#[test]
fn impossible_branches_are_refused_and_leave_no_journal() {
    let dir = tempfile::tempdir().unwrap();
    let source = record(dir.path(), &scenario_lasting(8), 8);
    // The same recording with a director `end` stamped for tick 3 (a host never
    // computes a tick after an end; only an edited journal has both).
    let ended = dir.path().join("ended.jsonl");
    let end = r#"{"tick":3,"team":"director","client":"c","seq":1,"command":{"action":"end"}}"#;
    let text = std::fs::read_to_string(&source).unwrap();
    let at = text.find(r#"{"checkpoint":3,"#).unwrap();
    std::fs::write(&ended, format!("{}{end}\n{}", &text[..at], &text[at..])).unwrap();
    let before = files(dir.path());
    let j = source.to_str().unwrap();
    // A busy address fails before anything is written.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = busy.local_addr().unwrap().to_string();
    let failures: [(&[&str], &str); 8] = [
        (&["serve", "--branch", j, "--at", "2", "--addr", &busy], "cannot listen on"),
        (&["serve", "--branch", "ended.jsonl", "--at", "5"], "the director ended the exercise at tick 3"),
        (&["serve", "--branch", j, "--at", "9", "--journal", "b.jsonl"], "last checkpoint is tick 8"),
        (
            &["serve", "--branch", j, "--at", "8", "--journal", "b.jsonl"],
            "the exercise is over then (it lasts 8 ticks)",
        ),
        (&["serve", "--branch", "missing.jsonl", "--at", "2", "--journal", "b.jsonl"], "missing.jsonl: cannot read"),
        (&["serve", "s.ron", "--at", "2", "--journal", "b.jsonl"], "--branch <JOURNAL>"),
        (&["serve", "s.ron", "--branch", j, "--at", "2"], "cannot be used with '[FILE]'"),
        (&["exercise", "--branch", j, "--at", "9"], "last checkpoint is tick 8"),
    ];
    for (args, message) in failures {
        let out = cascade(dir.path(), args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert_eq!(files(dir.path()), before, "{args:?} wrote something");
    }
    // A good branch gets as far as the console (which needs a terminal).
    let out = cascade(dir.path(), &["exercise", "--branch", j, "--at", "3"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a terminal"), "{out:?}");
    assert_eq!(files(dir.path()), before);
}
