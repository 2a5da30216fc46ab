//! The baseline `cascade loadtest --baseline` compares the host with: the
//! fastest honest server of the same traffic. It speaks just enough of the
//! protocol for the load generator (hello, welcome, snapshot, clock, ticks,
//! ack and outcome) and does what any server of this exercise must do —
//! fan each tick out to every client, in frames as large as the real host's
//! (each team's and the director's tick frame, deltas since protocol 3,
//! measured once from the engine's views), and acknowledge a
//! command only once it is appended and fdatasynced — but no simulation, no
//! views, no checks, no rate limit, no caps.
//!
//! It must never be mistaken for a host: it accepts any token, on 127.0.0.1
//! only, and its "journal" is a scratch file.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use cascade_engine::view::{DirectorDelta, TeamDelta, director_view, team_view_update};
use cascade_engine::{Simulation, load_model};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::tokens::{Identity, Tokens};

/// One tick's frames: the director's, then one per team.
type TickFrames = Arc<(Utf8Bytes, Vec<Utf8Bytes>)>;

/// A command to make durable, and where its answers go.
struct Durable {
    seq: u64,
    line: String,
    reply: mpsc::UnboundedSender<Utf8Bytes>,
}

/// The padding that makes a frame `size` bytes long around `head`.
fn padded(head: &str, size: usize) -> Utf8Bytes {
    let base = format!("{{{head},\"pad\":\"\"}}");
    let pad = size.saturating_sub(base.len());
    Utf8Bytes::from(format!("{{{head},\"pad\":\"{}\"}}", "x".repeat(pad)))
}

/// Serves the baseline for `scenario` at `speed` ticks per second until
/// killed, printing the host's banner (`listening on ws://…`, …, `the exercise
/// starts when the director sends start`) and writing tokens to `tokens_out`.
pub async fn serve_baseline(scenario: &Path, tokens_out: &Path, journal: &Path, speed: f64) -> Result<()> {
    let model = load_model(scenario).map_err(|e| anyhow::anyhow!("{e}"))?;
    let team_ids: Vec<String> = model.scenario.teams.iter().map(|t| t.id.clone()).collect();
    // The sizes of the real host's tick frames, once, a while into the
    // exercise (bots playing): each the delta of one tick, with the messages
    // not sent before, as the host sends it to a client holding its base.
    let mut sim = Simulation::new(Arc::new(model), 0);
    let warm = sim.model().scenario.duration_ticks.min(120);
    for _ in 1..warm {
        sim.step();
    }
    let seen = sim.exercise().messages.len();
    let teams = 0..team_ids.len() as u32;
    let team_bases: Vec<_> = teams.clone().map(|t| team_view_update(&sim, t, seen)).collect();
    let director_base = director_view(&sim, seen);
    sim.step();
    let json_len = |v: serde_json::Result<String>| v.map(|s| s.len()).unwrap_or(0);
    let team_sizes: Vec<usize> = teams
        .zip(&team_bases)
        .map(|(t, base)| json_len(serde_json::to_string(&TeamDelta::between(base, &team_view_update(&sim, t, seen)))))
        .collect();
    let director_delta = DirectorDelta::between(&director_base, &director_view(&sim, seen));
    let director_size = json_len(serde_json::to_string(&director_delta));
    let tokens = Tokens::generate(&team_ids)?;
    tokens.write(tokens_out)?;
    let mut file = std::fs::OpenOptions::new().create_new(true).append(true).open(journal)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on ws://{}", listener.local_addr()?);
    println!("baseline: tick frames of {director_size} bytes (director) and {team_sizes:?} bytes (teams)");
    println!("the exercise starts when the director sends start");
    std::io::stdout().flush()?;

    // The "journal": every command batched, appended, fdatasynced, then acked.
    let (durable_tx, mut durable_rx) = mpsc::unbounded_channel::<Durable>();
    let tick = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let journal_tick = Arc::clone(&tick);
    std::thread::spawn(move || {
        while let Some(first) = durable_rx.blocking_recv() {
            let mut batch = vec![first];
            while let Ok(more) = durable_rx.try_recv() {
                batch.push(more);
            }
            let text: String = batch.iter().map(|d| format!("{}\n", d.line)).collect();
            if file.write_all(text.as_bytes()).and_then(|()| file.sync_data()).is_err() {
                return;
            }
            let stamp = journal_tick.load(std::sync::atomic::Ordering::SeqCst) + 1;
            for d in batch {
                let ack = json!({"type": "ack", "seq": d.seq, "tick": stamp});
                let outcome = json!({"type": "outcome", "seq": d.seq, "tick": stamp, "ok": true, "code": "ok", "message": "applied"});
                let _ = d.reply.send(Utf8Bytes::from(ack.to_string()));
                let _ = d.reply.send(Utf8Bytes::from(outcome.to_string()));
            }
        }
    });

    let (ticks_tx, _) = broadcast::channel::<TickFrames>(64);
    let (clock_tx, _) = broadcast::channel::<Utf8Bytes>(16);
    let (start_tx, start_rx) = oneshot::channel::<()>();
    let start_tx = Arc::new(std::sync::Mutex::new(Some(start_tx)));
    // The clock: absolute deadlines, each tick's frames built once.
    {
        let (ticks_tx, clock_tx, tick) = (ticks_tx.clone(), clock_tx.clone(), Arc::clone(&tick));
        tokio::spawn(async move {
            if start_rx.await.is_err() {
                return;
            }
            let clock = json!({"type": "clock", "tick": 0, "running": true, "ticks_per_second": speed, "ended": false, "behind_ms": 0});
            let _ = clock_tx.send(Utf8Bytes::from(clock.to_string()));
            let period = Duration::from_secs_f64(1.0 / speed);
            let mut due = Instant::now() + period;
            for n in 1u64.. {
                tokio::time::sleep_until(due).await;
                due += period;
                tick.store(n, std::sync::atomic::Ordering::SeqCst);
                let director = padded(&format!("\"type\":\"director_tick\",\"tick\":{n}"), director_size);
                let teams = team_sizes.iter().map(|&s| padded(&format!("\"type\":\"tick\",\"tick\":{n}"), s)).collect();
                let _ = ticks_tx.send(Arc::new((director, teams)));
            }
        });
    }
    let team_index: HashMap<String, u32> = team_ids.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
    let shared = Arc::new((tokens, team_index));
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let (ticks, clock) = (ticks_tx.subscribe(), clock_tx.subscribe());
        let (shared, durable, start) = (Arc::clone(&shared), durable_tx.clone(), Arc::clone(&start_tx));
        tokio::spawn(async move {
            let _ = connection(stream, shared, ticks, clock, durable, start).await;
        });
    }
}

