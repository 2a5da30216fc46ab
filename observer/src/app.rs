//! `cascade play`'s state and its transitions: pure, so tests drive it with
//! key events and server frames and look at the result without a terminal.
//!
//! The client only renders what the engine computed: the latest team view (the
//! directory and regimes of the last snapshot kept, since tick frames carry
//! them empty), the messages received so far (de-duplicated by their log
//! index), the clock and the connection, and the commands this client sent
//! with their answers. What the screens derive from them (the action log with
//! this client's commands, conversations, countdowns) is in [`feed`].

pub mod feed;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use cascade_engine::exercise::Action;
use cascade_engine::view::{MessageView, TeamView};
use cascade_engine::wire::ServerMessage;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::client::{ClientEvent, CommandStatus, Connection, Tracker};
use crate::command::{Known, common_prefix, complete, describe, parse};
use feed::{ALL_TEAMS, INBOX, Thread};

/// Most answered commands kept apart from the log (see [`App::fresh`]).
const MAX_FRESH: usize = 50;

/// Everything the player's loop reacts to, in one stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The terminal changed size: the next frame redraws everything.
    Resize,
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
    /// Write the held indicators to files (MISP events and a STIX 2.1 bundle).
    ExportIndicators,
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

/// The pages of the player's screen, switched with 1–7, Tab and ← →.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Page {
    /// Assets (and a CSIRT's constituents'), outages, deadlines, latest actions.
    Overview,
    /// "My actions": the team's action log with every fate.
    Actions,
    /// Exercise control's injects, alerts and results.
    Inbox,
    /// Conversations with other teams, by counterpart.
    Talk,
    /// The brief, what is expected of the team, its objectives, whether its bot plays.
    Brief,
    /// The directory: every team, played by people or its bot.
    Teams,
    /// The indicators the team holds.
    Indicators,
}

impl Page {
    pub const ALL: [Page; 7] =
        [Page::Overview, Page::Actions, Page::Inbox, Page::Talk, Page::Brief, Page::Teams, Page::Indicators];

    pub fn index(self) -> usize {
        Page::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The page's name in the tab bar: (long, short).
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Page::Overview => ("Overview", "Overview"),
            Page::Actions => ("My actions", "Actions"),
            Page::Inbox => ("Inbox", "Inbox"),
            Page::Talk => ("Conversations", "Talk"),
            Page::Brief => ("Brief", "Brief"),
            Page::Teams => ("Directory", "Teams"),
            Page::Indicators => ("Indicators", "IOCs"),
        }
    }

    fn step(self, by: isize) -> Page {
        let n = Page::ALL.len() as isize;
        Page::ALL[(self.index() as isize + by).rem_euclid(n) as usize]
    }
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
    /// This client's id (its entries in the action log are "you").
    pub client_id: Option<String>,
    pub team: Option<String>,
    pub role: String,
    pub scenario: String,
    /// The latest view, with the last snapshot's directory and regimes.
    pub view: Option<TeamView>,
    /// Every message received, by log index.
    pub messages: BTreeMap<u64, MessageView>,
    pub clock: ClockState,
    pub connection: Connection,
    pub commands: Tracker,
    /// Commands answered for good that no view's action log has carried yet,
    /// with the clock when the answer came: shown from the tracker until the
    /// log has them (a `rate_limited` refusal, which the log never has, stays).
    pub fresh: BTreeMap<u64, String>,
    /// The last result or error, for the status line.
    pub status: Option<(Tone, String)>,
    /// The director looking at a team's screen (`v`): nothing can be sent,
    /// and the footer says how to go back.
    pub looking_only: bool,
    pub mode: Mode,
    pub page: Page,
    pub input: String,
    pub completion: Option<Completion>,
    pub history: Vec<String>,
    history_pos: Option<usize>,
    /// Lines scrolled down, per page (for the Overview: its left column).
    pub scroll: [u16; Page::ALL.len()],
    /// The most each page can scroll, as its last drawing found (keys clamp to it).
    pub max_scroll: [Cell<u16>; Page::ALL.len()],
    /// The selected conversation (`None`: the most recent).
    pub thread: Option<String>,
    /// Lines scrolled up from the newest in the selected conversation.
    pub thread_scroll: u16,
    /// The selected team of the directory.
    pub team_selected: usize,
    /// Lines scrolled down in the help.
    pub help_scroll: u16,
    /// Read marks: the highest message index read, per thread and for the inbox.
    pub read: BTreeMap<String, u64>,
    /// Failures (client, seq) seen on the Actions page.
    pub seen_failures: BTreeSet<(Option<String>, Option<u64>)>,
    /// Expected actions seen on the Brief page.
    pub seen_expected: usize,
    /// Incidents whose indicators were seen on the Indicators page.
    pub seen_held: BTreeSet<String>,
}

