//! A writer of its own for compact RON: the same bytes as the ron crate's
//! `Options::default()` output, for the part of serde's data model a scenario
//! uses (structs, enums, options, lists, strings, integers, booleans), written
//! straight to an `io::Write`.
//!
//! Why: every journal's header holds the scenario as compact RON, written
//! before the first tick of every run and exercise. At a million assets the
//! ron crate took about two and a half seconds of the header's four, most of
//! it checking every identifier and escaping every string a character at a
//! time through `fmt::Write`.
//!
//! It must never write other bytes than the ron crate would: anything outside
//! that subset (floats, 128-bit integers, chars, bytes, maps, newtype and
//! unit structs, identifiers that are not plain) is refused with
//! [`Error::Unsupported`] — what came before it may have been written — and
//! the caller then writes the whole value again with the ron crate. Tests
//! compare the two byte for byte.

use std::io::Write;

use serde::ser::{self, Serialize};

/// Why the value was not written.
#[derive(Debug)]
pub enum Error {
    /// Outside the subset: write it with the ron crate.
    Unsupported(&'static str),
    Io(std::io::Error),
    /// A `Serialize` implementation's own error.
    Custom(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Unsupported(what) => write!(f, "compact RON writer: {what} is not supported"),
            Error::Io(e) => write!(f, "{e}"),
            Error::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Custom(msg.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

type Result<T = ()> = std::result::Result<T, Error>;

/// Writes `value` as compact RON to `out`. On `Err(Unsupported)` part of it
/// may have been written: start again with the ron crate.
pub fn write(out: &mut impl Write, value: &impl Serialize) -> Result {
    value.serialize(&mut Writer { out, depth: 0 })
}

/// Deeper than the ron crate's own default recursion limit it would refuse.
const MAX_DEPTH: usize = 128;

struct Writer<'a, W: Write> {
    out: &'a mut W,
    depth: usize,
}

impl<W: Write> Writer<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> Result {
        self.out.write_all(bytes).map_err(Error::Io)
    }

    /// A field or variant name, as ron writes one that needs no `r#`.
    fn identifier(&mut self, name: &str) -> Result {
        let mut bytes = name.bytes();
        let plain = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !["true", "false", "Some", "None", "inf", "inff32", "inff64", "NaN", "NaNf32", "NaNf64"].contains(&name);
        if !plain {
            return Err(Error::Unsupported("an identifier that needs r#"));
        }
        self.put(name.as_bytes())
    }

    fn enter(&mut self) -> Result {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(Error::Unsupported("nesting this deep")) } else { Ok(()) }
    }

    fn string(&mut self, v: &str) -> Result {
        self.put(b"\"")?;
        // Runs that need no escaping are copied whole; the rest as ron
        // escapes them (`char::escape_debug`).
        let bytes = v.as_bytes();
        let (mut start, mut i) = (0, 0);
        while i < bytes.len() {
            let b = bytes[i];
            // Printable ASCII but the quotes and the backslash: as it is.
            if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' && b != b'\'' {
                i += 1;
                continue;
            }
            let c = v[i..].chars().next().expect("i is at a character boundary");
            let mut escaped = c.escape_debug();
            if escaped.len() == 1 && escaped.next() == Some(c) {
                i += c.len_utf8();
                continue;
            }
            self.put(&bytes[start..i])?;
            let mut buf = [0u8; 4];
            for e in c.escape_debug() {
                self.put(e.encode_utf8(&mut buf).as_bytes())?;
            }
            i += c.len_utf8();
            start = i;
        }
        self.put(&bytes[start..])?;
        self.put(b"\"")
    }

    fn integer(&mut self, v: impl itoa_like::Integer) -> Result {
        let mut buf = [0u8; 40];
        let text = v.write_into(&mut buf);
        self.put(text)
    }
}

/// Decimal integers without allocation.
mod itoa_like {
    pub trait Integer {
        fn write_into(self, buf: &mut [u8; 40]) -> &[u8];
    }

    macro_rules! unsigned {
        ($($t:ty),*) => {$(
            impl Integer for $t {
                fn write_into(self, buf: &mut [u8; 40]) -> &[u8] {
                    digits(u128::from(self), false, buf)
                }
            }
        )*};
    }
    macro_rules! signed {
        ($($t:ty),*) => {$(
            impl Integer for $t {
                fn write_into(self, buf: &mut [u8; 40]) -> &[u8] {
                    digits(i128::from(self).unsigned_abs(), self < 0, buf)
                }
            }
        )*};
    }
    unsigned!(u8, u16, u32, u64);
    signed!(i8, i16, i32, i64);

