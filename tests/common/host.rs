//! Helpers for the end-to-end tests of `cascade serve` (tests/host.rs): a small
//! scenario, the real binary as a child process (killed on drop), its tokens, a
//! websocket client that keeps every frame it received, and journal readers.
//! Every wait is bounded by `TIMEOUT` so that a bug fails a test, never hangs it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The longest any single wait may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Two operators (alpha with two linked assets, bravo with one) and a CSIRT over
/// both; ransomware on alpha's core from tick 1 that any investigation finds;
/// bravo's core degraded at tick 2 (a public outage); quick investigate/isolate.
pub const SCENARIO: &str = r#"Scenario(
    name: "Host test",
    seed: 7,
    tick_seconds: 60,
    duration_ticks: 200,
    start: "2026-03-10T08:00",
    sectors: [Sector(id: "energy"), Sector(id: "telecom")],
    organisations: [
        Organisation(id: "alpha", kind: Operator, sector: "energy"),
        Organisation(id: "bravo", kind: Operator, sector: "telecom"),
        Organisation(id: "cert", kind: Csirt, constituency: ["alpha", "bravo"]),
    ],
    assets: [
        Asset(id: "a-core", name: "Alpha core", organisation: "alpha", sector: "energy", population: 1000),
        Asset(id: "a-edge", name: "Alpha edge", organisation: "alpha", sector: "energy", population: 500),
        Asset(id: "b-core", name: "Bravo core", organisation: "bravo", sector: "telecom", population: 800),
    ],
    links: [Link(from: "a-core", to: "a-edge")],
    teams: [
        Team(id: "team-a", organisation: "alpha", role: Operator),
        Team(id: "team-b", organisation: "bravo", role: Operator),
        Team(id: "csirt", organisation: "cert", role: Csirt),
    ],
    disruptions: [Disruption(tick: 2, asset: "b-core", integrity: 400, note: "Bravo core degraded.")],
    incidents: [
        Incident(id: "ransom-a", kind: Ransomware, targets: ["a-core"], start: 1, impact: 1, floor: 900,
                 detectability: 1000),
    ],
    response: Response(investigate: Cost(ticks: 2, staff: 1), isolate: Cost(ticks: 1, staff: 1)),
)
"#;

pub fn cascade_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("cascade")
}

/// The tokens file written by `--tokens-out` (and beside the journal).
#[derive(Debug, Clone)]
pub struct Tokens {
    pub director: String,
    pub teams: BTreeMap<String, String>,
}

impl Tokens {
    pub fn read(path: &Path) -> Tokens {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let v: Value = serde_json::from_str(&text).expect("the tokens file is JSON");
        let director = v["director"].as_str().expect("a director token").to_string();
        let teams = v["teams"]
            .as_object()
            .expect("a teams object")
            .iter()
            .map(|(k, t)| (k.clone(), t.as_str().expect("team tokens are strings").to_string()))
            .collect();
        Tokens { director, teams }
    }

    pub fn team(&self, id: &str) -> &str {
        &self.teams[id]
    }
}

/// A running `cascade serve`, killed (SIGKILL) and reaped on drop. Its stderr
/// goes to a log file that is printed if the test fails.
pub struct Server {
    child: Child,
    pub url: String,
    pub journal: PathBuf,
    pub tokens_out: Option<PathBuf>,
    pub tokens: Tokens,
    pub log: PathBuf,
    /// What it printed on stdout before (and including) the `listening on` line,
    /// and after it, as far as read.
    pub stdout: Vec<String>,
}

