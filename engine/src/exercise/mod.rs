//! The exercise: incidents, team actions, injects, reporting, objectives, bots
//! (DESIGN §4; docs/model.md explains every rule for scenario designers).
//!
//! Each tick step of DESIGN §2 has a function here that the ECS systems in
//! `world` call with a `Ctx` over the resources they borrow: `apply_commands`
//! (step 1), `fire_injects` (2), `advance_threats` (3), `respond` (5: timed
//! actions and bots), `measure` (6: reports, objectives, metrics).

pub mod actions;
pub mod bots;
pub mod command;
pub mod hash;
pub mod injects;
pub mod measure;
pub mod orders;
pub mod state;
pub mod threats;
pub mod tlp;

use crate::model::Model;
use crate::rng::RngStreams;
pub use command::{Action, Order, Refusal};
pub use state::{Exercise, Status};

/// What an exercise step may touch: the model, the tick, the exercise state, the
/// per-asset arrays and the random streams.
pub struct Ctx<'a> {
    pub model: &'a Model,
    pub tick: u64,
    pub ex: &'a mut Exercise,
    /// Integrity and its two kinds of damage (written through `damage`'s rules).
    pub damage: crate::damage::Damage<'a>,
    pub cap: &'a mut [u16],
    /// Levels as last computed (tick t-1 before step 4, tick t after it).
    pub level: &'a [u16],
    pub rng: &'a mut RngStreams,
}

/// A command stamped for a tick: from a team (by index) in journal order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub team: u32,
    pub action: Action,
    /// The client that gave it (its id and seq), for the team's action log;
    /// `None` where nobody is to be named (tests, tools).
    pub origin: Option<actions::Origin>,
}

/// What became of a command when its tick applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Position of the command in the tick's list.
    pub index: usize,
    pub team: u32,
    pub result: Result<(), Refusal>,
}