    fn digits(mut n: u128, negative: bool, buf: &mut [u8; 40]) -> &[u8] {
        let mut at = buf.len();
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if negative {
            at -= 1;
            buf[at] = b'-';
        }
        &buf[at..]
    }
}

/// A list, tuple or struct being written: its separator state.
struct Compound<'w, 'a, W: Write> {
    w: &'w mut Writer<'a, W>,
    first: bool,
    close: &'static [u8],
}

impl<W: Write> Compound<'_, '_, W> {
    fn separate(&mut self) -> Result {
        if self.first {
            self.first = false;
            Ok(())
        } else {
            self.w.put(b",")
        }
    }

    fn finish(self) -> Result {
        self.w.depth -= 1;
        self.w.put(self.close)
    }
}

impl<'w, 'a, W: Write> ser::Serializer for &'w mut Writer<'a, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w, 'a, W>;
    type SerializeTuple = Compound<'w, 'a, W>;
    type SerializeTupleStruct = Compound<'w, 'a, W>;
    type SerializeTupleVariant = Compound<'w, 'a, W>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = Compound<'w, 'a, W>;
    type SerializeStructVariant = Compound<'w, 'a, W>;

    fn serialize_bool(self, v: bool) -> Result {
        self.put(if v { b"true" } else { b"false" })
    }
    fn serialize_i8(self, v: i8) -> Result {
        self.integer(v)
    }
    fn serialize_i16(self, v: i16) -> Result {
        self.integer(v)
    }
    fn serialize_i32(self, v: i32) -> Result {
        self.integer(v)
    }
    fn serialize_i64(self, v: i64) -> Result {
        self.integer(v)
    }
    fn serialize_u8(self, v: u8) -> Result {
        self.integer(v)
    }
    fn serialize_u16(self, v: u16) -> Result {
        self.integer(v)
    }
    fn serialize_u32(self, v: u32) -> Result {
        self.integer(v)
    }
    fn serialize_u64(self, v: u64) -> Result {
        self.integer(v)
    }
    fn serialize_i128(self, _: i128) -> Result {
        Err(Error::Unsupported("a 128-bit integer"))
    }
    fn serialize_u128(self, _: u128) -> Result {
        Err(Error::Unsupported("a 128-bit integer"))
    }
    fn serialize_f32(self, _: f32) -> Result {
        Err(Error::Unsupported("a float"))
    }
    fn serialize_f64(self, _: f64) -> Result {
        Err(Error::Unsupported("a float"))
    }
    fn serialize_char(self, _: char) -> Result {
        Err(Error::Unsupported("a char"))
    }
    fn serialize_str(self, v: &str) -> Result {
        self.string(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(Error::Unsupported("bytes"))
    }
    fn serialize_none(self) -> Result {
        self.put(b"None")
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        self.enter()?;
        self.put(b"Some(")?;
        value.serialize(&mut *self)?;
        self.depth -= 1;
        self.put(b")")
    }
    fn serialize_unit(self) -> Result {
        self.put(b"()")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        Err(Error::Unsupported("a unit struct"))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.identifier(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, _: &T) -> Result {
        Err(Error::Unsupported("a newtype struct"))
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.identifier(variant)?;
        self.enter()?;
        self.put(b"(")?;
        value.serialize(&mut *self)?;
        self.depth -= 1;
        self.put(b")")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        self.enter()?;
        self.put(b"[")?;
        Ok(Compound { w: self, first: true, close: b"]" })
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        self.enter()?;
        self.put(b"(")?;
        Ok(Compound { w: self, first: true, close: b")" })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
        Err(Error::Unsupported("a tuple struct"))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        self.identifier(variant)?;
        self.enter()?;
        self.put(b"(")?;
        Ok(Compound { w: self, first: true, close: b")" })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Error::Unsupported("a map"))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        self.enter()?;
        self.put(b"(")?;
        Ok(Compound { w: self, first: true, close: b")" })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        self.identifier(variant)?;
        self.enter()?;
        self.put(b"(")?;
        Ok(Compound { w: self, first: true, close: b")" })
    }
}

/// The element-wise compounds (lists, tuples, tuple variants): each element
/// after a comma.
macro_rules! elements {
    ($($kind:ident :: $method:ident),*) => {$(
        impl<W: Write> ser::$kind for Compound<'_, '_, W> {
            type Ok = ();
            type Error = Error;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
                self.separate()?;
                value.serialize(&mut *self.w)
            }
            fn end(self) -> Result {
                self.finish()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// The named compounds (structs, struct variants): each `name:value` after a comma.
macro_rules! fields {
    ($($kind:ident),*) => {$(
        impl<W: Write> ser::$kind for Compound<'_, '_, W> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
                self.separate()?;
                self.w.identifier(key)?;
                self.w.put(b":")?;
                value.serialize(&mut *self.w)
            }
            fn end(self) -> Result {
                self.finish()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests;
