//! The state hash of DESIGN §2: blake3 over everything that can influence a
//! future tick, in one of two formats (docs/model.md, *The state hash*, lists
//! both byte by byte; change code and page together, and only with a new
//! journal format).
//!
//! - [`HashVersion::V1`] (`v1`): one encoding of the whole state, rebuilt and
//!   hashed every tick. Journals of format 1 and 2 hold these hashes, so it is
//!   kept to verify them.
//! - [`HashVersion::V2`] (`v2`, journals of format 3): the per-asset and
//!   per-dependency arrays are cut into chunks of [`v2::CHUNK`] elements, each
//!   hashed on its own; a shadow copy of what was hashed finds the chunks that
//!   changed since, so a tick re-hashes only those, and its cost follows what
//!   changed rather than the size of the country.
//!
//! Both are pure functions of the state: the v2 cache only saves work, and
//! `StateHasher::hash_from_scratch` is the reference it must always equal.

pub mod v1;
pub mod v2;

use crate::cascade::CascadeGraph;
use crate::exercise::Exercise;
use crate::rng::{Purpose, RngStreams};

/// Tag of the randomness section (both formats).
pub const SECTION_RNG: u8 = 0x01;

/// Which state hash a simulation computes. A journal's format decides it
/// (formats 1 and 2: `V1`; format 3: `V2`); new simulations use `V2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum HashVersion {
    /// One encoding of the whole state per tick (journal formats 1 and 2).
    V1,
    /// Chunked arrays, re-hashed only where they changed (journal format 3).
    #[default]
    V2,
}

/// The state being hashed, borrowed from the world's resources.
pub struct StateView<'a> {
    pub tick: u64,
    pub integrity: &'a [u16],
    pub physical: &'a [u16],
    pub cyber: &'a [u16],
    pub level: &'a [u16],
    pub cap: &'a [u16],
    pub graph: &'a CascadeGraph,
    /// Per row of the graph, the tick its outage began (0: supplied); the
    /// counter of DESIGN §3 is `tick - since + 1` (`Propagation::counter`).
    pub outage_since_by_row: &'a [u32],
    pub rng: &'a RngStreams,
    pub exercise: &'a Exercise,
    /// What was written since the last hash, if the writers marked it
    /// (`v2::Written`); `None`: compare everything.
    pub written: Option<&'a v2::Written>,
}

/// Section `0x01`: the seed (u64), the number of streams (u8), then per stream
/// in `Purpose::ALL` order its word position (u128). The seed is hashed because
/// it decides every future draw: two states with equal stream positions but
/// different seeds do not evolve alike.
pub(crate) fn encode_rng(rng: &RngStreams, out: &mut Vec<u8>) {
    out.push(SECTION_RNG);
    out.extend_from_slice(&rng.seed().to_le_bytes());
    out.push(Purpose::ALL.len() as u8);
    for purpose in Purpose::ALL {
        out.extend_from_slice(&rng.word_position(purpose).to_le_bytes());
    }
}

/// Computes the state hash of one version, keeping what makes the next one
/// cheap: the v1 encoding buffer (its capacity), or the v2 chunk cache.
#[derive(Debug, Clone)]
pub struct StateHasher {
    version: HashVersion,
    scratch: Vec<u8>,
    cache: v2::Cache,
}

impl StateHasher {
    pub fn new(version: HashVersion) -> Self {
        Self { version, scratch: Vec::new(), cache: v2::Cache::default() }
    }

    pub fn version(&self) -> HashVersion {
        self.version
    }

    /// The hash of `state`. For v2 only the chunks that differ from the last
    /// hashed state are re-hashed: whatever state that was (an earlier tick, a
    /// restored snapshot's), the cache holds a copy of it and the digests of
    /// exactly that copy, so the result never depends on the cache.
    pub fn hash(&mut self, state: &StateView) -> blake3::Hash {
        match self.version {
            HashVersion::V1 => v1::state_hash(state, &mut self.scratch),
            HashVersion::V2 => self.cache.state_hash(state),
        }
    }

    /// The hash of `state` computed with a fresh cache: what `hash` must
    /// always return (tests and checks compare the two).
    pub fn hash_from_scratch(&self, state: &StateView) -> blake3::Hash {
        Self::new(self.version).hash(state)
    }

    /// Forgets the v2 cache: the next hash re-hashes every chunk.
    pub fn invalidate(&mut self) {
        self.cache = v2::Cache::default();
    }
}
