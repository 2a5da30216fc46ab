//! End-to-end tests of `cascade sweep`: exit codes, the summary, the per-run CSV,
//! independence from the number of threads, and the lost national service checked
//! against the tutorial's story worked out by hand (see tests/cli.rs).

#[path = "common/cli.rs"]
mod common;
use common::*;

use std::path::{Path, PathBuf};

use tempfile::TempDir;

// ---- helpers ----

/// Sweeps `scenario` in a fresh temp dir with `args` after the file; asserts exit 0
/// and returns stdout and the CSV (when `--csv out.csv` is among `args`).
fn sweep(scenario: &Path, args: &[&str]) -> (String, Option<String>) {
    let dir = TempDir::new().unwrap();
    let mut all = vec!["sweep", scenario.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = cascade_in(dir.path(), &all);
    assert_exit(&output, 0);
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).ok();
    (stdout(&output), csv)
}

/// The summary line that starts (after its indent) with `label`, split into cells.
#[track_caller]
fn summary_row(summary: &str, label: &str) -> Vec<String> {
    let line = summary
        .lines()
        .find(|l| l.trim_start().starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{summary}"));
    line.trim_start()[label.len()..].split_whitespace().map(str::to_string).collect()
}

/// CSV data rows (the header checked and dropped), split into fields.
#[track_caller]
fn csv_rows(csv: &str) -> Vec<Vec<String>> {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "seed,lost_person_hours,lowest_national_permille,objectives_met,objectives_missed,objectives_pending,\
             notifications_on_time,notifications_late,notifications_overdue"
        )
    );
    lines.map(|l| l.split(',').map(str::to_string).collect()).collect()
}

// ---- the tutorial: no randomness, every run the same ----

/// The tutorial's lost national service, in person-hours. From the story in
/// tests/cli.rs (87000 people; ticks not listed serve everyone), people not served:
///   tick 15          energy dark:                                20000 ×  1 =   20000
///   ticks 16..=45    + water dark (30 ticks):                    40000 × 30 = 1200000
///   tick 46          + telecom at 3000 (-12000):                 52000 ×  1 =   52000
///   ticks 47..=74    + health 14000 (-6000), finance 3360
///                      (-8640) (28 ticks):                       66640 × 28 = 1865920
///   tick 75          energy back (-20000):                       46640 ×  1 =   46640
///   tick 76          water and telecom back: health and finance  14640 ×  1 =   14640
///                                                                 total     3199200
/// person-ticks; a tick is 60 s, so 3199200 / 60 = 53320.0 person-hours. (The same
/// sum over the national_service column of `cascade run scenarios/tutorial.ron
/// --trace t.csv`.) Out of 87000 × 180 / 60 = 261000 possible: 20.4%.
const TUTORIAL_LOST: &str = "53320.0";

#[test]
fn a_sweep_of_the_tutorial_prints_the_distribution() {
    let (summary, _) = sweep(&tutorial(), &["--runs", "5"]);
    assert!(summary.starts_with("Tutorial: a power cut in a small town — 5 runs, seeds 42 to 46"), "{summary}");
    // Every run is the same, so every statistic is too (nearest-rank: the median
    // of 5 is the 3rd, the 95th percentile the 5th).
    assert_eq!(summary_row(&summary, "min"), [TUTORIAL_LOST, "20.4%", "42"]);
    assert_eq!(summary_row(&summary, "median"), [TUTORIAL_LOST, "20.4%", "44"]);
    assert_eq!(summary_row(&summary, "95th percentile"), [TUTORIAL_LOST, "20.4%", "46"]);
    assert_eq!(summary_row(&summary, "max"), [TUTORIAL_LOST, "20.4%", "46"]);
    assert!(summary.contains("(possible: 261000.0 person-hours, 87000 people for 180 ticks)"), "{summary}");
    // The lowest national service: 20360 people (ticks 47..=74), 23.4%.
    assert_eq!(summary_row(&summary, "5th percentile"), ["23.4%", "(about", "20,360", "of", "87,000", "people)", "42"]);
    assert!(summary.contains("objectives: none in this scenario"), "{summary}");
    assert!(summary.contains("incidents: none in this scenario"), "{summary}");
    assert!(summary.contains("notifications: none due"), "{summary}");
}

