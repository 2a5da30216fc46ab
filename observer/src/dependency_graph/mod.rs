//! `cascade graph`: a scenario's dependency graph and network links as a
//! picture for scenario designers, in SVG (laid out here, `layout`) or in
//! Graphviz DOT (laid out by whoever renders it).
//!
//! The picture is built in two steps: the model becomes a `Diagram` (nodes,
//! clusters, dependency edges with their redundancy groups and buffers, network
//! links: what to show, at the level of assets or of sectors), then `svg` or
//! `dot` writes the diagram. Both are pure functions of the model, so the same
//! scenario gives byte-identical output (docs/graph.md).
//!
//! It must never: read or write files (the command does), run external
//! programs, depend on hash-map order or floating point, or draw an SVG past
//! `MAX_SVG_ASSETS` / `MAX_SVG_EDGES` / `MAX_SVG_COLUMNS` (the picture would
//! be unreadable and huge: the error says to use `--sectors` or DOT instead).

mod dot;
pub mod layout;
mod svg;

use std::fmt;

use cascade_engine::Model;
use cascade_engine::clock::duration_words;
use cascade_engine::scenario::{Criticality, DependencyKind};
use cascade_engine::view::thousands;

/// The most assets an asset-level SVG draws: beyond that a picture is no longer
/// something a person reads (and its layout would take seconds).
pub const MAX_SVG_ASSETS: usize = 2_000;
/// The most dependencies and network links together an asset-level SVG draws.
pub const MAX_SVG_EDGES: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Dot,
}

/// What the nodes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// One node per asset, sectors as clusters.
    Assets,
    /// One node per sector; dependencies and links between sectors counted.
    Sectors,
}

/// The most columns (the longest dependency chain, once cycles are set
/// aside) an SVG draws: each is about 300 px wide, so past this the picture
/// is wider than anyone scrolls.
pub const MAX_SVG_COLUMNS: usize = 100;

/// The scenario is too large for an SVG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TooLarge {
    /// Too many assets or edges for an asset-level picture.
    Counts { assets: usize, edges: usize },
    /// A dependency chain too long for the columns of a picture.
    Columns { columns: usize },
}

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TooLarge::Counts { assets, edges } => write!(
                f,
                "the scenario has {} assets and {} dependencies and links; an SVG draws at most {} assets and {} \
                 dependencies and links, beyond which the picture is unreadable",
                thousands(*assets as u64),
                thousands(*edges as u64),
                thousands(MAX_SVG_ASSETS as u64),
                thousands(MAX_SVG_EDGES as u64),
            )?,
            TooLarge::Columns { columns } => write!(
                f,
                "its longest dependency chain (cycles set aside) needs {} columns; an SVG draws at most {}, \
                 beyond which the picture is unreadable",
                thousands(*columns as u64),
                MAX_SVG_COLUMNS
            )?,
        }
        write!(
            f,
            ": draw the sector-level graph (--sectors) or write DOT (--format dot, or an --out ending in .dot) for Graphviz"
        )
    }
}

impl std::error::Error for TooLarge {}

/// The scenario's graph in `format`, at `level`.
pub fn render(model: &Model, format: Format, level: Level) -> Result<String, TooLarge> {
    let s = &model.scenario;
    if format == Format::Svg && level == Level::Assets {
        let edges = s.dependencies.len() + s.links.len();
        if s.assets.len() > MAX_SVG_ASSETS || edges > MAX_SVG_EDGES {
            return Err(TooLarge::Counts { assets: s.assets.len(), edges });
        }
    }
    let diagram = match level {
        Level::Assets => Diagram::assets(model),
        Level::Sectors => Diagram::sectors(model),
    };
    match format {
        Format::Svg => svg::write(&diagram),
        Format::Dot => Ok(dot::write(&diagram)),
    }
}

/// One line saying what the graph holds, for the command to print.
pub fn summary(model: &Model) -> String {
    Diagram::counts(model)
}

/// What to draw, independent of the output format.
#[derive(Debug)]
struct Diagram {
    title: String,
    /// Counts, for the subtitle.
    summary: String,
    level: Level,
    /// Sectors at the asset level; none at the sector level (no boxes).
    clusters: Vec<Cluster>,
    nodes: Vec<Node>,
    deps: Vec<Dep>,
    groups: Vec<Group>,
    links: Vec<LinkLine>,
}

#[derive(Debug)]
struct Cluster {
    id: String,
    name: String,
    /// `22 assets`.
    note: String,
}

