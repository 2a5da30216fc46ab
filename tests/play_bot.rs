//! `cascade bot` against a live `cascade serve`, end to end: the bot joins as a
//! team's client, its commands reach the journal under its client id, and it
//! exits cleanly once the server is gone. Every wait is bounded.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const SCENARIO: &str = r#"Scenario(
    name: "Bot test",
    seed: 1,
    tick_seconds: 60,
    duration_ticks: 600,
    start: "2026-03-10T08:00",
    time_zone: "Europe/Luxembourg",
    sectors: [Sector(id: "energy", name: "Energy"), Sector(id: "water", name: "Water")],
    organisations: [
        Organisation(id: "grid", kind: Operator, sector: "energy"),
        Organisation(id: "water", kind: Operator, sector: "water"),
        Organisation(id: "regulator", kind: Authority),
    ],
    assets: [
        Asset(id: "scada", organisation: "grid", sector: "energy", population: 1000),
        Asset(id: "substation", organisation: "grid", sector: "energy", population: 1000),
        Asset(id: "pumps", organisation: "water", sector: "water", population: 1000),
    ],
    teams: [
        Team(id: "grid-ops", organisation: "grid", role: Operator),
        Team(id: "water-ops", organisation: "water", role: Operator),
    ],
    incidents: [
        Incident(id: "ransom-x", kind: Ransomware, targets: ["scada"], start: 2, impact: 50, floor: 100,
                 spread: 0, visibility: 0, detectability: 1000),
    ],
    response: Response(investigate: Cost(ticks: 3, staff: 1), isolate: Cost(ticks: 2, staff: 1),
                       restore: Cost(ticks: 4, staff: 1)),
    regimes: [Regime(id: "nis2", preset: Nis2, authority: "regulator", sectors: ["energy"])],
)
"#;

/// A child process killed when the test ends, however it ends.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cascade() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("cascade"))
}

/// Lines of a child's output, read on a thread.
fn lines(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn journal_commands(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v.get("command").is_some())
        .collect()
}

/// The director says hello and starts the clock.
async fn start_exercise(url: &str, token: &str) {
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("the director connects");
    let hello = serde_json::json!({"type": "hello", "token": token, "client": "e2e-director", "protocol": 3});
    ws.send(Message::text(hello.to_string())).await.unwrap();
    let start = serde_json::json!({"type": "command", "seq": 1, "command": {"action": "start"}});
    ws.send(Message::text(start.to_string())).await.unwrap();
    // Wait for the ack of the start.
    loop {
        let frame = ws.next().await.expect("the server answers").expect("a frame");
        if let Message::Text(text) = frame {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_ne!(v["type"], "error", "{v}");
            if v["type"] == "ack" && v["seq"] == 1 {
                break;
            }
        }
    }
    let _ = ws.close(None).await;
}

