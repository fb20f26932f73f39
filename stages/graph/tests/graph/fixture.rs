//! Helpers for hand-made fixtures: a cross-shaped junction and friends,
//! built with the project's PBF writer, routed by the CH and the oracle.

use std::collections::HashMap;
use std::path::Path;

use arrow_array::{Array, Float64Array, Int64Array, StringArray, UInt32Array};
use hexmatrix_graph::dijkstra::OracleGraph;
use hexmatrix_graph::{ChQuery, ContractionHierarchy, GraphSummary, read_nodes};
use hexmatrix_osm::fixture::FixtureBuilder;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::util;

/// Latitude and longitude of grid point (row, col): about 111 m by 90 m apart.
pub fn at(row: i32, col: i32) -> (f64, f64) {
    (35.9 + f64::from(row) * 0.001, 14.5 + f64::from(col) * 0.001)
}

/// A builder with nodes on a 7×7 grid in Malta: node id = 100 + 10 * row + col
/// (rows and cols 0..7).
pub fn grid() -> FixtureBuilder {
    grid_at(35.9, 14.5)
}

/// The same grid with its corner (0, 0) at `lat`, `lon`: in Monaco it is in a
/// right-hand-traffic country, in Malta (the default) in a left-hand one.
pub fn grid_at(lat: f64, lon: f64) -> FixtureBuilder {
    let mut f = FixtureBuilder::new();
    for r in 0..7 {
        for c in 0..7 {
            f.node(
                grid_id(r, c),
                lat + f64::from(r) * 0.001,
                lon + f64::from(c) * 0.001,
                &[],
            );
        }
    }
    f
}

/// Node id of a grid point.
pub fn grid_id(row: i32, col: i32) -> i64 {
    100 + 10 * i64::from(row) + i64::from(col)
}

/// One edge of edges.parquet with OSM node ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub from: i64,
    pub to: i64,
    pub way: i64,
    pub highway: String,
    pub distance_m: f64,
    pub duration_s: f64,
}

/// A built fixture.
pub struct Built {
    pub dir: tempfile::TempDir,
    pub summary: GraphSummary,
    index: HashMap<i64, u32>,
    ch: ContractionHierarchy,
    oracle: OracleGraph,
}

/// Writes the fixture and builds it for `profile`.
pub fn build(f: &FixtureBuilder, profile: &str) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let pbf = dir.path().join("fixture.osm.pbf");
    f.write(&pbf).unwrap();
    let graph = dir.path().join("graph");
    let summary = util::build(&pbf, profile, &graph);
    let nodes = read_nodes(&graph).unwrap();
    let index = nodes
        .osm_id
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i as u32))
        .collect();
    let ch = ContractionHierarchy::load(&graph.join("graph.ch")).unwrap();
    let oracle = OracleGraph::from_dir(&graph).unwrap();
    Built {
        dir,
        summary,
        index,
        ch,
        oracle,
    }
}

impl Built {
    /// The graph directory.
    pub fn graph(&self) -> std::path::PathBuf {
        self.dir.path().join("graph")
    }

    /// Fastest route between two OSM nodes as (seconds, metres); the CH and
    /// the oracle must agree. `None` if either node is not in the graph or unreachable.
    pub fn route(&self, from: i64, to: i64) -> Option<(f64, f64)> {
        let (&s, &t) = (self.index.get(&from)?, self.index.get(&to)?);
        let truth = self.oracle.one_to_all(s)[t as usize];
        let got = ChQuery::new(&self.ch).route(&self.ch, s, t);
        match (truth, got) {
            (None, None) => None,
            (Some((secs, m)), Some((ms, cm))) => {
                assert_eq!((secs * 1000.0).round() as u32, ms, "{from}->{to}");
                assert!((m - cm).abs() < 0.5, "{from}->{to}: {m} vs {cm}");
                Some((secs, m))
            }
            (a, b) => panic!("{from}->{to}: oracle {a:?}, ch {b:?}"),
        }
    }

    /// OSM ids of the graph nodes in the main component (nodes.parquet), ascending.
    pub fn main_ids(&self) -> Vec<i64> {
        let nodes = read_nodes(&self.graph()).unwrap();
        let mut main: Vec<i64> = nodes
            .osm_id
            .iter()
            .zip(&nodes.in_main)
            .filter(|(_, m)| **m)
            .map(|(id, _)| *id)
            .collect();
        main.sort_unstable();
        main
    }

    /// Whether the OSM node is a graph node.
    pub fn has_node(&self, osm_id: i64) -> bool {
        self.index.contains_key(&osm_id)
    }

    /// The rows of edges.parquet.
    pub fn edges(&self) -> Vec<Edge> {
        let nodes = read_nodes(&self.graph()).unwrap();
        read(&self.graph().join("edges.parquet"))
            .iter()
            .flat_map(|b| {
                let col = |n: &str| b.column_by_name(n).unwrap().clone();
                let from = col("from");
                let to = col("to");
                let way = col("way_id");
                let hw = col("highway");
                let dist = col("distance_m");
                let dur = col("duration_s");
                let from = from.as_any().downcast_ref::<UInt32Array>().unwrap().clone();
                let to = to.as_any().downcast_ref::<UInt32Array>().unwrap().clone();
                let way = way.as_any().downcast_ref::<Int64Array>().unwrap().clone();
                let hw = hw.as_any().downcast_ref::<StringArray>().unwrap().clone();
                let dist = dist
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .unwrap()
                    .clone();
                let dur = dur.as_any().downcast_ref::<Float64Array>().unwrap().clone();
                let osm = nodes.osm_id.clone();
                (0..b.num_rows())
                    .map(move |i| Edge {
                        from: osm[from.value(i) as usize],
                        to: osm[to.value(i) as usize],
                        way: way.value(i),
                        highway: hw.value(i).to_string(),
                        distance_m: dist.value(i),
                        duration_s: dur.value(i),
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The rows of turns.parquet as (from OSM node, via, to, kind, seconds).
    pub fn turns(&self) -> Vec<(i64, i64, i64, String, f64)> {
        let edges = self.edges();
        read(&self.graph().join("turns.parquet"))
            .iter()
            .flat_map(|b| {
                let u32s = |n: &str| {
                    b.column_by_name(n)
                        .unwrap()
                        .as_any()
                        .downcast_ref::<UInt32Array>()
                        .unwrap()
                        .clone()
                };
                let (from, to) = (u32s("from_edge"), u32s("to_edge"));
                let kind = b.column_by_name("kind").unwrap();
                let kind = kind.as_any().downcast_ref::<StringArray>().unwrap().clone();
                let secs = b.column_by_name("duration_s").unwrap();
                let secs = secs
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .unwrap()
                    .clone();
                (0..b.num_rows())
                    .map(|i| {
                        let (a, c) = (&edges[from.value(i) as usize], &edges[to.value(i) as usize]);
                        assert_eq!(a.to, c.from, "a turn joins two edges");
                        (a.from, a.to, c.to, kind.value(i).to_string(), secs.value(i))
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Number of rows in restrictions.parquet.
    pub fn restriction_rows(&self) -> usize {
        read(&self.graph().join("restrictions.parquet"))
            .iter()
            .map(arrow_array::RecordBatch::num_rows)
            .sum()
    }
}

fn read(path: &Path) -> Vec<arrow_array::RecordBatch> {
    let file = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
