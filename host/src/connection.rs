//! One websocket connection: the hello handshake, frame parsing and limits, and
//! a writer task fed by a bounded queue. Bad input of any kind gets an `error`
//! frame with a code (docs/protocol.md) and never reaches the exercise; a wrong
//! token (1008), an oversize frame (1009) or a missing hello (1008) also close
//! the connection. The writer pings every `idle_timeout / 3`; a client that
//! sends nothing at all (not even the pong its websocket library answers by
//! itself) for `idle_timeout` is gone — a suspended laptop, a dropped network —
//! and is closed (1001), so that the director's presence stays true.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cascade_engine::wire::{ClientMessage, MAX_CLIENT_ID_CHARS, MAX_TOKEN_CHARS, PROTOCOL, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{debug, info, warn};

use crate::config::Limits;
use crate::exercise::{HOST_CLIENT, Outgoing, Request, SETUP_CLIENT, SUBSCRIBER_QUEUE};
use crate::tokens::{Identity, Tokens};

/// How long a close frame may take to reach a client that was dropped for
/// being too slow, before the connection is simply cut.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What the connection needs from the host.
pub struct Shared {
    pub tokens: Tokens,
    pub team_ids: Vec<String>,
    pub requests: mpsc::Sender<Request>,
    pub limits: Limits,
}

fn error(code: &str, message: impl Into<String>) -> ServerMessage {
    ServerMessage::Error { code: code.to_string(), message: message.into() }
}

enum Close {
    Policy(&'static str),
    Size,
    Away,
}

impl Close {
    fn frame(self) -> CloseFrame {
        match self {
            Close::Policy(reason) => CloseFrame { code: CloseCode::Policy, reason: reason.into() },
            Close::Size => CloseFrame { code: CloseCode::Size, reason: "frame too large".into() },
            Close::Away => CloseFrame { code: CloseCode::Away, reason: "no answer: reconnect".into() },
        }
    }
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

pub async fn serve_connection(stream: TcpStream, peer: SocketAddr, conn: u64, shared: Arc<Shared>, full: bool) {
    let config = WebSocketConfig::default()
        .max_message_size(Some(shared.limits.max_frame_bytes))
        .max_frame_size(Some(shared.limits.max_frame_bytes))
        .max_write_buffer_size(4 * 1024 * 1024);
    let ws = match tokio_tungstenite::accept_async_with_config(stream, Some(config)).await {
        Ok(ws) => ws,
        Err(e) => {
            debug!("connection {conn} from {peer}: handshake failed: {e}");
            return;
        }
    };
    let (mut sink, mut source) = ws.split();
    if full {
        let frame = serde_json::to_string(&error("server_full", "too many connections; try again later")).unwrap();
        let _ = sink.send(Message::text(frame)).await;
        let _ =
            sink.send(Message::Close(Some(CloseFrame { code: CloseCode::Again, reason: "server full".into() }))).await;
        return;
    }

    // The writer: frames from the exercise and from this reader, in order.
    let (tx, mut rx) = mpsc::channel::<Outgoing>(SUBSCRIBER_QUEUE);
    let (close_tx, mut close_rx) = mpsc::channel::<Close>(1);
    // The exercise notifies this when it drops a client that fell too far behind.
    let kicked = Arc::new(Notify::new());
    let writer_kicked = Arc::clone(&kicked);
    // Dropped when the writer ends, which ends the reader too: a connection the
    // writer has given up on (too slow, or gone) must not linger.
    let (writer_done_tx, mut writer_done) = oneshot::channel::<()>();
    let ping_every = (shared.limits.idle_timeout / 3).max(Duration::from_millis(10));
    let writer = tokio::spawn(async move {
        let _done = writer_done_tx;
        let too_slow =
            || Message::Close(Some(CloseFrame { code: CloseCode::Again, reason: "too slow: reconnect".into() }));
        let mut ping = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                frame = rx.recv() => match frame {
                    Some(Outgoing::Message(message)) => {
                        let text = serde_json::to_string(&message).expect("server messages serialise");
                        tokio::select! {
                            biased;
                            sent = sink.send(Message::text(text)) => if sent.is_err() {
                                return;
                            },
                            // Stuck writing to a client that does not read, and
                            // dropped by the exercise: try to say so, then give up.
                            _ = writer_kicked.notified() => {
                                let _ = tokio::time::timeout(CLOSE_WAIT, sink.send(too_slow())).await;
                                return;
                            }
                        }
                    }
                    None => {
                        // The reader is gone. It may have asked for a close just
                        // before dropping its sender: the biased select sees the
                        // end of `rx` first, so look for that request here.
                        if let Ok(close) = close_rx.try_recv() {
                            let _ = sink.send(Message::Close(Some(close.frame()))).await;
                        }
                        return;
                    }
                },
                close = close_rx.recv() => {
                    // Drain what is already queued (the error frame), then close.
                    while let Ok(Outgoing::Message(message)) = rx.try_recv() {
                        let _ = sink.send(Message::text(serde_json::to_string(&message).unwrap())).await;
                    }
                    let Some(close) = close else { return };
                    let _ = sink.send(Message::Close(Some(close.frame()))).await;
                    return;
                }
                // Dropped by the exercise for falling behind (after what was queued).
                _ = writer_kicked.notified() => {
                    let _ = tokio::time::timeout(CLOSE_WAIT, sink.send(too_slow())).await;
                    return;
                }
                // Something for a live client to answer (see idle_timeout).
                _ = ping.tick() => {
                    if tokio::time::timeout(CLOSE_WAIT, sink.send(Message::Ping(Default::default()))).await.is_err() {
                        return;
                    }
                }
            }
        }
    });

