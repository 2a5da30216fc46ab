//! The websocket client side of `cascade play` and `cascade bot` (DESIGN §6,
//! docs/protocol.md).
//!
//! [`Client::spawn`] starts one background task that owns the socket: it says
//! hello, turns every server frame into a [`ClientEvent`] on a channel, sends the
//! commands it is given, and reconnects with exponential backoff when the
//! connection drops. The caller never waits on the network: `send` only queues.
//!
//! Re-sending is safe because the client id and the sequence numbers survive a
//! reconnect: commands not yet acknowledged (or rejected) are sent again, with
//! their original `seq`, after the next `welcome`, and the server acknowledges a
//! (team, client, seq) it has already journaled again without applying it twice.
//! Sequence numbers start at the wall-clock milliseconds since the Unix epoch, so
//! a restarted client that re-uses its `--client` id never collides with the
//! commands of its earlier run (the server would acknowledge those as duplicates
//! and drop them).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cascade_engine::exercise::Action;
use cascade_engine::wire::{ClientMessage, MAX_CLIENT_ID_CHARS, PROTOCOL, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// How long a connection attempt (TCP + websocket handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the server has to answer a hello with `welcome`.
const WELCOME_TIMEOUT: Duration = Duration::from_secs(10);
/// Server error codes after which reconnecting cannot help.
const FATAL_ERRORS: [&str; 3] = ["bad_token", "bad_protocol", "bad_client"];

/// Where to connect and as whom.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `ws://HOST:PORT`.
    pub url: String,
    pub token: String,
    /// The client id sent in every hello (kept across reconnects).
    pub client: String,
    /// The first command's sequence number (then +1 per command).
    pub first_seq: u64,
    /// Give up after this many consecutive failed attempts once the connection
    /// is lost or cannot be made (`None`: retry for ever).
    pub max_retries: Option<u32>,
    /// First wait before reconnecting; it doubles up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// For `wss://`: the certificates to trust.
    pub trust: crate::tls::Trust,
}

impl ClientConfig {
    pub fn new(url: impl Into<String>, token: impl Into<String>, client: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            token: token.into(),
            client: client.into(),
            first_seq: initial_seq(),
            max_retries: None,
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
            trust: crate::tls::Trust::Public,
        }
    }

    /// The wait before the `failures`-th consecutive retry (1-based).
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        self.backoff_min.saturating_mul(factor).min(self.backoff_max)
    }
}

/// The state of the connection, as the screens show it.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// Trying to connect (attempt 1 is the first).
    Connecting { attempt: u32 },
    /// Welcomed by the server.
    Connected,
    /// Dropped or refused; another attempt follows after `retry_in`.
    Lost { reason: String, retry_in: Duration },
    /// For good: the server refused the hello, the retries ran out, or the client
    /// was closed.
    Closed { reason: String },
}

impl Connection {
    pub fn is_connected(&self) -> bool {
        matches!(self, Connection::Connected)
    }
}

/// What the background task reports.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientEvent {
    Connection(Connection),
    Frame(ServerMessage),
}

enum Outbound {
    Command {
        seq: u64,
        command: serde_json::Value,
    },
    /// A request answered at once and never journaled (a director's page of
    /// assets): sent if connected, forgotten if not (the asker asks again).
    Request(ClientMessage),
    Close,
}

/// The handle on the background task. Dropping it closes the connection.
pub struct Client {
    tx: mpsc::UnboundedSender<Outbound>,
    next_seq: u64,
    id: String,
}

impl Client {
    /// Starts the background task (call inside a tokio runtime). Events arrive on
    /// the returned receiver; it closes after `Connection::Closed`.
    pub fn spawn(config: ClientConfig) -> (Client, mpsc::Receiver<ClientEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::channel(1024);
        let client = Client { tx, next_seq: config.first_seq, id: config.client.clone() };
        tokio::spawn(run(config, rx, events_tx));
        (client, events_rx)
    }

    /// Queues a team action; returns its sequence number. It is sent now if
    /// connected, else after the next welcome.
    pub fn send(&mut self, action: &Action) -> u64 {
        let command = serde_json::to_value(action).expect("actions serialise");
        self.send_value(command)
    }

