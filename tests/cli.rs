//! End-to-end tests of the `cascade` binary: exit codes, what is printed, and the
//! files `run` writes, checked against the tutorial's story worked out by hand from
//! DESIGN §3.
//!
//! The tutorial (scenarios/tutorial.ron), assets in stable order with population:
//! substation 20000 (energy), mobile-net 15000 (telecom), pumping 20000 (water),
//! hospital-it 20000 (health), payments 12000 (finance), backup-carrier 0 (telecom,
//! integrity 500). The substation's integrity is set to 0 at tick 15 and back to
//! 1000 at tick 75. By the rule, with L the provider's level at t-1:
//! - tick 15: substation level 0 (energy 0); its dependants still read 1000.
//! - tick 16: pumping (weight 1000, no buffer) supplies 1000 - 1000 = 0: water 0.
//!   mobile-net and hospital-it run on their buffers (30 and 120 ticks).
//! - tick 46: mobile-net's 31st outage tick, past its 30-tick battery: supply
//!   1000 - 800 * 1000 / 1000 = 200, so telecom = 15000 * 200 / 1000 = 3000.
//! - tick 47: hospital-it's network group reads mobile-net at 200 < 700:
//!   1000 - 600 * 800 / 1000 = 520, and backup-carrier at 500 < 700:
//!   1000 - 600 * 500 / 1000 = 700; the group supplies max = 700 (its power is still
//!   on generators), so health = 20000 * 700 / 1000 = 14000. payments reads
//!   mobile-net at 200 < 500: 1000 - 900 * 800 / 1000 = 280, finance = 3360.
//! - tick 75: the substation is back (energy 20000); the rest still read tick 74.
//! - tick 76: pumping and mobile-net read 1000: water 20000, telecom 15000;
//!   hospital-it and payments still read mobile-net's 200 of tick 75.
//! - tick 77: everything is back: 87000 people served.

#[path = "common/cli.rs"]
mod common;
use common::*;

use tempfile::TempDir;

// ---- helpers ----

/// Runs the tutorial in a fresh temp dir with `--trace t.csv --final-state f.json`
/// and `extra` arguments; asserts success.
fn run_tutorial(extra: &[&str]) -> Run {
    let dir = TempDir::new().unwrap();
    let scenario = tutorial();
    let mut args = vec!["run", scenario.to_str().unwrap(), "--trace", "t.csv", "--final-state", "f.json"];
    args.extend_from_slice(extra);
    let output = cascade_in(dir.path(), &args);
    assert_exit(&output, 0);
    let trace = std::fs::read_to_string(dir.path().join("t.csv")).unwrap();
    let final_state = std::fs::read_to_string(dir.path().join("f.json")).unwrap();
    Run { summary: stdout(&output), trace, final_state }
}

struct Run {
    summary: String,
    trace: String,
    final_state: String,
}

/// One trace row: tick, hash, national service, then one column per sector.
#[derive(Debug, PartialEq)]
struct Row {
    tick: u64,
    hash: String,
    national: u64,
    sectors: Vec<u64>,
}

impl Run {
    fn header(&self) -> &str {
        self.trace.lines().next().unwrap()
    }

    fn rows(&self) -> Vec<Row> {
        self.trace
            .lines()
            .skip(1)
            .map(|line| {
                let fields: Vec<&str> = line.split(',').collect();
                assert_eq!(fields.len(), 8, "row {line:?}");
                Row {
                    tick: fields[0].parse().unwrap(),
                    hash: fields[1].to_string(),
                    national: fields[2].parse().unwrap(),
                    sectors: fields[3..].iter().map(|f| f.parse().unwrap()).collect(),
                }
            })
            .collect()
    }

    /// The hash the summary prints after "final state hash ".
    fn printed_hash(&self) -> String {
        let (_, rest) = self.summary.split_once("final state hash ").expect("the summary names the final state hash");
        rest.split_whitespace().next().unwrap().to_string()
    }

    fn final_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.final_state).unwrap()
    }
}

