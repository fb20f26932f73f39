//! The road underlay of the map: the graph the matrix was computed from, drawn
//! faintly under the cells so that a reader recognises the city.
//!
//! The graph directory's `nodes.parquet` (`node`, `lat`, `lon`) and
//! `edges.parquet` (`from`, `to`, `highway`) are read once; the directed edges
//! become undirected segments, and segments of one class are chained into
//! polylines through the nodes where nothing else meets. What is drawn depends
//! on the zoom: the classes are added from motorways down while their length on
//! screen stays within [`ROAD_BUDGET_PX`], each line is simplified to
//! [`TOLERANCE_PX`] and coordinates are rounded to a tenth of a pixel, so that
//! whole Malta and three streets of Valletta both give a road layer of a few
//! hundred kilobytes at most.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hexmatrix_contract::MatrixManifest;

use crate::error::Result;
use crate::scan::{check_row_groups, f64s, read, strings, u64s};

/// File names and columns of the graph directory (`stages/graph/src/parquet.rs`).
const NODES_FILE: &str = "nodes.parquet";
const EDGES_FILE: &str = "edges.parquet";

/// Total on-screen length of the drawn roads, in pixels of one panel: the classes
/// are added from the most important down while they fit (a less important class
/// is never drawn without the more important ones). About 32 times the panel's
/// width: down to tertiary roads on Valletta (16,000 px; its residential
/// streets would add 33,000 and turn the cells into a grey mesh) and on whole
/// Malta (10,400 px).
pub const ROAD_BUDGET_PX: f64 = 18_000.0;
/// Largest distance, in pixels, between a drawn line and the road it stands for.
pub const TOLERANCE_PX: f64 = 0.4;

/// Road classes from the most important, with their stroke width in pixels.
const CLASSES: [(&str, f64); 6] = [
    ("motorways and trunk roads", 1.6),
    ("primary roads", 1.3),
    ("secondary roads", 1.1),
    ("tertiary roads", 0.9),
    ("minor roads (unclassified, residential)", 0.6),
    ("service roads and the rest", 0.4),
];

/// Rank of an OSM `highway` value in [`CLASSES`].
fn rank(highway: &str) -> usize {
    match highway.trim_end_matches("_link") {
        "motorway" | "trunk" => 0,
        "primary" => 1,
        "secondary" => 2,
        "tertiary" => 3,
        "unclassified" | "residential" | "road" => 4,
        _ => 5,
    }
}

/// One chain of road segments of one class, as (longitude, latitude) points.
#[derive(Debug, Clone, PartialEq)]
pub struct RoadLine {
    /// Index in the class table, 0 for motorways.
    pub class: usize,
    /// The points, at least two.
    pub points: Vec<(f64, f64)>,
}

/// The road network of a graph directory, as polylines by class.
#[derive(Debug, Clone, Default)]
pub struct Roads {
    /// Every polyline.
    pub lines: Vec<RoadLine>,
}

/// Where the underlay came from, or why there is none: said under the map in
/// `report.md` and in the log.
#[derive(Debug, Clone, PartialEq)]
pub enum UnderlayStatus {
    /// Roads were read from this graph directory.
    Drawn {
        /// The graph directory.
        dir: PathBuf,
        /// How many classes the map's scale allowed, from motorways down.
        classes: usize,
    },
    /// No underlay: why.
    Missing(String),
}

impl UnderlayStatus {
    /// One sentence for `report.md`.
    #[must_use]
    pub fn sentence(&self) -> String {
        match self {
            Self::Drawn { dir, classes } => format!(
                "Grey lines: the roads of the graph `{}`, {}.",
                dir.display(),
                match *classes {
                    0 | 1 => format!("{} only", CLASSES[0].0),
                    n => format!(
                        "from motorways down to {}",
                        CLASSES[n.min(CLASSES.len()) - 1].0
                    ),
                }
            ),
            Self::Missing(why) => format!("No road underlay: {why}."),
        }
    }
}

