//! The bevy_ecs world and the tick schedule (DESIGN §2).
//!
//! Entities carry the descriptive data of organisations and teams. Assets and
//! dependencies are not entities: a country has up to a million and four
//! million of them, and an entity each (with its id copied) cost about 300 MiB
//! at 1M assets for data the `Model` already holds by stable index. Their state
//! lives in dense resources indexed by stable index — levels, integrity, caps,
//! outages — so the cascade is a walk over flat arrays (and only over what can
//! change: `cascade::Propagation`).
//!
//! The schedule runs single-threaded and totally ordered: one system set per step
//! of the tick order, the sets chained, and the systems inside each set chained.
//! `build_tick_schedule` is the one place that order is written down.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{LogLevel, ScheduleBuildSettings, ScheduleLabel, SingleThreadedExecutor};

use crate::cascade::{CascadeGraph, LevelChange, Propagation};
use crate::damage::Damage;
use crate::exercise::{self, Command, Ctx, Exercise, Outcome};
use crate::hash::v2::Written;
use crate::hash::{HashVersion, StateHasher, StateView};
use crate::model::{Model, ResolvedDisruption};
use crate::rng::RngStreams;
use crate::scenario::{OrganisationKind, PER_MILLE, TeamRole};

// ---- components: descriptive data, one entity per organisation and per team ----

/// Stable index of an organisation (its position in the scenario).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct OrganisationIndex(pub u32);

/// Stable index of a team.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TeamIndex(pub u32);

/// The id an item has in the scenario.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct ScenarioId(pub String);

#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind(pub OrganisationKind);

/// The organisation an asset or a team belongs to, by stable index.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct BelongsTo(pub u32);

#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Role(pub TeamRole);

// ---- resources: the simulation state ----

/// The validated scenario, shared read-only.
#[derive(Resource, Clone)]
pub struct ScenarioModel(pub Arc<Model>);

/// The tick being computed, or last computed once the schedule has run.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub tick: u64,
}

/// Per-asset state, indexed by stable asset index, all per mille.
#[derive(Resource, Debug, Clone)]
pub struct AssetStates {
    /// min(physical, cyber): what the cascade reads (see `damage`).
    pub integrity: Vec<u16>,
    /// What each asset's plant allows (1000 intact).
    pub physical: Vec<u16>,
    /// What attackers left of each asset's systems (1000 intact).
    pub cyber: Vec<u16>,
    pub cap: Vec<u16>,
    pub level: Vec<u16>,
    /// What the tick wrote of the hashed state, marked by the writers and
    /// cleared once hashed: the state hash compares only those chunks.
    pub written: Written,
}

/// The compiled dependency graph and the outages of its rows.
#[derive(Resource, Debug, Clone)]
pub struct Cascade {
    pub graph: CascadeGraph,
    pub propagation: Propagation,
}

#[derive(Resource, Debug, Clone)]
pub struct Randomness(pub RngStreams);

/// Scheduled disruptions, sorted by tick, scenario order kept within a tick.
#[derive(Resource, Debug, Clone)]
pub struct DisruptionPlan(Vec<ResolvedDisruption>);

/// People served (DESIGN §3), nationally and per sector, at the current tick.
#[derive(Resource, Debug, Clone, Default)]
pub struct ServiceMetrics {
    pub national: u64,
    pub per_sector: Vec<u64>,
    /// Per-sector sums of population × level, before the one division by 1000.
    scaled: Vec<u64>,
}

/// The exercise state: incidents, teams, actions, reports, objectives, messages.
#[derive(Resource, Debug, Clone)]
pub struct ExerciseState(pub Exercise);

/// Commands stamped for the tick being computed (journal order), and what
/// became of each once applied.
#[derive(Resource, Debug, Clone, Default)]
pub struct CommandQueue {
    pub commands: Vec<Command>,
    pub outcomes: Vec<Outcome>,
}

/// The state hash of the current tick, and the hasher of the simulation's
/// hash version (which keeps what makes the next tick's hash cheap).
#[derive(Resource, Debug, Clone)]
pub struct StateHash {
    pub hash: blake3::Hash,
    pub hasher: StateHasher,
}

// ---- the schedule ----