#[test]
fn a_bot_plays_its_team_and_leaves_when_the_server_dies() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("bot-test.ron");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let journal = dir.path().join("exercise.jsonl");
    let tokens_path = dir.path().join("tokens.json");

    let mut server = Proc(
        cascade()
            .arg("serve")
            .arg(&scenario)
            .args(["--addr", "127.0.0.1:0", "--speed", "20", "--journal"])
            .arg(&journal)
            .arg("--tokens-out")
            .arg(&tokens_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let server_out = lines(server.0.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let url = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = server_out.recv_timeout(left).expect("the server prints its address in time");
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.to_string();
        }
    };
    let tokens: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&tokens_path).unwrap()).unwrap();
    let token = |team: &str| tokens["teams"][team].as_str().unwrap().to_string();

    let bot = |team: &str, policy: &str, client: &str| {
        let mut child = Proc(
            cascade()
                .args(["bot", &url, "--token", &token(team), "--policy", policy, "--client", client])
                .args(["--retries", "1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let out = lines(child.0.stdout.take().unwrap());
        let err = lines(child.0.stderr.take().unwrap());
        (child, out, err)
    };
    let (mut responsive, responsive_out, responsive_err) = bot("grid-ops", "responsive", "bot-e2e");
    let (mut passive, passive_out, _passive_err) = bot("water-ops", "passive", "bot-passive");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), start_exercise(&url, tokens["director"].as_str().unwrap()))
            .await
            .expect("the director starts the exercise in time")
    });

    // The bot investigates the damaged SCADA, finds the ransomware (detectability
    // 1000), isolates it and reports it: all journaled under its client id.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut actions: Vec<String> = Vec::new();
    while Instant::now() < deadline {
        actions = journal_commands(&journal)
            .iter()
            .filter(|c| c["client"] == "bot-e2e" && c["team"] == "grid-ops")
            .map(|c| format!("{} {}", c["command"]["action"].as_str().unwrap(), c["command"]["asset"]))
            .collect();
        let has = |a: &str| actions.iter().any(|x| x == a);
        if has("investigate \"scada\"") && has("isolate \"scada\"") && has("report null") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(actions.contains(&"investigate \"scada\"".to_string()), "journaled bot commands: {actions:?}");
    assert!(actions.contains(&"isolate \"scada\"".to_string()), "journaled bot commands: {actions:?}");
    // … and files its NIS2 early warning (reports go before the remaining investigations).
    assert!(actions.contains(&"report null".to_string()), "journaled bot commands: {actions:?}");
    let commands = journal_commands(&journal);
    // The host journaled the takeover of grid-ops before the bot's first command.
    let first_bot = commands.iter().position(|c| c["client"] == "bot-e2e").unwrap();
    let takeover = commands
        .iter()
        .position(|c| c["team"] == "grid-ops" && c["command"]["action"] == "takeover")
        .expect("a takeover line");
    assert!(takeover < first_bot);
    // Sequence numbers of one client increase.
    let seqs: Vec<u64> =
        commands.iter().filter(|c| c["client"] == "bot-e2e").map(|c| c["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // The passive bot gave no command.
    assert!(!commands.iter().any(|c| c["client"] == "bot-passive"));

    // A wrong token is refused for good: no retries, exit 1.
    let wrong = cascade().args(["bot", &url, "--token", "0123456789abcdef"]).output().unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(err.contains("refused by the server (bad_token)"), "{err}");

    // Kill the server: both bots retry once, give up and exit 0.
    drop(server);
    let status = wait_exit(&mut responsive.0, Duration::from_secs(10)).expect("the bot exits after the server dies");
    let out: Vec<String> = responsive_out.try_iter().collect();
    let err: Vec<String> = responsive_err.try_iter().collect();
    assert!(status.success(), "exit {status:?}\nstdout:\n{}\nstderr:\n{}", out.join("\n"), err.join("\n"));
    assert!(out.iter().any(|l| l.starts_with("joined \"Bot test\" as grid-ops (operator)")), "{out:#?}");
    assert!(out.iter().any(|l| l.contains("send #") && l.ends_with("isolate scada")), "{out:#?}");
    assert!(out.iter().any(|l| l.contains("applied")), "{out:#?}");
    assert!(out.last().unwrap().starts_with("disconnected:"), "{out:#?}");
    assert!(out.last().unwrap().contains("gave up after 1 retry"), "{out:#?}");

    let status = wait_exit(&mut passive.0, Duration::from_secs(10)).expect("the passive bot exits too");
    assert!(status.success());
    let out: Vec<String> = passive_out.try_iter().collect();
    assert!(!out.iter().any(|l| l.contains("send #")), "{out:#?}");
}

#[test]
fn a_bot_without_a_server_fails_fast() {
    // Nothing listens on port 9 of localhost (discard): refused at once.
    let out = cascade()
        .args(["bot", "ws://127.0.0.1:9", "--token", "nope", "--retries", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = Proc(out);
    let status = wait_exit(&mut child.0, Duration::from_secs(10)).expect("exits in time");
    assert_eq!(status.code(), Some(1));
    let mut err = String::new();
    child.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("cannot join ws://127.0.0.1:9"), "{err}");
}
