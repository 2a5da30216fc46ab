//! `cascade play`'s state and its transitions: pure, so tests drive it with
//! key events and server frames and look at the result without a terminal.
//!
//! The client only renders what the engine computed: the latest team view, the
//! messages received so far (de-duplicated by their log index), the clock and
//! the connection, and the commands this client sent with their answers.

use std::collections::BTreeMap;

use cascade_engine::exercise::Action;
use cascade_engine::view::{MessageView, TeamView};
use cascade_engine::wire::ServerMessage;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::client::{ClientEvent, CommandStatus, Connection, Tracker};
use crate::command::{Known, common_prefix, complete, describe, parse};

/// Everything the player's loop reacts to, in one stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Key(KeyEvent),
    /// A server frame or a change of the connection.
    Client(ClientEvent),
    /// Time to draw (a fixed frame rate, independent of the exercise's ticks).
    Frame,
}

/// What the loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    Quit,
    /// Send this action to the server (then call [`App::sent`] with its seq).
    Send(Action),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing a command.
    Command,
    Help,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
}

/// The exercise clock as the server last stated it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClockState {
    pub tick: u64,
    pub running: bool,
    pub ticks_per_second: f64,
    pub ended: bool,
    /// How far the host's clock runs behind its schedule (ms; director only).
    pub behind_ms: u64,
}

/// Tab completion in progress: `stem` is the input without the word being
/// completed; Tab again cycles through `candidates`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub stem: String,
    pub candidates: Vec<String>,
    pub index: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct App {
    /// The server we play on (for the header before the welcome).
    pub url: String,
    pub team: Option<String>,
    pub role: String,
    pub scenario: String,
    pub view: Option<TeamView>,
    /// Every message received, by log index.
    pub messages: BTreeMap<u64, MessageView>,
    pub clock: ClockState,
    pub connection: Connection,
    pub commands: Tracker,
    /// The last result or error, for the status line.
    pub status: Option<(Tone, String)>,
    pub mode: Mode,
    pub input: String,
    pub completion: Option<Completion>,
    pub history: Vec<String>,
    history_pos: Option<usize>,
    /// Lines scrolled down in the messages panel (0: newest at the top).
    pub scroll: u16,
}

