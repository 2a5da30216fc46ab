//! The journal format: write, read back, torn lines, bad lines, verification.

use std::path::Path;

use cascade_engine::{Simulation, load_model};
use cascade_replay::reader::parse_journal;
use cascade_replay::{CommandLine, Header, JournalWriter, Replay, ReplayError, read_journal};

fn tutorial_journal(dir: &Path, ticks: u64) -> std::path::PathBuf {
    let model = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tutorial.ron")).unwrap();
    let path = dir.join("j.jsonl");
    let header = Header::new(&model.scenario, 42, "2026-03-10T07:00:00Z".into()).unwrap();
    let mut writer = JournalWriter::create(&path, &header).unwrap();
    let mut sim = Simulation::new(std::sync::Arc::new(model), 42);
    writer.append_checkpoint(0, &sim.state_hash()).unwrap();
    for _ in 0..ticks {
        sim.step();
        writer.append_checkpoint(sim.tick(), &sim.state_hash()).unwrap();
    }
    writer.sync().unwrap();
    path
}

#[test]
fn a_written_journal_reads_back_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = tutorial_journal(dir.path(), 30);
    let journal = read_journal(&path).unwrap();
    assert_eq!(journal.checkpoints.len(), 31);
    assert!(!journal.torn);
    assert_eq!(journal.valid_len, std::fs::metadata(&path).unwrap().len());
    let sim = Replay::new(journal).unwrap().verify(|_| {}).unwrap();
    assert_eq!(sim.tick(), 30);
}

#[test]
fn a_new_journal_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = tutorial_journal(dir.path(), 1);
    let header = Header::with_text("()", 1, "x".into()).unwrap();
    assert!(JournalWriter::create(&path, &header).is_err());
}

#[test]
fn a_torn_last_line_is_ignored_and_cut_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let path = tutorial_journal(dir.path(), 5);
    let whole = std::fs::read(&path).unwrap();
    let complete = format!("{{\"checkpoint\":6,\"hash\":\"{}\"}}\n{{garbage", "a".repeat(64));
    for (torn, good) in [(&b"{\"checkpoint\":6,\"ha"[..], 6), (complete.as_bytes(), 7), (b"\xff\xfe", 6)] {
        let mut bytes = whole.clone();
        bytes.extend_from_slice(torn);
        let journal = parse_journal(&bytes, &path).unwrap();
        assert!(journal.torn);
        assert_eq!(journal.checkpoints.len(), good);
    }
    // Resume cuts the torn tail before appending.
    let mut bytes = whole.clone();
    bytes.extend_from_slice(b"{\"checkpoint\":6,\"ha");
    std::fs::write(&path, &bytes).unwrap();
    let journal = read_journal(&path).unwrap();
    let mut writer = JournalWriter::resume(&path, journal.valid_len).unwrap();
    writer.append_checkpoint(6, &blake3::hash(b"x")).unwrap();
    writer.sync().unwrap();
    let again = read_journal(&path).unwrap();
    assert!(!again.torn);
    assert_eq!(again.checkpoints.len(), 7);
}

#[test]
fn a_bad_line_in_the_middle_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = tutorial_journal(dir.path(), 3);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{not json";
    let bad = lines.join("\n") + "\n";
    let err = parse_journal(bad.as_bytes(), &path).unwrap_err().to_string();
    assert!(err.ends_with(":3: not a JSON line: key must be a string at line 1 column 2"), "{err}");

    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(2, 3);
    let swapped = lines.join("\n") + "\n";
    let err = parse_journal(swapped.as_bytes(), &path).unwrap_err().to_string();
    assert!(err.ends_with(":3: checkpoint 2 out of order: expected 1"), "{err}");
}

#[test]
fn commands_must_be_stamped_for_the_next_tick() {
    let dir = tempfile::tempdir().unwrap();
    let path = tutorial_journal(dir.path(), 2);
    let mut text = std::fs::read_to_string(&path).unwrap();
    let line = CommandLine {
        tick: 1,
        team: "csirt".into(),
        client: "c".into(),
        seq: 1,
        command: serde_json::json!({"action": "takeover"}),
    };
    text.push_str(&serde_json::to_string(&line).unwrap());
    text.push('\n');
    let err = parse_journal(text.as_bytes(), &path).unwrap_err().to_string();
    assert!(err.contains("a command stamped for tick 1 after checkpoint 2"), "{err}");
}

#[test]
fn a_wrong_checkpoint_names_the_tick() {
    let dir = tempfile::tempdir().unwrap();
    let path = tutorial_journal(dir.path(), 20);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("{\"checkpoint\":17,") {
                format!("{{\"checkpoint\":17,\"hash\":\"{}\"}}", "0".repeat(64))
            } else {
                l.to_string()
            }
        })
        .collect();
    let journal = parse_journal((lines.join("\n") + "\n").as_bytes(), &path).unwrap();
    match Replay::new(journal).unwrap().verify(|_| {}) {
        Err(ReplayError::Mismatch { tick, .. }) => assert_eq!(tick, 17),
        other => panic!("expected a mismatch at tick 17, got {:?}", other.map(|s| s.tick())),
    }
}