    /// Queues any command object (the director's, in tests and tools).
    pub fn send_value(&mut self, command: serde_json::Value) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let _ = self.tx.send(Outbound::Command { seq, command });
        seq
    }

    /// The director asks for a page of assets (an `assets` frame answers).
    pub fn ask_assets(&self, filter: &str, from: u64) {
        let _ = self.tx.send(Outbound::Request(ClientMessage::Assets { filter: filter.to_string(), from }));
    }

    /// Closes the connection (a close frame, then `Connection::Closed`).
    pub fn close(&self) {
        let _ = self.tx.send(Outbound::Close);
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The default first sequence number: milliseconds since the Unix epoch.
pub fn initial_seq() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(1).max(1)
}

/// A default client id: `<prefix>-<hostname>-<pid>`, printable ASCII, at most
/// 64 characters.
pub fn default_client_id(prefix: &str) -> String {
    let host = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_default();
    let host: String = host.trim().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '.').collect();
    let host = if host.is_empty() { "local".to_string() } else { host };
    let id = format!("{prefix}-{host}-{}", std::process::id());
    if id.len() <= MAX_CLIENT_ID_CHARS {
        return id;
    }
    // Keep the pid (the part that differs between two clients of one host).
    let tail = format!("-{}", std::process::id());
    let head: String = format!("{prefix}-{host}").chars().take(MAX_CLIENT_ID_CHARS - tail.len()).collect();
    format!("{head}{tail}")
}

/// What became of a command, from the server's frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandStatus {
    /// Queued or on the wire; no answer yet.
    Sent,
    /// Durable in the journal, to apply at `tick`.
    Acked { tick: u64 },
    /// Refused on receipt (never journaled).
    Rejected { code: String, message: String },
    /// Applied at `tick`.
    Applied { tick: u64 },
    /// Applied at `tick` but refused by the state then.
    Failed { tick: u64, code: String, message: String },
}

impl CommandStatus {
    /// Answered for good (no further frame will change it).
    pub fn is_final(&self) -> bool {
        matches!(self, CommandStatus::Rejected { .. } | CommandStatus::Applied { .. } | CommandStatus::Failed { .. })
    }
}

/// One command the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedCommand {
    pub action: Action,
    pub status: CommandStatus,
}

/// Every command sent by this client, by `seq`, with its status.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    commands: BTreeMap<u64, TrackedCommand>,
}

impl Tracker {
    pub fn sent(&mut self, seq: u64, action: Action) {
        self.commands.insert(seq, TrackedCommand { action, status: CommandStatus::Sent });
    }

    /// Updates from an `ack`, `reject` or `outcome`; returns the command it
    /// concerns (`None` for other frames and unknown seqs). An ack never
    /// downgrades a command already answered (a re-ack after a reconnect).
    pub fn on_frame(&mut self, frame: &ServerMessage) -> Option<(u64, &TrackedCommand)> {
        let (seq, status) = match frame {
            ServerMessage::Ack { seq, tick } => (*seq, CommandStatus::Acked { tick: *tick }),
            ServerMessage::Reject { seq, code, message } => {
                (*seq, CommandStatus::Rejected { code: code.clone(), message: message.clone() })
            }
            ServerMessage::Outcome { seq, tick, ok: true, .. } => (*seq, CommandStatus::Applied { tick: *tick }),
            ServerMessage::Outcome { seq, tick, ok: false, code, message } => {
                (*seq, CommandStatus::Failed { tick: *tick, code: code.clone(), message: message.clone() })
            }
            _ => return None,
        };
        let entry = self.commands.get_mut(&seq)?;
        if !(matches!(status, CommandStatus::Acked { .. }) && entry.status.is_final()) {
            entry.status = status;
        }
        Some((seq, &*entry))
    }

    pub fn get(&self, seq: u64) -> Option<&TrackedCommand> {
        self.commands.get(&seq)
    }

    /// Every command sent, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (u64, &TrackedCommand)> {
        self.commands.iter().map(|(s, c)| (*s, c))
    }

    /// Commands without a final answer, oldest first.
    pub fn unresolved(&self) -> impl DoubleEndedIterator<Item = (u64, &TrackedCommand)> {
        self.commands.iter().filter(|(_, c)| !c.status.is_final()).map(|(s, c)| (*s, c))
    }

    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
}