impl App {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            team: None,
            role: String::new(),
            scenario: String::new(),
            view: None,
            messages: BTreeMap::new(),
            clock: ClockState::default(),
            connection: Connection::Connecting { attempt: 1 },
            commands: Tracker::default(),
            status: None,
            mode: Mode::Normal,
            input: String::new(),
            completion: None,
            history: Vec::new(),
            history_pos: None,
            scroll: 0,
        }
    }

    /// The ids the command line completes, from the current view.
    pub fn known(&self) -> Known {
        match &self.view {
            Some(view) => Known::from_view(view, self.messages.values()),
            None => Known::default(),
        }
    }

    /// Applies any event but keys and frames (which need the loop).
    pub fn on_client(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Connection(c) => {
                if let Connection::Closed { reason } = &c {
                    self.status = Some((Tone::Bad, format!("disconnected: {reason}")));
                }
                self.connection = c;
            }
            ClientEvent::Frame(frame) => self.on_frame(frame),
        }
    }

    fn on_frame(&mut self, frame: ServerMessage) {
        if let Some((_, command)) = self.commands.on_frame(&frame) {
            let what = describe(&command.action);
            self.status = Some(match &command.status {
                CommandStatus::Sent => (Tone::Info, format!("{what}: sent")),
                CommandStatus::Acked { tick } => (Tone::Info, format!("{what}: accepted for tick {tick}")),
                CommandStatus::Rejected { code, message } => (Tone::Bad, format!("{what}: refused ({code}) {message}")),
                CommandStatus::Applied { tick } => (Tone::Good, format!("{what}: applied at tick {tick}")),
                CommandStatus::Failed { tick, code, message } => {
                    (Tone::Bad, format!("{what}: failed at tick {tick} ({code}) {message}"))
                }
            });
            return;
        }
        match frame {
            ServerMessage::Welcome { team, role, tick, scenario, running, ticks_per_second, .. } => {
                self.team = Some(team);
                self.role = role;
                self.scenario = scenario;
                self.clock.tick = tick;
                self.clock.running = running;
                self.clock.ticks_per_second = ticks_per_second;
            }
            ServerMessage::Snapshot(view) | ServerMessage::Tick(view) => {
                let mut view = *view;
                for m in view.messages.drain(..) {
                    self.messages.insert(m.index, m);
                }
                self.clock.tick = view.tick;
                self.view = Some(view);
            }
            ServerMessage::Clock { tick, running, ticks_per_second, ended, behind_ms } => {
                self.clock = ClockState { tick, running, ticks_per_second, ended, behind_ms };
            }
            ServerMessage::Error { code, message } => {
                self.status = Some((Tone::Bad, format!("server: {code}: {message}")));
            }
            // Director frames never reach a team client; acks for unknown seqs
            // (an earlier run of this client id) are ignored.
            _ => {}
        }
    }

    /// Records a command the loop has just queued with `seq`.
    pub fn sent(&mut self, seq: u64, action: Action) {
        self.status = Some((Tone::Info, format!("{}: sent", describe(&action))));
        self.commands.sent(seq, action);
    }

    /// One key press. Pure: the returned effect tells the loop what to do.
    pub fn handle_key(&mut self, key: KeyEvent) -> Effect {
        if key.kind == KeyEventKind::Release {
            return Effect::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('d')) {
            return Effect::Quit;
        }
        match self.mode {
            Mode::Help => self.help_key(key),
            Mode::Command => self.command_key(key, ctrl),
            Mode::Normal => self.normal_key(key),
        }
    }

    fn help_key(&mut self, key: KeyEvent) -> Effect {
        match key.code {
            KeyCode::Char('q') => Effect::Quit,
            KeyCode::Char('?') | KeyCode::Esc | KeyCode::Enter => {
                self.mode = Mode::Normal;
                Effect::None
            }
            _ => Effect::None,
        }
    }

    fn normal_key(&mut self, key: KeyEvent) -> Effect {
        match key.code {
            KeyCode::Char('q') => return Effect::Quit,
            KeyCode::Char(':') | KeyCode::Char('/') => {
                self.mode = Mode::Command;
                self.input.clear();
                self.completion = None;
                self.history_pos = None;
            }
            KeyCode::Char('?') | KeyCode::F(1) => self.mode = Mode::Help,
            KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
            KeyCode::PageDown => self.scroll = self.scroll.saturating_add(10),
            KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => self.scroll = 0,
            KeyCode::Esc => self.status = None,
            _ => {}
        }
        Effect::None
    }

    fn command_key(&mut self, key: KeyEvent, ctrl: bool) -> Effect {
        let tab = key.code == KeyCode::Tab;
        if !tab {
            self.completion = None;
        }
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                self.input.clear();
            }
            KeyCode::Enter => {
                let line = self.input.trim().to_string();
                if line.is_empty() {
                    self.mode = Mode::Normal;
                    return Effect::None;
                }
                match parse(&line, &self.known()) {
                    Ok(action) => {
                        if self.history.last() != Some(&line) {
                            self.history.push(line);
                        }
                        self.history_pos = None;
                        self.input.clear();
                        self.mode = Mode::Normal;
                        return Effect::Send(action);
                    }
                    Err(e) => self.status = Some((Tone::Bad, e)),
                }
            }
            KeyCode::Tab => self.complete(),
            KeyCode::Backspace => {
                if self.input.is_empty() {
                    self.mode = Mode::Normal;
                } else {
                    self.input.pop();
                }
            }
            KeyCode::Up if !self.history.is_empty() => {
                let pos = match self.history_pos {
                    None => self.history.len() - 1,
                    Some(p) => p.saturating_sub(1),
                };
                self.history_pos = Some(pos);
                self.input = self.history[pos].clone();
            }
            KeyCode::Down => match self.history_pos {
                Some(p) if p + 1 < self.history.len() => {
                    self.history_pos = Some(p + 1);
                    self.input = self.history[p + 1].clone();
                }
                Some(_) => {
                    self.history_pos = None;
                    self.input.clear();
                }
                None => {}
            },
            KeyCode::Char('u') if ctrl => self.input.clear(),
            KeyCode::Char('w') if ctrl => {
                let trimmed = self.input.trim_end().len();
                self.input.truncate(trimmed);
                let cut = self.input.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
                self.input.truncate(cut);
            }
            KeyCode::Char(c) if !ctrl && self.input.chars().count() < 4_000 => self.input.push(c),
            _ => {}
        }
        Effect::None
    }

    fn complete(&mut self) {
        // Tab again after a completion: the next candidate.
        if let Some(c) = &mut self.completion
            && let Some(i) = c.index
            && self.input == format!("{}{}", c.stem, c.candidates[i])
        {
            let next = (i + 1) % c.candidates.len();
            c.index = Some(next);
            self.input = format!("{}{}", c.stem, c.candidates[next]);
            return;
        }
        let candidates = complete(&self.input, &self.known());
        let at_new_word = self.input.is_empty() || self.input.ends_with(char::is_whitespace);
        let word_start =
            if at_new_word { self.input.len() } else { self.input.rfind(char::is_whitespace).map_or(0, |i| i + 1) };
        let stem = self.input[..word_start].to_string();
        let partial = self.input[word_start..].to_string();
        match candidates.len() {
            0 => {
                self.completion = None;
                self.status = Some((Tone::Info, "no completion".to_string()));
            }
            1 => {
                self.input = format!("{stem}{} ", candidates[0]);
                self.completion = None;
            }
            _ => {
                let prefix = common_prefix(&candidates);
                if prefix.len() > partial.len() {
                    self.input = format!("{stem}{prefix}");
                    self.completion = Some(Completion { stem, candidates, index: None });
                } else {
                    self.input = format!("{stem}{}", candidates[0]);
                    self.completion = Some(Completion { stem, candidates, index: Some(0) });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{key, sample_view, type_str};
    use cascade_engine::scenario::Tlp;

    fn app() -> App {
        let mut app = App::new("ws://127.0.0.1:1");
        app.on_client(ClientEvent::Connection(Connection::Connected));
        app.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(sample_view()))));
        app
    }

    #[test]
    fn q_quits_and_colon_or_slash_open_the_command_line() {
        let mut a = app();
        assert_eq!(a.handle_key(key(KeyCode::Char(':'))), Effect::None);
        assert_eq!(a.mode, Mode::Command);
        // In the command line, q is a letter.
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::None);
        assert_eq!(a.input, "q");
        a.handle_key(key(KeyCode::Esc));
        assert_eq!((a.mode, a.input.as_str()), (Mode::Normal, ""));
        a.handle_key(key(KeyCode::Char('/')));
        assert_eq!(a.mode, Mode::Command);
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(a.handle_key(ctrl_c), Effect::Quit);
    }

    #[test]
    fn help_opens_and_closes() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('?')));
        assert_eq!(a.mode, Mode::Help);
        a.handle_key(key(KeyCode::Char('x')));
        assert_eq!(a.mode, Mode::Help);
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.mode, Mode::Normal);
        a.handle_key(key(KeyCode::Char('?')));
        a.handle_key(key(KeyCode::Char('?')));
        assert_eq!(a.mode, Mode::Normal);
        a.handle_key(key(KeyCode::Char('?')));
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::Quit);
    }

    #[test]
    fn enter_sends_a_parsed_command_and_keeps_history() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "isolate chem-it");
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::Send(Action::Isolate { asset: "chem-it".into() }));
        assert_eq!(a.mode, Mode::Normal);
        assert_eq!(a.history, vec!["isolate chem-it"]);
        a.sent(42, Action::Isolate { asset: "chem-it".into() });
        assert_eq!(a.status, Some((Tone::Info, "isolate chem-it: sent".into())));
        // Up recalls it.
        a.handle_key(key(KeyCode::Char(':')));
        a.handle_key(key(KeyCode::Up));
        assert_eq!(a.input, "isolate chem-it");
        a.handle_key(key(KeyCode::Down));
        assert_eq!(a.input, "");
    }

    #[test]
    fn a_bad_command_stays_on_the_line_with_the_error() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "activate_piu 9");
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::None);
        assert_eq!(a.mode, Mode::Command);
        assert_eq!(a.input, "activate_piu 9");
        let (tone, text) = a.status.clone().unwrap();
        assert_eq!(tone, Tone::Bad);
        assert!(text.contains("1 to 4"), "{text}");
        // Ctrl-W deletes a word, Ctrl-U the line, Backspace on empty closes it.
        a.handle_key(KeyEvent::new(KeyCode::Char('w'), KeyModifiers::CONTROL));
        assert_eq!(a.input, "activate_piu ");
        a.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(a.input, "");
        a.handle_key(key(KeyCode::Backspace));
        assert_eq!(a.mode, Mode::Normal);
        // Enter on an empty line just closes it.
        a.handle_key(key(KeyCode::Char(':')));
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::None);
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn tab_completes_then_cycles() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "iso");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "isolate ");
        // Three assets start with "chem-": the common prefix, then cycling.
        type_str(&mut a, "c");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "isolate chem-");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "isolate chem-it");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "isolate chem-scada");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "isolate chem-lab");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "isolate chem-it");
        assert_eq!(a.completion.as_ref().unwrap().candidates, vec!["chem-it", "chem-scada", "chem-lab"]);
        // Typing ends the cycle.
        type_str(&mut a, " ");
        assert!(a.completion.is_none());
        // Teams come from the messages, incidents from the indicators.
        a.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        type_str(&mut a, "share g");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "share govcert ");
        type_str(&mut a, "amber r");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "share govcert amber ransom-x ");
        type_str(&mut a, "C2 at 198.51.100.7");
        assert_eq!(
            a.handle_key(key(KeyCode::Enter)),
            Effect::Send(Action::Share {
                to: vec!["govcert".into()],
                tlp: Tlp::Amber,
                incident: Some("ransom-x".into()),
                text: "C2 at 198.51.100.7".into()
            })
        );
    }

    #[test]
    fn frames_update_the_state_and_answers_reach_the_status_line() {
        let mut a = App::new("ws://x");
        assert!(a.view.is_none());
        a.on_client(ClientEvent::Frame(ServerMessage::Welcome {
            team: "chem-ops".into(),
            role: "operator".into(),
            tick: 0,
            protocol: 1,
            scenario: "S".into(),
            running: false,
            ticks_per_second: 1.0,
        }));
        assert_eq!(a.team.as_deref(), Some("chem-ops"));
        let mut view = sample_view();
        a.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(view.clone()))));
        assert_eq!(a.messages.len(), 2);
        // A tick with one new message and one repeated: de-duplicated by index.
        view.tick = 48;
        let mut new = view.messages[0].clone();
        new.index = 9;
        view.messages = vec![view.messages[1].clone(), new];
        a.on_client(ClientEvent::Frame(ServerMessage::Tick(Box::new(view))));
        assert_eq!(a.messages.len(), 3);
        assert_eq!(a.clock.tick, 48);
        assert!(a.view.as_ref().unwrap().messages.is_empty());
        a.on_client(ClientEvent::Frame(ServerMessage::Clock {
            tick: 48,
            running: true,
            ticks_per_second: 2.0,
            ended: false,
            behind_ms: 0,
        }));
        assert!(a.clock.running);

        a.sent(5, Action::Restore { asset: "chem-it".into() });
        a.on_client(ClientEvent::Frame(ServerMessage::Ack { seq: 5, tick: 49 }));
        assert_eq!(a.status, Some((Tone::Info, "restore chem-it: accepted for tick 49".into())));
        a.on_client(ClientEvent::Frame(ServerMessage::Outcome {
            seq: 5,
            tick: 49,
            ok: false,
            code: "not_isolated".into(),
            message: "isolate it first".into(),
        }));
        assert_eq!(
            a.status,
            Some((Tone::Bad, "restore chem-it: failed at tick 49 (not_isolated) isolate it first".into()))
        );
        a.sent(6, Action::Isolate { asset: "nope".into() });
        a.on_client(ClientEvent::Frame(ServerMessage::Reject {
            seq: 6,
            code: "unknown_asset".into(),
            message: "no such asset".into(),
        }));
        assert_eq!(a.status.as_ref().unwrap().0, Tone::Bad);
        a.on_client(ClientEvent::Connection(Connection::Closed { reason: "bye".into() }));
        assert_eq!(a.status, Some((Tone::Bad, "disconnected: bye".into())));
    }

    #[test]
    fn scrolling_the_messages() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('j')));
        a.handle_key(key(KeyCode::Down));
        assert_eq!(a.scroll, 2);
        a.handle_key(key(KeyCode::Char('k')));
        assert_eq!(a.scroll, 1);
        a.handle_key(key(KeyCode::PageDown));
        assert_eq!(a.scroll, 11);
        a.handle_key(key(KeyCode::Home));
        assert_eq!(a.scroll, 0);
        a.handle_key(key(KeyCode::Up));
        assert_eq!(a.scroll, 0);
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut a = app();
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(a.handle_key(release), Effect::None);
    }
}