fn is_hash(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// ---- cascade check ----

#[test]
fn check_accepts_the_tutorial() {
    let output = cascade_in(repo(), &["check", "scenarios/tutorial.ron"]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "scenarios/tutorial.ron: ok: \"Tutorial: a power cut in a small town\", 5 sectors, \
         6 organisations, 6 assets, 6 dependencies, 2 links, 3 teams, 2 disruptions, 0 incidents, \
         0 injects, 0 regimes, 0 objectives, 180 ticks\n"
    );
    assert_eq!(stderr(&output), "");
}

#[test]
fn check_warns_about_what_is_valid_but_probably_not_meant_and_can_deny_it() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("lonely.ron");
    std::fs::write(
        &path,
        r#"Scenario(
            name: "Lonely",
            duration_ticks: 60,
            start: "2026-03-10T08:00",
            sectors: [Sector(id: "energy")],
            organisations: [
                Organisation(id: "grid", kind: Operator, sector: "energy"),
                Organisation(id: "ilr", kind: Authority),
            ],
            assets: [Asset(id: "scada", organisation: "grid", sector: "energy", population: 10)],
            teams: [Team(id: "grid-ops", organisation: "grid", role: Operator)],
            regimes: [Regime(id: "nis2", preset: Nis2, authority: "ilr")],
            objectives: [Objective(id: "piu", rule: PiuActivatedWithin(minutes: 60))],
        )"#,
    )
    .unwrap();
    let output = cascade_in(dir.path(), &["check", "lonely.ron"]);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("1 regimes, 1 objectives"), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(err.contains("lonely.ron: warning: regime #1 \"nis2\": authority \"ilr\" fields no team"), "{err}");
    assert!(err.contains("lonely.ron: warning: objective #1 \"piu\": no team has the CrisisCell role"), "{err}");
    assert!(err.ends_with("lonely.ron: 2 warnings\n"), "{err}");
    let denied = cascade_in(dir.path(), &["check", "--deny-warnings", "lonely.ron"]);
    assert_exit(&denied, 1);
    assert!(stderr(&denied).ends_with("lonely.ron: 2 warnings (denied: --deny-warnings)\n"), "{}", stderr(&denied));
    // The bundled scenarios pass with warnings denied.
    let bundled =
        cascade_in(repo(), &["check", "--deny-warnings", "scenarios/tutorial.ron", "scenarios/luxembourg.ron"]);
    assert_exit(&bundled, 0);
    assert_eq!(stderr(&bundled), "");
}

#[test]
fn check_reports_a_syntax_error_with_its_position() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("bad.ron"), "Scenario(\n    name: \"x\"\n    duration_ticks: 10,\n)\n").unwrap();
    let output = cascade_in(dir.path(), &["check", "bad.ron"]);
    assert_exit(&output, 1);
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "bad.ron:3:5: Expected comma\nbad.ron: 1 error\n");
}

/// The tutorial with four mistakes, one in each part of the file.
fn tutorial_with_four_errors() -> String {
    let mut text = std::fs::read_to_string(tutorial()).unwrap();
    for (old, new) in [
        ("Europe/Luxembourg\"", "Europe/Luxemburg\""),
        (
            "Asset(id: \"pumping\", name: \"Water pumping station\", organisation: \"waterworks\"",
            "Asset(id: \"pumping\", name: \"Water pumping station\", organisation: \"waterwork\"",
        ),
        ("weight: 800,", "weight: 8000,"),
        ("Disruption(tick: 75,", "Disruption(tick: 750,"),
    ] {
        assert_eq!(text.matches(old).count(), 1, "{old}");
        text = text.replace(old, new);
    }
    text
}

#[test]
fn check_lists_every_semantic_error() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("bad.ron"), tutorial_with_four_errors()).unwrap();
    let output = cascade_in(dir.path(), &["check", "bad.ron"]);
    assert_exit(&output, 1);
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "bad.ron: time_zone: unknown time zone \"Europe/Luxemburg\" (use an IANA name such as \"Europe/Luxembourg\" or \"UTC\")\n\
         bad.ron: asset #3 \"pumping\": unknown organisation \"waterwork\" (did you mean \"waterworks\"?)\n\
         bad.ron: dependency #2 (mobile-net -> substation): weight: 8000 is out of range 0..=1000 (per mille)\n\
         bad.ron: disruption #2 (tick 750, substation): tick 750 is after the end of the exercise (duration_ticks 180)\n\
         bad.ron: 4 errors\n"
    );
}

#[test]
fn check_reports_each_file() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("bad.ron"), "Scenario(").unwrap();
    let good = tutorial();
    let output = cascade_in(dir.path(), &["check", good.to_str().unwrap(), "bad.ron"]);
    assert_exit(&output, 1);
    assert!(stdout(&output).starts_with(&format!("{}: ok: ", good.display())), "{}", stdout(&output));
    assert!(stderr(&output).ends_with("bad.ron: 1 error\n"), "{}", stderr(&output));
}

