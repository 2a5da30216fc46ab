//! Hash format 2 (journals of format 3): the state's big arrays in chunks,
//! each chunk hashed on its own, and a root hash over the chunk digests and
//! the small sections. docs/model.md lists the encoding byte by byte.
//!
//! Why chunks: a 100,000-asset country is about 2.5 MB of hashed state, and
//! hashing all of it every tick cost more than the cascade step itself. Most
//! ticks change a small part of it (a cascade front, a few outage counters, an
//! order's asset), so the cache keeps a copy of every hashed array as it was
//! last hashed; each tick it compares the current arrays with that copy chunk
//! by chunk (slices of integers compare at memcmp speed) and re-hashes only the
//! chunks that differ.
//!
//! The invariant that makes this safe whatever happened in between (a
//! restored snapshot, direct writes in tests): every stored digest is the
//! blake3 of the encoding of the shadow copy's chunk. Updating a chunk's copy
//! and its digest together keeps it, so the root always equals a computation
//! from scratch.

use std::ops::Range;

use super::{StateView, encode_rng};
use crate::cascade::CascadeGraph;

/// Elements per chunk in every chunked section (the last chunk may be
/// shorter). Hashed into the root, so a different size is a different format.
pub const CHUNK: usize = 1024;

/// The first 16 bytes of the root encoding.
pub const DOMAIN: &[u8; 16] = b"cascade state v2";

/// Per asset: integrity, level, cap (u16 each).
pub const SECTION_ASSETS: u8 = 0x10;
/// Per asset: physical, cyber (u16 each).
pub const SECTION_PLANT: u8 = 0x11;
/// Per dependency in stable order: since when it is out (u64, [`outage_since`]).
pub const SECTION_OUTAGES: u8 = 0x12;
/// Per asset: flags (u8: bit 0 isolated, bit 1 hardened), last investigation (u64).
pub const SECTION_RESPONSE: u8 = 0x13;

type Digest = [u8; 32];

/// Past one row in this many marked, `Written` asks for a scan of every row.
const MAX_ROWS_RATIO: usize = 16;

/// The outage rows to compare with the cache's copy.
#[derive(Clone, Copy)]
enum Rows<'a> {
    All,
    /// These rows (row order), each once.
    Only(&'a [u32]),
}

/// How section `0x12` encodes the outage counter `c` of a dependency at
/// `tick`: 0 while it is supplied (`c` = 0), else `tick + 2^32 − c` — the
/// tick its outage began plus `2^32 − 1`, so a counter that advances with the
/// clock (every dependency in a long outage, every tick) leaves its chunk
/// alone. Given the tick, hashed in the root, it is one-to-one with `c` for
/// every tick below `2^64 − 2^32` (a scenario lasts at most
/// `MAX_DURATION_TICKS`, far below).
pub fn outage_since(counter: u32, tick: u64) -> u64 {
    if counter == 0 { 0 } else { tick.wrapping_add(1 << 32).wrapping_sub(u64::from(counter)) }
}

/// The same encoding from the tick the outage began (`since`, 0 while
/// supplied), as the cascade stores it: `since + 2^32 − 1`, which is
/// `outage_since(tick − since + 1, tick)` at every tick of the outage.
pub fn encode_since(since: u32) -> u64 {
    if since == 0 { 0 } else { u64::from(since) + (1 << 32) - 1 }
}

/// The chunks of the state written since the last hash, as the simulation's
/// writers mark them (`Damage`, the orders, the cascade step): with it the
/// hash compares and re-hashes those chunks only, and costs what the tick
/// wrote rather than the size of the country. A chunk marked but unchanged
/// costs a comparison and nothing else; a write left unmarked would leave the
/// hash stale, so debug builds (every test) check each hint against the full
/// comparison. Without a hint, or with `everything`, every chunk is compared.
#[derive(Debug, Clone)]
pub struct Written {
    /// Per chunk of per-asset elements (every per-asset section).
    assets: Vec<bool>,
    /// The dependency rows written (row order), each once; past
    /// `rows_count / MAX_ROWS_RATIO` of them, `all_rows` instead.
    rows: Vec<u32>,
    /// Every row may have been written: compare them all.
    all_rows: bool,
    rows_count: usize,
    /// Anything may have changed (built, restored): compare every chunk.
    everything: bool,
}

