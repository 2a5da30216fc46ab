//! The director console's state and its transitions (`cascade observe`): pure,
//! so tests drive it with key events and server frames without a terminal.
//!
//! It keeps the latest director view, every message received (by log index),
//! a history of national and per-sector service (one value per tick, from the
//! `director_snapshot` / `director_tick` frames), the clock, the connection,
//! the director commands sent with their answers, and the screen state: the
//! focused panel, a selection per panel, a filter, the inject form, overlays.

use std::collections::{BTreeMap, VecDeque};

use cascade_engine::scenario::{Method, Tlp};
use cascade_engine::view::{
    AssetPage, AssetView, DirectorView, IncidentView, MessageView, MselEntry, MselStatus, ObjectiveView, TeamSummary,
};
use cascade_engine::wire::{self, DirectorAction, JoinKit, LiveInject, MselOp, Observation, ServerMessage};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::app::{ClockState, Tone};
use cascade_replay::player::Event;

use crate::client::{ClientEvent, CommandStatus, Connection};
use crate::keymap::KeyMap;
use crate::replay_state::ReplayState;

/// Most service values kept per series (older ones scroll out).
pub const HISTORY: usize = 2_000;
/// Speeds the `+` / `-` keys step through, in ticks per second.
pub const SPEEDS: [f64; 12] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 500.0, 1000.0];

/// What the loop must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    None,
    Quit,
    /// Send this command (then call [`DirectorApp::sent`] with its seq).
    Send(DirectorAction),
    /// Replay: show this tick.
    Seek(u64),
    /// Replay: start a live exercise from this tick of the recording.
    Branch(u64),
    /// Replay: keep this observation, stamped with the tick shown, beside
    /// the recording (live, a note is sent as a director command).
    Note(u64, Observation),
    /// Show this team's view (the engine's `team_view`) at the tick shown.
    ViewAs(String),
    /// The view is summarised (a national-scale country): ask for the assets
    /// matching this filter (then call [`DirectorApp::on_assets`] with them).
    AskAssets(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Help,
    /// Typing the filter.
    Filter,
    /// Details of the selected item.
    Details,
    /// The inject form.
    Inject,
    /// "Quit while the exercise runs?"
    ConfirmQuit,
    /// "End the exercise now?"
    ConfirmEnd,
    /// Replay: typing the tick or time to go to.
    Goto,
    /// Replay: "Start a live exercise from this tick?"
    ConfirmBranch,
    /// Typing an evaluator's observation.
    Note,
    /// Typing the team to view the exercise as.
    ViewAsPrompt,
    /// Live: how players join (the portal's address, each team's join link).
    Join,
    /// The MSEL: upcoming and fired injects; fire now, hold, release, skip.
    Msel,
    /// "Fire this inject now?" (`msel_confirm` says which).
    ConfirmMsel,
}

/// The panels Tab moves between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Panel {
    Assets,
    Incidents,
    Teams,
    Timeline,
    Objectives,
}

impl Panel {
    pub const ALL: [Panel; 5] = [Panel::Assets, Panel::Incidents, Panel::Teams, Panel::Timeline, Panel::Objectives];

    fn index(self) -> usize {
        Panel::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> Panel {
        Panel::ALL[(self.index() + 1) % Panel::ALL.len()]
    }

    pub fn prev(self) -> Panel {
        Panel::ALL[(self.index() + Panel::ALL.len() - 1) % Panel::ALL.len()]
    }
}

/// A field of the inject form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    To,
    From,
    Message,
}

/// The inject form: recipients (team ids, comma- or space-separated; empty:
/// every team), sender label and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectForm {
    pub field: Field,
    pub to: String,
    pub from: String,
    pub message: String,
    /// The candidates of the last Tab in `to` (shown under the form).
    pub candidates: Vec<String>,
    pub error: Option<String>,
    /// The MSEL entry loaded into the form (its index), if any: its method,
    /// expected action and effects go with the inject.
    pub msel: Option<usize>,
    pub template: Option<LiveInject>,
    /// The message's TLP label (Ctrl-T cycles; an MSEL entry brings its own).
    pub tlp: Tlp,
    /// How the message reaches the players in the story (Ctrl-D cycles; an
    /// MSEL entry brings its own).
    pub method: Method,
    /// Opened from the MSEL panel (`e`): sending or Esc goes back to it.
    pub back_to_msel: bool,
}

impl Default for InjectForm {
    fn default() -> Self {
        Self {
            field: Field::To,
            to: String::new(),
            from: "EXCON".into(),
            message: String::new(),
            candidates: Vec::new(),
            error: None,
            msel: None,
            template: None,
            tlp: cascade_engine::scenario::inject_tlp(),
            method: Method::default(),
            back_to_msel: false,
        }
    }
}

impl InjectForm {
    /// Fills the form with the MSEL entry `index` of `entries`, to be sent in
    /// its place.
    fn load(&mut self, index: usize, (id, inject): &(String, LiveInject)) {
        self.to = inject.to.join(",");
        self.from = inject.from.clone();
        self.message = inject.message.clone();
        self.msel = Some(index);
        self.template = Some(LiveInject { replaces: Some(id.clone()), ..inject.clone() });
        self.tlp = inject.tlp;
        self.method = inject.method;
        self.error = None;
        self.field = Field::Message;
    }

    /// Sends the loaded MSEL entry as a new inject, not in its place (it
    /// fired already, or the host is too old to know `replaces`).
    fn forget_replacement(&mut self) {
        if let Some(template) = &mut self.template {
            template.replaces = None;
        }
    }

    /// The MSEL entry the form would be sent in place of.
    pub fn replaces(&self) -> Option<&str> {
        self.template.as_ref().and_then(|t| t.replaces.as_deref())
    }

    /// The recipients as typed.
    pub fn recipients(&self) -> Vec<String> {
        self.to.split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_string).collect()
    }

    fn input(&mut self) -> &mut String {
        match self.field {
            Field::To => &mut self.to,
            Field::From => &mut self.from,
            Field::Message => &mut self.message,
        }
    }
}

/// Service over time: national, then each sector, in permille of population.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceHistory {
    pub ticks: VecDeque<u64>,
    pub national: VecDeque<u64>,
    /// Per sector id, in the view's order.
    pub sectors: Vec<(String, VecDeque<u64>)>,
}

fn permille(served: u64, population: u64) -> u64 {
    served.saturating_mul(1000).checked_div(population).unwrap_or(1000)
}

impl ServiceHistory {
    /// Records the view's service for its tick (replacing the value of a tick
    /// already recorded, e.g. a snapshot after a tick frame).
    pub fn record(&mut self, view: &DirectorView) {
        let tick = view.tick;
        if let Some(&last) = self.ticks.back()
            && tick < last
        {
            // A different (resumed?) timeline: start over.
            *self = ServiceHistory::default();
        }
        let replace = self.ticks.back() == Some(&tick);
        let push = |series: &mut VecDeque<u64>, value: u64| {
            if replace && !series.is_empty() {
                *series.back_mut().expect("not empty") = value;
            } else {
                series.push_back(value);
                if series.len() > HISTORY {
                    series.pop_front();
                }
            }
        };
        push(&mut self.ticks, tick);
        push(&mut self.national, permille(view.service.national, view.service.population));
        for s in &view.service.sectors {
            let i = match self.sectors.iter().position(|(id, _)| id == &s.id) {
                Some(i) => i,
                None => {
                    // A sector first seen now: pad it to the others' length.
                    let len = self.ticks.len().saturating_sub(1);
                    self.sectors.push((s.id.clone(), std::iter::repeat_n(1000, len).collect()));
                    self.sectors.len() - 1
                }
            };
            push(&mut self.sectors[i].1, permille(s.served, s.population));
        }
    }
}

#[derive(Debug, Clone)]
pub struct DirectorApp {
    pub url: String,
    pub scenario: String,
    pub view: Option<DirectorView>,
    /// Every message received, by log index.
    pub messages: BTreeMap<u64, MessageView>,
    pub history: ServiceHistory,
    pub clock: ClockState,
    pub connection: Connection,
    /// Director commands sent: seq → (what, status).
    pub commands: BTreeMap<u64, (String, CommandStatus)>,
    pub status: Option<(Tone, String)>,
    pub mode: Mode,
    pub focus: Panel,
    /// The selected row of each panel (in its filtered list).
    pub selected: BTreeMap<Panel, usize>,
    /// Case-insensitive substring filter over every list.
    pub filter: String,
    /// The assets matching the filter, asked for when the view is summarised
    /// (it holds only the affected assets of a large country).
    pub asset_page: Option<AssetPage>,
    /// Redraw frames since the page was last asked for.
    page_frames: u32,
    /// The observation being typed (`o`).
    pub note: String,
    /// The team id being typed (`v`).
    pub view_as_input: String,
    /// The exercise as a team sees it (`v`): the player's screen, drawn from
    /// the engine's team view at the tick shown; Esc or `v` comes back.
    pub viewing: Option<Box<crate::app::App>>,
    /// Live: the team whose view the host was asked to send (`watch`).
    pub watching: Option<String>,
    pub inject: InjectForm,
    /// Frame ticks since the last server frame (to show a silent server).
    pub quiet_frames: u32,
    /// Frame ticks per second of the loop (to turn `quiet_frames` into time).
    pub fps: u32,
    /// The scenario's MSEL, when the console has the scenario file: (inject id,
    /// the inject as the director would send it). The inject form loads them
    /// when the host's view has no MSEL (an older host).
    pub msel: Vec<(String, LiveInject)>,
    /// The MSEL panel's selected row (in the panel's order, see `msel_rows`).
    pub msel_selected: usize,
    /// The MSEL order waiting for a yes (`Mode::ConfirmMsel`).
    pub msel_confirm: Option<(String, MselOp)>,
    /// Set when the console shows a recording (`cascade replay`), not a host.
    pub replay: Option<ReplayState>,
    /// Open connections per team id, from the host's `presence` frames (None
    /// until one arrives: a recording has none).
    pub presence: Option<BTreeMap<String, u32>>,
    /// Keys configured on top of the defaults (see [`crate::keymap`]).
    pub keys: KeyMap,
    /// Live: what changed from view to view (actions, incident milestones,
    /// objectives), shown in the timeline with the messages.
    pub events: VecDeque<Event>,
    /// Live: how players join, as the host sent it after the welcome.
    pub join: Option<JoinKit>,
    /// The first row shown of the join overlay (it scrolls with j k).
    pub join_scroll: usize,
    /// The speed last asked for and not yet confirmed by a `clock` frame,
    /// and the tick it was asked at.
    pub requested_speed: Option<(f64, u64)>,
}

