//! The fast reader against the ron crate: whatever the fast reader takes, the
//! ron crate (with the loader's options) reads as the same value.

use std::io::{self, Read};

use super::{Streamed, parse, parse_reader};
use crate::load::ron_options;
use crate::scenario::Scenario;
use crate::synthetic::country::{Country, Params};

/// The ron crate's reading, as the loader does it.
fn by_ron(text: &str) -> Option<Scenario> {
    ron_options().from_str(text).ok()
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../scenarios/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn reads_every_shipped_scenario_as_ron_does() {
    for name in ["tutorial.ron", "luxembourg.ron"] {
        let text = shipped(name);
        let fast = parse::<Scenario>(&text).unwrap_or_else(|| panic!("{name}: the fast reader gave up"));
        assert!(Some(&fast) == by_ron(&text).as_ref(), "{name}: the two readings differ");
    }
}

#[test]
fn reads_generated_countries_and_the_ron_crates_own_output() {
    for (assets, seed) in [(300, 1), (2_000, 7)] {
        let country = Country::generate(&Params::new(assets, 10, seed)).unwrap();
        let mut written = Vec::new();
        country.write_ron(&mut written).unwrap();
        let written = String::from_utf8(written).unwrap();
        let expected = country.to_scenario();
        assert!(parse::<Scenario>(&written).as_ref() == Some(&expected), "gen {assets} seed {seed}");
        assert!(by_ron(&written).as_ref() == Some(&expected));
        // What journals store (compact) and format 1 stored (pretty).
        for text in [crate::load::to_ron_compact(&expected), crate::load::to_ron(&expected)] {
            assert!(parse::<Scenario>(&text).as_ref() == Some(&expected), "gen {assets} seed {seed}, ron's text");
        }
    }
}

/// A scenario file's beginning, for the small cases below.
fn minimal(extra: &str) -> String {
    format!(
        r#"(name: "n", seed: 1, tick_seconds: 60, duration_ticks: 10, start: "2026-01-01T00:00",
            sectors: [], organisations: [], assets: [], dependencies: [] {extra})"#
    )
}

#[test]
fn takes_the_plain_forms_and_gives_up_on_the_rest() {
    let cases: &[(&str, bool)] = &[
        ("", true),
        (", msel: \"x.csv\"", true),
        (", msel: Some(\"x.csv\")", true),
        (", msel: None", true),
        (", description: \"a \\\"quoted\\\" word\\n\\ttab \\\\ é \\'s\"", true),
        ("// a comment\n, population: 12,", true),
        (", population: 012", false),
        (", population: 1_000", false),
        (", population: 0x10", false),
        (", population: +1", false),
        (", population: 18446744073709551616", false),
        (", description: r\"raw\"", false),
        (", description: \"\\u{41}\"", false),
        (", description: \"a\nb\"", false),
        ("/* block */", false),
        (", unknown_field: 1", false),
        (", population: 1, population: 2", false),
    ];
    for &(extra, taken) in cases {
        let text = minimal(extra);
        let fast = parse::<Scenario>(&text);
        assert_eq!(fast.is_some(), taken, "{extra:?}");
        if let Some(fast) = fast {
            assert!(Some(fast) == by_ron(&text), "{extra:?}: the two readings differ");
        }
    }
    assert!(parse::<Scenario>(&format!("Scenario{}", minimal(""))).is_some());
    assert!(parse::<Scenario>(&format!("Scenery{}", minimal(""))).is_none());
    assert!(parse::<Scenario>(&format!("#![enable(implicit_some)]\n{}", minimal(""))).is_none());
    assert!(parse::<Scenario>(&format!("{} trailing", minimal(""))).is_none());
}

/// A small deterministic generator (the tests need no cryptographic stream).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

