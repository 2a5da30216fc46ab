//! One websocket connection, from the TCP accept to its last byte.
//!
//! - Waiting: the websocket upgrade and a hello with a valid token must both
//!   be done within the hello timeout, counted from the accept; meanwhile the
//!   connection holds a waiting place (`admission`), which a newcomer may take.
//!   Only a good hello gets a joined place (`server_full` if there is none).
//! - Joined: frames are parsed (`frame`), commands rate-limited and handed to
//!   the exercise; answers and views go out through the connection's `Outbox`
//!   and one writer task. While too many answers wait unread, the reader stops
//!   reading: a client that floods without reading slows itself, never the host.
//! - Closing: bad input of any kind gets an `error` frame with a code
//!   (docs/protocol.md); some also close the connection with a code (1008 token
//!   or protocol, 1009 frame size, 1007 text that is not UTF-8, 1002 a broken
//!   websocket frame, 1013 full or too slow, 1001 silent). The closing
//!   handshake is completed: after its close frame the host half-closes and
//!   reads what the client still sends until it closes too, so that the client
//!   gets the close frame rather than a TCP reset.
//!
//! The writer pings every `idle_timeout / 3`; a joined client that sends
//! nothing at all (not even the pong its websocket library answers by itself)
//! for `idle_timeout` is gone — a suspended laptop, a dropped network — and is
//! closed (1001), so that the director's presence stays true. A client that
//! reads nothing for a third of `idle_timeout` while a frame waits is cut.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use cascade_engine::view::MAX_ASSET_FILTER_CHARS;
use cascade_engine::wire::{ClientMessage, MAX_TOKEN_CHARS, PROTOCOL, ServerMessage};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{debug, info, warn};

use crate::admission::{Full, Joined, Waiting};
use crate::config::Limits;
use crate::exercise::Request;
use crate::frame;
use crate::outbox::{Frame, Frames, MAX_WAITING_ANSWERS, Outbox};
use crate::tokens::{Identity, Tokens};
use crate::web::{self, Accepted, Stream};

type Ws = WebSocketStream<Stream>;

/// How long a close frame may take to reach a client, and how long the host
/// then reads what the client still sends before it hangs up.
const CLOSE_WAIT: Duration = Duration::from_secs(2);
/// The same for a connection that never joined.
const CLOSE_WAIT_UNJOINED: Duration = Duration::from_millis(250);
/// The most the host reads and discards from a client after its close frame.
const MAX_DRAIN_BYTES: usize = 4 << 20;
/// Refused frames of one connection logged one by one; past them, one line
/// per thousand.
const LOGGED_REFUSALS: u64 = 10;
/// The read buffer of a connection.
const READ_BUFFER_BYTES: usize = 8 * 1024;
/// Most bytes the writer may hold for one connection beyond what the socket
/// took (a whole director snapshot must fit).
const MAX_WRITE_BUFFER_BYTES: usize = 64 << 20;