/// `SCENARIO` with a third operator owning `assets` more assets (bulky
/// director views), lasting `ticks` ticks.
/// (Charlie's team, `charlie-ops`, sees all of them: a director watching it
/// gets a large frame every tick, now that tick frames are deltas.)
pub fn bulky_scenario(assets: usize, ticks: u64) -> String {
    let mut extra = String::new();
    for i in 0..assets {
        extra.push_str(&format!(
            "        Asset(id: \"c-{i}\", name: \"Charlie asset number {i}\", organisation: \"charlie\", sector: \"energy\", integrity: 700),\n"
        ));
    }
    scenario_lasting(ticks)
        .replace(
            "        Organisation(id: \"cert\"",
            "        Organisation(id: \"charlie\", kind: Operator, sector: \"energy\"),\n        Organisation(id: \"cert\"",
        )
        .replace("    ],\n    links:", &format!("{extra}    ],\n    links:"))
        .replace(
            "        Team(id: \"csirt\", organisation: \"cert\", role: Csirt),\n",
            "        Team(id: \"csirt\", organisation: \"cert\", role: Csirt),\n        Team(id: \"charlie-ops\", organisation: \"charlie\", role: Operator),\n",
        )
}

/// `SCENARIO` lasting `ticks` ticks instead of 200.
pub fn scenario_lasting(ticks: u64) -> String {
    SCENARIO.replace("duration_ticks: 200,", &format!("duration_ticks: {ticks},"))
}

impl Server {
    /// `cascade serve SCENARIO --addr 127.0.0.1:0 --journal DIR/NAME.jsonl
    /// --tokens-out DIR/NAME.tokens-out.json` plus `extra`.
    pub fn start(dir: &Path, name: &str, extra: &[&str]) -> Server {
        Self::start_scenario(dir, name, SCENARIO, extra)
    }

    /// The same with another scenario text.
    pub fn start_scenario(dir: &Path, name: &str, text: &str, extra: &[&str]) -> Server {
        let scenario = dir.join(format!("{name}.ron"));
        std::fs::write(&scenario, text).unwrap();
        let journal = dir.join(format!("{name}.jsonl"));
        let tokens_out = dir.join(format!("{name}.tokens-out.json"));
        let mut command = Command::new(cascade_bin());
        command
            .arg("serve")
            .arg(&scenario)
            .args(["--addr", "127.0.0.1:0", "--journal"])
            .arg(&journal)
            .arg("--tokens-out")
            .arg(&tokens_out)
            .args(extra);
        Self::spawn(command, dir.join(format!("{name}.log")), journal, Some(tokens_out))
    }

    /// `cascade serve --resume JOURNAL --addr 127.0.0.1:0` plus `extra`.
    pub fn resume(journal: &Path, extra: &[&str]) -> Server {
        let mut command = Command::new(cascade_bin());
        command.arg("serve").arg("--resume").arg(journal).args(["--addr", "127.0.0.1:0"]).args(extra);
        let mut log = journal.as_os_str().to_owned();
        log.push(".resumed.log");
        Self::spawn(command, PathBuf::from(log), journal.to_path_buf(), None)
    }

    /// `cascade serve --branch SOURCE --at AT --addr 127.0.0.1:0 --tokens-out
    /// DIR/branch.tokens-out.json` plus `extra`, run in `dir`; with `journal`
    /// `None` the host picks the journal's name (read from its startup print).
    pub fn branch(dir: &Path, source: &Path, at: u64, journal: Option<&Path>, extra: &[&str]) -> Server {
        let tokens_out = dir.join("branch.tokens-out.json");
        let mut command = Command::new(cascade_bin());
        command.current_dir(dir).arg("serve").arg("--branch").arg(source).arg("--at").arg(at.to_string());
        command.args(["--addr", "127.0.0.1:0", "--tokens-out"]).arg(&tokens_out).args(extra);
        if let Some(journal) = journal {
            command.arg("--journal").arg(journal);
        }
        let named = journal.map(Path::to_path_buf).unwrap_or_default();
        let mut server = Self::spawn(command, dir.join("branch.log"), named, Some(tokens_out));
        if journal.is_none() {
            let printed = server.stdout.iter().find_map(|l| l.strip_prefix("journal ")).expect("a `journal` line");
            server.journal = dir.join(printed);
        }
        server
    }