#[derive(Debug)]
struct Node {
    id: String,
    /// Shown in the box (the id at the asset level, the sector's name above).
    label: String,
    /// Shown on hover (SVG `<title>`, DOT `tooltip`).
    tooltip: String,
    cluster: usize,
    criticality: Option<Criticality>,
}

/// `to` depends on `from`: drawn from the provider to the dependant, the way
/// service (and outages) flow.
#[derive(Debug)]
struct Dep {
    from: usize,
    to: usize,
    /// None when aggregated over kinds (sector level).
    kind: Option<DependencyKind>,
    /// Index into `Diagram::groups`.
    group: Option<usize>,
    /// `8 h`: the backup autonomy, when there is one.
    buffer: Option<String>,
    /// Aggregated dependencies this edge stands for (1 at the asset level).
    count: usize,
    tooltip: String,
}

/// A redundancy group: the dependencies of one asset with the same `group`
/// name, alternatives of which the best supplies.
#[derive(Debug)]
struct Group {
    name: String,
    members: usize,
}

#[derive(Debug)]
struct LinkLine {
    a: usize,
    b: usize,
    directed: bool,
    /// Aggregated links this line stands for (1 at the asset level).
    count: usize,
    tooltip: String,
}

/// `8 h`, `30 min`, `5 days`, or seconds when the ticks are not whole minutes.
fn buffer_words(ticks: u32, tick_seconds: u32) -> String {
    let seconds = u64::from(ticks) * u64::from(tick_seconds);
    if seconds % 60 == 0 { duration_words(seconds) } else { format!("{} s", thousands(seconds)) }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n as u64), if n == 1 { one } else { many })
}

fn criticality_word(c: Criticality) -> &'static str {
    match c {
        Criticality::Low => "Low",
        Criticality::Medium => "Medium",
        Criticality::High => "High",
        Criticality::Critical => "Critical",
    }
}

pub(crate) fn kind_word(kind: DependencyKind) -> &'static str {
    match kind {
        DependencyKind::Power => "Power",
        DependencyKind::Network => "Network",
        DependencyKind::Data => "Data",
        DependencyKind::Supply => "Supply",
        DependencyKind::Staff => "Staff",
        DependencyKind::Finance => "Finance",
    }
}

impl Diagram {
    /// `100 assets in 8 sectors · 262 dependencies (31 redundancy groups, 140
    /// with a buffer) · 50 network links`.
    fn counts(model: &Model) -> String {
        let s = &model.scenario;
        let buffered = s.dependencies.iter().filter(|d| d.buffer_ticks > 0).count();
        let groups = group_index(model).1.len();
        format!(
            "{} in {} · {} ({}, {} with a buffer) · {}",
            plural(s.assets.len(), "asset", "assets"),
            plural(s.sectors.len(), "sector", "sectors"),
            plural(s.dependencies.len(), "dependency", "dependencies"),
            plural(groups, "redundancy group", "redundancy groups"),
            thousands(buffered as u64),
            plural(s.links.len(), "network link", "network links"),
        )
    }

    fn assets(model: &Model) -> Diagram {
        let s = &model.scenario;
        let mut per_sector = vec![0usize; s.sectors.len()];
        for a in &model.assets {
            per_sector[a.sector as usize] += 1;
        }
        let clusters = s
            .sectors
            .iter()
            .zip(&per_sector)
            .map(|(sector, &n)| Cluster {
                id: sector.id.clone(),
                name: if sector.name.is_empty() { sector.id.clone() } else { sector.name.clone() },
                note: plural(n, "asset", "assets"),
            })
            .collect();
        let nodes = s
            .assets
            .iter()
            .zip(&model.assets)
            .map(|(a, resolved)| {
                let mut tooltip = a.id.to_string();
                if !a.name.is_empty() {
                    tooltip.push_str(&format!(" — {}", a.name));
                }
                tooltip.push_str(&format!(
                    "\norganisation {} · sector {}\ncriticality {} · population {}",
                    a.organisation,
                    a.sector,
                    criticality_word(a.criticality),
                    thousands(a.population)
                ));
                if resolved.integrity < 1000 {
                    tooltip.push_str(&format!("\nstarts at integrity {}‰", resolved.integrity));
                }
                Node {
                    id: a.id.to_string(),
                    label: a.id.to_string(),
                    tooltip,
                    cluster: resolved.sector as usize,
                    criticality: Some(a.criticality),
                }
            })
            .collect();
        let (dep_group, groups) = group_index(model);
        let deps = s
            .dependencies
            .iter()
            .zip(&model.dependencies)
            .zip(&dep_group)
            .map(|((d, resolved), &group)| {
                let buffer = (d.buffer_ticks > 0).then(|| buffer_words(d.buffer_ticks, s.tick_seconds));
                let mut tooltip = format!(
                    "{} depends on {}: {}, weight {}‰, threshold {}‰",
                    d.asset,
                    d.on,
                    kind_word(d.kind),
                    d.weight,
                    d.threshold
                );
                if let Some(words) = &buffer {
                    tooltip.push_str(&format!(", buffer {} ticks ({words})", thousands(u64::from(d.buffer_ticks))));
                }
                if let (Some(g), Some(name)) = (group, &d.group) {
                    tooltip.push_str(&format!(", group \"{name}\": any 1 of {}", groups[g].members));
                }
                Dep {
                    from: resolved.on as usize,
                    to: resolved.asset as usize,
                    kind: Some(d.kind),
                    group,
                    buffer,
                    count: 1,
                    tooltip,
                }
            })
            .collect();
        let links = s
            .links
            .iter()
            .zip(&model.links)
            .map(|(l, resolved)| LinkLine {
                a: resolved.from as usize,
                b: resolved.to as usize,
                directed: l.directed,
                count: 1,
                tooltip: if l.directed {
                    format!("network link {} → {}: a compromise can spread from {} to {}", l.from, l.to, l.from, l.to)
                } else {
                    format!("network link {} — {}: a compromise can spread both ways", l.from, l.to)
                },
            })
            .collect();
        Diagram {
            title: s.name.clone(),
            summary: Self::counts(model),
            level: Level::Assets,
            clusters,
            nodes,
            deps,
            groups,
            links,
        }
    }

