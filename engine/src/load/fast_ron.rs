//! A fast reader for the plain RON a scenario is nearly always written in.
//!
//! The ron crate reads about 40 MB of scenario a second here; a country of a
//! million assets is 480 MB of it, and parsing was most of its 17-second load.
//! This reader takes the common subset of RON — structs with or without their
//! name, lists, enums, `Some`/`None` and implicit `Some`, decimal integers,
//! booleans, strings with the usual escapes (the ron crate writes `\'`), `//` comments — straight from the
//! bytes.
//!
//! It reads a file as a stream, a chunk at a time ([`parse_reader`]), so a
//! scenario is never held whole beside what it parses into: at a million
//! assets that was half a gigabyte of text, half the peak memory of a load
//! and a fifth of its time (the kernel handing out and zeroing its pages).
//!
//! It never decides what a file means on its own: whatever it does not take in
//! exactly the way the ron crate (with the loader's options) does, it gives up
//! on, and the loader parses the file with the ron crate instead, which either
//! reads it or reports the error with its line and column. So a file is read
//! the same way whichever path reads it; the tests hold the two to the same
//! value on every shipped scenario, generated countries, and thousands of
//! random corruptions of a scenario's text, read whole and in chunks of every
//! small size.
//!
//! Given up on (left to the ron crate): `#![enable(..)]` attributes, block
//! comments, raw strings and identifiers, escapes other than `\" \' \\ \n \r \t`,
//! control characters inside strings, numbers that are not plain decimals
//! (hex, `_`, a leading `+` or zero, floats), maps, tuples, characters, bytes,
//! non-ASCII outside strings and comments, text that is not UTF-8, any serde
//! error (an unknown field, say), and nesting deeper than `MAX_DEPTH`.

use std::fmt;
use std::io::{self, Read};

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// Whatever is too deep for the ron crate must be given up on here first. The
/// ron crate counts up to four of its levels for one of ours (a struct
/// variant: the enum, the variant and the field's value; an implicit `Some`
/// one more), against the loader's limit of 64; a scenario needs about 7.
const MAX_DEPTH: usize = 15;

/// Bytes read from the source at a time: small enough to stay in the cache
/// between the read and the parse, large enough that the reads cost nothing.
pub(crate) const CHUNK: usize = 256 * 1024;

/// What reading a stream came to.
#[derive(Debug)]
pub(crate) enum Streamed<T> {
    Read(T),
    /// Not in the subset this reader takes: the ron crate decides.
    GiveUp,
    /// The source held more than the limit's bytes.
    TooLarge,
    /// The source could not be read.
    Failed(io::Error),
}

/// `text` read as a `T`, or `None` when it is not in the subset this reader
/// takes (then the ron crate decides).
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    match parse_reader(&mut text.as_bytes(), u64::MAX, CHUNK) {
        Streamed::Read(value) => Some(value),
        _ => None,
    }
}

/// `source` read as a `T`, `chunk` bytes at a time, reading at most `limit`
/// bytes (one more and it is `TooLarge`). After `GiveUp` some of the source
/// has been read: the caller reads it again from the start.
pub(crate) fn parse_reader<T: DeserializeOwned>(source: &mut dyn Read, limit: u64, chunk: usize) -> Streamed<T> {
    let mut parser = Parser {
        source,
        buf: Vec::new(),
        pos: 0,
        mark: 0,
        chunk: chunk.max(1),
        read: 0,
        limit,
        at_end: false,
        stopped: None,
        depth: 0,
    };
    let value = T::deserialize(&mut parser);
    let whole = value.is_ok() && parser.skip_ws().is_ok() && parser.peek().is_none();
    match (parser.stopped.take(), value) {
        (Some(Stop::TooLarge), _) => Streamed::TooLarge,
        (Some(Stop::Failed(e)), _) => Streamed::Failed(e),
        (None, Ok(value)) if whole => Streamed::Read(value),
        _ => Streamed::GiveUp,
    }
}

