//! The replay viewer's engine room: a journal re-simulated once (every
//! checkpoint checked), with in-memory snapshots so that any tick can be
//! reached by restoring the nearest snapshot at or before it and stepping the
//! few ticks after it. Also keeps what a viewer needs and the final state does
//! not: the service series tick by tick and the events of the whole exercise.
//!
//! Snapshots are taken every `interval` ticks; when they outgrow the memory
//! budget every other one is dropped and the interval doubles, so memory stays
//! bounded whatever the journal's length while a seek replays fewer than
//! `interval` ticks.

use cascade_engine::exercise::{Command, Status};
use cascade_engine::view::{ActionFate, actions_this_tick};
use cascade_engine::{Simulation, Snapshot};

use crate::format::DIRECTOR;
use crate::replay::{Replay, ReplayError};
use crate::report::timeline;

/// Default memory budget for snapshots.
pub const SNAPSHOT_BUDGET_BYTES: usize = 256 * 1024 * 1024;
/// Ticks between snapshots to start with (a seek then replays at most 3 ticks).
pub const FIRST_INTERVAL: u64 = 4;

/// Something that happened, for the viewer's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub tick: u64,
    /// `incident`, `outage`, a message kind (`inject`, `alert`, `report`, …),
    /// `action` (a team's, bot or human), `failed` (a command that failed when
    /// applied), `director` (a director command) or `objective`.
    pub kind: String,
    /// Who: a team id, `director`, a message's sender, or `exercise`.
    pub who: String,
    pub text: String,
}

/// A journal ready to be viewed at any tick.
pub struct Player {
    replay: Replay,
    sim: Simulation,
    /// Engine commands per tick (index = tick), resolved once at open.
    commands: Vec<Vec<Command>>,
    /// `snapshots[i]` is the state at tick `i * interval`.
    snapshots: Vec<Snapshot>,
    snapshot_bytes: usize,
    interval: u64,
    budget: usize,
    events: Vec<Event>,
    /// People served nationally, per tick.
    national: Vec<u64>,
    /// People served per sector (sector order), per tick.
    sectors: Vec<Vec<u64>>,
}

impl Player {
    /// Re-simulates the whole journal, checking every checkpoint (`progress`
    /// after each tick), and keeps snapshots within `budget` bytes.
    pub fn open(replay: Replay, budget: usize, mut progress: impl FnMut(u64)) -> Result<Player, ReplayError> {
        let sector_count = replay.model.scenario.sectors.len();
        let mut player = Player {
            commands: vec![Vec::new()],
            snapshots: Vec::new(),
            snapshot_bytes: 0,
            interval: FIRST_INTERVAL,
            budget: budget.max(1),
            events: Vec::new(),
            national: Vec::new(),
            sectors: vec![Vec::new(); sector_count],
            sim: replay.simulation(),
            replay,
        };
        let mut objectives = player.sim.exercise().objectives.clone();
        for (tick, expected) in player.replay.journal.checkpoints.clone().iter().enumerate() {
            let tick = tick as u64;
            let sim = &mut player.sim;
            if tick > 0 {
                let commands = player.replay.commands_for(sim, tick)?;
                let outcomes = sim.step_with(commands.clone());
                note_commands(&mut player.events, &player.replay, sim, &commands, &outcomes);
                note_changes(&mut player.events, sim, &mut objectives);
                player.commands.push(commands);
            }
            let actual = sim.state_hash().to_hex().to_string();
            if actual != *expected {
                return Err(ReplayError::Mismatch { tick, expected: expected.clone(), actual });
            }
            player.national.push(sim.national_service());
            for (series, &served) in player.sectors.iter_mut().zip(sim.sector_service()) {
                series.push(served);
            }
            if tick.is_multiple_of(player.interval) {
                let snapshot = sim.snapshot();
                player.keep(snapshot);
            }
            progress(tick);
        }
        // Incident milestones and messages, as the report's timeline has them.
        // (Actions and failures were noted tick by tick.)
        for entry in timeline(&player.sim, &[]) {
            player.events.push(Event { tick: entry.tick, kind: entry.kind, who: entry.from, text: entry.text });
        }
        player.events.sort_by_key(|e| e.tick);
        Ok(player)
    }

    fn keep(&mut self, snapshot: Snapshot) {
        self.snapshot_bytes += snapshot.approximate_bytes();
        self.snapshots.push(snapshot);
        // Over budget: keep every other snapshot (those at multiples of the
        // doubled interval), as long as more than one is left.
        while self.snapshot_bytes > self.budget && self.snapshots.len() > 1 {
            self.interval *= 2;
            let interval = self.interval;
            self.snapshots.retain(|s| s.tick().is_multiple_of(interval));
            self.snapshot_bytes = self.snapshots.iter().map(Snapshot::approximate_bytes).sum();
        }
    }

    /// The simulation at the current tick.
    pub fn sim(&self) -> &Simulation {
        &self.sim
    }

    pub fn replay(&self) -> &Replay {
        &self.replay
    }

    /// The current tick.
    pub fn tick(&self) -> u64 {
        self.sim.tick()
    }

    /// The last tick of the recording.
    pub fn last_tick(&self) -> u64 {
        self.replay.journal.last_tick()
    }