#[test]
fn the_output_does_not_depend_on_the_number_of_threads() {
    let (one, csv_one) = sweep(&tutorial(), &["--runs", "5", "--jobs", "1", "--csv", "out.csv"]);
    let (two, csv_two) = sweep(&tutorial(), &["--runs", "5", "--jobs", "2", "--csv", "out.csv"]);
    assert_eq!(one, two);
    assert_eq!(csv_one, csv_two);
}

#[test]
fn the_csv_has_one_row_per_seed_with_the_hand_computed_loss() {
    let (_, csv) = sweep(&tutorial(), &["--runs", "5", "--csv", "out.csv"]);
    let rows = csv_rows(&csv.unwrap());
    assert_eq!(rows.len(), 5);
    for (i, row) in rows.iter().enumerate() {
        // Seeds from the scenario's (42); 20360 of 87000 served is 234‰ rounded down;
        // no objectives, no notifications.
        let seed = (42 + i).to_string();
        assert_eq!(row, &[seed.as_str(), TUTORIAL_LOST, "234", "0", "0", "0", "0", "0", "0"]);
    }
}

#[test]
fn first_seed_sets_the_seeds() {
    let (summary, csv) = sweep(&tutorial(), &["--runs", "3", "--first-seed", "1000", "--csv", "out.csv"]);
    assert!(summary.contains("3 runs, seeds 1000 to 1002"), "{summary}");
    let seeds: Vec<String> = csv_rows(&csv.unwrap()).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(seeds, ["1000", "1001", "1002"]);
    let (summary, _) = sweep(&tutorial(), &["--runs", "1", "--first-seed", "7"]);
    assert!(summary.contains("1 run, seed 7;"), "{summary}");
}

// ---- errors ----

