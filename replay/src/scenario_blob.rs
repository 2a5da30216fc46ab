//! The scenario as journal format 2 stores it: the RON text's UTF-8 bytes,
//! zlib-compressed (RFC 1950: a DEFLATE stream with its 2-byte header and
//! Adler-32 trailer), then base64 (RFC 4648 standard alphabet, `=` padding, no
//! line breaks); beside it the text's length and the blake3 of the text itself.
//! This is the only place that encodes or decodes it; everything else gets the
//! RON text from `Journal::scenario`.
//!
//! It must never inflate more than the declared length (at most the engine's
//! scenario size limit) into memory, whatever the stream says: a journal is
//! untrusted input, and a few KiB of DEFLATE can expand to gigabytes. It must
//! never accept a text whose blake3 differs from the header's.

use std::io::{Read, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cascade_engine::load::MAX_SCENARIO_BYTES;
use cascade_engine::scenario::Scenario;
use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;

/// The zlib level writers use. On the 100,000-asset synthetic country (47 MB
/// of compact RON) level 1 compresses in 0.10 s to a 10.7 MB header, level 6
/// in 0.39 s to 6.3 MB and level 9 in 0.97 s to 5.9 MB (docs/performance.md,
/// *Journal header*): the header is written before the first tick of every
/// run and exercise, so four times the speed is worth the larger blob, which
/// is still an eighth of a format-1 header.
pub const LEVEL: u32 = 1;

/// The scenario encoded for a format-2 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// base64 of the zlib stream.
    pub base64: String,
    /// Length of the RON text in bytes (before compression).
    pub bytes: u64,
    /// blake3 of the RON text, 64 lowercase hex characters.
    pub blake3: String,
}

/// Why a stored scenario was refused. Each message says what is wrong; the
/// reader prefixes the file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    #[error("the scenario is {bytes} bytes as stored, over the {} MiB limit for a scenario", limit >> 20)]
    TooLarge { bytes: u64, limit: u64 },
    #[error("scenario_zlib is {len} base64 characters, more than a {} MiB scenario can compress to", limit >> 20)]
    CompressedTooLarge { len: usize, limit: u64 },
    #[error("scenario_zlib is not valid base64: {0}")]
    Base64(String),
    #[error("scenario_zlib is not a valid zlib stream: {0}")]
    Zlib(String),
    #[error("scenario_zlib inflates to more than scenario_bytes ({declared})")]
    LongerThanDeclared { declared: u64 },
    #[error("scenario_zlib inflates to {actual} bytes, not scenario_bytes ({declared})")]
    ShorterThanDeclared { actual: u64, declared: u64 },
    #[error("scenario_zlib has {0} bytes after the end of its zlib stream")]
    TrailingBytes(u64),
    #[error("the scenario is not valid UTF-8 (byte {0})")]
    Utf8(usize),
    #[error("the scenario does not match its scenario_blake3")]
    Blake3,
}

