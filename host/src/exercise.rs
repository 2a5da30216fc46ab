//! The exercise actor: the one task that owns the simulation, the journal and the
//! clock. Connections talk to it through a bounded channel of `Request`s; it
//! answers each command with an ack only after the journal line is fdatasynced,
//! applies commands at the tick they were stamped for, and sends every subscriber
//! its own view each tick without ever waiting for a slow one. It also counts
//! each team's connections and tells the director (`presence`) when they change.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cascade_engine::Simulation;
use cascade_engine::exercise::command::{DIRECTOR_TEAM, resolve_director};
use cascade_engine::exercise::{Action, Command};
use cascade_engine::view::{director_view, team_view};
use cascade_engine::wire::{DirectorAction, ServerMessage, TeamPresence};
use cascade_replay::{CommandLine, DIRECTOR, JournalWriter};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;
use tracing::{error, info, warn};

use crate::tokens::Identity;

/// Each subscriber's queue: a client more than this many frames behind is
/// "lagging" and gets a fresh snapshot instead of the deltas it missed.
pub const SUBSCRIBER_QUEUE: usize = 64;
/// Ticks a subscriber may stay lagging before it is disconnected (1013).
pub const MAX_LAG_TICKS: u32 = 30;
/// Client id the host uses for the commands it journals itself (takeovers).
pub const HOST_CLIENT: &str = "host";
/// Client id of the takeovers `--bots` journals before the exercise starts
/// (so that a branch at tick 0 can tell them from those a human's first
/// command caused).
pub const SETUP_CLIENT: &str = "host-setup";

/// A frame for a connection's writer.
#[derive(Debug)]
pub enum Outgoing {
    Message(ServerMessage),
}

pub enum Request {
    Subscribe {
        who: Identity,
        conn: u64,
        tx: mpsc::Sender<Outgoing>,
        kicked: Arc<Notify>,
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
        tx: mpsc::Sender<Outgoing>,
    },
}

struct Subscriber {
    who: Identity,
    tx: mpsc::Sender<Outgoing>,
    /// Notified when the subscriber is dropped for lagging: its connection
    /// then closes (1013).
    kicked: Arc<Notify>,
    /// Messages of the log this subscriber has been sent.
    seen: usize,
    lagging: u32,
    /// A `presence` could not be queued (full queue): send it again with the
    /// next view that fits.
    presence_missed: bool,
}

/// Where an outcome goes once its command applies.
struct Waiting {
    seq: u64,
    tx: Option<mpsc::Sender<Outgoing>>,
}

pub struct Exercise {
    pub sim: Simulation,
    pub journal: JournalWriter,
    pub running: bool,
    pub ended: bool,
    pub ticks_per_second: f64,
    /// (team id or director, client, seq) → the tick it was stamped for.
    pub seen: HashMap<(String, String, u64), u64>,
    /// Commands stamped for the next tick, in journal order.
    pub queued: Vec<Command>,
    waiting: Vec<Waiting>,
    /// Teams whose takeover is already journaled.
    taken_over: Vec<bool>,
    subscribers: HashMap<u64, Subscriber>,
    /// Per team (scenario order): its subscribers, i.e. open, welcomed
    /// connections holding its token. Sent to the director as `presence`.
    presence: Vec<u32>,
    acks: Vec<(mpsc::Sender<Outgoing>, ServerMessage)>,
    host_seq: u64,
    step_now: bool,
}