/// A row of the live timeline: a message, or an event seen between views.
#[derive(Debug, Clone, Copy)]
pub enum TimelineRow<'a> {
    Message(&'a MessageView),
    Event(&'a Event),
}

impl TimelineRow<'_> {
    pub fn tick(&self) -> u64 {
        match self {
            TimelineRow::Message(m) => m.tick,
            TimelineRow::Event(e) => e.tick,
        }
    }
}

impl DirectorApp {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            scenario: String::new(),
            view: None,
            messages: BTreeMap::new(),
            history: ServiceHistory::default(),
            clock: ClockState::default(),
            connection: Connection::Connecting { attempt: 1 },
            commands: BTreeMap::new(),
            status: None,
            mode: Mode::Normal,
            focus: Panel::Assets,
            selected: BTreeMap::new(),
            filter: String::new(),
            asset_page: None,
            page_frames: 0,
            note: String::new(),
            view_as_input: String::new(),
            viewing: None,
            watching: None,
            inject: InjectForm::default(),
            quiet_frames: 0,
            fps: 10,
            msel: Vec::new(),
            msel_selected: 0,
            msel_confirm: None,
            replay: None,
            presence: None,
            keys: KeyMap::default(),
            events: VecDeque::new(),
            join: None,
            join_scroll: 0,
            requested_speed: None,
        }
    }

    /// One frame tick of the loop (fixed rate).
    pub fn on_frame_tick(&mut self) {
        self.quiet_frames = self.quiet_frames.saturating_add(1);
        self.page_frames = self.page_frames.saturating_add(1);
    }

    /// The filter to ask the host for again, about once a second, while a page
    /// of assets is shown and the exercise has moved on since it was taken.
    pub fn asset_page_refresh(&mut self) -> Option<String> {
        let stale = self.matching_page()?.tick != self.view.as_ref()?.tick;
        if !stale || self.page_frames < self.fps.max(1) {
            return None;
        }
        self.page_frames = 0;
        Some(self.filter.clone())
    }

    /// Seconds the server has been silent while it should be ticking, if that
    /// is clearly longer than a tick takes (`None`: all is well).
    pub fn silent_for(&self) -> Option<f64> {
        if !self.clock.running || self.clock.ended || !self.connection.is_connected() {
            return None;
        }
        let quiet = f64::from(self.quiet_frames) / f64::from(self.fps.max(1));
        let expected = 1.0 / self.clock.ticks_per_second.max(0.01);
        (quiet > (3.0 * expected).max(2.0)).then_some(quiet)
    }

    pub fn on_client(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Connection(c) => {
                if let Connection::Closed { reason } = &c {
                    self.status = Some((Tone::Bad, format!("disconnected: {reason}")));
                }
                // Who is connected is unknown until the host says again.
                if !c.is_connected() {
                    self.presence = None;
                }
                self.connection = c;
            }
            ClientEvent::Frame(ServerMessage::Watched { team, view }) => {
                self.quiet_frames = 0;
                // Only while still watching that team (a frame may cross the Esc).
                if self.watching.as_deref() == Some(team.as_str()) {
                    let role = self.view.as_ref().and_then(|v| v.teams.iter().find(|t| t.id == team)).map(|t| t.role);
                    let role = role.map(|r| format!("{r:?}").to_lowercase()).unwrap_or_default();
                    let note =
                        format!("◉ LIVE: {team}'s view at {}, as its players see it; Esc or v returns", view.clock);
                    let screen = player_screen(*view, role, &self.scenario, self.viewing.as_deref(), note, self.clock);
                    self.viewing = Some(Box::new(screen));
                }
            }
            ClientEvent::Frame(frame) => {
                self.quiet_frames = 0;
                self.on_frame(frame);
            }
        }
    }

    /// A whole view (a snapshot, or the held view with a tick's delta
    /// applied): its events, its history, its messages.
    fn take_view(&mut self, mut view: DirectorView) {
        // Back in time (a host resumed from its journal): what came
        // after this view's tick did not happen (yet); the rest stays.
        let previous = self.view.as_ref().filter(|p| p.tick <= view.tick);
        if previous.is_none() {
            self.events.retain(|e| e.tick <= view.tick);
        }
        for event in crate::live_events::diff(previous, &view) {
            // Without a previous view the diff repeats what is known.
            if previous.is_none() && self.events.contains(&event) {
                continue;
            }
            if self.events.len() >= crate::live_events::MAX_EVENTS {
                self.events.pop_front();
            }
            self.events.push_back(event);
        }
        self.history.record(&view);
        for m in view.messages.drain(..) {
            self.messages.insert(m.index, m);
        }
        self.clock.tick = view.tick;
        self.view = Some(view);
    }

    fn on_frame(&mut self, frame: ServerMessage) {
        let answer = match &frame {
            ServerMessage::Ack { seq, tick } => Some((*seq, CommandStatus::Acked { tick: *tick })),
            ServerMessage::Reject { seq, code, message } => {
                Some((*seq, CommandStatus::Rejected { code: code.clone(), message: message.clone() }))
            }
            ServerMessage::Outcome { seq, tick, ok: true, .. } => Some((*seq, CommandStatus::Applied { tick: *tick })),
            ServerMessage::Outcome { seq, tick, ok: false, code, message } => {
                Some((*seq, CommandStatus::Failed { tick: *tick, code: code.clone(), message: message.clone() }))
            }
            _ => None,
        };
        if let Some((seq, status)) = answer {
            if let Some((what, current)) = self.commands.get_mut(&seq) {
                if !(matches!(status, CommandStatus::Acked { .. }) && current.is_final()) {
                    *current = status.clone();
                }
                self.status = Some(match &status {
                    CommandStatus::Sent => (Tone::Info, format!("{what}: sent")),
                    CommandStatus::Acked { tick } => (Tone::Info, format!("{what}: accepted for tick {tick}")),
                    CommandStatus::Rejected { code, message } => {
                        (Tone::Bad, format!("{what}: refused ({code}) {message}"))
                    }
                    CommandStatus::Applied { tick } => (Tone::Good, format!("{what}: applied at tick {tick}")),
                    CommandStatus::Failed { tick, code, message } => {
                        (Tone::Bad, format!("{what}: failed at tick {tick} ({code}) {message}"))
                    }
                });
            }
            return;
        }
        match frame {
            ServerMessage::Welcome { role, tick, scenario, running, ticks_per_second, .. } => {
                if role != "director" {
                    self.status =
                        Some((Tone::Bad, format!("this token is a team's ({role}): use cascade play for a team")));
                }
                self.scenario = scenario;
                self.clock.tick = tick;
                self.clock.running = running;
                self.clock.ticks_per_second = ticks_per_second;
            }
            ServerMessage::DirectorSnapshot(view) => self.take_view(*view),
            ServerMessage::DirectorTick(delta) => {
                // A delta applies to the view held (the host sends a snapshot
                // first; a connection it is unsure of gets everything).
                if let Some(mut view) = self.view.clone() {
                    delta.apply(&mut view);
                    self.take_view(view);
                }
            }
            ServerMessage::Clock { tick, running, ticks_per_second, ended, behind_ms } => {
                if self.requested_speed.is_some_and(|(speed, _)| speed == ticks_per_second) {
                    self.requested_speed = None;
                }
                self.clock = ClockState { tick, running, ticks_per_second, ended, behind_ms };
            }
            ServerMessage::Error { code, message } => {
                self.status = Some((Tone::Bad, format!("server: {code}: {message}")));
            }
            ServerMessage::JoinKit(kit) => self.join = Some(*kit),
            ServerMessage::Assets(page) => self.on_assets(*page),
            ServerMessage::Presence { teams } => {
                self.presence = Some(teams.into_iter().map(|t| (t.team, t.connections)).collect());
            }
            _ => {}
        }
    }

    /// Records a command the loop has just queued with `seq`.
    pub fn sent(&mut self, seq: u64, action: &DirectorAction) {
        let what = describe(action);
        self.status = Some((Tone::Info, format!("{what}: sent")));
        self.commands.insert(seq, (what, CommandStatus::Sent));
    }

    /// Whether `text` passes the filter.
    pub fn matches(&self, text: &str) -> bool {
        self.filter.is_empty() || text.to_lowercase().contains(&self.filter.to_lowercase())
    }

    /// Whether the view holds only some of the assets (the affected ones of a
    /// country larger than `DIRECTOR_ASSETS`).
    pub fn summarised(&self) -> bool {
        self.view.as_ref().is_some_and(|v| (v.assets.len() as u64) < v.assets_total)
    }

    /// A page of assets the host sent; kept while the filter is the one asked.
    pub fn on_assets(&mut self, page: AssetPage) {
        if page.filter == self.filter {
            let refreshed = self.asset_page.as_ref().is_some_and(|p| p.filter == page.filter);
            if refreshed {
                self.asset_page = Some(page);
                return;
            }
            self.status = Some((
                Tone::Info,
                match page.total > page.assets.len() as u64 {
                    true => format!(
                        "{} assets match {:?}: the first {} shown; narrow the filter for the others",
                        page.total,
                        page.filter,
                        page.assets.len()
                    ),
                    false => format!("{} assets match {:?}", page.total, page.filter),
                },
            ));
            self.asset_page = Some(page);
        }
    }

    /// The page asked for the current filter, if it came.
    fn matching_page(&self) -> Option<&AssetPage> {
        self.asset_page.as_ref().filter(|p| !self.filter.is_empty() && p.filter == self.filter)
    }

    /// The assets shown, by sector then id, filtered: from the view, or,
    /// when it is summarised and a filter asked the host, from its answer.
    pub fn assets(&self) -> Vec<&AssetView> {
        let Some(v) = &self.view else { return Vec::new() };
        let source = match self.matching_page() {
            Some(page) => &page.assets,
            None => &v.assets,
        };
        let mut assets: Vec<&AssetView> = source
            .iter()
            .filter(|a| {
                self.matches(&format!(
                    "{} {} {} {} {}",
                    a.sector,
                    a.id,
                    a.name,
                    a.organisation,
                    a.compromised.join(" ")
                ))
            })
            .collect();
        assets.sort_by(|a, b| (&a.sector, &a.id).cmp(&(&b.sector, &b.id)));
        assets
    }

    /// The incidents shown: started ones first (open before recovered).
    pub fn incidents(&self) -> Vec<&IncidentView> {
        let Some(v) = &self.view else { return Vec::new() };
        let mut incidents: Vec<&IncidentView> =
            v.incidents.iter().filter(|i| self.matches(&format!("{} {:?}", i.id, i.kind))).collect();
        incidents.sort_by_key(|i| (i.started_at.is_none(), i.recovered_at.is_some(), i.started_at));
        incidents
    }

    pub fn teams(&self) -> Vec<&TeamSummary> {
        let Some(v) = &self.view else { return Vec::new() };
        v.teams
            .iter()
            .filter(|t| {
                let online = match self.connections(&t.id) {
                    Some(0) => "offline",
                    Some(_) => "online",
                    None => "",
                };
                self.matches(&format!("{} {} {online}", t.id, t.organisation))
            })
            .collect()
    }

    /// Open connections of team `id`, if the host says.
    pub fn connections(&self, id: &str) -> Option<u32> {
        self.presence.as_ref().map(|p| p.get(id).copied().unwrap_or(0))
    }

    /// The live timeline, newest first: messages, and the events seen between
    /// views (at the same tick, events first).
    pub fn timeline(&self) -> Vec<TimelineRow<'_>> {
        let messages = self
            .messages
            .values()
            .filter(|m| self.matches(&format!("{} {} {} {}", m.from, m.to.join(" "), m.text, m.tlp.label())))
            .map(TimelineRow::Message);
        let events = self
            .events
            .iter()
            .filter(|e| self.matches(&format!("{} {} {}", e.kind, e.who, e.text)))
            .map(TimelineRow::Event);
        let mut rows: Vec<TimelineRow> = events.chain(messages).collect();
        // Stable: within a tick, events (in order) before messages (by index).
        rows.sort_by_key(|r| r.tick());
        rows.reverse();
        rows
    }

    pub fn objectives(&self) -> Vec<&ObjectiveView> {
        let Some(v) = &self.view else { return Vec::new() };
        v.objectives.iter().filter(|o| self.matches(&format!("{} {}", o.id, o.description))).collect()
    }

    pub(crate) fn count(&self, panel: Panel) -> usize {
        match panel {
            Panel::Assets => self.assets().len(),
            Panel::Incidents => self.incidents().len(),
            Panel::Teams => self.teams().len(),
            Panel::Timeline if self.replay.is_some() => self.replay_events().len(),
            Panel::Timeline => self.timeline().len(),
            Panel::Objectives => self.objectives().len(),
        }
    }

    /// The selected row of `panel`, kept inside its list.
    pub fn selection(&self, panel: Panel) -> usize {
        let n = self.count(panel);
        self.selected.get(&panel).copied().unwrap_or(0).min(n.saturating_sub(1))
    }

    fn move_selection(&mut self, delta: isize) {
        let n = self.count(self.focus);
        let current = self.selection(self.focus) as isize;
        let next = (current + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
        self.selected.insert(self.focus, next);
    }

    /// Team ids, for the inject form's completion.
    pub fn team_ids(&self) -> Vec<String> {
        self.view.as_ref().map(|v| v.teams.iter().map(|t| t.id.clone()).collect()).unwrap_or_default()
    }

    /// One key press. Pure: the returned effect tells the loop what to do.
    pub fn handle_key(&mut self, key: KeyEvent) -> Effect {
        if key.kind == KeyEventKind::Release {
            return Effect::None;
        }
        // Configured keys stand for their action, except while text is typed.
        // The MSEL panel's own letters (f h r x e y, m) are not remapped either.
        let typing = matches!(
            self.mode,
            Mode::Filter | Mode::Inject | Mode::Goto | Mode::Note | Mode::ViewAsPrompt | Mode::Msel | Mode::ConfirmMsel
        );
        let key = if typing { key } else { self.keys.translate(key) };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Effect::Quit;
        }
        if let Some(player) = self.viewing.as_mut() {
            if let Some(effect) = view_as_key(player, key) {
                return effect;
            }
            self.viewing = None;
            // Live: the host stops sending the team's view.
            if self.watching.take().is_some() {
                return Effect::Send(DirectorAction::Watch { team: None });
            }
            return Effect::None;
        }
        match self.mode {
            Mode::Help | Mode::Details => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') | KeyCode::Char('q')) {
                    self.mode = Mode::Normal;
                }
                Effect::None
            }
            Mode::ConfirmEnd => {
                self.mode = Mode::Normal;
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    return Effect::Send(DirectorAction::End);
                }
                self.status = Some((Tone::Info, "the exercise goes on".into()));
                Effect::None
            }
            Mode::ConfirmBranch => {
                self.mode = Mode::Normal;
                // Only y: Enter also goes to a timeline event, and a branch
                // writes a journal and leaves the replay.
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    return Effect::Branch(self.clock.tick);
                }
                self.status = None;
                Effect::None
            }
            Mode::Goto => self.goto_key(key),
            Mode::ConfirmQuit => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Char('q') | KeyCode::Enter => Effect::Quit,
                _ => {
                    self.mode = Mode::Normal;
                    self.status = None;
                    Effect::None
                }
            },
            Mode::Filter => {
                match key.code {
                    KeyCode::Esc => {
                        self.filter.clear();
                        self.asset_page = None;
                        self.mode = Mode::Normal;
                    }
                    KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        // The view holds only the affected assets: the others
                        // that match come from the host.
                        if self.summarised() && !self.filter.is_empty() {
                            self.page_frames = 0;
                            return Effect::AskAssets(self.filter.clone());
                        }
                    }
                    _ => {
                        edit_text(&mut self.filter, key, cascade_engine::view::MAX_ASSET_FILTER_CHARS);
                    }
                }
                Effect::None
            }
            Mode::Inject => self.inject_key(key, ctrl),
            Mode::Note => self.note_key(key),
            Mode::ViewAsPrompt => self.view_as_prompt_key(key),
            Mode::Join => {
                match key.code {
                    KeyCode::Down | KeyCode::Char('j') => self.join_scroll = self.join_scroll.saturating_add(1),
                    KeyCode::Up | KeyCode::Char('k') => self.join_scroll = self.join_scroll.saturating_sub(1),
                    KeyCode::PageDown => self.join_scroll = self.join_scroll.saturating_add(10),
                    KeyCode::PageUp => self.join_scroll = self.join_scroll.saturating_sub(10),
                    KeyCode::Home | KeyCode::Char('g') => self.join_scroll = 0,
                    KeyCode::Esc | KeyCode::Enter | KeyCode::Char('J') | KeyCode::Char('q') => self.mode = Mode::Normal,
                    _ => {}
                }
                Effect::None
            }
            Mode::Msel => self.msel_key(key),
            Mode::ConfirmMsel => {
                self.mode = Mode::Msel;
                let order = self.msel_confirm.take();
                if let (KeyCode::Char('y') | KeyCode::Char('Y'), Some((inject, op))) = (key.code, order) {
                    return Effect::Send(DirectorAction::Msel { inject, op });
                }
                self.status = Some((Tone::Info, "nothing fired".into()));
                Effect::None
            }
            Mode::Normal => match self.replay_key(key) {
                Some(effect) => effect,
                None => self.normal_key(key),
            },
        }
    }

    fn normal_key(&mut self, key: KeyEvent) -> Effect {
        match key.code {
            KeyCode::Char('q') => {
                // Paused is no safer than running when people are playing:
                // quitting `cascade exercise` stops the host under them.
                let people = self.connected_teams() > 0;
                if (self.clock.running || people) && !self.clock.ended && self.connection.is_connected() {
                    self.mode = Mode::ConfirmQuit;
                } else {
                    return Effect::Quit;
                }
            }
            KeyCode::Char(' ') | KeyCode::Char('p') => {
                return Effect::Send(if self.clock.running {
                    DirectorAction::Pause
                } else if self.clock.tick == 0 {
                    DirectorAction::Start
                } else {
                    DirectorAction::Resume
                });
            }
            KeyCode::Char('+') | KeyCode::Char('=') => return self.speed(true),
            KeyCode::Char('-') | KeyCode::Char('_') => return self.speed(false),
            KeyCode::Char('s') | KeyCode::Right => {
                if self.clock.running {
                    self.status = Some((Tone::Bad, "pause (space) before stepping".into()));
                } else {
                    return Effect::Send(DirectorAction::Step);
                }
            }
            KeyCode::Char('i') => {
                self.inject = InjectForm::default();
                self.mode = Mode::Inject;
            }
            KeyCode::Char('m') => {
                self.mode = Mode::Msel;
                self.status = None;
                // On the next inject to come, the one a director looks for.
                let rows = self.msel_rows();
                self.msel_selected = rows.iter().position(|e| e.status != MselStatus::Fired).unwrap_or(0);
            }
            KeyCode::Char('E') => {
                if self.clock.ended {
                    self.status = Some((Tone::Info, "the exercise has ended".into()));
                } else {
                    self.mode = Mode::ConfirmEnd;
                }
            }
            KeyCode::Char('/') => self.mode = Mode::Filter,
            KeyCode::Char('o') => {
                self.mode = Mode::Note;
                self.status = None;
            }
            KeyCode::Char('v') => {
                self.mode = Mode::ViewAsPrompt;
                self.view_as_input.clear();
                self.status = None;
            }
            KeyCode::Char('?') | KeyCode::F(1) => self.mode = Mode::Help,
            KeyCode::Char('J') => {
                if self.join.is_some() {
                    self.mode = Mode::Join;
                    self.join_scroll = 0;
                } else if self.replay.is_some() {
                    self.status = Some((Tone::Info, "a recording has no join links: branch it (b) to host it".into()));
                } else {
                    self.status = Some((Tone::Info, "the host has not said how players join (yet)".into()));
                }
            }
            KeyCode::Tab | KeyCode::Char('l') => self.focus = self.focus.next(),
            KeyCode::BackTab | KeyCode::Char('h') | KeyCode::Left => self.focus = self.focus.prev(),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::PageDown => self.move_selection(10),
            KeyCode::PageUp => self.move_selection(-10),
            KeyCode::Home | KeyCode::Char('g') => {
                self.selected.insert(self.focus, 0);
            }
            KeyCode::End | KeyCode::Char('G') => {
                let n = self.count(self.focus);
                self.selected.insert(self.focus, n.saturating_sub(1));
            }
            KeyCode::Enter if self.count(self.focus) > 0 => self.mode = Mode::Details,
            KeyCode::Esc => {
                self.status = None;
                self.filter.clear();
                self.asset_page = None;
            }
            _ => {}
        }
        Effect::None
    }

    fn note_key(&mut self, key: KeyEvent) -> Effect {
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                self.status = None;
            }
            KeyCode::Enter => match parse_note(&self.note) {
                Ok(note) => {
                    self.mode = Mode::Normal;
                    self.note.clear();
                    if self.replay.is_some() {
                        return Effect::Note(self.clock.tick, note);
                    }
                    return Effect::Send(DirectorAction::Note(note));
                }
                // The line stays, to be corrected.
                Err(e) => self.status = Some((Tone::Bad, e)),
            },
            _ => {
                edit_text(&mut self.note, key, wire::MAX_NOTE_CHARS);
            }
        }
        Effect::None
    }

    fn view_as_prompt_key(&mut self, key: KeyEvent) -> Effect {
        match key.code {
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Tab => {
                let teams = self.team_ids();
                let partial = self.view_as_input.trim().to_string();
                let matching: Vec<&String> = teams.iter().filter(|t| t.starts_with(&partial)).collect();
                match matching.as_slice() {
                    [one] => self.view_as_input = (*one).clone(),
                    [] => self.status = Some((Tone::Bad, format!("no team starts with {partial:?}"))),
                    many => {
                        let shown: Vec<&str> = many.iter().take(8).map(|t| t.as_str()).collect();
                        self.status = Some((Tone::Info, shown.join("  ")));
                    }
                }
            }
            KeyCode::Enter => {
                let team = self.view_as_input.trim().to_string();
                if self.team_ids().contains(&team) {
                    self.mode = Mode::Normal;
                    return Effect::ViewAs(team);
                }
                self.status = Some((Tone::Bad, format!("no team {team:?} (Tab completes)")));
            }
            _ => {
                edit_text(&mut self.view_as_input, key, 64);
            }
        }
        Effect::None
    }

    /// Teams with at least one connection, per the host's last `presence`.
    pub fn connected_teams(&self) -> usize {
        self.presence.as_ref().map_or(0, |p| p.values().filter(|n| **n > 0).count())
    }

    fn speed(&mut self, faster: bool) -> Effect {
        // Several presses within one tick step from the speed last asked for,
        // not from the clock's, which the host has not confirmed yet.
        // (A request the host never confirmed — refused, or overtaken by
        // another director — stops counting a tick later.)
        let now = match self.requested_speed {
            Some((speed, at)) if self.clock.tick <= at + 1 => speed,
            _ => self.clock.ticks_per_second,
        };
        let next = if faster {
            SPEEDS.iter().copied().find(|&s| s > now + 1e-9)
        } else {
            SPEEDS.iter().rev().copied().find(|&s| s < now - 1e-9)
        };
        match next {
            Some(ticks_per_second) => {
                self.requested_speed = Some((ticks_per_second, self.clock.tick));
                Effect::Send(DirectorAction::Speed { ticks_per_second })
            }
            None => {
                self.status = Some((Tone::Info, format!("speed is already ×{}", speed_label(now))));
                Effect::None
            }
        }
    }

    fn inject_key(&mut self, key: KeyEvent, ctrl: bool) -> Effect {
        let form = &mut self.inject;
        if key.code != KeyCode::Tab {
            form.candidates.clear();
        }
        match key.code {
            KeyCode::Esc => self.mode = if form.back_to_msel { Mode::Msel } else { Mode::Normal },
            KeyCode::Char('n') if ctrl => self.load_msel(true),
            KeyCode::Char('p') if ctrl => self.load_msel(false),
            KeyCode::Char('t') if ctrl => {
                // From the most restrictive to public, and round again.
                let order = [Tlp::Red, Tlp::AmberStrict, Tlp::Amber, Tlp::Green, Tlp::Clear];
                let at = order.iter().position(|t| *t == form.tlp).unwrap_or(0);
                form.tlp = order[(at + 1) % order.len()];
            }
            KeyCode::Char('d') if ctrl => {
                let at = Method::ALL.iter().position(|m| *m == form.method).unwrap_or(0);
                form.method = Method::ALL[(at + 1) % Method::ALL.len()];
            }
            KeyCode::PageDown => self.load_msel(true),
            KeyCode::PageUp => self.load_msel(false),
            KeyCode::Tab => {
                if form.field == Field::To && !form.to.is_empty() && !form.to.ends_with([',', ' ']) {
                    self.complete_recipient();
                } else {
                    form.field = next_field(form.field);
                }
            }
            KeyCode::BackTab | KeyCode::Up => form.field = prev_field(form.field),
            KeyCode::Down => form.field = next_field(form.field),
            KeyCode::Enter => {
                if form.field != Field::Message {
                    form.field = next_field(form.field);
                    return Effect::None;
                }
                return self.submit_inject();
            }
            _ => {
                edit_text(form.input(), key, 4_000);
            }
        }
        Effect::None
    }

    /// The MSEL as the inject form offers it, in scenario order: from the
    /// host's view, else from the scenario file given to the console.
    pub fn msel_entries(&self) -> Vec<(String, LiveInject)> {
        match self.view.as_ref().filter(|v| !v.msel.is_empty()) {
            Some(view) => view.msel.iter().map(|e| (e.id.clone(), live_of(e))).collect(),
            None => self.msel.clone(),
        }
    }

    /// The MSEL panel's rows: scheduled injects by time, then the conditional
    /// ones, each group in scenario order (empty without the host's view).
    pub fn msel_rows(&self) -> Vec<&MselEntry> {
        let Some(view) = &self.view else { return Vec::new() };
        let mut rows: Vec<&MselEntry> = view.msel.iter().collect();
        // A stable sort: the order does not change as injects fire, so the
        // selection stays on its row.
        rows.sort_by_key(|e| e.at.unwrap_or(u64::MAX));
        rows
    }

    /// Loads the next (or previous) MSEL entry into the form.
    fn load_msel(&mut self, forward: bool) {
        let entries = self.msel_entries();
        let n = entries.len();
        if n == 0 {
            self.inject.error = Some("no MSEL: the scenario has no injects".into());
            return;
        }
        let next = match (self.inject.msel, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        };
        self.inject.load(next, &entries[next]);
        // From the scenario file (the host sent no MSEL: an older host, which
        // would refuse `replaces`): sent as a new inject.
        // One that fired already goes out as a new inject too (in its place
        // it would be refused: it would deliver it twice).
        let fired = |v: &DirectorView| v.msel.get(next).is_some_and(|e| e.status == MselStatus::Fired);
        if self.view.as_ref().is_none_or(|v| v.msel.is_empty() || fired(v)) {
            self.inject.forget_replacement();
        }
    }

    /// One key of the MSEL panel.
    fn msel_key(&mut self, key: KeyEvent) -> Effect {
        let n = self.msel_rows().len();
        let step = |at: usize, by: isize| (at as isize + by).clamp(0, n.saturating_sub(1) as isize) as usize;
        match key.code {
            KeyCode::Esc | KeyCode::Char('m') | KeyCode::Char('q') => self.mode = Mode::Normal,
            KeyCode::Down | KeyCode::Char('j') => self.msel_selected = step(self.msel_selected, 1),
            KeyCode::Up | KeyCode::Char('k') => self.msel_selected = step(self.msel_selected, -1),
            KeyCode::PageDown => self.msel_selected = step(self.msel_selected, 10),
            KeyCode::PageUp => self.msel_selected = step(self.msel_selected, -10),
            KeyCode::Home | KeyCode::Char('g') => self.msel_selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.msel_selected = n.saturating_sub(1),
            KeyCode::Char(c @ ('f' | 'h' | 'r' | 'x' | 'e')) if n > 0 => return self.msel_order(c),
            KeyCode::Enter if n > 0 => return self.msel_order('e'),
            _ => {}
        }
        Effect::None
    }

    /// `f` fire now (asks first), `h` hold, `r` release, `x` skip, `e` edit
    /// in the inject form (sent in its place).
    fn msel_order(&mut self, key: char) -> Effect {
        let rows = self.msel_rows();
        let Some(entry) = rows.get(self.msel_selected.min(rows.len().saturating_sub(1))) else {
            return Effect::None;
        };
        let id = entry.id.clone();
        // An order sent and not applied yet counts: a hold given while paused
        // can be released before the tick.
        let status = match self.pending_msel(&id) {
            Some(MselOp::Fire) => MselStatus::Fired,
            Some(MselOp::Hold) => MselStatus::Held,
            Some(MselOp::Skip) => MselStatus::Skipped,
            Some(MselOp::Release) => MselStatus::Waiting,
            None => entry.status,
        };
        if self.replay.is_some() {
            self.status = Some((
                Tone::Info,
                "a recording cannot be changed: close the MSEL (Esc) and branch it (b) to steer it".into(),
            ));
            return Effect::None;
        }
        if self.clock.ended {
            self.status = Some((Tone::Info, "the exercise has ended".into()));
            return Effect::None;
        }
        if key == 'e' {
            let entries = self.msel_entries();
            if let Some(index) = entries.iter().position(|(e, _)| *e == id) {
                self.inject = InjectForm::default();
                self.inject.load(index, &entries[index]);
                // Fired already: a copy, sent as a new inject (a replacement
                // would deliver it twice).
                if status == MselStatus::Fired {
                    self.inject.forget_replacement();
                }
                self.inject.back_to_msel = true;
                self.mode = Mode::Inject;
            }
            return Effect::None;
        }
        if status == MselStatus::Fired {
            self.status = Some((Tone::Info, format!("{id} has fired already")));
            return Effect::None;
        }
        let op = match (key, status) {
            ('f', _) => {
                self.msel_confirm = Some((id.clone(), MselOp::Fire));
                self.mode = Mode::ConfirmMsel;
                self.status = Some((Tone::Info, format!("fire {id} now? y / n")));
                return Effect::None;
            }
            ('h', MselStatus::Held) => return self.msel_refuse(format!("{id} is held already (r releases it)")),
            ('h', _) => MselOp::Hold,
            ('x', MselStatus::Skipped) => return self.msel_refuse(format!("{id} is skipped already (r releases it)")),
            ('x', _) => MselOp::Skip,
            ('r', MselStatus::Held | MselStatus::Skipped) => MselOp::Release,
            ('r', _) => return self.msel_refuse(format!("{id} is neither held nor skipped")),
            _ => return Effect::None,
        };
        self.status = None;
        Effect::Send(DirectorAction::Msel { inject: id, op })
    }

    /// The MSEL order on `id` last sent and not yet applied (nor refused).
    pub fn pending_msel(&self, id: &str) -> Option<MselOp> {
        let ops = [MselOp::Fire, MselOp::Hold, MselOp::Release, MselOp::Skip];
        self.commands.values().rev().find_map(|(words, status)| {
            if !matches!(status, CommandStatus::Sent | CommandStatus::Acked { .. }) {
                return None;
            }
            let (op, inject) = words.split_once(' ')?;
            ops.into_iter().find(|o| o.name() == op && inject == id)
        })
    }

    fn msel_refuse(&mut self, why: String) -> Effect {
        self.status = Some((Tone::Info, why));
        Effect::None
    }

    fn complete_recipient(&mut self) {
        let teams = self.team_ids();
        let form = &mut self.inject;
        let start = form.to.rfind([',', ' ']).map_or(0, |i| i + 1);
        let partial = form.to[start..].to_string();
        let candidates: Vec<String> = teams.into_iter().filter(|t| t.starts_with(&partial)).collect();
        match candidates.len() {
            0 => form.error = Some(format!("no team starts with {partial:?}")),
            1 => {
                form.to.truncate(start);
                form.to.push_str(&candidates[0]);
                form.to.push(',');
                form.error = None;
            }
            _ => {
                let prefix = crate::command::common_prefix(&candidates);
                form.to.truncate(start);
                form.to.push_str(&prefix);
                form.candidates = candidates;
                form.error = None;
            }
        }
    }

    fn submit_inject(&mut self) -> Effect {
        let teams = self.team_ids();
        let form = &mut self.inject;
        if form.message.trim().is_empty() {
            form.error = Some("write the inject's message".into());
            return Effect::None;
        }
        let to = form.recipients();
        if let Some(unknown) = to.iter().find(|t| !teams.is_empty() && !teams.contains(t)) {
            form.error = Some(format!("unknown team {unknown:?} (Tab completes)"));
            form.field = Field::To;
            return Effect::None;
        }
        let template = form.template.clone();
        let inject = LiveInject {
            from: form.from.trim().to_string(),
            to,
            method: form.method,
            message: form.message.trim().to_string(),
            expected_action: template.as_ref().map(|t| t.expected_action.clone()).unwrap_or_default(),
            effects: template.as_ref().map(|t| t.effects.clone()).unwrap_or_default(),
            tlp: form.tlp,
            // Sent in place of the MSEL entry it was loaded from: that entry's
            // scheduled firing is consumed.
            replaces: template.and_then(|t| t.replaces),
        };
        self.mode = if form.back_to_msel { Mode::Msel } else { Mode::Normal };
        Effect::Send(DirectorAction::Inject(inject))
    }
}

