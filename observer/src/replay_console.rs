//! `cascade replay JOURNAL` on a terminal: the director console on a
//! recording. The same screen and the same event sources as the live console
//! (keys, frame ticks at a fixed rate), but the state comes from a
//! `cascade_replay::Player` in this process instead of a host: each seek
//! restores the nearest in-memory snapshot and re-simulates the few ticks
//! after it, and the engine's director view of that tick is drawn. The
//! terminal is restored on exit and, by ratatui's panic hook, on a panic.

use std::time::Instant;

use cascade_engine::view::{director_view, team_view};
use cascade_replay::Player;

use crate::app::{App, Event, Tone};
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
    // Viewing as a team: that team's view at the new tick, on the same page.
    if let Some(team) = app.viewing.as_ref().and_then(|v| v.team.clone()) {
        app.viewing = team_screen(player, &team, app.viewing.as_deref(), app.clock).map(Box::new);
    }
    if let Some(r) = app.replay.as_mut() {
        r.last_seek = Some(started.elapsed());
    }
}

/// The player's screen for `team` at the simulation's tick: the engine's team
/// view, exactly what the team's clients were sent then (`previous` keeps the
/// page shown). None for an unknown team.
pub fn team_screen(player: &Player, team: &str, previous: Option<&App>, clock: crate::app::ClockState) -> Option<App> {
    let sim = player.sim();
    let index = sim.team_index(team)?;
    let model = sim.model();
    let role = format!("{:?}", model.scenario.teams[index as usize].role).to_lowercase();
    let at = model.clock.label(sim.tick());
    let note = format!("⏵ REPLAY: {team}'s view at {at} (t{}), as its players saw it; Esc or v returns", sim.tick());
    Some(crate::director::player_screen(team_view(sim, index, 0), role, &model.scenario.name, previous, note, clock))
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
                Event::Resize => dirty = true,
                Event::Frame => {
                    if let Some(tick) = app.replay_frame() {
                        show(&mut app, player, tick);
                        dirty = true;
                    }
                    // A page of assets follows the tick shown.
                    app.on_frame_tick();
                    if let Some(filter) = app.asset_page_refresh() {
                        app.on_assets(cascade_engine::view::asset_page(player.sim(), &filter, 0));
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
                        Effect::ViewAs(team) => {
                            app.viewing = team_screen(player, &team, None, app.clock).map(Box::new);
                        }
                        Effect::Note(tick, note) => {
                            let journal = player.replay().journal.path.clone();
                            app.status = Some(match cascade_replay::notes::append_note(&journal, tick, &note) {
                                Ok(path) => (Tone::Good, format!("note kept at t{tick} in {}", path.display())),
                                Err(e) => (Tone::Bad, e),
                            });
                        }
                        // The recording is here: the page is computed at the tick shown.
                        Effect::AskAssets(filter) => {
                            app.on_assets(cascade_engine::view::asset_page(player.sim(), &filter, 0));
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cascade_engine::Simulation;
    use cascade_engine::exercise::actions::Origin;
    use cascade_engine::exercise::{Action, Command};
    use cascade_engine::load::load_model;
    use cascade_replay::{CommandLine, Header, JournalWriter, Replay, read_journal};
    use crossterm::event::KeyCode;

    use super::*;
    use crate::testing::key;

    /// The tutorial, 20 ticks, hospital-ops isolating hospital-it at tick 3.
    fn player(dir: &std::path::Path) -> Player {
        let model =
            load_model(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tutorial.ron")).unwrap();
        let path = dir.join("t.jsonl");
        let mut writer = JournalWriter::create(&path, &Header::new(&model.scenario, 42, "t".into()).unwrap()).unwrap();
        let mut sim = Simulation::new(Arc::new(model), 42);
        writer.append_checkpoint(0, &sim.state_hash()).unwrap();
        let hospital = sim.team_index("hospital-ops").unwrap();
        for tick in 1..=20u64 {
            let mut commands = Vec::new();
            if tick == 3 {
                let action = Action::Isolate { asset: "hospital-it".into() };
                let command = serde_json::to_value(&action).unwrap();
                let line = CommandLine { tick, team: "hospital-ops".into(), client: "laptop".into(), seq: 1, command };
                writer.append_command(&line).unwrap();
                commands.push(Command { team: hospital, action, origin: Some(Origin::new("laptop", 1)) });
            }
            sim.step_with(commands);
            writer.append_checkpoint(tick, &sim.state_hash()).unwrap();
        }
        writer.sync().unwrap();
        Player::open(Replay::new(read_journal(&path).unwrap()).unwrap(), 1 << 24, |_| {}).unwrap()
    }

    #[test]
    fn viewing_as_a_team_shows_its_view_at_the_tick_and_follows_seeks() {
        let dir = tempfile::tempdir().unwrap();
        let mut player = player(dir.path());
        let mut app =
            DirectorApp::replaying(crate::replay_state::ReplayState::new("t".into(), 20, Vec::new(), Vec::new()));
        show(&mut app, &mut player, 2);
        app.handle_key(key(KeyCode::Char('v')));
        for c in "hosp".chars() {
            app.handle_key(key(KeyCode::Char(c)));
        }
        app.handle_key(key(KeyCode::Tab));
        assert_eq!(app.view_as_input, "hospital-ops");
        let Effect::ViewAs(team) = app.handle_key(key(KeyCode::Enter)) else { panic!("view as") };
        app.viewing = team_screen(&player, &team, None, app.clock).map(Box::new);
        let seen = app.viewing.as_ref().unwrap();
        assert_eq!(seen.view.as_ref().map(|v| (v.tick, v.actions.len())), Some((2, 0)), "before the isolation");
        // Page 2 (My actions), then a seek past the isolation: same page, new tick.
        app.handle_key(key(KeyCode::Char('2')));
        show(&mut app, &mut player, 5);
        let seen = app.viewing.as_ref().unwrap();
        assert_eq!(seen.page, crate::app::Page::Actions);
        let view = seen.view.as_ref().unwrap();
        assert_eq!(view.tick, 5);
        assert_eq!(view.actions[0].command["action"], "isolate");
        assert!(seen.status.as_ref().unwrap().1.contains("hospital-ops's view at"));
        // Nothing is ever sent from it, and Esc comes back.
        app.handle_key(key(KeyCode::Char('T')));
        assert!(app.viewing.as_ref().unwrap().status.as_ref().unwrap().1.contains("nothing is sent"));
        assert_eq!(app.handle_key(key(KeyCode::Esc)), Effect::None);
        assert!(app.viewing.is_none());
        // An unknown team is refused at the prompt.
        app.handle_key(key(KeyCode::Char('v')));
        for c in "nobody".chars() {
            app.handle_key(key(KeyCode::Char(c)));
        }
        assert_eq!(app.handle_key(key(KeyCode::Enter)), Effect::None);
        assert!(app.status.as_ref().unwrap().1.contains("no team \"nobody\""));
    }
}