impl Written {
    /// For a state of `assets` assets and `rows` dependency rows; everything
    /// is marked.
    pub fn new(assets: usize, rows: usize) -> Self {
        Self {
            assets: vec![false; assets.div_ceil(CHUNK)],
            rows: Vec::new(),
            all_rows: false,
            rows_count: rows,
            everything: true,
        }
    }

    /// Asset `a`'s hashed elements (integrity, level, cap, damage, response) were written.
    #[inline]
    pub fn asset(&mut self, a: usize) {
        self.assets[a / CHUNK] = true;
    }

    /// Row `row` (row order) was written. (A row marked twice is compared
    /// twice; the cascade marks a row at most once a tick.)
    #[inline]
    pub fn row(&mut self, row: u32) {
        if self.all_rows {
            return;
        }
        if self.rows.len() >= self.rows_count / MAX_ROWS_RATIO {
            // So many that one scan of every row is cheaper than the list.
            self.all_rows = true;
            self.rows.clear();
        } else {
            self.rows.push(row);
        }
    }

    /// Anything may have changed.
    pub fn everything(&mut self) {
        self.everything = true;
    }

    /// Forgets the marks: the state was hashed.
    pub fn clear(&mut self) {
        self.assets.iter_mut().for_each(|c| *c = false);
        self.rows.clear();
        self.all_rows = false;
        self.everything = false;
    }

    /// Whether the marks are for chunks of these sizes.
    fn fits(&self, assets: usize, rows: usize) -> bool {
        self.assets.len() == assets.div_ceil(CHUNK) && self.rows_count == rows
    }
}

/// What was hashed last, and the digests of its chunks.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    /// False until the first hash: then every chunk is hashed.
    primed: bool,
    integrity: Vec<u16>,
    level: Vec<u16>,
    cap: Vec<u16>,
    physical: Vec<u16>,
    cyber: Vec<u16>,
    /// When each row's outage began, in row order as the cascade stores it:
    /// compared with the live array to find the rows whose encoding changed.
    outage_rows: Vec<u32>,
    /// Their encodings (`outage_since`) in stable order, as they are hashed.
    outage_stable: Vec<u64>,
    isolated: Vec<bool>,
    hardened: Vec<bool>,
    investigated: Vec<u64>,
    assets: Vec<Digest>,
    plant: Vec<Digest>,
    outages: Vec<Digest>,
    response: Vec<Digest>,
    /// Per stable outage chunk: a row in it changed this tick.
    dirty: Vec<bool>,
    /// Encoding buffers (their capacity is reused: no allocation once warm).
    chunk: Vec<u8>,
    root: Vec<u8>,
}

/// The element ranges of the chunks of an array of `n` elements.
fn chunks(n: usize) -> impl Iterator<Item = Range<usize>> {
    (0..n.div_ceil(CHUNK)).map(move |c| c * CHUNK..((c + 1) * CHUNK).min(n))
}

/// Copies `current` over `shadow` if they differ; true if they did.
fn sync<T: PartialEq + Copy>(current: &[T], shadow: &mut [T]) -> bool {
    if current == shadow {
        return false;
    }
    shadow.copy_from_slice(current);
    true
}

fn finish(buf: &[u8]) -> Digest {
    *blake3::hash(buf).as_bytes()
}

/// A chunk of section `0x10`: per asset integrity, level, cap.
fn digest_assets(buf: &mut Vec<u8>, integrity: &[u16], level: &[u16], cap: &[u16]) -> Digest {
    // Laid out in place rather than pushed element by element: this runs
    // for every chunk a tick changed.
    buf.clear();
    buf.resize(6 * level.len(), 0);
    for (((bytes, i), l), c) in buf.chunks_exact_mut(6).zip(integrity).zip(level).zip(cap) {
        bytes[0..2].copy_from_slice(&i.to_le_bytes());
        bytes[2..4].copy_from_slice(&l.to_le_bytes());
        bytes[4..6].copy_from_slice(&c.to_le_bytes());
    }
    finish(buf)
}

