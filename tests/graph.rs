//! End-to-end tests of `cascade graph` (the dependency graph as SVG or DOT) and
//! of `cascade run --trace-assets` (per-asset levels per tick), running the
//! real binary: what the files hold is checked against the scenario itself
//! (loaded with the engine) and against `run`'s other outputs.

#[path = "common/cli.rs"]
mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;

use cascade_engine::Model;
use tempfile::TempDir;

fn luxembourg() -> std::path::PathBuf {
    repo().join("scenarios/luxembourg.ron")
}

fn model(path: &Path) -> Model {
    cascade_engine::load_model(path).unwrap()
}

/// `cascade graph SCENARIO args…` in a fresh directory; returns the directory
/// (kept alive) and the output.
fn graph(scenario: &Path, args: &[&str]) -> (TempDir, std::process::Output) {
    let dir = TempDir::new().unwrap();
    let mut all = vec!["graph", scenario.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = cascade_in(dir.path(), &all);
    (dir, output)
}

fn read(dir: &TempDir, name: &str) -> String {
    std::fs::read_to_string(dir.path().join(name)).unwrap()
}

/// How often `needle` occurs in `haystack`.
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// A minimal well-formedness check of an XML document: one root element, every
/// tag closed in order, attributes quoted, `&` only in entities, no `<` in
/// text. Returns the element names in document order.
fn check_xml(text: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut elements = Vec::new();
    let mut roots = 0;
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        assert!(!stack.is_empty() || rest[..open].trim().is_empty(), "text outside the root element");
        rest = &rest[open..];
        if let Some(body) = rest.strip_prefix("<?") {
            let end = body.find("?>").expect("unterminated processing instruction");
            rest = &body[end + 2..];
            continue;
        }
        let end = rest.find('>').expect("unterminated tag");
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "closing tag out of order");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name = tag.split_whitespace().next().expect("a tag has a name").to_string();
        check_attributes(&tag[name.len()..]);
        if stack.is_empty() {
            roots += 1;
        }
        elements.push(name.clone());
        if !self_closing {
            stack.push(name);
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1, "one root element");
    elements
}

fn check_text(text: &str) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        rest = &rest[amp..];
        let end = rest.find(';').expect("& starts an entity");
        let entity = &rest[1..end];
        assert!(["amp", "lt", "gt", "quot", "apos"].contains(&entity), "unknown entity &{entity};");
        rest = &rest[end..];
    }
}

/// ` a="1" b="x y"`: every attribute is name="value" with no `<` or `"` inside.
fn check_attributes(mut attrs: &str) {
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            return;
        }
        let eq = attrs.find('=').unwrap_or_else(|| panic!("attribute without a value: {attrs:?}"));
        assert!(!attrs[..eq].contains(char::is_whitespace), "bad attribute name in {attrs:?}");
        let value = attrs[eq + 1..].strip_prefix('"').unwrap_or_else(|| panic!("unquoted attribute: {attrs:?}"));
        let end = value.find('"').expect("closing quote");
        assert!(!value[..end].contains('<'), "< in an attribute");
        check_text(&value[..end]);
        attrs = &value[end + 1..];
    }
}

// ---- DOT ----

