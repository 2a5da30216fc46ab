//! The examples in docs/ are code too: they must parse and validate.

use std::path::Path;

/// The fenced ```ron blocks of a markdown file.
fn ron_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```ron") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn the_format_reference_example_is_valid() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario-format.md");
    let blocks = ron_blocks(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(blocks.len(), 1, "one complete example");
    let model = cascade_engine::parse_model(blocks[0].as_bytes(), &path).unwrap_or_else(|e| panic!("{e}"));
    // It is meant to show every field at least once.
    let s = &model.scenario;
    assert!(s.assets.iter().any(|a| a.integrity < 1000));
    assert!(s.dependencies.iter().any(|d| d.group.is_some() && d.buffer_ticks == 0));
    assert!(s.links.iter().any(|l| l.directed));
    assert!(s.organisations.iter().any(|o| !o.constituency.is_empty()));
    assert!(!s.incidents.is_empty() && !s.regimes.is_empty() && !s.objectives.is_empty());
    assert!(s.injects.iter().any(|i| i.when.is_some()) && s.injects.iter().any(|i| !i.effects.is_empty()));
}

/// The journal stores scenarios as RON written by `to_ron`: it must read back
/// to the same scenario, for every bundled one.
#[test]
fn scenarios_round_trip_through_ron() {
    for name in ["tutorial.ron", "luxembourg.ron"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios").join(name);
        let model = cascade_engine::load_model(&path).unwrap_or_else(|e| panic!("{e}"));
        let text = cascade_engine::load::to_ron(&model.scenario);
        let again = cascade_engine::load::parse_stored_model(text.clone(), Path::new("stored.ron"))
            .unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(again.scenario, model.scenario, "{name}");
    }
}
