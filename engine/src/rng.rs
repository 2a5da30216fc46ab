//! Random streams, one per purpose, derived from the seed as DESIGN §2 says.
//!
//! Each purpose has its own ChaCha12 stream keyed by
//! `blake3::derive_key("cascade rng v1", seed LE ++ purpose name)`, so adding a
//! purpose never shifts the draws of another. Draws are made by our own small
//! functions on `next_u32`, never by library range sampling whose algorithm may
//! change between versions.

use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng};

/// The purposes, in the fixed order in which the state hash lists them.
/// Append only: the order is part of the hash encoding (docs/model.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Compromise and lateral spread of threats.
    Threats = 0,
    /// Detection of incidents.
    Detection = 1,
    /// Decisions of bot-played teams.
    Bots = 2,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Purpose::Threats, Purpose::Detection, Purpose::Bots];

    /// The name mixed into the stream's key.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Threats => "threats",
            Purpose::Detection => "detection",
            Purpose::Bots => "bots",
        }
    }
}

/// The seed and every purpose's stream.
#[derive(Debug, Clone)]
pub struct RngStreams {
    seed: u64,
    streams: [ChaCha12Rng; Purpose::ALL.len()],
}

impl RngStreams {
    pub fn new(seed: u64) -> Self {
        Self { seed, streams: Purpose::ALL.map(|p| stream(seed, p.name())) }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A per-mille chance: true iff `(next_u32 × 1000) >> 32 < chance`.
    /// `chance` 0 never succeeds, 1000 always does; each call draws exactly once.
    pub fn chance(&mut self, purpose: Purpose, chance: u16) -> bool {
        let draw = u64::from(self.streams[purpose as usize].next_u32());
        (draw * 1000) >> 32 < u64::from(chance)
    }

    /// How many 32-bit words the stream of `purpose` has produced.
    pub fn word_position(&self, purpose: Purpose) -> u128 {
        self.streams[purpose as usize].get_word_pos()
    }
}

/// The stream of `purpose` for `seed`, from its first word.
pub fn stream(seed: u64, purpose: &str) -> ChaCha12Rng {
    let mut material = Vec::with_capacity(8 + purpose.len());
    material.extend_from_slice(&seed.to_le_bytes());
    material.extend_from_slice(purpose.as_bytes());
    ChaCha12Rng::from_seed(blake3::derive_key("cascade rng v1", &material))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_independent_of_each_other() {
        let mut a = RngStreams::new(7);
        let mut b = RngStreams::new(7);
        for _ in 0..100 {
            a.chance(Purpose::Threats, 500);
        }
        let from_a: Vec<bool> = (0..64).map(|_| a.chance(Purpose::Bots, 500)).collect();
        let from_b: Vec<bool> = (0..64).map(|_| b.chance(Purpose::Bots, 500)).collect();
        assert_eq!(from_a, from_b, "draws on one purpose must not shift another");
        assert_eq!(a.word_position(Purpose::Threats), 100);
        assert_eq!(a.word_position(Purpose::Detection), 0);
    }

    #[test]
    fn chance_bounds_and_rate() {
        let mut r = RngStreams::new(1);
        assert!((0..1000).all(|_| !r.chance(Purpose::Threats, 0)));
        assert!((0..1000).all(|_| r.chance(Purpose::Threats, 1000)));
        let hits = (0..100_000).filter(|_| r.chance(Purpose::Threats, 250)).count();
        // 25% of 100k: the standard deviation is about 137; allow 5 of them.
        assert!((24_300..=25_700).contains(&hits), "{hits}");
    }

    #[test]
    fn different_seeds_give_different_streams() {
        let first = |seed| stream(seed, "threats").next_u64();
        assert_ne!(first(1), first(2));
        assert_eq!(first(1), first(1));
    }
}
