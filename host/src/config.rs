//! What a host is asked to run and the limits it keeps: the library's side of
//! `cascade serve`'s and `cascade exercise`'s options (the binary parses them).

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use cascade_engine::wire::MAX_CLIENT_FRAME_BYTES;

/// The speeds a clock may run at, in ticks per second.
pub const SPEEDS: RangeInclusive<f64> = 0.01..=1000.0;

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
    /// Ticks per second once running; `None`: 1, or for `Source::Resume` and
    /// `Source::Branch` the last speed the director set in the journal.
    pub speed: Option<f64>,
    pub limits: Limits,
    /// Serve https/wss with this certificate.
    pub tls: Option<Tls>,
    /// The address players reach, for the join kit's links
    /// (`http(s)://HOST[:PORT]`); `None`: the address listened on.
    pub public_url: Option<String>,
}

/// Where the host's certificate comes from.
#[derive(Debug, Clone)]
pub enum Tls {
    /// PEM files: the certificate chain and its private key.
    Files { cert: PathBuf, key: PathBuf },
    /// Made by the host for the exercise network, kept in `<journal>.tls/`.
    SelfSigned,
}

impl Config {
    /// A host for `source` on `addr` with every other setting at its default.
    pub fn new(source: Source, addr: impl Into<String>) -> Config {
        Config {
            source,
            addr: addr.into(),
            journal: None,
            tokens_out: None,
            speed: None,
            limits: Limits::default(),
            tls: None,
            public_url: None,
        }
    }
}

/// The limits every connection is held to.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time a connection has, from the TCP accept, to complete the websocket
    /// upgrade and say hello with a valid token.
    pub hello_timeout: Duration,
    /// Silence after which a welcomed client counts as gone.
    pub idle_timeout: Duration,
    /// Commands per second (a burst of as many is allowed).
    pub commands_per_second: u32,
    pub max_frame_bytes: usize,
    /// Most simultaneous joined connections (a valid hello made).
    pub max_connections: usize,
    /// Most joined connections holding one team's token.
    pub max_connections_per_team: usize,
    /// Most connections waiting to join (not yet a valid hello), in all...
    pub max_waiting: usize,
    /// ...and from one address (an IPv6 /64 counts as one).
    pub max_waiting_per_address: usize,
}

/// Joined connections by default: 40-odd teams with a few analysts each, the
/// director and observers fit many times over; a load of 4,000 was measured
/// (docs/performance.md).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// Joined connections of one team, by default: a team's analysts on a few
/// laptops each, and its bot, fit many times over.
pub const DEFAULT_MAX_CONNECTIONS_PER_TEAM: usize = 64;
/// Connections waiting to join, by default: far more than the hellos a crowd
/// reconnecting at once has in flight.
pub const DEFAULT_MAX_WAITING: usize = 1024;
/// Connections waiting to join from one address, by default: a crisis room
/// behind one NAT reconnecting at once fits.
pub const DEFAULT_MAX_WAITING_PER_ADDRESS: usize = 128;

impl Default for Limits {
    fn default() -> Self {
        Self {
            hello_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(30),
            commands_per_second: 20,
            max_frame_bytes: MAX_CLIENT_FRAME_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_team: DEFAULT_MAX_CONNECTIONS_PER_TEAM,
            max_waiting: DEFAULT_MAX_WAITING,
            max_waiting_per_address: DEFAULT_MAX_WAITING_PER_ADDRESS,
        }
    }
}
