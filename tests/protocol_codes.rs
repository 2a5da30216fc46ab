//! docs/protocol.md's code tables are what the host sends. Two walks:
//! - live: every row of *Error codes* and *Reject codes* is provoked against
//!   the real `cascade serve`, and the code that comes back (and the close
//!   code, for errors) is the documented one;
//! - static: every code the engine and the host can send appears in the
//!   document's tables, in the right one, and every documented code is one
//!   they can send.
//!
//! A new code without a row, or a row without a provocation here, fails.

#[path = "common/host.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use serde_json::{Value, json};

const SCENARIO: &str = r#"Scenario(
    name: "Protocol codes",
    seed: 3,
    duration_ticks: 100,
    start: "2026-03-10T08:00",
    sectors: [Sector(id: "energy"), Sector(id: "telecom")],
    organisations: [
        Organisation(id: "alpha", kind: Operator, sector: "energy"),
        Organisation(id: "bravo", kind: Operator, sector: "telecom"),
        Organisation(id: "cert", kind: Csirt, constituency: ["alpha", "bravo"]),
        Organisation(id: "regulator", kind: Authority),
        Organisation(id: "state", kind: CrisisCell),
    ],
    assets: [
        Asset(id: "a-core", name: "Alpha core", organisation: "alpha", sector: "energy", population: 1000),
        Asset(id: "b-core", name: "Bravo core", organisation: "bravo", sector: "telecom", population: 800),
    ],
    teams: [
        Team(id: "team-a", organisation: "alpha", role: Operator),
        Team(id: "alpha-soc", organisation: "alpha", role: Csirt),
        Team(id: "team-b", organisation: "bravo", role: Operator),
        Team(id: "csirt", organisation: "cert", role: Csirt),
        Team(id: "cell", organisation: "state", role: CrisisCell),
    ],
    incidents: [Incident(id: "ransom-a", kind: Ransomware, targets: ["a-core"], start: 1)],
    regimes: [Regime(id: "nis2", preset: Nis2, authority: "regulator", sectors: ["energy"])],
)
"#;

