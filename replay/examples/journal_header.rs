//! Measures the journal header of a scenario: its size, the time to build and
//! serialise it, and the time to read it back (JSON, then the scenario text
//! checked against its blake3), for format 1 (pretty RON in a JSON string) and
//! format 2 (RON, zlib at several levels, base64), pretty and compact.
//!
//! `cargo run --release --locked -p cascade-replay --example journal_header -- big.ron`
//! (docs/performance.md, *Journal header*). It writes no file and must never
//! be part of a test: timings belong in docs/performance.md.

use std::path::PathBuf;
use std::time::Instant;

use cascade_engine::load::{load_model, to_ron, to_ron_compact};
use cascade_replay::Header;
use cascade_replay::scenario_blob::{self, digest};

fn main() {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: journal_header SCENARIO.ron");
        std::process::exit(2);
    };
    let model = match load_model(&path) {
        Ok(model) => model,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let file_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("{}: {} bytes, {} assets", path.display(), file_bytes, model.scenario.assets.len());

    let t = Instant::now();
    let pretty = to_ron(&model.scenario);
    let pretty_ms = ms(t);
    let t = Instant::now();
    let compact = to_ron_compact(&model.scenario);
    let compact_ms = ms(t);
    println!(
        "pretty RON {} bytes ({pretty_ms:.0} ms); compact RON {} bytes ({compact_ms:.0} ms)",
        pretty.len(),
        compact.len()
    );
    println!("| header | RON | level | header bytes | build + serialise (ms) | read + check (ms) |");
    println!("|---|---|---|---|---|---|");

    // Format 1, as engines before format 2 wrote it.
    let t = Instant::now();
    let header = Header {
        format: 1,
        engine: "0.1.0".into(),
        scenario: Some(pretty.clone()),
        scenario_zlib: None,
        scenario_bytes: None,
        scenario_blake3: digest(&pretty),
        seed: "1".into(),
        started_at: "2026-12-06T00:00:00Z".into(),
    };
    let line = serde_json::to_vec(&header).expect("a header serialises");
    let write_ms = ms(t);
    let read_ms = read(&line);
    println!("| 1 | pretty | - | {} | {write_ms:.0} | {read_ms:.0} |", line.len());

    for (name, text) in [("compact", &compact), ("pretty", &pretty)] {
        for level in [1, 6, 9] {
            if name == "pretty" && level == 9 {
                continue;
            }
            let t = Instant::now();
            // The pretty text of a large country is over the scenario limit:
            // measured here without it, to show what compact saves.
            let blob = match scenario_blob::encode_with(text, u64::MAX, level) {
                Ok(blob) => blob,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1);
                }
            };
            let header = Header {
                format: 2,
                engine: "0.1.0".into(),
                scenario: None,
                scenario_zlib: Some(blob.base64),
                scenario_bytes: Some(blob.bytes),
                scenario_blake3: blob.blake3,
                seed: "1".into(),
                started_at: "2026-12-06T00:00:00Z".into(),
            };
            let line = serde_json::to_vec(&header).expect("a header serialises");
            let write_ms = ms(t);
            let fits = text.len() as u64 <= cascade_engine::load::MAX_SCENARIO_BYTES;
            let read_ms = if fits { format!("{:.0}", read(&line)) } else { "refused: over the limit".into() };
            println!("| 2 | {name} | {level} | {} | {write_ms:.0} | {read_ms} |", line.len());
        }
    }
}

/// Parses a header line as the reader does and checks its scenario text.
fn read(line: &[u8]) -> f64 {
    let t = Instant::now();
    let value: serde_json::Value = serde_json::from_slice(line).expect("our own header is JSON");
    let header: Header = serde_json::from_value(value).expect("our own header");
    let text = header.scenario_text().expect("our own header checks");
    std::hint::black_box(text);
    ms(t)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
