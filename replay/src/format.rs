//! The lines of a journal (DESIGN §7, exact). JSON Lines: the header first, then
//! command lines and one checkpoint per tick, in order. docs/journal.md is the
//! byte-for-byte reference.
//!
//! It must never: write a header its own reader would refuse, or hand out a
//! scenario text that was not checked against `scenario_blake3`.

use cascade_engine::load::to_ron_compact;
use cascade_engine::scenario::Scenario;
use serde::{Deserialize, Serialize};

use crate::scenario_blob::{self, BlobError};

/// The journal format this code writes: 2, the scenario compressed
/// (`scenario_blob`). Format 1 (the scenario as plain RON) is still read, and a
/// resumed format-1 journal goes on as one: only the header differs.
pub const FORMAT: u32 = 2;

/// The `team` of director commands.
pub const DIRECTOR: &str = "director";

/// Line 1. Fields are written in this order; those of the other format are
/// absent (not `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: u32,
    /// Version of the engine that wrote the journal.
    pub engine: String,
    /// Format 1 only: the scenario as loaded (MSEL rows included), as RON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    /// Format 2 only: the same RON text, zlib-compressed, in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_zlib: Option<String>,
    /// Format 2 only: length of the RON text in bytes, before compression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_bytes: Option<u64>,
    /// blake3 of the RON text (uncompressed), 64 lowercase hex characters.
    pub scenario_blake3: String,
    /// The seed as a decimal string (JSON numbers lose precision above 2^53).
    pub seed: String,
    /// When the exercise started, RFC 3339.
    pub started_at: String,
}

impl Header {
    /// A format-2 header for `scenario` as loaded, stored as compact RON.
    /// Refused if that text is over the engine's scenario size limit, which
    /// readers enforce.
    pub fn new(scenario: &Scenario, seed: u64, started_at: String) -> Result<Self, BlobError> {
        Self::with_text(&to_ron_compact(scenario), seed, started_at)
    }

    /// A format-2 header storing `scenario_ron` as it is.
    pub fn with_text(scenario_ron: &str, seed: u64, started_at: String) -> Result<Self, BlobError> {
        let blob = scenario_blob::encode(scenario_ron)?;
        Ok(Self {
            format: FORMAT,
            engine: env!("CARGO_PKG_VERSION").to_string(),
            scenario: None,
            scenario_zlib: Some(blob.base64),
            scenario_bytes: Some(blob.bytes),
            scenario_blake3: blob.blake3,
            seed: seed.to_string(),
            started_at,
        })
    }

    /// The scenario's RON text, checked against `scenario_blake3` (and for
    /// format 2 decompressed within the size limit). The reader calls it once;
    /// callers then use `Journal::scenario`.
    pub fn scenario_text(&self) -> Result<String, String> {
        match (self.format, &self.scenario, &self.scenario_zlib, self.scenario_bytes) {
            (1, Some(text), None, None) => {
                if scenario_blob::digest(text) != self.scenario_blake3 {
                    return Err(BlobError::Blake3.to_string());
                }
                Ok(text.clone())
            }
            (2, None, Some(blob), Some(bytes)) => {
                scenario_blob::decode(blob, bytes, &self.scenario_blake3).map_err(|e| e.to_string())
            }
            (1, ..) => Err("a format-1 header has `scenario`, and neither `scenario_zlib` nor `scenario_bytes`".into()),
            (2, ..) => Err("a format-2 header has `scenario_zlib` and `scenario_bytes`, and no `scenario`".into()),
            (other, ..) => Err(unsupported(u64::from(other))),
        }
    }

    /// The header of a branch of this journal, whose scenario text is `text`:
    /// the same fields with a new `started_at`, in format 2. A format-1 header
    /// is re-encoded from the very same text, so `scenario_blake3` is
    /// unchanged; only a format-1 scenario too large for format 2 (possible
    /// for pretty RON near the limit) stays in format 1.
    pub fn for_branch(&self, text: &str, started_at: String) -> Self {
        if self.format == 1
            && let Ok(blob) = scenario_blob::encode(text)
        {
            return Self {
                format: FORMAT,
                engine: self.engine.clone(),
                scenario: None,
                scenario_zlib: Some(blob.base64),
                scenario_bytes: Some(blob.bytes),
                scenario_blake3: blob.blake3,
                seed: self.seed.clone(),
                started_at,
            };
        }
        Self { started_at, ..self.clone() }
    }
}

/// The refusal of a format this build does not read.
pub fn unsupported(format: u64) -> String {
    format!("journal format {format} is not supported (this build reads 1 and 2)")
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