    let send = |message: ServerMessage| {
        let _ = tx.try_send(Outgoing::Message(message));
    };
    let mut identity: Option<(Identity, String)> = None;
    let mut bucket = Bucket::new(shared.limits.commands_per_second);
    let hello_deadline = Instant::now() + shared.limits.hello_timeout;
    loop {
        let deadline = match identity {
            None => hello_deadline,
            Some(_) => Instant::now() + shared.limits.idle_timeout,
        };
        let frame = tokio::select! {
            next = tokio::time::timeout_at(deadline, source.next()) => match next {
                Ok(frame) => frame,
                Err(_) if identity.is_none() => {
                    info!("connection {conn} from {peer}: no hello in time");
                    send(error("hello_timeout", "no valid hello in time"));
                    let _ = close_tx.try_send(Close::Policy("no hello"));
                    break;
                }
                Err(_) => {
                    info!("connection {conn} from {peer}: silent for {:?}, closed", shared.limits.idle_timeout);
                    let _ = close_tx.try_send(Close::Away);
                    break;
                }
            },
            _ = &mut writer_done => {
                debug!("connection {conn} from {peer}: closed by the writer");
                break;
            }
        };
        let text = match frame {
            None | Some(Ok(Message::Close(_))) => break,
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                send(error("binary_frame", "frames are JSON text"));
                continue;
            }
            Some(Ok(_)) => continue, // ping/pong: tungstenite answers pings itself
            Some(Err(WsError::Capacity(e))) => {
                warn!("connection {conn} from {peer}: frame over the limit ({e})");
                send(error("frame_too_large", format!("frames are at most {} bytes", shared.limits.max_frame_bytes)));
                let _ = close_tx.try_send(Close::Size);
                break;
            }
            Some(Err(e)) => {
                debug!("connection {conn} from {peer}: {e}");
                break;
            }
        };
        let value: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                warn!("connection {conn} from {peer}: invalid JSON");
                send(error("bad_json", format!("not JSON: {e}")));
                continue;
            }
        };
        let kind = value.get("type").and_then(|t| t.as_str()).map(str::to_string);
        let message: ClientMessage = match serde_json::from_value(value) {
            Ok(m) => m,
            Err(e) => {
                let (code, text) = match kind.as_deref() {
                    None => ("missing_type", "a frame needs a \"type\"".to_string()),
                    Some("hello") | Some("command") => {
                        ("bad_message", format!("bad {}: {e}", kind.as_deref().unwrap()))
                    }
                    Some(other) => ("unknown_type", format!("unknown message type {other:?}")),
                };
                warn!("connection {conn} from {peer}: {code}");
                send(error(code, text));
                continue;
            }
        };
        match message {
            ClientMessage::Hello { token, client, protocol } => {
                if identity.is_some() {
                    send(error("already_hello", "this connection has already said hello"));
                    continue;
                }
                if protocol != PROTOCOL {
                    send(error("bad_protocol", format!("this server speaks protocol {PROTOCOL}")));
                    let _ = close_tx.try_send(Close::Policy("protocol"));
                    break;
                }
                let client_ok = !client.is_empty()
                    && client.chars().count() <= MAX_CLIENT_ID_CHARS
                    && client != HOST_CLIENT
                    && client != SETUP_CLIENT
                    && client.chars().all(|c| c.is_ascii_graphic());
                if !client_ok {
                    send(error(
                        "bad_client",
                        format!(
                            "client ids are 1 to {MAX_CLIENT_ID_CHARS} printable ASCII characters \
                             (not {HOST_CLIENT:?} or {SETUP_CLIENT:?})"
                        ),
                    ));
                    continue;
                }
                let who = if token.len() <= MAX_TOKEN_CHARS {
                    shared.tokens.identify(&token, |id| shared.team_ids.iter().position(|t| t == id).map(|i| i as u32))
                } else {
                    None
                };
                let Some(who) = who else {
                    // Never log the token itself.
                    warn!("connection {conn} from {peer}: wrong token");
                    send(error("bad_token", "unknown token"));
                    let _ = close_tx.try_send(Close::Policy("bad token"));
                    break;
                };
                let (reply_tx, reply_rx) = oneshot::channel();
                let subscribe =
                    Request::Subscribe { who, conn, tx: tx.clone(), kicked: Arc::clone(&kicked), reply: reply_tx };
                if shared.requests.send(subscribe).await.is_err() {
                    break;
                }
                // The exercise queues the welcome, snapshot and clock itself.
                let Ok(()) = reply_rx.await else { break };
                info!(
                    "connection {conn} from {peer}: {} as client {client:?}",
                    match who {
                        Identity::Director => "director".to_string(),
                        Identity::Team(t) => format!("team {}", shared.team_ids[t as usize]),
                    }
                );
                identity = Some((who, client));
            }
            ClientMessage::Command { seq, command } => {
                let Some((who, client)) = &identity else {
                    send(error("hello_first", "say hello before sending commands"));
                    continue;
                };
                if !bucket.take() {
                    warn!(
                        "connection {conn} from {peer}: over {} commands per second",
                        shared.limits.commands_per_second
                    );
                    send(error(
                        "rate_limited",
                        format!("at most {} commands per second", shared.limits.commands_per_second),
                    ));
                    continue;
                }
                let request = Request::Command { who: *who, client: client.clone(), seq, command, tx: tx.clone() };
                if shared.requests.send(request).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = shared.requests.send(Request::Unsubscribe { conn }).await;
    drop(tx);
    drop(close_tx);
    // The writer sends what is queued and the close frame; a peer that does
    // not read (the idle timeout's case) could hold it, and the connection
    // slot, for as long as TCP keeps trying: cut it after CLOSE_WAIT.
    let mut writer = writer;
    if tokio::time::timeout(2 * CLOSE_WAIT, &mut writer).await.is_err() {
        debug!("connection {conn} from {peer}: the writer is stuck; cut");
        writer.abort();
    }
}