    fn spawn(mut command: Command, log: PathBuf, journal: PathBuf, tokens_out: Option<PathBuf>) -> Server {
        let log_file = std::fs::File::create(&log).unwrap();
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(log_file);
        command.env("RUST_LOG", "cascade=debug,cascade_host=debug,warn");
        let mut child = command.spawn().expect("cannot start cascade serve");
        let stdout = child.stdout.take().unwrap();
        // A thread drains stdout (so the server never blocks on it) and hands the
        // lines over; the test waits for them with a timeout.
        let (tx, rx) = std_mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let deadline = std::time::Instant::now() + TIMEOUT;
        let url = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let url = line.strip_prefix("listening on ").map(str::to_string);
                    lines.push(line);
                    if let Some(url) = url {
                        assert!(url.starts_with("ws://127.0.0.1:") || url.starts_with("wss://127.0.0.1:"), "{url}");
                        break url;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "cascade serve did not say `listening on` ({lines:?}); its log:\n{}",
                        std::fs::read_to_string(&log).unwrap_or_default()
                    );
                }
            }
        };
        assert_eq!(lines.len(), 1, "`listening on` is the first line on stdout: {lines:?}");
        // The rest of the banner comes right after; take what is there.
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
            if lines.last().is_some_and(|l| l.starts_with("the exercise starts")) {
                break;
            }
        }
        let tokens_path = tokens_out.clone().unwrap_or_else(|| tokens_beside(&journal));
        let tokens = Tokens::read(&tokens_path);
        Server { child, url, journal, tokens_out, tokens, log, stdout: lines }
    }

    /// SIGKILL, as `kill -9`, and reap.
    pub fn kill9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().unwrap();
    }

    /// Still running (no input has crashed it)?
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub async fn connect(&self) -> Client {
        Client::connect(&self.url).await
    }

    /// A connected client that has said hello with `token` and read its welcome,
    /// snapshot and clock (and a director's join kit).
    pub async fn join(&self, token: &str, client: &str) -> Client {
        let mut c = self.connect().await;
        c.hello(token, client).await;
        c
    }

    pub async fn director(&self) -> Client {
        self.join(&self.tokens.director, "director-console").await
    }

    pub async fn team(&self, team: &str, client: &str) -> Client {
        self.join(self.tokens.team(team), client).await
    }

    pub fn journal_text(&self) -> String {
        std::fs::read_to_string(&self.journal).unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- last lines of {} ---", self.log.display());
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

pub fn tokens_beside(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".tokens.json");
    PathBuf::from(name)
}

/// What a read from the socket gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Frame(Value),
    /// The connection closed: the close code if a close frame came.
    Closed(Option<u16>),
}

/// A websocket client that remembers every text frame it received.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every text frame, as received.
    pub raw: Vec<String>,
    pub closed: Option<Option<u16>>,
    pub welcome: Value,
    /// The snapshot (or director snapshot) that followed the welcome.
    pub snapshot: Value,
    /// The view as a client holds it: the last snapshot with every tick
    /// frame's delta since applied (`apply_delta`, `apply_director_delta`);
    /// `messages` only the last frame's.
    pub view: Value,
}