async fn connection(
    stream: TcpStream,
    shared: Arc<(Tokens, HashMap<String, u32>)>,
    mut ticks: broadcast::Receiver<TickFrames>,
    mut clock: broadcast::Receiver<Utf8Bytes>,
    durable: mpsc::UnboundedSender<Durable>,
    start: Arc<std::sync::Mutex<Option<oneshot::Sender<()>>>>,
) -> Result<()> {
    let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
    let ws = tokio_tungstenite::accept_async_with_config(stream, Some(config)).await?;
    let (mut sink, mut source) = ws.split();
    let (tokens, team_index) = &*shared;
    // The hello: any client, the token decides the role.
    let who = loop {
        let Some(Ok(Message::Text(text))) = source.next().await else { return Ok(()) };
        let hello: Value = serde_json::from_str(&text).context("hello")?;
        let token = hello["token"].as_str().unwrap_or_default();
        if let Some(who) = tokens.identify(token, |id| team_index.get(id).copied()) {
            break who;
        }
    };
    let (team, role) = match who {
        Identity::Director => ("director".to_string(), "director"),
        Identity::Team(t) => (team_index.iter().find(|(_, i)| **i == t).map(|(id, _)| id.clone()).unwrap(), "operator"),
    };
    let welcome = json!({"type": "welcome", "team": team, "role": role, "tick": 0, "protocol": 3, "scenario": "baseline", "running": false, "ticks_per_second": 1.0});
    let snapshot =
        json!({"type": if role == "director" { "director_snapshot" } else { "snapshot" }, "tick": 0, "assets": []});
    sink.send(Message::text(welcome.to_string())).await?;
    sink.send(Message::text(snapshot.to_string())).await?;
    let (reply_tx, mut replies) = mpsc::unbounded_channel::<Utf8Bytes>();
    loop {
        tokio::select! {
            frame = source.next() => {
                let Some(Ok(Message::Text(text))) = frame else { return Ok(()) };
                let Ok(command) = serde_json::from_str::<Value>(&text) else { continue };
                let Some(seq) = command["seq"].as_u64() else { continue };
                if command["command"]["action"] == "start"
                    && let Some(start) = start.lock().expect("start").take()
                {
                    let _ = start.send(());
                }
                let line = json!({"team": team, "seq": seq, "command": command["command"]}).to_string();
                let _ = durable.send(Durable { seq, line, reply: reply_tx.clone() });
            }
            Some(reply) = replies.recv() => sink.send(Message::Text(reply)).await?,
            Ok(frame) = clock.recv() => sink.send(Message::Text(frame)).await?,
            tick = ticks.recv() => match tick {
                Ok(frames) => {
                    let frame = match who {
                        Identity::Director => frames.0.clone(),
                        Identity::Team(t) => frames.1[t as usize].clone(),
                    };
                    sink.send(Message::Text(frame)).await?;
                }
                // Behind: skip to the newest, as the host sends a snapshot.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            },
        }
    }
}
