//! `Simulation`: the engine's front door. Owns the world and the tick schedule,
//! advances one tick at a time, and reads state out by stable index.

use std::sync::Arc;

use bevy_ecs::schedule::{LogLevel, Schedule};
use bevy_ecs::world::World;

use crate::cascade::Propagation;
use crate::exercise::command::{Action, Order, Refusal, resolve};
use crate::exercise::{Command, Exercise, Outcome};
use crate::hash::HashVersion;
use crate::model::Model;
use crate::world::{
    AssetStates, Cascade, Clock, CommandQueue, ExerciseState, Phase, Randomness, ServiceMetrics, StateHash,
    build_phase_schedules, build_tick_schedule, build_world, state_hash_from_scratch,
};

/// Everything a tick changes, copied out of a simulation (see
/// [`Simulation::snapshot`]). The world's entities and the compiled graph never
/// change after tick 0, so they are not copied: a snapshot only restores into a
/// simulation of the same model.
#[derive(Clone)]
pub struct Snapshot {
    model: Arc<Model>,
    clock: Clock,
    assets: AssetStates,
    /// Per row, the tick its outage began (`Propagation::since_by_row`).
    outage_since: Vec<u32>,
    randomness: Randomness,
    metrics: ServiceMetrics,
    exercise: ExerciseState,
    hash: blake3::Hash,
    /// The format of `hash`: a snapshot restores only into a simulation
    /// hashing alike.
    version: HashVersion,
}

impl Snapshot {
    /// The tick the snapshot was taken at.
    pub fn tick(&self) -> u64 {
        self.clock.tick
    }

    /// The state hash at that tick.
    pub fn state_hash(&self) -> blake3::Hash {
        self.hash
    }

    /// Approximate heap bytes held, for snapshot budgets.
    pub fn approximate_bytes(&self) -> usize {
        let a = &self.assets;
        (a.integrity.len() + a.physical.len() + a.cyber.len() + a.cap.len() + a.level.len()) * 2
            + self.outage_since.len() * 4
            + self.metrics.per_sector.len() * 16
            + self.exercise.0.approximate_bytes()
    }
}

/// One running simulation of a model with a seed.
pub struct Simulation {
    world: World,
    schedule: Schedule,
    /// The tick's phases as separate schedules, built on first use by
    /// `step_with_phases`.
    phases: Option<Vec<(Phase, Schedule)>>,
    model: Arc<Model>,
}

impl Simulation {
    /// The state of tick 0 for `model` with `seed` (the scenario's seed unless
    /// overridden), hashed in the current format (`HashVersion::V2`, what new
    /// journals hold).
    pub fn new(model: Arc<Model>, seed: u64) -> Self {
        Self::with_hash(model, seed, HashVersion::default())
    }