/// A team's `tick` frame applied to the view held, by the rules of
/// docs/protocol.md (*Tick frames are deltas*): every field present replaces
/// the held one, but `assets`, whose entries replace those of the same id, and
/// the outages' changed and gone entries.
pub fn apply_delta(view: &mut Value, delta: &Value) {
    for (key, value) in delta.as_object().expect("a tick frame is an object") {
        match key.as_str() {
            "type" => {}
            "assets" => {
                let held = view["assets"].as_array_mut().expect("a held view has assets");
                for asset in value.as_array().expect("assets is a list") {
                    match held.iter_mut().find(|a| a["id"] == asset["id"]) {
                        Some(slot) => *slot = asset.clone(),
                        None => held.push(asset.clone()),
                    }
                }
            }
            "outages_changed" | "outages_gone" => {}
            _ => view[key] = value.clone(),
        }
    }
    let none = Vec::new();
    let gone = delta["outages_gone"].as_array().unwrap_or(&none);
    let changed = delta["outages_changed"].as_array().unwrap_or(&none);
    if !gone.is_empty() || !changed.is_empty() {
        let outages = view["outages"].as_array_mut().expect("a held view has outages");
        outages.retain(|o| !gone.contains(&o["id"]) && !changed.iter().any(|c| c["id"] == o["id"]));
        outages.extend(changed.iter().cloned());
        // The view's order: worst first, ties by id.
        outages.sort_by(|x, y| (x["level"].as_u64(), x["id"].as_str()).cmp(&(y["level"].as_u64(), y["id"].as_str())));
    }
}

/// A `director_tick` frame applied to the director view held, by the rules
/// of docs/protocol.md (*Tick frames are deltas*, protocol 3): every field
/// present replaces the held one, but the entries of `assets`,
/// `organisations` and `teams`, changed and gone, which replace those of the
/// same id or are added at the end; then a summarised view (over 2,000
/// assets) is sorted in its orders.
pub fn apply_director_delta(view: &mut Value, delta: &Value) {
    for (key, value) in delta.as_object().expect("a tick frame is an object") {
        if key != "type" && !key.ends_with("_changed") && !key.ends_with("_gone") {
            view[key] = value.clone();
        }
    }
    let none = Vec::new();
    for list in ["assets", "organisations", "teams"] {
        let gone = delta[format!("{list}_gone")].as_array().unwrap_or(&none);
        let changed = delta[format!("{list}_changed")].as_array().unwrap_or(&none);
        if gone.is_empty() && changed.is_empty() {
            continue;
        }
        if view.get(list).is_none() {
            view[list] = json!([]);
        }
        let held = view[list].as_array_mut().expect("a list");
        held.retain(|e| !gone.contains(&e["id"]));
        for entry in changed {
            match held.iter_mut().find(|e| e["id"] == entry["id"]) {
                Some(slot) => *slot = entry.clone(),
                None => held.push(entry.clone()),
            }
        }
    }
    if view["assets_total"].as_u64() > Some(2000) {
        let key = |a: &Value| (a["level"].as_u64(), a["integrity"].as_u64(), a["id"].as_str().map(str::to_string));
        view["assets"].as_array_mut().expect("assets").sort_by_key(key);
        if let Some(organisations) = view.get_mut("organisations").and_then(Value::as_array_mut) {
            organisations.sort_by_key(|o| (o["lowest_level"].as_u64(), o["id"].as_str().map(str::to_string)));
        }
    }
}

/// The `type` of a frame.
pub fn kind(frame: &Value) -> &str {
    frame["type"].as_str().unwrap_or("")
}

/// Whether a frame carries a view (and so a tick number).
pub fn is_view(frame: &Value) -> bool {
    matches!(kind(frame), "snapshot" | "tick" | "director_snapshot" | "director_tick")
}