/// The roads of the graph the matrix in `matrix_dir` was computed from, and what
/// to say about them. The graph directory is the one the matrix manifest names
/// (relative to the working directory when it is relative), else `graph-PROFILE`
/// beside the matrix, where `hexmatrix run` puts it. A missing or unreadable
/// graph gives no roads and a status saying why: the map is drawn without them
/// rather than the report failing.
#[must_use]
pub fn load_for(matrix: &MatrixManifest, matrix_dir: &Path) -> (Option<Roads>, UnderlayStatus) {
    let mut tried = Vec::new();
    if !matrix.graph.dir.is_empty() {
        tried.push(PathBuf::from(&matrix.graph.dir));
    }
    if let Some(parent) = matrix_dir.parent() {
        let profile = matrix.graph.profile.as_deref().unwrap_or("car");
        tried.push(parent.join(format!("graph-{profile}")));
    }
    let found = tried
        .iter()
        .find(|d| d.join(NODES_FILE).is_file() && d.join(EDGES_FILE).is_file());
    let Some(dir) = found else {
        let names: Vec<String> = tried.iter().map(|d| format!("`{}`", d.display())).collect();
        return (
            None,
            UnderlayStatus::Missing(format!(
                "no graph ({NODES_FILE} and {EDGES_FILE}) in {}",
                names.join(" nor in ")
            )),
        );
    };
    match Roads::load(dir) {
        Ok(roads) => (
            Some(roads),
            UnderlayStatus::Drawn {
                dir: dir.clone(),
                classes: 0,
            },
        ),
        Err(e) => (None, UnderlayStatus::Missing(e.to_string())),
    }
}

impl Roads {
    /// Reads the roads of the graph directory `dir`.
    ///
    /// # Errors
    /// A file cannot be read or lacks one of the columns.
    pub fn load(dir: &Path) -> Result<Self> {
        const WHAT: &str = "road underlay";
        // Polars would read past the end of a file whose footer lies (see scan.rs).
        check_row_groups(&dir.join(NODES_FILE))?;
        check_row_groups(&dir.join(EDGES_FILE))?;
        let nodes = read(&dir.join(NODES_FILE), &["node", "lat", "lon"], WHAT)?;
        let ids = u64s(&nodes, "node", WHAT)?;
        let (lat, lon) = (f64s(&nodes, "lat", WHAT)?, f64s(&nodes, "lon", WHAT)?);
        let mut at: Vec<Option<(f64, f64)>> = vec![None; ids.len()];
        for ((id, lat), lon) in ids.into_iter().zip(lat).zip(lon) {
            if let (Some(id), Some(lat), Some(lon)) = (id, lat, lon) {
                // Node ids are row numbers; anything else is skipped, not trusted.
                if let Some(slot) = usize::try_from(id).ok().and_then(|i| at.get_mut(i)) {
                    *slot = Some((lon, lat));
                }
            }
        }
        let edges = read(&dir.join(EDGES_FILE), &["from", "to", "highway"], WHAT)?;
        let from = u64s(&edges, "from", WHAT)?;
        let to = u64s(&edges, "to", WHAT)?;
        let highway = strings(&edges, "highway", WHAT)?;
        // One undirected segment per node pair, with its most important class.
        // Ordered by node pair, so that the chains (and the SVG bytes) do not depend on
        // hashing: the same graph always draws the same roads in the same order.
        let mut segments: BTreeMap<(u32, u32), usize> = BTreeMap::new();
        for ((a, b), highway) in from.into_iter().zip(to).zip(highway) {
            let (Some(a), Some(b)) = (a, b) else {
                continue;
            };
            let (Ok(a), Ok(b)) = (u32::try_from(a), u32::try_from(b)) else {
                continue;
            };
            let known = |n: u32| at.get(n as usize).is_some_and(Option::is_some);
            if a == b || !known(a) || !known(b) {
                continue;
            }
            let class = rank(highway.as_deref().unwrap_or(""));
            let slot = segments.entry((a.min(b), a.max(b))).or_insert(class);
            *slot = (*slot).min(class);
        }
        let mut lines = Vec::new();
        for class in 0..CLASSES.len() {
            let pairs: Vec<(u32, u32)> = segments
                .iter()
                .filter(|&(_, &c)| c == class)
                .map(|(&k, _)| k)
                .collect();
            for chain in chains(&pairs) {
                let points = chain
                    .iter()
                    .filter_map(|&n| at.get(n as usize).copied().flatten())
                    .collect();
                lines.push(RoadLine { class, points });
            }
        }
        Ok(Self { lines })
    }

    /// How many classes, from motorways down, fit in [`ROAD_BUDGET_PX`] on a
    /// panel of `width` × `height` pixels whose projection is `project` (lon, lat
    /// → x, y). Only the segments with an end on the panel count: a graph built
    /// from a whole region (Heidelberg's file spans 100 km for a 7 km map) must
    /// not spend the budget on roads that are clipped away.
    #[must_use]
    pub fn classes_drawn(
        &self,
        width: f64,
        height: f64,
        project: impl Fn(f64, f64) -> (f64, f64),
    ) -> usize {
        let on_panel =
            |p: (f64, f64)| (0.0..=width).contains(&p.0) && (0.0..=height).contains(&p.1);
        let mut length = [0.0; CLASSES.len()];
        for l in &self.lines {
            let pts: Vec<(f64, f64)> = l.points.iter().map(|&(x, y)| project(x, y)).collect();
            length[l.class] += pts
                .windows(2)
                .filter(|w| on_panel(w[0]) || on_panel(w[1]))
                .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
                .sum::<f64>();
        }
        let mut total = 0.0;
        let mut n = 0;
        for (i, len) in length.iter().enumerate() {
            total += len;
            if total > ROAD_BUDGET_PX && i > 0 {
                break;
            }
            n = i + 1;
        }
        n
    }