/// A chunk of section `0x11`: per asset physical, cyber.
fn digest_plant(buf: &mut Vec<u8>, physical: &[u16], cyber: &[u16]) -> Digest {
    buf.clear();
    buf.resize(4 * physical.len(), 0);
    for ((bytes, p), c) in buf.chunks_exact_mut(4).zip(physical).zip(cyber) {
        bytes[0..2].copy_from_slice(&p.to_le_bytes());
        bytes[2..4].copy_from_slice(&c.to_le_bytes());
    }
    finish(buf)
}

/// A chunk of section `0x12`: outage encodings in stable order.
fn digest_outages(buf: &mut Vec<u8>, outage: &[u64]) -> Digest {
    buf.clear();
    buf.resize(8 * outage.len(), 0);
    for (bytes, o) in buf.chunks_exact_mut(8).zip(outage) {
        bytes.copy_from_slice(&o.to_le_bytes());
    }
    finish(buf)
}

/// A chunk of section `0x13`: per asset the response flags and last investigation.
fn digest_response(buf: &mut Vec<u8>, isolated: &[bool], hardened: &[bool], investigated: &[u64]) -> Digest {
    buf.clear();
    buf.resize(9 * isolated.len(), 0);
    for (((bytes, &i), &h), at) in buf.chunks_exact_mut(9).zip(isolated).zip(hardened).zip(investigated) {
        bytes[0] = u8::from(i) | (u8::from(h) << 1);
        bytes[1..9].copy_from_slice(&at.to_le_bytes());
    }
    finish(buf)
}

impl Cache {
    /// The v2 hash of `state`, re-hashing the chunks that differ from the
    /// last hashed state (all of them the first time, or if an array's length
    /// changed, which a simulation never does).
    pub fn state_hash(&mut self, state: &StateView) -> blake3::Hash {
        let ex = state.exercise;
        let same_shape = self.primed
            && self.level.len() == state.level.len()
            && self.outage_rows.len() == state.outage_since_by_row.len()
            && self.isolated.len() == ex.isolated.len();
        if same_shape {
            match state.written {
                Some(w) if !w.everything && w.fits(self.level.len(), self.outage_rows.len()) => {
                    let rows = if w.all_rows { Rows::All } else { Rows::Only(&w.rows) };
                    self.update(state, |c| w.assets[c], rows);
                    // Every write must have been marked: nothing may differ now.
                    #[cfg(debug_assertions)]
                    assert!(
                        !self.update(state, |_| true, Rows::All),
                        "a write to the hashed state was not marked in `Written`"
                    );
                }
                _ => {
                    self.update(state, |_| true, Rows::All);
                }
            }
        } else {
            self.prime(state);
        }
        self.root(state)
    }

    /// Copies every array and hashes every chunk.
    fn prime(&mut self, s: &StateView) {
        let ex = s.exercise;
        self.integrity = s.integrity.to_vec();
        self.level = s.level.to_vec();
        self.cap = s.cap.to_vec();
        self.physical = s.physical.to_vec();
        self.cyber = s.cyber.to_vec();
        self.outage_rows = s.outage_since_by_row.to_vec();
        self.outage_stable = vec![0; s.outage_since_by_row.len()];
        for (row, &since) in s.outage_since_by_row.iter().enumerate() {
            self.outage_stable[s.graph.stable_index_of_row(row) as usize] = encode_since(since);
        }
        self.isolated = ex.isolated.clone();
        self.hardened = ex.hardened.clone();
        self.investigated = ex.investigated_at.clone();
        let buf = &mut self.chunk;
        let n = self.level.len();
        self.assets = chunks(n)
            .map(|r| digest_assets(buf, &self.integrity[r.clone()], &self.level[r.clone()], &self.cap[r]))
            .collect();
        self.plant = chunks(n).map(|r| digest_plant(buf, &self.physical[r.clone()], &self.cyber[r])).collect();
        self.outages = chunks(self.outage_stable.len()).map(|r| digest_outages(buf, &self.outage_stable[r])).collect();
        self.response = chunks(self.isolated.len())
            .map(|r| digest_response(buf, &self.isolated[r.clone()], &self.hardened[r.clone()], &self.investigated[r]))
            .collect();
        self.primed = true;
    }

