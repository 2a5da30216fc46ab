//! cascade-observer: the terminal screens (director console, replay viewer,
//! player client) and their websocket client side.
//!
//! Built so far: the websocket client (`client`: hello, frames as events,
//! commands with sequence numbers, reconnection), the player client
//! `cascade play` (`app` state and keys, `ui` drawing, `command` line parsing and
//! completion, `play` the terminal loop) and `cascade bot` (`bot`: a policy that
//! sees only its team's view), and the director console `cascade observe`
//! (`director` state and keys, `director_ui` drawing, `observe` the terminal
//! loop; `cascade exercise` runs it against an in-process host). The replay
//! viewer is still to come.
//!
//! It must never: compute simulation state (it renders views the engine computed)
//! or write journals.

pub mod app;
pub mod bot;
pub mod client;
pub mod command;
pub mod director;
pub mod director_ui;
pub mod inputs;
pub mod observe;
pub mod play;
pub mod ui;

#[cfg(test)]
mod testing;
