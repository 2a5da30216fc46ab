//! The layered layout of `cascade graph`'s SVG: where each node sits on a grid
//! of columns (layers, the way service flows) and rows (inside its cluster's
//! horizontal band). Pure integer arithmetic on indices, so the same graph
//! always gets the same grid, on every machine.
//!
//! The algorithm (docs/graph.md, *Layout*):
//! 1. **Cycles.** Two heuristics each pick edges whose removal leaves the
//!    graph acyclic — a depth-first search from the nodes nothing flows into,
//!    and the greedy order of Eades, Lin and Smyth — and the choice leaving
//!    the fewer columns wins. Those edges are drawn but ignored when layering
//!    (the scenario format allows cycles, and the grid needs an order).
//! 2. **Layers.** Longest path: a node's layer is one more than the largest
//!    layer of the nodes flowing into it, so every remaining edge points to the
//!    right. Then every node that nothing flows into is moved right, next to
//!    the first node it feeds, so its edges stay short.
//! 3. **Rows.** Each cluster (a sector) is a band of rows as tall as its most
//!    crowded layer. Inside each (cluster, layer) cell, nodes are ordered by the
//!    barycentre of their neighbours' rows, sweeping left to right then right
//!    to left a fixed number of times, and nudged towards that barycentre when
//!    the band has room. The sweep whose edges span the fewest rows in total is
//!    kept.
//!
//! It must never: depend on hash-map iteration order or floating point, recurse
//! (a 2,000-node chain would overflow the stack), or loop without a bound (a
//! cycle must not hang it).

use std::cmp::Ordering;

/// Sweeps of barycentre ordering: alternately rightwards and leftwards. More
/// rarely helps on scenario-sized graphs; each costs O(edges + nodes log nodes).
const SWEEPS: usize = 12;

/// What the layout needs to know about a graph.
#[derive(Debug, Clone)]
pub struct LayoutInput {
    /// Per node: its cluster (band), `0..clusters`.
    pub cluster: Vec<usize>,
    pub clusters: usize,
    /// Edges `(from, to)` in the direction of flow (provider → dependant).
    /// Self-loops and repeats are allowed.
    pub edges: Vec<(usize, usize)>,
}

/// Where every node goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Per node: its column, from 0 (left).
    pub layer: Vec<usize>,
    /// Per node: its row inside its cluster's band, from 0 (top).
    pub row: Vec<usize>,
    /// Per cluster: rows in its band (0 for a cluster without nodes).
    pub band_rows: Vec<usize>,
    /// Number of columns (0 for an empty graph).
    pub layers: usize,
    /// Per edge: it closes a cycle, so it was ignored for layering (it may point
    /// to the left or stay in its column).
    pub feedback: Vec<bool>,
}

impl Layout {
    /// The row of `node` counted from the top of the first band, one header row
    /// per band as the drawing has: what "vertical distance" means when ordering.
    pub fn global_row(&self, cluster: &[usize], node: usize) -> usize {
        band_offsets(&self.band_rows)[cluster[node]] + self.row[node]
    }
}

/// The first global row of each band (after one header row per band).
fn band_offsets(band_rows: &[usize]) -> Vec<usize> {
    let mut offsets = Vec::with_capacity(band_rows.len());
    let mut next = 0;
    for &rows in band_rows {
        next += 1;
        offsets.push(next);
        next += rows;
    }
    offsets
}

