//! The exercise actor: the one task that owns the simulation, the journal and the
//! clock. Connections talk to it through a bounded channel of `Request`s; it
//! answers each command with an ack only after the journal line is fdatasynced,
//! applies commands at the tick they were stamped for, and sends every subscriber
//! its own view each tick without ever waiting for a slow one (each distinct
//! view is computed and serialised once, however many connections share it). It
//! also counts each team's connections and tells the director (`presence`) when
//! they change.
//!
//! The clock keeps absolute deadlines (`schedule`): a late tick is followed by
//! the next one at once. Directors are told how far behind its schedule the
//! clock runs (`clock.behind_ms`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use cascade_engine::Simulation;
use cascade_engine::exercise::actions::Origin;
use cascade_engine::exercise::command::{DIRECTOR_TEAM, Order, resolve_director};
use cascade_engine::exercise::{Action, Command};
use cascade_engine::view::{
    DirectorDelta, DirectorView, TeamDelta, TeamView, director_view, team_view, team_view_update,
};
use cascade_engine::wire::{DirectorAction, JoinKit, ServerMessage, TeamPresence};
use cascade_replay::{CommandLine, DIRECTOR, JournalWriter};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tracing::{error, info, warn};

use crate::action_log::HostActions;
use crate::outbox::{self, Outbox, Refused};
use crate::schedule::{Lateness, MAX_CATCH_UP, Schedule};
use crate::tokens::Identity;

/// Checkpoints need no fdatasync of their own (a command's sync covers every
/// line before it, and a lost checkpoint is recomputed on resume), so they
/// are written to the file at once but synced at most this often: at a
/// thousand ticks per second one sync per tick would be the clock's bottleneck.
const CHECKPOINT_SYNC_EVERY: Duration = Duration::from_millis(250);

/// Client id the host uses for the commands it journals itself (takeovers).
pub const HOST_CLIENT: &str = "host";
/// Client id of the takeovers `--bots` journals before the exercise starts
/// (so that a branch at tick 0 can tell them from those a human's first
/// command caused).
pub const SETUP_CLIENT: &str = "host-setup";

pub enum Request {
    Subscribe {
        who: Identity,
        conn: u64,
        outbox: Arc<Outbox>,
        /// Answered once the welcome, snapshot and clock are queued for the
        /// connection (before any tick can be: the actor queues them itself).
        reply: oneshot::Sender<()>,
    },
    Unsubscribe {
        conn: u64,
    },
    Command {
        who: Identity,
        client: String,
        seq: u64,
        command: serde_json::Value,
        outbox: Arc<Outbox>,
    },
    /// A director's page of assets (`"type":"assets"`): answered at once,
    /// never journaled.
    Assets {
        filter: String,
        from: u64,
        outbox: Arc<Outbox>,
    },
    /// A client asked for a snapshot (`"type":"resync"`): sent with the next
    /// tick or catch-up, never journaled.
    Resync {
        conn: u64,
    },
}

struct Subscriber {
    who: Identity,
    outbox: Arc<Outbox>,
    /// Messages of the log this subscriber has been sent.
    seen: usize,
    /// Ticks it has been lagging for (its outbox full of views).
    lagging: u32,
    /// A `presence` could not be queued (full outbox): send it again with the
    /// next view that fits.
    presence_missed: bool,
    /// The same for a `clock`.
    clock_missed: bool,
    /// A director watching a team: it gets the team's view after each tick.
    watching: Option<u32>,
    /// It asked for a snapshot (`resync`) and has not been sent it yet.
    resync: bool,
    /// It holds exactly the view of its team (or the director's) the host
    /// sent at the last tick (`Exercise::team_bases`, `director_base`): the
    /// next tick frame may be a delta against it. False after a snapshot
    /// (built between ticks) or a frame that did not fit.
    has_base: bool,
}

impl Subscriber {
    /// What this subscriber is sent at the next tick: the changes since its
    /// last view, or, if it is lagging, a fresh snapshot.
    fn view_key(&self) -> ViewKey {
        let snapshot = self.lagging > 0 || self.resync;
        let full = !self.has_base;
        ViewKey { who: self.who, seen: if snapshot { 0 } else { self.seen }, snapshot, full }
    }
}

/// Where an outcome goes once its command applies.
struct Waiting {
    seq: u64,
    outbox: Option<Arc<Outbox>>,
}

