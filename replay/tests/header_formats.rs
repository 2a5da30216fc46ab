//! Journal headers of format 1 (the scenario as plain RON) and format 2 (the
//! scenario zlib-compressed in base64): both read, replay and verify; each way
//! a format-2 header can be wrong is refused with a message naming the file,
//! the line and what is wrong. Format-1 journals are written here by hand, in
//! the layout older engines wrote.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cascade_engine::load::{to_ron, to_ron_compact};
use cascade_engine::{Model, Simulation, load_model};
use cascade_replay::reader::parse_journal;
use cascade_replay::{Header, JournalWriter, Replay, read_journal};
use serde_json::{Value, json};

fn tutorial() -> Model {
    load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tutorial.ron")).unwrap()
}

/// Checkpoints 0..=ticks of the tutorial with seed 42, one line each.
fn checkpoint_lines(model: Model, ticks: u64) -> String {
    let mut sim = Simulation::new(Arc::new(model), 42);
    let mut out = format!("{{\"checkpoint\":0,\"hash\":\"{}\"}}\n", sim.state_hash().to_hex());
    for _ in 0..ticks {
        sim.step();
        out.push_str(&format!("{{\"checkpoint\":{},\"hash\":\"{}\"}}\n", sim.tick(), sim.state_hash().to_hex()));
    }
    out
}

/// A format-1 journal as engines before format 2 wrote it: the pretty RON in
/// `scenario`, its blake3, and the fields in this order.
fn format_1_journal(dir: &Path, ticks: u64) -> PathBuf {
    let model = tutorial();
    let ron = to_ron(&model.scenario);
    let line = format!(
        "{{\"format\":1,\"engine\":\"0.1.0\",\"scenario\":{},\"scenario_blake3\":\"{}\",\"seed\":\"42\",\"started_at\":\"2026-11-29T19:50:01Z\"}}\n",
        serde_json::to_string(&ron).unwrap(),
        blake3::hash(ron.as_bytes()).to_hex()
    );
    let path = dir.join("old.jsonl");
    std::fs::write(&path, line + &checkpoint_lines(model, ticks)).unwrap();
    path
}

fn format_2_journal(dir: &Path, ticks: u64) -> PathBuf {
    let model = tutorial();
    let path = dir.join("j.jsonl");
    let header = Header::new(&model.scenario, 42, "2026-11-29T19:50:01Z".into()).unwrap();
    let mut writer = JournalWriter::create(&path, &header).unwrap();
    writer.sync().unwrap();
    drop(writer);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(&checkpoint_lines(model, ticks));
    std::fs::write(&path, text).unwrap();
    path
}

/// The journal at `path` with its header line replaced by `header`.
fn with_header(path: &Path, header: &Value) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let (_, rest) = text.split_once('\n').unwrap();
    format!("{header}\n{rest}").into_bytes()
}

fn header_of(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

fn refusal(bytes: &[u8], path: &Path) -> String {
    parse_journal(bytes, path).expect_err("refused").to_string()
}

#[test]
fn format_2_round_trips_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = format_2_journal(dir.path(), 12);
    let first = std::fs::read_to_string(&path).unwrap().lines().next().unwrap().to_string();
    // The fields, in this order, and nothing else.
    let keys: Vec<String> = first
        .trim_start_matches('{')
        .split(",\"")
        .map(|k| k.trim_start_matches('"').split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["format", "engine", "scenario_zlib", "scenario_bytes", "scenario_blake3", "seed", "started_at"]);
    let header = header_of(&path);
    assert_eq!(header["format"], 2);
    let compact = to_ron_compact(&tutorial().scenario);
    assert_eq!(header["scenario_bytes"], compact.len());
    assert_eq!(header["scenario_blake3"], blake3::hash(compact.as_bytes()).to_hex().to_string());
    let journal = read_journal(&path).unwrap();
    assert_eq!(journal.scenario(), compact);
    let replay = Replay::new(journal).unwrap();
    assert_eq!(replay.model.scenario, tutorial().scenario);
    assert_eq!(replay.verify(|_| {}).unwrap().tick(), 12);
}

#[test]
fn compact_ron_reads_back_to_the_same_scenario() {
    for name in ["tutorial.ron", "luxembourg.ron"] {
        let model = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name)).unwrap();
        let text = to_ron_compact(&model.scenario);
        assert!(!text.contains('\n'), "{name}");
        let again = cascade_engine::load::parse_stored_model(&text, Path::new("stored")).unwrap();
        assert_eq!(again.scenario, model.scenario, "{name}");
    }
}

#[test]
fn a_format_1_journal_still_replays_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = format_1_journal(dir.path(), 12);
    let journal = read_journal(&path).unwrap();
    assert_eq!(journal.header.format, 1);
    assert_eq!(journal.scenario(), to_ron(&tutorial().scenario));
    let sim = Replay::new(journal).unwrap().verify(|_| {}).unwrap();
    assert_eq!(sim.tick(), 12);
}