pub fn layout(input: &LayoutInput) -> Layout {
    let n = input.cluster.len();
    let feedback = feedback_edges(n, &input.edges);
    let layer = layers(n, &input.edges, &feedback);
    let layers = layer.iter().map(|l| l + 1).max().unwrap_or(0);

    // Cells: the nodes of each (cluster, layer), initially in index order.
    let mut cells: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); layers]; input.clusters];
    for node in 0..n {
        cells[input.cluster[node]][layer[node]].push(node);
    }
    let band_rows: Vec<usize> = cells.iter().map(|c| c.iter().map(Vec::len).max().unwrap_or(0)).collect();
    let offsets = band_offsets(&band_rows);

    // Neighbours of each node over every edge but self-loops, whichever way it
    // points: both ends want to be close.
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(from, to) in &input.edges {
        if from != to {
            neighbours[from].push(to);
            neighbours[to].push(from);
        }
    }

    let mut row = vec![0usize; n];
    for cluster in &cells {
        for cell in cluster {
            for (i, &node) in cell.iter().enumerate() {
                row[node] = i;
            }
        }
    }
    let global = |row: &[usize], node: usize| offsets[input.cluster[node]] + row[node];
    let span =
        |row: &[usize]| -> usize { input.edges.iter().map(|&(a, b)| global(row, a).abs_diff(global(row, b))).sum() };
    let mut best = (span(&row), row.clone());
    for sweep in 0..SWEEPS {
        let rightwards = sweep % 2 == 0;
        let order: Vec<usize> = if rightwards { (0..layers).collect() } else { (0..layers).rev().collect() };
        for l in order {
            for (c, cluster) in cells.iter_mut().enumerate() {
                let cell = &mut cluster[l];
                if cell.is_empty() {
                    continue;
                }
                // Barycentre of the neighbours on the side the sweep comes from;
                // a node without any keeps its place.
                let mut sorted: Vec<(usize, u64, u64)> = cell
                    .iter()
                    .map(|&node| {
                        let (mut sum, mut count) = (0u64, 0u64);
                        for &m in &neighbours[node] {
                            let before = if rightwards { layer[m] < l } else { layer[m] > l };
                            if before {
                                sum += global(&row, m) as u64;
                                count += 1;
                            }
                        }
                        if count == 0 { (node, global(&row, node) as u64, 1) } else { (node, sum, count) }
                    })
                    .collect();
                sorted.sort_by(|a, b| compare_fraction((a.1, a.2), (b.1, b.2)).then(row[a.0].cmp(&row[b.0])));
                place(&sorted, offsets[c], band_rows[c], &mut row);
                cell.clear();
                cell.extend(sorted.iter().map(|&(node, _, _)| node));
            }
        }
        let total = span(&row);
        if total < best.0 {
            best = (total, row.clone());
        }
    }
    Layout { layer, row: best.1, band_rows, layers, feedback }
}

/// `a.0 / a.1` against `b.0 / b.1`, exactly (denominators are positive).
fn compare_fraction(a: (u64, u64), b: (u64, u64)) -> Ordering {
    (u128::from(a.0) * u128::from(b.1)).cmp(&(u128::from(b.0) * u128::from(a.1)))
}

/// Gives the nodes of one cell (in their new order, with their barycentres)
/// rows in a band of `rows` rows starting at global row `offset`: each as close
/// to its barycentre as the order and the band allow.
fn place(sorted: &[(usize, u64, u64)], offset: usize, rows: usize, row: &mut [usize]) {
    let k = sorted.len();
    let mut wanted: Vec<usize> = sorted
        .iter()
        .map(|&(_, sum, count)| {
            let rounded = ((2 * sum + count) / (2 * count)) as usize;
            rounded.saturating_sub(offset).min(rows - 1)
        })
        .collect();
    // Top down: below the previous one. Bottom up: room for those after.
    for i in 0..k {
        if i > 0 && wanted[i] <= wanted[i - 1] {
            wanted[i] = wanted[i - 1] + 1;
        }
    }
    for i in (0..k).rev() {
        let last_allowed = rows - (k - i);
        if wanted[i] > last_allowed {
            wanted[i] = last_allowed;
        }
        if i + 1 < k && wanted[i] >= wanted[i + 1] {
            wanted[i] = wanted[i + 1] - 1;
        }
    }
    for (&(node, _, _), &r) in sorted.iter().zip(&wanted) {
        row[node] = r;
    }
}