/// What the connection needs from the host.
pub struct Shared {
    pub tokens: Tokens,
    pub team_ids: Vec<String>,
    pub requests: mpsc::Sender<Request>,
    pub limits: Limits,
    pub turned_away: TurnedAway,
    /// Present when the host serves TLS (https/wss).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Connections closed before they joined, counted for a periodic summary in
/// the log rather than a line each: a flood of them must not flood the log.
#[derive(Debug, Default)]
pub struct TurnedAway {
    pub no_handshake: AtomicU64,
    /// Plain HTTP requests (the portal's page and files, and refusals).
    pub http_requests: AtomicU64,
    pub no_hello: AtomicU64,
    pub displaced: AtomicU64,
    pub bad_token: AtomicU64,
    /// Frames refused before any hello (bad JSON and the like).
    pub refused_before_hello: AtomicU64,
}

impl TurnedAway {
    fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts since the last call, as a sentence, if any.
    pub fn take_summary(&self) -> Option<String> {
        let take = |c: &AtomicU64| c.swap(0, Ordering::Relaxed);
        let counts = [
            (take(&self.no_handshake), "without a websocket handshake in time"),
            (take(&self.http_requests), "HTTP requests answered (the portal)"),
            (take(&self.no_hello), "without a valid hello in time"),
            (take(&self.displaced), "displaced by newer waiting connections"),
            (take(&self.bad_token), "with a wrong token"),
            (take(&self.refused_before_hello), "frames refused before a hello"),
        ];
        let parts: Vec<String> = counts.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")).collect();
        (!parts.is_empty()).then(|| format!("connections turned away: {}", parts.join(", ")))
    }
}

fn error(code: &str, message: impl Into<String>) -> ServerMessage {
    ServerMessage::Error { code: code.to_string(), message: message.into() }
}

fn close_frame(code: CloseCode, reason: &'static str) -> CloseFrame {
    CloseFrame { code, reason: reason.into() }
}

/// How the reading side ended.
enum End {
    /// The client closed (its close frame is answered) or the connection broke.
    Gone,
    /// The host closes with this frame, after what is queued.
    Close(CloseFrame),
    /// The writer stopped first (the exercise gave up on the client, or the
    /// client does not read).
    WriterStopped,
}

/// A token bucket: `rate` commands per second, bursts of `rate`.
struct Bucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: u32) -> Self {
        Self { rate: f64::from(rate), tokens: f64::from(rate), at: Instant::now() }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub async fn serve_connection(stream: TcpStream, peer: SocketAddr, conn: u64, shared: Arc<Shared>, waiting: Waiting) {
    // Small frames (acks) go out at once instead of waiting up to 40 ms for
    // the client's delayed ACK of the previous one.
    let _ = stream.set_nodelay(true);
    let deadline = Instant::now() + shared.limits.hello_timeout;
    // Clients send small frames: a small read buffer (tungstenite's default,
    // 128 KiB, is allocated and zeroed per connection) keeps thousands of
    // connections cheap; a larger frame still fits, the buffer grows for it.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(shared.limits.max_frame_bytes))
        .max_frame_size(Some(shared.limits.max_frame_bytes))
        .max_write_buffer_size(MAX_WRITE_BUFFER_BYTES);
    let upgrade = web::accept(stream, shared.tls.as_ref(), config);
    let ws = tokio::select! {
        upgraded = tokio::time::timeout_at(deadline, upgrade) => match upgraded {
            Ok(Ok(Accepted::WebSocket(ws))) => *ws,
            Ok(Ok(Accepted::Answered { status })) => {
                debug!("connection {conn} from {peer}: HTTP request answered with {status}");
                TurnedAway::count(&shared.turned_away.http_requests);
                return;
            }
            Ok(Err(e)) => {
                debug!("connection {conn} from {peer}: handshake failed: {e}");
                TurnedAway::count(&shared.turned_away.no_handshake);
                return;
            }
            Err(_) => {
                debug!("connection {conn} from {peer}: no websocket handshake within {:?}; closed", shared.limits.hello_timeout);
                TurnedAway::count(&shared.turned_away.no_handshake);
                return;
            }
        },
        _ = waiting.evicted() => {
            debug!("connection {conn} from {peer}: gave its waiting place to a newer connection");
            TurnedAway::count(&shared.turned_away.displaced);
            return;
        }
    };
    let (sink, source) = ws.split();
    let (outbox, frames) = Outbox::new();
    let (writer_done_tx, writer_done) = oneshot::channel::<()>();
    let ping_every = (shared.limits.idle_timeout / 3).max(Duration::from_millis(10));
    // A frame that cannot be written for this long: the client reads
    // nothing; the same limit as the exercise's for a client whose views pile up.
    let write_timeout = shared.limits.idle_timeout / 3;
    let mut writer = tokio::spawn(async move {
        let _done = writer_done_tx;
        write(sink, frames, ping_every, write_timeout).await
    });
    let mut reader = Reader {
        conn,
        peer,
        bucket: Bucket::new(shared.limits.commands_per_second),
        shared,
        outbox: Arc::clone(&outbox),
        source,
        identity: None,
        joined: None,
        subscribed: false,
        refusals: 0,
        writer_done,
    };
    let end = reader.run(waiting, deadline).await;
    let Reader { shared, source, subscribed, joined, refusals, .. } = reader;
    if refusals > LOGGED_REFUSALS {
        info!("connection {conn} from {peer}: {refusals} frames refused in all");
    }
    if subscribed {
        let _ = shared.requests.send(Request::Unsubscribe { conn }).await;
    }
    outbox.close(match &end {
        End::Close(frame) => Some(frame.clone()),
        End::Gone | End::WriterStopped => None,
    });
    // The writer sends what is queued and the close frame; a client that
    // does not read could hold it, and the connection's place, for as long as
    // TCP keeps trying: cut it after a while.
    let sink = match tokio::time::timeout(2 * CLOSE_WAIT, &mut writer).await {
        Ok(Ok(sink)) => sink,
        Ok(Err(_)) => None,
        Err(_) => {
            debug!("connection {conn} from {peer}: the writer is stuck; cut");
            writer.abort();
            None
        }
    };
    if let (End::Close(_), Some(sink)) = (&end, sink)
        && let Ok(ws) = sink.reunite(source)
    {
        // A connection that never joined gets a short wait: a flood of them
        // must not hold descriptors for long.
        hang_up(ws, if joined.is_some() { CLOSE_WAIT } else { CLOSE_WAIT_UNJOINED }).await;
    }
    drop(joined);
}

/// After the host's close frame: half-close, then read and discard what the
/// client still sends (the rest of a frame too large, its own close frame)
/// until it hangs up too, for at most `wait` and `MAX_DRAIN_BYTES`.
/// Closing a socket with unread input makes the kernel send a reset, which a
/// client sees as an abnormal close (1006) and which can destroy the close
/// frame before the client reads it.
async fn hang_up(mut ws: Ws, wait: Duration) {
    let tcp = ws.get_mut();
    let _ = tcp.shutdown().await;
    let mut buf = vec![0u8; 16 * 1024];
    let mut drained = 0usize;
    let deadline = Instant::now() + wait;
    while drained < MAX_DRAIN_BYTES {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => drained += n,
            _ => break,
        }
    }
}