#[test]
fn check_a_missing_file() {
    let dir = TempDir::new().unwrap();
    let output = cascade_in(dir.path(), &["check", "missing.ron"]);
    assert_exit(&output, 1);
    assert_eq!(
        stderr(&output),
        "missing.ron: cannot read: No such file or directory (os error 2)\nmissing.ron: 1 error\n"
    );
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &[][..],
        &["check"],
        &["check", "--frobnicate", "x.ron"],
        &["frobnicate"],
        &["run"],
        &["run", "scenarios/tutorial.ron", "--seed", "abc"],
        &["run", "scenarios/tutorial.ron", "--seed", "-1"],
        &["run", "scenarios/tutorial.ron", "--ticks", "ten"],
        &["run", "scenarios/tutorial.ron", "--trace"],
    ] {
        let output = cascade_in(repo(), args);
        assert_eq!(output.status.code(), Some(2), "cascade {args:?}");
        assert!(!stderr(&output).is_empty(), "cascade {args:?} explains");
    }
}

#[test]
fn bad_seed_is_explained() {
    let output = cascade_in(repo(), &["run", "scenarios/tutorial.ron", "--seed", "abc"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("invalid value 'abc' for '--seed <SEED>'"), "{}", stderr(&output));
}

// ---- cascade run ----

#[test]
fn run_writes_a_trace_of_every_tick() {
    let run = run_tutorial(&[]);
    assert_eq!(run.header(), "tick,hash,national_service,energy,telecom,water,health,finance");
    let rows = run.rows();
    assert_eq!(rows.len(), 181, "tick 0 and ticks 1..=180");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.tick, i as u64);
        assert!(is_hash(&row.hash), "tick {}: hash {:?}", row.tick, row.hash);
        assert_eq!(
            row.national,
            row.sectors.iter().sum::<u64>(),
            "tick {}: the sectors add up to the nation",
            row.tick
        );
    }
    let mut hashes: Vec<&str> = rows.iter().map(|r| r.hash.as_str()).collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), 181, "every tick's hash differs (the tick is in it)");
}

#[test]
fn run_follows_the_tutorial_story() {
    let rows = run_tutorial(&[]).rows();
    // tick: national, energy, telecom, water, health, finance (see the module doc).
    let expected: &[(u64, u64, [u64; 5])] = &[
        (0, 87000, [20000, 15000, 20000, 20000, 12000]),
        (14, 87000, [20000, 15000, 20000, 20000, 12000]),
        (15, 67000, [0, 15000, 20000, 20000, 12000]),
        (16, 47000, [0, 15000, 0, 20000, 12000]),
        (45, 47000, [0, 15000, 0, 20000, 12000]),
        (46, 35000, [0, 3000, 0, 20000, 12000]),
        (47, 20360, [0, 3000, 0, 14000, 3360]),
        (74, 20360, [0, 3000, 0, 14000, 3360]),
        (75, 40360, [20000, 3000, 0, 14000, 3360]),
        (76, 72360, [20000, 15000, 20000, 14000, 3360]),
        (77, 87000, [20000, 15000, 20000, 20000, 12000]),
        (180, 87000, [20000, 15000, 20000, 20000, 12000]),
    ];
    for &(tick, national, sectors) in expected {
        let row = &rows[tick as usize];
        assert_eq!((row.tick, row.national, row.sectors.as_slice()), (tick, national, &sectors[..]), "tick {tick}");
    }
}

#[test]
fn run_prints_a_summary() {
    let run = run_tutorial(&[]);
    let lines: Vec<&str> = run.summary.lines().collect();
    assert_eq!(
        lines[0],
        "Tutorial: a power cut in a small town — seed 42, start 2026-03-10 08:00 Europe/Luxembourg, 60 s per tick"
    );
    assert!(lines[1].starts_with("ran 180 of 180 ticks in "), "{}", lines[1]);
    assert_eq!(
        lines[2..],
        [
            "national service: lowest 23.4% (about 20,360 of 87,000 people) at tick 47 (08:47); at the end 100.0% (about 87,000 of 87,000 people)",
            "sectors hit (lowest service, when; at the end):",
            "  energy     0.0% at tick 15 (08:15); 100.0%",
            "  telecom   20.0% at tick 46 (08:46); 100.0%",
            "  water      0.0% at tick 16 (08:16); 100.0%",
            "  health    70.0% at tick 47 (08:47); 100.0%",
            "  finance   28.0% at tick 47 (08:47); 100.0%",
            "Cyber PIU: not activated",
            "0 messages exchanged; 0 of 0 injects fired",
        ]
    );
}

#[test]
fn run_writes_the_final_state() {
    let run = run_tutorial(&[]);
    let rows = run.rows();
    let last = rows.last().unwrap();
    let json = run.final_json();
    assert_eq!(json["tick"], 180);
    assert_eq!(json["seed"], "42");
    assert_eq!(json["national_service"], 87000);
    assert_eq!(json["hash"], last.hash.as_str());
    assert_eq!(run.printed_hash(), last.hash, "summary and trace agree");
    let assets: Vec<(&str, u64, u64)> = json["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["level"].as_u64().unwrap(), a["integrity"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        assets,
        [
            ("substation", 1000, 1000),
            ("mobile-net", 1000, 1000),
            ("pumping", 1000, 1000),
            ("hospital-it", 1000, 1000),
            ("payments", 1000, 1000),
            ("backup-carrier", 500, 500),
        ]
    );
}