/// One key of a one-line text input: Backspace deletes, Ctrl-U clears, a
/// character is added while the text is under `max_chars`. Returns whether
/// the key was for the text.
pub(crate) fn edit_text(text: &mut String, key: KeyEvent, max_chars: usize) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Char(c) if !ctrl => {
            if text.chars().count() < max_chars {
                text.push(c);
            }
        }
        _ => return false,
    }
    true
}

fn next_field(f: Field) -> Field {
    match f {
        Field::To => Field::From,
        Field::From => Field::Message,
        Field::Message => Field::To,
    }
}

fn prev_field(f: Field) -> Field {
    match f {
        Field::To => Field::Message,
        Field::From => Field::To,
        Field::Message => Field::From,
    }
}

/// An MSEL entry of the view as the inject form sends it.
fn live_of(e: &MselEntry) -> LiveInject {
    LiveInject {
        from: e.from.clone(),
        to: e.to.clone(),
        method: e.method,
        message: e.message.clone(),
        expected_action: e.expected_action.clone(),
        effects: e.effects.clone(),
        tlp: e.tlp,
        replaces: None,
    }
}

/// A scenario's MSEL as the inject form offers it: (inject id, the inject as
/// a live one). Condition and time are dropped: a live inject is delivered at
/// the tick it is stamped for.
pub fn msel_of(scenario: &cascade_engine::scenario::Scenario) -> Vec<(String, LiveInject)> {
    scenario
        .injects
        .iter()
        .map(|i| {
            let live = LiveInject {
                from: i.from.clone(),
                to: i.to.clone(),
                method: i.method,
                message: i.message.clone(),
                expected_action: i.expected_action.clone(),
                effects: i.effects.clone(),
                tlp: i.tlp,
                replaces: None,
            };
            (i.id.clone(), live)
        })
        .collect()
}