/// Why the fast path gave up; never shown: the ron crate then reads the file.
#[derive(Debug)]
pub(crate) struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not in the subset of RON the fast reader takes")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        GiveUp
    }
}

type Result<T> = std::result::Result<T, GiveUp>;

/// Why the source stopped before its end.
enum Stop {
    TooLarge,
    Failed(io::Error),
}

/// A window on the source: `buf` holds the bytes read and not yet let go,
/// `pos` is the next byte to read. A refill lets go of everything before
/// `mark`, the start of the token being read, so a token is always whole in
/// `buf` however the chunks fall. Positions are only ever kept in `pos` and
/// `mark` (a refill moves both).
struct Parser<'s> {
    source: &'s mut dyn Read,
    buf: Vec<u8>,
    pos: usize,
    mark: usize,
    chunk: usize,
    /// Bytes read from the source so far, against `limit`.
    read: u64,
    limit: u64,
    at_end: bool,
    /// Set when the source stopped the reading (too large, or an I/O error);
    /// it then reads as ended, and this says why.
    stopped: Option<Stop>,
    depth: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Parser<'_> {
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => Some(b),
            None => self.peek_after_refill(0),
        }
    }

    /// The byte `ahead` places after the cursor.
    #[inline]
    fn peek_at(&mut self, ahead: usize) -> Option<u8> {
        match self.buf.get(self.pos + ahead) {
            Some(&b) => Some(b),
            None => self.peek_after_refill(ahead),
        }
    }

    #[cold]
    fn peek_after_refill(&mut self, ahead: usize) -> Option<u8> {
        while self.buf.len() <= self.pos + ahead {
            if !self.refill() {
                return None;
            }
        }
        Some(self.buf[self.pos + ahead])
    }

    /// Reads the next chunk after what `buf` holds, first letting go of the
    /// bytes before `mark`; false at the end of the source (or when it stopped).
    fn refill(&mut self) -> bool {
        if self.at_end {
            return false;
        }
        debug_assert!(self.mark <= self.pos && self.pos <= self.buf.len());
        self.buf.drain(..self.mark);
        self.pos -= self.mark;
        self.mark = 0;
        // A token longer than a chunk grows the window to hold it (the
        // capacity doubles; only the chunk read into is zeroed, so a long
        // token costs time in proportion to its length). Zeroing that space
        // costs a thousandth of the parse, and keeps the window's length its
        // end, which every read of a byte checks.
        let end = self.buf.len();
        self.buf.resize(end + self.chunk, 0);
        loop {
            match self.source.read(&mut self.buf[end..]) {
                Ok(0) => {
                    self.buf.truncate(end);
                    self.at_end = true;
                    return false;
                }
                Ok(n) => {
                    self.read += n as u64;
                    let within = self.read <= self.limit;
                    self.buf.truncate(if within { end + n } else { end });
                    if !within {
                        self.stop(Stop::TooLarge);
                    }
                    return within;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(end);
                    self.stop(Stop::Failed(e));
                    return false;
                }
            }
        }
    }

    fn stop(&mut self, why: Stop) {
        self.at_end = true;
        self.stopped = Some(why);
    }

    /// Spaces, tabs, line breaks and `//` comments; the next token starts
    /// after them (`mark`). Inlined: it runs before every token.
    #[inline]
    fn skip_ws(&mut self) -> Result<()> {
        loop {
            match self.buf.get(self.pos) {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.pos += 1,
                Some(b'/') | None => return self.skip_ws_across(),
                Some(_) => {
                    self.mark = self.pos;
                    return Ok(());
                }
            }
        }
    }

    /// `skip_ws` where a comment starts or the window ends.
    #[cold]
    fn skip_ws_across(&mut self) -> Result<()> {
        loop {
            self.mark = self.pos;
            match self.peek() {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.pos += 1,
                Some(b'/') => match self.peek_at(1) {
                    Some(b'/') => self.comment()?,
                    _ => return Err(GiveUp),
                },
                _ => return Ok(()),
            }
        }
    }

    /// Moves past the bytes `take` holds for, refilling as needed.
    #[inline]
    fn skip_while(&mut self, take: impl Fn(u8) -> bool) {
        loop {
            match self.buf[self.pos..].iter().position(|&b| !take(b)) {
                Some(n) => {
                    self.pos += n;
                    return;
                }
                None => {
                    self.pos = self.buf.len();
                    if !self.refill() {
                        return;
                    }
                }
            }
        }
    }

    /// A `//` comment at `mark`, through its line break; it must be UTF-8.
    fn comment(&mut self) -> Result<()> {
        loop {
            match self.buf[self.pos..].iter().position(|&b| b == b'\n') {
                Some(at) => {
                    self.pos += at + 1;
                    break;
                }
                None => {
                    // What the window holds of the comment is checked and let
                    // go, but for a character its end cuts in two: a comment
                    // is never held whole.
                    self.pos = self.buf.len();
                    match std::str::from_utf8(&self.buf[self.mark..self.pos]) {
                        Ok(_) => self.mark = self.pos,
                        Err(e) if e.error_len().is_none() => self.mark += e.valid_up_to(),
                        Err(_) => return Err(GiveUp),
                    }
                    if !self.refill() {
                        break;
                    }
                }
            }
        }
        std::str::from_utf8(&self.buf[self.mark..self.pos]).map_err(|_| GiveUp)?;
        Ok(())
    }

    #[inline]
    fn expect(&mut self, byte: u8) -> Result<()> {
        self.skip_ws()?;
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// An ASCII identifier, after any whitespace; it starts at `mark`.
    fn ident(&mut self) -> Result<&str> {
        self.skip_ws()?;
        if !self.peek().is_some_and(is_ident_start) {
            return Err(GiveUp);
        }
        self.skip_while(is_ident_continue);
        // `r#raw` identifiers and non-ASCII (Unicode) identifiers are the ron crate's.
        if self.peek().is_some_and(|b| b == b'#' || !b.is_ascii()) {
            return Err(GiveUp);
        }
        let text = &self.buf[self.mark..self.pos];
        debug_assert!(text.is_ascii());
        // SAFETY: every byte was checked by `is_ident_start` or
        // `is_ident_continue`, which take ASCII only. (Checking again costs a
        // tenth of a parse: a million-asset country has 30 million fields.)
        Ok(unsafe { std::str::from_utf8_unchecked(text) })
    }

    /// The identifier at the cursor and its length, without consuming it
    /// (`self.pos += len` does).
    fn peek_ident(&mut self) -> Result<Option<(&str, usize)>> {
        self.skip_ws()?;
        if !self.peek().is_some_and(is_ident_start) {
            return Ok(None);
        }
        let len = self.ident()?.len();
        self.pos = self.mark;
        let text = &self.buf[self.pos..self.pos + len];
        // SAFETY: as in `ident`, which read these bytes.
        Ok(Some((unsafe { std::str::from_utf8_unchecked(text) }, len)))
    }

    /// A string, handed to `visit` without copying when it has no escape.
    fn string<T>(&mut self, visit: impl FnOnce(Text<'_>) -> Result<T>) -> Result<T> {
        self.expect(b'"')?;
        // The unescaped run being read starts at `mark`.
        self.mark = self.pos;
        let mut owned: Option<String> = None;
        loop {
            self.skip_while(|b| !matches!(b, b'"' | b'\\' | 0..0x20 | 0x7f));
            match self.peek().ok_or(GiveUp)? {
                b'"' => {
                    let tail = run_text(&self.buf[self.mark..self.pos])?;
                    let text = match owned {
                        None => Text::Borrowed(tail),
                        Some(mut text) => {
                            text.push_str(tail);
                            Text::Owned(text)
                        }
                    };
                    let value = visit(text);
                    self.pos += 1;
                    return value;
                }
                b'\\' => {
                    let escaped = match self.peek_at(1) {
                        Some(b'"') => '"',
                        Some(b'\'') => '\'',
                        Some(b'\\') => '\\',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        _ => return Err(GiveUp),
                    };
                    let run = run_text(&self.buf[self.mark..self.pos])?;
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(run);
                    text.push(escaped);
                    self.pos += 2;
                    self.mark = self.pos;
                }
                _ => return Err(GiveUp),
            }
        }
    }

    /// A plain decimal: digits, no sign, no leading zero, no `_`, no fraction.
    fn unsigned(&mut self) -> Result<u64> {
        self.skip_ws()?;
        let mut value: u64 = 0;
        let (mut digits, mut first) = (0, 0);
        while let Some(b @ b'0'..=b'9') = self.peek() {
            value = value.checked_mul(10).and_then(|v| v.checked_add(u64::from(b - b'0'))).ok_or(GiveUp)?;
            if digits == 0 {
                first = b;
            }
            digits += 1;
            self.pos += 1;
        }
        let leading_zero = digits > 1 && first == b'0';
        let run_on = self.peek().is_some_and(|b| is_ident_continue(b) || b == b'.' || !b.is_ascii());
        if digits == 0 || leading_zero || run_on {
            return Err(GiveUp);
        }
        Ok(value)
    }

    fn signed(&mut self) -> Result<i64> {
        self.skip_ws()?;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            // "- 5" and "--5" are the ron crate's to judge.
            if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Err(GiveUp);
            }
            let magnitude = self.unsigned()?;
            0i64.checked_sub_unsigned(magnitude).ok_or(GiveUp)
        } else {
            i64::try_from(self.unsigned()?).map_err(|_| GiveUp)
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(GiveUp) } else { Ok(()) }
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }
}