#[test]
fn ticks_stops_early() {
    let full = run_tutorial(&[]).rows();
    let run = run_tutorial(&["--ticks", "10"]);
    let rows = run.rows();
    assert_eq!(rows.len(), 11);
    assert_eq!(rows, full[..11], "a short run is a prefix of the full run");
    assert!(run.summary.contains("ran 10 of 180 ticks"), "{}", run.summary);
    assert_eq!(run.printed_hash(), rows[10].hash);
    assert_eq!(run.final_json()["tick"], 10);

    // The final state after 50 ticks: the substation out, mobile-net on 20% since tick 46.
    let run = run_tutorial(&["--ticks", "50"]);
    let levels: Vec<u64> =
        run.final_json()["assets"].as_array().unwrap().iter().map(|a| a["level"].as_u64().unwrap()).collect();
    assert_eq!(levels, [0, 200, 0, 700, 280, 500]);
    assert_eq!(run.final_json()["assets"][0]["integrity"], 0);
}

#[test]
fn ticks_0_is_the_starting_state() {
    let full = run_tutorial(&[]).rows();
    let run = run_tutorial(&["--ticks", "0"]);
    assert_eq!(run.rows(), full[..1]);
    assert!(run.summary.contains("ran 0 of 180 ticks"), "{}", run.summary);
    assert_eq!(run.final_json()["tick"], 0);
    assert_eq!(run.printed_hash(), full[0].hash);
}

#[test]
fn ticks_is_clamped_to_the_duration() {
    let full = run_tutorial(&[]);
    let run = run_tutorial(&["--ticks", "100000"]);
    assert_eq!(run.trace, full.trace);
    assert!(run.summary.contains("ran 180 of 180 ticks"), "{}", run.summary);
}

#[test]
fn runs_are_byte_identical() {
    let first = run_tutorial(&[]);
    let second = run_tutorial(&[]);
    assert_eq!(first.trace, second.trace);
    assert_eq!(first.final_state, second.final_state);
    let explicit = run_tutorial(&["--seed", "42"]);
    assert_eq!(explicit.trace, first.trace, "--seed 42 is the scenario's own seed");
}

#[test]
fn the_seed_is_in_the_state_hash() {
    let default = run_tutorial(&[]).rows();
    let seven = run_tutorial(&["--seed", "7"]);
    assert_eq!(seven.final_json()["seed"], "7");
    let seven = seven.rows();
    assert_eq!(seven.len(), default.len());
    for (a, b) in default.iter().zip(&seven) {
        assert_ne!(a.hash, b.hash, "tick {}", a.tick);
        // Nothing random happens in the tutorial yet: the service is the same.
        assert_eq!((a.national, &a.sectors), (b.national, &b.sectors), "tick {}", a.tick);
    }
}

#[test]
fn run_refuses_an_invalid_scenario() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("bad.ron"), tutorial_with_four_errors()).unwrap();
    let output = cascade_in(dir.path(), &["run", "bad.ron", "--trace", "t.csv"]);
    assert_exit(&output, 1);
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output).lines().count(), 4, "{}", stderr(&output));
    assert!(stderr(&output).starts_with("bad.ron: time_zone: unknown time zone"), "{}", stderr(&output));
    assert!(!dir.path().join("t.csv").exists(), "no trace for a scenario that did not load");
}

#[test]
fn run_a_missing_scenario() {
    let dir = TempDir::new().unwrap();
    let output = cascade_in(dir.path(), &["run", "missing.ron"]);
    assert_exit(&output, 1);
    assert_eq!(stderr(&output), "missing.ron: cannot read: No such file or directory (os error 2)\n");
}

#[test]
fn trace_into_a_missing_directory() {
    let dir = TempDir::new().unwrap();
    let scenario = tutorial();
    let output = cascade_in(dir.path(), &["run", scenario.to_str().unwrap(), "--trace", "no/such/dir/t.csv"]);
    assert_exit(&output, 1);
    assert_eq!(stdout(&output), "", "it fails before simulating");
    assert_eq!(
        stderr(&output),
        "error: cannot create trace file no/such/dir/t.csv: No such file or directory (os error 2)\n"
    );
}

#[test]
fn final_state_into_a_missing_directory() {
    let dir = TempDir::new().unwrap();
    let scenario = tutorial();
    let output = cascade_in(dir.path(), &["run", scenario.to_str().unwrap(), "--final-state", "no/such/dir/f.json"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("no/such/dir/f.json"), "{}", stderr(&output));
}
