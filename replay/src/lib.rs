//! cascade-replay: the exercise journal (DESIGN §7) — its format, the writer
//! (append, fdatasync before acknowledging), the reader (a torn last line is
//! tolerated) and re-simulation that checks every checkpoint hash.
//!
//! It must never: decide anything the engine decides (it feeds recorded commands
//! to `cascade_engine::Simulation` and compares), open sockets, or draw on a
//! terminal. docs/journal.md documents the format.

pub mod format;
pub mod notes;
pub mod player;
pub mod reader;
pub mod replay;
pub mod report;
pub mod scenario_blob;
pub mod writer;

pub use format::{CheckpointLine, CommandLine, DIRECTOR, FORMAT, Header};
pub use player::Player;
pub use reader::{Journal, JournalError, read_journal};
pub use replay::{Replay, ReplayError};
pub use writer::JournalWriter;
