//! The MSEL as CSV: export, import, every import error with its line, and the
//! `msel` field of a scenario merged at load time.

use std::path::Path;

use cascade_engine::clock::ExerciseClock;
use cascade_engine::msel::{MAX_MSEL_BYTES, MAX_MSEL_ROWS, injects_to_csv, parse_csv, to_csv};
use cascade_engine::scenario::{Inject, Method, Tlp};
use cascade_engine::{LoadError, Model, load_model, parse_model};
use proptest::prelude::*;
use tempfile::TempDir;

const HEADER: &str = "number,time,from,to,method,message,expected_action";
const HEADER_WITH_TLP: &str = "number,time,from,to,method,message,expected_action,tlp";
const EXPORT_HEADER: &str = "number,time,from,to,method,message,expected_action,tlp,effects";

/// Teams csirt, chem-ops, crisis; an incident, a regime; four scheduled injects
/// (one on the second day, one with effects) and one conditional inject of each kind.
const SCENARIO: &str = r#"
Scenario(
    name: "MSEL test",
    duration_ticks: 3000,
    start: "2026-03-10T08:00",
    time_zone: "Europe/Luxembourg",
    sectors: [Sector(id: "health")],
    organisations: [
        Organisation(id: "chem", kind: Operator, sector: "health"),
        Organisation(id: "csirt", kind: Csirt),
        Organisation(id: "ilr", kind: Authority),
        Organisation(id: "hcpn", kind: CrisisCell),
    ],
    assets: [Asset(id: "chem-clinical-it", organisation: "chem", sector: "health", population: 1000)],
    teams: [
        Team(id: "csirt", organisation: "csirt", role: Csirt),
        Team(id: "chem-ops", organisation: "chem", role: Operator),
        Team(id: "crisis", organisation: "hcpn", role: CrisisCell),
    ],
    incidents: [Incident(id: "post-ddos", kind: Ddos, targets: ["chem-clinical-it"])],
    regimes: [Regime(id: "nis2", preset: Nis2, authority: "ilr")],
    injects: [
        Inject(id: "welcome", at: 1, from: "Exercise control", message: "Welcome to the exercise.", tlp: "TLP:CLEAR"),
        Inject(id: "journalist", at: 45, from: "RTL journalist", to: ["csirt"], method: Phone,
               message: "Is the hospital down? We go live at 09:00, with or without you.",
               expected_action: "Give a holding statement, or refer to the HCPN."),
        Inject(id: "ops-memo", at: 90, from: "CHEM IT \"duty\" officer", to: ["csirt", "chem-ops"],
               method: Portal, message: "Line one, \"quoted\".\nLine two.",
               expected_action: "Isolate; then report.", effects: [StartIncident("post-ddos")]),
        Inject(id: "day-two", at: 1485, from: "HCPN", to: ["crisis"], method: InPerson,
               message: "Morning briefing."),
        Inject(id: "c-asset", when: AssetBelow(asset: "chem-clinical-it", level: 500),
               to: ["chem-ops"], method: Phone, message: "The clinical IT is slow."),
        Inject(id: "c-sector", when: SectorBelow(sector: "health", per_mille: 800), method: Media,
               message: "Patients complain on social media."),
        Inject(id: "c-detect", when: IncidentDetected("post-ddos"), method: Radio, message: "Detected."),
        Inject(id: "c-deadline", when: DeadlineMissed("nis2"), from: "ILR", message: "Where is your report?"),
        Inject(id: "c-piu", when: PiuActive, to: ["crisis", "csirt"], message: "The PIU is active."),
    ],
)
"#;

const EXPORT: &str = r#"number,time,from,to,method,message,expected_action,tlp,effects
welcome,08:01,Exercise control,,Email,Welcome to the exercise.,,TLP:CLEAR,
journalist,08:45,RTL journalist,csirt,Phone,"Is the hospital down? We go live at 09:00, with or without you.","Give a holding statement, or refer to the HCPN.",TLP:RED,
ops-memo,09:30,"CHEM IT ""duty"" officer",csirt;chem-ops,Portal,"Line one, ""quoted"".
Line two.",Isolate; then report.,TLP:RED,"[StartIncident(""post-ddos"")]"
day-two,2026-03-11 08:45,HCPN,crisis,InPerson,Morning briefing.,,TLP:RED,
c-asset,when asset chem-clinical-it below 500,,chem-ops,Phone,The clinical IT is slow.,,TLP:RED,
c-sector,when sector health below 800‰,,,Media,Patients complain on social media.,,TLP:RED,
c-detect,when incident post-ddos detected,,,Radio,Detected.,,TLP:RED,
c-deadline,when regime nis2 deadline missed,ILR,,Email,Where is your report?,,TLP:RED,
c-piu,when PIU active,,crisis;csirt,Email,The PIU is active.,,TLP:RED,
"#;