/// The writer task: sends the outbox's frames in order, and pings. Returns
/// the sink after a close frame went out (for `hang_up`), `None` if the
/// connection broke or the client stopped reading.
async fn write(
    mut sink: SplitSink<Ws, Message>,
    mut frames: Frames,
    ping_every: Duration,
    write_timeout: Duration,
) -> Option<SplitSink<Ws, Message>> {
    let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let outbox = frames.outbox();
    loop {
        let message = tokio::select! {
            biased;
            _ = outbox.kicked() => {
                frames.shut();
                let too_slow = close_frame(CloseCode::Again, "too slow: reconnect");
                let _ = tokio::time::timeout(CLOSE_WAIT, sink.send(Message::Close(Some(too_slow)))).await;
                return None;
            }
            frame = frames.next() => match frame {
                Some(Frame::Answer(text) | Frame::View(text)) => Message::Text(text),
                Some(Frame::Close(close)) => {
                    frames.shut();
                    let Some(close) = close else { return Some(sink) };
                    let sent = tokio::time::timeout(CLOSE_WAIT, sink.send(Message::Close(Some(close)))).await;
                    return matches!(sent, Ok(Ok(()))).then_some(sink);
                }
                None => return Some(sink),
            },
            // Something for a live client to answer (see idle_timeout).
            _ = ping.tick() => Message::Ping(Default::default()),
        };
        let sent = tokio::select! {
            biased;
            // Given up on by the exercise while stuck writing to a client
            // that does not read: try to say so, then stop.
            _ = outbox.kicked() => None,
            sent = tokio::time::timeout(write_timeout, sink.send(message)) => Some(sent),
        };
        match sent {
            Some(Ok(Ok(()))) => {}
            Some(Ok(Err(_))) => {
                frames.shut();
                return None;
            }
            Some(Err(_)) | None => {
                frames.shut();
                // Either the exercise gave up on it (and said so), or a frame
                // waited here unwritten: say that, as the exercise would.
                if sent.is_some() {
                    warn!(
                        "a frame waited unwritten for {:.1} s (the client reads nothing); closing it (1013)",
                        write_timeout.as_secs_f64()
                    );
                }
                let too_slow = close_frame(CloseCode::Again, "too slow: reconnect");
                let _ = tokio::time::timeout(CLOSE_WAIT, sink.send(Message::Close(Some(too_slow)))).await;
                return None;
            }
        }
    }
}

