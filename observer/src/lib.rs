//! cascade-observer: the terminal screens (director console, replay viewer,
//! player client) and their websocket client side.
//!
//! The websocket client (`client`: hello, frames as events, commands with
//! sequence numbers, reconnection); the player client `cascade play` (`app`
//! state and keys, `ui` drawing, `command` line parsing and completion, `play`
//! the terminal loop); `cascade bot` (`bot`: a policy that sees only its team's
//! view); the director console `cascade observe` (`director` state and keys,
//! `director_ui` drawing, `observe` the terminal loop; `cascade exercise` runs
//! it against an in-process host); and the same console on a recording,
//! `cascade replay` (`replay_state` its extra state and keys, `replay_console`
//! the loop, which seeks a `cascade_replay::Player`).
//!
//! It must never: compute simulation state itself (it renders views the engine
//! computed, live from a host or from the replay crate's player), or write
//! journals.

pub mod app;
pub mod bot;
pub mod client;
pub mod command;
pub mod dependency_graph;
pub mod director;
pub mod director_ui;
pub mod indicator_export;
pub mod inputs;
pub mod keymap;
pub mod live_events;
pub mod observe;
pub mod play;
pub mod replay_console;
pub mod replay_state;
pub mod tls;
pub mod ui;

#[cfg(test)]
mod testing;
