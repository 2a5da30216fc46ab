//! `cascade report JOURNAL --out DIR`: the after-action report of a recorded run,
//! its numbers checked against a scenario whose outcome is worked out by hand.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn cascade() -> Command {
    Command::cargo_bin("cascade").unwrap()
}

/// One critical plant of 1000 people and a water works of 1000 (2000 in all).
/// Ransomware hits the plant at tick 5 with visibility 1000: it is detected at
/// once (tick 5), and the plant loses 200‰ a tick: 800, 600, 400, 200, 0 at ticks
/// 5..=9, so national service bottoms out at 1000 of 2000 at tick 9 (09:09).
/// The plant falls below the critical-outage level (500) at tick 7.
///
/// The operator's bot (delay 0, skill 1000) decides at the end of tick 5 and acts
/// one action a tick from tick 6: isolate at 6 (5 ticks: lands at 11, so the
/// incident is contained at 11, 6 min after detection, within the objective's 10),
/// then the NIS2 early warning at 7, notification at 8, final report at 9, and a
/// restore at 12 (120 ticks: never lands in a 30-tick run).
const SCENARIO: &str = r#"Scenario(
    name: "Plant <intrusion> & \"report\"",
    description: "A <b>tiny</b> test & check",
    seed: 7,
    tick_seconds: 60,
    duration_ticks: 30,
    start: "2026-03-10T09:00",
    sectors: [Sector(id: "energy", name: "Energy"), Sector(id: "water", name: "Water")],
    organisations: [
        Organisation(id: "grid", kind: Operator, sector: "energy"),
        Organisation(id: "water", kind: Operator, sector: "water"),
        Organisation(id: "regulator", kind: Authority),
    ],
    assets: [
        Asset(id: "plant", organisation: "grid", sector: "energy", population: 1000, criticality: Critical),
        Asset(id: "pumps", organisation: "water", sector: "water", population: 1000),
    ],
    teams: [
        Team(id: "grid-ops", organisation: "grid", role: Operator, bot: Responsive(delay: 0, skill: 1000)),
    ],
    incidents: [
        Incident(id: "intrusion", kind: Ransomware, targets: ["plant"], start: 5,
                 impact: 200, floor: 0, spread: 0, visibility: 1000, detectability: 1000),
    ],
    regimes: [
        Regime(id: "nis2", preset: Nis2, authority: "regulator", sectors: ["energy"]),
    ],
    objectives: [
        Objective(id: "contain", description: "Contain the intrusion", rule: ContainedWithin(incident: "intrusion", minutes: 10),
                  capability: "Cybersecurity"),
    ],
)
"#;

fn record(dir: &Path) -> std::path::PathBuf {
    let scenario = dir.join("plant.ron");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let journal = dir.join("j.jsonl");
    let run = cascade().arg("run").arg(&scenario).arg("--journal").arg(&journal).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    journal
}

fn moment(v: &Value) -> (u64, &str) {
    (v["tick"].as_u64().unwrap(), v["clock"].as_str().unwrap())
}