/// The reading side of a connection.
struct Reader {
    conn: u64,
    peer: SocketAddr,
    shared: Arc<Shared>,
    outbox: Arc<Outbox>,
    source: SplitStream<Ws>,
    bucket: Bucket,
    /// Who the connection is and the client id it gave, once welcomed.
    identity: Option<(Identity, String)>,
    joined: Option<Joined>,
    /// A `Subscribe` went to the exercise (an `Unsubscribe` must follow).
    subscribed: bool,
    /// Frames refused so far (for the log).
    refusals: u64,
    writer_done: oneshot::Receiver<()>,
}

/// Resolves when a waiting connection is evicted; never once it has joined.
async fn evicted(waiting: &Option<Waiting>) {
    match waiting {
        Some(waiting) => waiting.evicted().await,
        None => std::future::pending().await,
    }
}

impl Reader {
    fn send(&self, message: ServerMessage) {
        self.outbox.answer(&message);
    }

    fn refuse(&mut self, code: &str, message: impl Into<String>) {
        self.log_refusal(code);
        self.send(error(code, message));
    }

    /// Logs a refused frame; past the first few of a connection only every
    /// thousandth, so that a flood of bad frames cannot flood the log.
    fn log_refusal(&mut self, code: &str) {
        if self.identity.is_none() {
            // Anyone can send these, without a token: counted, not logged.
            debug!("connection {} from {}: {code}", self.conn, self.peer);
            TurnedAway::count(&self.shared.turned_away.refused_before_hello);
            return;
        }
        self.refusals += 1;
        let n = self.refusals;
        if n <= LOGGED_REFUSALS {
            warn!("connection {} from {}: {code}", self.conn, self.peer);
        } else if n.is_multiple_of(1000) {
            warn!("connection {} from {}: {code} ({n} frames refused so far)", self.conn, self.peer);
        }
    }