    /// The road layer as an SVG group with id `id`, one `<path>` per class drawn
    /// (the first `classes`), in the pixel coordinates that `project` gives (lon,
    /// lat → x, y), clipped by the clip path `clip` (lines wholly outside
    /// `0..width` × `0..height` are left out).
    #[must_use]
    pub fn svg(
        &self,
        id: &str,
        clip: &str,
        classes: usize,
        width: f64,
        height: f64,
        project: impl Fn(f64, f64) -> (f64, f64),
    ) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            r##"<g id="{id}" clip-path="url(#{clip})" fill="none" stroke="#505050" stroke-linecap="round" stroke-linejoin="round">"##
        );
        // Least important first, so that main roads are drawn on top.
        for class in (0..classes.min(CLASSES.len())).rev() {
            let mut d = String::new();
            for l in self.lines.iter().filter(|l| l.class == class) {
                let pts: Vec<(f64, f64)> = l.points.iter().map(|&(x, y)| project(x, y)).collect();
                let outside = pts.iter().all(|p| p.0 < 0.0)
                    || pts.iter().all(|p| p.0 > width)
                    || pts.iter().all(|p| p.1 < 0.0)
                    || pts.iter().all(|p| p.1 > height);
                if outside {
                    continue;
                }
                path_data(&mut d, &simplify(&pts, TOLERANCE_PX));
            }
            if !d.is_empty() {
                let _ = writeln!(
                    out,
                    r#"<path class="road" stroke-width="{}" d="{d}"/>"#,
                    CLASSES[class].1
                );
            }
        }
        out.push_str("</g>\n");
        out
    }
}

/// Appends `pts` as one subpath: an absolute move, then relative lines in tenths
/// of a pixel (relative coordinates are short; the error does not add up because
/// each step is rounded from the rounded previous point).
fn path_data(d: &mut String, pts: &[(f64, f64)]) {
    let tenth = |v: f64| (v * 10.0).round() as i64;
    let Some(&(x0, y0)) = pts.first() else { return };
    let (mut px, mut py) = (tenth(x0), tenth(y0));
    let _ = write!(d, "M{} {}", decimal(px), decimal(py));
    let mut moved = false;
    for &(x, y) in &pts[1..] {
        let (qx, qy) = (tenth(x), tenth(y));
        if (qx, qy) == (px, py) {
            continue;
        }
        let _ = write!(d, "l{} {}", decimal(qx - px), decimal(qy - py));
        (px, py, moved) = (qx, qy, true);
    }
    if !moved {
        // A road shorter than a tenth of a pixel: a dot of the line's width.
        d.push_str("h0");
    }
}

/// Tenths as a short decimal: 12 -> "1.2", -3 -> "-.3", 20 -> "2".
fn decimal(tenths: i64) -> String {
    let (sign, a) = if tenths < 0 {
        ("-", -tenths)
    } else {
        ("", tenths)
    };
    match (a / 10, a % 10) {
        (i, 0) => format!("{sign}{i}"),
        (0, f) => format!("{sign}.{f}"),
        (i, f) => format!("{sign}{i}.{f}"),
    }
}

/// Douglas–Peucker: the points of `pts` that keep the line within `tolerance`.
fn simplify(pts: &[(f64, f64)], tolerance: f64) -> Vec<(f64, f64)> {
    if pts.len() < 3 {
        return pts.to_vec();
    }
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0, pts.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        let (far, dist) = (a + 1..b)
            .map(|i| (i, distance_to_segment(pts[i], pts[a], pts[b])))
            .fold((a, 0.0), |best, x| if x.1 > best.1 { x } else { best });
        if dist > tolerance {
            keep[far] = true;
            stack.push((a, far));
            stack.push((far, b));
        }
    }
    pts.iter()
        .zip(keep)
        .filter_map(|(&p, k)| k.then_some(p))
        .collect()
}

fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * dx).hypot(p.1 - a.1 - t * dy)
}

