//! One connection's outgoing frames, in the order they were queued, waiting for
//! its writer task.
//!
//! Two kinds of frame share the one queue, so that nothing overtakes anything:
//! - answers (`ack`, `reject`, `outcome`, `error`) are never dropped. A client
//!   that sends without reading its answers is held back instead: its reader
//!   stops reading once [`MAX_WAITING_ANSWERS`] wait here (`wait_for_room`), so
//!   the client's own socket fills up, not the host's memory;
//! - views and state (`welcome`, `snapshot`, `tick`, `clock`, `presence`) are
//!   refused once [`MAX_WAITING_VIEWS`] wait: the exercise then counts the client
//!   as lagging and sends it a fresh snapshot when there is room again.
//!
//! Frames are serialised by whoever queues them, once: a view that goes to a
//! thousand connections of one team is one string, shared.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cascade_engine::wire::{MAX_SERVER_FRAME_BYTES, ServerMessage};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tracing::error;

/// Views a connection may have waiting before it counts as lagging.
pub const MAX_WAITING_VIEWS: usize = 32;
/// Answers a connection may have waiting before its reader stops reading.
pub const MAX_WAITING_ANSWERS: usize = 256;

/// A frame for the writer.
#[derive(Debug)]
pub enum Frame {
    Answer(Utf8Bytes),
    View(Utf8Bytes),
    /// Send the close frame, if any, after everything queued before it; then stop.
    Close(Option<CloseFrame>),
}

/// Why a view was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// `MAX_WAITING_VIEWS` are already waiting: the client is lagging.
    Full,
    /// The connection is gone.
    Closed,
}

/// The queuing side, shared by the connection's reader and the exercise.
#[derive(Debug)]
pub struct Outbox {
    tx: mpsc::UnboundedSender<Frame>,
    answers: AtomicUsize,
    views: AtomicUsize,
    /// Notified when an answer leaves the queue (for `wait_for_room`).
    room: Notify,
    /// Set by the exercise when it gives up on a client that stays behind.
    kicked: AtomicBool,
    kick: Notify,
    born: Instant,
    /// When the writer last took a frame (ms after `born`): it takes the next
    /// only once the last is written, so this says whether the client reads.
    taken_at_ms: AtomicU64,
}

/// The writer's side.
#[derive(Debug)]
pub struct Frames {
    rx: mpsc::UnboundedReceiver<Frame>,
    outbox: Arc<Outbox>,
}

/// Serialises a server frame (they always serialise: plain data, string keys).
/// One over [`MAX_SERVER_FRAME_BYTES`] is never sent: a client would refuse it
/// and drop the connection without a word. The client gets a `unsendable_frame`
/// error in its place, and the log names the frame.
pub fn text(message: &ServerMessage) -> Utf8Bytes {
    let json = serde_json::to_string(message).expect("server messages serialise");
    Utf8Bytes::from(within_limit(json, MAX_SERVER_FRAME_BYTES))
}

/// Whether a serialised frame is an `error` (as `text` makes of a frame too
/// large to send).
pub fn is_error(frame: &Utf8Bytes) -> bool {
    frame_type(frame.as_str()) == "error"
}

/// `json`, or the `unsendable_frame` error that replaces it beyond `limit`.
fn within_limit(json: String, limit: usize) -> String {
    if json.len() <= limit {
        return json;
    }
    let kind = frame_type(&json);
    let message = format!(
        "the {kind} frame ({} bytes) is over the {limit}-byte frame limit and was not sent; the exercise goes on, and the next frame that fits is sent",
        json.len()
    );
    error!("{message}");
    let error = ServerMessage::Error { code: "unsendable_frame".to_string(), message };
    serde_json::to_string(&error).expect("server messages serialise")
}

/// The `"type"` a frame starts with (every server frame is `{"type":"…",…}`).
fn frame_type(json: &str) -> &str {
    json.strip_prefix("{\"type\":\"").and_then(|rest| rest.split('"').next()).unwrap_or("server")
}

impl Outbox {
    pub fn new() -> (Arc<Outbox>, Frames) {
        let (tx, rx) = mpsc::unbounded_channel();
        let outbox = Arc::new(Outbox {
            tx,
            answers: AtomicUsize::new(0),
            views: AtomicUsize::new(0),
            room: Notify::new(),
            kicked: AtomicBool::new(false),
            kick: Notify::new(),
            born: Instant::now(),
            taken_at_ms: AtomicU64::new(0),
        });
        (Arc::clone(&outbox), Frames { rx, outbox })
    }

