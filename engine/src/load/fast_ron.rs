//! A fast reader for the plain RON a scenario is nearly always written in.
//!
//! The ron crate reads about 40 MB of scenario a second here; a country of a
//! million assets is 480 MB of it, and parsing was most of its 17-second load.
//! This reader takes the common subset of RON — structs with or without their
//! name, lists, enums, `Some`/`None` and implicit `Some`, decimal integers,
//! booleans, strings with the usual escapes (the ron crate writes `\'`), `//` comments — straight from the
//! bytes, borrowing strings where it can.
//!
//! It never decides what a file means on its own: whatever it does not take in
//! exactly the way the ron crate (with the loader's options) does, it gives up
//! on, and the loader parses the file with the ron crate instead, which either
//! reads it or reports the error with its line and column. So a file is read
//! the same way whichever path reads it; the tests hold the two to the same
//! value on every shipped scenario, generated countries, and thousands of
//! random corruptions of a scenario's text.
//!
//! Given up on (left to the ron crate): `#![enable(..)]` attributes, block
//! comments, raw strings and identifiers, escapes other than `\" \' \\ \n \r \t`,
//! control characters inside strings, numbers that are not plain decimals
//! (hex, `_`, a leading `+` or zero, floats), maps, tuples, characters, bytes,
//! non-ASCII outside strings, any serde error (an unknown field, say), and
//! nesting deeper than `MAX_DEPTH`.

use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};

/// Whatever is too deep for the ron crate must be given up on here first. The
/// ron crate counts up to four of its levels for one of ours (a struct
/// variant: the enum, the variant and the field's value; an implicit `Some`
/// one more), against the loader's limit of 64; a scenario needs about 7.
const MAX_DEPTH: usize = 15;

/// `text` read as a `T`, or `None` when it is not in the subset this reader
/// takes (then the ron crate decides).
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    let mut parser = Parser { text, bytes: text.as_bytes(), pos: 0, depth: 0 };
    let value = T::deserialize(&mut parser).ok()?;
    parser.skip_ws().ok()?;
    (parser.pos == parser.bytes.len()).then_some(value)
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

/// Positions in `text` always sit at an ASCII byte (a delimiter, or the end),
/// so slicing it between two of them never splits a character.
struct Parser<'de> {
    text: &'de str,
    bytes: &'de [u8],
    pos: usize,
    depth: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'de> Parser<'de> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Spaces, tabs, line breaks and `//` comments.
    fn skip_ws(&mut self) -> Result<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\n' | b'\r' | b'\t') => self.pos += 1,
                Some(b'/') => match self.bytes.get(self.pos + 1) {
                    Some(b'/') => match self.bytes[self.pos..].iter().position(|&b| b == b'\n') {
                        Some(end) => self.pos += end + 1,
                        None => self.pos = self.bytes.len(),
                    },
                    _ => return Err(GiveUp),
                },
                _ => return Ok(()),
            }
        }
    }

    fn expect(&mut self, byte: u8) -> Result<()> {
        self.skip_ws()?;
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// An ASCII identifier, after any whitespace.
    fn ident(&mut self) -> Result<&'de str> {
        self.skip_ws()?;
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return Err(GiveUp);
        }
        while self.peek().is_some_and(is_ident_continue) {
            self.pos += 1;
        }
        // `r#raw` identifiers and non-ASCII (Unicode) identifiers are the ron crate's.
        if self.peek().is_some_and(|b| b == b'#' || !b.is_ascii()) {
            return Err(GiveUp);
        }
        Ok(&self.text[start..self.pos])
    }

    /// The identifier at the cursor and the position after it, without
    /// consuming it (`self.pos = end` does).
    fn peek_ident(&mut self) -> Result<Option<(&'de str, usize)>> {
        self.skip_ws()?;
        if !self.peek().is_some_and(is_ident_start) {
            return Ok(None);
        }
        let start = self.pos;
        let ident = self.ident()?;
        let end = std::mem::replace(&mut self.pos, start);
        Ok(Some((ident, end)))
    }

    /// A string: borrowed when it has no escape.
    fn string(&mut self) -> Result<Text<'de>> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            let b = *self.bytes.get(self.pos).ok_or(GiveUp)?;
            match b {
                b'"' => {
                    let tail = &self.text[run..self.pos];
                    self.pos += 1;
                    return Ok(match owned {
                        None => Text::Borrowed(tail),
                        Some(mut text) => {
                            text.push_str(tail);
                            Text::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(&self.text[run..self.pos]);
                    let escaped = match self.bytes.get(self.pos + 1) {
                        Some(b'"') => '"',
                        Some(b'\'') => '\'',
                        Some(b'\\') => '\\',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        _ => return Err(GiveUp),
                    };
                    text.push(escaped);
                    self.pos += 2;
                    run = self.pos;
                }
                0..0x20 | 0x7f => return Err(GiveUp),
                _ => self.pos += 1,
            }
        }
    }

    /// A plain decimal: digits, no sign, no leading zero, no `_`, no fraction.
    fn unsigned(&mut self) -> Result<u64> {
        self.skip_ws()?;
        let start = self.pos;
        let mut value: u64 = 0;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            value = value.checked_mul(10).and_then(|v| v.checked_add(u64::from(b - b'0'))).ok_or(GiveUp)?;
            self.pos += 1;
        }
        let digits = self.pos - start;
        let leading_zero = digits > 1 && self.bytes[start] == b'0';
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

enum Text<'de> {
    Borrowed(&'de str),
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

impl<'de> de::Deserializer<'de> for &mut Parser<'de> {
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
        match self.string()? {
            Text::Borrowed(text) => visitor.visit_borrowed_str(text),
            Text::Owned(text) => visitor.visit_string(text),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    /// `None`, `Some(value)`, or (the loader enables implicit `Some`) the value itself.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek_ident()? {
            Some(("None", end)) => {
                self.pos = end;
                visitor.visit_none()
            }
            Some(("Some", end)) => {
                self.pos = end;
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
        if let Some((written, end)) = self.peek_ident()? {
            if written != name {
                return Err(GiveUp);
            }
            self.pos = end;
        }
        self.fields(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let variant = self.ident()?;
        visitor.visit_enum(Variant { parser: self, variant })
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.ident()?)
    }
}

impl<'de> Parser<'de> {
    /// `(field: value, ..)`.
    fn fields<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
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
struct Elements<'a, 'de> {
    parser: &'a mut Parser<'de>,
    close: u8,
    first: bool,
}

impl<'de> Elements<'_, 'de> {
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

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if !self.more()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.parser).map(Some)
    }
}

/// `field: value` pairs up to `)`.
struct Fields<'a, 'de> {
    parser: &'a mut Parser<'de>,
    first: bool,
}

impl<'de> de::MapAccess<'de> for Fields<'_, 'de> {
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

struct Variant<'a, 'de> {
    parser: &'a mut Parser<'de>,
    variant: &'de str,
}

impl<'a, 'de> de::EnumAccess<'de> for Variant<'a, 'de> {
    type Error = GiveUp;
    type Variant = &'a mut Parser<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self::Variant)> {
        let name: StrDeserializer<GiveUp> = self.variant.into_deserializer();
        Ok((seed.deserialize(name)?, self.parser))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Parser<'de> {
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
