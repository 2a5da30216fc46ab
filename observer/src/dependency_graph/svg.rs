//! The SVG writer of `cascade graph`: a `Diagram` on the grid `layout` computes,
//! drawn with plain SVG 1.1 elements (paths, rects, text) that every browser
//! and `rsvg-convert` render alike.
//!
//! What is where: a title and a legend on top; one labelled band per sector
//! (cluster), its assets in columns; dependency edges from the provider's right
//! side to the dependant's left side, coloured by kind, dashed with their
//! backup time written on them when they have a buffer; the members of a
//! redundancy group meeting in a small circle ("any 1 of 2") before the
//! dependant; network links as red dotted arcs under the boxes. Every node
//! and edge carries a `<title>` (shown on hover) with its details.
//!
//! It must never: emit text that is not escaped for XML, use floating point
//! (coordinates are integers, so the output is byte-identical everywhere), or
//! depend on anything but the diagram.

use std::fmt::Write;

use cascade_engine::scenario::{Criticality, DependencyKind};

use super::layout::{Layout, LayoutInput, layout};
use super::{Diagram, Level, MAX_SVG_COLUMNS, TooLarge, kind_word};

/// Average advance of a character of the 11-px monospace font (DejaVu Sans
/// Mono is 6.6 px; a little more leaves room for other monospace fonts).
const CHAR_W: i64 = 7;
/// The same for the 11-px sans-serif text of the legend, in halves of a pixel
/// (DejaVu Sans averages about 6.3 px on English words).
const SANS_HALF_W: i64 = 13;
/// Box height, vertical distance between rows (the box plus room for arcs and
/// labels) and horizontal gap between columns (where edges bend and their
/// labels sit), per level: sectors are few, and their thick edges need room.
struct Metrics {
    node_h: i64,
    row_pitch: i64,
    col_gap: i64,
}

fn metrics(level: Level) -> Metrics {
    match level {
        Level::Assets => Metrics { node_h: 24, row_pitch: 40, col_gap: 150 },
        Level::Sectors => Metrics { node_h: 44, row_pitch: 100, col_gap: 220 },
    }
}
const BAND_HEADER: i64 = 24;
const BAND_PAD: i64 = 12;
const BAND_GAP: i64 = 12;
const MARGIN: i64 = 16;
/// How far left of its dependant a redundancy group's junction sits.
const JUNCTION_DX: i64 = 26;
/// The most columns an edge is routed across between rows (see `routed_path`).
const MAX_ROUTED: usize = 16;
/// Room to the right of the last column for edges that loop back.
const LOOP_ROOM: i64 = 90;

const MONO: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
const SANS: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";
const LINK_COLOUR: &str = "#e53e3e";
const NEUTRAL: &str = "#4a5568";

/// Sector bands: (fill, stroke), by sector index, cycling.
const BANDS: [(&str, &str); 8] = [
    ("#fff7ed", "#f6ad55"),
    ("#ebf8ff", "#90cdf4"),
    ("#fdf2f8", "#f687b3"),
    ("#f0fff4", "#9ae6b4"),
    ("#faf5ff", "#d6bcfa"),
    ("#e6fffa", "#81e6d9"),
    ("#fffff0", "#f6e05e"),
    ("#f7fafc", "#cbd5e0"),
];

/// Edges between sectors, by the provider sector's index: (colour, marker id).
const SECTOR_EDGES: [(&str, &str); 8] = [
    ("#c05621", "arrow-s0"),
    ("#2b6cb0", "arrow-s1"),
    ("#b83280", "arrow-s2"),
    ("#2f855a", "arrow-s3"),
    ("#6b46c1", "arrow-s4"),
    ("#2c7a7b", "arrow-s5"),
    ("#b7791f", "arrow-s6"),
    ("#4a5568", "arrow-s7"),
];

const KINDS: [DependencyKind; 6] = [
    DependencyKind::Power,
    DependencyKind::Network,
    DependencyKind::Data,
    DependencyKind::Supply,
    DependencyKind::Staff,
    DependencyKind::Finance,
];