impl Client {
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = timeout(TIMEOUT, tokio_tungstenite::connect_async_with_config(url, None, true))
            .await
            .expect("connecting timed out")
            .expect("websocket handshake");
        Client { ws, raw: Vec::new(), closed: None, welcome: Value::Null, snapshot: Value::Null, view: Value::Null }
    }

    /// A client over wss://, trusting exactly the certificates in `ca_file`.
    pub async fn connect_tls(url: &str, ca_file: &Path) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls::pki_types::CertificateDer::pem_file_iter(ca_file).unwrap() {
            roots.add(cert.unwrap()).unwrap();
        }
        #[allow(deprecated)]
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(config));
        let connect = tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector));
        let (ws, _) = timeout(TIMEOUT, connect).await.expect("connecting timed out").expect("wss handshake");
        Client { ws, raw: Vec::new(), closed: None, welcome: Value::Null, snapshot: Value::Null, view: Value::Null }
    }

    /// A client over an existing stream (e.g. one with a tiny receive buffer).
    pub async fn over(url: &str, stream: TcpStream) -> Client {
        let (ws, _) = timeout(TIMEOUT, tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream)))
            .await
            .expect("handshake timed out")
            .expect("websocket handshake");
        Client { ws, raw: Vec::new(), closed: None, welcome: Value::Null, snapshot: Value::Null, view: Value::Null }
    }

    pub async fn send_text(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        timeout(TIMEOUT, self.ws.send(Message::text(text))).await.expect("send timed out").expect("send");
    }

    /// Sends, not minding if the server already closed.
    pub async fn try_send_text(&mut self, text: impl Into<String>) {
        let text: String = text.into();
        let _ = timeout(TIMEOUT, self.ws.send(Message::text(text))).await;
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        timeout(TIMEOUT, self.ws.send(Message::binary(bytes))).await.expect("send timed out").expect("send");
    }

    /// Writes, straight to the socket, the header of a masked text frame that
    /// announces `len` bytes, and nothing of its payload: the server can tell
    /// the frame is too large from the header, with no unread data left behind
    /// (which would make its close a TCP reset that can overtake its last frames).
    pub async fn send_frame_header(&mut self, len: u64) {
        use tokio::io::AsyncWriteExt;
        let mut header = vec![0x81, 0x80 | 127];
        header.extend_from_slice(&len.to_be_bytes());
        header.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
        let stream = self.ws.get_mut();
        timeout(TIMEOUT, async {
            stream.write_all(&header).await?;
            stream.flush().await
        })
        .await
        .expect("send timed out")
        .expect("send");
    }

    /// Writes `bytes` straight to the socket (a hand-made frame).
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        let stream = self.ws.get_mut();
        timeout(TIMEOUT, async {
            stream.write_all(bytes).await?;
            stream.flush().await
        })
        .await
        .expect("send timed out")
        .expect("send");
    }

    /// Reads until the connection ends: the close code, the frames before it,
    /// and whether it ended cleanly (the server's close frame, then the end of
    /// the stream; not a reset).
    pub async fn closing_cleanly(&mut self) -> (Option<u16>, Vec<Value>, bool) {
        let mut frames = Vec::new();
        let mut code = None;
        loop {
            match timeout(TIMEOUT, self.ws.next()).await.expect("timed out waiting for the close") {
                Some(Ok(Message::Text(text))) => frames.push(serde_json::from_str(&text).unwrap()),
                Some(Ok(Message::Close(frame))) => code = frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    eprintln!("the connection ended with an error: {e}");
                    return (code, frames, false);
                }
                None => return (code, frames, code.is_some()),
            }
        }
    }

    pub async fn send(&mut self, value: Value) {
        self.send_text(value.to_string()).await;
    }

    pub async fn send_hello(&mut self, token: &str, client: &str) {
        self.send(json!({"type": "hello", "token": token, "client": client, "protocol": 3})).await;
    }

    /// Says hello and reads the welcome, the snapshot and the clock, in that order.
    pub async fn hello(&mut self, token: &str, client: &str) {
        self.send_hello(token, client).await;
        let welcome = self.frame().await;
        assert_eq!(kind(&welcome), "welcome", "the first frame after hello is the welcome: {welcome}");
        let snapshot = self.frame().await;
        let role = welcome["role"].as_str().unwrap();
        let expected = if role == "director" { "director_snapshot" } else { "snapshot" };
        assert_eq!(kind(&snapshot), expected, "then the full view: {snapshot}");
        assert_eq!(snapshot["tick"], welcome["tick"], "the snapshot is of the welcome's tick");
        let clock = self.frame().await;
        assert_eq!(kind(&clock), "clock", "then the clock: {clock}");
        if role == "director" {
            // A director is then told how players join; a team never is.
            let join = self.frame().await;
            assert_eq!(kind(&join), "join_kit", "then, for a director, the join kit: {join}");
            assert!(join["portal"].as_str().unwrap().starts_with("http"), "{join}");
        }
        self.welcome = welcome;
        self.snapshot = snapshot;
    }

    pub async fn command(&mut self, seq: u64, command: Value) {
        self.send(json!({"type": "command", "seq": seq, "command": command})).await;
    }

    /// The next event, waiting at most `TIMEOUT`.
    pub async fn event(&mut self) -> Event {
        self.event_within(TIMEOUT).await.expect("timed out waiting for a frame")
    }

    /// The next event within `wait`, or `None`.
    pub async fn event_within(&mut self, wait: Duration) -> Option<Event> {
        if let Some(code) = self.closed {
            return Some(Event::Closed(code));
        }
        // One deadline for the whole wait: pings (skipped below) must not
        // restart it, or a ping every `wait` would make it endless.
        let deadline = Instant::now() + wait;
        loop {
            let next = timeout(deadline.saturating_duration_since(Instant::now()), self.ws.next()).await.ok()?;
            let event = match next {
                Some(Ok(Message::Text(text))) => {
                    self.raw.push(text.to_string());
                    let value: Value = serde_json::from_str(&text).expect("server frames are JSON");
                    assert!(value.is_object(), "server frames are objects: {value}");
                    match kind(&value) {
                        "snapshot" | "director_snapshot" => self.view = value.clone(),
                        "tick" => {
                            assert!(self.view.is_object(), "a tick frame before any snapshot: {value}");
                            apply_delta(&mut self.view, &value);
                            self.view["type"] = json!("tick");
                        }
                        "director_tick" => {
                            assert!(self.view.is_object(), "a director tick frame before any snapshot: {value}");
                            apply_director_delta(&mut self.view, &value);
                            self.view["type"] = json!("director_tick");
                        }
                        _ => {}
                    }
                    Event::Frame(value)
                }
                Some(Ok(Message::Close(frame))) => Event::Closed(frame.map(|f| u16::from(f.code))),
                Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Event::Closed(None),
            };
            if let Event::Closed(code) = event {
                self.closed = Some(code);
            }
            return Some(event);
        }
    }

    /// The next frame; panics if the connection closes instead.
    pub async fn frame(&mut self) -> Value {
        match self.event().await {
            Event::Frame(v) => v,
            Event::Closed(code) => panic!("the connection closed ({code:?}) while a frame was expected"),
        }
    }

    /// Reads until a frame matches (within `TIMEOUT` in all).
    pub async fn wait_for(&mut self, what: &str, mut matches: impl FnMut(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.event_within(left).await {
                Some(Event::Frame(v)) if matches(&v) => return v,
                Some(Event::Frame(_)) => {}
                Some(Event::Closed(code)) => panic!("closed ({code:?}) while waiting for {what}"),
                None => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// The `ack` or `reject` of `seq`.
    pub async fn answer(&mut self, seq: u64) -> Value {
        self.wait_for(&format!("the answer to seq {seq}"), |v| matches!(kind(v), "ack" | "reject") && v["seq"] == seq)
            .await
    }

    /// Sends a command and returns its ack (panics on a reject).
    pub async fn acked(&mut self, seq: u64, command: Value) -> u64 {
        self.command(seq, command.clone()).await;
        let answer = self.answer(seq).await;
        assert_eq!(kind(&answer), "ack", "{command} was not acknowledged: {answer}");
        answer["tick"].as_u64().unwrap()
    }

    /// Sends a command and returns its reject code (panics on an ack).
    pub async fn rejected(&mut self, seq: u64, command: Value) -> String {
        self.command(seq, command.clone()).await;
        let answer = self.answer(seq).await;
        assert_eq!(kind(&answer), "reject", "{command} should have been refused: {answer}");
        answer["code"].as_str().unwrap().to_string()
    }

    pub async fn outcome(&mut self, seq: u64) -> Value {
        self.wait_for(&format!("the outcome of seq {seq}"), |v| kind(v) == "outcome" && v["seq"] == seq).await
    }

    /// The next `error` frame's code (panics on a close first).
    pub async fn error_code(&mut self) -> String {
        let e = self.wait_for("an error frame", |v| kind(v) == "error").await;
        e["code"].as_str().unwrap().to_string()
    }

    /// A view of tick `tick` or later.
    /// The whole view built from the frames (`view`), with the last frame's
    /// messages.
    pub async fn view_at(&mut self, tick: u64) -> Value {
        let frame =
            self.wait_for(&format!("a view of tick {tick}"), |v| is_view(v) && v["tick"].as_u64() >= Some(tick)).await;
        self.whole(frame)
    }

    /// The next view (as `view_at` gives it).
    pub async fn next_view(&mut self) -> Value {
        let frame = self.wait_for("a view", is_view).await;
        self.whole(frame)
    }

    fn whole(&self, frame: Value) -> Value {
        match kind(&frame) {
            "snapshot" | "tick" | "director_snapshot" | "director_tick" => self.view.clone(),
            _ => frame,
        }
    }

    /// Reads until the connection closes; returns the close code and the frames
    /// that came before it.
    pub async fn closing(&mut self) -> (Option<u16>, Vec<Value>) {
        let mut frames = Vec::new();
        loop {
            match self.event().await {
                Event::Frame(v) => frames.push(v),
                Event::Closed(code) => return (code, frames),
            }
        }
    }

    /// The frames that arrive within `wait` (the connection staying open).
    pub async fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let deadline = Instant::now() + wait;
        let mut frames = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return frames;
            }
            match self.event_within(left).await {
                Some(Event::Frame(v)) => frames.push(v),
                Some(Event::Closed(code)) => panic!("closed ({code:?}) unexpectedly"),
                None => return frames,
            }
        }
    }

    /// Every frame received so far.
    pub fn frames(&self) -> Vec<Value> {
        self.raw.iter().map(|t| serde_json::from_str(t).unwrap()).collect()
    }

    /// The last view received so far.
    pub fn last_view(&self) -> Option<Value> {
        self.frames().into_iter().rev().find(is_view)
    }

    /// Everything received so far, as one string (for leak checks).
    pub fn all_text(&self) -> String {
        self.raw.join("\n")
    }

    pub async fn close(mut self) {
        let _ = timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }
}