/// Edges to set aside so that the rest is acyclic, chosen by two heuristics:
/// the one leaving the fewer columns wins (then the one setting aside fewer
/// edges, then the depth-first one). On infrastructure graphs, whose cycles
/// are few and local, the depth-first search from the sources usually keeps
/// the natural order (the grid before its control room); on tangled graphs
/// the greedy one leaves far shorter chains.
pub fn feedback_edges(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let depth_first = depth_first_feedback(n, edges);
    let greedy = greedy_feedback(n, edges);
    let score = |feedback: &[bool]| {
        let columns = layers(n, edges, feedback).into_iter().max().unwrap_or(0);
        (columns, feedback.iter().filter(|&&f| f).count())
    };
    if score(&greedy) < score(&depth_first) { greedy } else { depth_first }
}

/// Edges that close a cycle in a depth-first search started from the nodes
/// without incoming edges (in index order), then from every node still
/// unvisited. Iterative: a deep chain must not overflow the stack.
pub fn depth_first_feedback(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut has_incoming = vec![false; n];
    for (e, &(from, to)) in edges.iter().enumerate() {
        if from != to {
            out[from].push(e);
            has_incoming[to] = true;
        }
    }
    const NEW: u8 = 0;
    const ON_STACK: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; n];
    let mut feedback = vec![false; edges.len()];
    let roots = (0..n).filter(|&v| !has_incoming[v]).chain(0..n);
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in roots {
        if state[root] != NEW {
            continue;
        }
        state[root] = ON_STACK;
        stack.push((root, 0));
        while let Some(top) = stack.last_mut() {
            let (v, i) = *top;
            if i < out[v].len() {
                top.1 += 1;
                let e = out[v][i];
                let w = edges[e].1;
                match state[w] {
                    ON_STACK => feedback[e] = true,
                    NEW => {
                        state[w] = ON_STACK;
                        stack.push((w, 0));
                    }
                    _ => {}
                }
            } else {
                state[v] = DONE;
                stack.pop();
            }
        }
    }
    feedback
}

/// Edges pointing backwards in the order of Eades, Lin and Smyth's greedy
/// heuristic for the minimum feedback arc set (1993). Repeatedly: a node
/// nothing alive flows out of goes to the end of the order, one nothing flows
/// into to the front, and otherwise the node with the most outgoing minus
/// incoming edges goes to the front; ties go to the lowest index. In
/// O((nodes + edges) log nodes).
pub fn greedy_feedback(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    use std::collections::BTreeSet;
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut into: Vec<Vec<usize>> = vec![Vec::new(); n];
    let (mut outdeg, mut indeg) = (vec![0i64; n], vec![0i64; n]);
    for &(from, to) in edges {
        if from != to {
            out[from].push(to);
            into[to].push(from);
            outdeg[from] += 1;
            indeg[to] += 1;
        }
    }
    let mut alive = vec![true; n];
    // (−(out − in), node): the first is the best to put in front.
    let mut by_delta: BTreeSet<(i64, usize)> = (0..n).map(|v| (indeg[v] - outdeg[v], v)).collect();
    let mut sinks: BTreeSet<usize> = (0..n).filter(|&v| outdeg[v] == 0).collect();
    let mut sources: BTreeSet<usize> = (0..n).filter(|&v| outdeg[v] > 0 && indeg[v] == 0).collect();
    let (mut front, mut back) = (Vec::with_capacity(n), Vec::new());
    loop {
        let v = if let Some(v) = sinks.pop_first() {
            back.push(v);
            v
        } else if let Some(v) = sources.pop_first() {
            front.push(v);
            v
        } else if let Some((_, v)) = by_delta.first().copied() {
            front.push(v);
            v
        } else {
            break;
        };
        alive[v] = false;
        by_delta.remove(&(indeg[v] - outdeg[v], v));
        sources.remove(&v);
        for &w in &out[v] {
            if alive[w] {
                by_delta.remove(&(indeg[w] - outdeg[w], w));
                indeg[w] -= 1;
                by_delta.insert((indeg[w] - outdeg[w], w));
                if indeg[w] == 0 && outdeg[w] > 0 {
                    sources.insert(w);
                }
            }
        }
        for &u in &into[v] {
            if alive[u] {
                by_delta.remove(&(indeg[u] - outdeg[u], u));
                outdeg[u] -= 1;
                by_delta.insert((indeg[u] - outdeg[u], u));
                if outdeg[u] == 0 {
                    sources.remove(&u);
                    sinks.insert(u);
                }
            }
        }
    }
    let mut position = vec![0usize; n];
    for (i, &v) in front.iter().chain(back.iter().rev()).enumerate() {
        position[v] = i;
    }
    edges.iter().map(|&(a, b)| a != b && position[a] > position[b]).collect()
}

