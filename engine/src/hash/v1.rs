//! Hash format 1 (journals of format 1 and 2): blake3 over one fixed byte
//! encoding of the whole state, rebuilt every tick. Kept so that those journals
//! still verify; docs/model.md lists the encoding byte by byte. Never change it.
//!
//! Encoding, all integers little-endian:
//! 1. tick: u64;
//! 2. per asset in stable order: integrity, level, cap (u16 each);
//! 3. per dependency in stable order: its outage counter (u32);
//! 4. section `0x01` (randomness): the seed (u64), the number of streams (u8), then
//!    per stream in `Purpose::ALL` order its word position (u128).
//!
//! The seed is hashed because it decides every future draw: two states with equal
//! stream positions but different seeds do not evolve alike.
//! 5. the exercise sections, tags `0x02`..=`0x0C` (`exercise::hash`);
//! 6. section `0x0D` (physical damage), only when some asset's plant is damaged:
//!    the count, then per such asset its index (u32), physical and cyber (u16).

use super::{StateView, encode_rng};
use crate::cascade::Propagation;

/// Tag of the physical damage section, last, present only with damage.
pub const SECTION_PHYSICAL: u8 = 0x0D;

/// Writes the encoding of `state` into `out` (cleared first; its capacity is
/// reused, so hashing allocates nothing once warm).
pub fn encode(state: &StateView, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&state.tick.to_le_bytes());
    for a in 0..state.level.len() {
        out.extend_from_slice(&state.integrity[a].to_le_bytes());
        out.extend_from_slice(&state.level[a].to_le_bytes());
        out.extend_from_slice(&state.cap[a].to_le_bytes());
    }
    // Outage counters are stored in row order; the hash wants stable order.
    let start = out.len();
    out.resize(start + 4 * state.outage_since_by_row.len(), 0);
    for (row, &since) in state.outage_since_by_row.iter().enumerate() {
        let at = start + 4 * state.graph.stable_index_of_row(row) as usize;
        out[at..at + 4].copy_from_slice(&Propagation::counter(since, state.tick).to_le_bytes());
    }
    encode_rng(state.rng, out);
    crate::exercise::hash::encode(state.exercise, out);
    // Physical damage: absent while every plant is intact (then `cyber` equals
    // the integrity hashed above), so states without any — and journals written
    // before it existed — hash as they did.
    let damaged = state.physical.iter().filter(|&&p| p < 1000).count();
    if damaged > 0 {
        out.push(SECTION_PHYSICAL);
        out.extend_from_slice(&(damaged as u32).to_le_bytes());
        for (a, (&physical, &cyber)) in state.physical.iter().zip(state.cyber).enumerate() {
            if physical < 1000 {
                out.extend_from_slice(&(a as u32).to_le_bytes());
                out.extend_from_slice(&physical.to_le_bytes());
                out.extend_from_slice(&cyber.to_le_bytes());
            }
        }
    }
}

/// The format-1 state hash of `state`, using `scratch` as the encoding buffer.
pub fn state_hash(state: &StateView, scratch: &mut Vec<u8>) -> blake3::Hash {
    encode(state, scratch);
    blake3::hash(scratch)
}
