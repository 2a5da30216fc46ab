//! The compact writer against the ron crate: byte for byte the same text,
//! or refused before the caller relies on it.

use serde::Serialize;

use super::{Error, write};
use crate::scenario::Scenario;
use crate::synthetic::country::{Country, Params};

fn ours(value: &impl Serialize) -> Result<String, Error> {
    let mut out = Vec::new();
    write(&mut out, value)?;
    Ok(String::from_utf8(out).expect("RON text is UTF-8"))
}

fn theirs(value: &impl Serialize) -> String {
    ron::Options::default().to_string(value).unwrap()
}

fn shipped(name: &str) -> Scenario {
    let path = format!("{}/../scenarios/{name}", env!("CARGO_MANIFEST_DIR"));
    crate::load::load_model(std::path::Path::new(&path)).unwrap().scenario
}

#[test]
fn writes_the_shipped_scenarios_and_generated_countries_as_ron_does() {
    for name in ["tutorial.ron", "luxembourg.ron"] {
        let scenario = shipped(name);
        assert_eq!(ours(&scenario).unwrap(), theirs(&scenario), "{name}");
    }
    for (assets, teams, seed) in [(300, 10, 1), (2_000, 40, 7), (5_000, 200, 3)] {
        let scenario = Country::generate(&Params::new(assets, teams, seed)).unwrap().to_scenario();
        assert_eq!(ours(&scenario).unwrap(), theirs(&scenario), "gen {assets} seed {seed}");
    }
}

#[test]
fn escapes_every_kind_of_text_as_ron_does() {
    let texts = [
        "",
        "plain",
        "quote \" and backslash \\ and 'single'",
        "new\nline, tab\t, return\r, nul\0, bell\u{7}, delete\u{7f}",
        "accents: é, ü, 中文, emoji 🚒, combining e\u{301} and a lone \u{301}",
        "\u{200b}zero width, \u{feff}bom, \u{2028}line separator, \u{85}next line",
        "# hashes ## and r#\"raw\"#",
    ];
    let mut scenario = shipped("tutorial.ron");
    for text in texts {
        scenario.name = text.to_string();
        scenario.assets[0].name = format!("{text}{text}");
        assert_eq!(ours(&scenario).unwrap(), theirs(&scenario), "{text:?}");
    }
    // Every character of the first planes, a few hundred at a time.
    let all: Vec<char> = (0u32..0x3_0000).filter_map(char::from_u32).collect();
    for chunk in all.chunks(512) {
        let text: String = chunk.iter().collect();
        assert_eq!(ours(&text).unwrap(), theirs(&text), "from {:?}", chunk[0]);
    }
}

#[test]
fn writes_the_rest_of_the_subset_as_ron_does() {
    #[derive(Serialize)]
    enum Kind {
        Unit,
        New(u8),
        Tuple(i64, bool),
        Fields { a: Option<Option<u32>>, b: Vec<i16> },
    }
    #[derive(Serialize)]
    struct All {
        kinds: Vec<Kind>,
        pair: (u64, i8),
        unit: (),
        empty: Vec<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        last: i32,
    }
    let value = All {
        kinds: vec![
            Kind::Unit,
            Kind::New(255),
            Kind::Tuple(i64::MIN, true),
            Kind::Fields { a: Some(None), b: vec![-1, 0, i16::MAX] },
            Kind::Fields { a: Some(Some(u32::MAX)), b: vec![] },
        ],
        pair: (u64::MAX, i8::MIN),
        unit: (),
        empty: vec![],
        skipped: None,
        last: -7,
    };
    assert_eq!(ours(&value).unwrap(), theirs(&value));
}

#[test]
fn refuses_what_it_does_not_write_exactly() {
    use std::collections::BTreeMap;
    #[derive(Serialize)]
    struct Newtype(u8);
    #[derive(Serialize)]
    #[allow(non_camel_case_types)]
    enum Odd {
        r#true,
    }
    let map: BTreeMap<u8, u8> = [(1, 2)].into_iter().collect();
    assert!(matches!(ours(&1.5f64), Err(Error::Unsupported(_))));
    assert!(matches!(ours(&1u128), Err(Error::Unsupported(_))));
    assert!(matches!(ours(&-1i128), Err(Error::Unsupported(_))));
    assert!(matches!(ours(&'c'), Err(Error::Unsupported(_))));
    assert!(matches!(ours(&map), Err(Error::Unsupported(_))));
    assert!(matches!(ours(&Newtype(1)), Err(Error::Unsupported(_))));
    assert!(matches!(ours(&Odd::r#true), Err(Error::Unsupported(_))));
    let mut deep = serde_json::Value::Null;
    for _ in 0..200 {
        deep = serde_json::Value::Array(vec![deep]);
    }
    assert!(ours(&vec![vec![vec![0u8]]]).is_ok());
    assert!(ours(&deep).is_err(), "too deep, or a unit it does not write: refused either way");
}
