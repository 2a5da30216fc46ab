//! `SmallString`: an immutable string that keeps up to 22 bytes inline.
//!
//! A national scenario names its million assets, three million dependencies and
//! a million links by id, and ids are short ("a123456", "energy"). As `String`s
//! each one was a 24-byte handle plus a heap block of at least 32 bytes; about
//! eight million of them at a million assets. A `SmallString` is the same 24
//! bytes with the text inside, so the parsed scenario is some 350 MiB smaller
//! and parsing allocates once per list instead of once per id. Longer text goes
//! to the heap as a `Box<str>`. It reads as a `str` (`Deref`), prints, compares,
//! orders and hashes as its text, and (de)serialises as a plain string, so the
//! scenario format does not change.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes kept inline: the 24-byte value minus the variant's tag and the length.
const INLINE: usize = 22;

#[derive(Clone)]
pub struct SmallString(Repr);

/// Canonical: text of at most `INLINE` bytes is always `Inline`, so two values
/// of the same text have the same representation.
#[derive(Clone)]
enum Repr {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl SmallString {
    pub fn new(text: &str) -> Self {
        if text.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Self(Repr::Inline { len: text.len() as u8, bytes })
        } else {
            Self(Repr::Heap(text.into()))
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                let bytes = &bytes[..*len as usize];
                debug_assert!(std::str::from_utf8(bytes).is_ok());
                // SAFETY: `new` copies a whole `str` into `bytes[..len]` and
                // nothing writes them after, so they are valid UTF-8. (Checking
                // again on every read was a tenth of loading a 1M country.)
                unsafe { std::str::from_utf8_unchecked(bytes) }
            }
            Repr::Heap(text) => text,
        }
    }
}

impl Default for SmallString {
    fn default() -> Self {
        Self::new("")
    }
}

impl Deref for SmallString {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SmallString {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for SmallString {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for SmallString {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for SmallString {
    fn from(text: String) -> Self {
        Self::new(&text)
    }
}

impl From<&String> for SmallString {
    fn from(text: &String) -> Self {
        Self::new(text)
    }
}

impl From<SmallString> for String {
    fn from(text: SmallString) -> Self {
        text.as_str().to_string()
    }
}

impl fmt::Display for SmallString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for SmallString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for SmallString {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SmallString {}

impl PartialEq<str> for SmallString {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for SmallString {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for SmallString {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<SmallString> for str {
    fn eq(&self, other: &SmallString) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<SmallString> for &str {
    fn eq(&self, other: &SmallString) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<SmallString> for String {
    fn eq(&self, other: &SmallString) -> bool {
        self == other.as_str()
    }
}

impl PartialOrd for SmallString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallString {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// As the text's own hash, so that a `HashMap<SmallString, _>` can be looked up by `&str`.
impl Hash for SmallString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Serialize for SmallString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SmallString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = SmallString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<SmallString, E> {
                Ok(SmallString::new(text))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn is_the_size_of_a_string_handle() {
        assert_eq!(std::mem::size_of::<SmallString>(), 24);
        assert_eq!(std::mem::size_of::<Option<SmallString>>(), 24);
    }

    #[test]
    fn keeps_any_text_and_compares_as_it() {
        let long = "x".repeat(INLINE + 1);
        let texts = ["", "a", "a123456", "énergie-réseau", &"y".repeat(INLINE), &long];
        for text in texts {
            let s = SmallString::new(text);
            assert_eq!(s.as_str(), text);
            assert_eq!(s, SmallString::from(text.to_string()));
            assert_eq!(s.to_string(), text);
            assert_eq!(format!("{s:?}"), format!("{text:?}"));
        }
        assert!(matches!(SmallString::new(&"y".repeat(INLINE)).0, Repr::Inline { .. }));
        assert!(matches!(SmallString::new(&long).0, Repr::Heap(_)));
        let mut sorted: Vec<SmallString> = texts.iter().map(|&t| t.into()).collect();
        sorted.sort();
        let mut expected = texts.to_vec();
        expected.sort();
        assert_eq!(sorted.iter().map(|s| s.as_str()).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn a_map_keyed_by_it_is_looked_up_by_str() {
        let map: HashMap<SmallString, u32> = [("power".into(), 1), ("x".repeat(40).into(), 2)].into_iter().collect();
        assert_eq!(map.get("power"), Some(&1));
        assert_eq!(map.get("x".repeat(40).as_str()), Some(&2));
    }

    #[test]
    fn round_trips_through_ron_as_a_plain_string() {
        let ids: Vec<SmallString> = vec!["a1".into(), "with \"quote\"".into(), "z".repeat(30).into()];
        let text = ron::to_string(&ids).unwrap();
        assert_eq!(text, ron::to_string(&ids.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap());
        let back: Vec<SmallString> = ron::from_str(&text).unwrap();
        assert_eq!(back, ids);
        assert!(ron::from_str::<SmallString>("12").is_err());
    }
}