    async fn run(&mut self, waiting: Waiting, hello_deadline: Instant) -> End {
        let mut waiting = Some(waiting);
        loop {
            // The writer has stopped taking frames (the client does not read,
            // or the exercise gave up on it): the connection is over. Checked
            // first, so that no branch below can be ready again and again.
            if self.outbox.is_closed() {
                return End::WriterStopped;
            }
            // Back-pressure: a client that leaves its answers unread is not
            // read either, until it catches up.
            let room = self.outbox.waiting_answers() < MAX_WAITING_ANSWERS;
            let read_by = match self.identity {
                None => hello_deadline,
                Some(_) => Instant::now() + self.shared.limits.idle_timeout,
            };
            // Held back, a joined client is not silent, only unread: the
            // writer's timeout judges it then, not the idle timeout.
            let deadline = room || self.identity.is_none();
            let next = tokio::select! {
                next = self.source.next(), if room => Some(next),
                room = self.outbox.wait_for_room(), if !room => match room {
                    Ok(()) => continue,
                    Err(_) => return End::WriterStopped,
                },
                _ = tokio::time::sleep_until(read_by), if deadline => None,
                _ = evicted(&waiting) => {
                    debug!("connection {} from {}: gave its waiting place to a newer connection", self.conn, self.peer);
                    TurnedAway::count(&self.shared.turned_away.displaced);
                    self.send(error("too_many_waiting", "too many connections are waiting to join; try again"));
                    return End::Close(close_frame(CloseCode::Again, "too many waiting"));
                }
                _ = &mut self.writer_done => return End::WriterStopped,
            };
            let Some(frame) = next else {
                if self.identity.is_none() {
                    debug!("connection {} from {}: no hello in time", self.conn, self.peer);
                    TurnedAway::count(&self.shared.turned_away.no_hello);
                    self.send(error("hello_timeout", "no valid hello in time"));
                    return End::Close(close_frame(CloseCode::Policy, "no hello"));
                }
                info!(
                    "connection {} from {}: silent for {:?}, closed",
                    self.conn, self.peer, self.shared.limits.idle_timeout
                );
                return End::Close(close_frame(CloseCode::Away, "no answer: reconnect"));
            };
            let text = match frame {
                None => return End::Gone,
                Some(Ok(Message::Close(_))) => {
                    // Read on, so that tungstenite sends its answering close frame.
                    let _ = tokio::time::timeout(CLOSE_WAIT, self.source.next()).await;
                    return End::Gone;
                }
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Binary(_))) => {
                    self.refuse("binary_frame", "frames are JSON text");
                    continue;
                }
                Some(Ok(_)) => continue, // ping/pong: tungstenite answers pings itself
                Some(Err(e)) => return self.broken(e),
            };
            if let Some(end) = self.on_text(&text, &mut waiting).await {
                return end;
            }
        }
    }

    /// A read error: what the client is told, and how the connection closes.
    fn broken(&mut self, e: WsError) -> End {
        match e {
            WsError::Capacity(e) => {
                warn!("connection {} from {}: frame over the limit ({e})", self.conn, self.peer);
                self.send(error(
                    "frame_too_large",
                    format!("frames are at most {} bytes", self.shared.limits.max_frame_bytes),
                ));
                End::Close(close_frame(CloseCode::Size, "frame too large"))
            }
            WsError::Utf8(_) => {
                self.refuse("invalid_utf8", "a text frame must be valid UTF-8");
                End::Close(close_frame(CloseCode::Invalid, "invalid UTF-8"))
            }
            // The client hung up without a close frame: nothing to answer.
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
                debug!("connection {} from {}: closed without a close frame", self.conn, self.peer);
                End::Gone
            }
            WsError::Protocol(e) => {
                self.refuse("protocol_error", format!("websocket protocol violation: {e}"));
                End::Close(close_frame(CloseCode::Protocol, "protocol violation"))
            }
            e => {
                debug!("connection {} from {}: {e}", self.conn, self.peer);
                End::Gone
            }
        }
    }

    /// One text frame; `Some` if the connection ends with it.
    async fn on_text(&mut self, text: &str, waiting: &mut Option<Waiting>) -> Option<End> {
        let message = match frame::parse(text) {
            Ok(message) => message,
            Err(refusal) => {
                self.refuse(refusal.code, refusal.message);
                return None;
            }
        };
        match message {
            ClientMessage::Hello { token, client, protocol } => self.on_hello(token, client, protocol, waiting).await,
            ClientMessage::Command { seq, command } => {
                let Some((who, client)) = &self.identity else {
                    self.refuse("hello_first", "say hello before sending commands");
                    return None;
                };
                if !self.bucket.take() {
                    let rate = self.shared.limits.commands_per_second;
                    self.log_refusal("rate_limited");
                    let message = format!("at most {rate} commands per second; send it again later");
                    self.send(ServerMessage::Reject { seq, code: "rate_limited".into(), message });
                    return None;
                }
                let outbox = Arc::clone(&self.outbox);
                let request = Request::Command { who: *who, client: client.clone(), seq, command, outbox };
                if self.shared.requests.send(request).await.is_err() {
                    return Some(End::Gone);
                }
                None
            }
            ClientMessage::Assets { filter, from } => {
                match &self.identity {
                    None => self.refuse("hello_first", "say hello before asking for assets"),
                    Some((Identity::Team(_), _)) => {
                        self.refuse("director_only", "only the director asks for assets (a team's view holds its own)")
                    }
                    Some((Identity::Director, _)) if filter.chars().count() > MAX_ASSET_FILTER_CHARS => self.refuse(
                        "bad_message",
                        format!("an asset filter is at most {MAX_ASSET_FILTER_CHARS} characters"),
                    ),
                    // Rate-limited like commands: each page scans every asset.
                    Some((Identity::Director, _)) if !self.bucket.take() => {
                        let rate = self.shared.limits.commands_per_second;
                        self.refuse(
                            "too_many_requests",
                            format!("at most {rate} requests per second; ask again later"),
                        );
                    }
                    Some((Identity::Director, _)) => {
                        let outbox = Arc::clone(&self.outbox);
                        if self.shared.requests.send(Request::Assets { filter, from, outbox }).await.is_err() {
                            return Some(End::Gone);
                        }
                    }
                }
                None
            }
            ClientMessage::Resync => {
                if !self.subscribed {
                    self.refuse("hello_first", "say hello before asking for a snapshot");
                } else if self.shared.requests.send(Request::Resync { conn: self.conn }).await.is_err() {
                    return Some(End::Gone);
                }
                None
            }
        }
    }

    async fn on_hello(
        &mut self,
        token: String,
        client: String,
        protocol: u32,
        waiting: &mut Option<Waiting>,
    ) -> Option<End> {
        if self.identity.is_some() {
            self.refuse("already_hello", "this connection has already said hello");
            return None;
        }
        if protocol != PROTOCOL {
            self.refuse("bad_protocol", format!("this server speaks protocol {PROTOCOL}"));
            return Some(End::Close(close_frame(CloseCode::Policy, "protocol")));
        }
        if !frame::client_id_ok(&client) {
            self.refuse(
                "bad_client",
                format!(
                    "client ids are 1 to {} printable ASCII characters (not {:?} or {:?})",
                    cascade_engine::wire::MAX_CLIENT_ID_CHARS,
                    crate::exercise::HOST_CLIENT,
                    crate::exercise::SETUP_CLIENT
                ),
            );
            return None;
        }
        let shared = &self.shared;
        let who = if token.len() <= MAX_TOKEN_CHARS {
            shared.tokens.identify(&token, |id| shared.team_ids.iter().position(|t| t == id).map(|i| i as u32))
        } else {
            None
        };
        let Some(who) = who else {
            // Never log the token itself; counted, not logged one by one.
            debug!("connection {} from {}: wrong token", self.conn, self.peer);
            TurnedAway::count(&self.shared.turned_away.bad_token);
            self.send(error("bad_token", "unknown token"));
            return Some(End::Close(close_frame(CloseCode::Policy, "bad token")));
        };
        let team = match who {
            Identity::Director => None,
            Identity::Team(t) => Some(t),
        };
        let joined = match waiting.take().expect("a connection waits until its hello").join(team) {
            Ok(joined) => joined,
            Err(Full::Server) => {
                self.refuse("server_full", "too many connections; try again later");
                return Some(End::Close(close_frame(CloseCode::Again, "server full")));
            }
            Err(Full::Team) => {
                self.refuse("team_full", "this team has all the connections it may have; close one first");
                return Some(End::Close(close_frame(CloseCode::Again, "team full")));
            }
        };
        self.joined = Some(joined);
        let (reply_tx, reply_rx) = oneshot::channel();
        let outbox = Arc::clone(&self.outbox);
        let subscribe = Request::Subscribe { who, conn: self.conn, outbox, reply: reply_tx };
        if self.shared.requests.send(subscribe).await.is_err() {
            return Some(End::Gone);
        }
        self.subscribed = true;
        // The exercise queues the welcome, snapshot and clock itself.
        if reply_rx.await.is_err() {
            return Some(End::Gone);
        }
        info!(
            "connection {} from {}: {} as client {client:?}",
            self.conn,
            self.peer,
            match who {
                Identity::Director => "director".to_string(),
                Identity::Team(t) => format!("team {}", self.shared.team_ids[t as usize]),
            }
        );
        self.identity = Some((who, client));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_turned_away_are_summed_up_once() {
        let t = TurnedAway::default();
        assert_eq!(t.take_summary(), None, "nothing to say");
        for _ in 0..3 {
            TurnedAway::count(&t.no_hello);
        }
        TurnedAway::count(&t.bad_token);
        assert_eq!(
            t.take_summary().as_deref(),
            Some("connections turned away: 3 without a valid hello in time, 1 with a wrong token")
        );
        assert_eq!(t.take_summary(), None, "counted since the last summary");
    }

    #[test]
    fn the_bucket_allows_a_burst_of_its_rate_then_refuses() {
        let mut b = Bucket::new(5);
        assert_eq!((0..10).filter(|_| b.take()).count(), 5);
    }
}
