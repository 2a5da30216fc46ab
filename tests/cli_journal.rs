//! `cascade run --journal` and `cascade replay [--verify]`, end to end.

use assert_cmd::Command;

fn cascade() -> Command {
    Command::cargo_bin("cascade").unwrap()
}

#[test]
fn a_recorded_run_verifies_and_a_tampered_one_names_the_tick() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("lux.jsonl");
    let run = cascade()
        .args(["run", "scenarios/luxembourg.ron", "--ticks", "120", "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let printed = String::from_utf8(run.stdout).unwrap();

    let verify = cascade().args(["replay", "--verify"]).arg(&journal).output().unwrap();
    let out = String::from_utf8(verify.stdout).unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    assert!(out.contains("121 ticks checkpointed (0..=120) of 480, 0 commands"), "{out}");
    let last = out.lines().last().unwrap();
    assert!(last.starts_with("verified: every checkpoint matches; tick 120 hash "), "{last}");
    let hash = last.rsplit(' ').next().unwrap();
    assert!(printed.contains(&format!("final state hash {hash}")), "the replay ends where the run ended");

    // Recording again refuses to overwrite.
    let again = cascade().args(["run", "scenarios/tutorial.ron", "--journal"]).arg(&journal).output().unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("cannot create journal"));

    // Change one checkpoint: verification fails at that tick, exit 1.
    let text = std::fs::read_to_string(&journal).unwrap();
    let tampered: String = text
        .lines()
        .map(|l| {
            if l.starts_with("{\"checkpoint\":77,") {
                format!("{{\"checkpoint\":77,\"hash\":\"{}\"}}\n", "f".repeat(64))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&journal, tampered).unwrap();
    let verify = cascade().args(["replay", "--verify"]).arg(&journal).output().unwrap();
    assert_eq!(verify.status.code(), Some(1));
    let err = String::from_utf8_lossy(&verify.stderr);
    assert!(err.contains("checkpoint mismatch at tick 77"), "{err}");
}

#[test]
fn a_torn_journal_still_verifies_and_garbage_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("t.jsonl");
    assert!(
        cascade().args(["run", "scenarios/tutorial.ron", "--journal"]).arg(&journal).output().unwrap().status.success()
    );
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(b"{\"checkpoint\":181,\"hash\":\"ab");
    std::fs::write(&journal, &bytes).unwrap();
    let verify = cascade().args(["replay", "--verify"]).arg(&journal).output().unwrap();
    assert!(verify.status.success());
    assert!(String::from_utf8_lossy(&verify.stdout).contains("a torn last line was ignored"));

    let garbage = dir.path().join("g.jsonl");
    std::fs::write(&garbage, b"\x00\x01binary\nmore\n").unwrap();
    let out = cascade().args(["replay", "--verify"]).arg(&garbage).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("g.jsonl:1: not a JSON line"));

    let missing = cascade().args(["replay"]).arg(dir.path().join("nope.jsonl")).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));

    // --at is for the console: refused without a terminal, or with --verify.
    let at = cascade().args(["replay", "--at", "5"]).arg(&journal).output().unwrap();
    assert_eq!(at.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&at.stderr).contains("--at opens the console at a tick: it needs a terminal"));
    let at = cascade().args(["replay", "--verify", "--at", "5"]).arg(&journal).output().unwrap();
    assert_eq!(at.status.code(), Some(2));
}
