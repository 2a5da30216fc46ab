//! What `cascade check` tells a scenario author, written as a specification.
//!
//! Each test feeds scenario text to `parse_model` and lists the exact messages it
//! must produce, one line per problem, as they appear on stderr. Most tests start
//! from `base()`, a small valid scenario, and patch it: `replace` swaps one fragment
//! (which must occur exactly once) and `add` appends an item to one of its lists.
//! Syntax and type errors (load.rs) carry `file:line:column`; semantic problems
//! (validate.rs) name the item, and a file with several problems reports them all.

use std::path::{Path, PathBuf};

use cascade_engine::load::MAX_SCENARIO_BYTES;
use cascade_engine::{load_model, parse_model};
use proptest::prelude::*;

// ---- the helpers ----

const TUTORIAL: &str = include_str!("../../scenarios/tutorial.ron");

/// A small valid scenario: two sectors, three organisations (one a CSIRT), two
/// assets, one dependency, one link, two teams, one disruption. Each list ends with
/// a `// more <list>` comment where `add` inserts items.
const BASE: &str = r#"Scenario(
    name: "Base town",
    seed: 1,
    duration_ticks: 100,
    start: "2026-03-10T08:00",
    time_zone: "Europe/Luxembourg",
    sectors: [
        Sector(id: "energy", name: "Energy"),
        Sector(id: "telecom", name: "Telecom"),
        // more sectors
    ],
    organisations: [
        Organisation(id: "gridco", kind: Operator, sector: "energy"),
        Organisation(id: "telco", kind: Operator, sector: "telecom"),
        Organisation(id: "csirt", kind: Csirt, constituency: ["gridco", "telco"]),
        // more organisations
    ],
    assets: [
        Asset(id: "grid", organisation: "gridco", sector: "energy", population: 1000),
        Asset(id: "core", organisation: "telco", sector: "telecom", population: 500),
        // more assets
    ],
    dependencies: [
        Dependency(asset: "core", on: "grid", kind: Power, weight: 800, threshold: 500, buffer_ticks: 5),
        // more dependencies
    ],
    links: [
        Link(from: "grid", to: "core"),
        // more links
    ],
    teams: [
        Team(id: "grid-ops", organisation: "gridco", role: Operator),
        Team(id: "csirt-duty", organisation: "csirt", role: Csirt),
        // more teams
    ],
    disruptions: [
        Disruption(tick: 10, asset: "grid", integrity: 0),
        // more disruptions
    ],
)
"#;

/// Scenario text being patched from `BASE`.
#[derive(Clone)]
struct Patch(String);

fn base() -> Patch {
    Patch(BASE.to_string())
}

impl Patch {
    /// Replaces `old`, which must occur exactly once, by `new`.
    #[track_caller]
    fn replace(self, old: &str, new: &str) -> Patch {
        let count = self.0.matches(old).count();
        assert_eq!(count, 1, "{old:?} occurs {count} times in the scenario");
        Patch(self.0.replacen(old, new, 1))
    }

    /// Appends `item` to the list `list` (e.g. "assets").
    #[track_caller]
    fn add(self, list: &str, item: &str) -> Patch {
        let marker = format!("// more {list}");
        let with_item = format!("{item},\n        {marker}");
        self.replace(&marker, &with_item)
    }
}

impl AsRef<[u8]> for Patch {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Asserts that `scenario` is refused with exactly these messages, in this order.
#[track_caller]
fn check_errors(scenario: impl AsRef<[u8]>, expected: &[&str]) {
    let bytes = scenario.as_ref();
    assert_eq!(from_a_file(bytes), expected, "read from a file (streamed), the messages differ");
    match parse_model(bytes, Path::new("test.ron")) {
        Ok(_) => panic!(
            "the scenario was accepted, expected these errors: {expected:#?}\n{}",
            String::from_utf8_lossy(bytes)
        ),
        Err(error) => {
            let messages = error.messages();
            assert_eq!(messages, expected, "\nactual messages:\n{}\n", messages.join("\n"));
        }
    }
}

/// Asserts that `scenario` is valid.
#[track_caller]
fn check_ok(scenario: impl AsRef<[u8]>) {
    if let Err(error) = parse_model(scenario.as_ref(), Path::new("test.ron")) {
        panic!("the scenario was refused:\n{error}");
    }
    assert_eq!(from_a_file(scenario.as_ref()), Vec::<String>::new(), "refused when read from a file");
}

/// The messages of `load_model` on these bytes written to a file `test.ron`
/// (which the loader streams rather than reads whole), the file's directory
/// left out so that they read as `parse_model`'s.
fn from_a_file(bytes: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.ron");
    std::fs::write(&path, bytes).unwrap();
    let shown = format!("{}/", dir.path().display());
    match load_model(&path) {
        Ok(_) => Vec::new(),
        Err(error) => error.messages().iter().map(|m| m.replace(&shown, "")).collect(),
    }
}

// ---- valid files ----

#[test]
fn the_base_scenario_is_valid() {
    check_ok(base());
}

#[test]
fn the_tutorial_is_valid() {
    check_ok(TUTORIAL);
}

#[test]
fn optional_fields_have_defaults() {
    check_ok(
        r#"Scenario(
    name: "Smallest",
    duration_ticks: 1,
    start: "2026-01-01T00:00",
    sectors: [Sector(id: "s")],
    organisations: [Organisation(id: "o", kind: Operator)],
    assets: [Asset(id: "a", organisation: "o", sector: "s")],
)"#,
    );
}