/// Thousands of corruptions of a real scenario (a character deleted, inserted or
/// replaced, favouring RON's punctuation): whenever the fast reader takes one,
/// the ron crate reads it and to the same value. Both outcomes must occur, or
/// the test would prove nothing.
#[test]
fn whatever_it_takes_ron_reads_the_same() {
    let original = shipped("tutorial.ron");
    let alphabet = [
        "\"", "\\", "(", ")", "[", "]", ",", ":", "/", "*", "-", "+", "0", "7", "_", ".", "#", " ", "\n", "é", "x",
        "S", "N", "r", "\\n", "\\'", "'", "Some(", "None", "1e3",
    ];
    let mut rng = Lcg(14);
    let (mut taken, mut given_up) = (0, 0);
    for _ in 0..if cfg!(debug_assertions) { 1_500 } else { 20_000 } {
        let mut text = original.clone();
        for _ in 0..1 + rng.below(2) {
            let mut at = rng.below(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let piece = alphabet[rng.below(alphabet.len())];
            match rng.below(3) {
                0 => {
                    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                    text.replace_range(at..end, "");
                }
                1 => text.insert_str(at, piece),
                _ => {
                    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                    text.replace_range(at..end, piece);
                }
            }
        }
        let whole = parse::<Scenario>(&text);
        let chunk = 1 + rng.below(40);
        let step = 1 + rng.below(50);
        let chunked = in_chunks(&text, chunk, step, u64::MAX);
        assert!(chunked == whole, "read in chunks of {chunk} ({step} a read), it reads otherwise:\n{text}");
        match whole {
            Some(fast) => {
                taken += 1;
                let ron = by_ron(&text);
                assert!(ron.as_ref() == Some(&fast), "the readings differ on:\n{text}");
            }
            None => given_up += 1,
        }
    }
    assert!(taken > 100 && given_up > 100, "taken {taken}, given up {given_up}");
}

/// A source that hands out at most `step` bytes a read, then maybe fails.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
    fail_at_end: bool,
}

impl Read for Trickle<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.bytes.is_empty() && self.fail_at_end {
            return Err(io::Error::other("the disk is gone"));
        }
        let n = out.len().min(self.step).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// `text` read as a stream: the parser's window holds `chunk` bytes, the
/// source gives `step` at a time.
fn in_chunks(text: &str, chunk: usize, step: usize, limit: u64) -> Option<Scenario> {
    match parse_reader(&mut Trickle { bytes: text.as_bytes(), step, fail_at_end: false }, limit, chunk) {
        Streamed::Read(scenario) => Some(scenario),
        Streamed::GiveUp => None,
        other => panic!("{other:?}"),
    }
}

/// However the chunks fall (inside a string, an escape, a comment, a number,
/// an identifier, a character of several bytes), the stream reads as the
/// whole text does.
#[test]
fn a_stream_in_chunks_of_any_size_reads_as_the_whole_text() {
    let country = Country::generate(&Params::new(60, 3, 5)).unwrap();
    let mut written = Vec::new();
    country.write_ron(&mut written).unwrap();
    let texts = [
        shipped("tutorial.ron"),
        shipped("luxembourg.ron"),
        String::from_utf8(written).unwrap(),
        minimal(", description: \"é\\\"€\\n😀 \\'x\\' //\" // comment with ß and 😀\n, population: 123456789"),
    ];
    // Tokens far longer than the window: a comment and a string of several
    // thousand characters of one, two, three and four bytes.
    let long = "aé€😀".repeat(3_000);
    let texts = [texts.as_slice(), &[minimal(&format!("// {long}\n, description: \"{long}\""))]].concat();
    for text in &texts {
        let whole = parse::<Scenario>(text).expect("the whole text reads");
        for chunk in (1..=9).chain([16, 63, 4096]) {
            for step in [1, 2, 3, 7, 1000] {
                assert!(in_chunks(text, chunk, step, u64::MAX).as_ref() == Some(&whole), "chunk {chunk}, step {step}");
            }
        }
    }
}

#[test]
fn a_stream_that_is_not_utf8_or_too_long_or_failing_is_not_read() {
    let text = minimal(", description: \"aé\"");
    // The two bytes of "é", the second one replaced: not UTF-8 in a string.
    let at = text.find('é').unwrap() + 1;
    let mut bytes = text.clone().into_bytes();
    bytes[at] = b'x';
    for chunk in [1, 2, 3, 4096] {
        let read =
            parse_reader::<Scenario>(&mut Trickle { bytes: &bytes, step: 1, fail_at_end: false }, u64::MAX, chunk);
        assert!(matches!(read, Streamed::GiveUp), "chunk {chunk}: {read:?}");
    }
    // A limit of the text's length reads it; one byte less is too large.
    let length = text.len() as u64;
    assert!(in_chunks(&text, 5, 3, length).is_some());
    let short =
        parse_reader::<Scenario>(&mut Trickle { bytes: text.as_bytes(), step: 3, fail_at_end: false }, length - 1, 5);
    assert!(matches!(short, Streamed::TooLarge), "{short:?}");
    // A source that fails is a failure, not a text to give up on.
    let cut = &text.as_bytes()[..text.len() / 2];
    let failed = parse_reader::<Scenario>(&mut Trickle { bytes: cut, step: 4, fail_at_end: true }, u64::MAX, 8);
    assert!(matches!(failed, Streamed::Failed(ref e) if e.to_string() == "the disk is gone"), "{failed:?}");
}