    /// Re-hashes the chunks whose elements differ from the shadow copy,
    /// among the per-asset chunks `assets` names, and the outage rows `rows`
    /// names; true if any did.
    fn update(&mut self, s: &StateView, assets: impl Fn(usize) -> bool, rows: Rows) -> bool {
        let ex = s.exercise;
        let mut any = self.outage_chunks(s.outage_since_by_row, s.graph, rows);
        let buf = &mut self.chunk;
        for (c, r) in chunks(self.level.len()).enumerate() {
            if !assets(c) {
                continue;
            }
            // `|=`, not `||`: every array's copy must be brought up to date.
            let mut changed = sync(&s.integrity[r.clone()], &mut self.integrity[r.clone()]);
            changed |= sync(&s.level[r.clone()], &mut self.level[r.clone()]);
            changed |= sync(&s.cap[r.clone()], &mut self.cap[r.clone()]);
            if changed {
                self.assets[c] = digest_assets(buf, &self.integrity[r.clone()], &self.level[r.clone()], &self.cap[r]);
            }
            any |= changed;
        }
        for (c, r) in chunks(self.physical.len()).enumerate() {
            if !assets(c) {
                continue;
            }
            let mut changed = sync(&s.physical[r.clone()], &mut self.physical[r.clone()]);
            changed |= sync(&s.cyber[r.clone()], &mut self.cyber[r.clone()]);
            if changed {
                self.plant[c] = digest_plant(buf, &self.physical[r.clone()], &self.cyber[r]);
            }
            any |= changed;
        }
        for (c, r) in chunks(self.isolated.len()).enumerate() {
            if !assets(c) {
                continue;
            }
            let mut changed = sync(&ex.isolated[r.clone()], &mut self.isolated[r.clone()]);
            changed |= sync(&ex.hardened[r.clone()], &mut self.hardened[r.clone()]);
            changed |= sync(&ex.investigated_at[r.clone()], &mut self.investigated[r.clone()]);
            if changed {
                self.response[c] =
                    digest_response(buf, &self.isolated[r.clone()], &self.hardened[r.clone()], &self.investigated[r]);
            }
            any |= changed;
        }
        any
    }

    /// The outages live in row order and are hashed in stable order: each
    /// row that differs from its copy (among `rows`) is written into the copy
    /// and the stable copy, and its stable chunk marked for re-hashing. A
    /// row's encoding is a function of when its outage began alone, so an
    /// outage running on changes nothing. True if any row differed.
    fn outage_chunks(&mut self, by_row: &[u32], graph: &CascadeGraph, rows: Rows) -> bool {
        self.dirty.clear();
        self.dirty.resize(self.outages.len(), false);
        let mut any = false;
        let mut sync_row = |row: usize, copy: &mut u32| {
            let current = by_row[row];
            if current != *copy {
                *copy = current;
                let stable = graph.stable_index_of_row(row) as usize;
                self.outage_stable[stable] = encode_since(current);
                self.dirty[stable / CHUNK] = true;
                any = true;
            }
        };
        match rows {
            Rows::Only(rows) => {
                for &row in rows {
                    sync_row(row as usize, &mut self.outage_rows[row as usize]);
                }
            }
            Rows::All => {
                // Chunk by chunk, so that the common case is a memcmp.
                for r in chunks(by_row.len()) {
                    if by_row[r.clone()] != self.outage_rows[r.clone()] {
                        for (row, copy) in r.clone().zip(&mut self.outage_rows[r]) {
                            sync_row(row, copy);
                        }
                    }
                }
            }
        }
        if !any {
            return false;
        }
        for (c, r) in chunks(self.outage_stable.len()).enumerate() {
            if self.dirty[c] {
                self.outages[c] = digest_outages(&mut self.chunk, &self.outage_stable[r]);
            }
        }
        true
    }