fn model() -> Model {
    parse_model(SCENARIO.as_bytes(), Path::new("msel-test.ron")).unwrap_or_else(|e| panic!("{e}"))
}

fn clock() -> ExerciseClock {
    ExerciseClock::new("2026-03-10T08:00", "Europe/Luxembourg", 60).unwrap()
}

fn parse(csv: &str) -> Result<Vec<Inject>, Vec<String>> {
    parse_csv(csv.as_bytes(), Path::new("msel.csv"), Some(&clock()))
}

/// The errors of `rows` under the standard header.
#[track_caller]
fn errors(rows: &str) -> Vec<String> {
    match parse(&format!("{HEADER}\n{rows}")) {
        Ok(injects) => panic!("expected errors, got {injects:?}"),
        Err(errors) => errors,
    }
}

#[track_caller]
fn one_error(rows: &str) -> String {
    let errors = errors(rows);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

fn inject(id: &str, at: u64) -> Inject {
    Inject {
        id: id.into(),
        at: Some(at),
        when: None,
        from: String::new(),
        to: vec![],
        method: Method::Email,
        message: String::new(),
        expected_action: String::new(),
        effects: vec![],
        tlp: Tlp::Red,
    }
}

// ---------------------------------------------------------------- export

#[test]
fn export_writes_the_msel_columns_with_times_and_conditions() {
    assert_eq!(to_csv(&model()), EXPORT);
}

#[test]
fn scheduled_injects_round_trip() {
    let model = model();
    let scheduled: Vec<Inject> = model.scenario.injects.iter().filter(|i| i.at.is_some()).cloned().collect();
    assert_eq!(scheduled.len(), 4);
    let csv = injects_to_csv(&scheduled, &model.clock);
    let back =
        parse_csv(csv.as_bytes(), Path::new("msel.csv"), Some(&model.clock)).unwrap_or_else(|e| panic!("{e:#?}"));
    // Everything comes back, effects included.
    assert!(scheduled.iter().any(|i| !i.effects.is_empty()));
    assert_eq!(back, scheduled);
}

#[test]
fn effects_are_read_in_the_scenario_format_and_bad_ones_name_their_line() {
    let clock = clock();
    let header = format!("{HEADER_WITH_TLP},effects");
    let rows = "a,08:01,,,Email,x,,,\"[SetStaff(team: \"\"csirt\"\", staff: 3), Alert(incident: \"\"post-ddos\"\", asset: \"\"chem-clinical-it\"\")]\"\nb,08:02,,,Email,x,,,\n";
    let read = parse_csv(format!("{header}\n{rows}").as_bytes(), Path::new("m.csv"), Some(&clock))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(read[0].effects.len(), 2);
    assert!(read[1].effects.is_empty());
    let bad = parse_csv(
        format!("{header}\nok,08:01,,,Email,x,,,\nc,08:03,,,Email,x,,,[Explode(now)]\n").as_bytes(),
        Path::new("m.csv"),
        Some(&clock),
    )
    .unwrap_err();
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert!(
        bad[0].starts_with("m.csv:3: effects: ") && bad[0].contains("expected a list as in the scenario format"),
        "{}",
        bad[0]
    );
}

#[test]
fn the_tlp_column_is_optional_and_read_in_any_spelling() {
    let clock = clock();
    // An MSEL written before the column: every inject TLP:RED.
    let old = parse_csv(format!("{HEADER}\nw,08:01,EXCON,,Email,Hi,\n").as_bytes(), Path::new("m.csv"), Some(&clock))
        .unwrap();
    assert_eq!(old[0].tlp, Tlp::Red);
    let rows = "a,08:01,,,Email,x,,TLP:CLEAR\nb,08:02,,,Email,x,,amber+strict\nc,08:03,,,Email,x,,Green\nd,08:04,,,Email,x,,\n";
    let read = parse_csv(format!("{HEADER_WITH_TLP}\n{rows}").as_bytes(), Path::new("m.csv"), Some(&clock)).unwrap();
    let tlps: Vec<Tlp> = read.iter().map(|i| i.tlp).collect();
    assert_eq!(tlps, [Tlp::Clear, Tlp::AmberStrict, Tlp::Green, Tlp::Red]);
    let bad = parse_csv(
        format!("{HEADER_WITH_TLP}\na,08:01,,,Email,x,,purple\n").as_bytes(),
        Path::new("m.csv"),
        Some(&clock),
    )
    .unwrap_err();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].starts_with("m.csv:2: tlp: \"purple\" is not a TLP 2.0 label (TLP:CLEAR"), "{}", bad[0]);
}