#[test]
fn zero_runs_is_a_bad_argument() {
    let dir = TempDir::new().unwrap();
    let output = cascade_in(dir.path(), &["sweep", tutorial().to_str().unwrap(), "--runs", "0"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("--runs"), "{}", stderr(&output));
    assert!(stderr(&output).contains("1..=100000"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}

#[test]
fn seeds_past_the_largest_are_a_bad_argument() {
    let dir = TempDir::new().unwrap();
    let scenario = tutorial();
    let args = ["sweep", scenario.to_str().unwrap(), "--runs", "2", "--first-seed", "18446744073709551615"];
    let output = cascade_in(dir.path(), &args);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("largest seed"), "{}", stderr(&output));
}

#[test]
fn a_missing_file_exits_1() {
    let dir = TempDir::new().unwrap();
    let output = cascade_in(dir.path(), &["sweep", "no-such.ron", "--runs", "3"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("no-such.ron"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}

#[test]
fn an_invalid_scenario_exits_1_with_the_load_errors() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("bad.ron"), "Scenario(name: \"x\")").unwrap();
    let output = cascade_in(dir.path(), &["sweep", "bad.ron", "--runs", "3"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("bad.ron"), "{}", stderr(&output));
}

#[test]
fn an_unwritable_csv_exits_1_naming_the_path() {
    let dir = TempDir::new().unwrap();
    let scenario = tutorial();
    let output =
        cascade_in(dir.path(), &["sweep", scenario.to_str().unwrap(), "--runs", "2", "--csv", "missing-dir/out.csv"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("missing-dir/out.csv"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}

// ---- randomness: a spreading incident and responsive bots ----

/// Six assets of 1000 people in a ring of links around a hub; ransomware at the hub
/// from tick 5 spreads with a 50% chance per tick and link, and two responsive bots
/// (acting on half of their ticks) investigate, isolate and restore.
const SPREADING: &str = r#"Scenario(
    name: "Worm in a small network",
    seed: 1,
    tick_seconds: 60,
    duration_ticks: 120,
    start: "2026-03-10T08:00",
    sectors: [Sector(id: "it")],
    organisations: [
        Organisation(id: "op", kind: Operator, sector: "it"),
        Organisation(id: "csirt", kind: Csirt, constituency: ["op"]),
    ],
    assets: [
        Asset(id: "hub", organisation: "op", sector: "it", population: 1000),
        Asset(id: "a", organisation: "op", sector: "it", population: 1000),
        Asset(id: "b", organisation: "op", sector: "it", population: 1000),
        Asset(id: "c", organisation: "op", sector: "it", population: 1000),
        Asset(id: "d", organisation: "op", sector: "it", population: 1000),
        Asset(id: "e", organisation: "op", sector: "it", population: 1000),
    ],
    links: [
        Link(from: "hub", to: "a"), Link(from: "hub", to: "b"), Link(from: "a", to: "c"),
        Link(from: "b", to: "d"), Link(from: "c", to: "e"), Link(from: "d", to: "e"),
    ],
    teams: [
        Team(id: "ops", organisation: "op", role: Operator, bot: Responsive(delay: 3, skill: 500)),
        Team(id: "responders", organisation: "csirt", role: Csirt, bot: Responsive(delay: 3, skill: 500)),
    ],
    incidents: [
        Incident(id: "worm", kind: Ransomware, targets: ["hub"], start: 5,
                 impact: 100, floor: 0, spread: 500, visibility: 300, detectability: 800),
    ],
    objectives: [
        Objective(id: "contain-worm", rule: ContainedWithin(incident: "worm", minutes: 20)),
    ],
)
"#;

fn spreading() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("spreading.ron");
    std::fs::write(&path, SPREADING).unwrap();
    (dir, path)
}

#[test]
fn different_seeds_give_different_outcomes() {
    let (_dir, scenario) = spreading();
    let (summary, csv) = sweep(&scenario, &["--runs", "20", "--first-seed", "100", "--csv", "out.csv"]);
    let min = summary_row(&summary, "min");
    let max = summary_row(&summary, "max");
    let lost = |cells: &[String]| cells[0].parse::<f64>().unwrap();
    assert!(lost(&min) < lost(&max), "{summary}");
    // The CSV agrees: the seeds in order, more than one distinct loss, and the
    // summary's min and max among them.
    let rows = csv_rows(&csv.unwrap());
    let seeds: Vec<u64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(seeds, (100..120).collect::<Vec<_>>());
    let mut losses: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    losses.sort_by(|a, b| a.parse::<f64>().unwrap().total_cmp(&b.parse().unwrap()));
    losses.dedup();
    assert!(losses.len() > 1, "{losses:?}");
    assert_eq!(losses[0], min[0]);
    assert_eq!(losses[losses.len() - 1], max[0]);
    // The objective and incident lines are there, counted over 20 runs.
    assert!(summary.contains("contain-worm"), "{summary}");
    assert_eq!(summary_row(&summary, "worm")[0], "20/20", "{summary}");
}

#[test]
fn the_same_first_seed_gives_the_same_output() {
    let (_dir, scenario) = spreading();
    let args = ["--runs", "12", "--first-seed", "7", "--csv", "out.csv"];
    let first = sweep(&scenario, &args);
    let again = sweep(&scenario, &args);
    assert_eq!(first, again);
    let mut one_thread = args.to_vec();
    one_thread.extend(["--jobs", "1"]);
    assert_eq!(sweep(&scenario, &one_thread), first);
    // Another first seed sweeps other runs.
    let other = sweep(&scenario, &["--runs", "12", "--first-seed", "8", "--csv", "out.csv"]);
    assert_ne!(other.1, first.1);
}