/// (colour, marker id) of an edge of `kind` (None: aggregated, sector level).
fn kind_style(kind: Option<DependencyKind>) -> (&'static str, &'static str) {
    match kind {
        Some(DependencyKind::Power) => ("#dd6b20", "arrow-power"),
        Some(DependencyKind::Network) => ("#3182ce", "arrow-network"),
        Some(DependencyKind::Data) => ("#805ad5", "arrow-data"),
        Some(DependencyKind::Supply) => ("#2f855a", "arrow-supply"),
        Some(DependencyKind::Staff) => ("#975a16", "arrow-staff"),
        Some(DependencyKind::Finance) => ("#d53f8c", "arrow-finance"),
        None => (NEUTRAL, "arrow-neutral"),
    }
}

/// Fill of the bar at the left of an asset's box.
fn criticality_fill(c: Criticality) -> &'static str {
    match c {
        Criticality::Critical => "#1a202c",
        Criticality::High => "#718096",
        Criticality::Medium => "#cbd5e0",
        Criticality::Low => "#ffffff",
    }
}

/// Text for XML character data and attribute values: the five special
/// characters escaped, and characters XML 1.0 forbids (most control
/// characters) replaced by a space, so any scenario text gives a valid file.
pub(super) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `13` tenths → `1.3`.
fn tenths(t: i64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

#[derive(Debug, Clone, Copy)]
struct Rect {
    x: i64,
    y: i64,
    w: i64,
    h: i64,
}

impl Rect {
    fn right(&self) -> i64 {
        self.x + self.w
    }
    fn mid_y(&self) -> i64 {
        self.y + self.h / 2
    }
}

/// Where everything is, in pixels.
struct Geometry {
    m: Metrics,
    node: Vec<Rect>,
    /// Per column: its left edge and width.
    columns: Vec<(i64, i64)>,
    /// Per column: the boxes in it, as (top, bottom), top to bottom.
    occupied: Vec<Vec<(i64, i64)>>,
    /// Per cluster: its band.
    band: Vec<Rect>,
    width: i64,
    height: i64,
    /// Top of the legend's two rows.
    legend_y: i64,
}

fn geometry(d: &Diagram, lay: &Layout, header_width: i64) -> Geometry {
    let m = metrics(d.level);
    let label_w = |i: usize| d.nodes[i].label.chars().count() as i64 * CHAR_W;
    // Boxes: the id, after the criticality bar at the asset level. One width
    // per column, so the columns read as such.
    let inset = if d.level == Level::Assets { 16 } else { 12 };
    let mut col_w = vec![60i64; lay.layers];
    for (i, &l) in lay.layer.iter().enumerate() {
        col_w[l] = col_w[l].max(inset + label_w(i) + 10);
    }
    let mut col_x = Vec::with_capacity(lay.layers);
    let mut x = MARGIN + BAND_PAD;
    for &w in &col_w {
        col_x.push(x);
        x += w + m.col_gap;
    }
    let grid_right = if lay.layers == 0 { x } else { x - m.col_gap } + LOOP_ROOM;
    let width = (grid_right + BAND_PAD + MARGIN).max(header_width + 2 * MARGIN);

    let legend_y = MARGIN + 46;
    let mut y = legend_y + 2 * 22 + 12;
    let mut band = Vec::with_capacity(lay.band_rows.len());
    for &rows in &lay.band_rows {
        let h = BAND_HEADER + rows.max(if d.clusters.is_empty() { 1 } else { 0 }) as i64 * m.row_pitch + 4;
        band.push(Rect { x: MARGIN, y, w: width - 2 * MARGIN, h });
        y += h + BAND_GAP;
    }
    let height = y - BAND_GAP + MARGIN + 24;
    let top_gap = (m.row_pitch - m.node_h) / 4;
    let node = (0..d.nodes.len())
        .map(|i| {
            let l = lay.layer[i];
            let b = band[d.nodes[i].cluster];
            let y = b.y + BAND_HEADER + lay.row[i] as i64 * m.row_pitch + top_gap;
            Rect { x: col_x[l], y, w: col_w[l], h: m.node_h }
        })
        .collect::<Vec<Rect>>();
    let mut occupied = vec![Vec::new(); lay.layers];
    for (i, r) in node.iter().enumerate() {
        occupied[lay.layer[i]].push((r.y, r.y + r.h));
    }
    for column in &mut occupied {
        column.sort_unstable();
    }
    let columns = col_x.into_iter().zip(col_w).collect();
    Geometry { m, node, columns, occupied, band, width, height, legend_y }
}

/// One thing a dependant's left side receives: a dependency alone, or a
/// redundancy group (its members meet in a junction first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Dep(usize),
    Group(usize),
}