    fn sectors(model: &Model) -> Diagram {
        let s = &model.scenario;
        let n = s.sectors.len();
        let sector_of = |asset: u32| model.assets[asset as usize].sector as usize;
        let mut assets = vec![0usize; n];
        for a in &model.assets {
            assets[a.sector as usize] += 1;
        }
        // Per (provider sector, dependant sector): dependencies, with a buffer,
        // in a redundancy group. A BTreeMap keeps the edges in a fixed order.
        let mut between = std::collections::BTreeMap::<(usize, usize), [usize; 3]>::new();
        for (d, resolved) in s.dependencies.iter().zip(&model.dependencies) {
            let counts = between.entry((sector_of(resolved.on), sector_of(resolved.asset))).or_default();
            counts[0] += 1;
            counts[1] += usize::from(d.buffer_ticks > 0);
            counts[2] += usize::from(d.group.is_some());
        }
        let mut linked = std::collections::BTreeMap::<(usize, usize), usize>::new();
        for l in &model.links {
            let (a, b) = (sector_of(l.from), sector_of(l.to));
            *linked.entry((a.min(b), a.max(b))).or_default() += 1;
        }
        let nodes = s
            .sectors
            .iter()
            .enumerate()
            .map(|(i, sector)| {
                let name = if sector.name.is_empty() { sector.id.clone() } else { sector.name.clone() };
                let inside = between.get(&(i, i)).map_or(0, |c| c[0]);
                let links_inside = linked.get(&(i, i)).copied().unwrap_or(0);
                Node {
                    id: sector.id.clone(),
                    label: format!("{name} ({})", thousands(assets[i] as u64)),
                    tooltip: format!(
                        "{name} ({}): {}; {} and {} between its own assets",
                        sector.id,
                        plural(assets[i], "asset", "assets"),
                        plural(inside, "dependency", "dependencies"),
                        plural(links_inside, "network link", "network links"),
                    ),
                    cluster: 0,
                    criticality: None,
                }
            })
            .collect::<Vec<_>>();
        let deps = between
            .iter()
            .filter(|((from, to), _)| from != to)
            .map(|(&(from, to), &[count, buffered, grouped])| Dep {
                from,
                to,
                kind: None,
                group: None,
                buffer: None,
                count,
                tooltip: format!(
                    "{} of {} assets on {} assets ({} with a buffer, {} in redundancy groups)",
                    plural(count, "dependency", "dependencies"),
                    s.sectors[to].id,
                    s.sectors[from].id,
                    thousands(buffered as u64),
                    thousands(grouped as u64)
                ),
            })
            .collect();
        let links = linked
            .iter()
            .filter(|((a, b), _)| a != b)
            .map(|(&(a, b), &count)| LinkLine {
                a,
                b,
                directed: false,
                count,
                tooltip: format!(
                    "{} between {} and {} assets",
                    plural(count, "network link", "network links"),
                    s.sectors[a].id,
                    s.sectors[b].id
                ),
            })
            .collect();
        Diagram {
            title: s.name.clone(),
            summary: format!("sectors: {}", Self::counts(model)),
            level: Level::Sectors,
            clusters: Vec::new(),
            nodes,
            deps,
            groups: Vec::new(),
            links,
        }
    }
}

