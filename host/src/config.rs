//! What a host is asked to run and the limits it keeps: the library's side of
//! `cascade serve`'s and `cascade exercise`'s options (the binary parses them).

use std::path::PathBuf;
use std::time::Duration;

use cascade_engine::wire::MAX_CLIENT_FRAME_BYTES;

/// Where the exercise comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A new exercise of a scenario file; `bots` as `--bots` (`None`: `all`),
    /// `seed` overriding the scenario's.
    Scenario { file: PathBuf, bots: Option<String>, seed: Option<u64> },
    /// A crashed exercise, continued from its own journal.
    Resume { journal: PathBuf },
    /// A new exercise from the state of a recording at one of its checkpoints.
    Branch { journal: PathBuf, at: u64 },
}

/// Everything a host needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: Source,
    /// `HOST:PORT` to listen on (port 0 picks a free one).
    pub addr: String,
    /// The journal to write (not with `Source::Resume`, which appends to its
    /// own); `None`: `journals/<name>-<UTC time>.jsonl`.
    pub journal: Option<PathBuf>,
    /// Where to write the tokens again (mode 0600), besides beside the journal.
    pub tokens_out: Option<PathBuf>,
    /// Ticks per second once running; `None`: 1.
    pub speed: Option<f64>,
    pub limits: Limits,
}

impl Config {
    /// A host for `source` on `addr` with every other setting at its default.
    pub fn new(source: Source, addr: impl Into<String>) -> Config {
        Config { source, addr: addr.into(), journal: None, tokens_out: None, speed: None, limits: Limits::default() }
    }
}

/// The limits every connection is held to.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time a connection has to say hello.
    pub hello_timeout: Duration,
    /// Silence after which a welcomed client counts as gone.
    pub idle_timeout: Duration,
    /// Commands per second (a burst of as many is allowed).
    pub commands_per_second: u32,
    pub max_frame_bytes: usize,
    /// Most simultaneous connections.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            hello_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            commands_per_second: 20,
            max_frame_bytes: MAX_CLIENT_FRAME_BYTES,
            max_connections: 256,
        }
    }
}