/// Where each dependency starts (the provider's right side) and ends (the
/// dependant's left side, or its group's junction), and each group's
/// junction. Edges are spread down both sides in the order of the rows at
/// their other end, so that they cross less and hubs do not start every edge
/// at one point.
struct Ports {
    dep_start: Vec<(i64, i64)>,
    dep_end: Vec<(i64, i64)>,
    junction: Vec<Option<(i64, i64, usize)>>,
}

/// `k` points spread down the side of `r` at `x`, `i` from the top.
fn spread(r: Rect, i: usize, k: usize) -> i64 {
    r.y + (i as i64 + 1) * r.h / (k as i64 + 1)
}

fn ports(d: &Diagram, g: &Geometry) -> Ports {
    let n = d.nodes.len();
    // Incoming: (input, sum of source centres, count, first dependency).
    let mut inputs: Vec<Vec<(Input, i64, i64, usize)>> = vec![Vec::new(); n];
    let mut group_slot: Vec<Option<(usize, usize)>> = vec![None; d.groups.len()];
    // Outgoing: (target centre, dependency).
    let mut outputs: Vec<Vec<(i64, usize)>> = vec![Vec::new(); n];
    for (e, dep) in d.deps.iter().enumerate() {
        if dep.from == dep.to {
            continue;
        }
        outputs[dep.from].push((g.node[dep.to].mid_y(), e));
        let source = g.node[dep.from].mid_y();
        match dep.group {
            Some(gr) => match group_slot[gr] {
                Some((node, slot)) => {
                    let entry = &mut inputs[node][slot];
                    entry.1 += source;
                    entry.2 += 1;
                }
                None => {
                    group_slot[gr] = Some((dep.to, inputs[dep.to].len()));
                    inputs[dep.to].push((Input::Group(gr), source, 1, e));
                }
            },
            None => inputs[dep.to].push((Input::Dep(e), source, 1, e)),
        }
    }
    let mut dep_start = vec![(0, 0); d.deps.len()];
    for (node, list) in outputs.iter_mut().enumerate() {
        list.sort();
        let r = g.node[node];
        for (i, &(_, e)) in list.iter().enumerate() {
            dep_start[e] = (r.right(), spread(r, i, list.len()));
        }
    }
    let mut dep_end = vec![(0, 0); d.deps.len()];
    let mut junction = vec![None; d.groups.len()];
    for (node, list) in inputs.iter_mut().enumerate() {
        list.sort_by(|a, b| {
            (i128::from(a.1) * i128::from(b.2)).cmp(&(i128::from(b.1) * i128::from(a.2))).then(a.3.cmp(&b.3))
        });
        let r = g.node[node];
        // Several groups on one asset: their junctions step left, so their
        // circles and labels stay apart.
        let mut groups_seen = 0;
        for (i, &(input, ..)) in list.iter().enumerate() {
            let y = spread(r, i, list.len());
            match input {
                Input::Dep(e) => dep_end[e] = (r.x, y),
                Input::Group(gr) => {
                    junction[gr] = Some((r.x - JUNCTION_DX - 34 * groups_seen, y, node));
                    groups_seen += 1;
                }
            }
        }
    }
    for (e, dep) in d.deps.iter().enumerate() {
        if let Some((x, y, _)) = dep.group.and_then(|gr| junction[gr]) {
            dep_end[e] = (x, y);
        }
    }
    Ports { dep_start, dep_end, junction }
}