/// A client frame as a browser would send it: FIN, `opcode`, masked `payload`.
pub fn masked_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mask = [0x37u8, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x80 | opcode];
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    frame
}

/// The journal's lines, parsed (a torn last line skipped).
pub fn journal_lines(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).collect()
}

/// The journal's command lines.
pub fn journal_commands(path: &Path) -> Vec<Value> {
    journal_lines(path).into_iter().filter(|l| l.get("command").is_some()).collect()
}

/// The command lines of (team, client, seq).
pub fn journaled(path: &Path, team: &str, client: &str, seq: u64) -> Vec<Value> {
    journal_commands(path)
        .into_iter()
        .filter(|l| l["team"] == team && l["client"] == client && l["seq"] == seq)
        .collect()
}

/// The last checkpoint: (tick, hash).
pub fn last_checkpoint(path: &Path) -> (u64, String) {
    journal_lines(path)
        .iter()
        .rev()
        .find_map(|l| Some((l.get("checkpoint")?.as_u64()?, l["hash"].as_str()?.to_string())))
        .expect("a checkpoint")
}

/// `cascade replay JOURNAL --verify`: (success, stdout, stderr).
pub fn replay_verify(journal: &Path) -> (bool, String, String) {
    let out = Command::new(cascade_bin()).args(["replay", "--verify"]).arg(journal).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}