/// The schedule that computes one tick.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct TickSchedule;

/// The steps of a tick, in order (DESIGN §2). Later features add their systems to
/// the step they belong to; `build_tick_schedule` chains the steps.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TickStep {
    /// Move the clock to the tick being computed.
    Begin,
    /// 1. Apply the commands stamped for this tick, in journal order.
    ApplyCommands,
    /// 2. Fire injects: scheduled ones, then conditional ones, in scenario order.
    FireInjects,
    /// 3. Advance threats: compromise, lateral spread, impact on integrity.
    AdvanceThreats,
    /// 4. Propagate the cascade from the levels of the previous tick.
    Cascade,
    /// 5. Timed actions, recovery, bot decisions.
    Respond,
    /// 6. Metrics, objectives and the state hash.
    Measure,
}

/// The systems of a tick, in the order they run: what a measurement can time
/// one by one (`Simulation::step_with_phases`). Each is its own system set
/// inside its [`TickStep`]; `build_tick_schedule` chains them in this order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// The clock moves on.
    Clock,
    /// Step 1: the commands and the bots' orders of the previous tick.
    Commands,
    /// Step 2: scheduled disruptions.
    Disruptions,
    /// Step 2: the injects due (scheduled, then conditional), incidents starting.
    Injects,
    /// Step 3: the incidents' spread, impact and unaided detection.
    Threats,
    /// Step 4: the cascade.
    Cascade,
    /// Step 5: timed actions land.
    Orders,
    /// Step 5: the bots decide their next orders.
    Bots,
    /// Step 6: service per sector and nationally.
    Service,
    /// Step 6: reports, deadlines, incidents, objectives, counts.
    Exercise,
    /// Step 6: the state hash.
    Hash,
}

impl Phase {
    /// Every phase, in the order a tick runs them.
    pub const ALL: [Phase; 11] = [
        Phase::Clock,
        Phase::Commands,
        Phase::Disruptions,
        Phase::Injects,
        Phase::Threats,
        Phase::Cascade,
        Phase::Orders,
        Phase::Bots,
        Phase::Service,
        Phase::Exercise,
        Phase::Hash,
    ];

    /// A short lowercase name, as benches print it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Clock => "clock",
            Phase::Commands => "commands",
            Phase::Disruptions => "disruptions",
            Phase::Injects => "injects",
            Phase::Threats => "threats",
            Phase::Cascade => "cascade",
            Phase::Orders => "orders",
            Phase::Bots => "bots",
            Phase::Service => "service",
            Phase::Exercise => "exercise",
            Phase::Hash => "hash",
        }
    }

    /// The step of the tick this phase belongs to.
    pub fn step(self) -> TickStep {
        match self {
            Phase::Clock => TickStep::Begin,
            Phase::Commands => TickStep::ApplyCommands,
            Phase::Disruptions | Phase::Injects => TickStep::FireInjects,
            Phase::Threats => TickStep::AdvanceThreats,
            Phase::Cascade => TickStep::Cascade,
            Phase::Orders | Phase::Bots => TickStep::Respond,
            Phase::Service | Phase::Exercise | Phase::Hash => TickStep::Measure,
        }
    }
}

/// Adds the one system of `phase` to `schedule`, in the phase's set.
fn add_phase(schedule: &mut Schedule, phase: Phase) {
    match phase {
        Phase::Clock => schedule.add_systems(advance_clock.in_set(phase)),
        Phase::Commands => schedule.add_systems(apply_commands.in_set(phase)),
        Phase::Disruptions => schedule.add_systems(fire_scheduled_disruptions.in_set(phase)),
        Phase::Injects => schedule.add_systems(fire_exercise_injects.in_set(phase)),
        Phase::Threats => schedule.add_systems(advance_threats.in_set(phase)),
        Phase::Cascade => schedule.add_systems(propagate_cascade.in_set(phase)),
        Phase::Orders => schedule.add_systems(land_due_orders.in_set(phase)),
        Phase::Bots => schedule.add_systems(decide_bots.in_set(phase)),
        Phase::Service => schedule.add_systems(measure_service.in_set(phase)),
        Phase::Exercise => schedule.add_systems(measure_exercise.in_set(phase)),
        Phase::Hash => schedule.add_systems(compute_state_hash.in_set(phase)),
    };
}