    /// The root: domain tag, tick, chunk size, each chunked section's tag,
    /// element count and chunk digests, then the small sections.
    fn root(&mut self, s: &StateView) -> blake3::Hash {
        let out = &mut self.root;
        out.clear();
        out.extend_from_slice(DOMAIN);
        out.extend_from_slice(&s.tick.to_le_bytes());
        out.extend_from_slice(&(CHUNK as u32).to_le_bytes());
        let sections = [
            (SECTION_ASSETS, self.level.len(), &self.assets),
            (SECTION_PLANT, self.physical.len(), &self.plant),
            (SECTION_OUTAGES, self.outage_stable.len(), &self.outages),
            (SECTION_RESPONSE, self.isolated.len(), &self.response),
        ];
        for (tag, count, digests) in sections {
            out.push(tag);
            out.extend_from_slice(&(count as u32).to_le_bytes());
            for digest in digests {
                out.extend_from_slice(digest);
            }
        }
        encode_rng(s.rng, out);
        crate::exercise::hash::encode_small(s.exercise, out);
        blake3::hash(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercise::state::NEVER;

    #[test]
    fn chunks_cover_the_array_once_the_last_one_short() {
        let all: Vec<Range<usize>> = chunks(2 * CHUNK + 5).collect();
        assert_eq!(all, [0..CHUNK, CHUNK..2 * CHUNK, 2 * CHUNK..2 * CHUNK + 5]);
        assert_eq!(chunks(0).count(), 0);
        assert_eq!(chunks(CHUNK).count(), 1);
    }

    #[test]
    fn the_encoding_from_since_is_the_encoding_from_the_counter() {
        for since in [1u32, 2, 7, 1000, 9_999_999] {
            for tick in u64::from(since)..u64::from(since) + 5 {
                let counter = (tick - u64::from(since) + 1) as u32;
                assert_eq!(encode_since(since), outage_since(counter, tick), "since {since}, tick {tick}");
            }
        }
        assert_eq!(encode_since(0), outage_since(0, 12));
    }

    #[test]
    fn an_outage_encodes_when_it_began() {
        assert_eq!(outage_since(0, 7), 0);
        assert_eq!(outage_since(1, 7), 7 + (1 << 32) - 1);
        // An outage running on: the same encoding every tick.
        assert_eq!(outage_since(3, 9), outage_since(1, 7));
        // One-to-one at a given tick, 0 only for no outage.
        let at = |c| outage_since(c, 5);
        assert_ne!(at(u32::MAX), at(0));
        assert_ne!(at(6), at(0));
        assert_ne!(at(7), at(6));
    }

    #[test]
    fn marked_rows_are_listed_until_a_scan_is_cheaper() {
        let rows = 64 * MAX_ROWS_RATIO;
        let mut w = Written::new(10, rows);
        w.clear();
        for row in 0..64 {
            w.row(row);
        }
        assert!(!w.all_rows);
        assert_eq!(w.rows, (0..64).collect::<Vec<u32>>());
        w.row(64);
        assert!(w.all_rows && w.rows.is_empty(), "the 65th of {rows} rows asks for a scan");
        w.row(65);
        assert!(w.all_rows && w.rows.is_empty());
        w.clear();
        assert!(!w.all_rows && w.rows.is_empty());
        assert!(w.fits(10, rows) && !w.fits(10, rows + 1));
    }

    #[test]
    fn sync_copies_only_what_differs() {
        let mut shadow = [1u16, 2, 3];
        assert!(!sync(&[1, 2, 3], &mut shadow));
        assert!(sync(&[1, 9, 3], &mut shadow));
        assert_eq!(shadow, [1, 9, 3]);
    }

    #[test]
    fn chunk_encodings_are_the_documented_bytes() {
        let mut buf = Vec::new();
        let d = digest_assets(&mut buf, &[1, 2], &[3, 4], &[5, 6]);
        assert_eq!(buf, [1, 0, 3, 0, 5, 0, 2, 0, 4, 0, 6, 0]);
        assert_eq!(d, *blake3::hash(&buf).as_bytes());
        digest_plant(&mut buf, &[7], &[8]);
        assert_eq!(buf, [7, 0, 8, 0]);
        digest_outages(&mut buf, &[0x0102_0304]);
        assert_eq!(buf, [4, 3, 2, 1, 0, 0, 0, 0]);
        digest_response(&mut buf, &[true, false], &[true, true], &[2, NEVER]);
        let mut expected = vec![3];
        expected.extend_from_slice(&2u64.to_le_bytes());
        expected.push(2);
        expected.extend_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(buf, expected);
    }
}