/// Chains undirected segments into node sequences: each chain runs between nodes
/// where the degree is not 2 (ends, junctions); loops with no such node become one
/// closed chain each. Every segment is in exactly one chain.
fn chains(segments: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut adj: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
    for (i, &(a, b)) in segments.iter().enumerate() {
        adj.entry(a).or_default().push((b, i));
        adj.entry(b).or_default().push((a, i));
    }
    let mut used = vec![false; segments.len()];
    let mut out = Vec::new();
    let walk = |start: u32, used: &mut Vec<bool>, out: &mut Vec<Vec<u32>>| {
        let Some(first) = adj.get(&start) else { return };
        for &(next, seg) in first {
            if used[seg] {
                continue;
            }
            used[seg] = true;
            let mut chain = vec![start, next];
            let mut here = next;
            while let Some(links) = adj.get(&here).filter(|l| l.len() == 2) {
                let Some(&(n, s)) = links.iter().find(|&&(_, s)| !used[s]) else {
                    break;
                };
                used[s] = true;
                chain.push(n);
                here = n;
            }
            out.push(chain);
        }
    };
    // Sorted starts: the same graph always gives the same SVG bytes.
    let mut ends: Vec<u32> = adj
        .iter()
        .filter(|(_, l)| l.len() != 2)
        .map(|(&n, _)| n)
        .collect();
    ends.sort_unstable();
    for n in ends {
        walk(n, &mut used, &mut out);
    }
    let mut rest: Vec<u32> = segments
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(s, _)| s.0)
        .collect();
    rest.sort_unstable();
    for n in rest {
        walk(n, &mut used, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{
        CLASSES, ROAD_BUDGET_PX, RoadLine, Roads, chains, decimal, path_data, rank, simplify,
    };

    #[test]
    fn segments_chain_through_nodes_of_degree_two_only() {
        // 1-2-3-4 a street, 3-5 a side street, 6-7-8-6 a roundabout apart
        let mut c = chains(&[(1, 2), (2, 3), (3, 4), (3, 5), (6, 7), (7, 8), (6, 8)]);
        for chain in &mut c {
            if chain.first() > chain.last() {
                chain.reverse();
            }
        }
        c.sort();
        assert_eq!(
            c,
            vec![vec![1, 2, 3], vec![3, 4], vec![3, 5], vec![6, 7, 8, 6]]
        );
    }

    #[test]
    fn simplify_keeps_corners_and_drops_what_is_within_tolerance() {
        let line = [(0.0, 0.0), (1.0, 0.1), (2.0, 0.0), (2.0, 5.0)];
        assert_eq!(
            simplify(&line, 0.4),
            vec![(0.0, 0.0), (2.0, 0.0), (2.0, 5.0)]
        );
        assert_eq!(simplify(&line, 0.05).len(), 4);
    }

    #[test]
    fn path_data_is_relative_in_tenths() {
        let mut d = String::new();
        path_data(
            &mut d,
            &[(10.04, 5.0), (10.54, 4.71), (10.53, 4.72), (8.0, 4.7)],
        );
        assert_eq!(d, "M10 5l.5 -.3l-2.5 0");
        assert_eq!(
            (decimal(-12), decimal(30), decimal(0)),
            ("-1.2".into(), "3".into(), "0".into())
        );
        let mut dot = String::new();
        path_data(&mut dot, &[(1.0, 1.0), (1.01, 1.0)]);
        assert_eq!(dot, "M1 1h0");
    }

    #[test]
    fn only_roads_on_the_panel_spend_the_budget() {
        // A 100 px panel at 1 px per unit: one short primary road on it, and a
        // motorway and a long primary road far outside.
        let line = |class, points: &[(f64, f64)]| RoadLine {
            class,
            points: points.to_vec(),
        };
        let mut roads = Roads {
            lines: vec![
                line(1, &[(10.0, 10.0), (90.0, 10.0)]),
                line(0, &[(500.0, 500.0), (500.0, 900.0)]),
                line(1, &[(1000.0, 0.0), (1000.0 + ROAD_BUDGET_PX * 2.0, 0.0)]),
            ],
        };
        let identity = |x: f64, y: f64| (x, y);
        assert_eq!(roads.classes_drawn(100.0, 100.0, identity), CLASSES.len());
        // The same long road across the panel does count, and stops the classes.
        roads.lines.push(line(
            1,
            &[
                (-ROAD_BUDGET_PX, 50.0),
                (50.0, 50.0),
                (ROAD_BUDGET_PX, 50.0),
            ],
        ));
        assert_eq!(roads.classes_drawn(100.0, 100.0, identity), 1);
    }

    #[test]
    fn links_rank_with_their_road() {
        assert_eq!(rank("trunk_link"), 0);
        assert_eq!(rank("primary"), 1);
        assert_eq!(rank("residential"), 4);
        assert_eq!(rank("living_street"), 5);
    }
}