fn single_threaded(label: impl ScheduleLabel, ambiguity: LogLevel) -> Schedule {
    let mut schedule = Schedule::new(label);
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.set_build_settings(ScheduleBuildSettings { ambiguity_detection: ambiguity, ..Default::default() });
    schedule
}

/// Builds the tick schedule: single-threaded, every step and system ordered, and
/// (with `ambiguity` = Error) refusing any pair of conflicting unordered systems.
pub fn build_tick_schedule(ambiguity: LogLevel) -> Schedule {
    let mut schedule = single_threaded(TickSchedule, ambiguity);
    schedule.configure_sets(
        (
            TickStep::Begin,
            TickStep::ApplyCommands,
            TickStep::FireInjects,
            TickStep::AdvanceThreats,
            TickStep::Cascade,
            TickStep::Respond,
            TickStep::Measure,
        )
            .chain(),
    );
    for phase in Phase::ALL {
        schedule.configure_sets(phase.in_set(phase.step()));
        add_phase(&mut schedule, phase);
    }
    for pair in Phase::ALL.windows(2) {
        schedule.configure_sets(pair[1].after(pair[0]));
    }
    schedule
}

/// The schedule of one phase alone.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhaseSchedule(pub Phase);

/// One schedule per phase, in `Phase::ALL` order: run one after the other
/// they compute the same tick as `build_tick_schedule`'s (a test checks), so
/// that each phase can be timed from outside the engine.
pub fn build_phase_schedules() -> Vec<(Phase, Schedule)> {
    Phase::ALL
        .into_iter()
        .map(|phase| {
            let mut schedule = single_threaded(PhaseSchedule(phase), LogLevel::Ignore);
            add_phase(&mut schedule, phase);
            (phase, schedule)
        })
        .collect()
}

fn advance_clock(mut clock: ResMut<Clock>) {
    clock.tick += 1;
}

/// Builds the exercise context over the borrowed resources.
macro_rules! ctx {
    ($model:expr, $clock:expr, $ex:expr, $assets:expr, $rng:expr) => {{
        let assets = &mut *$assets;
        let model = &$model.0;
        Ctx {
            model,
            tick: $clock.tick,
            ex: &mut $ex.0,
            damage: Damage {
                integrity: &mut assets.integrity,
                physical: &mut assets.physical,
                cyber: &mut assets.cyber,
                separate: model.physical_damage,
                written: &mut assets.written,
            },
            cap: &mut assets.cap,
            level: &assets.level,
            rng: &mut $rng.0,
        }
    }};
}

/// Step 1: the commands stamped for this tick in journal order, then the orders
/// the bots decided at the end of the previous tick.
fn apply_commands(
    model: Res<ScenarioModel>,
    clock: Res<Clock>,
    mut ex: ResMut<ExerciseState>,
    mut assets: ResMut<AssetStates>,
    mut rng: ResMut<Randomness>,
    mut queue: ResMut<CommandQueue>,
) {
    let queue = &mut *queue;
    let mut ctx = ctx!(model, clock, ex, assets, rng);
    queue.outcomes.clear();
    for (index, command) in queue.commands.iter().enumerate() {
        let result = if command.team == exercise::command::DIRECTOR_TEAM {
            exercise::command::resolve_director(ctx.model, &command.action)
                .and_then(|order| exercise::orders::apply_director(&mut ctx, &order))
        } else if (command.team as usize) < ctx.model.scenario.teams.len() {
            let origin = command.origin.clone().or_else(|| Some(exercise::actions::Origin::unnamed()));
            match exercise::command::resolve(ctx.model, command.team, &command.action) {
                Ok(order) => exercise::orders::apply(&mut ctx, command.team, &order, origin),
                Err(refusal) => {
                    // Journaled but refused by this engine (an older journal, a
                    // changed scenario): logged with its words as given.
                    let recorded = exercise::actions::RecordedOrder::Unresolved(command.action.clone());
                    let fate = exercise::actions::Fate::Failed(refusal.clone());
                    ctx.ex.teams[command.team as usize].actions.push(ctx.tick, origin, recorded, fate, None);
                    Err(refusal)
                }
            }
        } else {
            Err(exercise::Refusal::new("unknown_team", format!("no team #{}", command.team)))
        };
        queue.outcomes.push(Outcome { index, team: command.team, result });
    }
    for (team, order) in std::mem::take(&mut ctx.ex.bot_orders) {
        if ctx.ex.bot_active(team) {
            // A bot's order the state no longer allows is simply dropped.
            let _ = exercise::orders::apply(&mut ctx, team, &order, None);
        }
    }
}