/// A cubic Bézier from `(x1, y1)` to `(x2, y2)` leaving and arriving
/// horizontally; edges that would go backwards (cycles, same column) loop
/// out right and come back in from the left, below the row. Returns the path
/// and its midpoint (for a label).
fn edge_path(m: &Metrics, (x1, y1): (i64, i64), (x2, y2): (i64, i64)) -> (String, (i64, i64)) {
    let (c1, c2) = if x2 - x1 >= 40 {
        let dx = ((x2 - x1) / 2).min(m.col_gap);
        ((x1 + dx, y1), (x2 - dx, y2))
    } else {
        let dip = m.row_pitch / 2 + m.node_h;
        ((x1 + 80, y1 + dip), (x2 - 80, y2 + dip))
    };
    let mid = ((x1 + 3 * c1.0 + 3 * c2.0 + x2) / 8, (y1 + 3 * c1.1 + 3 * c2.1 + y2) / 8);
    (format!("M{x1},{y1} C{},{} {},{} {x2},{y2}", c1.0, c1.1, c2.0, c2.1), mid)
}

/// An edge that skips columns: it crosses each column between `first` and
/// `last` (exclusive) horizontally, along the straight line from start to
/// end where that is clear of boxes, else in the gap between rows nearest to
/// it, so that it never runs behind a box. `lane` (0..3) shifts it a little
/// within a gap, so that edges sharing one stay apart. Between columns it
/// bends as a short edge does.
fn routed_path(
    g: &Geometry,
    (x1, y1): (i64, i64),
    (x2, y2): (i64, i64),
    columns: std::ops::Range<usize>,
    lane: i64,
) -> (String, (i64, i64)) {
    if columns.is_empty() || x2 - x1 < 40 {
        return edge_path(&g.m, (x1, y1), (x2, y2));
    }
    let half_gap = (g.m.row_pitch - g.m.node_h) / 2;
    let mut points = vec![(x1, y1)];
    for l in columns {
        let (cx, cw) = g.columns[l];
        // The straight line's height at the middle of the column.
        let at = cx + cw / 2;
        let mut y = y1 + (y2 - y1) * (at - x1) / (x2 - x1);
        if let Some(&(top, bottom)) = g.occupied[l].iter().find(|&&(top, bottom)| y >= top - 4 && y <= bottom + 4) {
            let (above, below) = (top - half_gap, bottom + half_gap);
            y = if y - above <= below - y { above } else { below };
            y += (lane - 1) * 3;
        }
        points.push((cx - 4, y));
        points.push((cx + cw + 4, y));
    }
    points.push((x2, y2));
    // Points pair up: (start, column 1 in), (column 1 out, column 2 in), …,
    // (last column out, end): a bend between each pair, a straight run across
    // each column.
    let mut path = format!("M{x1},{y1}");
    let bends = points.len() / 2;
    let mut mid = (x1, y1);
    for (i, pair) in points.chunks(2).enumerate() {
        let ((ax, ay), (bx, by)) = (pair[0], pair[1]);
        if i > 0 {
            path.push_str(&format!(" L{ax},{ay}"));
        }
        let dx = (bx - ax) / 2;
        path.push_str(&format!(" C{},{ay} {},{by} {bx},{by}", ax + dx, bx - dx));
        if i == bends / 2 {
            mid = ((ax + bx) / 2, (ay + by) / 2);
        }
    }
    (path, mid)
}

