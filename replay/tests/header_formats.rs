//! Journal headers of format 1 (the scenario as plain RON), format 2 (the
//! scenario zlib-compressed in base64) and format 3 (as 2, with v2 state
//! hashes): all read, replay and verify, the first two with the v1 hash; each
//! way a compressed header can be wrong is refused with a message naming the
//! file, the line and what is wrong. Format-1 and -2 journals are written here
//! by hand, in the layout older engines wrote, with v1 hashes (a fixture
//! written by the engine of before format 3 is in `replay/tests/fixtures`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cascade_engine::hash::HashVersion;
use cascade_engine::load::{to_ron, to_ron_compact};
use cascade_engine::{Model, Simulation, load_model};
use cascade_replay::reader::parse_journal;
use cascade_replay::{Header, JournalWriter, Replay, read_journal};
use serde_json::{Value, json};

fn tutorial() -> Model {
    load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tutorial.ron")).unwrap()
}

/// Checkpoints 0..=ticks of the tutorial with seed 42, one line each, with
/// the state hash of `version`.
fn checkpoint_lines(model: Model, ticks: u64, version: HashVersion) -> String {
    let mut sim = Simulation::with_hash(Arc::new(model), 42, version);
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
    std::fs::write(&path, line + &checkpoint_lines(model, ticks, HashVersion::V1)).unwrap();
    path
}

/// A journal of the current format (3, v2 hashes), or with `format: 2` as
/// engines before format 3 wrote it (the same header fields, v1 hashes).
fn compressed_journal(dir: &Path, ticks: u64, format: u32) -> PathBuf {
    let model = tutorial();
    let path = dir.join("j.jsonl");
    let mut header = Header::new(&model.scenario, 42, "2026-11-29T19:50:01Z".into()).unwrap();
    assert_eq!(header.format, 3);
    header.format = format;
    let mut writer = JournalWriter::create(&path, &header).unwrap();
    writer.sync().unwrap();
    drop(writer);
    let mut text = std::fs::read_to_string(&path).unwrap();
    let version = if format == 3 { HashVersion::V2 } else { HashVersion::V1 };
    text.push_str(&checkpoint_lines(model, ticks, version));
    std::fs::write(&path, text).unwrap();
    path
}

fn format_2_journal(dir: &Path, ticks: u64) -> PathBuf {
    compressed_journal(dir, ticks, 2)
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
fn format_2_and_3_round_trip_and_verify() {
    for format in [2, 3] {
        compressed_round_trip(format);
    }
}

fn compressed_round_trip(format: u32) {
    let dir = tempfile::tempdir().unwrap();
    let path = compressed_journal(dir.path(), 12, format);
    let first = std::fs::read_to_string(&path).unwrap().lines().next().unwrap().to_string();
    // The fields, in this order, and nothing else.
    let keys: Vec<String> = first
        .trim_start_matches('{')
        .split(",\"")
        .map(|k| k.trim_start_matches('"').split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(keys, ["format", "engine", "scenario_zlib", "scenario_bytes", "scenario_blake3", "seed", "started_at"]);
    let header = header_of(&path);
    assert_eq!(header["format"], format);
    let compact = to_ron_compact(&tutorial().scenario);
    assert_eq!(header["scenario_bytes"], compact.len());
    assert_eq!(header["scenario_blake3"], blake3::hash(compact.as_bytes()).to_hex().to_string());
    let journal = read_journal(&path).unwrap();
    assert_eq!(journal.scenario().unwrap(), compact);
    let replay = Replay::new(journal).unwrap();
    assert_eq!(replay.hash, if format == 3 { HashVersion::V2 } else { HashVersion::V1 });
    assert_eq!(replay.model.scenario, tutorial().scenario);
    assert_eq!(replay.verify(|_| {}).unwrap().tick(), 12);

    // The other hash version's checkpoints do not verify: the version is
    // taken from the format, not guessed.
    let other = if format == 3 { 2 } else { 3 };
    let mut header = header_of(&path);
    header["format"] = json!(other);
    let relabelled = dir.path().join("relabelled.jsonl");
    std::fs::write(&relabelled, with_header(&path, &header)).unwrap();
    let err = Replay::new(read_journal(&relabelled).unwrap()).unwrap().verify(|_| {}).err().expect("a mismatch");
    assert!(err.to_string().starts_with("checkpoint mismatch at tick 0"), "{err}");
}

#[test]
fn compact_ron_reads_back_to_the_same_scenario() {
    for name in ["tutorial.ron", "luxembourg.ron"] {
        let model = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name)).unwrap();
        let text = to_ron_compact(&model.scenario);
        assert!(!text.contains('\n'), "{name}");
        let again = cascade_engine::load::parse_stored_model(text, Path::new("stored")).unwrap();
        assert_eq!(again.scenario, model.scenario, "{name}");
    }
}

