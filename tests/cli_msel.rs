//! End-to-end tests of `cascade msel` and of a scenario whose `msel` field names a
//! CSV file beside it.

#[path = "common/cli.rs"]
mod common;
use common::*;

use std::path::{Path, PathBuf};

use tempfile::TempDir;

const HEADER: &str = "number,time,from,to,method,message,expected_action";
/// What `cascade msel` writes: the columns and the optional `tlp`.
const EXPORT_HEADER: &str = "number,time,from,to,method,message,expected_action,tlp,effects";

const SCENARIO: &str = r#"
Scenario(
    name: "MSEL end to end",
    duration_ticks: 240,
    start: "2026-03-10T08:00",
    time_zone: "Europe/Luxembourg",
    sectors: [Sector(id: "health")],
    organisations: [
        Organisation(id: "chem", kind: Operator, sector: "health"),
        Organisation(id: "csirt", kind: Csirt),
        Organisation(id: "hcpn", kind: CrisisCell),
    ],
    assets: [Asset(id: "chem-clinical-it", organisation: "chem", sector: "health", population: 1000)],
    teams: [
        Team(id: "csirt", organisation: "csirt", role: Csirt),
        Team(id: "chem-ops", organisation: "chem", role: Operator),
        Team(id: "crisis", organisation: "hcpn", role: CrisisCell),
    ],
    msel: "file.csv",
    injects: [
        Inject(id: "kickoff", at: 1, from: "Exercise control", message: "Start."),
        Inject(id: "slow", when: AssetBelow(asset: "chem-clinical-it", level: 500),
               to: ["chem-ops"], method: Phone, message: "The clinical IT is slow."),
    ],
)
"#;

const CSV: &str = "number,time,from,to,method,message,expected_action\n\
                   journalist,08:45,RTL journalist,csirt,phone,\"Is it a cyberattack? We go live, now.\",Holding statement.\n\
                   memo,T+90,\"CHEM \"\"duty\"\" officer\",\"csirt, chem-ops\",Portal,\"Line one.\nLine two.\",\n";

/// `scenario.ron` (naming `file.csv`) and `file.csv` with `csv`, in a temp dir.
fn exercise(csv: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("scenario.ron");
    std::fs::write(&path, SCENARIO).unwrap();
    std::fs::write(dir.path().join("file.csv"), csv).unwrap();
    (dir, path)
}

#[test]
fn msel_of_the_tutorial_starts_with_the_header() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = cascade_in(repo, &["msel", "scenarios/tutorial.ron"]);
    assert_exit(&output, 0);
    assert_eq!(stderr(&output), "");
    let out = stdout(&output);
    assert_eq!(out.lines().next(), Some(EXPORT_HEADER), "{out}");
    let tutorial = std::fs::read_to_string(repo.join("scenarios/tutorial.ron")).unwrap();
    if !tutorial.contains("injects:") && !tutorial.contains("msel:") {
        assert_eq!(out, format!("{EXPORT_HEADER}\n"), "no injects: just the header");
    }
}

#[test]
fn check_accepts_a_scenario_with_an_msel_csv_and_msel_prints_the_merged_list() {
    let (dir, _path) = exercise(CSV);
    let check = cascade_in(dir.path(), &["check", "scenario.ron"]);
    assert_exit(&check, 0);
    assert!(stdout(&check).starts_with("scenario.ron: ok:"), "{}", stdout(&check));

    let msel = cascade_in(dir.path(), &["msel", "scenario.ron"]);
    assert_exit(&msel, 0);
    assert_eq!(stderr(&msel), "");
    assert_eq!(
        stdout(&msel),
        "number,time,from,to,method,message,expected_action,tlp,effects\n\
         kickoff,08:01,Exercise control,,Email,Start.,,TLP:RED,\n\
         slow,when asset chem-clinical-it below 500,,chem-ops,Phone,The clinical IT is slow.,,TLP:RED,\n\
         journalist,08:45,RTL journalist,csirt,Phone,\"Is it a cyberattack? We go live, now.\",Holding statement.,TLP:RED,\n\
         memo,09:30,\"CHEM \"\"duty\"\" officer\",csirt;chem-ops,Portal,\"Line one.\nLine two.\",,TLP:RED,\n"
    );
}

#[test]
fn the_scenario_is_found_from_another_directory() {
    // The CSV path is relative to the scenario file, not to the working directory.
    let (dir, path) = exercise(CSV);
    let elsewhere = TempDir::new().unwrap();
    let output = cascade_in(elsewhere.path(), &["msel", path.to_str().unwrap()]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output).lines().count(), 6, "{}", stdout(&output));
    drop(dir);
}

#[test]
fn a_bad_csv_row_fails_check_and_msel_naming_the_file_and_line() {
    let csv = format!("{HEADER}\nok,08:10,,,,fine,\nlate,9h30,,,,m,\nfax,08:20,,,Fax,m,\n");
    let (dir, _path) = exercise(&csv);
    let check = cascade_in(dir.path(), &["check", "scenario.ron"]);
    assert_exit(&check, 1);
    let err = stderr(&check);
    assert!(err.contains(r#"file.csv:3: time "9h30" is not a clock time like "09:30", a tick, or "T+90""#), "{err}");
    assert!(
        err.contains(r#"file.csv:4: method "Fax" is not one of Email, Phone, Media, Portal, Radio, InPerson"#),
        "{err}"
    );
    assert!(err.contains("scenario.ron: 2 errors"), "{err}");

    let msel = cascade_in(dir.path(), &["msel", "scenario.ron"]);
    assert_exit(&msel, 1);
    assert_eq!(stdout(&msel), "");
    assert!(stderr(&msel).contains("file.csv:3: time \"9h30\""));
}

#[test]
fn a_missing_csv_or_scenario_is_an_error() {
    let (dir, _path) = exercise(CSV);
    std::fs::remove_file(dir.path().join("file.csv")).unwrap();
    let check = cascade_in(dir.path(), &["check", "scenario.ron"]);
    assert_exit(&check, 1);
    assert!(
        stderr(&check).contains("file.csv: cannot read the MSEL named by `msel` in scenario.ron"),
        "{}",
        stderr(&check)
    );
    let msel = cascade_in(dir.path(), &["msel", "nope.ron"]);
    assert_exit(&msel, 1);
    assert!(stderr(&msel).contains("nope.ron: cannot read"));
}

#[test]
fn duplicate_ids_between_the_scenario_and_the_csv_are_reported() {
    let csv = format!("{HEADER}\nkickoff,08:10,,,,again,\n");
    let (dir, _path) = exercise(&csv);
    let check = cascade_in(dir.path(), &["check", "scenario.ron"]);
    assert_exit(&check, 1);
    assert!(stderr(&check).contains("kickoff"), "{}", stderr(&check));
}

#[test]
fn msel_needs_a_file_argument() {
    let dir = TempDir::new().unwrap();
    assert_exit(&cascade_in(dir.path(), &["msel"]), 2);
}