#[test]
fn a_journal_without_checkpoints_or_past_its_end_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = tutorial_journal(dir.path(), 180);
    let text = std::fs::read_to_string(&path).unwrap();
    // The header alone (a crash before checkpoint 0 was written).
    let header = format!("{}\n", text.lines().next().unwrap());
    let err = Replay::new(parse_journal(header.as_bytes(), &path).unwrap()).err().expect("refused").to_string();
    assert!(err.ends_with("j.jsonl: the journal has no checkpoint, not even tick 0"), "{err}");
    // A checkpoint after the scenario's last tick (the tutorial lasts 180).
    let last = text.lines().last().unwrap().replace("\"checkpoint\":180", "\"checkpoint\":181");
    let over = format!("{text}{last}\n");
    let err = Replay::new(parse_journal(over.as_bytes(), &path).unwrap()).err().expect("refused").to_string();
    assert!(err.ends_with("checkpoint 181 is past the scenario's end (it lasts 180 ticks)"), "{err}");
    // The full day itself is fine.
    Replay::new(parse_journal(text.as_bytes(), &path).unwrap()).unwrap().verify(|_| {}).unwrap();
}

#[test]
fn a_tampered_scenario_is_refused() {
    // Re-encoded with a changed name, the stream is valid but not the text
    // scenario_blake3 names.
    let dir = tempfile::tempdir().unwrap();
    let path = tutorial_journal(dir.path(), 1);
    let text = std::fs::read_to_string(&path).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let mut header: Header = serde_json::from_str(first).unwrap();
    let journal = parse_journal(text.as_bytes(), &path).unwrap();
    let forged =
        Header::with_text(&journal.scenario().unwrap().replacen("Tutorial", "Tutorjal", 1), 1, "t".into()).unwrap();
    header.scenario_zlib = forged.scenario_zlib;
    let tampered = format!("{}\n{rest}", serde_json::to_string(&header).unwrap());
    let err = parse_journal(tampered.as_bytes(), &path).unwrap_err().to_string();
    assert!(err.ends_with("j.jsonl:1: the scenario does not match its scenario_blake3"), "{err}");
}

#[test]
fn recorded_commands_replay_to_the_same_hashes() {
    // A run with commands, journaled, verifies; the same journal without one
    // command does not.
    let model = load_model(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tutorial.ron")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let header = Header::new(&model.scenario, 42, "t".into()).unwrap();
    let mut writer = JournalWriter::create(&path, &header).unwrap();
    let mut sim = Simulation::new(std::sync::Arc::new(model), 42);
    writer.append_checkpoint(0, &sim.state_hash()).unwrap();
    let hospital = sim.team_index("hospital-ops").unwrap();
    for tick in 1..=10u64 {
        let mut commands = Vec::new();
        if tick == 3 {
            let action = cascade_engine::exercise::Action::Isolate { asset: "hospital-it".into() };
            let line = CommandLine {
                tick,
                team: "hospital-ops".into(),
                client: "laptop-1".into(),
                seq: 1,
                command: serde_json::to_value(&action).unwrap(),
            };
            writer.append_command(&line).unwrap();
            let origin = Some(cascade_engine::exercise::actions::Origin::new("laptop-1", 1));
            commands.push(cascade_engine::exercise::Command { team: hospital, action, origin });
        }
        let outcomes = sim.step_with(commands);
        assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
        writer.append_checkpoint(tick, &sim.state_hash()).unwrap();
    }
    writer.sync().unwrap();
    assert_eq!(sim.caps()[3], 200, "hospital-it isolated");
    let replayed = Replay::new(read_journal(&path).unwrap()).unwrap().verify(|_| {}).unwrap();
    // The action log is not hashed, yet a replay rebuilds it exactly (client and
    // seq from the journal).
    let log = |sim: &Simulation| cascade_engine::view::team_view(sim, hospital, 0).actions;
    assert!(log(&sim).iter().any(|a| a.client.as_deref() == Some("laptop-1") && a.seq == Some(1)));
    assert_eq!(log(&replayed), log(&sim));

    let without: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"seq\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let journal = parse_journal(without.as_bytes(), &path).unwrap();
    match Replay::new(journal).unwrap().verify(|_| {}) {
        Err(ReplayError::Mismatch { tick, .. }) => assert_eq!(tick, 3),
        other => panic!("expected a mismatch at tick 3, got {:?}", other.map(|s| s.tick())),
    }
}