/// Per dependency: its redundancy group (an index), and the groups (name,
/// members) in order of first appearance. A group name is scoped to its asset.
fn group_index(model: &Model) -> (Vec<Option<usize>>, Vec<Group>) {
    let mut index = std::collections::BTreeMap::<(u32, &str), usize>::new();
    let mut groups: Vec<Group> = Vec::new();
    let per_dep = model
        .scenario
        .dependencies
        .iter()
        .zip(&model.dependencies)
        .map(|(d, resolved)| {
            let name = d.group.as_deref()?;
            let g = *index.entry((resolved.asset, name)).or_insert_with(|| {
                groups.push(Group { name: name.to_string(), members: 0 });
                groups.len() - 1
            });
            groups[g].members += 1;
            Some(g)
        })
        .collect();
    (per_dep, groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tutorial() -> Model {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/tutorial.ron");
        cascade_engine::load_model(&path).unwrap()
    }

    #[test]
    fn groups_are_scoped_to_their_asset_and_counted() {
        let model = tutorial();
        let (per_dep, groups) = group_index(&model);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].name, "network");
        assert_eq!(groups[0].members, 2);
        assert_eq!(per_dep.iter().filter(|g| g.is_some()).count(), 2);
    }

    #[test]
    fn buffers_read_as_durations() {
        assert_eq!(buffer_words(30, 60), "30 min");
        assert_eq!(buffer_words(120, 60), "2 h");
        assert_eq!(buffer_words(1440 * 5, 60), "5 days");
        assert_eq!(buffer_words(3, 20), "1 min");
        assert_eq!(buffer_words(3, 30), "90 s");
    }

    #[test]
    fn the_tutorial_renders_in_both_formats_and_levels() {
        let model = tutorial();
        for format in [Format::Svg, Format::Dot] {
            for level in [Level::Assets, Level::Sectors] {
                let a = render(&model, format, level).unwrap();
                assert_eq!(a, render(&model, format, level).unwrap());
                let expected = if level == Level::Assets { "substation" } else { "energy" };
                assert!(a.contains(expected), "{format:?} {level:?}");
            }
        }
    }

    #[test]
    fn a_chain_longer_than_the_columns_is_refused() {
        let mut text = String::from(
            "Scenario(name: \"chain\", duration_ticks: 10, start: \"2026-03-10T08:00\", sectors: [Sector(id: \"s\")], \
             organisations: [Organisation(id: \"o\", kind: Operator)], assets: [",
        );
        for i in 0..=MAX_SVG_COLUMNS {
            text.push_str(&format!("Asset(id: \"a{i}\", organisation: \"o\", sector: \"s\"),"));
        }
        text.push_str("], dependencies: [");
        for i in 1..=MAX_SVG_COLUMNS {
            text.push_str(&format!(
                "Dependency(asset: \"a{i}\", on: \"a{}\", kind: Data, weight: 1000, threshold: 1),",
                i - 1
            ));
        }
        text.push_str("])");
        let model = cascade_engine::parse_model(text.as_bytes(), std::path::Path::new("chain.ron")).unwrap();
        let error = render(&model, Format::Svg, Level::Assets).unwrap_err();
        assert_eq!(error, TooLarge::Columns { columns: MAX_SVG_COLUMNS + 1 });
        assert!(error.to_string().contains("101 columns"), "{error}");
        assert!(render(&model, Format::Dot, Level::Assets).is_ok());
    }

    #[test]
    fn a_national_scale_svg_is_refused_but_dot_and_sectors_are_not() {
        let scenario = cascade_engine::synthetic::national_graph(MAX_SVG_ASSETS + 1);
        let text = cascade_engine::load::to_ron(&scenario);
        let model = cascade_engine::parse_model(text.as_bytes(), std::path::Path::new("big.ron")).unwrap();
        let error = render(&model, Format::Svg, Level::Assets).unwrap_err();
        assert!(matches!(error, TooLarge::Counts { assets, .. } if assets == MAX_SVG_ASSETS + 1));
        assert!(error.to_string().contains("--sectors"), "{error}");
        assert!(render(&model, Format::Dot, Level::Assets).is_ok());
        let sectors = render(&model, Format::Svg, Level::Sectors).unwrap();
        assert!(sectors.contains("energy"));
    }
}