/// The view one kind of subscriber gets at a tick: subscribers with the same
/// key get the same frame, computed and serialised once.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ViewKey {
    who: Identity,
    /// Messages already sent (0 for a snapshot).
    seen: usize,
    snapshot: bool,
    /// A tick frame with everything in it (the subscriber holds no known
    /// base).
    full: bool,
}

/// A command's digest: equal for a resend of the same command, different
/// (but for a 2^-64 chance) for another under the same seq. Only compared
/// within one host's run, so the std hasher's fixed keys are enough.
fn digest(command: &serde_json::Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    command.to_string().hash(&mut hasher);
    hasher.finish()
}

pub struct Exercise {
    pub sim: Simulation,
    pub journal: JournalWriter,
    pub running: bool,
    pub ended: bool,
    pub ticks_per_second: f64,
    /// (team id or director, client, seq) → the tick it was stamped for and
    /// a digest of the command, to tell a resend from a reused seq.
    pub seen: HashMap<(String, String, u64), (u64, u64)>,
    /// Commands stamped for the next tick, in journal order.
    pub queued: Vec<Command>,
    waiting: Vec<Waiting>,
    /// Teams whose takeover is already journaled.
    taken_over: Vec<bool>,
    subscribers: HashMap<u64, Subscriber>,
    /// Per team (scenario order): its subscribers, i.e. open, welcomed
    /// connections holding its token. Sent to the director as `presence`.
    presence: Vec<u32>,
    acks: Vec<(Arc<Outbox>, ServerMessage)>,
    host_seq: u64,
    step_now: bool,
    /// How late the clock runs, as last told to the directors.
    lateness: Lateness,
    /// The last fdatasync of the journal.
    synced_at: Instant,
    /// A subscriber whose writer took nothing for this long while its views
    /// piled up is closed as too slow.
    pub stall_limit: Duration,
    /// Refused commands, for the teams' action logs and the director's timeline.
    host_actions: HostActions,
    /// How players join, sent to every director after its welcome.
    pub join: Option<JoinKit>,
    /// Per team with subscribers, the view its tick frames were computed
    /// from at the last tick (messages aside): the base of the next deltas.
    team_bases: HashMap<u32, TeamView>,
    /// The same for the directors (one view for all of them, messages aside).
    director_base: Option<DirectorView>,
}

/// How often, between ticks, lagging clients are offered what they missed.
const CATCH_UP_EVERY: Duration = Duration::from_millis(250);

impl Exercise {
    pub fn new(sim: Simulation, journal: JournalWriter, ticks_per_second: f64) -> Self {
        let teams = sim.model().scenario.teams.len();
        let taken_over = (0..teams).map(|t| sim.exercise().teams[t].human).collect();
        Self {
            team_bases: HashMap::new(),
            director_base: None,
            sim,
            journal,
            running: false,
            ended: false,
            ticks_per_second,
            seen: HashMap::new(),
            queued: Vec::new(),
            waiting: Vec::new(),
            taken_over,
            subscribers: HashMap::new(),
            presence: vec![0; teams],
            acks: Vec::new(),
            host_seq: 0,
            step_now: false,
            lateness: Lateness::default(),
            synced_at: Instant::now(),
            stall_limit: Duration::from_secs(10),
            host_actions: HostActions::new(teams),
            join: None,
        }
    }

    /// Commands recovered from a journal, stamped for the next tick (acked before
    /// the crash): they apply at that tick; their outcome has nowhere to go.
    pub fn requeue(&mut self, commands: Vec<Command>) {
        for command in commands {
            if command.team != DIRECTOR_TEAM && matches!(command.action, Action::Takeover) {
                self.taken_over[command.team as usize] = true;
            }
            self.queued.push(command);
            self.waiting.push(Waiting { seq: 0, outbox: None });
        }
    }

    /// Makes `teams` human from the first tick (`--bots`): a takeover for each,
    /// journaled and synced before anything else, as ahead of a human's first
    /// command.
    pub fn take_over_from_start(&mut self, teams: &[u32]) -> std::io::Result<()> {
        let stamp = self.sim.tick() + 1;
        for &team in teams {
            if !self.taken_over[team as usize] && !self.journal_takeover(team, stamp, SETUP_CLIENT) {
                return Err(std::io::Error::other("the journal cannot be written"));
            }
        }
        self.journal.sync()
    }