/// How a session (one connection) ended.
enum End {
    /// The caller closed the client or dropped the event receiver.
    Shutdown,
    /// Reconnecting cannot help.
    Fatal(String),
    /// Try again.
    Lost { reason: String, welcomed: bool },
}

async fn run(config: ClientConfig, mut outbound: mpsc::UnboundedReceiver<Outbound>, events: mpsc::Sender<ClientEvent>) {
    // Commands not yet acknowledged or rejected: sent again after a reconnect.
    let mut unacked: BTreeMap<u64, serde_json::Value> = BTreeMap::new();
    let mut failures = 0u32;
    let mut attempt = 0u32;
    let closed = |reason: String| ClientEvent::Connection(Connection::Closed { reason });
    // Only wss:// needs one; a certificate file that cannot be read would fail
    // every attempt the same way.
    let tls = if config.url.get(..6).is_some_and(|s| s.eq_ignore_ascii_case("wss://")) {
        match crate::tls::client_config(&config.trust) {
            Ok(tls) => Some(tls),
            Err(e) => {
                let _ = events.send(closed(e)).await;
                return;
            }
        }
    } else {
        None
    };
    loop {
        attempt += 1;
        if events.send(ClientEvent::Connection(Connection::Connecting { attempt })).await.is_err() {
            return;
        }
        match session(&config, tls.as_ref(), &mut outbound, &events, &mut unacked).await {
            End::Shutdown => {
                let _ = events.send(closed("closed".to_string())).await;
                return;
            }
            End::Fatal(reason) => {
                let _ = events.send(closed(reason)).await;
                return;
            }
            End::Lost { reason, welcomed } => {
                if welcomed {
                    failures = 0;
                }
                failures += 1;
                if let Some(max) = config.max_retries
                    && failures > max
                {
                    let tries = if max == 1 { "retry" } else { "retries" };
                    let _ = events.send(closed(format!("{reason}; gave up after {max} {tries}"))).await;
                    return;
                }
                let retry_in = config.backoff(failures);
                let lost = Connection::Lost { reason, retry_in };
                if events.send(ClientEvent::Connection(lost)).await.is_err() {
                    return;
                }
                let sleep = tokio::time::sleep(retry_in);
                tokio::pin!(sleep);
                loop {
                    tokio::select! {
                        _ = &mut sleep => break,
                        message = outbound.recv() => match message {
                            Some(Outbound::Command { seq, command }) => {
                                unacked.insert(seq, command);
                            }
                            Some(Outbound::Request(_)) => {}
                            Some(Outbound::Close) | None => {
                                let _ = events.send(closed("closed".to_string())).await;
                                return;
                            }
                        },
                    }
                }
            }
        }
    }
}

/// A failed connection attempt: retried, unless retrying cannot help (a
/// certificate the client does not trust, TLS on one side only), which ends
/// the client with what to do instead.
fn connect_failed(url: &str, e: &tokio_tungstenite::tungstenite::Error) -> End {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let text = e.to_string();
    let plain = url.replace("wss://", "ws://");
    if text.contains("invalid peer certificate") {
        return End::Fatal(format!(
            "cannot connect: {text}: this client does not trust the host's certificate. For a host started with \
             --tls-self-signed, give --ca-cert with its certificate file (<journal>.tls/cert.pem, from the organiser), \
             after checking its fingerprint"
        ));
    }
    if let WsError::Http(response) = e
        && response.body().as_deref().is_some_and(|b| String::from_utf8_lossy(b).contains("served over TLS"))
    {
        let secure = url.replacen("ws://", "wss://", 1);
        return End::Fatal(format!("cannot connect: the host serves TLS: use {secure} (or the https:// join link)"));
    }
    if url.starts_with("wss://") && (text.contains("InvalidContentType") || text.contains("corrupt message")) {
        return End::Fatal(format!(
            "cannot connect: the host does not serve TLS: use {plain} (or the http:// join link)"
        ));
    }
    End::Lost { reason: format!("cannot connect: {text}"), welcomed: false }
}