/// Step 2 (after the scheduled disruptions): incidents starting now, then the
/// MSEL's scheduled and conditional injects.
fn fire_exercise_injects(
    model: Res<ScenarioModel>,
    clock: Res<Clock>,
    mut ex: ResMut<ExerciseState>,
    mut assets: ResMut<AssetStates>,
    mut rng: ResMut<Randomness>,
    metrics: Res<ServiceMetrics>,
) {
    // The metrics are still those of the previous tick's levels, as `ctx.level`.
    exercise::injects::fire_injects(&mut ctx!(model, clock, ex, assets, rng), &metrics.scaled);
}

/// Step 3: spread, impact and unaided detection of incidents.
fn advance_threats(
    model: Res<ScenarioModel>,
    clock: Res<Clock>,
    mut ex: ResMut<ExerciseState>,
    mut assets: ResMut<AssetStates>,
    mut rng: ResMut<Randomness>,
) {
    exercise::threats::advance(&mut ctx!(model, clock, ex, assets, rng));
}

/// Step 5: timed actions land.
fn land_due_orders(
    model: Res<ScenarioModel>,
    clock: Res<Clock>,
    mut ex: ResMut<ExerciseState>,
    mut assets: ResMut<AssetStates>,
    mut rng: ResMut<Randomness>,
) {
    exercise::orders::land_due(&mut ctx!(model, clock, ex, assets, rng));
}

/// Step 5, after the orders landed: the bots decide.
fn decide_bots(
    model: Res<ScenarioModel>,
    clock: Res<Clock>,
    mut ex: ResMut<ExerciseState>,
    mut assets: ResMut<AssetStates>,
    mut rng: ResMut<Randomness>,
) {
    exercise::bots::decide(&mut ctx!(model, clock, ex, assets, rng));
}

/// Step 6 (after service): reports, incidents, objectives, counts.
fn measure_exercise(
    model: Res<ScenarioModel>,
    clock: Res<Clock>,
    mut ex: ResMut<ExerciseState>,
    mut assets: ResMut<AssetStates>,
    mut rng: ResMut<Randomness>,
    metrics: Res<ServiceMetrics>,
) {
    exercise::measure::measure(&mut ctx!(model, clock, ex, assets, rng), &metrics.per_sector);
}

/// Step 2: disruptions scheduled for this tick set physical integrity, in
/// scenario order (the later wins when several hit one asset).
fn fire_scheduled_disruptions(
    model: Res<ScenarioModel>,
    clock: Res<Clock>,
    plan: Res<DisruptionPlan>,
    mut assets: ResMut<AssetStates>,
) {
    let first = plan.0.partition_point(|d| d.tick < clock.tick);
    let mut damage = assets.damage(model.0.physical_damage);
    for d in plan.0[first..].iter().take_while(|d| d.tick == clock.tick) {
        damage.set_physical(d.asset as usize, d.integrity);
    }
}

/// Step 4: the cascade rule, over the assets whose inputs changed.
fn propagate_cascade(clock: Res<Clock>, mut assets: ResMut<AssetStates>, mut cascade: ResMut<Cascade>) {
    let assets = &mut *assets;
    let cascade = &mut *cascade;
    let propagation = &mut cascade.propagation;
    propagation.step(&cascade.graph, clock.tick, &assets.integrity, &assets.cap, &mut assets.level);
    // For the state hash: the levels and the outage rows that changed.
    for change in propagation.changes() {
        assets.written.asset(change.asset as usize);
    }
    for &row in propagation.rows_changed() {
        assets.written.row(row);
    }
}

