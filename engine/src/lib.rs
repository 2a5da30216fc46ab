//! cascade-engine: Cascade's deterministic simulation.
//!
//! It owns the scenario format (RON, serde) and its validation, the bevy_ecs world
//! and the tick schedule, the cascade rule, the random streams and the state hash.
//! Given the same scenario, seed and commands it computes the same states on every
//! machine, in debug and release.
//!
//! It must never: use floats in simulation state, read a wall clock, spawn threads
//! or tasks while simulating (no tokio), touch a terminal, or do any I/O other
//! than reading a scenario file (`load`). Loading alone uses a second thread, to
//! read a file (or a journal's stored scenario) ahead of its parser and to resolve dependencies beside links; its
//! result is the one-thread result exactly (tested). Hosting, journals and
//! screens live in other crates.
//!
//! Code map: `scenario` (file types) → `load` (bytes to model, errors with
//! positions) → `validate` (semantic checks) → `model` (resolved indices) →
//! `world` (ECS, schedule, systems) → `simulation` (the API). The rule itself is in
//! `cascade`, randomness in `rng`, the hash encoding in `hash`, labels in `clock`.

pub mod cascade;
pub mod clock;
pub mod damage;
pub mod exercise;
pub mod hash;
pub mod lint;
pub mod load;
pub mod model;
pub mod msel;
pub mod rng;
pub mod scenario;
pub mod simulation;
pub mod synthetic;
pub mod validate;
pub mod view;
pub mod wire;
pub mod world;

pub use load::{LoadError, load_model, parse_model};
pub use model::Model;
pub use scenario::Scenario;
pub use simulation::{Simulation, Snapshot};