/// The SVG of `d`, unless its longest chain needs more than `MAX_SVG_COLUMNS`.
pub(super) fn write(d: &Diagram) -> Result<String, TooLarge> {
    let input = LayoutInput {
        cluster: d.nodes.iter().map(|n| n.cluster).collect(),
        clusters: d.clusters.len().max(1),
        edges: d.deps.iter().map(|e| (e.from, e.to)).collect(),
    };
    let lay = layout(&input);
    if lay.layers > MAX_SVG_COLUMNS {
        return Err(TooLarge::Columns { columns: lay.layers });
    }
    let legend = legend_items(d);
    let header_width = (d.title.chars().count() as i64 * 11)
        .max(d.summary.chars().count() as i64 * 7)
        .max(legend.iter().map(|row| row.iter().map(|i| i.width()).sum::<i64>()).max().unwrap_or(0));
    let g = geometry(d, &lay, header_width);
    let ports = ports(d, &g);

    let mut out = String::with_capacity(4096 + d.nodes.len() * 400 + d.deps.len() * 400);
    let title = xml_escape(&d.title);
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="graph-title">"#,
        w = g.width,
        h = g.height
    );
    let _ = writeln!(out, r#"<title id="graph-title">Dependency graph: {title}</title>"#);
    let _ = writeln!(
        out,
        "<desc>Written by cascade graph (docs/graph.md). Arrows point from a provider to the asset that depends on \
         it: the way service and outages flow.</desc>"
    );
    write_defs(&mut out);
    let _ = writeln!(out, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);

    // Title, counts, legend.
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{}" font-family="{SANS}" font-size="18" font-weight="bold" fill="#1a202c">{title}</text>"##,
        MARGIN + 18
    );
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{}" font-family="{SANS}" font-size="12" fill="#4a5568">{}</text>"##,
        MARGIN + 38,
        xml_escape(&d.summary)
    );
    write_legend(&mut out, &legend, g.legend_y);

    // Sector bands.
    if !d.clusters.is_empty() {
        let _ = writeln!(out, r#"<g class="sectors">"#);
        for (c, cluster) in d.clusters.iter().enumerate() {
            let b = g.band[c];
            let (fill, stroke) = BANDS[c % BANDS.len()];
            let _ = writeln!(
                out,
                r##"<g class="sector" data-id="{id}"><rect x="{}" y="{}" width="{}" height="{}" rx="8" fill="{fill}" stroke="{stroke}"/><text x="{}" y="{}" font-family="{SANS}" font-size="13" fill="#1a202c"><tspan font-weight="bold">{name}</tspan><tspan dx="10" fill="#4a5568" font-size="11">{id} · {note}</tspan></text></g>"##,
                b.x,
                b.y,
                b.w,
                b.h,
                b.x + 10,
                b.y + 17,
                id = xml_escape(&cluster.id),
                name = xml_escape(&cluster.name),
                note = xml_escape(&cluster.note),
            );
        }
        let _ = writeln!(out, "</g>");
    }

    // Network links, under everything else.
    let _ = writeln!(out, r#"<g class="links" fill="none">"#);
    for link in &d.links {
        let (a, b) = (g.node[link.a], g.node[link.b]);
        let (xa, ya, xb, yb) = (a.x + a.w / 2, a.y + a.h, b.x + b.w / 2, b.y + b.h);
        let cx = (xa + xb) / 2;
        let cy = ya.max(yb) + 26 + (xa - xb).abs() / 12;
        let marker = if link.directed { r#" marker-end="url(#arrow-link)""# } else { "" };
        let width = if link.count > 1 { tenths(12 + (link.count as i64 * 3).min(60)) } else { "1.4".to_string() };
        let _ = write!(
            out,
            r#"<g class="link" data-from="{}" data-to="{}"><title>{}</title><path d="M{xa},{ya} Q{cx},{cy} {xb},{yb}" stroke="{LINK_COLOUR}" stroke-width="{width}" stroke-dasharray="2 3"{marker}/>"#,
            xml_escape(&d.nodes[link.a].id),
            xml_escape(&d.nodes[link.b].id),
            xml_escape(&link.tooltip),
        );
        if d.level == Level::Sectors {
            let (lx, ly) = ((xa + 2 * cx + xb) / 4, (ya + 2 * cy + yb) / 4);
            let _ = write!(
                out,
                r##"<text x="{lx}" y="{}" text-anchor="middle" font-family="{SANS}" font-size="10" fill="{LINK_COLOUR}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{}</text>"##,
                ly + 4,
                if link.count == 1 { "1 link".to_string() } else { format!("{} links", link.count) }
            );
        }
        let _ = writeln!(out, "</g>");
    }
    let _ = writeln!(out, "</g>");

    // Dependencies, with their labels collected to draw above every line.
    let mut labels = String::new();
    // A hub's many edges fade so that the chains through it stay readable.
    let mut fan_out = vec![0i64; d.nodes.len()];
    for dep in &d.deps {
        fan_out[dep.from] += 1;
    }
    let _ = writeln!(out, r#"<g class="dependencies" fill="none">"#);
    for (e, dep) in d.deps.iter().enumerate() {
        let (colour, marker) = match d.level {
            Level::Assets => kind_style(dep.kind),
            // Between sectors: the provider sector's colour.
            Level::Sectors => SECTOR_EDGES[dep.from % SECTOR_EDGES.len()],
        };
        let opacity = match d.level {
            Level::Assets => (90 - 2 * fan_out[dep.from]).max(40),
            Level::Sectors => 85,
        };
        let from = g.node[dep.from];
        let width = if d.level == Level::Sectors { tenths(10 + (dep.count as i64 * 3).min(70)) } else { "1.3".into() };
        let dash = if dep.buffer.is_some() { r#" stroke-dasharray="7 4""# } else { "" };
        let (path, mid) = if dep.from == dep.to {
            // A self-dependency: a small loop over the box.
            let (x, y) = (from.x + 14, from.y);
            (format!("M{x},{y} C{x},{} {},{} {},{y}", y - 22, x + 34, y - 22, x + 34), (x + 17, y - 17))
        } else {
            let (from_layer, to_layer) = (lay.layer[dep.from], lay.layer[dep.to]);
            // Past MAX_ROUTED columns an edge is drawn as one curve: the
            // picture's size stays proportional to its edges.
            let skipped = if to_layer > from_layer + 1 && to_layer - from_layer <= MAX_ROUTED + 1 {
                from_layer + 1..to_layer
            } else {
                0..0
            };
            routed_path(&g, ports.dep_start[e], ports.dep_end[e], skipped, (e % 3) as i64)
        };
        // A group member ends at its junction; the group's own stub carries the arrow.
        let arrow = if dep.group.is_some() && dep.from != dep.to {
            String::new()
        } else {
            format!(r#" marker-end="url(#{marker})""#)
        };
        let _ = writeln!(
            out,
            r#"<g class="dependency" data-from="{}" data-to="{}"><title>{}</title><path d="{path}" stroke="{colour}" stroke-width="{width}" stroke-opacity="0.{opacity}"{dash}{arrow}/></g>"#,
            xml_escape(&d.nodes[dep.from].id),
            xml_escape(&d.nodes[dep.to].id),
            xml_escape(&dep.tooltip),
        );
        let text = match (&dep.buffer, d.level) {
            (Some(buffer), _) => Some(buffer.clone()),
            (None, Level::Sectors) => Some(dep.count.to_string()),
            (None, Level::Assets) => None,
        };
        if let Some(text) = text {
            let _ = writeln!(
                labels,
                r#"<text x="{}" y="{}" text-anchor="middle" fill="{colour}">{}</text>"#,
                mid.0,
                mid.1 + 3,
                xml_escape(&text)
            );
        }
    }
    // Redundancy groups: the junction, its stub into the dependant, "any 1 of N".
    for (gr, group) in d.groups.iter().enumerate() {
        let Some((x, y, node)) = ports.junction[gr] else { continue };
        let target = g.node[node];
        let _ = writeln!(
            out,
            r##"<g class="group" data-to="{}" data-group="{}"><title>{}: redundancy group "{}", any 1 of {} (the best supplies)</title><path d="M{},{y} L{},{y}" stroke="{NEUTRAL}" stroke-width="1.6" marker-end="url(#arrow-neutral)"/><circle cx="{x}" cy="{y}" r="4.5" fill="#ffffff" stroke="{NEUTRAL}" stroke-width="1.6"/></g>"##,
            xml_escape(&d.nodes[node].id),
            xml_escape(&group.name),
            xml_escape(&d.nodes[node].id),
            xml_escape(&group.name),
            group.members,
            x + 4,
            target.x,
        );
        // Above the junction in the upper half of the box, below it in the
        // lower half: two groups of one asset do not write over each other.
        let label_y = if y <= target.mid_y() { y - 6 } else { y + 12 };
        let _ = writeln!(
            labels,
            r#"<text x="{}" y="{label_y}" text-anchor="end" fill="{NEUTRAL}">any 1 of {}</text>"#,
            x - 5,
            group.members
        );
    }
    let _ = writeln!(out, "</g>");

    // Boxes.
    let _ = writeln!(out, r#"<g class="nodes">"#);
    for (i, node) in d.nodes.iter().enumerate() {
        let r = g.node[i];
        let class = if d.level == Level::Assets { "asset" } else { "sector" };
        let _ = write!(
            out,
            r##"<g class="node {class}" data-id="{}"><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="4" fill="#ffffff" stroke="#4a5568"/>"##,
            xml_escape(&node.id),
            xml_escape(&node.tooltip),
            r.x,
            r.y,
            r.w,
            r.h,
        );
        let text_x = match node.criticality {
            Some(c) => {
                let _ = write!(
                    out,
                    r##"<rect x="{}" y="{}" width="6" height="{}" fill="{}" stroke="#4a5568" stroke-width="0.5"/>"##,
                    r.x + 3,
                    r.y + 3,
                    r.h - 6,
                    criticality_fill(c)
                );
                r.x + 15
            }
            None => r.x + 8,
        };
        let _ = writeln!(
            out,
            r##"<text x="{text_x}" y="{}" font-family="{MONO}" font-size="11" fill="#1a202c">{}</text></g>"##,
            r.y + r.h / 2 + 4,
            xml_escape(&node.label)
        );
    }
    let _ = writeln!(out, "</g>");

    // Labels last, with a white halo, so lines never hide them.
    let _ = writeln!(
        out,
        r##"<g class="labels" font-family="{SANS}" font-size="9" stroke="#ffffff" stroke-width="3" paint-order="stroke">"##
    );
    out.push_str(&labels);
    let _ = writeln!(out, "</g>");
    let _ = writeln!(out, "</svg>");
    Ok(out)
}

fn write_defs(out: &mut String) {
    let _ = writeln!(out, "<defs>");
    let mut markers: Vec<(&str, &str)> = KINDS.iter().map(|&k| kind_style(Some(k))).collect();
    markers.push(kind_style(None));
    markers.extend(SECTOR_EDGES);
    markers.push((LINK_COLOUR, "arrow-link"));
    for (colour, id) in markers {
        let _ = writeln!(
            out,
            r#"<marker id="{id}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#
        );
    }
    let _ = writeln!(out, "</defs>");
}

/// A legend entry: a small drawing and its words.
enum Swatch {
    Line { colour: &'static str, dash: Option<&'static str> },
    Junction,
    Criticality(Criticality),
    None,
}

struct LegendItem {
    swatch: Swatch,
    text: String,
}

impl LegendItem {
    fn width(&self) -> i64 {
        let swatch = match self.swatch {
            Swatch::None => 0,
            Swatch::Criticality(_) => 14,
            _ => 32,
        };
        swatch + self.text.chars().count() as i64 * SANS_HALF_W / 2 + 16
    }
}

fn legend_items(d: &Diagram) -> Vec<Vec<LegendItem>> {
    let line = |colour, dash, text: &str| LegendItem { swatch: Swatch::Line { colour, dash }, text: text.into() };
    let mut first = Vec::new();
    match d.level {
        Level::Assets => {
            for kind in KINDS {
                if d.deps.iter().any(|e| e.kind == Some(kind)) {
                    first.push(line(kind_style(Some(kind)).0, None, kind_word(kind)));
                }
            }
            first.push(line(NEUTRAL, Some("7 4"), "with a buffer (its backup time)"));
            first.push(LegendItem { swatch: Swatch::Junction, text: "redundancy group: any 1 of N supplies".into() });
        }
        Level::Sectors => {
            first.push(line(NEUTRAL, None, "dependencies between sectors (how many; thicker: more)"));
        }
    }
    first.push(line(LINK_COLOUR, Some("2 3"), "network link (a compromise can spread along it)"));
    let mut second = Vec::new();
    if d.level == Level::Assets {
        second.push(LegendItem { swatch: Swatch::None, text: "criticality:".into() });
        for c in [Criticality::Critical, Criticality::High, Criticality::Medium, Criticality::Low] {
            second.push(LegendItem { swatch: Swatch::Criticality(c), text: super::criticality_word(c).into() });
        }
    }
    second.push(LegendItem {
        swatch: Swatch::None,
        text: "Arrows point from a provider to the asset that depends on it: service and outages flow left to \
               right; edges closing a cycle loop back. Hover for details."
            .into(),
    });
    vec![first, second]
}

fn write_legend(out: &mut String, rows: &[Vec<LegendItem>], top: i64) {
    let _ = writeln!(out, r##"<g class="legend" font-family="{SANS}" font-size="11" fill="#2d3748">"##);
    for (r, row) in rows.iter().enumerate() {
        let y = top + r as i64 * 22 + 10;
        let mut x = MARGIN;
        for item in row {
            let text_x = match &item.swatch {
                Swatch::Line { colour, dash } => {
                    let dash = dash.map(|d| format!(r#" stroke-dasharray="{d}""#)).unwrap_or_default();
                    let _ = write!(
                        out,
                        r#"<path d="M{x},{y} L{},{y}" stroke="{colour}" stroke-width="2"{dash} fill="none"/>"#,
                        x + 24
                    );
                    x + 32
                }
                Swatch::Junction => {
                    let _ = write!(
                        out,
                        r##"<path d="M{x},{} L{},{y} M{x},{} L{},{y} M{},{y} L{},{y}" stroke="{NEUTRAL}" stroke-width="1.4" fill="none"/><circle cx="{}" cy="{y}" r="4" fill="#ffffff" stroke="{NEUTRAL}" stroke-width="1.4"/>"##,
                        y - 6,
                        x + 14,
                        y + 6,
                        x + 14,
                        x + 18,
                        x + 26,
                        x + 14
                    );
                    x + 32
                }
                Swatch::Criticality(c) => {
                    let _ = write!(
                        out,
                        r##"<rect x="{x}" y="{}" width="8" height="12" fill="{}" stroke="#4a5568" stroke-width="0.5"/>"##,
                        y - 6,
                        criticality_fill(*c)
                    );
                    x + 14
                }
                Swatch::None => x,
            };
            let _ = write!(out, r#"<text x="{text_x}" y="{}">{}</text>"#, y + 4, xml_escape(&item.text));
            x += item.width();
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "</g>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_quotes_and_control_characters() {
        assert_eq!(
            xml_escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;"
        );
        assert_eq!(xml_escape("bell\u{7}tab\t"), "bell tab\t");
    }

    #[test]
    fn edges_bend_forward_or_loop_back() {
        let m = metrics(Level::Assets);
        let (path, mid) = edge_path(&m, (0, 0), (200, 40));
        assert_eq!(path, "M0,0 C100,0 100,40 200,40");
        assert_eq!(mid, (100, 20));
        let (path, _) = edge_path(&m, (300, 10), (100, 10));
        assert!(path.starts_with("M300,10 C380,"), "{path}");
    }
}
