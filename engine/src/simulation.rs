//! `Simulation`: the engine's front door. Owns the world and the tick schedule,
//! advances one tick at a time, and reads state out by stable index.

use std::sync::Arc;

use bevy_ecs::schedule::{LogLevel, Schedule};
use bevy_ecs::world::World;

use crate::model::Model;
use crate::world::{
    AssetStates, Cascade, Clock, ServiceMetrics, StateHash, build_tick_schedule, build_world,
};

/// One running simulation of a model with a seed.
pub struct Simulation {
    world: World,
    schedule: Schedule,
    model: Arc<Model>,
}

impl Simulation {
    /// The state of tick 0 for `model` with `seed` (the scenario's seed unless overridden).
    pub fn new(model: Arc<Model>, seed: u64) -> Self {
        let world = build_world(Arc::clone(&model), seed);
        // The systems are chained, so ambiguity checks cannot fail at run time; a
        // test builds the same schedule with LogLevel::Error to prove it.
        let schedule = build_tick_schedule(LogLevel::Ignore);
        Self {
            world,
            schedule,
            model,
        }
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

    /// Computes the next tick. Returns false (and does nothing) once finished.
    pub fn step(&mut self) -> bool {
        if self.is_finished() {
            return false;
        }
        self.schedule.run(&mut self.world);
        true
    }

    /// The state hash of the last computed tick.
    pub fn state_hash(&self) -> blake3::Hash {
        self.world.resource::<StateHash>().hash
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
        let mut out = vec![0; cascade.outage.len()];
        for (row, &value) in cascade.outage.iter().enumerate() {
            out[cascade.graph.stable_index_of_row(row) as usize] = value;
        }
        out
    }

    /// Read access to the world, for views and tests.
    pub fn world(&self) -> &World {
        &self.world
    }
}