/// A speed without trailing zeros: `0.25`, `2`, `1000`.
pub fn speed_label(tps: f64) -> String {
    let s = format!("{tps:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A director command in a few words.
pub fn describe(action: &DirectorAction) -> String {
    match action {
        DirectorAction::Start => "start".into(),
        DirectorAction::Pause => "pause".into(),
        DirectorAction::Resume => "resume".into(),
        DirectorAction::Speed { ticks_per_second } => format!("speed ×{}", speed_label(*ticks_per_second)),
        DirectorAction::Step => "step".into(),
        DirectorAction::Inject(i) => {
            let to = if i.to.is_empty() { "all teams".to_string() } else { i.to.join(",") };
            format!("inject to {to}")
        }
        DirectorAction::End => "end".into(),
        DirectorAction::Note(note) => format!("note: {}", note.text),
        DirectorAction::Watch { team: Some(team) } => format!("watch {team}"),
        DirectorAction::Watch { team: None } => "watch none".into(),
        DirectorAction::Msel { inject, op } => format!("{} {inject}", op.name()),
    }
}

/// The player's screen for a team's view (what its clients are sent), with
/// `note` in its status line; `previous` keeps the page shown.
pub fn player_screen(
    view: cascade_engine::view::TeamView,
    role: String,
    scenario: &str,
    previous: Option<&crate::app::App>,
    note: String,
    clock: ClockState,
) -> crate::app::App {
    let mut screen = crate::app::App::new("view as a team");
    // The header shows the exercise's clock, and "online": the view is current.
    screen.on_client(ClientEvent::Connection(Connection::Connected));
    screen.on_client(ClientEvent::Frame(ServerMessage::Welcome {
        team: view.team.clone(),
        role,
        tick: view.tick,
        protocol: cascade_engine::wire::PROTOCOL,
        scenario: scenario.to_string(),
        running: false,
        ticks_per_second: 0.0,
    }));
    let tick = view.tick;
    screen.on_client(ClientEvent::Frame(ServerMessage::Snapshot(Box::new(view))));
    screen.on_client(ClientEvent::Frame(ServerMessage::Clock {
        tick,
        running: clock.running,
        ticks_per_second: clock.ticks_per_second,
        ended: clock.ended,
        behind_ms: 0,
    }));
    if let Some(previous) = previous {
        screen.page = previous.page;
    }
    screen.status = Some((crate::app::Tone::Info, note));
    screen.looking_only = true;
    screen
}

/// A key while the console shows a team's view: Esc or `v` returns (None);
/// the player's page and scroll keys work; nothing is ever sent.
fn view_as_key(player: &mut crate::app::App, key: KeyEvent) -> Option<Effect> {
    if player.mode == crate::app::Mode::Normal
        && matches!(key.code, KeyCode::Esc | KeyCode::Char('v') | KeyCode::Char('q'))
    {
        return None;
    }
    match player.handle_key(key) {
        crate::app::Effect::Quit => return None,
        crate::app::Effect::Send(_) | crate::app::Effect::ExportIndicators => {
            player.status = Some((crate::app::Tone::Info, "a view as a team only looks: nothing is sent".into()));
        }
        crate::app::Effect::None => {}
    }
    Some(Effect::None)
}

/// Reads the note line: `[@TEAM] [#OBJECTIVE] [!P|S|M|U] [~CAPABILITY] TEXT`
/// (tags in any order before the text; a capability of several words is
/// written with `_` for spaces). The host checks the ids.
pub fn parse_note(line: &str) -> Result<Observation, String> {
    let mut note = Observation { text: String::new(), team: None, objective: None, capability: None, rating: None };
    let mut words = line.split_whitespace().peekable();
    while let Some(word) = words.peek() {
        let (slot, value) = match word.chars().next() {
            Some('@') => (&mut note.team, &word[1..]),
            Some('#') => (&mut note.objective, &word[1..]),
            Some('~') => (&mut note.capability, &word[1..]),
            Some('!') => (&mut note.rating, &word[1..]),
            _ => break,
        };
        if value.is_empty() {
            return Err(format!("{word:?} names nothing"));
        }
        if slot.is_some() {
            return Err(format!("{word:?}: that tag is given twice"));
        }
        *slot = Some(value.replace('_', " "));
        words.next();
    }
    if let Some(r) = &mut note.rating {
        *r = r.to_ascii_uppercase();
        if !["P", "S", "M", "U"].contains(&r.as_str()) {
            return Err(format!("!{r}: a rating is P, S, M or U"));
        }
    }
    note.text = words.collect::<Vec<_>>().join(" ");
    if note.text.is_empty() {
        return Err("write what you observed after the tags".into());
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{director_view, key};

    fn type_line(a: &mut DirectorApp, text: &str) {
        for c in text.chars() {
            a.handle_key(key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn the_note_line_reads_tags_then_text() {
        let n = parse_note("@cerc #piu-within-60 ~Operational_Coordination !s CERC met late").unwrap();
        assert_eq!(n.team.as_deref(), Some("cerc"));
        assert_eq!(n.objective.as_deref(), Some("piu-within-60"));
        assert_eq!(n.capability.as_deref(), Some("Operational Coordination"));
        assert_eq!((n.rating.as_deref(), n.text.as_str()), (Some("S"), "CERC met late"));
        let plain = parse_note("  good hand-over  to #2 ").unwrap();
        assert_eq!((plain.team, plain.text.as_str()), (None, "good hand-over to #2"), "tags only before the text");
        assert!(parse_note("!X nope").unwrap_err().contains("P, S, M or U"));
        assert!(parse_note("@a @b text").unwrap_err().contains("twice"));
        assert!(parse_note("@cerc").unwrap_err().contains("write what you observed"));
        assert!(parse_note("# text").unwrap_err().contains("names nothing"));
    }

    #[test]
    fn o_sends_a_note_live_and_keeps_it_in_replay() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('o')));
        assert_eq!(a.mode, Mode::Note);
        type_line(&mut a, "!q oops");
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::None);
        assert_eq!(a.mode, Mode::Note, "a bad line stays to be corrected");
        assert!(a.status.as_ref().unwrap().1.contains("P, S, M or U"));
        for _ in 0.."!q oops".len() {
            a.handle_key(key(KeyCode::Backspace));
        }
        type_line(&mut a, "@chem-ops quick isolation");
        let Effect::Send(DirectorAction::Note(note)) = a.handle_key(key(KeyCode::Enter)) else { panic!("a note") };
        assert_eq!((note.team.as_deref(), note.text.as_str()), (Some("chem-ops"), "quick isolation"));
        assert_eq!((a.mode, a.note.as_str()), (Mode::Normal, ""));
        // The same key on a recording: kept beside it at the tick shown.
        let state = crate::replay_state::ReplayState::new("j.jsonl".into(), 480, Vec::new(), Vec::new());
        let mut r = DirectorApp::replaying(state);
        r.handle_key(key(KeyCode::Char('o')));
        type_line(&mut r, "seen");
        assert!(matches!(r.handle_key(key(KeyCode::Enter)), Effect::Note(0, n) if n.text == "seen"));
        // Typing never triggers the configured or built-in keys ('q' quits otherwise).
        r.handle_key(key(KeyCode::Char('o')));
        assert_eq!(r.handle_key(key(KeyCode::Char('q'))), Effect::None);
        assert_eq!(r.note, "q");
    }

    #[test]
    fn live_view_as_a_team_follows_the_host_s_watched_frames_and_esc_stops_them() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('v')));
        type_line(&mut a, "chem");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::ViewAs("chem-ops".into()));
        a.watching = Some("chem-ops".into()); // as the loop does when it sends `watch`
        let view = crate::testing::sample_view();
        let watched =
            |v: cascade_engine::view::TeamView| ServerMessage::Watched { team: "chem-ops".into(), view: Box::new(v) };
        a.on_client(ClientEvent::Frame(watched(view.clone())));
        let screen = a.viewing.as_ref().expect("the team's screen");
        assert_eq!(screen.team.as_deref(), Some("chem-ops"));
        assert!(screen.looking_only, "the footer says how to go back, not how to act");
        assert!(screen.status.as_ref().unwrap().1.contains("LIVE: chem-ops's view"));
        // Its pages work; Esc comes back and tells the host to stop.
        a.handle_key(key(KeyCode::Char('5')));
        assert_eq!(a.viewing.as_ref().unwrap().page, crate::app::Page::Brief);
        let mut next = view.clone();
        next.tick = 48;
        a.on_client(ClientEvent::Frame(watched(next)));
        assert_eq!(a.viewing.as_ref().unwrap().page, crate::app::Page::Brief, "the page stays at the next tick");
        assert_eq!(a.handle_key(key(KeyCode::Esc)), Effect::Send(DirectorAction::Watch { team: None }));
        assert!(a.viewing.is_none() && a.watching.is_none());
        // A frame that crossed the Esc does not reopen it.
        a.on_client(ClientEvent::Frame(watched(view)));
        assert!(a.viewing.is_none());
    }

    fn app() -> DirectorApp {
        let mut a = DirectorApp::new("ws://127.0.0.1:7878");
        a.on_client(ClientEvent::Connection(Connection::Connected));
        a.on_client(ClientEvent::Frame(ServerMessage::Welcome {
            team: "director".into(),
            role: "director".into(),
            tick: 0,
            protocol: 3,
            scenario: "Test".into(),
            running: false,
            ticks_per_second: 1.0,
        }));
        a.on_client(ClientEvent::Frame(ServerMessage::DirectorSnapshot(Box::new(director_view()))));
        a
    }

    fn typed(a: &mut DirectorApp, text: &str) {
        for c in text.chars() {
            a.handle_key(key(KeyCode::Char(c)));
        }
    }

    fn clock(a: &mut DirectorApp, running: bool, tps: f64) {
        let tick = a.clock.tick;
        a.on_client(ClientEvent::Frame(ServerMessage::Clock {
            tick,
            running,
            ticks_per_second: tps,
            ended: false,
            behind_ms: 0,
        }));
    }

    #[test]
    fn space_starts_pauses_and_resumes() {
        let mut a = app();
        a.clock.tick = 0;
        assert_eq!(a.handle_key(key(KeyCode::Char(' '))), Effect::Send(DirectorAction::Start));
        clock(&mut a, true, 1.0);
        assert_eq!(a.handle_key(key(KeyCode::Char(' '))), Effect::Send(DirectorAction::Pause));
        a.clock.tick = 5;
        clock(&mut a, false, 1.0);
        assert_eq!(a.handle_key(key(KeyCode::Char(' '))), Effect::Send(DirectorAction::Resume));
    }

    #[test]
    fn plus_and_minus_step_the_speed() {
        let mut a = app();
        clock(&mut a, true, 1.0);
        assert_eq!(
            a.handle_key(key(KeyCode::Char('+'))),
            Effect::Send(DirectorAction::Speed { ticks_per_second: 2.0 })
        );
        // Pressed again before the host confirms: from the speed asked for.
        assert_eq!(
            a.handle_key(key(KeyCode::Char('+'))),
            Effect::Send(DirectorAction::Speed { ticks_per_second: 4.0 })
        );
        assert_eq!(
            a.handle_key(key(KeyCode::Char('-'))),
            Effect::Send(DirectorAction::Speed { ticks_per_second: 2.0 })
        );
        clock(&mut a, true, 2.0);
        assert_eq!(a.requested_speed, None, "confirmed");
        assert_eq!(
            a.handle_key(key(KeyCode::Char('-'))),
            Effect::Send(DirectorAction::Speed { ticks_per_second: 1.0 })
        );
        // Never confirmed (another director set 3): a tick later the clock's
        // own speed counts again.
        clock(&mut a, true, 3.0);
        a.clock.tick += 2;
        assert_eq!(
            a.handle_key(key(KeyCode::Char('+'))),
            Effect::Send(DirectorAction::Speed { ticks_per_second: 4.0 })
        );
        clock(&mut a, true, 4.0);
        clock(&mut a, true, 1000.0);
        assert_eq!(a.handle_key(key(KeyCode::Char('+'))), Effect::None);
        assert_eq!(a.status.as_ref().unwrap().1, "speed is already ×1000");
        clock(&mut a, true, 0.25);
        assert_eq!(a.handle_key(key(KeyCode::Char('-'))), Effect::None);
    }

    #[test]
    fn step_only_while_paused() {
        let mut a = app();
        assert_eq!(a.handle_key(key(KeyCode::Char('s'))), Effect::Send(DirectorAction::Step));
        assert_eq!(a.handle_key(key(KeyCode::Right)), Effect::Send(DirectorAction::Step));
        clock(&mut a, true, 1.0);
        assert_eq!(a.handle_key(key(KeyCode::Char('s'))), Effect::None);
        assert_eq!(a.status.as_ref().unwrap().0, Tone::Bad);
    }

    #[test]
    fn q_asks_first_while_the_exercise_runs() {
        let mut a = app();
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::Quit);
        clock(&mut a, true, 1.0);
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::None);
        assert_eq!(a.mode, Mode::ConfirmQuit);
        assert_eq!(a.handle_key(key(KeyCode::Char('n'))), Effect::None);
        assert_eq!(a.mode, Mode::Normal);
        a.handle_key(key(KeyCode::Char('q')));
        assert_eq!(a.handle_key(key(KeyCode::Char('y'))), Effect::Quit);
        // Paused with people playing, it asks too (the host stops with it).
        a.mode = Mode::Normal;
        clock(&mut a, false, 1.0);
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::Quit, "paused, nobody connected");
        a.on_client(ClientEvent::Frame(ServerMessage::Presence {
            teams: vec![wire::TeamPresence { team: "team-a".into(), connections: 1 }],
        }));
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::None);
        assert_eq!(a.mode, Mode::ConfirmQuit);
        // Offline, there is nothing to confirm.
        a.mode = Mode::Normal;
        a.on_client(ClientEvent::Connection(Connection::Closed { reason: "bye".into() }));
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app().handle_key(ctrl_c), Effect::Quit);
    }

    #[test]
    fn configured_keys_act_except_while_typing() {
        let mut a = app();
        a.keys = KeyMap::parse(r#"{"pause": "z", "step": "x", "filter": "f"}"#).unwrap();
        assert_eq!(a.handle_key(key(KeyCode::Char('x'))), Effect::Send(DirectorAction::Step));
        assert_eq!(a.handle_key(key(KeyCode::Char('s'))), Effect::Send(DirectorAction::Step), "defaults still work");
        assert_eq!(a.handle_key(key(KeyCode::Char('z'))), Effect::Send(DirectorAction::Resume));
        a.handle_key(key(KeyCode::Char('f')));
        assert_eq!(a.mode, Mode::Filter);
        typed(&mut a, "fxz");
        assert_eq!(a.filter, "fxz", "a filter is typed as is");
        a.handle_key(key(KeyCode::Enter));
        a.handle_key(key(KeyCode::Char('i')));
        typed(&mut a, "zx");
        assert_eq!(a.inject.to, "zx", "so is an inject");
    }

    #[test]
    fn a_view_back_in_time_keeps_the_events_before_it_once() {
        let mut a = app();
        let ticks = |a: &DirectorApp| a.events.iter().map(|e| e.tick).collect::<Vec<_>>();
        assert_eq!(ticks(&a), [12, 30, 30, 40, 40]);
        // A host resumed at tick 35 from its journal.
        let mut earlier = director_view();
        earlier.tick = 35;
        earlier.objectives[1].status = cascade_engine::exercise::Status::Pending;
        earlier.teams[0].last_action = Some((33, "investigate".into()));
        a.on_client(ClientEvent::Frame(ServerMessage::DirectorSnapshot(Box::new(earlier))));
        assert_eq!(ticks(&a), [12, 30, 30, 33], "later events gone, earlier ones not repeated");
    }

    #[test]
    fn shift_e_ends_the_exercise_after_a_confirmation() {
        let mut a = app();
        clock(&mut a, true, 1.0);
        assert_eq!(a.handle_key(key(KeyCode::Char('E'))), Effect::None);
        assert_eq!(a.mode, Mode::ConfirmEnd);
        assert_eq!(a.handle_key(key(KeyCode::Char('n'))), Effect::None, "anything but y goes on");
        assert_eq!(a.mode, Mode::Normal);
        a.handle_key(key(KeyCode::Char('E')));
        assert_eq!(a.handle_key(key(KeyCode::Char('y'))), Effect::Send(DirectorAction::End));
        a.on_client(ClientEvent::Frame(ServerMessage::Clock {
            tick: 47,
            running: false,
            ticks_per_second: 1.0,
            ended: true,
            behind_ms: 0,
        }));
        assert_eq!(a.handle_key(key(KeyCode::Char('E'))), Effect::None);
        assert_eq!(a.mode, Mode::Normal, "nothing to end twice");
    }

    #[test]
    fn tab_moves_the_focus_and_jk_the_selection() {
        let mut a = app();
        assert_eq!(a.focus, Panel::Assets);
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.focus, Panel::Incidents);
        a.handle_key(key(KeyCode::BackTab));
        a.handle_key(key(KeyCode::Char('h')));
        assert_eq!(a.focus, Panel::Objectives);
        a.handle_key(key(KeyCode::Char('l')));
        assert_eq!(a.focus, Panel::Assets);
        // Four assets: j moves down and stops at the last.
        for _ in 0..10 {
            a.handle_key(key(KeyCode::Char('j')));
        }
        assert_eq!(a.selection(Panel::Assets), 3);
        a.handle_key(key(KeyCode::Up));
        assert_eq!(a.selection(Panel::Assets), 2);
        a.handle_key(key(KeyCode::Char('g')));
        assert_eq!(a.selection(Panel::Assets), 0);
        a.handle_key(key(KeyCode::Char('G')));
        assert_eq!(a.selection(Panel::Assets), 3);
        // Enter opens the details, Esc closes them.
        a.handle_key(key(KeyCode::Enter));
        assert_eq!(a.mode, Mode::Details);
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.mode, Mode::Normal);
        a.handle_key(key(KeyCode::Char('?')));
        assert_eq!(a.mode, Mode::Help);
        // In help, q closes it rather than quitting.
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Effect::None);
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn a_summarised_view_asks_the_host_for_the_assets_a_filter_matches() {
        let mut a = app();
        // Unsummarised, Enter filters what the view holds and asks nothing.
        a.handle_key(key(KeyCode::Char('/')));
        typed(&mut a, "edge");
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::None);
        // A national-scale view: only some of the 40,000 assets are in it.
        if let Some(v) = a.view.as_mut() {
            v.assets_total = 40_000;
        }
        assert!(a.summarised());
        a.handle_key(key(KeyCode::Char('/')));
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::AskAssets("edge".into()));
        assert!(a.assets().is_empty(), "nothing in the view matches yet");
        let mut found = a.view.as_ref().unwrap().assets[0].clone();
        found.id = "far-edge-17".into();
        // A page for an older filter is not shown; the one asked is.
        a.on_client(ClientEvent::Frame(ServerMessage::Assets(Box::new(AssetPage {
            tick: 47,
            filter: "edg".into(),
            from: 0,
            total: 1,
            assets: vec![found.clone()],
        }))));
        assert!(a.assets().is_empty());
        a.on_client(ClientEvent::Frame(ServerMessage::Assets(Box::new(AssetPage {
            tick: 46,
            filter: "edge".into(),
            from: 0,
            total: 2_500,
            assets: vec![found],
        }))));
        let ids: Vec<&str> = a.assets().iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["far-edge-17"]);
        let status = a.status.as_ref().map(|s| s.1.clone()).unwrap_or_default();
        assert!(status.contains("2500 assets match \"edge\": the first 1 shown"), "{status}");
        // Older than the view (tick 47): asked again once a second of frames.
        assert_eq!(a.asset_page_refresh(), None, "not before a second has passed");
        for _ in 0..a.fps {
            a.on_frame_tick();
        }
        assert_eq!(a.asset_page_refresh(), Some("edge".into()));
        assert_eq!(a.asset_page_refresh(), None, "once");
        // Esc clears the filter and the page: the view's assets again.
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.assets().len(), 4);
        assert!(a.asset_page.is_none());
    }

    #[test]
    fn slash_filters_every_list() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('/')));
        assert_eq!(a.mode, Mode::Filter);
        typed(&mut a, "SCADA q");
        a.handle_key(key(KeyCode::Backspace));
        a.handle_key(key(KeyCode::Backspace));
        assert_eq!(a.filter, "SCADA");
        a.handle_key(key(KeyCode::Enter));
        assert_eq!(a.mode, Mode::Normal);
        let ids: Vec<&str> = a.assets().iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["chem-scada"]);
        // Esc in normal mode clears it.
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.assets().len(), 4);
    }

    #[test]
    fn the_inject_form_completes_teams_and_sends() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('i')));
        assert_eq!(a.mode, Mode::Inject);
        // An empty message is refused.
        a.inject.field = Field::Message;
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::None);
        assert!(a.inject.error.is_some());
        a.inject.field = Field::To;
        typed(&mut a, "ch");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.inject.to, "chem-ops,");
        typed(&mut a, "g");
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.inject.to, "chem-ops,govcert,");
        // Tab after a complete id goes to the next field.
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.inject.field, Field::From);
        a.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        typed(&mut a, "RTL");
        a.handle_key(key(KeyCode::Enter));
        assert_eq!(a.inject.field, Field::Message);
        typed(&mut a, "Is the hospital down?");
        let effect = a.handle_key(key(KeyCode::Enter));
        let Effect::Send(DirectorAction::Inject(inject)) = &effect else { panic!("{effect:?}") };
        assert_eq!(inject.to, ["chem-ops", "govcert"]);
        assert_eq!(inject.from, "RTL");
        assert_eq!(inject.message, "Is the hospital down?");
        assert_eq!(a.mode, Mode::Normal);
        // The wire form is the protocol's.
        let Effect::Send(action) = effect else { unreachable!() };
        let json = serde_json::to_value(&action).unwrap();
        assert_eq!(json["action"], "inject");
        assert_eq!(json["to"], serde_json::json!(["chem-ops", "govcert"]));
        a.sent(3, &action);
        assert_eq!(a.status.as_ref().unwrap().1, "inject to chem-ops,govcert: sent");
        a.on_client(ClientEvent::Frame(ServerMessage::Ack { seq: 3, tick: 48 }));
        assert_eq!(a.status.as_ref().unwrap().1, "inject to chem-ops,govcert: accepted for tick 48");
    }

    #[test]
    fn an_unknown_recipient_is_refused_and_esc_cancels() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('i')));
        typed(&mut a, "nobody");
        a.inject.field = Field::Message;
        typed(&mut a, "hello");
        assert_eq!(a.handle_key(key(KeyCode::Enter)), Effect::None);
        assert_eq!(a.inject.field, Field::To);
        assert!(a.inject.error.as_ref().unwrap().contains("nobody"));
        // In the form, q and space are text.
        a.inject.field = Field::Message;
        typed(&mut a, " q");
        assert_eq!(a.inject.message, "hello q");
        assert_eq!(a.handle_key(key(KeyCode::Esc)), Effect::None);
        assert_eq!(a.mode, Mode::Normal);
        // Empty recipients: every team.
        a.handle_key(key(KeyCode::Char('i')));
        a.inject.field = Field::Message;
        typed(&mut a, "to all");
        let Effect::Send(DirectorAction::Inject(inject)) = a.handle_key(key(KeyCode::Enter)) else { panic!() };
        assert!(inject.to.is_empty());
    }

    #[test]
    fn the_inject_form_loads_msel_entries() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('i')));
        let ctrl_n = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL);
        // Without the host's MSEL (an older host) and without the scenario: nothing to load.
        let msel = std::mem::take(&mut a.view.as_mut().unwrap().msel);
        a.handle_key(ctrl_n);
        assert!(a.inject.error.as_ref().unwrap().contains("no MSEL"));
        // From the scenario file given to the console …
        let entry = |to: &[&str], message: &str| LiveInject {
            from: "ILR".into(),
            to: to.iter().map(|s| s.to_string()).collect(),
            method: cascade_engine::scenario::Method::Phone,
            message: message.into(),
            expected_action: "report".into(),
            effects: Vec::new(),
            tlp: Tlp::Amber,
            replaces: None,
        };
        a.msel = vec![("one".into(), entry(&["chem-ops"], "first")), ("two".into(), entry(&[], "second"))];
        a.handle_key(ctrl_n);
        assert_eq!((a.inject.to.as_str(), a.inject.message.as_str()), ("chem-ops", "first"));
        a.handle_key(ctrl_n);
        assert_eq!((a.inject.to.as_str(), a.inject.message.as_str()), ("", "second"));
        a.handle_key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL));
        assert_eq!(a.inject.msel, Some(0));
        // Edited, then sent: the entry's method, expected action and TLP go
        // with it — as a new inject: a host without an MSEL in its view is
        // older than `replaces`, and would refuse it.
        assert_eq!(a.inject.tlp, Tlp::Amber);
        typed(&mut a, "!");
        let Effect::Send(DirectorAction::Inject(inject)) = a.handle_key(key(KeyCode::Enter)) else { panic!() };
        let expected = LiveInject { message: "first!".into(), ..entry(&["chem-ops"], "") };
        assert_eq!(inject, expected);
        // … but the host's MSEL (every entry, with its state) comes first: an
        // entry still to come is sent in its place, a fired one as a copy.
        a.view.as_mut().unwrap().msel = msel;
        a.handle_key(key(KeyCode::Char('i')));
        a.handle_key(ctrl_n);
        assert_eq!((a.inject.message.as_str(), a.inject.replaces()), ("Storm warning for the whole country", None));
        a.handle_key(ctrl_n);
        assert_eq!(a.inject.replaces(), Some("press-call"));
        // A typed inject replaces nothing; Ctrl-D changes its delivery method.
        a.handle_key(key(KeyCode::Esc));
        a.handle_key(key(KeyCode::Char('i')));
        a.inject.field = Field::Message;
        typed(&mut a, "By radio");
        a.handle_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
        let Effect::Send(DirectorAction::Inject(inject)) = a.handle_key(key(KeyCode::Enter)) else { panic!() };
        assert_eq!((inject.replaces, inject.method), (None, cascade_engine::scenario::Method::Phone));
    }

    #[test]
    fn a_tick_frame_without_the_msel_keeps_the_last() {
        let mut a = app();
        let base = a.view.clone().expect("the app holds a view");
        let mut v = base.clone();
        v.tick = 48;
        let delta = cascade_engine::view::DirectorDelta::between(&base, &v);
        assert!(delta.msel.is_none(), "the MSEL did not change: not in the frame");
        a.on_client(ClientEvent::Frame(ServerMessage::DirectorTick(Box::new(delta))));
        assert_eq!(a.view.as_ref().map(|v| (v.tick, v.msel.len())), Some((48, 3)));
    }

    #[test]
    fn the_msel_panel_fires_holds_releases_skips_and_edits() {
        use cascade_engine::view::MselStatus;
        let mut a = app();
        a.handle_key(key(KeyCode::Char('m')));
        assert_eq!(a.mode, Mode::Msel);
        // Rows by time, the conditional one last; the selection opens on the
        // first inject still to come.
        let ids: Vec<&str> = a.msel_rows().iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["storm-warning", "regulator-call", "press-call"]);
        assert_eq!(a.msel_selected, 1);
        // Fire now asks first; n leaves it.
        assert_eq!(a.handle_key(key(KeyCode::Char('f'))), Effect::None);
        assert_eq!(a.mode, Mode::ConfirmMsel);
        assert_eq!(a.handle_key(key(KeyCode::Char('n'))), Effect::None);
        assert_eq!(a.mode, Mode::Msel);
        a.handle_key(key(KeyCode::Char('f')));
        let fire = DirectorAction::Msel { inject: "regulator-call".into(), op: MselOp::Fire };
        assert_eq!(a.handle_key(key(KeyCode::Char('y'))), Effect::Send(fire));
        let order = |op| Effect::Send(DirectorAction::Msel { inject: "regulator-call".into(), op });
        assert_eq!(a.handle_key(key(KeyCode::Char('h'))), order(MselOp::Hold));
        assert_eq!(a.handle_key(key(KeyCode::Char('x'))), order(MselOp::Skip));
        // Release needs a hold or a skip; the view says which.
        assert_eq!(a.handle_key(key(KeyCode::Char('r'))), Effect::None);
        assert!(a.status.as_ref().unwrap().1.contains("neither held nor skipped"));
        a.view.as_mut().unwrap().msel[2].status = MselStatus::Held;
        assert_eq!(a.handle_key(key(KeyCode::Char('r'))), order(MselOp::Release));
        assert_eq!(a.handle_key(key(KeyCode::Char('h'))), Effect::None, "held already");
        // A fired inject is left alone; `e` on it writes a copy, a new inject.
        a.handle_key(key(KeyCode::Char('k')));
        assert_eq!(a.handle_key(key(KeyCode::Char('h'))), Effect::None);
        assert!(a.status.as_ref().unwrap().1.contains("storm-warning has fired already"));
        a.handle_key(key(KeyCode::Char('e')));
        assert_eq!((a.mode, a.inject.replaces()), (Mode::Inject, None));
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.mode, Mode::Msel, "Esc goes back to the panel");
        // e: into the inject form, to be sent in its place.
        a.handle_key(key(KeyCode::Char('j')));
        a.handle_key(key(KeyCode::Char('e')));
        assert_eq!(a.mode, Mode::Inject);
        assert_eq!(a.inject.replaces(), Some("regulator-call"));
        assert_eq!(a.inject.message, "The regulator calls about the outage at the plant");
        let Effect::Send(DirectorAction::Inject(inject)) = a.handle_key(key(KeyCode::Enter)) else { panic!() };
        assert_eq!(
            (inject.replaces.as_deref(), inject.method),
            (Some("regulator-call"), cascade_engine::scenario::Method::Phone)
        );
        assert_eq!(a.mode, Mode::Msel, "sent: back to the panel");
        // Orders sent but not applied yet count: a skip given while paused
        // can be released before the tick.
        a.view.as_mut().unwrap().msel[2].status = MselStatus::Waiting;
        a.sent(40, &DirectorAction::Msel { inject: "regulator-call".into(), op: MselOp::Skip });
        assert_eq!(a.handle_key(key(KeyCode::Char('x'))), Effect::None, "skipped already");
        assert_eq!(a.handle_key(key(KeyCode::Char('r'))), order(MselOp::Release));
        // Keys of a key file do not remap the panel's letters.
        a.keys = crate::keymap::KeyMap::parse(r#"{"help": "h"}"#).unwrap();
        a.sent(41, &DirectorAction::Msel { inject: "regulator-call".into(), op: MselOp::Release });
        assert_eq!(a.handle_key(key(KeyCode::Char('h'))), order(MselOp::Hold));
        // Esc closes the panel.
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn ctrl_t_cycles_the_inject_tlp_from_red_to_clear() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('i')));
        assert_eq!(a.inject.tlp, Tlp::Red, "TLP:RED unless changed");
        let ctrl_t = KeyEvent::new(KeyCode::Char('t'), KeyModifiers::CONTROL);
        let mut seen = vec![];
        for _ in 0..5 {
            a.handle_key(ctrl_t);
            seen.push(a.inject.tlp);
        }
        assert_eq!(seen, [Tlp::AmberStrict, Tlp::Amber, Tlp::Green, Tlp::Clear, Tlp::Red]);
        a.handle_key(ctrl_t);
        a.handle_key(ctrl_t);
        a.handle_key(ctrl_t);
        a.handle_key(ctrl_t);
        a.inject.field = Field::Message;
        typed(&mut a, "Storm warning");
        let Effect::Send(DirectorAction::Inject(inject)) = a.handle_key(key(KeyCode::Enter)) else { panic!() };
        assert_eq!((inject.tlp, inject.message.as_str()), (Tlp::Clear, "Storm warning"));
    }

    #[test]
    fn frames_build_the_service_history() {
        let mut a = app();
        assert_eq!(a.history.national, [900]);
        let mut v = director_view();
        v.tick = 48;
        v.service.national = 800_000;
        v.messages.clear();
        let delta = cascade_engine::view::DirectorDelta::full(&v);
        a.on_client(ClientEvent::Frame(ServerMessage::DirectorTick(Box::new(delta))));
        assert_eq!(a.history.national, [900, 800]);
        assert_eq!(a.history.ticks, [47, 48]);
        assert_eq!(a.history.sectors[0].0, "health");
        assert_eq!(a.history.sectors[0].1, [900, 900]);
        // A snapshot of the same tick replaces, not appends.
        v.service.national = 700_000;
        a.on_client(ClientEvent::Frame(ServerMessage::DirectorSnapshot(Box::new(v))));
        assert_eq!(a.history.national, [900, 700]);
        assert_eq!(a.messages.len(), 3, "messages are kept across frames");
        assert_eq!(a.clock.tick, 48);
    }

    #[test]
    fn a_silent_server_shows() {
        let mut a = app();
        clock(&mut a, true, 1.0);
        for _ in 0..25 {
            a.on_frame_tick();
        }
        assert_eq!(a.silent_for(), None);
        for _ in 0..10 {
            a.on_frame_tick();
        }
        assert_eq!(a.silent_for(), Some(3.5));
        a.on_client(ClientEvent::Frame(ServerMessage::Ack { seq: 1, tick: 1 }));
        assert_eq!(a.silent_for(), None);
    }
}
