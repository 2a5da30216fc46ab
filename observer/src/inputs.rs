//! The event sources every screen's loop reads from, merged into one channel of
//! `app::Event`: server frames and connection changes from the client task,
//! frame ticks at a fixed rate (drawing is independent of the exercise's ticks),
//! and keys from the terminal (crossterm's reader blocks, so it gets a thread).
//!
//! Only one key thread may read the terminal at a time: crossterm's `poll`
//! and `read` are not one step, so with two readers one can see a key in
//! `poll` that the other takes, then block in `read` and swallow the next key
//! (a console that follows another — a branch from the replay — lost its `q`
//! that way). [`Keys`] stops and joins its thread when dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossterm::event::{self as term, Event as TermEvent};
use tokio::sync::mpsc;

use crate::app::Event;
use crate::client::ClientEvent;

/// The key thread of [`spawn`]: dropping it stops the thread and waits for it
/// (at most one poll, 100 ms), so that the next screen's reader is alone.
pub struct Keys {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Keys {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the three sources; `fps` is clamped to 1..=60. Call it after the
/// terminal is set up, and keep the [`Keys`] until the screen is done. The
/// channel closes once every source has stopped.
pub fn spawn(mut client_events: mpsc::Receiver<ClientEvent>, fps: u32) -> (mpsc::Receiver<Event>, Keys) {
    let (tx, events) = mpsc::channel::<Event>(1024);

    let forward = tx.clone();
    tokio::spawn(async move {
        while let Some(event) = client_events.recv().await {
            if forward.send(Event::Client(event)).await.is_err() {
                break;
            }
        }
    });

    let frames = tx.clone();
    let period = Duration::from_millis(1000 / u64::from(fps.clamp(1, 60)));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            if frames.send(Event::Frame).await.is_err() {
                break;
            }
        }
    });

    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        // Hands an event over; gives up when told to stop, so that a full
        // channel nobody reads any more cannot keep the join waiting.
        let deliver = |event: Event| -> bool {
            let mut event = event;
            loop {
                match tx.try_send(event) {
                    Ok(()) => return true,
                    Err(mpsc::error::TrySendError::Closed(_)) => return false,
                    Err(mpsc::error::TrySendError::Full(back)) => {
                        if stopped.load(Ordering::SeqCst) {
                            return false;
                        }
                        event = back;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
        };
        while !tx.is_closed() && !stopped.load(Ordering::SeqCst) {
            match term::poll(Duration::from_millis(100)) {
                Ok(true) => match term::read() {
                    Ok(TermEvent::Key(key)) => {
                        if !deliver(Event::Key(key)) {
                            break;
                        }
                    }
                    // A resize is drawn on the next frame, whatever else changed.
                    Ok(TermEvent::Resize(..)) => {
                        if !deliver(Event::Resize) {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break,
                },
                Ok(false) => {}
                Err(_) => break,
            }
        }
    });
    (events, Keys { stop, thread: Some(thread) })
}

/// Draws a frame if anything changed since the last one (`dirty`), then
/// clears `dirty`. The error says what failed, for the loop to stop on.
pub fn redraw(
    terminal: &mut ratatui::DefaultTerminal,
    dirty: &mut bool,
    draw: impl FnOnce(&mut ratatui::Frame),
) -> Result<(), String> {
    if *dirty {
        terminal.draw(draw).map_err(|e| format!("cannot draw: {e}"))?;
        *dirty = false;
    }
    Ok(())
}

/// Ends a networked screen: stops the key reader (before the terminal is
/// restored, and before any next screen's reader starts), restores the
/// terminal, closes the client and lets its close frame go out (at most
/// 500 ms).
pub async fn close(keys: Keys, client: &crate::client::Client, events: &mut mpsc::Receiver<Event>) {
    drop(keys);
    ratatui::restore();
    client.close();
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        while let Some(event) = events.recv().await {
            if matches!(event, Event::Client(ClientEvent::Connection(crate::client::Connection::Closed { .. }))) {
                break;
            }
        }
    })
    .await;
}