#[test]
fn dot_has_a_cluster_per_sector_every_asset_in_it_every_dependency_and_every_link() {
    let path = luxembourg();
    let m = model(&path);
    let (dir, output) = graph(&path, &["--out", "deps.dot"]);
    assert_exit(&output, 0);
    assert!(stdout(&output).starts_with("deps.dot: DOT, 100 assets in 8 sectors"), "{}", stdout(&output));
    let dot = read(&dir, "deps.dot");
    assert!(dot.contains("digraph cascade {"));
    assert!(dot.trim_end().ends_with('}'));
    let s = &m.scenario;
    for sector in &s.sectors {
        let opening = format!("subgraph \"cluster_{}\" {{", sector.id);
        assert_eq!(count(&dot, &opening), 1, "{opening}");
        // The cluster's block holds exactly its sector's assets.
        let block = &dot[dot.find(&opening).unwrap()..];
        let block = &block[..block.find("\n  }").unwrap()];
        for asset in &s.assets {
            let line = format!("    \"{}\" [label=", asset.id);
            assert_eq!(count(block, &line), usize::from(asset.sector == sector.id), "{} in {}", asset.id, sector.id);
        }
    }
    for asset in &s.assets {
        assert_eq!(count(&dot, &format!("\"{}\" [label=", asset.id)), 1, "{}", asset.id);
    }
    let mut pairs = BTreeMap::<(&str, &str), usize>::new();
    for d in &s.dependencies {
        *pairs.entry((d.on.as_str(), d.asset.as_str())).or_default() += 1;
    }
    for ((on, asset), n) in &pairs {
        let edge = format!("  \"{on}\" -> \"{asset}\" [color=");
        let dependency_edges = dot.lines().filter(|l| l.starts_with(&edge) && !l.contains("style=dotted")).count();
        assert_eq!(dependency_edges, *n, "{on} -> {asset}");
    }
    let edge_lines = || dot.lines().filter(|l| l.starts_with("  \"") && l.contains(" -> "));
    let dependency_lines = edge_lines().filter(|l| !l.contains("style=dotted")).count();
    assert_eq!(dependency_lines, s.dependencies.len());
    let link_lines = edge_lines().filter(|l| l.contains("style=dotted")).count();
    assert_eq!(link_lines, s.links.len());
    // Redundancy groups and buffers are labelled.
    assert!(dot.contains(r#"label="any 1 of 2 (imports)""#));
    assert!(dot.contains("buffer 24 h"));
}

#[test]
fn dot_on_standard_output_by_default_and_the_format_can_be_forced() {
    let tutorial = tutorial();
    let (_dir, output) = graph(&tutorial, &[]);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("digraph cascade {"));
    let (_dir, output) = graph(&tutorial, &["--out", "-", "--format", "svg"]);
    assert_exit(&output, 0);
    check_xml(&stdout(&output));
    let (dir, output) = graph(&tutorial, &["--out", "picture.txt", "--format", "dot"]);
    assert_exit(&output, 0);
    assert!(read(&dir, "picture.txt").starts_with("// Dependency graph"));
    let (dir, output) = graph(&tutorial, &["--out", "deps.GV"]);
    assert_exit(&output, 0);
    assert!(read(&dir, "deps.GV").contains("digraph"));
}

// ---- SVG ----

#[test]
fn the_svg_is_well_formed_with_every_asset_once_and_every_dependency_and_link() {
    let path = luxembourg();
    let m = model(&path);
    let (dir, output) = graph(&path, &["--out", "deps.svg"]);
    assert_exit(&output, 0);
    let svg = read(&dir, "deps.svg");
    let elements = check_xml(&svg);
    assert_eq!(elements[0], "svg");
    let s = &m.scenario;
    for asset in &s.assets {
        assert_eq!(count(&svg, &format!(r#"class="node asset" data-id="{}""#, asset.id)), 1, "{}", asset.id);
    }
    for sector in &s.sectors {
        assert_eq!(count(&svg, &format!(r#"class="sector" data-id="{}""#, sector.id)), 1, "{}", sector.id);
    }
    let mut pairs = BTreeMap::<(&str, &str), usize>::new();
    for d in &s.dependencies {
        *pairs.entry((d.on.as_str(), d.asset.as_str())).or_default() += 1;
    }
    for ((on, asset), n) in &pairs {
        assert_eq!(count(&svg, &format!(r#"class="dependency" data-from="{on}" data-to="{asset}""#)), *n);
    }
    assert_eq!(count(&svg, r#"class="dependency""#), s.dependencies.len());
    assert_eq!(count(&svg, r#"class="link""#), s.links.len());
    // 33 redundancy groups, each drawn once with its "any 1 of N".
    assert_eq!(count(&svg, r#"class="group""#), 33);
    assert!(svg.contains(">any 1 of 2</text>"));
    assert!(svg.contains(">24 h</text>"), "a buffer's time is written on its edge");
}

#[test]
fn the_same_scenario_gives_byte_identical_output() {
    let path = luxembourg();
    for args in [
        &["--out", "a.svg"][..],
        &["--out", "a.dot"],
        &["--out", "a.svg", "--sectors"],
        &["--out", "a.dot", "--sectors"],
    ] {
        let (first, output) = graph(&path, args);
        assert_exit(&output, 0);
        let (second, output) = graph(&path, args);
        assert_exit(&output, 0);
        let name = args[1];
        assert_eq!(read(&first, name), read(&second, name), "{args:?}");
    }
}

#[test]
fn the_sector_level_graph_has_one_node_per_sector() {
    let path = luxembourg();
    let m = model(&path);
    let (dir, output) = graph(&path, &["--sectors", "--out", "sectors.svg"]);
    assert_exit(&output, 0);
    let svg = read(&dir, "sectors.svg");
    check_xml(&svg);
    for sector in &m.scenario.sectors {
        assert_eq!(count(&svg, &format!(r#"class="node sector" data-id="{}""#, sector.id)), 1);
    }
    assert_eq!(count(&svg, r#"class="node asset""#), 0);
    let (dir, output) = graph(&path, &["--sectors", "--out", "sectors.dot"]);
    assert_exit(&output, 0);
    let dot = read(&dir, "sectors.dot");
    assert!(dot.contains("\"energy\" -> \"telecom\""), "{dot}");
    assert!(!dot.contains("cluster_"));
}

/// Text from the scenario (names with markup and quotes) is escaped in both
/// formats.
#[test]
fn scenario_text_is_escaped_for_xml_and_dot() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("odd.ron"),
        r#"Scenario(
            name: "Tom & \"Jerry\" <script>",
            duration_ticks: 10,
            start: "2026-03-10T08:00",
            sectors: [Sector(id: "s1", name: "A & B <sector>")],
            organisations: [Organisation(id: "o", kind: Operator)],
            assets: [
                Asset(id: "a", name: "it's <b>bold</b> \\ \"quoted\"", organisation: "o", sector: "s1"),
                Asset(id: "b", organisation: "o", sector: "s1"),
            ],
            dependencies: [
                Dependency(asset: "b", on: "a", kind: Data, weight: 1000, threshold: 500, group: "g"),
                Dependency(asset: "a", on: "a", kind: Data, weight: 500, threshold: 500),
                Dependency(asset: "a", on: "b", kind: Data, weight: 500, threshold: 500, buffer_ticks: 3),
            ],
            links: [Link(from: "a", to: "b", directed: true)],
        )"#,
    )
    .unwrap();
    let output = cascade_in(dir.path(), &["graph", "odd.ron", "--out", "odd.svg"]);
    assert_exit(&output, 0);
    let svg = read(&dir, "odd.svg");
    check_xml(&svg);
    assert!(svg.contains("Tom &amp; &quot;Jerry&quot; &lt;script&gt;"));
    assert!(!svg.contains("<script>") && !svg.contains("<b>"));
    let output = cascade_in(dir.path(), &["graph", "odd.ron", "--out", "odd.dot"]);
    assert_exit(&output, 0);
    let dot = read(&dir, "odd.dot");
    assert!(dot.contains(r#"it's <b>bold</b> \\ \"quoted\""#), "{dot}");
}

// ---- errors ----

#[test]
fn bad_inputs_and_outputs_are_clear_errors() {
    let tutorial = tutorial();
    // A file that is not there: exit 1, naming it.
    let (_dir, output) = graph(Path::new("no-such.ron"), &["--out", "x.svg"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("no-such.ron"), "{}", stderr(&output));

    // An invalid scenario: the problems, with the file.
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("bad.ron"), "Scenario(name: \"x\", duration_ticks: 0,").unwrap();
    let output = cascade_in(dir.path(), &["graph", "bad.ron", "--out", "x.svg"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("bad.ron:"), "{}", stderr(&output));
    assert!(!dir.path().join("x.svg").exists());

    // An extension it cannot read: a usage error naming the file.
    let (dir, output) = graph(&tutorial, &["--out", "deps.png"]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("deps.png") && err.contains(".svg") && err.contains("--format"), "{err}");
    assert!(!dir.path().join("deps.png").exists());
    let (_dir, output) = graph(&tutorial, &["--out", "deps"]);
    assert_exit(&output, 2);
    let (_dir, output) = graph(&tutorial, &["--format", "png"]);
    assert_exit(&output, 2);

    // An output that cannot be written: exit 1, naming it.
    let (_dir, output) = graph(&tutorial, &["--out", "missing-dir/deps.svg"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("cannot write the graph to missing-dir/deps.svg"), "{}", stderr(&output));
}

#[test]
fn a_national_scale_svg_is_refused_with_the_alternatives() {
    let dir = TempDir::new().unwrap();
    let mut text = String::from(
        "Scenario(name: \"big\", duration_ticks: 10, start: \"2026-03-10T08:00\",\n\
         sectors: [Sector(id: \"s\")], organisations: [Organisation(id: \"o\", kind: Operator)],\nassets: [\n",
    );
    for i in 0..2001 {
        text.push_str(&format!("Asset(id: \"a{i}\", organisation: \"o\", sector: \"s\"),\n"));
    }
    text.push_str("],\ndependencies: [\n");
    for i in 1..2001 {
        text.push_str(&format!(
            "Dependency(asset: \"a{i}\", on: \"a{}\", kind: Power, weight: 1000, threshold: 500),\n",
            i - 1
        ));
    }
    text.push_str("],\n)\n");
    std::fs::write(dir.path().join("big.ron"), text).unwrap();
    let output = cascade_in(dir.path(), &["graph", "big.ron", "--out", "big.svg"]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(err.contains("big.ron") && err.contains("2,001 assets") && err.contains("--sectors"), "{err}");
    assert!(err.contains("DOT"), "{err}");
    assert!(!dir.path().join("big.svg").exists());
    let output = cascade_in(dir.path(), &["graph", "big.ron", "--out", "big.dot"]);
    assert_exit(&output, 0);
    let output = cascade_in(dir.path(), &["graph", "big.ron", "--out", "sectors.svg", "--sectors"]);
    assert_exit(&output, 0);
}

// ---- run --trace-assets ----

struct AssetRow {
    tick: u64,
    asset: String,
    level: u64,
    integrity: u64,
    cap: u64,
    on_backup: String,
}

fn asset_rows(csv: &str) -> Vec<AssetRow> {
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("tick,time,asset,level,integrity,physical,cyber,cap,on_backup"));
    lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 9, "{line}");
            // Integrity is the lesser of the plant's and the systems' state.
            let (physical, cyber): (u64, u64) = (f[5].parse().unwrap(), f[6].parse().unwrap());
            assert_eq!(f[4].parse::<u64>().unwrap(), physical.min(cyber), "{line}");
            AssetRow {
                tick: f[0].parse().unwrap(),
                asset: f[2].to_string(),
                level: f[3].parse().unwrap(),
                integrity: f[4].parse().unwrap(),
                cap: f[7].parse().unwrap(),
                on_backup: f[8].to_string(),
            }
        })
        .collect()
}

/// Every asset at every tick: the last tick matches --final-state, and each
/// tick's levels add up to --trace's sector service.
#[test]
fn trace_assets_agrees_with_the_sector_trace_and_the_final_state() {
    let dir = TempDir::new().unwrap();
    let path = tutorial();
    let m = model(&path);
    let output = cascade_in(
        dir.path(),
        &[
            "run",
            path.to_str().unwrap(),
            "--trace-assets",
            "all",
            "a.csv",
            "--trace",
            "t.csv",
            "--final-state",
            "f.json",
        ],
    );
    assert_exit(&output, 0);
    let rows = asset_rows(&read(&dir, "a.csv"));
    let n = m.scenario.assets.len();
    let ticks = m.scenario.duration_ticks as usize + 1;
    assert_eq!(rows.len(), ticks * n);

    // Per tick, in scenario order; Σ population × level / 1000 per sector is the trace's column.
    let trace = read(&dir, "t.csv");
    for (tick, line) in trace.lines().skip(1).enumerate() {
        let sector_service: Vec<u64> = line.split(',').skip(3).map(|f| f.parse().unwrap()).collect();
        let these = &rows[tick * n..(tick + 1) * n];
        let mut sums = vec![0u64; m.scenario.sectors.len()];
        for (i, row) in these.iter().enumerate() {
            assert_eq!(row.tick, tick as u64);
            assert_eq!(row.asset, m.scenario.assets[i].id);
            sums[m.assets[i].sector as usize] += m.assets[i].population * row.level;
        }
        let sums: Vec<u64> = sums.iter().map(|s| s / 1000).collect();
        assert_eq!(sums, sector_service, "tick {tick}");
    }

    let final_state: serde_json::Value = serde_json::from_str(&read(&dir, "f.json")).unwrap();
    let last = &rows[(ticks - 1) * n..];
    for (row, asset) in last.iter().zip(final_state["assets"].as_array().unwrap()) {
        assert_eq!(row.asset, asset["id"].as_str().unwrap());
        assert_eq!(row.level, asset["level"].as_u64().unwrap());
        assert_eq!(row.integrity, asset["integrity"].as_u64().unwrap());
        assert_eq!(row.cap, asset["cap"].as_u64().unwrap());
    }
}

/// "Why did the phones not drop?" The tutorial's substation is down from tick
/// 15 to 74; the mobile network rides its 30-tick battery from tick 16 and
/// drops at tick 46 (tests/cli.rs works the numbers out).
#[test]
fn trace_assets_shows_the_buffer_being_used_up() {
    let dir = TempDir::new().unwrap();
    let path = tutorial();
    let output =
        cascade_in(dir.path(), &["run", path.to_str().unwrap(), "--trace-assets", "mobile-net,substation", "m.csv"]);
    assert_exit(&output, 0);
    let csv = read(&dir, "m.csv");
    let rows = asset_rows(&csv);
    // The order given, every tick.
    assert_eq!(rows[0].asset, "mobile-net");
    assert_eq!(rows[1].asset, "substation");
    assert_eq!(rows.len(), 2 * 181);
    let mobile = |tick: u64| rows.iter().find(|r| r.tick == tick && r.asset == "mobile-net").unwrap();
    assert_eq!(mobile(15).on_backup, "");
    assert_eq!(mobile(16).on_backup, "substation:29");
    assert_eq!(mobile(16).level, 1000);
    assert_eq!(mobile(45).on_backup, "substation:0");
    assert_eq!(mobile(45).level, 1000);
    assert_eq!(mobile(46).on_backup, "");
    assert_eq!(mobile(46).level, 200);
    // The storm is physical damage: the plant at 0, its systems intact.
    assert!(csv.contains("\n15,08:15,substation,0,0,0,1000,1000,\n"), "{csv}");
}

#[test]
fn trace_assets_refuses_unknown_ids_naming_them() {
    let dir = TempDir::new().unwrap();
    let path = tutorial();
    let output =
        cascade_in(dir.path(), &["run", path.to_str().unwrap(), "--trace-assets", "pumping,mobile-nett", "m.csv"]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("unknown asset \"mobile-nett\" (did you mean \"mobile-net\"?)"), "{err}");
    assert!(!dir.path().join("m.csv").exists(), "nothing is written before the ids are checked");
    let output = cascade_in(dir.path(), &["run", path.to_str().unwrap(), "--trace-assets", "pumping", "no-dir/m.csv"]);
    assert_exit(&output, 1);
    assert!(stderr(&output).contains("no-dir/m.csv"), "{}", stderr(&output));
}