impl Exercise {
    pub fn new(sim: Simulation, journal: JournalWriter, ticks_per_second: f64) -> Self {
        let teams = sim.model().scenario.teams.len();
        let taken_over = (0..teams).map(|t| sim.exercise().teams[t].human).collect();
        Self {
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
            self.waiting.push(Waiting { seq: 0, tx: None });
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

    pub fn note_seen(&mut self, team: String, client: String, seq: u64, tick: u64) {
        if client == HOST_CLIENT || client == SETUP_CLIENT {
            self.host_seq = self.host_seq.max(seq);
        }
        self.seen.insert((team, client, seq), tick);
    }

    fn period(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.ticks_per_second)
    }

    /// Runs until the request channel closes (all connections and the listener gone).
    pub async fn run(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        let mut next_tick = Instant::now() + self.period();
        loop {
            let ticking = self.running && !self.ended;
            tokio::select! {
                request = requests.recv() => {
                    let Some(request) = request else { break };
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
                    if !self.running {
                        next_tick = Instant::now() + self.period();
                    }
                }
                _ = tokio::time::sleep_until(next_tick), if ticking => {
                    self.tick();
                    next_tick += self.period();
                    // After a stall (a long fdatasync), do not race to catch up.
                    let now = Instant::now();
                    if next_tick < now {
                        next_tick = now + self.period();
                    }
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

    fn handle(&mut self, request: Request) {
        match request {
            Request::Subscribe { who, conn, tx, kicked, reply } => {
                // Queued here, not by the connection: a tick broadcast right after
                // the subscription must never overtake the welcome and snapshot.
                // The queue holds at most a few error frames before a hello, so they fit.
                for message in self.welcome(who) {
                    let _ = tx.try_send(Outgoing::Message(message));
                }
                let seen = self.sim.exercise().messages.len();
                if who == Identity::Director {
                    let _ = tx.try_send(Outgoing::Message(self.presence_message()));
                }
                let sub = Subscriber { who, tx, kicked, seen, lagging: 0, presence_missed: false };
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
            Request::Command { who, client, seq, command, tx } => self.command(who, client, seq, command, tx),
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
        let presence = self.presence_message();
        for sub in self.subscribers.values_mut().filter(|s| s.who == Identity::Director) {
            sub.presence_missed = sub.tx.try_send(Outgoing::Message(presence.clone())).is_err();
        }
    }

    fn clock_message(&self) -> ServerMessage {
        ServerMessage::Clock {
            tick: self.sim.tick(),
            running: self.running && !self.ended,
            ticks_per_second: self.ticks_per_second,
            ended: self.ended,
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
        vec![welcome, self.snapshot(who), self.clock_message()]
    }

    fn snapshot(&self, who: Identity) -> ServerMessage {
        match who {
            Identity::Director => ServerMessage::DirectorSnapshot(Box::new(director_view(&self.sim, 0))),
            Identity::Team(t) => ServerMessage::Snapshot(Box::new(team_view(&self.sim, t, 0))),
        }
    }

    fn reject(tx: &mpsc::Sender<Outgoing>, seq: u64, code: &str, message: String) {
        let _ = tx.try_send(Outgoing::Message(ServerMessage::Reject { seq, code: code.to_string(), message }));
    }

    fn command(
        &mut self,
        who: Identity,
        client: String,
        seq: u64,
        value: serde_json::Value,
        tx: mpsc::Sender<Outgoing>,
    ) {
        let team_id = match who {
            Identity::Director => DIRECTOR.to_string(),
            Identity::Team(t) => self.sim.model().scenario.teams[t as usize].id.clone(),
        };
        // A resend of a journaled command is acknowledged again, never applied twice.
        if let Some(&tick) = self.seen.get(&(team_id.clone(), client.clone(), seq)) {
            self.acks.push((tx, ServerMessage::Ack { seq, tick }));
            return;
        }
        if self.ended {
            return Self::reject(&tx, seq, "exercise_ended", "the exercise has ended".to_string());
        }
        let stamp = self.sim.tick() + 1;
        let engine_command = match who {
            Identity::Director => {
                let action: DirectorAction = match serde_json::from_value(value.clone()) {
                    Ok(a) => a,
                    Err(e) => return Self::reject(&tx, seq, "bad_command", format!("not a director command: {e}")),
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
                        if !(0.01..=1000.0).contains(&ticks_per_second) {
                            return Self::reject(
                                &tx,
                                seq,
                                "bad_speed",
                                "speed is 0.01 to 1000 ticks per second".into(),
                            );
                        }
                        self.ticks_per_second = ticks_per_second;
                        None
                    }
                    DirectorAction::Step => {
                        if self.running {
                            return Self::reject(&tx, seq, "running", "pause the exercise before stepping".into());
                        }
                        self.step_now = true;
                        None
                    }
                    DirectorAction::End => {
                        self.ended = true;
                        None
                    }
                    DirectorAction::Inject(live) => {
                        let action = Action::Inject(live);
                        if let Err(refusal) = resolve_director(self.sim.model(), &action) {
                            return Self::reject(&tx, seq, refusal.code, refusal.message);
                        }
                        Some(Command { team: DIRECTOR_TEAM, action })
                    }
                }
            }
            Identity::Team(team) => {
                let action: Action = match serde_json::from_value(value.clone()) {
                    Ok(a) => a,
                    Err(e) => return Self::reject(&tx, seq, "bad_command", format!("not a command: {e}")),
                };
                if matches!(action, Action::Takeover) {
                    return Self::reject(&tx, seq, "host_only", "the host sends takeovers itself".into());
                }
                if let Err(refusal) = self.sim.check_command(team, &action) {
                    return Self::reject(&tx, seq, refusal.code, refusal.message);
                }
                // The first command of a human silences the team's bot: journal
                // the takeover first, so replay sees it in the same order.
                if !self.taken_over[team as usize] && !self.journal_takeover(team, stamp, HOST_CLIENT) {
                    return Self::reject(&tx, seq, "journal_error", "the journal cannot be written".into());
                }
                Some(Command { team, action })
            }
        };
        let line = CommandLine { tick: stamp, team: team_id.clone(), client: client.clone(), seq, command: value };
        if !self.append(&line) {
            return Self::reject(&tx, seq, "journal_error", "the journal cannot be written".into());
        }
        self.seen.insert((team_id, client, seq), stamp);
        if let Some(command) = engine_command {
            self.queued.push(command);
            self.waiting.push(Waiting { seq, tx: Some(tx.clone()) });
        }
        self.acks.push((tx, ServerMessage::Ack { seq, tick: stamp }));
        if who == Identity::Director {
            self.broadcast_clock();
        }
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
        self.seen.insert((team_id, client.to_string(), self.host_seq), stamp);
        self.queued.push(Command { team, action: Action::Takeover });
        self.waiting.push(Waiting { seq: 0, tx: None });
        true
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
        if let Err(e) = self.journal.sync() {
            error!("cannot fdatasync the journal: {e}; stopping without acknowledging");
            return false;
        }
        for (tx, ack) in self.acks.drain(..) {
            let _ = tx.try_send(Outgoing::Message(ack));
        }
        true
    }

    fn broadcast_clock(&mut self) {
        let clock = self.clock_message();
        for sub in self.subscribers.values() {
            let _ = sub.tx.try_send(Outgoing::Message(clock.clone()));
        }
    }

    fn tick(&mut self) {
        let commands = std::mem::take(&mut self.queued);
        let waiting = std::mem::take(&mut self.waiting);
        let outcomes = self.sim.step_with(commands);
        let tick = self.sim.tick();
        if let Err(e) = self.journal.append_checkpoint(tick, &self.sim.state_hash()).and_then(|_| self.journal.sync()) {
            error!("cannot write checkpoint {tick}: {e}");
        }
        for outcome in outcomes {
            let Some(Waiting { seq, tx: Some(tx) }) = waiting.get(outcome.index) else { continue };
            let (ok, code, message) = match &outcome.result {
                Ok(()) => (true, "ok".to_string(), "applied".to_string()),
                Err(r) => (false, r.code.to_string(), r.message.clone()),
            };
            let _ = tx.try_send(Outgoing::Message(ServerMessage::Outcome { seq: *seq, tick, ok, code, message }));
        }
        if self.sim.is_finished() && !self.ended {
            self.ended = true;
            info!("the exercise reached its last tick ({tick})");
            self.broadcast_clock();
        }
        self.broadcast_views();
    }

    fn broadcast_views(&mut self) {
        let total = self.sim.exercise().messages.len();
        let presence = self.subscribers.values().any(|s| s.presence_missed).then(|| self.presence_message());
        let mut gone = Vec::new();
        for (&conn, sub) in self.subscribers.iter_mut() {
            // A lagging client gets a fresh snapshot rather than the deltas it missed.
            let frame = match (sub.who, sub.lagging > 0) {
                (Identity::Director, true) => ServerMessage::DirectorSnapshot(Box::new(director_view(&self.sim, 0))),
                (Identity::Director, false) => {
                    ServerMessage::DirectorTick(Box::new(director_view(&self.sim, sub.seen)))
                }
                (Identity::Team(t), true) => ServerMessage::Snapshot(Box::new(team_view(&self.sim, t, 0))),
                (Identity::Team(t), false) => ServerMessage::Tick(Box::new(team_view(&self.sim, t, sub.seen))),
            };
            match sub.tx.try_send(Outgoing::Message(frame)) {
                Ok(()) => {
                    sub.seen = total;
                    sub.lagging = 0;
                    if sub.presence_missed
                        && let Some(presence) = &presence
                    {
                        sub.presence_missed = sub.tx.try_send(Outgoing::Message(presence.clone())).is_err();
                    }
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    sub.lagging += 1;
                    if sub.lagging > MAX_LAG_TICKS {
                        warn!("connection {conn} fell {MAX_LAG_TICKS} ticks behind; closing it (1013)");
                        sub.kicked.notify_one();
                        gone.push(conn);
                    }
                }
                Err(mpsc::error::TrySendError::Closed(_)) => gone.push(conn),
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
