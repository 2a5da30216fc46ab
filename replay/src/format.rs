//! The lines of a journal (DESIGN §7, exact). JSON Lines: the header first, then
//! command lines and one checkpoint per tick, in order.

use serde::{Deserialize, Serialize};

/// The journal format this code writes and reads.
pub const FORMAT: u32 = 1;

/// The `team` of director commands.
pub const DIRECTOR: &str = "director";

/// Line 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: u32,
    /// Version of the engine that wrote the journal.
    pub engine: String,
    /// The scenario as loaded (MSEL rows included), as RON.
    pub scenario: String,
    /// blake3 of `scenario`, 64 lowercase hex characters.
    pub scenario_blake3: String,
    /// The seed as a decimal string (JSON numbers lose precision above 2^53).
    pub seed: String,
    /// When the exercise started, RFC 3339.
    pub started_at: String,
}

impl Header {
    pub fn new(scenario_ron: String, seed: u64, started_at: String) -> Self {
        Self {
            format: FORMAT,
            engine: env!("CARGO_PKG_VERSION").to_string(),
            scenario_blake3: blake3::hash(scenario_ron.as_bytes()).to_hex().to_string(),
            scenario: scenario_ron,
            seed: seed.to_string(),
            started_at,
        }
    }
}

/// An accepted command, stamped for `tick`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandLine {
    pub tick: u64,
    /// A team id, or `director`.
    pub team: String,
    /// The id the client picked (kept across reconnects).
    pub client: String,
    pub seq: u64,
    /// The command as sent (`{"action": …}`).
    pub command: serde_json::Value,
}

/// The state hash after tick `checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointLine {
    pub checkpoint: u64,
    pub hash: String,
}

/// A line after the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Entry {
    Command(CommandLine),
    Checkpoint(CheckpointLine),
}
