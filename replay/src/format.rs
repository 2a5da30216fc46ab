//! The lines of a journal (DESIGN §7, exact). JSON Lines: the header first, then
//! command lines and one checkpoint per tick, in order. docs/journal.md is the
//! byte-for-byte reference.
//!
//! It must never: write a header its own reader would refuse, or hand out a
//! scenario text that was not checked against `scenario_blake3`.

use cascade_engine::hash::HashVersion;
use cascade_engine::scenario::Scenario;
use serde::{Deserialize, Serialize};

use crate::scenario_blob::{self, BlobError};

/// The journal format this code writes: 3, the scenario compressed
/// (`scenario_blob`) and checkpoints holding the v2 state hash (chunked,
/// `cascade_engine::hash::v2`). Formats 1 (the scenario as plain RON) and 2
/// (compressed, like 3) hold v1 hashes; both are still read and verified with
/// the v1 hash, and a resumed journal goes on in its own format.
pub const FORMAT: u32 = 3;

/// The formats this build reads.
pub const KNOWN_FORMATS: [u32; 3] = [1, 2, 3];

/// The state hash a journal of `format` holds in its checkpoints; `None` for
/// a format this build does not read.
pub fn hash_version(format: u32) -> Option<HashVersion> {
    match format {
        1 | 2 => Some(HashVersion::V1),
        3 => Some(HashVersion::V2),
        _ => None,
    }
}

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
    /// Formats 2 and 3: the same RON text, zlib-compressed, in base64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_zlib: Option<String>,
    /// Formats 2 and 3: length of the RON text in bytes, before compression.
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
    /// A header of the current format for `scenario` as loaded, stored as compact RON.
    /// Refused if that text is over the engine's scenario size limit, which
    /// readers enforce.
    pub fn new(scenario: &Scenario, seed: u64, started_at: String) -> Result<Self, BlobError> {
        Ok(Self::with_blob(scenario_blob::encode_scenario(scenario)?, seed, started_at))
    }

    /// A header of the current format storing `scenario_ron` as it is.
    pub fn with_text(scenario_ron: &str, seed: u64, started_at: String) -> Result<Self, BlobError> {
        Ok(Self::with_blob(scenario_blob::encode(scenario_ron)?, seed, started_at))
    }

    fn with_blob(blob: scenario_blob::Encoded, seed: u64, started_at: String) -> Self {
        Self {
            format: FORMAT,
            engine: env!("CARGO_PKG_VERSION").to_string(),
            scenario: None,
            scenario_zlib: Some(blob.base64),
            scenario_bytes: Some(blob.bytes),
            scenario_blake3: blob.blake3,
            seed: seed.to_string(),
            started_at,
        }
    }

    /// Whether it holds its scenario (not let go by `Journal::release_scenario`).
    pub fn holds_scenario(&self) -> bool {
        self.scenario.is_some() || self.scenario_zlib.is_some()
    }

    /// The state hash this journal's checkpoints hold (formats 1 and 2: v1;
    /// 3: v2). The reader refuses other formats, so a read header has one.
    pub fn hash_version(&self) -> HashVersion {
        hash_version(self.format).unwrap_or_default()
    }

    /// The compressed scenario and its declared length, when the header is a
    /// well-formed format 2 or 3 (what [`Header::scenario_text`] decodes).
    pub fn compressed_scenario(&self) -> Option<(&str, u64)> {
        match (self.format, &self.scenario, &self.scenario_zlib, self.scenario_bytes) {
            (2 | 3, None, Some(blob), Some(bytes)) => Some((blob, bytes)),
            _ => None,
        }
    }

    /// The scenario's RON text, checked against `scenario_blake3` (and for
    /// formats 2 and 3 decompressed within the size limit). The reader calls it once;
    /// callers then use `Journal::scenario`.
    pub fn scenario_text(&self) -> Result<String, String> {
        match (self.format, &self.scenario, &self.scenario_zlib, self.scenario_bytes) {
            (1, Some(text), None, None) => {
                if scenario_blob::digest(text) != self.scenario_blake3 {
                    return Err(BlobError::Blake3.to_string());
                }
                Ok(text.clone())
            }
            (2 | 3, None, Some(blob), Some(bytes)) => {
                scenario_blob::decode(blob, bytes, &self.scenario_blake3).map_err(|e| e.to_string())
            }
            (1, ..) => Err("a format-1 header has `scenario`, and neither `scenario_zlib` nor `scenario_bytes`".into()),
            (f @ (2 | 3), ..) => {
                Err(format!("a format-{f} header has `scenario_zlib` and `scenario_bytes`, and no `scenario`"))
            }
            (other, ..) => Err(unsupported(u64::from(other))),
        }
    }

    /// The header of a branch of this journal, whose scenario text is `text`:
    /// the same scenario and seed with a new `started_at`, in the current
    /// format, whose checkpoints hold v2 hashes (a branch of a format-1 or -2
    /// recording recomputes them: `Replay::current_checkpoints`; its header
    /// names this engine, which wrote them). A format-1 scenario is
    /// re-encoded from the very same text, so `scenario_blake3` is unchanged;
    /// one too large to compress within the scenario limit cannot branch.
    pub fn for_branch(&self, text: &str, started_at: String) -> Result<Self, BlobError> {
        let engine = if self.format == FORMAT { self.engine.clone() } else { env!("CARGO_PKG_VERSION").to_string() };
        if self.format == 1 {
            let blob = scenario_blob::encode(text)?;
            return Ok(Self {
                format: FORMAT,
                engine,
                scenario: None,
                scenario_zlib: Some(blob.base64),
                scenario_bytes: Some(blob.bytes),
                scenario_blake3: blob.blake3,
                seed: self.seed.clone(),
                started_at,
            });
        }
        Ok(Self { format: FORMAT, engine, started_at, ..self.clone() })
    }
}

/// The refusal of a format this build does not read.
pub fn unsupported(format: u64) -> String {
    format!("journal format {format} is not supported (this build reads formats 1, 2 and 3)")
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