impl App {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            client_id: None,
            team: None,
            role: String::new(),
            scenario: String::new(),
            view: None,
            messages: BTreeMap::new(),
            clock: ClockState::default(),
            connection: Connection::Connecting { attempt: 1 },
            commands: Tracker::default(),
            fresh: BTreeMap::new(),
            status: None,
            looking_only: false,
            mode: Mode::Normal,
            page: Page::Overview,
            input: String::new(),
            completion: None,
            history: Vec::new(),
            history_pos: None,
            scroll: [0; Page::ALL.len()],
            max_scroll: Default::default(),
            thread: None,
            thread_scroll: 0,
            team_selected: 0,
            help_scroll: 0,
            read: BTreeMap::new(),
            seen_failures: BTreeSet::new(),
            seen_expected: 0,
            seen_held: BTreeSet::new(),
        }
    }

    /// The same, for the client `client_id`.
    pub fn with_client(url: impl Into<String>, client_id: impl Into<String>) -> Self {
        let mut app = App::new(url);
        app.client_id = Some(client_id.into());
        app
    }

    /// The ids the command line completes, from the current view.
    pub fn known(&self) -> Known {
        match &self.view {
            Some(view) => Known::from_view(view, self.messages.values()),
            None => Known::default(),
        }
    }

    /// This team's id (from the view, else the welcome).
    pub fn me(&self) -> &str {
        self.view.as_ref().map(|v| v.team.as_str()).or(self.team.as_deref()).unwrap_or_default()
    }

    /// People play the team (true until a view says otherwise).
    pub fn human(&self) -> bool {
        self.view.as_ref().is_none_or(|v| v.human)
    }

    /// "My actions", newest first.
    pub fn action_rows(&self) -> Vec<feed::ActionRow> {
        feed::action_rows(self.view.as_ref(), &self.commands, &self.fresh, self.client_id.as_deref())
    }

    /// The conversations, the most recently active first.
    pub fn threads(&self) -> Vec<Thread> {
        feed::threads(&self.messages, self.me(), &self.read)
    }

    /// The selected conversation's position in [`App::threads`].
    pub fn selected_thread(&self, threads: &[Thread]) -> usize {
        self.thread.as_ref().and_then(|k| threads.iter().position(|t| &t.key == k)).unwrap_or(0)
    }

    /// Failures in the action log not yet seen on the Actions page.
    pub fn unseen_failures(&self) -> usize {
        self.action_rows().iter().filter(|r| r.fate.is_failure() && !self.seen_failures.contains(&r.key)).count()
    }

    /// Inbox messages not read yet.
    pub fn unread_inbox(&self) -> usize {
        feed::unread_inbox(&self.messages, self.me(), &self.read)
    }

    /// Conversation messages not read yet.
    pub fn unread_talk(&self) -> usize {
        self.threads().iter().map(|t| t.unread).sum()
    }

    /// Expected actions not yet seen on the Brief page.
    pub fn unseen_expected(&self) -> usize {
        self.view.as_ref().map_or(0, |v| v.expected.len().saturating_sub(self.seen_expected))
    }

    /// Incidents whose indicators are held but not yet seen on the Indicators page.
    pub fn unseen_held(&self) -> usize {
        self.view.as_ref().map_or(0, |v| v.held.iter().filter(|h| !self.seen_held.contains(&h.incident)).count())
    }

    /// Marks what the current page shows as seen (read).
    fn mark_seen(&mut self) {
        match self.page {
            Page::Actions => {
                let failures: Vec<_> =
                    self.action_rows().into_iter().filter(|r| r.fate.is_failure()).map(|r| r.key).collect();
                self.seen_failures.extend(failures);
            }
            Page::Inbox => {
                if let Some(last) = feed::inbox(&self.messages).first().map(|m| m.index) {
                    self.read.insert(INBOX.to_string(), last);
                }
            }
            Page::Talk => {
                let threads = self.threads();
                if let Some(t) = threads.get(self.selected_thread(&threads))
                    && let Some(&last) = t.messages.last()
                {
                    self.read.insert(t.key.clone(), last);
                }
            }
            Page::Brief => self.seen_expected = self.view.as_ref().map_or(0, |v| v.expected.len()),
            Page::Indicators => {
                if let Some(v) = &self.view {
                    self.seen_held.extend(v.held.iter().map(|h| h.incident.clone()));
                }
            }
            Page::Overview | Page::Teams => {}
        }
    }

    /// Shows `page`.
    pub fn show(&mut self, page: Page) {
        self.page = page;
        self.mark_seen();
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
            ClientEvent::Frame(frame) => {
                self.on_frame(frame);
                self.mark_seen();
            }
        }
    }

    fn on_frame(&mut self, frame: ServerMessage) {
        if let Some((seq, command)) = self.commands.on_frame(&frame) {
            let what = describe(&command.action);
            if command.status.is_final() {
                let clock = self.view.as_ref().map_or_else(|| "--:--".to_string(), |v| v.clock.clone());
                self.fresh.insert(seq, clock);
                while self.fresh.len() > MAX_FRESH {
                    self.fresh.pop_first();
                }
            }
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
            ServerMessage::Snapshot(view) => self.take_view(*view),
            // A delta applies to the view held; none is held only before the
            // snapshot, which the host always sends first.
            ServerMessage::Tick(delta) => {
                if let Some(mut view) = self.view.take() {
                    delta.apply(&mut view);
                    self.take_view(view);
                }
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

    /// A whole view (a snapshot, or the held view with a tick's delta
    /// applied): its new messages go to the log, and the commands the log
    /// now carries are shown from it.
    fn take_view(&mut self, mut view: TeamView) {
        for m in view.messages.drain(..) {
            self.messages.insert(m.index, m);
        }
        let me = self.client_id.as_deref();
        self.fresh.retain(|seq, _| {
            !view.actions.iter().any(|a| a.seq == Some(*seq) && me.is_some() && a.client.as_deref() == me)
        });
        self.clock.tick = view.tick;
        self.view = Some(view);
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
            KeyCode::Char('q') => return Effect::Quit,
            KeyCode::Char('?') | KeyCode::Esc | KeyCode::Enter | KeyCode::F(1) => {
                self.mode = Mode::Normal;
                self.help_scroll = 0;
            }
            KeyCode::Down | KeyCode::Char('j') => self.help_scroll = self.help_scroll.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => self.help_scroll = self.help_scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.help_scroll = self.help_scroll.saturating_add(10),
            KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => self.help_scroll = 0,
            _ => {}
        }
        Effect::None
    }

    /// Opens the command line with `text` typed.
    fn open_command_line(&mut self, text: &str) {
        self.mode = Mode::Command;
        self.input = text.to_string();
        self.completion = None;
        self.history_pos = None;
    }

    /// Moves the page's selection or scroll by `by` lines (or items).
    fn move_by(&mut self, by: i32) {
        match self.page {
            Page::Talk => {
                let threads = self.threads();
                if threads.is_empty() {
                    return;
                }
                let at = self.selected_thread(&threads) as i32;
                let to = (at + by).clamp(0, threads.len() as i32 - 1) as usize;
                if to as i32 != at {
                    self.thread = Some(threads[to].key.clone());
                    self.thread_scroll = 0;
                    self.mark_seen();
                }
            }
            Page::Teams => {
                let teams = self.view.as_ref().map_or(0, |v| v.directory.len());
                self.team_selected = (self.team_selected as i32 + by).clamp(0, teams.saturating_sub(1) as i32) as usize;
            }
            page => {
                let i = page.index();
                let max = i32::from(self.max_scroll[i].get());
                self.scroll[i] = (i32::from(self.scroll[i]) + by).clamp(0, max) as u16;
            }
        }
    }

    /// Opens the command line to write to the selected team (Directory) or
    /// conversation; elsewhere, says where `m` works.
    fn message_selected(&mut self) {
        let to = match self.page {
            Page::Teams => self.view.as_ref().and_then(|v| v.directory.get(self.team_selected)).map(|d| d.id.clone()),
            Page::Talk => {
                let threads = self.threads();
                threads.get(self.selected_thread(&threads)).map(|t| t.key.clone())
            }
            _ => None,
        };
        match to {
            Some(key) if key == ALL_TEAMS => self.open_command_line("public_statement "),
            Some(id) if id != self.me() => self.open_command_line(&format!("message {id} ")),
            _ => {
                self.status =
                    Some((Tone::Info, "m writes to the team selected in Directory (6) or Conversations (4)".into()))
            }
        }
    }

    fn normal_key(&mut self, key: KeyEvent) -> Effect {
        match key.code {
            KeyCode::Char('q') => return Effect::Quit,
            KeyCode::Char(':') | KeyCode::Char('/') => self.open_command_line(""),
            KeyCode::Char('?') | KeyCode::F(1) => {
                self.mode = Mode::Help;
                self.help_scroll = 0;
            }
            KeyCode::Char(c @ '1'..='7') => self.show(Page::ALL[usize::from(c as u8 - b'1')]),
            KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => self.show(self.page.step(1)),
            KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => self.show(self.page.step(-1)),
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::PageDown if self.page == Page::Talk => self.thread_scroll = self.thread_scroll.saturating_sub(10),
            KeyCode::PageUp if self.page == Page::Talk => self.thread_scroll = self.thread_scroll.saturating_add(10),
            KeyCode::PageDown => self.move_by(10),
            KeyCode::PageUp => self.move_by(-10),
            KeyCode::Home | KeyCode::Char('g') => self.move_by(-100_000),
            KeyCode::End | KeyCode::Char('G') => self.move_by(100_000),
            KeyCode::Char('T') => {
                let waiting = self.commands.unresolved().any(|(_, c)| c.action == Action::Takeover);
                self.status = Some((
                    Tone::Info,
                    if self.view.is_none() {
                        "not joined yet".into()
                    } else if self.human() {
                        "people play your team already: no bot to take over from".into()
                    } else if waiting {
                        "takeover sent: your bot stops at the next tick".into()
                    } else {
                        return Effect::Send(Action::Takeover);
                    },
                ));
            }
            KeyCode::Char('m') | KeyCode::Char('r') => self.message_selected(),
            KeyCode::Char('x') if self.page == Page::Indicators => {
                if self.view.as_ref().is_some_and(|v| !v.held.is_empty()) {
                    return Effect::ExportIndicators;
                }
                self.status = Some((Tone::Info, "no indicators held yet: nothing to export".into()));
            }
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
    use crate::testing::{ME, key, sample_view, type_str};
    use cascade_engine::scenario::Tlp;
    use cascade_engine::view::{ActionView, TeamDelta};

    fn app() -> App {
        let mut app = App::with_client("ws://127.0.0.1:1", ME);
        app.on_client(ClientEvent::Connection(Connection::Connected));
        app.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(sample_view()))));
        app
    }

    fn tick(app: &mut App, f: impl FnOnce(&mut TeamView)) {
        let mut view = sample_view();
        view.directory.clear();
        view.regimes.clear();
        view.brief.clear();
        view.messages.clear();
        f(&mut view);
        app.on_client(ClientEvent::Frame(ServerMessage::Tick(Box::new(TeamDelta::full(&view)))));
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
    fn help_opens_scrolls_and_closes() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('?')));
        assert_eq!(a.mode, Mode::Help);
        a.handle_key(key(KeyCode::Char('x')));
        assert_eq!(a.mode, Mode::Help);
        a.handle_key(key(KeyCode::Char('j')));
        assert_eq!(a.help_scroll, 1);
        a.handle_key(key(KeyCode::Esc));
        assert_eq!((a.mode, a.help_scroll), (Mode::Normal, 0));
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
    fn an_unheld_incident_is_refused_before_sending() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "share govcert amber wiper-z C2 seen");
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::None);
        assert_eq!(a.mode, Mode::Command, "the line stays for correction");
        let (tone, text) = a.status.clone().unwrap();
        assert_eq!(tone, Tone::Bad);
        assert!(text.contains("you hold no indicators of \"wiper-z\" (you hold: ransom-x)"), "{text}");
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
        // Teams come from the directory, incidents from the indicators held.
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
        // A regime, then its stages.
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "report n");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "report nis2 ");
        type_str(&mut a, "fi");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "report nis2 final-report ");
    }

    #[test]
    fn completion_keeps_the_snapshots_directory_and_regimes_through_tick_frames() {
        let mut a = app();
        tick(&mut a, |v| v.tick = 48);
        let v = a.view.as_ref().unwrap();
        assert_eq!((v.tick, v.directory.len(), v.regimes.len()), (48, 6, 2));
        assert!(v.brief.starts_with("Operations team of ChemCo"), "the brief too: {}", v.brief);
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "message i");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "message ilr ");
        a.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        type_str(&mut a, "report nis2 no");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.input, "report nis2 notification ");
    }

    #[test]
    fn frames_update_the_state_and_answers_reach_the_status_line() {
        let mut a = App::new("ws://x");
        assert!(a.view.is_none());
        a.on_client(ClientEvent::Frame(ServerMessage::Welcome {
            team: "chem-ops".into(),
            role: "operator".into(),
            tick: 0,
            protocol: 3,
            scenario: "S".into(),
            running: false,
            ticks_per_second: 1.0,
        }));
        assert_eq!(a.team.as_deref(), Some("chem-ops"));
        let mut view = sample_view();
        a.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(view.clone()))));
        assert_eq!(a.messages.len(), 7);
        // A tick with one new message and one repeated: de-duplicated by index.
        view.tick = 48;
        let mut new = view.messages[0].clone();
        new.index = 9;
        view.messages = vec![view.messages[1].clone(), new];
        a.on_client(ClientEvent::Frame(ServerMessage::Tick(Box::new(TeamDelta::full(&view)))));
        assert_eq!(a.messages.len(), 8);
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
    fn outcomes_reach_the_action_log_without_the_status_line() {
        let mut a = app();
        a.sent(7, Action::Harden { asset: "chem-it".into() });
        a.sent(8, Action::Isolate { asset: "nope".into() });
        let rows = a.action_rows();
        assert_eq!((rows[0].what.as_str(), rows[0].fate.symbol()), ("isolate nope", "…"));
        a.on_client(ClientEvent::Frame(ServerMessage::Reject {
            seq: 8,
            code: "unknown_asset".into(),
            message: "no such asset".into(),
        }));
        a.status = None;
        let rows = a.action_rows();
        assert_eq!(rows[0].fate.words(None), "refused: unknown_asset — no such asset");
        assert_eq!(a.unseen_failures(), 3, "two in the sample's log and this one");
        // The next view's log carries it: shown once, from the log.
        tick(&mut a, |v| {
            v.actions.push(ActionView {
                tick: 47,
                clock: "08:47".into(),
                client: Some(ME.into()),
                seq: Some(8),
                command: serde_json::json!({"action": "isolate", "asset": "nope"}),
                fate: cascade_engine::view::ActionFate::Refused,
                code: Some("unknown_asset".into()),
                message: Some("no such asset".into()),
                lands: None,
                lands_clock: None,
            })
        });
        let rows = a.action_rows();
        assert_eq!(rows.iter().filter(|r| r.what == "isolate nope").count(), 1);
        assert_eq!(rows[0].what, "harden chem-it", "still unanswered: the newest");
        // A refusal the log never carries (rate_limited) stays, at the time it came.
        a.sent(9, Action::Harden { asset: "chem-lab".into() });
        a.on_client(ClientEvent::Frame(ServerMessage::Reject {
            seq: 9,
            code: "rate_limited".into(),
            message: "too many commands".into(),
        }));
        tick(&mut a, |v| {
            v.tick = 48;
            v.clock = "08:48".into();
        });
        let rows = a.action_rows();
        let limited = rows.iter().find(|r| r.what == "harden chem-lab").expect("still shown");
        assert_eq!(
            (limited.clock.as_str(), limited.fate.words(None)),
            ("08:47", "refused: rate_limited — too many commands".into())
        );
        // Seeing the Actions page clears the failures' mark.
        a.handle_key(key(KeyCode::Char('2')));
        assert_eq!((a.page, a.unseen_failures()), (Page::Actions, 0));
    }

    #[test]
    fn pages_switch_with_numbers_tab_and_arrows() {
        let mut a = app();
        assert_eq!(a.page, Page::Overview);
        for (c, page) in [('2', Page::Actions), ('7', Page::Indicators), ('5', Page::Brief), ('1', Page::Overview)] {
            a.handle_key(key(KeyCode::Char(c)));
            assert_eq!(a.page, page);
        }
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.page, Page::Actions);
        a.handle_key(key(KeyCode::BackTab));
        a.handle_key(key(KeyCode::BackTab));
        assert_eq!(a.page, Page::Indicators);
        a.handle_key(key(KeyCode::Right));
        assert_eq!(a.page, Page::Overview);
        a.handle_key(key(KeyCode::Left));
        assert_eq!(a.page, Page::Indicators);
    }

    #[test]
    fn scrolling_stops_where_the_drawing_says() {
        let mut a = app();
        a.show(Page::Actions);
        a.handle_key(key(KeyCode::Char('j')));
        assert_eq!(a.scroll[1], 0, "nothing to scroll before a drawing says so");
        a.max_scroll[1].set(12);
        a.handle_key(key(KeyCode::Char('j')));
        a.handle_key(key(KeyCode::Down));
        assert_eq!(a.scroll[1], 2);
        a.handle_key(key(KeyCode::Char('k')));
        assert_eq!(a.scroll[1], 1);
        a.handle_key(key(KeyCode::PageDown));
        assert_eq!(a.scroll[1], 11);
        a.handle_key(key(KeyCode::PageDown));
        assert_eq!(a.scroll[1], 12);
        a.handle_key(key(KeyCode::Home));
        assert_eq!(a.scroll[1], 0);
        a.handle_key(key(KeyCode::Char('G')));
        assert_eq!(a.scroll[1], 12);
        assert_eq!(a.scroll[0], 0, "each page scrolls on its own");
    }

    #[test]
    fn conversations_select_read_and_reply() {
        let mut a = app();
        assert_eq!((a.unread_talk(), a.unread_inbox()), (3, 3));
        a.handle_key(key(KeyCode::Char('4')));
        // The most recent thread is selected and read: the statement to all teams.
        assert_eq!(a.unread_talk(), 2);
        a.handle_key(key(KeyCode::Char('j')));
        assert_eq!(a.thread.as_deref(), Some("govcert"));
        assert_eq!(a.unread_talk(), 0);
        a.handle_key(key(KeyCode::Char('m')));
        assert_eq!((a.mode, a.input.as_str()), (Mode::Command, "message govcert "));
        a.handle_key(key(KeyCode::Esc));
        a.handle_key(key(KeyCode::Char('k')));
        a.handle_key(key(KeyCode::Char('m')));
        assert_eq!(a.input, "public_statement ", "to all teams: a public statement");
        a.handle_key(key(KeyCode::Esc));
        // The inbox is read once shown.
        a.handle_key(key(KeyCode::Char('3')));
        assert_eq!(a.unread_inbox(), 0);
        // A new message from govcert while reading another page.
        a.handle_key(key(KeyCode::Char('1')));
        let mut m = sample_view().messages[3].clone();
        m.index = 10;
        tick(&mut a, |v| v.messages.push(m));
        assert_eq!(a.unread_talk(), 1);
    }

    #[test]
    fn the_directory_selects_a_team_to_write_to() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('6')));
        a.handle_key(key(KeyCode::Char('j')));
        a.handle_key(key(KeyCode::Char('j')));
        assert_eq!(a.team_selected, 2);
        a.handle_key(key(KeyCode::Char('m')));
        assert_eq!(a.input, "message circl ");
        a.handle_key(key(KeyCode::Esc));
        a.handle_key(key(KeyCode::Char('G')));
        assert_eq!(a.team_selected, 5);
        a.handle_key(key(KeyCode::Char('g')));
        a.handle_key(key(KeyCode::Char('m')));
        assert_eq!(a.mode, Mode::Normal, "not to ourselves");
    }

    #[test]
    fn x_on_the_indicators_page_exports_them_and_only_there() {
        let mut a = app();
        assert_eq!(a.handle_key(key(KeyCode::Char('x'))), Effect::None, "not on the overview");
        a.handle_key(key(KeyCode::Char('7')));
        assert_eq!(a.handle_key(key(KeyCode::Char('x'))), Effect::ExportIndicators);
        tick(&mut a, |v| v.held.clear());
        assert_eq!(a.handle_key(key(KeyCode::Char('x'))), Effect::None);
        assert!(a.status.as_ref().unwrap().1.contains("nothing to export"));
    }

    #[test]
    fn t_and_takeover_take_the_team_over_from_its_bot() {
        let mut a = app();
        // People play it already: nothing to send.
        assert_eq!(a.handle_key(key(KeyCode::Char('T'))), Effect::None);
        assert!(a.status.as_ref().unwrap().1.contains("people play your team already"));
        tick(&mut a, |v| v.human = false);
        assert_eq!(a.handle_key(key(KeyCode::Char('T'))), Effect::Send(Action::Takeover));
        a.sent(20, Action::Takeover);
        assert_eq!(a.handle_key(key(KeyCode::Char('T'))), Effect::None, "sent once");
        assert!(a.status.as_ref().unwrap().1.contains("takeover sent"));
        a.handle_key(key(KeyCode::Char(':')));
        type_str(&mut a, "takeover");
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::Send(Action::Takeover));
    }

    #[test]
    fn new_expected_actions_and_indicators_are_marked_until_seen() {
        let mut a = app();
        assert_eq!((a.unseen_expected(), a.unseen_held()), (1, 1));
        a.handle_key(key(KeyCode::Char('5')));
        assert_eq!(a.unseen_expected(), 0);
        a.handle_key(key(KeyCode::Char('7')));
        assert_eq!(a.unseen_held(), 0);
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut a = app();
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(a.handle_key(release), Effect::None);
    }
}