    /// Like `new`, with the state hash of `version`: re-simulating a journal
    /// uses the version its format holds (`cascade_replay`'s `Replay` picks it).
    pub fn with_hash(model: Arc<Model>, seed: u64, version: HashVersion) -> Self {
        let world = build_world(Arc::clone(&model), seed, version);
        // The systems are chained, so ambiguity checks cannot fail at run time; a
        // test builds the same schedule with LogLevel::Error to prove it.
        let schedule = build_tick_schedule(LogLevel::Ignore);
        Self { world, schedule, phases: None, model }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The last computed tick.
    pub fn tick(&self) -> u64 {
        self.world.resource::<Clock>().tick
    }

    /// True once `duration_ticks` have been computed.
    pub fn is_finished(&self) -> bool {
        self.tick() >= self.model.scenario.duration_ticks
    }

    /// Computes the next tick with no commands. Returns false (and does nothing)
    /// once finished.
    pub fn step(&mut self) -> bool {
        if self.is_finished() {
            return false;
        }
        self.step_with(Vec::new());
        true
    }

    /// Computes the next tick, applying `commands` (stamped for it, in journal
    /// order) in step 1. Returns each command's outcome; empty once finished.
    pub fn step_with(&mut self, commands: Vec<Command>) -> Vec<Outcome> {
        if self.is_finished() {
            return Vec::new();
        }
        self.world.resource_mut::<CommandQueue>().commands = commands;
        self.schedule.run(&mut self.world);
        let mut queue = self.world.resource_mut::<CommandQueue>();
        queue.commands.clear();
        std::mem::take(&mut queue.outcomes)
    }

    /// Like `step_with`, running the tick's systems one phase at a time: for
    /// each phase in `Phase::ALL` order, `around(phase, run)` is called and
    /// must call `run` once. A measurement hook (the engine keeps no clock:
    /// benches time each phase); the tick computed is the same as
    /// `step_with`'s (a test checks every hash and outcome).
    pub fn step_with_phases(
        &mut self,
        commands: Vec<Command>,
        around: &mut dyn FnMut(Phase, &mut dyn FnMut()),
    ) -> Vec<Outcome> {
        if self.is_finished() {
            return Vec::new();
        }
        self.world.resource_mut::<CommandQueue>().commands = commands;
        let world = &mut self.world;
        for (phase, schedule) in self.phases.get_or_insert_with(build_phase_schedules) {
            let mut runs = 0;
            around(*phase, &mut || {
                runs += 1;
                schedule.run(world);
            });
            assert_eq!(runs, 1, "step_with_phases: {phase:?} must run exactly once");
        }
        let mut queue = self.world.resource_mut::<CommandQueue>();
        queue.commands.clear();
        std::mem::take(&mut queue.outcomes)
    }

    /// The checks made when a command is received (before it is journaled): what
    /// the team may never do is refused here; the state at the tick it applies
    /// decides the rest, as an outcome.
    pub fn check_command(&self, team: u32, action: &Action) -> Result<Order, Refusal> {
        let order = resolve(&self.model, team, action)?;
        // Indicators are never taken back: a team that does not hold them now
        // cannot hold them when the share applies unless they arrive this very
        // tick, so the player hears it at once instead of an outcome later.
        if let Order::Share { incident: Some(i), .. } = order
            && !self.exercise().teams[team as usize].indicators.contains_key(&i)
        {
            let id = &self.model.scenario.incidents[i as usize].id;
            return Err(Refusal::new(
                "indicators_not_held",
                format!("your team holds no indicators of {id:?}: share text instead, or investigate first"),
            ));
        }
        Ok(order)
    }

    /// Stable index of the team with this id.
    pub fn team_index(&self, id: &str) -> Option<u32> {
        self.model.scenario.teams.iter().position(|t| t.id == id).map(|i| i as u32)
    }

    /// The exercise state: incidents, teams, reports, objectives, messages.
    pub fn exercise(&self) -> &Exercise {
        &self.world.resource::<ExerciseState>().0
    }

    /// The state hash of the last computed tick.
    pub fn state_hash(&self) -> blake3::Hash {
        self.world.resource::<StateHash>().hash
    }

    /// The format of `state_hash`.
    pub fn hash_version(&self) -> HashVersion {
        self.world.resource::<StateHash>().hasher.version()
    }

    /// The state hash of the current state computed from scratch, without the
    /// v2 chunk cache: always equal to `state_hash` (tests check it).
    pub fn state_hash_from_scratch(&self) -> blake3::Hash {
        state_hash_from_scratch(&self.world)
    }

    /// People served nationally at the last computed tick.
    pub fn national_service(&self) -> u64 {
        self.world.resource::<ServiceMetrics>().national
    }

    /// People served per sector (sector stable order) at the last computed tick.
    pub fn sector_service(&self) -> &[u64] {
        &self.world.resource::<ServiceMetrics>().per_sector
    }

    /// Per-asset levels (stable order), per mille.
    pub fn levels(&self) -> &[u16] {
        &self.world.resource::<AssetStates>().level
    }

    /// Per-asset physical integrity (what each plant allows), per mille.
    pub fn physical(&self) -> &[u16] {
        &self.world.resource::<AssetStates>().physical
    }

    /// Per-asset cyber integrity (what attackers left), per mille.
    pub fn cyber(&self) -> &[u16] {
        &self.world.resource::<AssetStates>().cyber
    }

    /// Per-asset integrity (stable order), per mille.
    pub fn integrity(&self) -> &[u16] {
        &self.world.resource::<AssetStates>().integrity
    }

    /// Per-asset caps (stable order), per mille.
    pub fn caps(&self) -> &[u16] {
        &self.world.resource::<AssetStates>().cap
    }

    /// Outage counters in dependency stable order.
    pub fn outages(&self) -> Vec<u32> {
        let cascade = self.world.resource::<Cascade>();
        let since = cascade.propagation.since_by_row();
        let tick = self.tick();
        let mut out = vec![0; since.len()];
        for (row, &since) in since.iter().enumerate() {
            out[cascade.graph.stable_index_of_row(row) as usize] = Propagation::counter(since, tick);
        }
        out
    }

    /// A copy of the state after the last computed tick: restoring it later
    /// (into this simulation or another of the same model) continues exactly
    /// as this one would, hash for hash.
    pub fn snapshot(&self) -> Snapshot {
        let w = &self.world;
        Snapshot {
            model: Arc::clone(&self.model),
            clock: *w.resource::<Clock>(),
            assets: w.resource::<AssetStates>().clone(),
            outage_since: w.resource::<Cascade>().propagation.since_by_row().to_vec(),
            randomness: w.resource::<Randomness>().clone(),
            metrics: w.resource::<ServiceMetrics>().clone(),
            exercise: w.resource::<ExerciseState>().clone(),
            hash: w.resource::<StateHash>().hash,
            version: w.resource::<StateHash>().hasher.version(),
        }
    }

    /// Puts the simulation back to `snapshot`'s tick. The snapshot must come
    /// from a simulation of this same model (the same `Arc`): anything else is
    /// a programming error.
    pub fn restore(&mut self, snapshot: &Snapshot) {
        assert!(Arc::ptr_eq(&self.model, &snapshot.model), "a snapshot restores only into a simulation of its model");
        assert_eq!(self.hash_version(), snapshot.version, "a snapshot restores only into a simulation hashing alike");
        let w = &mut self.world;
        *w.resource_mut::<Clock>() = snapshot.clock;
        let mut assets = w.resource_mut::<AssetStates>();
        assets.clone_from(&snapshot.assets);
        assets.written.everything();
        w.resource_mut::<Cascade>().propagation.restore(&snapshot.outage_since);
        w.resource_mut::<Randomness>().clone_from(&snapshot.randomness);
        w.resource_mut::<ServiceMetrics>().clone_from(&snapshot.metrics);
        w.resource_mut::<ExerciseState>().clone_from(&snapshot.exercise);
        // The v2 cache is kept: it holds a copy of the last hashed state and
        // the digests of exactly that copy, so the next tick compares the
        // restored arrays with it and re-hashes the chunks that differ — the
        // same hash as from scratch, at the cost of what the restore changed.
        w.resource_mut::<StateHash>().hash = snapshot.hash;
        let mut queue = w.resource_mut::<CommandQueue>();
        queue.commands.clear();
        queue.outcomes.clear();
    }

    /// Read access to the world, for views and tests.
    pub fn world(&self) -> &World {
        &self.world
    }
}