#[test]
fn a_format_1_journal_still_replays_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = format_1_journal(dir.path(), 12);
    let journal = read_journal(&path).unwrap();
    assert_eq!(journal.header.format, 1);
    assert_eq!(journal.scenario().unwrap(), to_ron(&tutorial().scenario));
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
fn a_branch_header_is_format_3_with_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current");
    std::fs::create_dir(&current).unwrap();
    for path in [format_1_journal(dir.path(), 1), format_2_journal(dir.path(), 1), compressed_journal(&current, 1, 3)] {
        let journal = read_journal(&path).unwrap();
        let branch = journal.header.for_branch(&journal.scenario().unwrap(), "later".into()).unwrap();
        assert_eq!(branch.format, 3);
        assert_eq!(branch.scenario, None);
        assert_eq!(branch.scenario_blake3, journal.header.scenario_blake3, "the same text");
        assert_eq!(branch.seed, journal.header.seed);
        assert_eq!(branch.engine, journal.header.engine);
        assert_eq!(branch.started_at, "later");
        assert_eq!(branch.scenario_text().unwrap(), journal.scenario().unwrap());
    }
}

/// A branch of an old recording is written in format 3: its checkpoints are
/// recomputed as v2 (each v1 checkpoint checked on the way), and equal those
/// of the same run recorded in format 3.
#[test]
fn a_branch_of_an_old_journal_gets_v2_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current");
    std::fs::create_dir(&current).unwrap();
    let v2 = read_journal(&compressed_journal(&current, 8, 3)).unwrap().checkpoints;
    for path in [format_1_journal(dir.path(), 8), format_2_journal(dir.path(), 8)] {
        let replay = Replay::new(read_journal(&path).unwrap()).unwrap();
        assert_eq!(replay.current_checkpoints(5).unwrap(), v2[..=5]);
    }
    let replay = Replay::new(read_journal(&current.join("j.jsonl")).unwrap()).unwrap();
    assert_eq!(replay.current_checkpoints(5).unwrap(), v2[..=5]);
}

#[test]
fn an_unknown_format_is_refused_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = format_2_journal(dir.path(), 1);
    let mut header = header_of(&path);
    header["format"] = json!(4);
    // Even with a field this build does not know.
    header["scenario_zstd"] = json!("…");
    let err = refusal(&with_header(&path, &header), &path);
    assert!(
        err.ends_with("j.jsonl:1: journal format 4 is not supported (this build reads formats 1, 2 and 3)"),
        "{err}"
    );
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

/// (d) Journals written by the engine of before format 3 (`cascade run
/// scenarios/… --journal`, commit 43f3a96, header format 2, v1 hashes) still
/// verify, every checkpoint, with the v1 hash their format names.
#[test]
fn format_2_journals_of_the_previous_engine_still_verify() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for (name, ticks) in [("tutorial-format2.jsonl", 180), ("luxembourg-format2.jsonl", 480)] {
        let journal = read_journal(&fixtures.join(name)).unwrap();
        assert_eq!(journal.header.format, 2, "{name}");
        assert_eq!(journal.last_tick(), ticks, "{name}");
        let replay = Replay::new(journal).unwrap();
        assert_eq!(replay.hash, HashVersion::V1, "{name}");
        assert_eq!(replay.verify(|_| {}).unwrap().tick(), ticks, "{name}");
    }
}

#[test]
fn a_replay_lets_its_scenario_go_and_reads_it_again_from_the_file() {
    for format in [1, 3] {
        let dir = tempfile::tempdir().unwrap();
        let path = if format == 1 { format_1_journal(dir.path(), 5) } else { compressed_journal(dir.path(), 5, 3) };
        let journal = read_journal(&path).unwrap();
        let text = journal.scenario().unwrap();
        let stored = journal.header.clone();
        let replay = Replay::new(journal).unwrap();
        // Streamed (format 3) or read whole (format 1), the model's scenario
        // is the stored text's.
        let whole = cascade_engine::load::parse_stored_model(text.clone(), Path::new("stored")).unwrap();
        assert!(replay.model.scenario == whole.scenario, "format {format}");
        // The model is built; the header holds the scenario's digest only.
        assert!(!replay.journal.header.holds_scenario(), "format {format}");
        assert_eq!(replay.journal.header.scenario_blake3, stored.scenario_blake3);
        // Asked for again (a branch), it is read from the file: the same.
        assert_eq!(replay.journal.scenario().unwrap(), text, "format {format}");
        let again = replay.journal.stored_header().unwrap();
        assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&stored).unwrap());
        // A file whose header changed since (another seed) is refused, saying so.
        let mut header = header_of(&path);
        header["seed"] = json!("43");
        std::fs::write(&path, with_header(&path, &header)).unwrap();
        let refused = replay.journal.scenario().unwrap_err();
        assert!(refused.contains("changed since it was read (different: seed)"), "format {format}: {refused}");
        std::fs::remove_file(&path).unwrap();
        let gone = replay.journal.stored_header().unwrap_err();
        assert!(gone.contains("cannot read"), "format {format}: {gone}");
    }
}