    /// Queues an answer; false if the connection is gone (the client resends
    /// what was not acknowledged when it reconnects).
    pub fn answer(&self, message: &ServerMessage) -> bool {
        self.answers.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(Frame::Answer(text(message))).is_err() {
            self.answers.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        true
    }

    /// Queues a view (or other state frame) unless the client is lagging.
    pub fn view(&self, text: Utf8Bytes) -> Result<(), Refused> {
        if self.tx.is_closed() {
            return Err(Refused::Closed);
        }
        if self.views.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING_VIEWS {
            self.views.fetch_sub(1, Ordering::SeqCst);
            return Err(Refused::Full);
        }
        if self.tx.send(Frame::View(text)).is_err() {
            self.views.fetch_sub(1, Ordering::SeqCst);
            return Err(Refused::Closed);
        }
        Ok(())
    }

    /// Asks the writer to stop after what is already queued, with a close
    /// frame unless `None` (the client closed first: tungstenite answered it).
    pub fn close(&self, frame: Option<CloseFrame>) {
        let _ = self.tx.send(Frame::Close(frame));
    }

    /// Tells the writer to give up on this client (too far behind), even in the
    /// middle of a write that does not progress.
    pub fn kick(&self) {
        self.kicked.store(true, Ordering::SeqCst);
        self.kick.notify_one();
    }

    /// Returns when the exercise has given up on this client.
    pub async fn kicked(&self) {
        loop {
            let notified = self.kick.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.kicked.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    /// Whether the writer has stopped (the connection is closing or gone).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// How long the writer has taken no frame while frames wait: as long as
    /// the client has read nothing (0 when nothing waits).
    pub fn stalled_for(&self, now: Instant) -> Duration {
        if self.views.load(Ordering::SeqCst) + self.answers.load(Ordering::SeqCst) == 0 {
            return Duration::ZERO;
        }
        let taken = self.born + Duration::from_millis(self.taken_at_ms.load(Ordering::SeqCst));
        now.saturating_duration_since(taken)
    }

    /// Answers waiting.
    pub fn waiting_answers(&self) -> usize {
        self.answers.load(Ordering::SeqCst)
    }

    /// Returns once fewer than `MAX_WAITING_ANSWERS` answers wait, or with
    /// `Refused::Closed` once the writer has stopped: then there will never be
    /// room, and a caller that waited again would spin without yielding.
    pub async fn wait_for_room(&self) -> Result<(), Refused> {
        loop {
            let notified = self.room.notified();
            tokio::pin!(notified);
            // Registered before the check, so that a wake-up between the
            // check and the await is not lost.
            notified.as_mut().enable();
            if self.tx.is_closed() {
                return Err(Refused::Closed);
            }
            if self.waiting_answers() < MAX_WAITING_ANSWERS {
                return Ok(());
            }
            notified.await;
        }
    }
}

impl Frames {
    /// The next frame, or `None` once every sender is gone.
    pub async fn next(&mut self) -> Option<Frame> {
        let frame = self.rx.recv().await?;
        let since_born = self.outbox.born.elapsed().as_millis() as u64;
        self.outbox.taken_at_ms.store(since_born, Ordering::SeqCst);
        match &frame {
            Frame::Answer(_) => {
                self.outbox.answers.fetch_sub(1, Ordering::SeqCst);
                self.outbox.room.notify_waiters();
            }
            Frame::View(_) => {
                self.outbox.views.fetch_sub(1, Ordering::SeqCst);
            }
            Frame::Close(_) => {}
        }
        Some(frame)
    }

    /// The queuing side (for the writer's `Outbox::kicked`).
    pub fn outbox(&self) -> Arc<Outbox> {
        Arc::clone(&self.outbox)
    }

    /// Stops taking frames: every later `answer`, `view` or `close` fails, and
    /// the reader's `wait_for_room` returns.
    pub fn shut(&mut self) {
        self.rx.close();
        self.outbox.room.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_over_the_limit_becomes_an_error_that_names_it() {
        // A frame too large is told apart from the frame it replaces.
        let clock = ServerMessage::Clock { tick: 1, running: true, ticks_per_second: 1.0, ended: false, behind_ms: 0 };
        assert!(!is_error(&text(&clock)));
        assert!(is_error(&Utf8Bytes::from(within_limit(serde_json::to_string(&clock).unwrap(), 10))));
        let message = ServerMessage::Error { code: "x".into(), message: "y".repeat(100) };
        let json = serde_json::to_string(&message).unwrap();
        assert_eq!(within_limit(json.clone(), json.len()), json, "at the limit it is sent as it is");
        let replaced = within_limit(json.clone(), json.len() - 1);
        let value: serde_json::Value = serde_json::from_str(&replaced).unwrap();
        assert_eq!(value["type"], "error");
        assert_eq!(value["code"], "unsendable_frame");
        let said = value["message"].as_str().unwrap();
        assert!(said.contains(&format!("the error frame ({} bytes)", json.len())), "{said}");
        assert!(said.contains(&format!("{}-byte", json.len() - 1)), "{said}");
    }

    fn ack(seq: u64) -> ServerMessage {
        ServerMessage::Ack { seq, tick: 1 }
    }

    #[tokio::test]
    async fn answers_are_never_refused_and_views_are_beyond_the_limit() {
        let (outbox, mut frames) = Outbox::new();
        for seq in 0..1000 {
            assert!(outbox.answer(&ack(seq)));
        }
        for _ in 0..MAX_WAITING_VIEWS {
            assert_eq!(outbox.view(Utf8Bytes::from_static("{}")), Ok(()));
        }
        assert_eq!(outbox.view(Utf8Bytes::from_static("{}")), Err(Refused::Full));
        // Still in the order queued: the thousand answers, then the views.
        for seq in 0..1000 {
            let Some(Frame::Answer(text)) = frames.next().await else { panic!("an answer") };
            assert_eq!(text.as_str(), format!("{{\"type\":\"ack\",\"seq\":{seq},\"tick\":1}}"));
        }
        assert!(matches!(frames.next().await, Some(Frame::View(_))));
        // One view left the queue: one more fits.
        assert_eq!(outbox.view(Utf8Bytes::from_static("{}")), Ok(()));
        assert_eq!(outbox.waiting_answers(), 0);
    }

    #[tokio::test]
    async fn the_reader_waits_for_room_until_answers_are_written() {
        let (outbox, mut frames) = Outbox::new();
        for seq in 0..MAX_WAITING_ANSWERS as u64 {
            outbox.answer(&ack(seq));
        }
        let waiting = {
            let outbox = Arc::clone(&outbox);
            tokio::spawn(async move { outbox.wait_for_room().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "full: the reader must wait");
        frames.next().await.unwrap();
        let room = tokio::time::timeout(std::time::Duration::from_secs(5), waiting).await;
        assert_eq!(room.expect("one answer written makes room").unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn a_shut_writer_refuses_everything_and_releases_the_reader() {
        let (outbox, mut frames) = Outbox::new();
        for seq in 0..MAX_WAITING_ANSWERS as u64 {
            outbox.answer(&ack(seq));
        }
        frames.shut();
        assert!(!outbox.answer(&ack(9999)));
        assert_eq!(outbox.view(Utf8Bytes::from_static("{}")), Err(Refused::Closed));
        assert!(outbox.is_closed());
        let room = tokio::time::timeout(std::time::Duration::from_secs(5), outbox.wait_for_room()).await;
        assert_eq!(room.expect("a closed outbox never holds the reader"), Err(Refused::Closed));
    }

    #[tokio::test]
    async fn a_writer_that_takes_nothing_while_frames_wait_is_stalled() {
        let (outbox, mut frames) = Outbox::new();
        let later = Instant::now() + Duration::from_secs(5);
        assert_eq!(outbox.stalled_for(later), Duration::ZERO, "nothing waits: not stalled");
        outbox.view(Utf8Bytes::from_static("{}")).unwrap();
        assert!(outbox.stalled_for(later) >= Duration::from_secs(4));
        frames.next().await.unwrap();
        assert_eq!(outbox.stalled_for(Instant::now()), Duration::ZERO, "took it");
    }

    #[tokio::test]
    async fn a_kick_is_seen_even_if_it_came_first() {
        let (outbox, frames) = Outbox::new();
        outbox.kick();
        tokio::time::timeout(std::time::Duration::from_secs(5), frames.outbox().kicked()).await.expect("kicked");
    }
}