#[test]
fn the_report_has_the_known_outcome_in_all_three_formats() {
    let dir = tempfile::tempdir().unwrap();
    let journal = record(dir.path());
    let out = dir.path().join("aar/nested");
    let report = cascade().arg("report").arg(&journal).arg("--out").arg(&out).output().unwrap();
    assert!(report.status.success(), "{}", String::from_utf8_lossy(&report.stderr));
    let printed = String::from_utf8(report.stdout).unwrap();
    for name in ["report.md", "report.html", "report.json", "report.docx"] {
        assert!(printed.contains(&out.join(name).display().to_string()), "{printed}");
    }
    // Not a terminal: no progress bar.
    assert!(report.stderr.is_empty(), "{}", String::from_utf8_lossy(&report.stderr));

    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let o = &json["overview"];
    assert_eq!(json["format"], 2);
    assert_eq!(o["ticks_run"], 30);
    assert_eq!(o["seed"], "7");
    assert_eq!(o["verified"], true);
    assert_eq!(o["teams"], 1);

    assert_eq!(json["service"]["national"].as_array().unwrap().len(), 31);
    assert_eq!(json["service"]["national"][5], 1800);
    assert_eq!(json["service"]["sectors"][0]["served"][9], 0);
    let low = &json["lowest_service"];
    assert_eq!((low["served"].as_u64(), low["per_mille"].as_u64()), (Some(1000), Some(500)));
    assert_eq!(moment(&low["at"]), (9, "09:09"));

    let inc = &json["incidents"][0];
    assert_eq!(inc["id"], "intrusion");
    assert_eq!(moment(&inc["started"]), (5, "09:05"));
    assert_eq!(moment(&inc["detected"]), (5, "09:05"));
    assert_eq!(moment(&inc["contained"]), (11, "09:11"));
    assert!(inc["recovered"].is_null());
    assert_eq!((inc["ttd_minutes"].as_u64(), inc["ttc_minutes"].as_u64()), (Some(0), Some(6)));
    assert!(inc["ttr_minutes"].is_null());
    assert_eq!(inc["compromised"], serde_json::json!(["plant"]));
    assert_eq!(inc["indicators_shared"], false);

    let obj = &json["objectives"][0];
    assert_eq!(obj["status"], "met");
    assert_eq!(moment(&obj["decided"]), (11, "09:11"));
    assert_eq!((obj["minutes_taken"].as_u64(), obj["minutes_allowed"].as_u64()), (Some(6), Some(10)));
    let evidence: Vec<&str> = obj["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert_eq!(
        evidence,
        [
            "intrusion first detected at 09:05 (tick 5).",
            "intrusion contained at 09:11 (tick 11).",
            "Contained 6 min after detection (objective: 10).",
        ]
    );

    let notes = json["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 3);
    let early = notes.iter().find(|n| n["stage"] == "early-warning").unwrap();
    assert_eq!((early["organisation"].as_str(), early["regime"].as_str()), (Some("grid"), Some("nis2")));
    assert_eq!(moment(&early["filed"]), (7, "09:07"));
    // 24 h after awareness at tick 5.
    assert_eq!(early["due"]["tick"], 5 + 24 * 60);
    assert_eq!(early["status"], "on_time");
    assert_eq!(early["filed_by"], "bot", "the bot played grid-ops");

    let team = &json["teams"][0];
    assert_eq!(team["id"], "grid-ops");
    assert_eq!(team["human"], false);
    assert_eq!(team["actions"], serde_json::json!({"isolate": 1, "report": 3, "restore": 1}));
    assert_eq!(moment(&team["first_action"]), (6, "09:06"));

    let timeline = json["timeline"].as_array().unwrap();
    assert!(timeline.iter().any(|e| e["kind"] == "alert" && e["tick"] == 5), "{timeline:?}");
    assert!(timeline.iter().any(|e| e["kind"] == "report" && e["clock"] == "09:07"), "{timeline:?}");
    assert!(timeline.iter().any(|e| e["kind"] == "outage" && e["tick"] == 7), "{timeline:?}");

    let strengths: Vec<&str> = json["strengths"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(strengths.contains(&"Objective contain met at 09:11: 6 min (objective: 10)"), "{strengths:?}");
    // Filed by the bot: no strength of the players.
    assert!(strengths.iter().all(|s| !s.contains("notification")), "{strengths:?}");
    let improvements = json["improvements"].as_array().unwrap();
    assert!(improvements.contains(&Value::from("The indicators of incident intrusion were never shared.")));

    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for heading in [
        "## Exercise Overview",
        "## Analysis of Objectives",
        "## Timeline",
        "## Incidents",
        "## Notifications",
        "## Injects and Responses",
        "## Team Activity",
        "## Commands",
        "## Strengths",
        "## Areas for Improvement",
    ] {
        assert!(md.contains(heading), "{heading} missing:\n{md}");
    }
    assert!(md.contains("### contain: MET at 09:11 (tick 11)"), "{md}");
    assert!(md.contains("| intrusion | ransomware | 09:05 | 09:05 | 09:11 | — | 0 | 6 | — | plant |"), "{md}");
    // No stated population: a share of weighted service, never "people".
    assert!(md.contains("| Lowest national service | 50.0% at 09:09 (tick 9) |"), "{md}");
    assert!(
        md.contains(
            "| grid | nis2 | early-warning | intrusion | regulator | 2026-03-11 09:05 | 09:07 | bot | on time |"
        ),
        "{md}"
    );

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg").count(), 2, "the service chart and the incident Gantt chart");
    assert!(html.contains("<polyline"), "service lines");
    assert!(html.contains("<rect"), "incident bars");
    assert!(html.contains("Contained 6 min after detection (objective: 10)."));
    assert!(html.contains("50.0% at 09:09 (tick 9)"));
    // Self-contained, and the scenario's text is escaped.
    assert!(!html.contains("<script") && !html.contains("href=\"http") && !html.contains("src="));
    assert!(html.contains("Plant &lt;intrusion&gt; &amp; &quot;report&quot;"), "escaped title");
    assert!(html.contains("A &lt;b&gt;tiny&lt;/b&gt; test &amp; check"));
    assert!(!html.contains("<b>tiny"));
    // HSEEP: summary, details, capabilities, the Improvement Plan, contents.
    assert_eq!(json["summary"]["objectives_met"], 1);
    assert_eq!(json["details"]["bot_teams"], serde_json::json!(["grid-ops"]));
    assert_eq!(json["capabilities"][0]["capability"], "Cybersecurity");
    assert_eq!(
        (json["capabilities"][0]["rating"].as_str(), json["capabilities"][0]["by_evaluator"].as_bool()),
        (Some("P"), Some(false))
    );
    let plan = json["improvement_plan"].as_array().unwrap();
    assert_eq!(plan.len(), json["improvements"].as_array().unwrap().len(), "a row per area for improvement");
    for heading in ["## Executive Summary", "## Exercise Details", "## Core Capabilities", "## Improvement Plan"] {
        assert!(md.contains(heading), "{heading} missing");
    }
    assert!(md.contains("| Cybersecurity | contain (met) | P — Performed without challenges | P |"), "{md}");
    assert!(html.contains("<nav class=\"toc\">") && html.contains("<a href=\"#s1\">Executive Summary</a>"));
    assert!(html.contains("@media print"));

    // report.docx is a valid Word package with the sections.
    let file = std::fs::File::open(out.join("report.docx")).unwrap();
    let mut package = zip::ZipArchive::new(file).expect("report.docx is a zip package");
    for part in ["[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml"] {
        assert!(package.by_name(part).is_ok(), "{part} missing from report.docx");
    }
    let mut document = String::new();
    std::io::Read::read_to_string(&mut package.by_name("word/document.xml").unwrap(), &mut document).unwrap();
    for section in [
        "Executive Summary",
        "Exercise Details",
        "Analysis of Core Capabilities",
        "Analysis of Objectives",
        "Injects and Responses",
        "Evaluator Observations",
        "Appendix A: Improvement Plan",
        "Cybersecurity",
        "Plant &lt;intrusion&gt; &amp;",
    ] {
        assert!(document.contains(section), "{section} missing from report.docx");
    }
}

#[test]
fn an_evaluator_s_ratings_override_the_derived_ones_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let journal = record(dir.path());
    let out = dir.path().join("aar");
    let ratings = dir.path().join("ratings.json");
    std::fs::write(&ratings, r#"{"Cybersecurity": {"rating": "S", "note": "contained, but nobody told the CSIRT"}}"#)
        .unwrap();
    let run =
        cascade().arg("report").arg(&journal).arg("--out").arg(&out).arg("--ratings").arg(&ratings).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let c = &json["capabilities"][0];
    assert_eq!(
        (c["rating"].as_str(), c["derived"].as_str(), c["by_evaluator"].as_bool()),
        (Some("S"), Some("P"), Some(true))
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("S — Performed with some challenges (evaluator) | P | contained, but nobody told the CSIRT |"),
        "{md}"
    );

    for (text, needle) in [
        (
            r#"{"Logistics": {"rating": "P"}}"#,
            "\"Logistics\" is not rated in this report (its objectives name: Cybersecurity)",
        ),
        (r#"{"Cybersecurity": {"rating": "B"}}"#, "not one of P, S, M, U"),
        ("nonsense", "not a ratings file"),
    ] {
        std::fs::write(&ratings, text).unwrap();
        let run = cascade()
            .arg("report")
            .arg(&journal)
            .arg("--out")
            .arg(&out)
            .arg("--ratings")
            .arg(&ratings)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(1), "{text}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains("ratings.json") && err.contains(needle), "{err}");
    }
}

#[test]
fn a_bad_journal_a_mismatch_and_an_unwritable_dir_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");

    let garbage = dir.path().join("garbage.jsonl");
    std::fs::write(&garbage, "not json\n{}\n").unwrap();
    let run = cascade().arg("report").arg(&garbage).arg("--out").arg(&out).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("garbage.jsonl:1"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let journal = record(dir.path());
    let text = std::fs::read_to_string(&journal).unwrap();
    let tampered: String = text
        .lines()
        .map(|l| {
            if l.starts_with("{\"checkpoint\":12,") {
                format!("{{\"checkpoint\":12,\"hash\":\"{}\"}}\n", "f".repeat(64))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let bad = dir.path().join("tampered.jsonl");
    std::fs::write(&bad, tampered).unwrap();
    let run = cascade().arg("report").arg(&bad).arg("--out").arg(&out).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("checkpoint mismatch at tick 12"), "{err}");
    assert!(!out.join("report.json").exists(), "no report from a journal that does not verify");

    // --out is a file: the directory cannot be created.
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let run = cascade().arg("report").arg(&journal).arg("--out").arg(&file).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("a-file") && err.contains("cannot create directory"), "{err}");
}