/// Whether a server frame is a view (a snapshot or a tick frame): every server
/// frame starts `{"type":"…"`.
fn is_view_frame(text: &str) -> bool {
    let kind = text.strip_prefix("{\"type\":\"").and_then(|rest| rest.split('"').next()).unwrap_or("");
    matches!(kind, "snapshot" | "tick" | "director_snapshot" | "director_tick")
}

fn command_frame(seq: u64, command: &serde_json::Value) -> Message {
    let frame = ClientMessage::Command { seq, command: command.clone() };
    Message::text(serde_json::to_string(&frame).expect("client messages serialise"))
}

async fn session(
    config: &ClientConfig,
    tls: Option<&Arc<rustls::ClientConfig>>,
    outbound: &mut mpsc::UnboundedReceiver<Outbound>,
    events: &mpsc::Sender<ClientEvent>,
    unacked: &mut BTreeMap<u64, serde_json::Value>,
) -> End {
    let lost = |reason: String, welcomed: bool| End::Lost { reason, welcomed };
    // TCP_NODELAY: a command goes out at once, not after the server's delayed
    // ACK of the previous frame (up to 40 ms).
    let connector = tls.map(|tls| tokio_tungstenite::Connector::Rustls(Arc::clone(tls)));
    let connect = tokio_tungstenite::connect_async_tls_with_config(config.url.as_str(), None, true, connector);
    let ws = match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Err(_) => return lost("connection timed out".to_string(), false),
        Ok(Err(e)) => return connect_failed(&config.url, &e),
        Ok(Ok((ws, _response))) => ws,
    };
    let (mut sink, mut source) = ws.split();
    let hello = ClientMessage::Hello { token: config.token.clone(), client: config.client.clone(), protocol: PROTOCOL };
    let hello = serde_json::to_string(&hello).expect("client messages serialise");
    if let Err(e) = sink.send(Message::text(hello)).await {
        return lost(format!("cannot say hello: {e}"), false);
    }
    let mut welcomed = false;
    // Tick frames are deltas against the view this connection holds: after a
    // frame it could not read (perhaps a tick) it holds none it can be sure
    // of, and asks for a snapshot rather than apply deltas to a stale view.
    let mut holds_view = false;
    let mut resync_asked = false;
    let welcome_deadline = tokio::time::sleep(WELCOME_TIMEOUT);
    tokio::pin!(welcome_deadline);
    loop {
        tokio::select! {
            _ = &mut welcome_deadline, if !welcomed => {
                return lost("no welcome from the server".to_string(), false);
            }
            frame = source.next() => {
                let text = match frame {
                    None => return lost("the server closed the connection".to_string(), welcomed),
                    Some(Err(e)) => return lost(format!("connection lost: {e}"), welcomed),
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(frame))) => {
                        let (code, reason) = match &frame {
                            Some(f) => (Some(f.code), f.reason.to_string()),
                            None => (None, String::new()),
                        };
                        let reason = if reason.is_empty() {
                            "the server closed the connection".to_string()
                        } else {
                            format!("the server closed the connection: {reason}")
                        };
                        // 1008 (policy) and 1009 (size) would happen again.
                        return match code {
                            Some(CloseCode::Policy) | Some(CloseCode::Size) => End::Fatal(reason),
                            _ => lost(reason, welcomed),
                        };
                    }
                    Some(Ok(_)) => continue, // ping/pong/binary: nothing for us
                };
                let message = match serde_json::from_str::<ServerMessage>(&text) {
                    Ok(message) => message,
                    // A frame of a newer server version, or one this client cannot
                    // read: skip it, but say so rather than go silent.
                    Err(e) => {
                        if is_view_frame(&text) {
                            // The view it held may now be behind: ask (again) at the next tick.
                            (holds_view, resync_asked) = (false, false);
                        }
                        ServerMessage::Error {
                            code: "unreadable_frame".into(),
                            message: format!("a frame from the server could not be read ({e}); skipped"),
                        }
                    }
                };
                let mut fatal = None;
                match &message {
                    ServerMessage::Welcome { .. } => {
                        welcomed = true;
                        if events.send(ClientEvent::Connection(Connection::Connected)).await.is_err() {
                            return End::Shutdown;
                        }
                        for (&seq, command) in unacked.iter() {
                            if let Err(e) = sink.send(command_frame(seq, command)).await {
                                return lost(format!("connection lost: {e}"), true);
                            }
                        }
                    }
                    ServerMessage::Ack { seq, .. } | ServerMessage::Reject { seq, .. } => {
                        unacked.remove(seq);
                    }
                    ServerMessage::Snapshot(_) | ServerMessage::DirectorSnapshot(_) => {
                        holds_view = true;
                        resync_asked = false;
                    }
                    ServerMessage::Tick(_) | ServerMessage::DirectorTick(_) if !holds_view => {
                        if !resync_asked {
                            let resync = serde_json::to_string(&ClientMessage::Resync).expect("client messages serialise");
                            if let Err(e) = sink.send(Message::text(resync)).await {
                                return lost(format!("connection lost: {e}"), true);
                            }
                            resync_asked = true;
                        }
                        continue; // not applied: the snapshot asked for replaces the view
                    }
                    // In place of a frame too large to send (it may have been a view).
                    ServerMessage::Error { code, .. } if code == "unsendable_frame" => {
                        (holds_view, resync_asked) = (false, false);
                    }
                    ServerMessage::Error { code, message } if FATAL_ERRORS.contains(&code.as_str()) => {
                        fatal = Some(format!("refused by the server ({code}): {message}"));
                    }
                    _ => {}
                }
                if events.send(ClientEvent::Frame(message)).await.is_err() {
                    return End::Shutdown;
                }
                if let Some(reason) = fatal {
                    return End::Fatal(reason);
                }
            }
            message = outbound.recv() => match message {
                Some(Outbound::Command { seq, command }) => {
                    if welcomed && let Err(e) = sink.send(command_frame(seq, &command)).await {
                        unacked.insert(seq, command);
                        return lost(format!("connection lost: {e}"), true);
                    }
                    unacked.insert(seq, command);
                }
                Some(Outbound::Request(request)) => {
                    let text = serde_json::to_string(&request).expect("client messages serialise");
                    if welcomed && let Err(e) = sink.send(Message::text(text)).await {
                        return lost(format!("connection lost: {e}"), true);
                    }
                }
                Some(Outbound::Close) | None => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(Message::Close(None))).await;
                    return End::Shutdown;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake host: welcome and snapshot, then frames the client cannot
    /// read. After an unreadable tick it must not apply good ones to the view
    /// it can no longer be sure of: it asks for a snapshot, once, and again if
    /// the snapshot that answers cannot be read either; an unreadable frame
    /// of another kind changes nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn after_a_frame_it_cannot_read_it_asks_for_a_snapshot_instead_of_applying_deltas() {
        use cascade_engine::view::DirectorDelta;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}", listener.local_addr().unwrap());
        let view = crate::testing::director_view();
        let frame = |m: &ServerMessage| Message::text(serde_json::to_string(m).unwrap());
        let snapshot = frame(&ServerMessage::DirectorSnapshot(Box::new(view.clone())));
        let tick = frame(&ServerMessage::DirectorTick(Box::new(DirectorDelta::full(&view))));
        let host = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            let next_text = async |ws: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>| loop {
                match ws.next().await.expect("the client stays").expect("a frame") {
                    Message::Text(text) => return serde_json::from_str::<serde_json::Value>(&text).unwrap(),
                    _ => continue,
                }
            };
            assert_eq!(next_text(&mut ws).await["type"], "hello");
            let welcome = ServerMessage::Welcome {
                team: "director".into(),
                role: "director".into(),
                tick: 0,
                protocol: PROTOCOL,
                scenario: "fake".into(),
                running: true,
                ticks_per_second: 1.0,
            };
            ws.send(frame(&welcome)).await.unwrap();
            ws.send(snapshot.clone()).await.unwrap();
            // A frame of another kind it cannot read leaves the view alone.
            ws.send(Message::text(r#"{"type":"presence","teams":7}"#)).await.unwrap();
            ws.send(tick.clone()).await.unwrap();
            ws.send(Message::text(r#"{"type":"director_tick","tick":"soon"}"#)).await.unwrap();
            ws.send(tick.clone()).await.unwrap();
            ws.send(tick.clone()).await.unwrap();
            assert_eq!(next_text(&mut ws).await["type"], "resync", "asked once for a snapshot");
            // The snapshot that answers cannot be read either: it asks again.
            ws.send(Message::text(r#"{"type":"director_snapshot","tick":[]}"#)).await.unwrap();
            ws.send(tick.clone()).await.unwrap();
            assert_eq!(next_text(&mut ws).await["type"], "resync", "asked again");
            ws.send(snapshot).await.unwrap();
            ws.send(tick).await.unwrap();
            assert!(
                tokio::time::timeout(Duration::from_millis(300), next_text(&mut ws)).await.is_err(),
                "asked no more"
            );
        });
        let (client, mut events) = Client::spawn(ClientConfig::new(url, "token", "test"));
        let mut kinds = Vec::new();
        while kinds.len() < 7 {
            let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap().unwrap();
            match event {
                ClientEvent::Frame(ServerMessage::DirectorSnapshot(_)) => kinds.push("snapshot"),
                ClientEvent::Frame(ServerMessage::DirectorTick(_)) => kinds.push("tick"),
                ClientEvent::Frame(ServerMessage::Error { code, .. }) => {
                    kinds.push(if code == "unreadable_frame" { "unreadable" } else { "error" })
                }
                _ => {}
            }
        }
        // The good ticks after an unreadable view were not handed on.
        assert_eq!(kinds, ["snapshot", "unreadable", "tick", "unreadable", "unreadable", "snapshot", "tick"]);
        host.await.unwrap();
        client.close();
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let config = ClientConfig::new("ws://x", "t", "c");
        assert_eq!(config.backoff(1), Duration::from_millis(250));
        assert_eq!(config.backoff(2), Duration::from_millis(500));
        assert_eq!(config.backoff(3), Duration::from_secs(1));
        assert_eq!(config.backoff(6), Duration::from_secs(5));
        assert_eq!(config.backoff(1000), Duration::from_secs(5));
    }

    #[test]
    fn default_ids_are_valid_client_ids() {
        let id = default_client_id("play");
        assert!(id.starts_with("play-"), "{id}");
        assert!(id.len() <= MAX_CLIENT_ID_CHARS);
        assert!(id.chars().all(|c| c.is_ascii_graphic()), "{id}");
        assert!(id.ends_with(&format!("-{}", std::process::id())));
    }

    #[test]
    fn sequence_numbers_start_from_the_clock() {
        // 2020-01-01 in ms: a restarted client starts above anything sent before.
        assert!(initial_seq() > 1_577_836_800_000);
    }

    #[test]
    fn the_tracker_follows_ack_then_outcome_and_ignores_late_acks() {
        let mut t = Tracker::default();
        let action = Action::Isolate { asset: "a".into() };
        t.sent(7, action.clone());
        assert_eq!(t.get(7).unwrap().status, CommandStatus::Sent);
        t.on_frame(&ServerMessage::Ack { seq: 7, tick: 3 });
        assert_eq!(t.get(7).unwrap().status, CommandStatus::Acked { tick: 3 });
        assert_eq!(t.unresolved().count(), 1);
        let outcome =
            ServerMessage::Outcome { seq: 7, tick: 3, ok: false, code: "no_staff".into(), message: "busy".into() };
        let (seq, c) = t.on_frame(&outcome).unwrap();
        assert_eq!(seq, 7);
        assert!(matches!(&c.status, CommandStatus::Failed { code, .. } if code == "no_staff"));
        // A re-ack after a reconnect does not undo the outcome.
        t.on_frame(&ServerMessage::Ack { seq: 7, tick: 3 });
        assert!(t.get(7).unwrap().status.is_final());
        assert_eq!(t.unresolved().count(), 0);
        // Unknown seqs and other frames are ignored.
        assert!(t.on_frame(&ServerMessage::Ack { seq: 8, tick: 3 }).is_none());
        assert!(t.on_frame(&ServerMessage::Error { code: "x".into(), message: "y".into() }).is_none());
        t.sent(9, action);
        t.on_frame(&ServerMessage::Reject { seq: 9, code: "not_your_asset".into(), message: "no".into() });
        assert!(matches!(t.get(9).unwrap().status, CommandStatus::Rejected { .. }));
        assert_eq!(t.len(), 2);
    }
}