/// A run of a string's bytes as text, if it is UTF-8. A run ends at an ASCII
/// byte (a quote or a backslash), so it never splits a character.
#[inline]
fn run_text(run: &[u8]) -> Result<&str> {
    if run.is_ascii() {
        // SAFETY: ASCII is UTF-8. (Nearly every run is ASCII, and this check
        // is several times cheaper than `from_utf8` on short text.)
        Ok(unsafe { std::str::from_utf8_unchecked(run) })
    } else {
        std::str::from_utf8(run).map_err(|_| GiveUp)
    }
}

enum Text<'a> {
    Borrowed(&'a str),
    Owned(String),
}

macro_rules! unsigned {
    ($method:ident, $visit:ident, $t:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            visitor.$visit(<$t>::try_from(self.unsigned()?).map_err(|_| GiveUp)?)
        }
    };
}

macro_rules! signed {
    ($method:ident, $visit:ident, $t:ty) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            visitor.$visit(<$t>::try_from(self.signed()?).map_err(|_| GiveUp)?)
        }
    };
}

macro_rules! give_up {
    ($($method:ident),*) => {
        $(fn $method<V: Visitor<'de>>(self, _: V) -> Result<V::Value> {
            Err(GiveUp)
        })*
    };
}

impl<'de> de::Deserializer<'de> for &mut Parser<'_> {
    type Error = GiveUp;

    /// Only what a scenario's self-describing fields hold (a time is a tick
    /// number or a clock string).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_ws()?;
        match self.peek() {
            Some(b'"') => self.deserialize_str(visitor),
            Some(b'0'..=b'9') => visitor.visit_u64(self.unsigned()?),
            _ => Err(GiveUp),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.ident()? {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(GiveUp),
        }
    }

    unsigned!(deserialize_u8, visit_u8, u8);
    unsigned!(deserialize_u16, visit_u16, u16);
    unsigned!(deserialize_u32, visit_u32, u32);
    unsigned!(deserialize_u64, visit_u64, u64);
    signed!(deserialize_i8, visit_i8, i8);
    signed!(deserialize_i16, visit_i16, i16);
    signed!(deserialize_i32, visit_i32, i32);
    signed!(deserialize_i64, visit_i64, i64);

    give_up!(
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_map,
        deserialize_ignored_any
    );

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.string(|text| match text {
            Text::Borrowed(text) => visitor.visit_str(text),
            Text::Owned(text) => visitor.visit_string(text),
        })
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    /// `None`, `Some(value)`, or (the loader enables implicit `Some`) the value itself.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let ahead = match self.peek_ident()? {
            Some(("None", len)) => Some((false, len)),
            Some(("Some", len)) => Some((true, len)),
            _ => None,
        };
        match ahead {
            Some((false, len)) => {
                self.pos += len;
                visitor.visit_none()
            }
            Some((true, len)) => {
                self.pos += len;
                self.within(b'(', b')', |p| visitor.visit_some(p))
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value> {
        Err(GiveUp)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value> {
        Err(GiveUp)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.within(b'[', b']', |p| visitor.visit_seq(Elements { parser: p, close: b']', first: true }))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value> {
        Err(GiveUp)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(self, _: &'static str, _: usize, _: V) -> Result<V::Value> {
        Err(GiveUp)
    }

    /// `(field: value, ..)`, optionally with the struct's own name before it.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let named = match self.peek_ident()? {
            Some((written, _)) if written != name => return Err(GiveUp),
            Some((_, len)) => len,
            None => 0,
        };
        self.pos += named;
        self.fields(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_enum(Variant { parser: self })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_str(self.ident()?)
    }
}

impl Parser<'_> {
    /// `(field: value, ..)`.
    fn fields<'de, V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        self.within(b'(', b')', |p| visitor.visit_map(Fields { parser: p, first: true }))
    }

    /// `inner` between `open` and `close`, one level deeper.
    fn within<T>(&mut self, open: u8, close: u8, inner: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.expect(open)?;
        self.enter()?;
        let value = inner(self)?;
        self.leave();
        self.expect(close)?;
        Ok(value)
    }
}

/// Comma-separated values up to `close`, a trailing comma allowed.
struct Elements<'a, 's> {
    parser: &'a mut Parser<'s>,
    close: u8,
    first: bool,
}

impl Elements<'_, '_> {
    /// Moves past the separator; false at the closing bracket.
    fn more(&mut self) -> Result<bool> {
        let p = &mut *self.parser;
        p.skip_ws()?;
        if p.peek() == Some(self.close) {
            return Ok(false);
        }
        if !std::mem::replace(&mut self.first, false) {
            p.expect(b',')?;
            p.skip_ws()?;
            if p.peek() == Some(self.close) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl<'de> de::SeqAccess<'de> for Elements<'_, '_> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if !self.more()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.parser).map(Some)
    }
}

/// `field: value` pairs up to `)`.
struct Fields<'a, 's> {
    parser: &'a mut Parser<'s>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Fields<'_, '_> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let mut elements = Elements { parser: &mut *self.parser, close: b')', first: self.first };
        let more = elements.more()?;
        self.first = elements.first;
        if !more {
            return Ok(None);
        }
        let name: StrDeserializer<GiveUp> = self.parser.ident()?.into_deserializer();
        let key = seed.deserialize(name)?;
        self.parser.expect(b':')?;
        Ok(Some(key))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.parser)
    }
}

struct Variant<'a, 's> {
    parser: &'a mut Parser<'s>,
}

impl<'a, 'de, 's> de::EnumAccess<'de> for Variant<'a, 's> {
    type Error = GiveUp;
    type Variant = &'a mut Parser<'s>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant)> {
        let name: StrDeserializer<GiveUp> = self.parser.ident()?.into_deserializer();
        let value = seed.deserialize(name)?;
        Ok((value, self.parser))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Parser<'_> {
    type Error = GiveUp;

    fn unit_variant(self) -> Result<()> {
        // `Variant()` and the like are the ron crate's to judge.
        self.skip_ws()?;
        if self.peek() == Some(b'(') { Err(GiveUp) } else { Ok(()) }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        self.within(b'(', b')', |p| seed.deserialize(p))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value> {
        self.within(b'(', b')', |p| visitor.visit_seq(Elements { parser: p, close: b')', first: true }))
    }

    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.fields(visitor)
    }
}

#[cfg(test)]
mod tests;