/// Service after the cascade: the sums move by the levels that changed.
fn measure_service(model: Res<ScenarioModel>, cascade: Res<Cascade>, mut metrics: ResMut<ServiceMetrics>) {
    metrics.apply(&model.0, cascade.propagation.changes());
}

/// Service at tick 0, summed over every asset.
fn measure_service_from_scratch(
    model: Res<ScenarioModel>,
    assets: Res<AssetStates>,
    mut metrics: ResMut<ServiceMetrics>,
) {
    metrics.measure(&model.0, &assets.level);
}

fn compute_state_hash(
    clock: Res<Clock>,
    mut assets: ResMut<AssetStates>,
    cascade: Res<Cascade>,
    randomness: Res<Randomness>,
    ex: Res<ExerciseState>,
    mut hash: ResMut<StateHash>,
) {
    let hash = &mut *hash;
    let mut view = state_view(&clock, &assets, &cascade, &randomness, &ex);
    view.written = Some(&assets.written);
    hash.hash = hash.hasher.hash(&view);
    assets.written.clear();
}

/// What the state hash covers, borrowed from the world's resources.
pub(crate) fn state_view<'a>(
    clock: &Clock,
    assets: &'a AssetStates,
    cascade: &'a Cascade,
    randomness: &'a Randomness,
    ex: &'a ExerciseState,
) -> StateView<'a> {
    StateView {
        tick: clock.tick,
        integrity: &assets.integrity,
        physical: &assets.physical,
        cyber: &assets.cyber,
        level: &assets.level,
        cap: &assets.cap,
        graph: &cascade.graph,
        outage_since_by_row: cascade.propagation.since_by_row(),
        rng: &randomness.0,
        exercise: &ex.0,
        written: None,
    }
}

/// The state hash of `world` as it stands, computed from scratch (no cache):
/// what the incremental hash must equal.
pub fn state_hash_from_scratch(world: &World) -> blake3::Hash {
    let view = state_view(
        world.resource::<Clock>(),
        world.resource::<AssetStates>(),
        world.resource::<Cascade>(),
        world.resource::<Randomness>(),
        world.resource::<ExerciseState>(),
    );
    world.resource::<StateHash>().hasher.hash_from_scratch(&view)
}

impl AssetStates {
    /// The damage arrays, for writing through the rules of `damage`.
    pub fn damage(&mut self, separate: bool) -> Damage<'_> {
        Damage {
            integrity: &mut self.integrity,
            physical: &mut self.physical,
            cyber: &mut self.cyber,
            separate,
            written: &mut self.written,
        }
    }
}

impl ServiceMetrics {
    /// National service = Σ population × level / 1000, divided once at the end;
    /// per sector likewise (DESIGN §3).
    fn measure(&mut self, model: &Model, level: &[u16]) {
        self.scaled.iter_mut().for_each(|s| *s = 0);
        for (asset, &lvl) in model.assets.iter().zip(level) {
            self.scaled[asset.sector as usize] += asset.population * u64::from(lvl);
        }
        self.divide();
    }

    /// Moves the sums by the levels that changed: the same numbers as
    /// `measure` over the new levels (integer sums are exact), at the cost
    /// of the changes.
    fn apply(&mut self, model: &Model, changes: &[LevelChange]) {
        if changes.is_empty() {
            return;
        }
        for change in changes {
            let asset = &model.assets[change.asset as usize];
            let scaled = &mut self.scaled[asset.sector as usize];
            // Added before subtracted: the sum holds population × from.
            *scaled = *scaled + asset.population * u64::from(change.to) - asset.population * u64::from(change.from);
        }
        self.divide();
    }

    fn divide(&mut self) {
        let total: u64 = self.scaled.iter().sum();
        self.national = total / u64::from(PER_MILLE);
        for (out, &scaled) in self.per_sector.iter_mut().zip(&self.scaled) {
            *out = scaled / u64::from(PER_MILLE);
        }
    }
}