/// blake3 of the scenario text, as the header stores it.
pub fn digest(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// Compresses `text` for a format-2 header. A text over the engine's scenario
/// size limit is refused here, so that no writer makes a journal its readers
/// would refuse.
pub fn encode(text: &str) -> Result<Encoded, BlobError> {
    encode_with(text, MAX_SCENARIO_BYTES, LEVEL)
}

/// [`encode`] with the limit and zlib level as parameters (tests, the header
/// measurement example).
pub fn encode_with(text: &str, limit: u64, level: u32) -> Result<Encoded, BlobError> {
    let bytes = text.len() as u64;
    if bytes > limit {
        return Err(BlobError::TooLarge { bytes, limit });
    }
    let mut zlib = ZlibEncoder::new(Vec::with_capacity(text.len() / 4), Compression::new(level.min(9)));
    // Writing into a Vec cannot fail: the only error would be running out of
    // memory, which aborts rather than returning.
    zlib.write_all(text.as_bytes()).expect("compressing into memory");
    let compressed = zlib.finish().expect("compressing into memory");
    Ok(Encoded { base64: STANDARD.encode(compressed), bytes, blake3: digest(text) })
}

/// [`encode`] of the scenario's compact RON text (`load::to_ron_compact`),
/// which is written straight into the compressor and the digest and never held
/// whole: at a million assets that text is 330 MB, and holding it beside the
/// model made `run --journal` peak 340 MB above `run`.
pub fn encode_scenario(scenario: &Scenario) -> Result<Encoded, BlobError> {
    encode_scenario_with(scenario, MAX_SCENARIO_BYTES, LEVEL)
}

/// [`encode_scenario`] with the limit and zlib level as parameters (tests).
pub fn encode_scenario_with(scenario: &Scenario, limit: u64, level: u32) -> Result<Encoded, BlobError> {
    let new_tee = || Tee {
        zlib: ZlibEncoder::new(Vec::new(), Compression::new(level.min(9))),
        blake3: blake3::Hasher::new(),
        block: Vec::with_capacity(BLOCK),
        bytes: 0,
        limit,
    };
    const FAILS: &str =
        "a scenario always serialises (strings, integers, lists, enums) and compressing into memory cannot fail";
    let mut tee = new_tee();
    // The writers write in small pieces; the buffer hands them over in larger ones.
    let mut out = std::io::BufWriter::with_capacity(BLOCK, &mut tee);
    let written = cascade_engine::load::write_ron_compact(&mut out, scenario).expect(FAILS);
    out.flush().expect(FAILS);
    drop(out);
    if !written {
        // The engine's writer does not take this scenario: all again, by ron.
        tee = new_tee();
        let mut out = std::io::BufWriter::with_capacity(BLOCK, &mut tee);
        cascade_engine::load::write_ron_compact_by_ron(&mut out, scenario).and_then(|()| out.flush()).expect(FAILS);
    }
    tee.pass_block().expect(FAILS);
    if tee.bytes > limit {
        return Err(BlobError::TooLarge { bytes: tee.bytes, limit });
    }
    let compressed = tee.zlib.finish().expect("compressing into memory");
    Ok(Encoded {
        base64: STANDARD.encode(compressed),
        bytes: tee.bytes,
        blake3: tee.blake3.finalize().to_hex().to_string(),
    })
}

/// How much text the encoder is handed at a time. The compressed bytes
/// depend on how the text is cut (zlib-rs at level 1), so it is always cut
/// the same way, whatever pieces the RON writer writes in: the streamed
/// encoding is then the encoding of the whole text (a test checks).
const BLOCK: usize = 1 << 16;

/// Counts the text, and compresses and digests it while it is within the limit
/// (past it, only its length is still wanted, for the error), a block at a time.
struct Tee {
    zlib: ZlibEncoder<Vec<u8>>,
    blake3: blake3::Hasher,
    block: Vec<u8>,
    bytes: u64,
    limit: u64,
}

impl Tee {
    /// Hands the block over to the encoder and the digest.
    fn pass_block(&mut self) -> std::io::Result<()> {
        if self.bytes <= self.limit {
            self.zlib.write_all(&self.block)?;
            self.blake3.update(&self.block);
        }
        self.block.clear();
        Ok(())
    }
}

impl Write for Tee {
    fn write(&mut self, mut piece: &[u8]) -> std::io::Result<usize> {
        let written = piece.len();
        self.bytes += written as u64;
        while !piece.is_empty() {
            let take = piece.len().min(BLOCK - self.block.len());
            self.block.extend_from_slice(&piece[..take]);
            piece = &piece[take..];
            if self.block.len() == BLOCK {
                self.pass_block()?;
            }
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The scenario of a format-2 header inflated as it is read, counted and
/// hashed: for a reader that parses as it goes and never holds the text
/// (`Replay::new`). It never inflates more than one byte past the declared
/// length. [`Inflating::is_the_stored_text`] then says whether what was read
/// is exactly what [`decode`] would have returned; when it is not, `decode`
/// says why.
pub struct Inflating {
    zlib: ZlibDecoder<std::io::Cursor<Vec<u8>>>,
    hasher: blake3::Hasher,
    inflated: u64,
    declared: u64,
}

/// [`Inflating`] over a header's `scenario_zlib`, after [`decode`]'s checks
/// of the declared and compressed sizes and the base64.
pub fn inflating(base64: &str, declared: u64) -> Result<Inflating, BlobError> {
    let compressed = decode_base64(base64, declared, MAX_SCENARIO_BYTES)?;
    let zlib = ZlibDecoder::new(std::io::Cursor::new(compressed));
    Ok(Inflating { zlib, hasher: blake3::Hasher::new(), inflated: 0, declared })
}

impl Read for Inflating {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let room = (self.declared + 1).saturating_sub(self.inflated).min(out.len() as u64) as usize;
        if room == 0 {
            return Err(std::io::Error::other(BlobError::LongerThanDeclared { declared: self.declared }));
        }
        let n = self.zlib.read(&mut out[..room])?;
        self.hasher.update(&out[..n]);
        self.inflated += n as u64;
        Ok(n)
    }
}

impl Inflating {
    /// The stored text whole, decoded again from the start and checked as
    /// [`decode`] checks it (which names what is wrong, if anything is).
    pub fn into_text(self, blake3: &str) -> Result<String, BlobError> {
        let compressed = self.zlib.into_inner().into_inner();
        inflate_checked(&compressed, self.declared, blake3)
    }

    /// Whether what was read is the stored text exactly: the declared
    /// length, the end of the stream with nothing after it, and the digest.
    pub fn is_the_stored_text(&mut self, blake3: &str) -> bool {
        let mut probe = [0u8; 1];
        let ended = matches!(self.zlib.read(&mut probe), Ok(0));
        let nothing_after = self.zlib.total_in() == self.zlib.get_ref().get_ref().len() as u64;
        self.inflated == self.declared && ended && nothing_after && self.hasher.finalize().to_hex().as_str() == blake3
    }
}

/// The scenario text of a format-2 header, checked: base64, zlib, length and
/// blake3, with the engine's scenario size limit.
pub fn decode(base64: &str, declared: u64, blake3: &str) -> Result<String, BlobError> {
    decode_with_limit(base64, declared, blake3, MAX_SCENARIO_BYTES)
}

/// [`decode`] with the size limit as a parameter.
pub fn decode_with_limit(base64: &str, declared: u64, blake3: &str, limit: u64) -> Result<String, BlobError> {
    let compressed = decode_base64(base64, declared, limit)?;
    inflate_checked(&compressed, declared, blake3)
}

/// The text of a zlib stream, checked: its declared length and its blake3.
fn inflate_checked(compressed: &[u8], declared: u64, blake3: &str) -> Result<String, BlobError> {
    let mut out = Vec::new();
    inflate_into(compressed, declared, &mut out)?;
    let text = String::from_utf8(out).map_err(|e| BlobError::Utf8(e.utf8_error().valid_up_to()))?;
    if digest(&text) != blake3 {
        return Err(BlobError::Blake3);
    }
    Ok(text)
}

/// The compressed bytes of `base64`, refused first if the declared text or
/// the stream is too large for `limit`.
fn decode_base64(base64: &str, declared: u64, limit: u64) -> Result<Vec<u8>, BlobError> {
    if declared > limit {
        return Err(BlobError::TooLarge { bytes: declared, limit });
    }
    // Refused before decoding anything: even stored (uncompressed) DEFLATE
    // blocks cost only 5 bytes per 65,535, so a stream of a text within the
    // limit is never much longer than the limit.
    let max_compressed = limit + limit / 1024 + 64;
    if base64.len() as u64 / 4 * 3 > max_compressed {
        return Err(BlobError::CompressedTooLarge { len: base64.len(), limit });
    }
    STANDARD.decode(base64).map_err(|e| BlobError::Base64(e.to_string()))
}

/// Inflates the zlib stream `compressed` into `out`, reading at most one byte
/// more than `declared`: a stream that would inflate further is refused as
/// soon as that byte comes out, so `out` never holds more than `declared + 1`
/// bytes (the caller has checked `declared` against the limit).
pub(crate) fn inflate_into(compressed: &[u8], declared: u64, out: &mut Vec<u8>) -> Result<(), BlobError> {
    // `declared` is within the limit, so reserving it is bounded too.
    out.reserve_exact(usize::try_from(declared).unwrap_or(0).saturating_add(1));
    let mut zlib = ZlibDecoder::new(compressed);
    (&mut zlib).take(declared.saturating_add(1)).read_to_end(out).map_err(|e| BlobError::Zlib(e.to_string()))?;
    let actual = out.len() as u64;
    if actual > declared {
        return Err(BlobError::LongerThanDeclared { declared });
    }
    if actual < declared {
        return Err(BlobError::ShorterThanDeclared { actual, declared });
    }
    // `take` stopped at `declared + 1`: make sure the stream really ends here
    // (a read past it returns nothing) and that nothing follows it.
    let mut probe = [0u8; 1];
    match zlib.read(&mut probe) {
        Ok(0) => {}
        Ok(_) => return Err(BlobError::LongerThanDeclared { declared }),
        Err(e) => return Err(BlobError::Zlib(e.to_string())),
    }
    let trailing = compressed.len() as u64 - zlib.total_in();
    if trailing > 0 {
        return Err(BlobError::TrailingBytes(trailing));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zlib(bytes: &[u8], level: u32) -> Vec<u8> {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::new(level));
        z.write_all(bytes).unwrap();
        z.finish().unwrap()
    }

    /// The streamed encoding is the encoding of the whole text.
    #[test]
    fn a_scenario_streamed_encodes_as_its_text() {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/luxembourg.ron"));
        let model = cascade_engine::load_model(path).unwrap();
        let text = cascade_engine::load::to_ron_compact(&model.scenario);
        assert_eq!(encode_scenario(&model.scenario).unwrap(), encode(&text).unwrap());
        let limit = text.len() as u64 - 1;
        assert_eq!(
            encode_scenario_with(&model.scenario, limit, LEVEL),
            Err(BlobError::TooLarge { bytes: text.len() as u64, limit })
        );
        // A country of a few megabytes: many blocks, the last one short.
        let params = cascade_engine::synthetic::country::Params::new(6_000, 60, 4);
        let country = cascade_engine::synthetic::country::Country::generate(&params).unwrap().to_scenario();
        let text = cascade_engine::load::to_ron_compact(&country);
        assert!(text.len() > 20 * BLOCK, "{} bytes", text.len());
        assert_eq!(encode_scenario(&country).unwrap(), encode(&text).unwrap());
    }

    /// Inflated as it is read, a stored text reads as `decode` returns it,
    /// and is the stored text only with its length, end and digest right.
    #[test]
    fn inflating_reads_the_text_and_knows_whether_it_is_the_stored_one() {
        let text = "Scenario(name: \"é\")".repeat(5_000);
        let blob = encode(&text).unwrap();
        let read_all = |declared: u64| {
            let mut reader = inflating(&blob.base64, declared).unwrap();
            let mut out = Vec::new();
            let result = reader.read_to_end(&mut out);
            (reader, out, result)
        };
        let (mut reader, out, result) = read_all(blob.bytes);
        result.unwrap();
        assert!(out == text.as_bytes());
        assert!(reader.is_the_stored_text(&blob.blake3));
        let (mut reader, ..) = read_all(blob.bytes);
        assert!(!reader.is_the_stored_text(&"0".repeat(64)));
        // The text whole, decoded again, says what is wrong.
        assert_eq!(reader.into_text(&"0".repeat(64)).unwrap_err().to_string(), BlobError::Blake3.to_string());
        // Declared longer than it is: read whole, but not the stored text.
        let (mut reader, out, result) = read_all(blob.bytes + 1);
        result.unwrap();
        assert_eq!(out.len() as u64, blob.bytes);
        assert!(!reader.is_the_stored_text(&blob.blake3));
        // Declared shorter: it stops one byte past the declared length.
        let (mut reader, out, result) = read_all(blob.bytes - 10);
        assert!(result.unwrap_err().to_string().contains("inflates to more than scenario_bytes"));
        assert_eq!(out.len() as u64, blob.bytes - 9);
        assert!(!reader.is_the_stored_text(&blob.blake3));
        // Bytes after the stream.
        let mut compressed = STANDARD.decode(&blob.base64).unwrap();
        compressed.push(0);
        let mut reader = inflating(&STANDARD.encode(&compressed), blob.bytes).unwrap();
        std::io::copy(&mut reader, &mut std::io::sink()).unwrap();
        assert!(!reader.is_the_stored_text(&blob.blake3));
    }

    #[test]
    fn round_trip() {
        let text = "(\n  name: \"Ünïcode – ok\",\n  assets: [],\n)";
        for level in [0, 1, 6, 9] {
            let e = encode_with(text, 1 << 20, level).unwrap();
            assert_eq!(e.bytes, text.len() as u64);
            assert_eq!(e.blake3, digest(text));
            assert!(!e.base64.contains(['\n', '\r', ' ']));
            assert_eq!(decode(&e.base64, e.bytes, &e.blake3).unwrap(), text);
        }
        let empty = encode("").unwrap();
        assert_eq!(decode(&empty.base64, 0, &empty.blake3).unwrap(), "");
    }

    #[test]
    fn the_stream_is_standard_zlib_in_standard_base64() {
        // What any zlib reader (Python's zlib.decompress, zlib-flate) gets.
        let e = encode("()").unwrap();
        let bytes = STANDARD.decode(&e.base64).unwrap();
        assert_eq!(bytes[0] & 0x0f, 8, "CM = 8: DEFLATE");
        assert_eq!(((u16::from(bytes[0]) << 8) | u16::from(bytes[1])) % 31, 0, "FCHECK");
        let mut inflated = String::new();
        ZlibDecoder::new(&bytes[..]).read_to_string(&mut inflated).unwrap();
        assert_eq!(inflated, "()");
    }

    #[test]
    fn a_text_over_the_limit_is_not_written() {
        assert_eq!(encode_with("0123456789", 9, 1), Err(BlobError::TooLarge { bytes: 10, limit: 9 }));
        assert!(encode_with("0123456789", 10, 1).is_ok());
    }

    #[test]
    fn each_refusal_says_what() {
        let text = "(name: \"x\")";
        let e = encode(text).unwrap();
        let bad = |b64: &str, declared: u64, blake3: &str| decode(b64, declared, blake3).unwrap_err().to_string();
        assert!(
            bad("AAA*", 1, &e.blake3).starts_with("scenario_zlib is not valid base64: Invalid symbol 42, offset 3")
        );
        // Valid base64 of bytes that are no zlib stream.
        let junk = STANDARD.encode(b"this is not zlib");
        assert!(
            bad(&junk, 1, &e.blake3).starts_with("scenario_zlib is not a valid zlib stream:"),
            "{}",
            bad(&junk, 1, "")
        );
        // A stream cut short.
        let whole = STANDARD.decode(&e.base64).unwrap();
        let cut = STANDARD.encode(&whole[..whole.len() - 6]);
        assert!(bad(&cut, e.bytes, &e.blake3).starts_with("scenario_zlib is not a valid zlib stream:"));
        // A flipped byte inside: the inflater or Adler-32 catches it.
        let mut flipped = whole.clone();
        flipped[4] ^= 0x55;
        let flipped = STANDARD.encode(&flipped);
        assert!(decode(&flipped, e.bytes, &e.blake3).is_err());
        assert_eq!(
            bad(&e.base64, e.bytes + 1, &e.blake3),
            format!("scenario_zlib inflates to {} bytes, not scenario_bytes ({})", e.bytes, e.bytes + 1)
        );
        assert_eq!(
            bad(&e.base64, e.bytes - 1, &e.blake3),
            format!("scenario_zlib inflates to more than scenario_bytes ({})", e.bytes - 1)
        );
        let mut trailing = whole.clone();
        trailing.extend_from_slice(b"xyz");
        assert_eq!(
            bad(&STANDARD.encode(&trailing), e.bytes, &e.blake3),
            "scenario_zlib has 3 bytes after the end of its zlib stream"
        );
        assert_eq!(bad(&e.base64, e.bytes, &digest("other")), "the scenario does not match its scenario_blake3");
        let latin1 = STANDARD.encode(zlib(b"(name: \"\xe9\")", 6));
        assert_eq!(bad(&latin1, 11, &e.blake3), "the scenario is not valid UTF-8 (byte 8)");
        assert_eq!(
            bad(&e.base64, MAX_SCENARIO_BYTES + 1, &e.blake3),
            format!(
                "the scenario is {} bytes as stored, over the {} MiB limit for a scenario",
                MAX_SCENARIO_BYTES + 1,
                MAX_SCENARIO_BYTES >> 20
            )
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_without_inflating_it() {
        // 64 MiB of spaces compress to about 64 KiB. With a 1 MiB limit the
        // stream passes the check on its compressed length, declares 4,000
        // bytes, and the inflater stops one byte past them.
        let bomb = zlib(&vec![b' '; 64 << 20], 9);
        assert!(bomb.len() < 128 << 10, "{}", bomb.len());
        let b64 = STANDARD.encode(&bomb);
        let limit = 1 << 20;
        assert_eq!(
            decode_with_limit(&b64, 4000, &digest(""), limit),
            Err(BlobError::LongerThanDeclared { declared: 4000 })
        );
        let mut out = Vec::new();
        assert_eq!(inflate_into(&bomb, 4000, &mut out), Err(BlobError::LongerThanDeclared { declared: 4000 }));
        assert_eq!(out.len(), 4001, "inflating stopped one byte past the declared length");
        assert!(out.capacity() < 2 * 4096, "at most the declared length was allocated: {}", out.capacity());
        // Declaring the real length does not help: it is over the limit.
        assert_eq!(
            decode_with_limit(&b64, 64 << 20, &digest(""), limit),
            Err(BlobError::TooLarge { bytes: 64 << 20, limit })
        );
    }

    #[test]
    fn a_blob_longer_than_any_scenario_is_refused_before_decoding() {
        let long = "A".repeat(8192);
        assert_eq!(
            decode_with_limit(&long, 10, &digest(""), 1024),
            Err(BlobError::CompressedTooLarge { len: 8192, limit: 1024 })
        );
    }
}
