//! The fast reader against the ron crate: whatever the fast reader takes, the
//! ron crate (with the loader's options) reads as the same value.

use super::parse;
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
        match parse::<Scenario>(&text) {
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