#[test]
fn awkward_texts_round_trip_verbatim() {
    let texts = [
        "",
        "  leading and trailing spaces  ",
        "a\rb",
        "crlf\r\nline",
        "\n",
        "\"",
        "\"quoted at both ends\"",
        ",;",
        "=1+2",
        "tab\there",
        "ünïcödé ‰ 🚨",
    ];
    let injects: Vec<Inject> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| Inject {
            from: text.to_string(),
            message: text.to_string(),
            expected_action: text.to_string(),
            ..inject(&format!("i{i}"), i as u64 + 1)
        })
        .collect();
    let csv = injects_to_csv(&injects, &clock());
    assert_eq!(parse(&csv), Ok(injects));
}

#[test]
fn lines_count_crlf_and_skipped_empty_lines() {
    let csv = format!("{HEADER}\r\n\r\n\r\nbad,9h30,,,,m,\r\n");
    assert_eq!(
        parse(&csv),
        Err(vec![r#"msel.csv:4: time "9h30" is not a clock time like "09:30", a tick, or "T+90""#.to_string()])
    );
}

#[test]
fn importing_an_export_refuses_exactly_the_conditional_rows() {
    // ops-memo's message spans lines 4-5, so the conditional rows are lines 7-11.
    let errors = parse(EXPORT).unwrap_err();
    assert_eq!(
        errors,
        [
            "msel.csv:7: time \"when asset chem-clinical-it below 500\" is a condition: only scheduled injects can be read from CSV (write conditional injects in the scenario file)",
            "msel.csv:8: time \"when sector health below 800‰\" is a condition: only scheduled injects can be read from CSV (write conditional injects in the scenario file)",
            "msel.csv:9: time \"when incident post-ddos detected\" is a condition: only scheduled injects can be read from CSV (write conditional injects in the scenario file)",
            "msel.csv:10: time \"when regime nis2 deadline missed\" is a condition: only scheduled injects can be read from CSV (write conditional injects in the scenario file)",
            "msel.csv:11: time \"when PIU active\" is a condition: only scheduled injects can be read from CSV (write conditional injects in the scenario file)",
        ]
    );
}

#[test]
fn export_of_no_injects_is_the_header() {
    assert_eq!(injects_to_csv(&[], &clock()), format!("{EXPORT_HEADER}\n"));
}

// ---------------------------------------------------------------- import

#[test]
fn every_time_form_and_recipient_separator_is_read() {
    let csv = format!(
        "{HEADER}\n\
         a,09:30,,csirt;chem-ops,phone,m,\n\
         b,9:05,,\"csirt, chem-ops\",PORTAL,m,\n\
         c,2026-03-11 08:45,,csirt chem-ops  crisis,in person,m,\n\
         d,17,,,,m,\n\
         e,T+90,,,Media,m,\n\
         f, t+1:30 ,,,radio,m,\n\
         g,07:00,,,,m,\n"
    );
    let injects = parse(&csv).unwrap_or_else(|e| panic!("{e:#?}"));
    let got: Vec<(&str, Option<u64>, Vec<&str>, Method)> =
        injects.iter().map(|i| (i.id.as_str(), i.at, i.to.iter().map(String::as_str).collect(), i.method)).collect();
    assert_eq!(
        got,
        [
            ("a", Some(90), vec!["csirt", "chem-ops"], Method::Phone),
            ("b", Some(65), vec!["csirt", "chem-ops"], Method::Portal),
            ("c", Some(24 * 60 + 45), vec!["csirt", "chem-ops", "crisis"], Method::InPerson),
            ("d", Some(17), vec![], Method::Email),
            ("e", Some(90), vec![], Method::Media),
            ("f", Some(90), vec![], Method::Radio),
            ("g", Some(23 * 60), vec![], Method::Email),
        ]
    );
    assert!(injects.iter().all(|i| i.when.is_none() && i.effects.is_empty()));
}

#[test]
fn header_in_any_order_case_and_spacing_with_bom_crlf_blank_rows_and_trailing_cells() {
    let csv = "\u{feff} Message ,TIME,Number,to,Method,Expected_Action, from\r\n\
               \r\n\
               hello,08:10,x1,csirt,,do it,Control\r\n\
               ,,,,,,\r\n\
               bye,08:20,x2,,,,,,\r\n";
    let injects = parse(csv).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(injects.len(), 2);
    assert_eq!(
        injects[0],
        Inject {
            from: "Control".into(),
            to: vec!["csirt".into()],
            message: "hello".into(),
            expected_action: "do it".into(),
            ..inject("x1", 10)
        }
    );
    assert_eq!(injects[1], Inject { message: "bye".into(), ..inject("x2", 20) });
}

#[test]
fn each_bad_row_is_explained_with_its_line() {
    let cases: &[(&str, &str)] = &[
        ("a,9h30,,,,m,", r#"msel.csv:2: time "9h30" is not a clock time like "09:30", a tick, or "T+90""#),
        ("a,,,,,m,", r#"msel.csv:2: time is empty: give a clock time like "09:30", a tick, or "T+90""#),
        ("a,25:00,,,,m,", r#"msel.csv:2: time "25:00" is not a clock time like "09:30", a tick, or "T+90""#),
        ("a,T+1h,,,,m,", r#"msel.csv:2: time "T+1h" is not a clock time like "09:30", a tick, or "T+90""#),
        ("a,-5,,,,m,", r#"msel.csv:2: time "-5" is not a clock time like "09:30", a tick, or "T+90""#),
        ("a,99999999999999999999999,,,,m,", r#"msel.csv:2: time "99999999999999999999999" is too large a tick"#),
        (
            "a,2026-02-30 08:00,,,,m,",
            r#"msel.csv:2: time "2026-02-30 08:00" is not a local date and time like "2026-03-11 09:30""#,
        ),
        (
            "a,2026-03-09 08:00,,,,m,",
            r#"msel.csv:2: time "2026-03-09 08:00" is before the start of the exercise (2026-03-10 08:00 Europe/Luxembourg)"#,
        ),
        (
            "a,when PIU active,,,,m,",
            r#"msel.csv:2: time "when PIU active" is a condition: only scheduled injects can be read from CSV (write conditional injects in the scenario file)"#,
        ),
        (" ,08:10,,,,m,", "msel.csv:2: number is empty: every inject needs an id"),
        ("a,08:10,,,fax,m,", r#"msel.csv:2: method "fax" is not one of Email, Phone, Media, Portal, Radio, InPerson"#),
        ("a,08:10,,,", "msel.csv:2: 5 fields, but the header has 7"),
        ("a,08:10,,,,m,,extra", "msel.csv:2: 8 fields, but the header has 7"),
    ];
    for (row, expected) in cases {
        assert_eq!(one_error(row), *expected, "row {row:?}");
    }
}

#[test]
fn a_row_with_several_problems_reports_each() {
    assert_eq!(
        errors(",9h30,,,fax,m,"),
        [
            "msel.csv:2: number is empty: every inject needs an id",
            r#"msel.csv:2: time "9h30" is not a clock time like "09:30", a tick, or "T+90""#,
            r#"msel.csv:2: method "fax" is not one of Email, Phone, Media, Portal, Radio, InPerson"#,
        ]
    );
}

#[test]
fn invalid_utf8_is_reported_per_cell() {
    let mut bytes = format!("{HEADER}\na,08:10,,,,").into_bytes();
    bytes.extend_from_slice(b"caf\xe9,\n");
    let errors = parse_csv(&bytes, Path::new("msel.csv"), Some(&clock())).unwrap_err();
    assert_eq!(errors, ["msel.csv:2: message: not valid UTF-8 text"]);
}

#[test]
fn all_bad_rows_are_reported_not_just_the_first() {
    let rows = "ok1,08:01,,,,fine,\n\
                bad1,9h30,,,,m,\n\
                ok2,08:02,,,,\"two\nlines\",\n\
                bad2,08:03,,,telex,m,\n\
                \n\
                bad3,08:04,,\n\
                ok3,T+5,,,,fine,\n\
                bad4,tomorrow,,,,m,\n";
    let errors = errors(rows);
    assert_eq!(
        errors,
        [
            r#"msel.csv:3: time "9h30" is not a clock time like "09:30", a tick, or "T+90""#,
            r#"msel.csv:6: method "telex" is not one of Email, Phone, Media, Portal, Radio, InPerson"#,
            "msel.csv:8: 4 fields, but the header has 7",
            r#"msel.csv:10: time "tomorrow" is not a clock time like "09:30", a tick, or "T+90""#,
        ]
    );
}

#[test]
fn header_problems_are_named() {
    let header_errors = |csv: &str| parse(csv).unwrap_err();
    assert_eq!(
        header_errors("number,time,from,to,method,message\na,1,,,,m\n"),
        [r#"msel.csv:1: header: missing column "expected_action""#]
    );
    assert_eq!(
        header_errors("number,time,from,to,method,mesage,expected_action\n"),
        [
            r#"msel.csv:1: header: unknown column "mesage" (did you mean "message"?); the columns are number,time,from,to,method,message,expected_action,tlp,effects"#,
            r#"msel.csv:1: header: missing column "message""#,
        ]
    );
    assert_eq!(
        header_errors("number,time,from,to,method,message,expected_action,time,notes\n"),
        [
            r#"msel.csv:1: header: column "time" appears twice"#,
            r#"msel.csv:1: header: unknown column "notes"; the columns are number,time,from,to,method,message,expected_action,tlp,effects"#,
        ]
    );
    assert_eq!(
        header_errors("\n\nnumber,time,,from,to,method,message,expected_action\n"),
        ["msel.csv:3: header: column 3 has no name"]
    );
    assert_eq!(
        header_errors("a,08:00,,,,m,\n"),
        [
            r#"msel.csv:1: header: unknown column "a"; the columns are number,time,from,to,method,message,expected_action,tlp,effects"#,
            r#"msel.csv:1: header: unknown column "08:00"; the columns are number,time,from,to,method,message,expected_action,tlp,effects"#,
            "msel.csv:1: header: column 3 has no name",
            "msel.csv:1: header: column 4 has no name",
            "msel.csv:1: header: column 5 has no name",
            r#"msel.csv:1: header: unknown column "m"; the columns are number,time,from,to,method,message,expected_action,tlp,effects"#,
            "msel.csv:1: header: column 7 has no name",
            r#"msel.csv:1: header: missing column "number""#,
            r#"msel.csv:1: header: missing column "time""#,
            r#"msel.csv:1: header: missing column "from""#,
            r#"msel.csv:1: header: missing column "to""#,
            r#"msel.csv:1: header: missing column "method""#,
            r#"msel.csv:1: header: missing column "message""#,
            r#"msel.csv:1: header: missing column "expected_action""#,
        ]
    );
    let empty = [
        "msel.csv: the file is empty: expected the header line number,time,from,to,method,message,expected_action,tlp,effects",
    ];
    assert_eq!(header_errors(""), empty);
    assert_eq!(header_errors("\n \n,,\n"), empty);
}

#[test]
fn a_header_alone_is_an_empty_msel() {
    assert_eq!(parse(HEADER), Ok(vec![]));
    assert_eq!(parse(&format!("{HEADER}\n")), Ok(vec![]));
}

#[test]
fn without_a_clock_only_the_form_of_times_is_checked() {
    let csv = format!("{HEADER}\na,09:30,,,,m,\nb,17,,,,m,\nc,T+5,,,,m,\nd,9h30,,,,m,\n");
    let errors = parse_csv(csv.as_bytes(), Path::new("msel.csv"), None).unwrap_err();
    assert_eq!(errors, [r#"msel.csv:5: time "9h30" is not a clock time like "09:30", a tick, or "T+90""#]);
    let csv = format!("{HEADER}\na,09:30,,,,m,\nb,17,,,,m,\n");
    let injects = parse_csv(csv.as_bytes(), Path::new("msel.csv"), None).unwrap();
    assert_eq!(injects[1].at, Some(17), "a tick needs no clock");
}

#[test]
fn files_over_the_size_limit_are_refused() {
    let bytes = vec![b'a'; MAX_MSEL_BYTES as usize + 1];
    assert_eq!(
        parse_csv(&bytes, Path::new("big.csv"), None),
        Err(vec!["big.csv: file is larger than the 16 MiB limit for an MSEL".to_string()])
    );
}

#[test]
fn files_over_the_row_limit_are_refused() {
    let mut csv = format!("{HEADER}\n");
    for i in 0..=MAX_MSEL_ROWS {
        csv.push_str(&format!("i{i},1,,,,,\n"));
    }
    let errors = parse(&csv).unwrap_err();
    assert_eq!(
        errors,
        [format!(
            "msel.csv:{}: more than {MAX_MSEL_ROWS} rows: an MSEL file holds at most {MAX_MSEL_ROWS} injects",
            MAX_MSEL_ROWS + 2
        )]
    );
}

#[test]
fn the_format_reference_csv_example_is_read() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario-format.md");
    let markdown = std::fs::read_to_string(&path).unwrap();
    let start = markdown.find("```csv\n").expect("a ```csv block") + "```csv\n".len();
    let end = start + markdown[start..].find("```").unwrap();
    let injects = parse(&markdown[start..end]).unwrap_or_else(|e| panic!("{e:#?}"));
    let ids: Vec<(&str, Option<u64>)> = injects.iter().map(|i| (i.id.as_str(), i.at)).collect();
    assert_eq!(ids, [("m01", Some(21)), ("m02", Some(45)), ("m03", Some(24 * 60))]);
    assert_eq!(injects[1].to, ["crisis-comms", "post-noc"]);
    assert_eq!(injects[1].method, Method::Phone);
    assert!(injects[1].message.contains('\n'));
}

// ---------------------------------------------------------------- loading

/// A scenario file `scenario.ron` naming `msel.csv` beside it, in a temp dir.
fn scenario_with_msel(csv: &str) -> (TempDir, std::path::PathBuf) {
    let dir = TempDir::new().unwrap();
    let ron = SCENARIO.replacen("    injects: [", "    msel: \"plans/msel.csv\",\n    injects: [", 1);
    let path = dir.path().join("scenario.ron");
    std::fs::write(&path, ron).unwrap();
    std::fs::create_dir(dir.path().join("plans")).unwrap();
    std::fs::write(dir.path().join("plans/msel.csv"), csv).unwrap();
    (dir, path)
}

#[test]
fn loading_appends_the_msel_rows_and_clears_the_field() {
    let csv = format!("{HEADER}\nlate,10:00,HCPN,crisis,Phone,\"Call, now\",\n");
    let (dir, path) = scenario_with_msel(&csv);
    let model = load_model(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(model.scenario.msel, None, "the loaded scenario is self-contained");
    assert_eq!(model.scenario.injects.len(), 10);
    assert_eq!(
        model.scenario.injects[9],
        Inject {
            from: "HCPN".into(),
            to: vec!["crisis".into()],
            method: Method::Phone,
            message: "Call, now".into(),
            ..inject("late", 120)
        }
    );
    assert_eq!(model.exercise.injects.len(), 10);
    // parse_model looks beside the path it is given, too.
    let bytes = std::fs::read(&path).unwrap();
    let again = parse_model(&bytes, &path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.scenario, model.scenario);
    // And the export lists the merged MSEL.
    assert!(to_csv(&model).ends_with("late,10:00,HCPN,crisis,Phone,\"Call, now\",,TLP:RED,\n"));
    drop(dir);
}

#[test]
fn bad_msel_rows_fail_the_load_naming_the_csv_file_and_line() {
    let csv = format!("{HEADER}\nok,10:00,,,,m,\nbad,9h30,,,,m,\nworse,10:00,,,fax,m,\n");
    let (dir, path) = scenario_with_msel(&csv);
    let err = load_model(&path).unwrap_err();
    assert!(matches!(err, LoadError::Msel { .. }), "{err:?}");
    let csv_path = dir.path().join("plans/msel.csv");
    let file = csv_path.display();
    assert_eq!(
        err.messages(),
        [
            format!(r#"{file}:3: time "9h30" is not a clock time like "09:30", a tick, or "T+90""#),
            format!(r#"{file}:4: method "fax" is not one of Email, Phone, Media, Portal, Radio, InPerson"#),
        ]
    );
}

#[test]
fn a_missing_msel_file_is_a_load_error() {
    let (dir, path) = scenario_with_msel("");
    std::fs::remove_file(dir.path().join("plans/msel.csv")).unwrap();
    let messages = load_model(&path).unwrap_err().messages();
    assert_eq!(messages.len(), 1);
    let expected = format!(
        "{}: cannot read the MSEL named by `msel` in {}: ",
        dir.path().join("plans/msel.csv").display(),
        path.display()
    );
    assert!(messages[0].starts_with(&expected), "{messages:?}");
}

#[test]
fn validation_checks_the_merged_injects() {
    // A duplicate id (welcome is in the RON), an unknown team, a tick past the end.
    let csv = format!("{HEADER}\nwelcome,10:00,,,,m,\nx,10:00,,csirtt,,m,\ny,5000,,,,m,\n");
    let (_dir, path) = scenario_with_msel(&csv);
    let err = load_model(&path).unwrap_err();
    assert!(matches!(err, LoadError::Invalid { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("welcome"), "{text}");
    assert!(text.contains("unknown team \"csirtt\""), "{text}");
    assert!(text.contains("tick 5000 is after the end"), "{text}");
}

#[test]
fn an_invalid_clock_is_reported_once_by_validation() {
    let csv = format!("{HEADER}\na,10:00,,,,m,\nb,T+5,,,,m,\n");
    let (_dir, path) = scenario_with_msel(&csv);
    let ron = std::fs::read_to_string(&path).unwrap().replace("Europe/Luxembourg", "Europe/Luxemburg");
    std::fs::write(&path, ron).unwrap();
    let messages = load_model(&path).unwrap_err().messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert!(messages[0].contains("unknown time zone \"Europe/Luxemburg\""), "{messages:?}");
}

// ---------------------------------------------------------------- never panics

proptest! {
    #[test]
    fn any_bytes_are_parsed_or_refused_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_csv(&bytes, Path::new("x.csv"), Some(&clock()));
        let _ = parse_csv(&bytes, Path::new("x.csv"), None);
    }

    #[test]
    fn any_rows_under_a_valid_header_never_panic(
        rows in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    "[ -~]{0,12}",
                    "[0-9:T+-]{0,20}",
                    "[\",;\r\n ]{0,6}",
                    any::<String>(),
                ],
                0..10,
            ),
            0..8,
        ),
        raw in proptest::collection::vec(any::<u8>(), 0..60),
    ) {
        let mut csv = format!("{HEADER}\n").into_bytes();
        for row in &rows {
            csv.extend_from_slice(row.join(",").as_bytes());
            csv.push(b'\n');
        }
        csv.extend_from_slice(&raw);
        if let Err(errors) = parse_csv(&csv, Path::new("x.csv"), Some(&clock())) {
            for e in errors {
                prop_assert!(e.starts_with("x.csv:"), "{}", e);
            }
        }
    }

    #[test]
    fn any_texts_round_trip(
        texts in proptest::collection::vec((any::<String>(), any::<String>(), any::<String>()), 1..6),
        ticks in proptest::collection::vec(1u64..5000, 6),
        method in 0usize..6,
    ) {
        let clock = clock();
        let injects: Vec<Inject> = texts
            .into_iter()
            .enumerate()
            .map(|(i, (from, message, expected_action))| Inject {
                from,
                message,
                expected_action,
                method: Method::ALL[method],
                to: vec!["a".into(), "b.c".into()],
                ..inject(&format!("i{i}"), ticks[i])
            })
            .collect();
        let csv = injects_to_csv(&injects, &clock);
        let back = parse_csv(csv.as_bytes(), Path::new("x.csv"), Some(&clock));
        prop_assert_eq!(back, Ok(injects));
    }
}