/// Codes no test here can provoke, and why.
const NOT_PROVOKED: [(&str, &str); 2] = [
    ("journal_error", "needs a disk that fails under a running host"),
    ("inject_fired", "needs a scenario with injects: tests/msel_control.rs provokes it"),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The codes in the first column of the table under `heading` (a `### `
/// line), in order.
fn table_codes(doc: &str, heading: &str) -> Vec<(String, Vec<String>)> {
    let start = doc.find(&format!("\n### {heading}\n")).unwrap_or_else(|| panic!("no section {heading:?}"));
    let section = &doc[start + heading.len() + 6..];
    let section = &section[..section.find("\n#").unwrap_or(section.len())];
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<String> = line.trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect();
        rows.push((cells[0].trim_matches('`').to_string(), cells[1..].to_vec()));
    }
    assert!(!rows.is_empty(), "the {heading:?} table has rows");
    rows
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/protocol.md")).unwrap()
}

/// Every code literal that follows one of `calls` (the first string
/// literal among the arguments) in the Rust file `path` or the files under
/// it, with the file it is in.
fn literals(path: &Path, calls: &[&str]) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            found.extend(literals(&entry.unwrap().path(), calls));
        }
        return found;
    }
    if path.extension().is_none_or(|e| e != "rs") {
        return found;
    }
    let text = std::fs::read_to_string(path).unwrap();
    // Unit tests quote codes too; only the code above them counts.
    let text = &text[..text.find("#[cfg(test)]").unwrap_or(text.len())];
    for call in calls {
        for (at, _) in text.match_indices(call) {
            // The code is the first string literal among the arguments.
            let rest = text[at + call.len()..].trim_start_matches(|c: char| {
                c.is_alphanumeric() || c == '_' || c == ',' || c == '&' || c.is_whitespace()
            });
            let Some(rest) = rest.strip_prefix('"') else { continue };
            let code = &rest[..rest.find('"').unwrap()];
            if !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                found.insert(code.to_string(), path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn every_code_the_engine_and_host_can_send_is_documented_in_its_table() {
    let doc = doc();
    let table = |heading| table_codes(&doc, heading).into_iter().map(|(c, _)| c).collect::<BTreeSet<String>>();
    let (errors, rejects, outcomes) = (table("Error codes"), table("Reject codes"), table("Outcome codes"));
    // A share of unheld indicators is refused on receipt; the same check at
    // the tick only fails commands journaled before that (older journals).
    // An MSEL order on an inject that fired is refused on receipt; two fires
    // stamped for one tick make the second fail at the tick.
    let in_both = |c: &&String| !["indicators_not_held", "inject_fired"].contains(&c.as_str());
    for (a, b) in [(&errors, &rejects), (&errors, &outcomes), (&rejects, &outcomes)] {
        let shared: Vec<&String> = a.intersection(b).filter(in_both).collect();
        assert!(shared.is_empty(), "a code in two tables: {shared:?}");
    }
    // The engine: receipt checks (command.rs) are rejects, checks at the tick
    // (orders.rs) are outcomes. `team_only` guards an engine call the host
    // never makes with a team action (it parses the director's first).
    let engine = root().join("engine/src/exercise");
    let receipt = literals(&engine.join("command.rs"), &["Refusal::new("]);
    let at_tick = literals(&engine.join("orders.rs"), &["Refusal::new("]);
    // Simulation::check_command adds the receipt checks that read the state.
    // Simulation::check_command adds the receipt checks that read the state, and
    // wire.rs checks a director's note.
    let state_receipt = literals(&root().join("engine/src/simulation.rs"), &["Refusal::new("]);
    let note_receipt = literals(&root().join("engine/src/wire.rs"), &["Refusal::new("]);
    let receipt: BTreeSet<String> = receipt
        .into_keys()
        .chain(state_receipt.into_keys())
        .chain(note_receipt.into_keys())
        .filter(|c| c != "team_only")
        .collect();
    let at_tick: BTreeSet<String> = at_tick.into_keys().collect();
    assert_eq!(&at_tick, &outcomes, "engine outcome codes (orders.rs) against the Outcome codes table");
    let missing: Vec<&String> = receipt.difference(&rejects).collect();
    assert!(missing.is_empty(), "engine receipt codes not in the Reject codes table: {missing:?}");
    // The host.
    let host = root().join("host/src");
    let host_rejects: BTreeSet<String> =
        literals(&host, &["Self::reject(", "Reject { seq, code: ", "Err(("]).into_keys().collect();
    let host_errors: BTreeSet<String> =
        literals(&host, &["refuse(", "error(", "Refusal { code: ", "Error { code: "]).into_keys().collect();
    let missing: Vec<&String> = host_rejects.difference(&rejects).collect();
    assert!(missing.is_empty(), "host reject codes not in the Reject codes table: {missing:?}");
    assert_eq!(&host_errors, &errors, "host error codes against the Error codes table");
    // And nothing documented that nobody sends.
    let sent: BTreeSet<String> = receipt.union(&host_rejects).cloned().collect();
    let unsent: Vec<&String> = rejects.difference(&sent).collect();
    assert!(unsent.is_empty(), "documented reject codes nobody sends: {unsent:?}");
}

/// A connection on `server` that has said hello with `token`.
async fn joined(server: &Server, token: &str, client: &str) -> Client {
    server.join(token, client).await
}

/// What came back for an error provocation: the error code and the close
/// code (`None` if the connection stayed open).
struct Got {
    code: String,
    close: Option<u16>,
}

/// Reads the next error; then, if `still_open_with` gives a frame, checks
/// the connection still answers it (so it did not close).
async fn error_then(c: &mut Client, still_open_with: Option<Value>) -> Got {
    let f = c.wait_for("an error or the close", |v| kind(v) == "error").await;
    let code = f["code"].as_str().unwrap().to_string();
    match still_open_with {
        Some(frame) => {
            c.send(frame).await;
            c.wait_for("an answer after the error", |v| matches!(kind(v), "welcome" | "ack" | "reject")).await;
            Got { code, close: None }
        }
        None => {
            let (close, _) = c.closing().await;
            Got { code, close }
        }
    }
}

fn hello(token: &str, client: &str) -> Value {
    json!({"type": "hello", "token": token, "client": client, "protocol": 3})
}

fn command(seq: u64, command: Value) -> Value {
    json!({"type": "command", "seq": seq, "command": command})
}

async fn provoke_error(code: &str, server: &Server, dir: &Path) -> Got {
    let token = server.tokens.team("team-a").to_string();
    let fresh = || async { server.connect().await };
    match code {
        "bad_json" | "missing_type" | "unknown_type" | "bad_message" | "hello_first" | "bad_client" => {
            let frame = match code {
                "bad_json" => "{not json".to_string(),
                "missing_type" => "{\"hello\": 1}".to_string(),
                "unknown_type" => "{\"type\": \"subscribe\"}".to_string(),
                "bad_message" => "{\"type\": \"hello\", \"token\": 7}".to_string(),
                "hello_first" => command(1, json!({"action": "harden", "asset": "a-core"})).to_string(),
                _ => hello(&token, "").to_string(),
            };
            let mut c = fresh().await;
            c.send_text(frame).await;
            error_then(&mut c, Some(hello(&token, code))).await
        }
        "binary_frame" => {
            let mut c = fresh().await;
            c.send_binary(b"{}".to_vec()).await;
            error_then(&mut c, Some(hello(&token, code))).await
        }
        "already_hello" => {
            let mut c = joined(server, &token, code).await;
            c.send(hello(&token, code)).await;
            error_then(&mut c, Some(command(1, json!({"action": "nuke"})))).await
        }
        "bad_protocol" | "bad_token" => {
            let mut c = fresh().await;
            let frame = if code == "bad_protocol" {
                json!({"type": "hello", "token": token, "client": "x", "protocol": 2})
            } else {
                hello("0123456789abcdef0123456789abcdef", "x")
            };
            c.send(frame).await;
            error_then(&mut c, None).await
        }
        "hello_timeout" => {
            let s = Server::start_scenario(dir, code, SCENARIO, &["--hello-timeout-ms", "300"]);
            let mut c = s.connect().await;
            error_then(&mut c, None).await
        }
        "too_many_waiting" => {
            let s = Server::start_scenario(dir, code, SCENARIO, &["--max-waiting-per-address", "1"]);
            let mut first = s.connect().await;
            let _second = s.connect().await;
            error_then(&mut first, None).await
        }
        "team_full" => {
            let s = Server::start_scenario(dir, code, SCENARIO, &["--max-connections-per-team", "1"]);
            let _first = s.team("team-a", "one").await;
            let mut c = s.connect().await;
            c.send(hello(s.tokens.team("team-a"), "two")).await;
            error_then(&mut c, None).await
        }
        "server_full" => {
            let s = Server::start_scenario(dir, code, SCENARIO, &["--max-connections", "1"]);
            let _director = s.director().await;
            let mut c = s.connect().await;
            c.send(hello(s.tokens.team("team-a"), "x")).await;
            error_then(&mut c, None).await
        }
        "frame_too_large" => {
            let mut c = joined(server, &token, code).await;
            c.send_frame_header(64 * 1024 + 1).await;
            error_then(&mut c, None).await
        }
        "invalid_utf8" => {
            let mut c = fresh().await;
            c.send_raw(&masked_frame(0x1, b"\xc3\x28")).await;
            error_then(&mut c, None).await
        }
        "protocol_error" => {
            let mut c = fresh().await;
            c.send_raw(&[0x81, 0x02, b'{', b'}']).await; // not masked
            error_then(&mut c, None).await
        }
        "director_only" => {
            let mut c = joined(server, &token, code).await;
            c.send(json!({"type": "assets", "filter": "core"})).await;
            error_then(&mut c, Some(command(1, json!({"action": "nuke"})))).await
        }
        "too_many_requests" => {
            let s = Server::start_scenario(dir, code, SCENARIO, &["--rate", "1"]);
            let mut d = s.director().await;
            for _ in 0..3 {
                d.send(json!({"type": "assets"})).await;
            }
            error_then(&mut d, Some(command(1, json!({"action": "pause"})))).await
        }
        "unsendable_frame" => {
            // 4,300 live injects of 4,000 characters (the most a live inject
            // has) to every team: a team's snapshot then holds 17 MB of
            // messages, over the 16 MiB limit.
            let s = Server::start_scenario(dir, code, SCENARIO, &["--rate", "1000"]);
            let mut d = s.director().await;
            let long = "x".repeat(4_000);
            let count = 4_300;
            // In bursts the rate allows (1,000 a second).
            for burst in (1..=count).collect::<Vec<u64>>().chunks(900) {
                for &seq in burst {
                    d.send(command(seq, json!({"action": "inject", "message": long}))).await;
                }
                let end = *burst.last().unwrap();
                let last =
                    d.wait_for("a burst's answer", |v| matches!(kind(v), "ack" | "reject") && v["seq"] == end).await;
                assert_eq!(last["type"], "ack", "{last}");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            d.acked(count + 1, json!({"action": "step"})).await;
            let mut c = s.connect().await;
            c.send(hello(s.tokens.team("team-a"), "late")).await;
            error_then(&mut c, Some(command(1, json!({"action": "harden", "asset": "a-core"})))).await
        }
        other => panic!("the Error codes table has {other:?}: add a way to provoke it here"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_error_code_is_sent_with_its_close_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_scenario(dir.path(), "errors", SCENARIO, &[]);
    for (code, cells) in table_codes(&doc(), "Error codes") {
        let closes = match cells[1].as_str() {
            "no" => None,
            n => Some(n.parse::<u16>().unwrap_or_else(|_| panic!("{code}: closes {n:?}"))),
        };
        let got = provoke_error(&code, &server, dir.path()).await;
        assert_eq!((got.code.as_str(), got.close), (code.as_str(), closes), "provoking {code}");
    }
}

/// Who sends a provocation, and what.
enum By {
    Team(&'static str, Value),
    Director(Value),
}

fn provocation(code: &str) -> By {
    let msg = |to: Value, text: &str| json!({"action": "message", "to": to, "text": text, "tlp": "TLP:RED"});
    let report = |regime: &str, stage: &str| json!({"action": "report", "regime": regime, "stage": stage, "incident": "ransom-a"});
    let a = |command: Value| By::Team("team-a", command);
    match code {
        "bad_command" => a(json!({"action": "nuke"})),
        "indicators_not_held" => {
            a(json!({"action": "share", "to": ["team-b"], "tlp": "TLP:GREEN", "incident": "ransom-a", "text": "IOCs"}))
        }
        "bad_speed" => By::Director(json!({"action": "speed", "ticks_per_second": 0})),
        "not_allowed_for_role" => a(json!({"action": "activate_piu", "level": 2})),
        "unknown_asset" => a(json!({"action": "isolate", "asset": "nowhere"})),
        "not_your_asset" => a(json!({"action": "isolate", "asset": "b-core"})),
        "unknown_incident" => a(json!({"action": "classify", "incident": "nothing"})),
        "unknown_team" => a(msg(json!(["team-z"]), "hi")),
        "no_recipients" => a(msg(json!([]), "hi")),
        "too_many_recipients" => a(msg(json!(vec!["team-b"; 1001]), "hi")),
        "empty_share" => a(json!({"action": "share", "to": ["team-b"], "tlp": "TLP:GREEN"})),
        "empty_text" => a(json!({"action": "public_statement", "text": " "})),
        "text_too_long" => a(msg(json!(["team-b"]), &"x".repeat(4001))),
        "unknown_regime" => a(report("gdpr-2", "early-warning")),
        "unknown_stage" => a(report("nis2", "postcard")),
        "not_subject" => By::Team("team-b", report("nis2", "early-warning")),
        "not_a_csirt" => a(json!({"action": "request_assistance", "csirt": "team-b"})),
        "own_csirt" => a(json!({"action": "request_assistance", "csirt": "alpha-soc"})),
        "bad_level" => By::Team("cell", json!({"action": "activate_piu", "level": 9})),
        "empty_inject" => By::Director(json!({"action": "inject", "message": " "})),
        "unknown_inject" => By::Director(json!({"action": "msel", "inject": "nothing", "op": "fire"})),
        "unknown_objective" => By::Director(json!({"action": "note", "text": "x", "objective": "nothing"})),
        "bad_rating" => By::Director(json!({"action": "note", "text": "x", "rating": "A"})),
        "bad_value" => By::Director(json!({
            "action": "inject", "message": "x", "effects": [{"SetIntegrity": {"asset": "a-core", "integrity": 2000}}]
        })),
        other => panic!("the Reject codes table has {other:?}: add a way to provoke it here"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_reject_code_is_sent_for_its_cause() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_scenario(dir.path(), "rejects", SCENARIO, &[]);
    let mut director = server.director().await;
    let mut teams: BTreeMap<&str, Client> = BTreeMap::new();
    for team in ["team-a", "team-b", "cell"] {
        teams.insert(team, server.team(team, "walker").await);
    }
    let mut seq = 0;
    let rows = table_codes(&doc(), "Reject codes");
    let mut walked = BTreeSet::new();
    for (code, _) in &rows {
        seq += 1;
        let got = match code.as_str() {
            c if NOT_PROVOKED.iter().any(|(n, _)| *n == c) => continue,
            "running" => {
                director.acked(seq, json!({"action": "start"})).await;
                seq += 1;
                let got = director.rejected(seq, json!({"action": "step"})).await;
                seq += 1;
                director.acked(seq, json!({"action": "pause"})).await;
                got
            }
            "rate_limited" => {
                let s = Server::start_scenario(dir.path(), code, SCENARIO, &["--rate", "1"]);
                let mut a = s.team("team-a", "walker").await;
                a.acked(1, json!({"action": "harden", "asset": "a-core"})).await;
                a.rejected(2, json!({"action": "harden", "asset": "a-core"})).await
            }
            "seq_reused" => {
                // The same seq again: the same command is acknowledged again,
                // another is refused.
                let s = Server::start_scenario(dir.path(), code, SCENARIO, &[]);
                let mut a = s.team("team-a", "walker").await;
                let tick = a.acked(1, json!({"action": "harden", "asset": "a-core"})).await;
                assert_eq!(a.acked(1, json!({"action": "harden", "asset": "a-core"})).await, tick);
                a.rejected(1, json!({"action": "isolate", "asset": "a-core"})).await
            }
            "already_human" => {
                // On a server of its own: the first takeover is journaled.
                let s = Server::start_scenario(dir.path(), code, SCENARIO, &[]);
                let mut b = s.team("team-b", "walker").await;
                b.acked(1, json!({"action": "takeover"})).await;
                b.rejected(2, json!({"action": "takeover"})).await
            }
            // Last on this server: it ends the exercise.
            "exercise_ended" => continue,
            c => match provocation(c) {
                By::Team(team, command) => teams.get_mut(team).unwrap().rejected(seq, command).await,
                By::Director(command) => director.rejected(seq, command).await,
            },
        };
        assert_eq!(&got, code, "provoking {code}");
        walked.insert(code.clone());
    }
    seq += 1;
    director.acked(seq, json!({"action": "end"})).await;
    let a = teams.get_mut("team-a").unwrap();
    assert_eq!(a.rejected(seq, json!({"action": "harden", "asset": "a-core"})).await, "exercise_ended");
    walked.insert("exercise_ended".into());
    let documented: BTreeSet<String> = rows.into_iter().map(|(c, _)| c).collect();
    let skipped: BTreeSet<String> = NOT_PROVOKED.iter().map(|(c, _)| c.to_string()).collect();
    assert!(skipped.is_subset(&documented), "a skipped code that is not documented");
    assert_eq!(walked.union(&skipped).cloned().collect::<BTreeSet<_>>(), documented);
    // None of it reached the journal.
    let journaled = journal_commands(&server.journal);
    assert!(journaled.iter().all(|c| c["team"] == "director"), "rejects are never journaled: {journaled:?}");
}