/// Builds the world of tick 0 for `model` and `seed`: entities, resources, levels
/// = min(integrity, cap), metrics and the state hash of tick 0 (in `hash`'s format).
pub fn build_world(model: Arc<Model>, seed: u64, hash: HashVersion) -> World {
    let mut world = World::new();
    spawn_entities(&mut world, &model);

    let starting: Vec<u16> = model.assets.iter().map(|a| a.integrity).collect();
    let (integrity, physical, cyber) = crate::damage::initial(&starting, model.physical_damage);
    let cap = vec![PER_MILLE as u16; integrity.len()];
    let level: Vec<u16> = integrity.iter().zip(&cap).map(|(&i, &c)| i.min(c)).collect();
    let graph = CascadeGraph::build(&model);
    let propagation = Propagation::new(&graph);
    let mut plan = model.disruptions.clone();
    plan.sort_by_key(|d| d.tick); // stable: scenario order kept within a tick
    let sectors = model.sector_count();

    world.insert_resource(Clock { tick: 0 });
    let written = Written::new(integrity.len(), graph.dependency_count());
    world.insert_resource(AssetStates { integrity, physical, cyber, cap, level, written });
    world.insert_resource(Cascade { graph, propagation });
    world.insert_resource(Randomness(RngStreams::new(seed)));
    world.insert_resource(DisruptionPlan(plan));
    world.insert_resource(ServiceMetrics { national: 0, per_sector: vec![0; sectors], scaled: vec![0; sectors] });
    world.insert_resource(StateHash { hash: blake3::hash(b""), hasher: StateHasher::new(hash) });
    world.insert_resource(ExerciseState(Exercise::new(&model)));
    world.insert_resource(CommandQueue::default());
    world.insert_resource(ScenarioModel(model));

    // Tick 0 runs no step, but is measured and hashed like any other tick.
    let mut tick_zero = Schedule::default();
    tick_zero.set_executor(SingleThreadedExecutor::new());
    tick_zero.add_systems((measure_service_from_scratch, measure_exercise, compute_state_hash).chain());
    tick_zero.run(&mut world);
    world
}

fn spawn_entities(world: &mut World, model: &Model) {
    let s = &model.scenario;
    for (i, org) in s.organisations.iter().enumerate() {
        world.spawn((OrganisationIndex(i as u32), ScenarioId(org.id.clone()), Kind(org.kind)));
    }
    for (i, (team, &organisation)) in s.teams.iter().zip(&model.team_organisation).enumerate() {
        world.spawn((TeamIndex(i as u32), ScenarioId(team.id.clone()), BelongsTo(organisation), Role(team.role)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_model;

    fn tutorial_world() -> World {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/tutorial.ron"));
        let model = parse_model(&std::fs::read(path).unwrap(), path).unwrap();
        build_world(Arc::new(model), 1, HashVersion::V2)
    }

    #[test]
    fn the_tick_schedule_has_no_ambiguity() {
        let mut world = tutorial_world();
        let mut schedule = build_tick_schedule(LogLevel::Error);
        schedule.initialize(&mut world).expect("every pair of conflicting systems is ordered");
        schedule.run(&mut world);
        assert_eq!(world.resource::<Clock>().tick, 1);
    }

    /// The control: the same detection rejects two unordered writers of one resource,
    /// so the test above could fail.
    #[test]
    fn ambiguity_detection_catches_unordered_writers() {
        let mut world = tutorial_world();
        let mut schedule = build_tick_schedule(LogLevel::Error);
        schedule.add_systems(
            (|mut c: ResMut<Clock>| c.tick += 0, |mut c: ResMut<Clock>| c.tick += 0).in_set(TickStep::Respond),
        );
        assert!(schedule.initialize(&mut world).is_err());
    }

    #[test]
    fn entities_mirror_the_scenario_items() {
        let mut world = tutorial_world();
        let mut organisations: Vec<(u32, String)> = world
            .query::<(&OrganisationIndex, &ScenarioId)>()
            .iter(&world)
            .map(|(i, id)| (i.0, id.0.clone()))
            .collect();
        organisations.sort();
        let ids: Vec<&str> = organisations.iter().map(|(_, id)| id.as_str()).collect();
        let model = world.resource::<ScenarioModel>().0.clone();
        let declared: Vec<&str> = model.scenario.organisations.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, declared);
        assert_eq!(world.query::<&Role>().iter(&world).count(), 3);
        assert_eq!(world.query::<&Kind>().iter(&world).count(), 6);
    }
}
