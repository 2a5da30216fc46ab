//! Property tests of the protocol against a live host in this process: any
//! sequence of frames — arbitrary text, bytes that are not UTF-8, JSON of the
//! wrong shape, numbers out of range, nesting thousands deep, binary frames,
//! frames over the limit — before or after a hello gets only well-formed
//! answers with documented codes (docs/protocol.md), or a close with a
//! documented code; and all along another team is still served.
//!
//! Bounded: 48 cases of at most 8 frames, each case's answers read for 400 ms;
//! the whole file runs in about 20 s.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cascade_host::{Config, Limits, Ready, Source};
use futures_util::{SinkExt, StreamExt};
use proptest::prelude::*;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const SCENARIO: &str = r#"Scenario(
    name: "Properties",
    duration_ticks: 100000,
    start: "2026-03-10T08:00",
    sectors: [Sector(id: "energy")],
    organisations: [Organisation(id: "alpha", kind: Operator, sector: "energy"),
                    Organisation(id: "bravo", kind: Operator, sector: "energy")],
    assets: [Asset(id: "a-core", organisation: "alpha", sector: "energy", population: 10),
             Asset(id: "b-core", organisation: "bravo", sector: "energy", population: 10)],
    teams: [Team(id: "team-a", organisation: "alpha", role: Operator),
            Team(id: "team-b", organisation: "bravo", role: Operator)],
)
"#;

/// Close codes docs/protocol.md lists.
const CLOSE_CODES: [u16; 6] = [1001, 1002, 1007, 1008, 1009, 1013];
/// Server frame types docs/protocol.md lists.
const TYPES: [&str; 11] = [
    "welcome",
    "snapshot",
    "director_snapshot",
    "tick",
    "director_tick",
    "clock",
    "ack",
    "reject",
    "outcome",
    "error",
    "presence",
];

/// The codes of the table under `### heading` in docs/protocol.md.
fn documented(heading: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/protocol.md")).unwrap();
    let start = doc.find(&format!("\n### {heading}\n")).unwrap();
    let section = &doc[start + heading.len() + 6..];
    let section = &section[..section.find("\n#").unwrap_or(section.len())];
    section.lines().filter_map(|l| l.strip_prefix("| `")).map(|l| l[..l.find('`').unwrap()].to_string()).collect()
}

struct Host {
    runtime: tokio::runtime::Runtime,
    url: String,
    tokens: Value,
    /// A team connection kept open across every case.
    bystander: tokio::sync::Mutex<Ws>,
    seq: std::sync::atomic::AtomicU64,
    _dir: tempfile::TempDir,
}

fn host() -> Arc<Host> {
    static HOST: std::sync::OnceLock<Arc<Host>> = std::sync::OnceLock::new();
    Arc::clone(HOST.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s.ron"), SCENARIO).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let config = Config {
            journal: Some(dir.path().join("j.jsonl")),
            tokens_out: Some(dir.path().join("tokens.json")),
            speed: Some(50.0),
            limits: Limits { hello_timeout: Duration::from_secs(2), commands_per_second: 1000, ..Limits::default() },
            ..Config::new(Source::Scenario { file: dir.path().join("s.ron"), bots: None, seed: None }, "127.0.0.1:0")
        };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Ready>();
        runtime.spawn(async move { cascade_host::run_until(&config, Some(ready_tx), None).await });
        let ready = runtime.block_on(ready_rx).expect("the host listens");
        let tokens: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("tokens.json")).unwrap()).unwrap();
        let bystander = runtime.block_on(async {
            let mut d = connect(&ready.url).await;
            d.send(text(hello(tokens["director"].as_str().unwrap(), "director"))).await.unwrap();
            d.send(text(json!({"type": "command", "seq": 1, "command": {"action": "start"}}))).await.unwrap();
            // Keep the director's connection open too, in the background.
            tokio::spawn(async move { while let Some(Ok(_)) = d.next().await {} });
            let mut b = connect(&ready.url).await;
            b.send(text(hello(tokens["teams"]["team-b"].as_str().unwrap(), "bystander"))).await.unwrap();
            b
        });
        Arc::new(Host {
            runtime,
            url: ready.url,
            tokens,
            bystander: tokio::sync::Mutex::new(bystander),
            seq: std::sync::atomic::AtomicU64::new(1),
            _dir: dir,
        })
    }))
}

async fn connect(url: &str) -> Ws {
    tokio_tungstenite::connect_async_with_config(url, None, true).await.expect("connect").0
}

fn text(value: Value) -> Message {
    Message::text(value.to_string())
}

fn hello(token: &str, client: &str) -> Value {
    json!({"type": "hello", "token": token, "client": client, "protocol": 3})
}

/// A client frame, as the strategy builds it.
#[derive(Debug, Clone)]
enum Sent {
    Text(String),
    /// A text frame whose bytes need not be UTF-8.
    RawText(Vec<u8>),
    Binary(Vec<u8>),
}