    /// Moves to `tick` (clamped to the recording): restores the nearest
    /// snapshot at or before it unless stepping on from the current tick is
    /// shorter, then steps with the journaled commands.
    pub fn seek(&mut self, tick: u64) {
        let target = tick.min(self.last_tick());
        let nearest = (target / self.interval) as usize;
        let nearest = nearest.min(self.snapshots.len().saturating_sub(1));
        let from_snapshot = self.snapshots.get(nearest).map(Snapshot::tick);
        let here = self.sim.tick();
        let step_on = here <= target && from_snapshot.is_none_or(|s| s <= here);
        if !step_on && let Some(snapshot) = self.snapshots.get(nearest) {
            self.sim.restore(snapshot);
        }
        // Replay::new refuses journals longer than the scenario, so the
        // simulation never finishes before the target; checked all the same,
        // for a loop that must end.
        while self.sim.tick() < target && !self.sim.is_finished() {
            let next = self.sim.tick() + 1;
            let commands = self.commands.get(next as usize).cloned().unwrap_or_default();
            self.sim.step_with(commands);
        }
        debug_assert_eq!(
            self.sim.state_hash().to_hex().to_string(),
            self.replay.journal.checkpoints[target as usize],
            "a seek reproduces the journal's checkpoint"
        );
    }

    /// Every event of the exercise, by tick.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// People served nationally, ticks 0..=last.
    pub fn national_series(&self) -> &[u64] {
        &self.national
    }

    /// People served per sector (sector order), ticks 0..=last.
    pub fn sector_series(&self) -> &[Vec<u64>] {
        &self.sectors
    }

    /// Ticks between snapshots.
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Snapshots kept, and their approximate bytes.
    pub fn snapshots(&self) -> (usize, usize) {
        (self.snapshots.len(), self.snapshot_bytes)
    }
}

/// Journaled commands of `tick` as events: the director's, and team
/// commands that failed when applied (the ones that worked show as actions).
fn note_commands(
    events: &mut Vec<Event>,
    replay: &Replay,
    sim: &Simulation,
    commands: &[Command],
    outcomes: &[cascade_engine::exercise::Outcome],
) {
    let tick = sim.tick();
    for (_, line) in replay.journal.commands_for(tick) {
        if line.team == DIRECTOR {
            events.push(Event {
                tick,
                kind: "director".into(),
                who: DIRECTOR.into(),
                text: command_text(&line.command),
            });
        }
    }
    let teams = &sim.model().scenario.teams;
    for outcome in outcomes {
        if let (Err(refusal), Some(command)) = (&outcome.result, commands.get(outcome.index)) {
            let who = teams.get(command.team as usize).map_or_else(|| DIRECTOR.to_string(), |t| t.id.clone());
            events.push(Event {
                tick,
                kind: "failed".into(),
                who,
                text: format!("{} failed ({}): {}", command.action.name(), refusal.code, refusal.message),
            });
        }
    }
}

/// Actions started and objectives decided at the simulation's tick.
fn note_changes(events: &mut Vec<Event>, sim: &Simulation, objectives: &mut [Status]) {
    let tick = sim.tick();
    let ex = sim.exercise();
    // Every action applied or started at this tick, each once (failures are
    // noted with the commands).
    for entry in actions_this_tick(sim) {
        let a = &entry.action;
        if !matches!(a.fate, ActionFate::Applied | ActionFate::Running) || a.command["action"] == "takeover" {
            continue;
        }
        let by = a.client.as_deref().map_or(" (bot)".to_string(), |c| format!(" ({c})"));
        let text = format!("{}{by}", command_text(&a.command));
        events.push(Event { tick, kind: "action".into(), who: entry.team.clone(), text });
    }
    for (i, (before, now)) in objectives.iter_mut().zip(&ex.objectives).enumerate() {
        if before != now {
            let o = &sim.model().scenario.objectives[i];
            let what = match now {
                Status::Met(_) => "met",
                Status::Missed(_) => "missed",
                Status::Pending => "pending again",
            };
            let text = if o.description.is_empty() { o.id.clone() } else { o.description.clone() };
            events.push(Event { tick, kind: "objective".into(), who: o.id.clone(), text: format!("{what}: {text}") });
            *before = *now;
        }
    }
}

/// A journaled command in a few words: a team action as a player would type
/// it (`Action::words`), anything else its action then its other values
/// (`{"action":"speed","ticks_per_second":4.0}` → `speed 4`).
pub fn command_text(command: &serde_json::Value) -> String {
    if let Ok(action) = serde_json::from_value::<cascade_engine::exercise::Action>(command.clone()) {
        return action.words();
    }
    let Some(map) = command.as_object() else { return command.to_string() };
    let mut words: Vec<String> = Vec::new();
    if let Some(action) = map.get("action").and_then(|a| a.as_str()) {
        words.push(action.to_string());
    }
    for (key, value) in map {
        if key == "action" {
            continue;
        }
        match value {
            serde_json::Value::String(s) => words.push(s.clone()),
            serde_json::Value::Number(n) => words.push(n.to_string()),
            serde_json::Value::Array(items) => {
                let items: Vec<String> =
                    items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string)).collect();
                if !items.is_empty() {
                    words.push(items.join(","));
                }
            }
            serde_json::Value::Null => {}
            other => words.push(format!("{key}={other}")),
        }
    }
    words.join(" ")
}
