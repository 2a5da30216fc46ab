//! cascade-host: the live exercise host behind `cascade serve` and `cascade
//! exercise`. A tokio runtime with three kinds of task: the listener
//! (`server`: accepts, caps connections), one task per connection
//! (`connection`: handshake, frame limits, rate limit, a writer), and the
//! exercise actor (`exercise`) that alone owns the simulation, the journal and
//! the clock. An exercise starts from a scenario, from its own journal after a
//! crash, or from another's at a tick (`start`, `branch`). The same port
//! serves the browser portal over plain HTTP and, with a certificate, TLS
//! (`web`); `join_kit` writes what the organiser hands to the teams.
//!
//! It must never: decide anything about the simulation (every rule is the
//! engine's; the host only journals, steps and sends the views the engine
//! computes), acknowledge a command before its journal line is durable, let one
//! connection stall the tick loop or another connection, or write a token to
//! the journal or the logs. Command-line parsing is the binary's.

mod action_log;
mod admission;
pub mod baseline;
pub mod bots;
pub mod branch;
mod config;
mod connection;
mod exercise;
mod fd_limit;
pub mod frame;
pub mod join_kit;
pub mod load;
mod outbox;
mod private_file;
mod schedule;
mod server;
mod start;
pub mod tokens;
pub mod web;

pub use config::{
    Config, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_TEAM, DEFAULT_MAX_WAITING,
    DEFAULT_MAX_WAITING_PER_ADDRESS, Limits, SPEEDS, Source, Tls,
};
pub use server::{Ready, run_until};
