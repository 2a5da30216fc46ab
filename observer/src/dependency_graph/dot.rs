//! The Graphviz DOT writer of `cascade graph`: the same `Diagram` as the SVG,
//! for `dot -Tsvg` / `dot -Tpng` or any tool that reads DOT, which lays it out
//! itself (so there is no size limit here).
//!
//! Sectors are `subgraph "cluster_<id>"` blocks holding their assets; every
//! dependency is one edge `"provider" -> "dependant"`, coloured by kind, dashed
//! and labelled `buffer 8 h` when it has a buffer, and labelled `any 1 of 2
//! (group)` with a shared head port (`samehead`) when it belongs to a
//! redundancy group; network links are red dotted edges that do not take part
//! in ranking (`constraint=false`), without arrowheads unless directed.
//!
//! It must never: emit an unquoted or unescaped id or text (any scenario
//! string must give a file Graphviz reads), or depend on anything but the diagram.

use std::fmt::Write;

use cascade_engine::scenario::DependencyKind;

use super::{Diagram, Level};

/// A DOT quoted string: backslashes and quotes escaped, line breaks as `\n`
/// (a line break in a label), other control characters dropped.
pub(super) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn colour(kind: Option<DependencyKind>) -> &'static str {
    match kind {
        Some(DependencyKind::Power) => "#dd6b20",
        Some(DependencyKind::Network) => "#3182ce",
        Some(DependencyKind::Data) => "#805ad5",
        Some(DependencyKind::Supply) => "#2f855a",
        Some(DependencyKind::Staff) => "#975a16",
        Some(DependencyKind::Finance) => "#d53f8c",
        None => "#4a5568",
    }
}

const BAND_FILLS: [&str; 8] = ["#fff7ed", "#ebf8ff", "#fdf2f8", "#f0fff4", "#faf5ff", "#e6fffa", "#fffff0", "#f7fafc"];

pub(super) fn write(d: &Diagram) -> String {
    let mut out = String::with_capacity(1024 + d.nodes.len() * 120 + d.deps.len() * 120);
    let _ =
        writeln!(out, "// Dependency graph written by `cascade graph` (docs/graph.md). Render: dot -Tsvg -o graph.svg");
    let _ =
        writeln!(out, "// Arrows point from a provider to the asset that depends on it: the way service and outages");
    let _ = writeln!(out, "// flow. Dashed: with a buffer. Red dotted: network links (no part in the ranking).");
    let _ = writeln!(out, "digraph cascade {{");
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, ranksep=1.1, nodesep=0.2, newrank=true, fontname=\"Helvetica\", labelloc=t, label={}];",
        quote(&format!("{}\n{}", d.title, d.summary))
    );
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"Helvetica\", fontsize=10];"
    );
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=8, arrowsize=0.6];");

    let node_line = |out: &mut String, i: usize, indent: &str| {
        let node = &d.nodes[i];
        let penwidth = match node.criticality {
            Some(cascade_engine::scenario::Criticality::Critical) => ", penwidth=2.5",
            Some(cascade_engine::scenario::Criticality::High) => ", penwidth=1.6",
            _ => "",
        };
        let _ = writeln!(
            out,
            "{indent}{} [label={}, tooltip={}{penwidth}];",
            quote(&node.id),
            quote(&node.label),
            quote(&node.tooltip)
        );
    };
    if d.clusters.is_empty() {
        for i in 0..d.nodes.len() {
            node_line(&mut out, i, "  ");
        }
    } else {
        for (c, cluster) in d.clusters.iter().enumerate() {
            let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_{}", cluster.id)));
            let _ = writeln!(
                out,
                "    label={}; style=\"rounded,filled\"; fillcolor={}; color=\"#a0aec0\"; fontsize=12;",
                quote(&format!("{} ({} · {})", cluster.name, cluster.id, cluster.note)),
                quote(BAND_FILLS[c % BAND_FILLS.len()])
            );
            for (i, node) in d.nodes.iter().enumerate() {
                if node.cluster == c {
                    node_line(&mut out, i, "    ");
                }
            }
            let _ = writeln!(out, "  }}");
        }
    }

    let _ = writeln!(out, "  // dependencies: provider -> dependant");
    for dep in &d.deps {
        let mut attrs = vec![format!("color={}", quote(colour(dep.kind))), format!("tooltip={}", quote(&dep.tooltip))];
        let mut label = Vec::new();
        if let Some(g) = dep.group {
            let group = &d.groups[g];
            label.push(format!("any 1 of {} ({})", group.members, group.name));
            // Members of one group meet at one point of the dependant.
            attrs.push(format!("samehead={}", quote(&format!("group-{g}"))));
        }
        if let Some(buffer) = &dep.buffer {
            label.push(format!("buffer {buffer}"));
        }
        match (dep.group.is_some(), dep.buffer.is_some()) {
            (true, true) => attrs.push("style=\"dashed,bold\"".into()),
            (true, false) => attrs.push("style=bold".into()),
            (false, true) => attrs.push("style=dashed".into()),
            (false, false) => {}
        }
        if d.level == Level::Sectors {
            label.push(dep.count.to_string());
            attrs.push(format!("penwidth={}", 1 + dep.count.min(40) / 5));
        }
        if !label.is_empty() {
            attrs.push(format!("label={}", quote(&label.join("\n"))));
        }
        let _ = writeln!(
            out,
            "  {} -> {} [{}];",
            quote(&d.nodes[dep.from].id),
            quote(&d.nodes[dep.to].id),
            attrs.join(", ")
        );
    }

    if !d.links.is_empty() {
        let _ = writeln!(out, "  // network links (compromises spread along them; both ways unless directed)");
    }
    for link in &d.links {
        let mut attrs = vec![
            "color=\"#e53e3e\"".to_string(),
            "style=dotted".into(),
            "constraint=false".into(),
            format!("tooltip={}", quote(&link.tooltip)),
        ];
        if !link.directed {
            attrs.push("dir=none".into());
        }
        if d.level == Level::Sectors {
            attrs.push(format!("label={}", quote(&format!("{} links", link.count))));
            attrs.push("fontcolor=\"#e53e3e\"".into());
        }
        let _ =
            writeln!(out, "  {} -> {} [{}];", quote(&d.nodes[link.a].id), quote(&d.nodes[link.b].id), attrs.join(", "));
    }
    let _ = writeln!(out, "}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_quotes_backslashes_and_line_breaks() {
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quote("one\ntwo\u{7}"), r#""one\ntwo ""#);
    }
}