#[test]
fn a_resumed_format_1_journal_stays_format_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = format_1_journal(dir.path(), 3);
    let before = std::fs::read(&path).unwrap();
    let journal = read_journal(&path).unwrap();
    let mut writer = JournalWriter::resume(&path, journal.valid_len).unwrap();
    let sim = Replay::new(journal).unwrap().verify(|_| {}).unwrap();
    let mut sim = sim;
    sim.step();
    writer.append_checkpoint(sim.tick(), &sim.state_hash()).unwrap();
    writer.sync().unwrap();
    let after = std::fs::read(&path).unwrap();
    assert_eq!(&after[..before.len()], &before[..], "the header and lines before are untouched");
    let journal = read_journal(&path).unwrap();
    assert_eq!(journal.header.format, 1);
    assert_eq!(Replay::new(journal).unwrap().verify(|_| {}).unwrap().tick(), 4);
}

#[test]
fn a_branch_header_is_format_2_with_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    for path in [format_1_journal(dir.path(), 1), format_2_journal(dir.path(), 1)] {
        let journal = read_journal(&path).unwrap();
        let branch = journal.header.for_branch(journal.scenario(), "later".into());
        assert_eq!(branch.format, 2);
        assert_eq!(branch.scenario, None);
        assert_eq!(branch.scenario_blake3, journal.header.scenario_blake3, "the same text");
        assert_eq!(branch.seed, journal.header.seed);
        assert_eq!(branch.engine, journal.header.engine);
        assert_eq!(branch.started_at, "later");
        assert_eq!(branch.scenario_text().unwrap(), journal.scenario());
    }
}

#[test]
fn an_unknown_format_is_refused_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = format_2_journal(dir.path(), 1);
    let mut header = header_of(&path);
    header["format"] = json!(3);
    // Even with a field this build does not know.
    header["scenario_zstd"] = json!("…");
    let err = refusal(&with_header(&path, &header), &path);
    assert!(err.ends_with("j.jsonl:1: journal format 3 is not supported (this build reads 1 and 2)"), "{err}");
}

#[test]
fn each_bad_format_2_header_is_refused_naming_what() {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    let dir = tempfile::tempdir().unwrap();
    let path = format_2_journal(dir.path(), 1);
    let good = header_of(&path);
    let bytes = good["scenario_bytes"].as_u64().unwrap();
    let blob = good["scenario_zlib"].as_str().unwrap().to_string();
    let check = |change: &dyn Fn(&mut Value), expected: &str| {
        let mut header = good.clone();
        change(&mut header);
        let err = refusal(&with_header(&path, &header), &path);
        assert!(err.contains("j.jsonl:1: "), "{err}");
        assert!(err.ends_with(expected), "{err}\nexpected …{expected}");
    };
    check(
        &|h| h["scenario_zlib"] = json!(format!("!{}", &blob[1..])),
        "scenario_zlib is not valid base64: Invalid symbol 33, offset 0.",
    );
    check(
        &|h| h["scenario_zlib"] = json!(STANDARD.encode(b"not a zlib stream at all")),
        "scenario_zlib is not a valid zlib stream: corrupt deflate stream",
    );
    check(
        &|h| h["scenario_bytes"] = json!(bytes + 1),
        &format!("scenario_zlib inflates to {bytes} bytes, not scenario_bytes ({})", bytes + 1),
    );
    check(
        &|h| h["scenario_bytes"] = json!(bytes - 1),
        &format!("scenario_zlib inflates to more than scenario_bytes ({})", bytes - 1),
    );
    let limit = cascade_engine::load::MAX_SCENARIO_BYTES;
    check(
        &|h| h["scenario_bytes"] = json!(limit + 1),
        &format!("the scenario is {} bytes as stored, over the {} MiB limit for a scenario", limit + 1, limit >> 20),
    );
    check(&|h| h["scenario_blake3"] = json!("0".repeat(64)), "the scenario does not match its scenario_blake3");
    check(
        &|h| h["scenario"] = json!("()"),
        "a format-2 header has `scenario_zlib` and `scenario_bytes`, and no `scenario`",
    );
    check(
        &|h| {
            h.as_object_mut().unwrap().remove("scenario_bytes");
        },
        "a format-2 header has `scenario_zlib` and `scenario_bytes`, and no `scenario`",
    );
    check(
        &|h| h["format"] = json!(1),
        "a format-1 header has `scenario`, and neither `scenario_zlib` nor `scenario_bytes`",
    );
}

#[test]
fn a_format_1_header_with_a_wrong_blake3_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = format_1_journal(dir.path(), 1);
    let mut header = header_of(&path);
    header["scenario"] = json!(header["scenario"].as_str().unwrap().replacen("Tutorial", "Tutorjal", 1));
    let err = refusal(&with_header(&path, &header), &path);
    assert!(err.ends_with("old.jsonl:1: the scenario does not match its scenario_blake3"), "{err}");
}
