//! `cascade replay JOURNAL` on a terminal: the director console on a
//! recording. The same screen and the same event sources as the live console
//! (keys, frame ticks at a fixed rate), but the state comes from a
//! `cascade_replay::Player` in this process instead of a host: each seek
//! restores the nearest in-memory snapshot and re-simulates the few ticks
//! after it, and the engine's director view of that tick is drawn. The
//! terminal is restored on exit and, by ratatui's panic hook, on a panic.

use std::time::Instant;

use cascade_engine::view::director_view;
use cascade_replay::Player;

use crate::app::{Event, Tone};
use crate::director::{DirectorApp, Effect};
use crate::keymap::KeyMap;
use crate::replay_state::ReplayState;

/// How the viewer was left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayExit {
    Quit,
    /// The user asked for a live exercise branched from this tick.
    Branch(u64),
}

/// The replay state for `player`'s recording, labelled `journal`.
pub fn replay_state(player: &Player, journal: String) -> ReplayState {
    let model = &player.replay().model;
    let labels = (0..=player.last_tick()).map(|t| model.clock.label(t)).collect();
    let mut state = ReplayState::new(journal, player.last_tick(), player.events().to_vec(), labels);
    let (count, bytes) = player.snapshots();
    state.snapshots = (count, bytes, player.interval());
    let end = player.replay().journal.end_stamp().unwrap_or(u64::MAX);
    state.branch_before = end.min(model.scenario.duration_ticks);
    state
}

/// Shows tick `tick` of the recording: seeks the player, then hands the
/// engine's view to the console (timing the whole of it).
pub fn show(app: &mut DirectorApp, player: &mut Player, tick: u64) {
    let started = Instant::now();
    player.seek(tick);
    let view = director_view(player.sim(), 0);
    app.show_replay(view, player.national_series(), player.sector_series());
    if let Some(r) = app.replay.as_mut() {
        r.last_seek = Some(started.elapsed());
    }
}

/// Runs the viewer until `q` or a branch, from tick `at`, paused.
pub fn run(player: &mut Player, journal: String, fps: u32, at: u64, keys: KeyMap) -> Result<ReplayExit, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let mut app = DirectorApp::replaying(replay_state(player, journal));
        app.scenario = player.replay().model.scenario.name.clone();
        app.fps = fps.clamp(1, 60);
        app.keys = keys;
        show(&mut app, player, at);
        let mut terminal = ratatui::try_init().map_err(|e| format!("cannot set up the terminal: {e}"))?;
        // No server: the client source is a channel that is already closed.
        let (_, no_client) = tokio::sync::mpsc::channel(1);
        let (mut events, keys) = crate::inputs::spawn(no_client, app.fps);
        let mut dirty = true;
        let mut exit = Ok(ReplayExit::Quit);
        while let Some(event) = events.recv().await {
            match event {
                Event::Frame => {
                    if let Some(tick) = app.replay_frame() {
                        show(&mut app, player, tick);
                        dirty = true;
                    }
                    if let Err(e) =
                        crate::inputs::redraw(&mut terminal, &mut dirty, |frame| crate::director_ui::draw(frame, &app))
                    {
                        exit = Err(e);
                        break;
                    }
                }
                Event::Key(key) => {
                    dirty = true;
                    match app.handle_key(key) {
                        Effect::Quit => break,
                        Effect::Branch(tick) => {
                            exit = Ok(ReplayExit::Branch(tick));
                            break;
                        }
                        Effect::Seek(tick) => show(&mut app, player, tick),
                        Effect::Send(_) => {
                            app.status = Some((Tone::Bad, "a recording takes no commands".into()));
                        }
                        Effect::Note(tick, note) => {
                            let journal = player.replay().journal.path.clone();
                            app.status = Some(match cascade_replay::notes::append_note(&journal, tick, &note) {
                                Ok(path) => (Tone::Good, format!("note kept at t{tick} in {}", path.display())),
                                Err(e) => (Tone::Bad, e),
                            });
                        }
                        Effect::None => {}
                    }
                }
                Event::Client(_) => {}
            }
        }
        // The terminal's only reader stops before the next screen's starts.
        drop(keys);
        ratatui::restore();
        exit
    })
}