/// Longest-path layers over the edges that are neither self-loops nor
/// feedback, then sources moved right next to their first dependant.
pub fn layers(n: usize, edges: &[(usize, usize)], feedback: &[bool]) -> Vec<usize> {
    let forward: Vec<(usize, usize)> =
        edges.iter().zip(feedback).filter(|&(&(a, b), &fb)| a != b && !fb).map(|(&e, _)| e).collect();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    for &(a, b) in &forward {
        out[a].push(b);
        indegree[b] += 1;
    }
    let sources: Vec<bool> = indegree.iter().map(|&d| d == 0).collect();
    // Kahn's algorithm: a node's layer is final once everything flowing into it
    // has been seen. Without feedback edges the graph is acyclic, so every node
    // is reached.
    let mut layer = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    let mut topological = Vec::with_capacity(n);
    while let Some(v) = ready.pop() {
        topological.push(v);
        for &w in &out[v] {
            layer[w] = layer[w].max(layer[v] + 1);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                ready.push(w);
            }
        }
    }
    debug_assert_eq!(topological.len(), n, "feedback edges leave an acyclic graph");
    // A source only constrains its dependants, so it may sit anywhere left of
    // the first of them: right next to it keeps its edges short.
    for v in 0..n {
        if sources[v]
            && let Some(first) = out[v].iter().map(|&w| layer[w]).min()
        {
            layer[v] = first - 1;
        }
    }
    layer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(n: usize, clusters: &[usize], edges: &[(usize, usize)]) -> LayoutInput {
        assert_eq!(clusters.len(), n);
        LayoutInput {
            cluster: clusters.to_vec(),
            clusters: clusters.iter().map(|c| c + 1).max().unwrap_or(0),
            edges: edges.to_vec(),
        }
    }

    /// Every edge of an acyclic graph points strictly to the right.
    #[test]
    fn layers_respect_the_direction_of_an_acyclic_graph() {
        // A diamond with a long side and a source feeding the far end.
        let edges = [(0, 1), (0, 2), (1, 3), (2, 4), (4, 3), (5, 3), (3, 6)];
        let g = input(7, &[0, 0, 1, 1, 0, 1, 0], &edges);
        let l = layout(&g);
        assert!(l.feedback.iter().all(|&f| !f));
        for &(a, b) in &edges {
            assert!(l.layer[a] < l.layer[b], "edge {a}->{b}: layers {} and {}", l.layer[a], l.layer[b]);
        }
        // Longest path: 0 -> 2 -> 4 -> 3 -> 6.
        assert_eq!(l.layer[3], 3);
        assert_eq!(l.layer[6], 4);
        // Node 5 feeds only node 3: moved right next to it.
        assert_eq!(l.layer[5], 2);
        assert_eq!(l.layers, 5);
    }

    #[test]
    fn a_random_dag_always_points_right_and_rows_are_distinct_per_cell() {
        // A deterministic pseudo-random DAG: edges only from lower to higher index.
        let n = 60;
        let mut x: u64 = 12345;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut edges = Vec::new();
        for b in 1..n {
            for _ in 0..(next() % 4) {
                let a = (next() % b as u64) as usize;
                edges.push((a, b));
            }
        }
        let clusters: Vec<usize> = (0..n).map(|i| i % 4).collect();
        let g = input(n, &clusters, &edges);
        let l = layout(&g);
        for &(a, b) in &edges {
            assert!(l.layer[a] < l.layer[b]);
        }
        let mut seen = std::collections::BTreeSet::new();
        for (v, &cluster) in clusters.iter().enumerate() {
            assert!(l.row[v] < l.band_rows[cluster]);
            assert!(seen.insert((cluster, l.layer[v], l.row[v])), "two nodes share a grid cell");
        }
    }

    #[test]
    fn cycles_do_not_hang_and_every_other_edge_points_right() {
        // Two cycles sharing node 2, a self-loop, a duplicate edge, and a
        // cycle with nothing flowing into it (7 <-> 8).
        let edges = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 2), (3, 3), (3, 4), (3, 4), (7, 8), (8, 7), (8, 4)];
        let g = input(9, &[0; 9], &edges);
        let l = layout(&g);
        assert!(l.feedback.iter().any(|&f| f));
        for (e, &(a, b)) in edges.iter().enumerate() {
            if a != b && !l.feedback[e] {
                assert!(l.layer[a] < l.layer[b], "edge {a}->{b}");
            }
        }
        // Each cycle lost at least one edge.
        assert!(l.feedback[2] || l.feedback[0] || l.feedback[1]);
        assert!(l.feedback[3] || l.feedback[4]);
        assert!(l.feedback[8] || l.feedback[9]);
        assert!(!l.feedback[5], "a self-loop is not a feedback edge");
    }

    #[test]
    fn a_long_chain_and_a_big_cycle_do_not_overflow_the_stack() {
        let n = 100_000;
        let mut edges: Vec<(usize, usize)> = (1..n).map(|i| (i - 1, i)).collect();
        edges.push((n - 1, 0));
        for feedback in [depth_first_feedback(n, &edges), greedy_feedback(n, &edges), feedback_edges(n, &edges)] {
            assert_eq!(feedback.iter().filter(|&&f| f).count(), 1);
            let layer = layers(n, &edges, &feedback);
            assert_eq!(layer.iter().max(), Some(&(n - 1)));
        }
    }

    /// Whichever heuristic sets them aside, what is left is acyclic: Kahn's
    /// algorithm in `layers` would otherwise leave nodes out (and its debug
    /// assertion fail).
    #[test]
    fn both_heuristics_leave_an_acyclic_graph_on_a_tangle() {
        let n = 300;
        let mut x: u64 = 99;
        let mut edges = Vec::new();
        for _ in 0..1200 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let a = (x >> 33) as usize % n;
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let b = (x >> 33) as usize % n;
            edges.push((a, b));
        }
        for feedback in [depth_first_feedback(n, &edges), greedy_feedback(n, &edges)] {
            let layer = layers(n, &edges, &feedback);
            for (e, &(a, b)) in edges.iter().enumerate() {
                if a != b && !feedback[e] {
                    assert!(layer[a] < layer[b]);
                }
            }
        }
        // The greedy order leaves far shorter chains on a tangle, and wins.
        let columns = |f: &[bool]| layers(n, &edges, f).into_iter().max().unwrap();
        assert!(columns(&greedy_feedback(n, &edges)) < columns(&depth_first_feedback(n, &edges)));
        assert_eq!(feedback_edges(n, &edges), greedy_feedback(n, &edges));
    }

    #[test]
    fn the_same_graph_gets_the_same_layout() {
        let edges = [(0, 3), (1, 3), (2, 4), (3, 5), (4, 5), (1, 4), (5, 0)];
        let g = input(6, &[0, 1, 0, 1, 0, 1], &edges);
        assert_eq!(layout(&g), layout(&g));
    }

    #[test]
    fn barycentres_untangle_two_parallel_chains() {
        // Chains 0->2->4 and 1->3->5, listed so that index order crosses them.
        let edges = [(0, 3), (1, 2), (3, 4), (2, 5)];
        let g = input(6, &[0; 6], &edges);
        let l = layout(&g);
        let row = |v: usize| l.global_row(&g.cluster, v);
        for &(a, b) in &edges {
            assert_eq!(row(a), row(b), "edge {a}->{b} should be straight");
        }
    }

    #[test]
    fn an_empty_graph_and_empty_clusters() {
        let l = layout(&LayoutInput { cluster: vec![], clusters: 2, edges: vec![] });
        assert_eq!(l.layers, 0);
        assert_eq!(l.band_rows, [0, 0]);
        let l = layout(&input(1, &[1], &[]));
        assert_eq!(l.band_rows, [0, 1]);
    }
}