    pub fn note_seen(&mut self, team: String, client: String, seq: u64, tick: u64, command: &serde_json::Value) {
        if client == HOST_CLIENT || client == SETUP_CLIENT {
            self.host_seq = self.host_seq.max(seq);
        }
        self.seen.insert((team, client, seq), (tick, digest(command)));
    }

    fn period(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.ticks_per_second)
    }

    fn ticking(&self) -> bool {
        self.running && !self.ended
    }

    /// Runs until the request channel closes (all connections and the listener gone).
    pub async fn run(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        // Restarted whenever the clock starts or changes speed.
        let mut schedule = Schedule::start(Instant::now(), self.period());
        loop {
            tokio::select! {
                request = requests.recv() => {
                    let Some(request) = request else { break };
                    let (was_ticking, speed) = (self.ticking(), self.ticks_per_second);
                    self.handle(request);
                    // Batch whatever else is waiting, then one fdatasync for all.
                    while let Ok(request) = requests.try_recv() {
                        self.handle(request);
                    }
                    if !self.flush_acks() {
                        break;
                    }
                    if std::mem::take(&mut self.step_now) && !self.ended {
                        self.tick();
                    }
                    if self.ticking() && (!was_ticking || speed != self.ticks_per_second) {
                        schedule = Schedule::start(Instant::now(), self.period());
                        self.tell_lateness(Duration::ZERO);
                    }
                }
                _ = tokio::time::sleep_until(schedule.due()), if self.ticking() => {
                    let started = Instant::now();
                    self.tick();
                    let ran = schedule.ran(started, Instant::now());
                    if ran.restarted {
                        warn!(
                            "the clock is over {} s behind its schedule: it restarts from now (the host cannot keep {} ticks per second, or stalled)",
                            MAX_CATCH_UP.as_secs(),
                            self.ticks_per_second
                        );
                    }
                    self.tell_lateness(ran.late);
                }
                // Paused or ended, no tick brings a lagging client its
                // snapshot (or a missed clock): retry now and then.
                _ = tokio::time::sleep(CATCH_UP_EVERY), if !self.ticking() && self.anyone_behind() => {
                    self.catch_up();
                }
                _ = shutdown.changed() => break,
            }
        }
        if let Err(e) = self.journal.sync() {
            error!("cannot flush the journal on shutdown: {e}");
        } else {
            info!("journal flushed at tick {}", self.sim.tick());
        }
    }

    /// Whether a subscriber lacks its view, the clock or the presence.
    fn anyone_behind(&self) -> bool {
        self.subscribers.values().any(|s| s.lagging > 0 || s.resync || s.clock_missed || s.presence_missed)
    }

    /// Sends lagging subscribers their snapshot, and missed clock and
    /// presence frames, where there is room now (between ticks).
    fn catch_up(&mut self) {
        let total = self.sim.exercise().messages.len();
        let clock = outbox::text(&self.clock_message());
        let presence = outbox::text(&self.presence_message());
        let keys: HashSet<ViewKey> =
            self.subscribers.values().filter(|s| s.lagging > 0 || s.resync).map(Subscriber::view_key).collect();
        let frames: HashMap<ViewKey, Utf8Bytes> =
            keys.into_iter().map(|key| (key, outbox::text(&self.view_frame(key)))).collect();
        for sub in self.subscribers.values_mut() {
            if (sub.lagging > 0 || sub.resync) && sub.outbox.view(frames[&sub.view_key()].clone()).is_ok() {
                sub.lagging = 0;
                sub.resync = false;
                sub.has_base = false;
                sub.seen = total;
            }
            if sub.clock_missed {
                sub.clock_missed = sub.outbox.view(clock.clone()).is_err();
            }
            if sub.presence_missed {
                sub.presence_missed = sub.outbox.view(presence.clone()).is_err();
            }
        }
    }

    /// Tells the directors how late the clock runs, if that is news.
    fn tell_lateness(&mut self, late: Duration) {
        if self.lateness.news(late, self.period()).is_none() {
            return;
        }
        let clock = outbox::text(&self.clock_message());
        for sub in self.subscribers.values_mut().filter(|s| s.who == Identity::Director) {
            sub.clock_missed = sub.outbox.view(clock.clone()).is_err();
        }
    }

    fn handle(&mut self, request: Request) {
        match request {
            Request::Subscribe { who, conn, outbox, reply } => {
                // Queued here, not by the connection: a tick broadcast right after
                // the subscription must never overtake the welcome and snapshot.
                // A new outbox holds no views yet, so they fit.
                for message in self.welcome(who) {
                    let _ = outbox.view(outbox::text(&message));
                }
                let seen = self.sim.exercise().messages.len();
                if who == Identity::Director {
                    let _ = outbox.view(outbox::text(&self.presence_message()));
                }
                let sub = Subscriber {
                    who,
                    outbox,
                    seen,
                    lagging: 0,
                    presence_missed: false,
                    clock_missed: false,
                    watching: None,
                    resync: false,
                    has_base: false,
                };
                self.subscribers.insert(conn, sub);
                if let Identity::Team(t) = who {
                    self.presence[t as usize] += 1;
                    self.broadcast_presence();
                }
                let _ = reply.send(());
            }
            Request::Unsubscribe { conn } => {
                if self.remove_subscriber(conn) {
                    self.broadcast_presence();
                }
            }
            Request::Command { who, client, seq, command, outbox } => self.command(who, client, seq, command, outbox),
            Request::Assets { filter, from, outbox } => {
                let page = cascade_engine::view::asset_page(&self.sim, &filter, from);
                outbox.answer(&ServerMessage::Assets(Box::new(page)));
            }
            Request::Resync { conn } => {
                if let Some(sub) = self.subscribers.get_mut(&conn) {
                    sub.resync = true;
                }
            }
        }
    }

    /// Forgets a subscriber; true if it was a team's (its count changed).
    fn remove_subscriber(&mut self, conn: u64) -> bool {
        match self.subscribers.remove(&conn) {
            Some(Subscriber { who: Identity::Team(t), .. }) => {
                self.presence[t as usize] -= 1;
                true
            }
            _ => false,
        }
    }

    fn presence_message(&self) -> ServerMessage {
        let teams = self.sim.model().scenario.teams.iter().zip(&self.presence);
        ServerMessage::Presence {
            teams: teams.map(|(t, &connections)| TeamPresence { team: t.id.clone(), connections }).collect(),
        }
    }

    /// Tells every director who is connected (after a team's count changed).
    fn broadcast_presence(&mut self) {
        if !self.subscribers.values().any(|s| s.who == Identity::Director) {
            return;
        }
        let presence = outbox::text(&self.presence_message());
        for sub in self.subscribers.values_mut().filter(|s| s.who == Identity::Director) {
            sub.presence_missed = sub.outbox.view(presence.clone()).is_err();
        }
    }

    fn clock_message(&self) -> ServerMessage {
        ServerMessage::Clock {
            tick: self.sim.tick(),
            running: self.running && !self.ended,
            ticks_per_second: self.ticks_per_second,
            ended: self.ended,
            behind_ms: self.lateness.told().as_millis() as u64,
        }
    }

    fn welcome(&self, who: Identity) -> Vec<ServerMessage> {
        let s = &self.sim.model().scenario;
        let (team, role) = match who {
            Identity::Director => (DIRECTOR.to_string(), DIRECTOR.to_string()),
            Identity::Team(t) => {
                let team = &s.teams[t as usize];
                (team.id.clone(), format!("{:?}", team.role).to_lowercase())
            }
        };
        let welcome = ServerMessage::Welcome {
            team,
            role,
            tick: self.sim.tick(),
            protocol: cascade_engine::wire::PROTOCOL,
            scenario: s.name.clone(),
            running: self.running && !self.ended,
            ticks_per_second: self.ticks_per_second,
        };
        let mut frames = vec![welcome, self.snapshot(who), self.clock_message()];
        if let (Identity::Director, Some(join)) = (who, &self.join) {
            frames.push(ServerMessage::JoinKit(Box::new(join.clone())));
        }
        frames
    }

    fn snapshot(&self, who: Identity) -> ServerMessage {
        match who {
            Identity::Director => ServerMessage::DirectorSnapshot(Box::new(self.director_view(0))),
            Identity::Team(t) => ServerMessage::Snapshot(Box::new(self.team_view(t, 0, true))),
        }
    }

    /// A team's view with the host's part of its action log merged in: full
    /// for a snapshot, without its unchanging parts for a tick frame.
    fn team_view(&self, team: u32, messages_since: usize, snapshot: bool) -> TeamView {
        let mut view = match snapshot {
            true => team_view(&self.sim, team, messages_since),
            false => team_view_update(&self.sim, team, messages_since),
        };
        self.host_actions.merge_team(&self.sim, team, &self.queued, self.ended, &mut view);
        view
    }

    /// A team's tick frame: the delta from its base, or everything for a
    /// subscriber without one (`full`) or a team without a base yet.
    fn team_tick_frame(&self, team: u32, full: bool, now: &TeamView) -> ServerMessage {
        let delta = match (full, self.team_bases.get(&team)) {
            (false, Some(base)) => TeamDelta::between(base, now),
            _ => TeamDelta::full(now),
        };
        ServerMessage::Tick(Box::new(delta))
    }

    /// The director's tick frame: the delta from the base, or everything.
    fn director_tick_frame(&self, full: bool, now: &DirectorView) -> ServerMessage {
        let delta = match (full, &self.director_base) {
            (false, Some(base)) => DirectorDelta::between(base, now),
            _ => DirectorDelta::full(now),
        };
        ServerMessage::DirectorTick(Box::new(delta))
    }

    /// A team's full view for a director watching it.
    fn watched_frame(&self, team: u32) -> ServerMessage {
        let id = self.sim.model().scenario.teams[team as usize].id.clone();
        ServerMessage::Watched { team: id, view: Box::new(self.team_view(team, 0, true)) }
    }

    /// The director's view with the refusals since the last tick merged in.
    fn director_view(&self, messages_since: usize) -> DirectorView {
        let mut view = director_view(&self.sim, messages_since);
        self.host_actions.merge_director(&mut view);
        view
    }

    /// A reject, its message cut short (a parser's message may quote the
    /// whole bad command back).
    fn reject(outbox: &Outbox, seq: u64, code: &str, message: String) {
        let message = crate::action_log::cut(&message, crate::action_log::MAX_MESSAGE_CHARS);
        outbox.answer(&ServerMessage::Reject { seq, code: code.to_string(), message });
    }

    fn command(&mut self, who: Identity, client: String, seq: u64, value: serde_json::Value, outbox: Arc<Outbox>) {
        let team_id = match who {
            Identity::Director => DIRECTOR.to_string(),
            Identity::Team(t) => self.sim.model().scenario.teams[t as usize].id.clone(),
        };
        // A resend of a journaled command is acknowledged again, never applied
        // twice; another command under a seq already used is refused, not
        // acknowledged and dropped (two tabs sharing a client id).
        if let Some(&(tick, journaled)) = self.seen.get(&(team_id.clone(), client.clone(), seq)) {
            if journaled == digest(&value) {
                self.acks.push((Arc::clone(&outbox), ServerMessage::Ack { seq, tick }));
            } else {
                let message = format!(
                    "seq {seq} of client {client:?} was already used for another command (stamped for tick {tick}): send it with a new seq"
                );
                if let Identity::Team(team) = who {
                    self.host_actions.refused(&self.sim, team, (&client, seq), &value, ("seq_reused", &message));
                }
                Self::reject(&outbox, seq, "seq_reused", message);
            }
            return;
        }
        let Err((code, message)) = self.accept(who, team_id, &client, seq, &value, &outbox) else { return };
        if let Identity::Team(team) = who {
            self.host_actions.refused(&self.sim, team, (&client, seq), &value, (code, &message));
        }
        Self::reject(&outbox, seq, code, message);
    }

    /// Journals and queues a command, or says why not.
    fn accept(
        &mut self,
        who: Identity,
        team_id: String,
        client: &str,
        seq: u64,
        value: &serde_json::Value,
        outbox: &Arc<Outbox>,
    ) -> Result<(), (&'static str, String)> {
        if self.ended {
            return Err(("exercise_ended", "the exercise has ended".to_string()));
        }
        let stamp = self.sim.tick() + 1;
        let engine_command = match who {
            Identity::Director => {
                let action: DirectorAction = match serde_json::from_value(value.clone()) {
                    Ok(a) => a,
                    Err(e) => return Err(("bad_command", format!("not a director command: {e}"))),
                };
                match action {
                    DirectorAction::Start | DirectorAction::Resume => {
                        self.running = true;
                        None
                    }
                    DirectorAction::Pause => {
                        self.running = false;
                        None
                    }
                    DirectorAction::Speed { ticks_per_second } => {
                        if !crate::config::SPEEDS.contains(&ticks_per_second) {
                            return Err(("bad_speed", "speed is 0.01 to 1000 ticks per second".into()));
                        }
                        self.ticks_per_second = ticks_per_second;
                        None
                    }
                    DirectorAction::Step => {
                        if self.running {
                            return Err(("running", "pause the exercise before stepping".into()));
                        }
                        self.step_now = true;
                        None
                    }
                    DirectorAction::End => {
                        self.ended = true;
                        None
                    }
                    DirectorAction::Note(observation) => {
                        if let Err(refusal) = observation.check(self.sim.model()) {
                            return Err((refusal.code, refusal.message));
                        }
                        None
                    }
                    DirectorAction::Watch { team } => {
                        let watching = match team {
                            None => None,
                            Some(id) => match self.sim.team_index(&id) {
                                Some(t) => Some(t),
                                None => return Err(("unknown_team", format!("no team {id:?}"))),
                            },
                        };
                        // This connection's subscription (the outbox is its identity
                        // here); the view now, then after every tick.
                        let now = watching.map(|t| outbox::text(&self.watched_frame(t)));
                        if let Some(sub) = self.subscribers.values_mut().find(|s| Arc::ptr_eq(&s.outbox, outbox)) {
                            sub.watching = watching;
                            if let Some(frame) = now {
                                let _ = sub.outbox.view(frame);
                            }
                        }
                        None
                    }
                    DirectorAction::Inject(live) => {
                        let action = Action::Inject(live);
                        let order = resolve_director(self.sim.model(), &action)
                            .map_err(|refusal| (refusal.code, refusal.message))?;
                        // Sent in place of an inject that fired: it would go
                        // out twice (effects and all).
                        if let Order::Inject { replaces: Some(inject), .. } = order
                            && let Some(at) = self.sim.exercise().inject_fired[inject as usize]
                        {
                            return Err((
                                "inject_fired",
                                format!("the inject it replaces already fired (tick {at}): send it without `replaces`"),
                            ));
                        }
                        Some(Command { team: DIRECTOR_TEAM, action, origin: None })
                    }
                    DirectorAction::Msel { inject, op } => {
                        let action = Action::Msel { inject, op };
                        let order = resolve_director(self.sim.model(), &action)
                            .map_err(|refusal| (refusal.code, refusal.message))?;
                        // A fired inject stays fired: refused now rather than
                        // failing at the tick. Holds and releases may still
                        // cross in one tick, so the rest is checked there.
                        if let Order::Msel { inject, .. } = order
                            && let Some(at) = self.sim.exercise().inject_fired[inject as usize]
                        {
                            return Err(("inject_fired", format!("that inject already fired (tick {at})")));
                        }
                        Some(Command { team: DIRECTOR_TEAM, action, origin: None })
                    }
                }
            }
            Identity::Team(team) => {
                let action: Action = match serde_json::from_value(value.clone()) {
                    Ok(a) => a,
                    Err(e) => return Err(("bad_command", format!("not a command: {e}"))),
                };
                let takeover = matches!(action, Action::Takeover);
                if matches!(action, Action::Inject(_) | Action::Msel { .. }) {
                    return Err(("bad_command", format!("{} is the director's command", action.name())));
                }
                if takeover && self.taken_over[team as usize] {
                    return Err(("already_human", "people already play your team: its bot is silent".into()));
                }
                if let Err(refusal) = self.sim.check_command(team, &action) {
                    return Err((refusal.code, refusal.message));
                }
                // The first command of a human silences the team's bot: journal
                // the takeover first, so replay sees it in the same order.
                // (A `takeover` is that line itself.)
                if !takeover && !self.taken_over[team as usize] && !self.journal_takeover(team, stamp, HOST_CLIENT) {
                    return Err(("journal_error", "the journal cannot be written".into()));
                }
                Some(Command { team, action, origin: Some(Origin::new(client, seq)) })
            }
        };
        let line =
            CommandLine { tick: stamp, team: team_id.clone(), client: client.to_string(), seq, command: value.clone() };
        if !self.append(&line) {
            return Err(("journal_error", "the journal cannot be written".into()));
        }
        self.seen.insert((team_id, client.to_string(), seq), (stamp, digest(value)));
        if let Some(command) = engine_command {
            if command.team != DIRECTOR_TEAM && matches!(command.action, Action::Takeover) {
                self.taken_over[command.team as usize] = true;
            }
            self.queued.push(command);
            self.waiting.push(Waiting { seq, outbox: Some(Arc::clone(outbox)) });
        }
        self.acks.push((Arc::clone(outbox), ServerMessage::Ack { seq, tick: stamp }));
        if who == Identity::Director {
            self.broadcast_clock();
        }
        Ok(())
    }

    /// Journals the host's takeover of `team` for tick `stamp` and queues it
    /// (its bot falls silent from that tick). False if the journal failed.
    fn journal_takeover(&mut self, team: u32, stamp: u64, client: &str) -> bool {
        let team_id = self.sim.model().scenario.teams[team as usize].id.clone();
        self.host_seq += 1;
        let line = CommandLine {
            tick: stamp,
            team: team_id.clone(),
            client: client.to_string(),
            seq: self.host_seq,
            command: serde_json::json!({"action": "takeover"}),
        };
        if !self.append(&line) {
            return false;
        }
        self.taken_over[team as usize] = true;
        let takeover = serde_json::json!({"action": "takeover"});
        self.seen.insert((team_id, client.to_string(), self.host_seq), (stamp, digest(&takeover)));
        self.queued.push(Command { team, action: Action::Takeover, origin: Some(Origin::new(client, self.host_seq)) });
        self.waiting.push(Waiting { seq: 0, outbox: None });
        true
    }

    fn sync(&mut self) -> std::io::Result<()> {
        self.journal.sync()?;
        self.synced_at = Instant::now();
        Ok(())
    }

    fn append(&mut self, line: &CommandLine) -> bool {
        match self.journal.append_command(line) {
            Ok(()) => true,
            Err(e) => {
                error!("cannot append to the journal: {e}");
                false
            }
        }
    }

    /// Makes the batch durable, then acknowledges it. Returns false if the journal
    /// cannot be synced: nothing is acknowledged and the exercise stops.
    fn flush_acks(&mut self) -> bool {
        if self.acks.is_empty() {
            return true;
        }
        if let Err(e) = self.sync() {
            error!("cannot fdatasync the journal: {e}; stopping without acknowledging");
            return false;
        }
        for (outbox, ack) in self.acks.drain(..) {
            outbox.answer(&ack);
        }
        true
    }

    fn broadcast_clock(&mut self) {
        let clock = outbox::text(&self.clock_message());
        for sub in self.subscribers.values_mut() {
            sub.clock_missed = sub.outbox.view(clock.clone()).is_err();
        }
    }

    fn tick(&mut self) {
        let commands = std::mem::take(&mut self.queued);
        let waiting = std::mem::take(&mut self.waiting);
        let outcomes = self.sim.step_with(commands);
        let tick = self.sim.tick();
        let sync_due = self.synced_at.elapsed() >= CHECKPOINT_SYNC_EVERY || self.sim.is_finished();
        let written = self.journal.append_checkpoint(tick, &self.sim.state_hash()).and_then(|()| match sync_due {
            true => self.sync(),
            // Readers of a live journal (a branch, a replay) see it at once.
            false => self.journal.flush(),
        });
        if let Err(e) = written {
            error!("cannot write checkpoint {tick}: {e}");
        }
        for outcome in outcomes {
            let Some(Waiting { seq, outbox: Some(outbox) }) = waiting.get(outcome.index) else { continue };
            let (ok, code, message) = match &outcome.result {
                Ok(()) => (true, "ok".to_string(), "applied".to_string()),
                Err(r) => (false, r.code.to_string(), r.message.clone()),
            };
            outbox.answer(&ServerMessage::Outcome { seq: *seq, tick, ok, code, message });
        }
        if self.sim.is_finished() && !self.ended {
            self.ended = true;
            info!("the exercise reached its last tick ({tick})");
            self.broadcast_clock();
        }
        self.broadcast_views();
    }

    fn view_frame(&self, key: ViewKey) -> ServerMessage {
        match (key.who, key.snapshot) {
            (Identity::Director, true) => ServerMessage::DirectorSnapshot(Box::new(self.director_view(0))),
            (Identity::Director, false) => self.director_tick_frame(key.full, &self.director_view(key.seen)),
            (Identity::Team(t), true) => ServerMessage::Snapshot(Box::new(self.team_view(t, 0, true))),
            (Identity::Team(t), false) => self.team_tick_frame(t, key.full, &self.team_view(t, key.seen, false)),
        }
    }

    fn broadcast_views(&mut self) {
        let total = self.sim.exercise().messages.len();
        let presence =
            self.subscribers.values().any(|s| s.presence_missed).then(|| outbox::text(&self.presence_message()));
        let clock = self.subscribers.values().any(|s| s.clock_missed).then(|| outbox::text(&self.clock_message()));
        // Each distinct view once, however many subscribers share it.
        let keys: HashSet<ViewKey> = self.subscribers.values().map(Subscriber::view_key).collect();
        // A team's view is built once per (team, messages seen), for its
        // delta and its full tick frame alike.
        let mut team_views: HashMap<(u32, usize), TeamView> = HashMap::new();
        // The director's likewise, once per number of messages seen.
        let mut director_views: HashMap<usize, DirectorView> = HashMap::new();
        for key in &keys {
            match (key.who, key.snapshot) {
                (Identity::Team(t), false) => {
                    team_views.entry((t, key.seen)).or_insert_with(|| self.team_view(t, key.seen, false));
                }
                (Identity::Director, false) => {
                    director_views.entry(key.seen).or_insert_with(|| self.director_view(key.seen));
                }
                _ => {}
            }
        }
        let frames: HashMap<ViewKey, Utf8Bytes> = keys
            .iter()
            .map(|&key| {
                let frame = match (key.who, key.snapshot) {
                    (Identity::Team(t), false) => self.team_tick_frame(t, key.full, &team_views[&(t, key.seen)]),
                    (Identity::Director, false) => self.director_tick_frame(key.full, &director_views[&key.seen]),
                    _ => self.view_frame(key),
                };
                (key, outbox::text(&frame))
            })
            .collect();
        // The bases of the next deltas: each team's view now, for the teams
        // sent a tick frame (messages are not part of a base).
        let mut bases = HashMap::new();
        for ((t, _), mut view) in team_views {
            view.messages.clear();
            bases.insert(t, view);
        }
        self.team_bases = bases;
        // Every director view of this tick is the same but for its messages.
        self.director_base = director_views.into_values().next().map(|mut view| {
            view.messages.clear();
            view
        });
        // Watched teams' views, each built once, for the directors watching them.
        let watched: HashMap<u32, Utf8Bytes> = self
            .subscribers
            .values()
            .filter_map(|s| s.watching)
            .collect::<HashSet<u32>>()
            .into_iter()
            .map(|t| (t, outbox::text(&self.watched_frame(t))))
            .collect();
        self.host_actions.tick_sent();
        let mut gone = Vec::new();
        let now = Instant::now();
        for (&conn, sub) in self.subscribers.iter_mut() {
            let key = sub.view_key();
            match sub.outbox.view(frames[&key].clone()) {
                Ok(()) => {
                    sub.seen = total;
                    sub.lagging = 0;
                    sub.resync = false;
                    // A tick frame leaves it holding its base; a snapshot
                    // (built now, like the base) does too, but the rule stays
                    // simple: only tick frames count. One too large to send
                    // went out as an `unsendable_frame` error: no base then.
                    sub.has_base = !key.snapshot && !outbox::is_error(&frames[&key]);
                    // A watched view that finds no room is simply skipped: the
                    // next tick brings a whole one.
                    if let Some(frame) = sub.watching.and_then(|t| watched.get(&t)) {
                        let _ = sub.outbox.view(frame.clone());
                    }
                    if sub.clock_missed
                        && let Some(clock) = &clock
                    {
                        sub.clock_missed = sub.outbox.view(clock.clone()).is_err();
                    }
                    if sub.presence_missed
                        && let Some(presence) = &presence
                    {
                        sub.presence_missed = sub.outbox.view(presence.clone()).is_err();
                    }
                }
                Err(Refused::Full) => {
                    sub.has_base = false;
                    // Lagging: a snapshot when there is room again. But a
                    // client that has read nothing at all for a while is gone.
                    sub.lagging += 1;
                    let stalled = sub.outbox.stalled_for(now.into_std());
                    if stalled > self.stall_limit {
                        warn!(
                            "connection {conn} read nothing for {:.1} s ({} ticks missed); closing it (1013)",
                            stalled.as_secs_f64(),
                            sub.lagging
                        );
                        sub.outbox.kick();
                        gone.push(conn);
                    }
                }
                Err(Refused::Closed) => gone.push(conn),
            }
        }
        let mut changed = false;
        for conn in gone {
            changed |= self.remove_subscriber(conn);
        }
        if changed {
            self.broadcast_presence();
        }
    }
}