#[test]
fn values_at_the_limits_are_accepted() {
    check_ok(
        base()
            .replace("duration_ticks: 100", "duration_ticks: 10000000")
            .replace("seed: 1,", "seed: 1, tick_seconds: 1,")
            .replace("weight: 800, threshold: 500", "weight: 1000, threshold: 1000")
            .replace("population: 1000", "population: 999999999500, integrity: 1000")
            .add("disruptions", r#"Disruption(tick: 10000000, asset: "core", integrity: 1000)"#)
            .add("sectors", &format!(r#"Sector(id: "{}")"#, "x".repeat(64))),
    );
    check_ok(base().replace("seed: 1,", "seed: 1, tick_seconds: 86400,"));
}

// ---- syntax and types (load.rs): file:line:column ----

#[test]
fn ron_syntax_error_gives_line_and_column() {
    check_errors("Scenario(\n    name: \"x\"\n    duration_ticks: 10,\n)", &["test.ron:3:5: Expected comma"]);
}

#[test]
fn unknown_field_is_refused_with_its_position() {
    // A misspelt field is an error, never silently ignored.
    check_errors(
        base().replace(r#"Asset(id: "core", "#, r#"Asset(id: "core", colour: "red", "#),
        &[
            "test.ron:20:27: Unexpected field named `colour` in `Asset`, expected one of `id`, `name`, `organisation`, `sector`, `population`, `criticality`, `integrity`, `isolation_cap`, or `repair_ticks` instead",
        ],
    );
    check_errors(
        base().replace("    seed: 1,\n", "    seed: 1,\n    duraton_ticks: 5,\n"),
        &[
            "test.ron:4:5: Unexpected field named `duraton_ticks` in `Scenario`, expected one of `name`, `description`, `seed`, `tick_seconds`, `duration_ticks`, `start`, `time_zone`, `population`, `sectors`, `organisations`, `assets`, `dependencies`, `links`, `teams`, `disruptions`, `incidents`, `response`, `regimes`, `injects`, `msel`, `objectives`, or `physical_damage` instead",
        ],
    );
}

#[test]
fn missing_required_field_is_named() {
    check_errors(
        base().replace("    duration_ticks: 100,\n", ""),
        &["test.ron:39:1: Unexpected missing field named `duration_ticks` in `Scenario`"],
    );
    check_errors(
        base().replace(r#"asset: "core", on: "grid", "#, r#"asset: "core", "#),
        &["test.ron:24:92: Unexpected missing field named `on` in `Dependency`"],
    );
}

#[test]
fn team_missing_the_organisation_field_is_a_syntax_error() {
    check_errors(
        base().replace(
            r#"Team(id: "grid-ops", organisation: "gridco", role: Operator)"#,
            r#"Team(id: "grid-ops", role: Operator)"#,
        ),
        &["test.ron:32:44: Unexpected missing field named `organisation` in `Team`"],
    );
}

#[test]
fn wrong_type_is_reported_with_its_position() {
    check_errors(
        base().replace("duration_ticks: 100", r#"duration_ticks: "100""#),
        &["test.ron:4:20: Expected integer"],
    );
    check_errors(base().replace("population: 500", "population: -500"), &["test.ron:20:82: Integer is out of bounds"]);
    check_errors(base().replace("weight: 800", "weight: 5000000000"), &["test.ron:24:68: Integer is out of bounds"]);
}

#[test]
fn unknown_enum_variant_lists_the_choices() {
    check_errors(
        base().replace("kind: Csirt", "kind: Cert"),
        &[
            "test.ron:15:41: Unexpected variant named `Cert` in enum `OrganisationKind`, expected one of `Csirt`, `Operator`, `Authority`, `CrisisCell`, `Ministry`, or `Media` instead",
        ],
    );
}

#[test]
fn invalid_utf8_gives_line_and_column() {
    // Latin-1 "é" (0xE9) on line 2, after `  name: "Caf`: column counts characters.
    let mut bytes = b"Scenario(\n  name: \"Caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"\",\n)\n");
    check_errors(&bytes, &["test.ron:2:13: the file is not valid UTF-8 text"]);

    // Valid multi-byte characters before the bad byte count as one column each.
    let mut bytes = "Scenario(\n  name: \"Café ".as_bytes().to_vec();
    bytes.push(0xFF);
    check_errors(&bytes, &["test.ron:2:15: the file is not valid UTF-8 text"]);
}

#[test]
fn empty_and_wrong_top_level_files() {
    check_errors("", &["test.ron:1:1: Expected opening `(` for struct `Scenario`"]);
    check_errors("[]", &["test.ron:1:1: Expected opening `(` for struct `Scenario`"]);
    check_errors("Scenario(\n    name: \"x\",\n", &["test.ron:2:15: Unexpected end of RON"]);
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    // The schema is shallow, so nesting fails at the first unexpected bracket; the
    // loader also caps RON's recursion depth.
    let deep = format!("Scenario(name: {})", "[".repeat(100_000));
    check_errors(&deep, &["test.ron:1:15: Expected string"]);
    let deep = format!("{}Scenario", "(".repeat(100_000));
    check_errors(&deep, &["test.ron:1:2: Expected identifier"]);
}

// ---- the header ----

#[test]
fn empty_name() {
    check_errors(base().replace(r#"name: "Base town""#, r#"name: """#), &["test.ron: name: must not be empty"]);
    check_errors(base().replace(r#"name: "Base town""#, r#"name: "   ""#), &["test.ron: name: must not be empty"]);
}

#[test]
fn long_name_and_description() {
    let name = "n".repeat(201);
    let description = "d".repeat(20_001);
    check_errors(
        base().replace(r#"name: "Base town""#, &format!(r#"name: "{name}", description: "{description}""#)),
        &["test.ron: name: longer than 200 characters", "test.ron: description: longer than 20000 characters"],
    );
}

#[test]
fn duration_ticks_zero() {
    check_errors(
        base()
            .replace("duration_ticks: 100", "duration_ticks: 0")
            .replace("Disruption(tick: 10, ", "Disruption(tick: 0, "),
        &[
            "test.ron: duration_ticks: must be at least 1 (0 would simulate nothing)",
            "test.ron: disruption #1 (tick 0, grid): tick 0 is the starting state: set the asset's `integrity` instead",
        ],
    );
}

#[test]
fn duration_ticks_over_the_limit() {
    check_errors(
        base().replace("duration_ticks: 100", "duration_ticks: 10000001"),
        &["test.ron: duration_ticks: 10000001 is over the limit of 10000000"],
    );
}

#[test]
fn tick_seconds_out_of_range() {
    check_errors(
        base().replace("seed: 1,", "seed: 1, tick_seconds: 0,"),
        &["test.ron: tick_seconds: 0 is out of range 1..=86400"],
    );
    check_errors(
        base().replace("seed: 1,", "seed: 1, tick_seconds: 86401,"),
        &["test.ron: tick_seconds: 86401 is out of range 1..=86400"],
    );
    // The clock's other settings are still checked.
    check_errors(
        base().replace("seed: 1,", "seed: 1, tick_seconds: 0,").replace("Europe/Luxembourg", "Europe/Luxemburg"),
        &[
            "test.ron: tick_seconds: 0 is out of range 1..=86400",
            r#"test.ron: time_zone: unknown time zone "Europe/Luxemburg" (use an IANA name such as "Europe/Luxembourg" or "UTC")"#,
        ],
    );
}

#[test]
fn bad_start() {
    check_errors(
        base().replace(r#"start: "2026-03-10T08:00""#, r#"start: "08:00""#),
        &[
            r#"test.ron: start: "08:00" is not a local date and time like "2026-03-10T08:00" (failed to parse four digit integer as year: invalid digit, expected 0-9 but got :)"#,
        ],
    );
    check_errors(
        base().replace(r#"start: "2026-03-10T08:00""#, r#"start: "2026-02-30T08:00""#),
        &[
            r#"test.ron: start: "2026-02-30T08:00" is not a local date and time like "2026-03-10T08:00" (parsed date is not valid: parameter 'day' for `2026-02` is invalid, must be in range `1..=28`)"#,
        ],
    );
}

#[test]
fn start_too_late_for_the_calendar() {
    check_errors(
        base()
            .replace(r#"start: "2026-03-10T08:00""#, r#"start: "9999-12-01T00:00""#)
            .replace("Europe/Luxembourg", "UTC")
            .replace("duration_ticks: 100", "duration_ticks: 100000"),
        &["test.ron: start: the exercise would end past the year 9999"],
    );
    check_errors(
        base().replace(r#"start: "2026-03-10T08:00""#, r#"start: "9999-12-31T23:00""#),
        &[
            "test.ron: start: \"9999-12-31T23:00\" cannot be placed in Europe/Luxembourg (converting datetime with time zone offset `+01` to timestamp overflowed: parameter 'Unix timestamp seconds' is not in the required range of -377705023201..=253402207200)",
        ],
    );
}

#[test]
fn unknown_time_zone() {
    check_errors(
        base().replace("Europe/Luxembourg", "Europe/Luxemburg"),
        &[
            r#"test.ron: time_zone: unknown time zone "Europe/Luxemburg" (use an IANA name such as "Europe/Luxembourg" or "UTC")"#,
        ],
    );
}

// ---- lists ----

#[test]
fn no_sectors() {
    // Every reference to a sector then fails too.
    check_errors(
        base()
            .replace(r#"        Sector(id: "energy", name: "Energy"),"#, "")
            .replace(r#"        Sector(id: "telecom", name: "Telecom"),"#, ""),
        &[
            "test.ron: sectors: the scenario defines no sector (every asset needs one)",
            r#"test.ron: organisation #1 "gridco": unknown sector "energy""#,
            r#"test.ron: organisation #2 "telco": unknown sector "telecom""#,
            r#"test.ron: asset #1 "grid": unknown sector "energy""#,
            r#"test.ron: asset #2 "core": unknown sector "telecom""#,
        ],
    );
}

#[test]
fn no_assets() {
    check_errors(
        r#"Scenario(
    name: "Empty",
    duration_ticks: 10,
    start: "2026-03-10T08:00",
    sectors: [Sector(id: "energy")],
    organisations: [],
    assets: [],
)"#,
        &["test.ron: assets: the scenario defines no asset, so there is nothing to simulate"],
    );
}

#[test]
fn too_many_sectors_and_teams() {
    let mut scenario = base();
    for i in 0..255 {
        scenario = scenario.add("sectors", &format!(r#"Sector(id: "s{i}")"#));
    }
    check_errors(scenario, &["test.ron: sectors: 257 entries, over the limit of 256"]);

    let mut scenario = base();
    for i in 0..999 {
        scenario = scenario.add("teams", &format!(r#"Team(id: "t{i}", organisation: "gridco", role: Operator)"#));
    }
    check_errors(scenario, &["test.ron: teams: 1001 entries, over the limit of 1000"]);
}

// ---- ids ----

#[test]
fn bad_id_format() {
    check_errors(
        base()
            .add("sectors", r#"Sector(id: "health care")"#)
            .add("organisations", r#"Organisation(id: "-dash", kind: Media)"#)
            .add("organisations", r#"Organisation(id: "", kind: Media)"#)
            .add("assets", r#"Asset(id: "réseau", organisation: "telco", sector: "telecom")"#)
            .add("teams", r#"Team(id: "ops/1", organisation: "telco", role: Operator)"#),
        &[
            r#"test.ron: sector #3 "health care": id: "health care" may only hold ASCII letters, digits, '-', '_' and '.', and must start with a letter or digit"#,
            r#"test.ron: organisation #4 "-dash": id: "-dash" may only hold ASCII letters, digits, '-', '_' and '.', and must start with a letter or digit"#,
            r#"test.ron: organisation #5 "": id: must not be empty"#,
            r#"test.ron: asset #3 "réseau": id: "réseau" may only hold ASCII letters, digits, '-', '_' and '.', and must start with a letter or digit"#,
            r#"test.ron: team #3 "ops/1": id: "ops/1" may only hold ASCII letters, digits, '-', '_' and '.', and must start with a letter or digit"#,
        ],
    );
    // Letters, digits, '-', '_' and '.' anywhere after the first character are fine.
    check_ok(base().add("assets", r#"Asset(id: "9.lux_core-01", organisation: "telco", sector: "telecom")"#));
}

#[test]
fn id_too_long() {
    let long = "a".repeat(65);
    check_errors(
        base().add("assets", &format!(r#"Asset(id: "{long}", organisation: "telco", sector: "telecom")"#)),
        &[&format!(r#"test.ron: asset #3 "{long}": id: longer than 64 characters"#)],
    );
}

#[test]
fn duplicate_ids_of_each_kind() {
    check_errors(
        base()
            .add("sectors", r#"Sector(id: "energy")"#)
            .add("organisations", r#"Organisation(id: "telco", kind: Operator)"#)
            .add("assets", r#"Asset(id: "grid", organisation: "gridco", sector: "energy")"#)
            .add("teams", r#"Team(id: "grid-ops", organisation: "gridco", role: Operator)"#),
        &[
            r#"test.ron: sector #3 "energy": duplicate id: sector #1 has the same id"#,
            r#"test.ron: organisation #4 "telco": duplicate id: organisation #2 has the same id"#,
            r#"test.ron: asset #3 "grid": duplicate id: asset #1 has the same id"#,
            r#"test.ron: team #3 "grid-ops": duplicate id: team #1 has the same id"#,
        ],
    );
}

#[test]
fn ids_of_different_kinds_may_coincide() {
    check_ok(
        base()
            .add("sectors", r#"Sector(id: "csirt")"#)
            .add("assets", r#"Asset(id: "csirt", organisation: "csirt", sector: "csirt")"#),
    );
}

#[test]
fn names_too_long() {
    let long = "n".repeat(201);
    check_errors(
        base()
            .replace(r#"name: "Energy""#, &format!(r#"name: "{long}""#))
            .replace(r#"Organisation(id: "telco", "#, &format!(r#"Organisation(id: "telco", name: "{long}", "#))
            .replace(r#"Asset(id: "core", "#, &format!(r#"Asset(id: "core", name: "{long}", "#))
            .replace(r#"Team(id: "grid-ops", "#, &format!(r#"Team(id: "grid-ops", name: "{long}", "#)),
        &[
            r#"test.ron: sector #1 "energy": name: longer than 200 characters"#,
            r#"test.ron: organisation #2 "telco": name: longer than 200 characters"#,
            r#"test.ron: asset #2 "core": name: longer than 200 characters"#,
            r#"test.ron: team #1 "grid-ops": name: longer than 200 characters"#,
        ],
    );
}

// ---- references: unknown ids, with a "did you mean" hint for likely typos ----

#[test]
fn unknown_organisation() {
    check_errors(
        base()
            .add("assets", r#"Asset(id: "a1", organisation: "telcoo", sector: "telecom")"#)
            .add("assets", r#"Asset(id: "a2", organisation: "post", sector: "telecom")"#),
        &[
            r#"test.ron: asset #3 "a1": unknown organisation "telcoo" (did you mean "telco"?)"#,
            r#"test.ron: asset #4 "a2": unknown organisation "post""#,
        ],
    );
}

#[test]
fn transposed_letters_get_a_hint() {
    check_errors(
        base()
            .add("assets", r#"Asset(id: "a1", organisation: "tlecO", sector: "telecom")"#)
            .add("assets", r#"Asset(id: "a2", organisation: "tleco", sector: "telecom")"#),
        &[
            r#"test.ron: asset #3 "a1": unknown organisation "tlecO""#,
            r#"test.ron: asset #4 "a2": unknown organisation "tleco" (did you mean "telco"?)"#,
        ],
    );
}

#[test]
fn unknown_sector() {
    check_errors(
        base()
            .add("organisations", r#"Organisation(id: "bank", kind: Operator, sector: "finance")"#)
            .add("assets", r#"Asset(id: "a1", organisation: "telco", sector: "telekom")"#)
            .add("assets", r#"Asset(id: "a2", organisation: "telco", sector: "water")"#),
        &[
            r#"test.ron: organisation #4 "bank": unknown sector "finance""#,
            r#"test.ron: asset #3 "a1": unknown sector "telekom" (did you mean "telecom"?)"#,
            r#"test.ron: asset #4 "a2": unknown sector "water""#,
        ],
    );
}

#[test]
fn dependency_unknown_asset() {
    check_errors(
        base()
            .add(
                "dependencies",
                r#"Dependency(asset: "grid", on: "post-core", kind: Network, weight: 1, threshold: 1)"#,
            )
            .add("dependencies", r#"Dependency(asset: "cor", on: "grd", kind: Data, weight: 1, threshold: 1)"#),
        &[
            r#"test.ron: dependency #2 (grid -> post-core): on: unknown asset "post-core""#,
            r#"test.ron: dependency #3 (cor -> grd): unknown asset "cor" (did you mean "core"?)"#,
            r#"test.ron: dependency #3 (cor -> grd): on: unknown asset "grd" (did you mean "grid"?)"#,
        ],
    );
}

#[test]
fn link_unknown_endpoints() {
    check_errors(
        base()
            .add("links", r#"Link(from: "core", to: "cores")"#)
            .add("links", r#"Link(from: "router", to: "grid", directed: true)"#),
        &[
            r#"test.ron: link #2 (core -- cores): to: unknown asset "cores" (did you mean "core"?)"#,
            r#"test.ron: link #3 (router -> grid): from: unknown asset "router""#,
        ],
    );
}

#[test]
fn disruption_unknown_asset() {
    check_errors(
        base()
            .add("disruptions", r#"Disruption(tick: 20, asset: "grd", integrity: 0)"#)
            .add("disruptions", r#"Disruption(tick: 30, asset: "hospital", integrity: 0)"#),
        &[
            r#"test.ron: disruption #2 (tick 20, grd): unknown asset "grd" (did you mean "grid"?)"#,
            r#"test.ron: disruption #3 (tick 30, hospital): unknown asset "hospital""#,
        ],
    );
}

#[test]
fn team_unknown_organisation() {
    check_errors(
        base().add("teams", r#"Team(id: "ops", organisation: "gridcoo", role: Operator)"#),
        &[r#"test.ron: team #3 "ops": unknown organisation "gridcoo" (did you mean "gridco"?)"#],
    );
}

// ---- values out of range ----

#[test]
fn weight_and_threshold_over_1000() {
    check_errors(
        base().replace("weight: 800, threshold: 500", "weight: 1001, threshold: 5000"),
        &[
            "test.ron: dependency #1 (core -> grid): weight: 1001 is out of range 0..=1000 (per mille)",
            "test.ron: dependency #1 (core -> grid): threshold: 5000 is out of range 0..=1000 (per mille)",
        ],
    );
}

#[test]
fn asset_integrity_over_1000() {
    check_errors(
        base().replace("population: 500", "population: 500, integrity: 1001"),
        &[r#"test.ron: asset #2 "core": integrity: 1001 is out of range 0..=1000 (per mille)"#],
    );
}

#[test]
fn bad_group_id() {
    check_errors(
        base()
            .add(
                "dependencies",
                r#"Dependency(asset: "grid", on: "core", kind: Network, weight: 1, threshold: 1, group: "net work")"#,
            )
            .add(
                "dependencies",
                r#"Dependency(asset: "grid", on: "core", kind: Network, weight: 1, threshold: 1, group: "")"#,
            ),
        &[
            r#"test.ron: dependency #2 (grid -> core): group: "net work" may only hold ASCII letters, digits, '-', '_' and '.', and must start with a letter or digit"#,
            "test.ron: dependency #3 (grid -> core): group: must not be empty",
        ],
    );
}

#[test]
fn cycles_self_and_duplicate_dependencies_are_allowed() {
    // DESIGN §3: the double buffer makes them well defined.
    let dependency =
        r#"Dependency(asset: "core", on: "grid", kind: Power, weight: 800, threshold: 500, buffer_ticks: 5)"#;
    check_ok(
        base()
            .add("dependencies", dependency)
            .add("dependencies", r#"Dependency(asset: "grid", on: "core", kind: Data, weight: 10, threshold: 10)"#)
            .add("dependencies", r#"Dependency(asset: "grid", on: "grid", kind: Staff, weight: 10, threshold: 10)"#),
    );
}

// ---- constituencies ----

#[test]
fn constituency_self_twice_and_unknown() {
    check_errors(
        base().replace(
            r#"constituency: ["gridco", "telco"]"#,
            r#"constituency: ["gridco", "csirt", "gridco", "telcom", "bank"]"#,
        ),
        &[
            r#"test.ron: organisation #3 "csirt": constituency: lists the organisation itself"#,
            r#"test.ron: organisation #3 "csirt": constituency: lists "gridco" twice"#,
            r#"test.ron: organisation #3 "csirt": constituency: unknown organisation "telcom" (did you mean "telco"?)"#,
            r#"test.ron: organisation #3 "csirt": constituency: unknown organisation "bank""#,
        ],
    );
}

// ---- links ----

#[test]
fn link_to_itself() {
    check_errors(
        base().add("links", r#"Link(from: "grid", to: "grid")"#),
        &["test.ron: link #2 (grid -- grid): links an asset to itself"],
    );
}

#[test]
fn duplicate_links() {
    check_errors(
        base()
            .add("links", r#"Link(from: "grid", to: "core")"#)
            // An undirected link is the same link whichever way it is written.
            .add("links", r#"Link(from: "core", to: "grid")"#)
            .add("links", r#"Link(from: "core", to: "grid", directed: true)"#)
            .add("links", r#"Link(from: "core", to: "grid", directed: true)"#),
        &[
            "test.ron: link #2 (grid -- core): repeats link #1; a network link is listed once",
            "test.ron: link #3 (core -- grid): repeats link #1; a network link is listed once",
            "test.ron: link #5 (core -> grid): repeats link #4; a network link is listed once",
        ],
    );
}

#[test]
fn directed_links_both_ways_are_allowed() {
    check_ok(
        base()
            .replace(r#"Link(from: "grid", to: "core")"#, r#"Link(from: "grid", to: "core", directed: true)"#)
            .add("links", r#"Link(from: "core", to: "grid", directed: true)"#),
    );
}

// ---- teams ----

#[test]
fn team_without_organisation() {
    check_errors(
        base().add("teams", r#"Team(id: "lonely", organisation: "", role: Media)"#),
        &[r#"test.ron: team #3 "lonely": has no organisation (every team acts for one organisation)"#],
    );
}

#[test]
fn team_id_director_is_reserved() {
    check_errors(
        base().add("teams", r#"Team(id: "director", organisation: "csirt", role: CrisisCell)"#),
        &[r#"test.ron: team #3 "director": the id "director" is reserved for the exercise director"#],
    );
}

// ---- disruptions ----

#[test]
fn disruption_at_tick_0() {
    check_errors(
        base().add("disruptions", r#"Disruption(tick: 0, asset: "core", integrity: 0)"#),
        &["test.ron: disruption #2 (tick 0, core): tick 0 is the starting state: set the asset's `integrity` instead"],
    );
}

#[test]
fn disruption_after_the_end() {
    check_errors(
        base()
            .add("disruptions", r#"Disruption(tick: 100, asset: "core", integrity: 0)"#)
            .add("disruptions", r#"Disruption(tick: 101, asset: "core", integrity: 0)"#),
        &["test.ron: disruption #3 (tick 101, core): tick 101 is after the end of the exercise (duration_ticks 100)"],
    );
}

#[test]
fn disruption_integrity_over_1000() {
    check_errors(
        base().replace(
            r#"Disruption(tick: 10, asset: "grid", integrity: 0)"#,
            r#"Disruption(tick: 10, asset: "grid", integrity: 2000)"#,
        ),
        &["test.ron: disruption #1 (tick 10, grid): integrity: 2000 is out of range 0..=1000 (per mille)"],
    );
}

#[test]
fn disruption_note_too_long() {
    let note = "x".repeat(20_001);
    check_errors(
        base().replace(r#"asset: "grid", integrity: 0)"#, &format!(r#"asset: "grid", integrity: 0, note: "{note}")"#)),
        &["test.ron: disruption #1 (tick 10, grid): note: longer than 20000 characters"],
    );
}

// ---- population ----

#[test]
fn total_population_over_the_limit() {
    check_errors(
        base()
            .replace("population: 1000", "population: 600000000000")
            .replace("population: 500", "population: 400000000001"),
        &["test.ron: assets: total population 1000000000001 is over the limit of 1000000000000"],
    );
    // A sum past u64 saturates instead of wrapping round to a small number.
    check_errors(
        base()
            .replace("population: 1000", "population: 18446744073709551615")
            .replace("population: 500", "population: 18446744073709551615"),
        &["test.ron: assets: total population 18446744073709551615 is over the limit of 1000000000000"],
    );
}

// ---- every problem at once ----

#[test]
fn every_problem_in_a_file_is_reported() {
    check_errors(
        base()
            .replace(r#"name: "Base town""#, r#"name: """#)
            .replace("Europe/Luxembourg", "Mars/Olympus")
            .replace(r#"Sector(id: "telecom", "#, r#"Sector(id: "energy", "#)
            .replace(r#"organisation: "telco", "#, r#"organisation: "telko", "#)
            .replace("weight: 800", "weight: 8000")
            .replace(r#"Link(from: "grid", to: "core")"#, r#"Link(from: "grid", to: "grid")"#)
            .replace(r#"Team(id: "grid-ops", "#, r#"Team(id: "director", "#)
            .replace("Disruption(tick: 10, ", "Disruption(tick: 1000, "),
        &[
            "test.ron: name: must not be empty",
            r#"test.ron: time_zone: unknown time zone "Mars/Olympus" (use an IANA name such as "Europe/Luxembourg" or "UTC")"#,
            r#"test.ron: sector #2 "energy": duplicate id: sector #1 has the same id"#,
            r#"test.ron: organisation #2 "telco": unknown sector "telecom""#,
            r#"test.ron: asset #2 "core": unknown organisation "telko" (did you mean "telco"?)"#,
            r#"test.ron: asset #2 "core": unknown sector "telecom""#,
            "test.ron: dependency #1 (core -> grid): weight: 8000 is out of range 0..=1000 (per mille)",
            "test.ron: link #1 (grid -- grid): links an asset to itself",
            r#"test.ron: team #1 "director": the id "director" is reserved for the exercise director"#,
            "test.ron: disruption #1 (tick 1000, grid): tick 1000 is after the end of the exercise (duration_ticks 100)",
        ],
    );
}

// ---- files (load_model) ----

/// A file under the system temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("cascade-validation-{}-{name}.ron", std::process::id()));
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let file = TempFile::new("too-large");
    // A sparse file: nothing written to disk, and refused by its size
    // without being read.
    std::fs::File::create(&file.0).unwrap().set_len(MAX_SCENARIO_BYTES + 1).unwrap();
    let error = load_model(&file.0).unwrap_err();
    assert_eq!(
        error.messages(),
        [format!("{}: file is larger than the 768 MiB limit for a scenario", file.0.display())]
    );
}

// A file of exactly the limit is read (and one byte over is not): the unit
// test of `read_limited` in engine/src/load.rs, with a small limit; here it
// would write and parse 768 MiB.

#[test]
fn a_missing_file_is_named() {
    let file = TempFile::new("missing");
    let error = load_model(&file.0).unwrap_err();
    assert_eq!(
        error.messages(),
        [format!("{}: cannot read: No such file or directory (os error 2)", file.0.display())]
    );
}

/// A pipe can be read only once: it is read whole, not streamed, so a file
/// the fast reader gives up on is still read (here, a block comment), and an
/// error still has its line and column.
#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("scenario.ron");
    let made = std::process::Command::new("mkfifo").arg(&pipe).status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    for (text, expected) in [
        (format!("/* a block comment */\n{TUTORIAL}"), Vec::new()),
        ("Scenario(\n    name: 7,\n)".to_string(), vec![format!("{}:2:10: Expected string", pipe.display())]),
    ] {
        let writer = {
            let pipe = pipe.clone();
            std::thread::spawn(move || std::fs::write(pipe, text).unwrap())
        };
        let messages = match load_model(&pipe) {
            Ok(_) => Vec::new(),
            Err(error) => error.messages(),
        };
        writer.join().unwrap();
        assert_eq!(messages, expected);
    }
}

// ---- robustness: no input makes the loader panic ----

/// RON-ish fragments, so random inputs get past the first token now and then.
const FRAGMENTS: &[&str] = &[
    "Scenario(",
    "Sector(",
    "Asset(",
    "Dependency(",
    "Link(",
    "Team(",
    "Disruption(",
    "Organisation(",
    ")",
    "(",
    "[",
    "]",
    ",",
    ":",
    "name",
    "id",
    "sectors",
    "assets",
    "\"a\"",
    "\"\"",
    "0",
    "1000",
    "18446744073709551615",
    "-1",
    "1e9",
    "true",
    "Some(",
    "None",
    "//",
    "/*",
    "*/",
    "\n",
    " ",
    "r#\"",
    "\"#",
    "'x'",
    "\\u{0}",
    "é",
    "\u{feff}",
];

fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..64).prop_map(|parts| parts.concat())
}

fn parse(bytes: &[u8]) {
    let _ = parse_model(bytes, Path::new("fuzz.ron"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        parse(&bytes);
    }

    #[test]
    fn random_fragments_never_panic(text in fragments()) {
        parse(text.as_bytes());
    }

    #[test]
    fn truncated_tutorials_never_panic(end in 0..=TUTORIAL.len()) {
        parse(&TUTORIAL.as_bytes()[..end]);
    }

    #[test]
    fn mutated_tutorials_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = TUTORIAL.as_bytes().to_vec();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        parse(&bytes);
    }

    #[test]
    fn spliced_tutorials_never_panic(
        at in any::<prop::sample::Index>(),
        cut in 0usize..64,
        insert in fragments(),
    ) {
        let text = TUTORIAL.as_bytes();
        let start = at.index(text.len());
        let end = (start + cut).min(text.len());
        let mut bytes = text[..start].to_vec();
        bytes.extend_from_slice(insert.as_bytes());
        bytes.extend_from_slice(&text[end..]);
        parse(&bytes);
    }
}