impl Sent {
    fn message(&self) -> Message {
        match self {
            Sent::Text(t) => Message::text(t.clone()),
            Sent::RawText(b) => Message::Frame(Frame::message(b.clone(), OpCode::Data(Data::Text), true)),
            Sent::Binary(b) => Message::binary(b.clone()),
        }
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
        prop_oneof![Just("hello"), Just("command"), Just("isolate"), Just("start"), Just("takeover")]
            .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_string()),
                    Just("seq".to_string()),
                    Just("command".to_string()),
                    Just("action".to_string()),
                    Just("token".to_string()),
                    Just("asset".to_string()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn frame() -> impl Strategy<Value = Sent> {
    prop_oneof![
        4 => json_value().prop_map(|v| Sent::Text(v.to_string())),
        2 => (any::<u64>(), json_value()).prop_map(|(seq, command)| {
            Sent::Text(json!({"type": "command", "seq": seq, "command": command}).to_string())
        }),
        1 => (any::<u64>(), prop_oneof![Just("isolate"), Just("harden"), Just("share"), Just("start"), Just("inject")])
            .prop_map(|(seq, action)| {
                Sent::Text(json!({"type": "command", "seq": seq, "command": {"action": action, "asset": "a-core"}}).to_string())
            }),
        2 => ".{0,64}".prop_map(Sent::Text),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Sent::RawText),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Sent::Binary),
        1 => (1usize..3000).prop_map(|depth| Sent::Text(format!("{}{}", "[".repeat(depth), "]".repeat(depth)))),
        1 => prop_oneof![
            Just(Sent::Text("{\"type\":\"command\",\"seq\":1e999,\"command\":{}}".into())),
            Just(Sent::Text("{\"type\":\"command\",\"seq\":123456789012345678901234567890,\"command\":{}}".into())),
            Just(Sent::Text("{\"type\":\"hello\",\"token\":\"x\",\"client\":\"c\",\"protocol\":4294967296}".into())),
        ],
        1 => (64 * 1024 - 8..64 * 1024 + 64usize).prop_map(|n| Sent::Text("x".repeat(n))),
    ]
}

/// What one case saw: every frame the server sent, and the close code if it
/// closed.
async fn play(host: &Host, say_hello: bool, frames: &[Sent]) -> (Vec<Value>, Option<Option<u16>>) {
    let mut ws = connect(&host.url).await;
    if say_hello {
        ws.send(text(hello(host.tokens["teams"]["team-a"].as_str().unwrap(), "prop"))).await.unwrap();
    }
    for frame in frames {
        if ws.send(frame.message()).await.is_err() {
            break; // closed by the server: what it said is read below
        }
    }
    let mut received = Vec::new();
    // A joined client gets a view every tick: read for a while, not until quiet.
    let until = tokio::time::Instant::now() + Duration::from_millis(400);
    loop {
        match tokio::time::timeout_at(until, ws.next()).await {
            Err(_) => return (received, None), // still open
            Ok(Some(Ok(Message::Text(t)))) => {
                received.push(serde_json::from_str(&t).unwrap_or_else(|e| panic!("not JSON from the server: {e}: {t}")))
            }
            Ok(Some(Ok(Message::Close(close)))) => return (received, Some(close.map(|c| u16::from(c.code)))),
            Ok(Some(Ok(Message::Binary(_)))) => panic!("the server sent a binary frame"),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_))) | Ok(None) => return (received, Some(None)),
        }
    }
}

/// The bystander still gets its commands acknowledged.
async fn bystander_served(host: &Host) {
    let seq = host.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let mut b = host.bystander.lock().await;
    let command = json!({"action": "message", "to": ["team-b"], "text": "still here", "tlp": "TLP:RED"});
    b.send(text(json!({"type": "command", "seq": seq, "command": command}))).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let frame = tokio::time::timeout_at(deadline, b.next()).await.expect("the bystander is answered");
        // A closed connection fails the case instead of spinning here.
        let t = match frame {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(_)) => continue,
            other => panic!("the bystander's connection ended: {other:?}"),
        };
        let v: Value = serde_json::from_str(&t).unwrap();
        if v["type"] == "ack" && v["seq"] == seq {
            return;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        max_shrink_iters: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_frames_get_documented_answers_and_others_are_still_served(
        say_hello in any::<bool>(),
        frames in prop::collection::vec(frame(), 1..8),
    ) {
        let host = host();
        let (errors, rejects) = (documented("Error codes"), documented("Reject codes"));
        let (received, closed) = host.runtime.block_on(play(&host, say_hello, &frames));
        for f in &received {
            let kind = f["type"].as_str().unwrap_or_default();
            prop_assert!(TYPES.contains(&kind), "unknown frame type: {f}");
            match kind {
                "error" => prop_assert!(errors.contains(f["code"].as_str().unwrap()), "undocumented error: {f}"),
                "reject" => prop_assert!(rejects.contains(f["code"].as_str().unwrap()), "undocumented reject: {f}"),
                _ => {}
            }
        }
        match closed {
            None => {}
            Some(None) => prop_assert!(false, "closed without a close frame after {received:?}"),
            Some(Some(code)) => {
                prop_assert!(CLOSE_CODES.contains(&code), "undocumented close code {code}");
                prop_assert!(received.iter().any(|f| f["type"] == "error"), "a close says why first: {received:?}");
            }
        }
        host.runtime.block_on(bystander_served(&host));
    }
}

#[test]
fn documented_codes_are_found() {
    // Guards the parsing above: an empty set would make the property vacuous.
    assert!(documented("Error codes").contains("bad_json"));
    assert!(documented("Reject codes").contains("rate_limited"));
}
