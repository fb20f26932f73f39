//! Loading a graph directory (`graph.ch`, `nodes.parquet`, `edges.parquet`, names
//! and columns from the contract's graph directory), and the bridge to
//! `hexmatrix_graph`: its hierarchy seen through this crate's search traits.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray as _;
use arrow_array::types::UInt32Type;
use hexmatrix_contract::columns::edges;
use hexmatrix_contract::graph_dir::{CH_FILE, EDGES_FILE, FERRY};
use hexmatrix_graph::{ChEdge, ContractionHierarchy, read_nodes};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Error, Result};
use crate::hierarchy::{Hierarchy, RoutingGraph, UpEdge};
use crate::job::{MatrixOptions, Prepared};
use crate::snap::Roads;

impl UpEdge for ChEdge {
    #[inline]
    fn target(&self) -> u32 {
        self.target
    }
    #[inline]
    fn duration_ms(&self) -> u32 {
        self.duration_ms
    }
    #[inline]
    fn distance_m(&self) -> f32 {
        self.distance_m
    }
}

impl Hierarchy for ContractionHierarchy {
    type Edge = ChEdge;
    #[inline]
    fn node_count(&self) -> usize {
        ContractionHierarchy::node_count(self)
    }
    #[inline]
    fn forward_up(&self, node: u32) -> &[ChEdge] {
        ContractionHierarchy::forward_up(self, node)
    }
    #[inline]
    fn backward_up(&self, node: u32) -> &[ChEdge] {
        ContractionHierarchy::backward_up(self, node)
    }
}

impl RoutingGraph for ContractionHierarchy {
    #[inline]
    fn source_of(&self, graph_node: u32) -> u32 {
        ContractionHierarchy::source_of(self, graph_node)
    }
    #[inline]
    fn targets_of(&self, graph_node: u32) -> &[u32] {
        ContractionHierarchy::targets_of(self, graph_node)
    }
}

/// Loads `GRAPH_DIR/graph.ch` and `nodes.parquet`, covers the bbox and snaps the
/// cells: everything before the search.
///
/// # Errors
/// [`Error::Graph`] if the graph files cannot be read, [`Error::NodeRange`] if they
/// disagree, and the errors of [`Prepared::new`].
pub fn prepare(opts: MatrixOptions) -> Result<Prepared<ContractionHierarchy>> {
    let dir = opts.graph_dir.clone();
    let graph_err = |source| Error::Graph {
        path: dir.clone(),
        source,
    };
    let ch = ContractionHierarchy::load(&dir.join(CH_FILE)).map_err(graph_err)?;
    let nodes = read_nodes(&dir).map_err(graph_err)?;
    check_sizes(&dir, &ch, nodes.lat.len())?;
    let segments = read_segments(&dir.join(EDGES_FILE))?;
    let profile = Some(ch.header().profile.clone());
    let roads = Roads {
        lat: &nodes.lat,
        lon: &nodes.lon,
        in_main: &nodes.in_main,
        segments: &segments,
    };
    Prepared::new(opts, ch, roads, profile)
}

/// The road segments of `edges.parquet` (`from`, `to`, `highway`) as undirected
/// node pairs, ferries left out: a cell at sea is not on a road.
///
/// # Errors
/// [`Error::Io`] or [`Error::Parquet`] naming the file, [`Error::Column`] if a column
/// is missing or of another type.
pub fn read_segments(path: &Path) -> Result<Vec<(u32, u32)>> {
    let pq = |source| Error::ParquetRead {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(Error::io(path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?;
    let wanted = [edges::FROM, edges::TO, edges::HIGHWAY];
    let fields = builder.parquet_schema();
    let indices: Vec<usize> = wanted
        .iter()
        .map(|name| {
            fields
                .columns()
                .iter()
                .position(|c| c.name() == *name)
                .ok_or_else(|| Error::Column {
                    path: path.to_owned(),
                    column: (*name).to_string(),
                })
        })
        .collect::<Result<_>>()?;
    let mask = ProjectionMask::leaves(fields, indices);
    let reader = builder.with_projection(mask).build().map_err(pq)?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|source| Error::Arrow {
            path: path.to_owned(),
            source,
        })?;
        let column = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| Error::Column {
                path: path.to_owned(),
                column: name.to_string(),
            })
        };
        let bad = |name: &str| Error::Column {
            path: path.to_owned(),
            column: name.to_string(),
        };
        let from = column(edges::FROM)?
            .as_primitive_opt::<UInt32Type>()
            .ok_or_else(|| bad(edges::FROM))?;
        let to = column(edges::TO)?
            .as_primitive_opt::<UInt32Type>()
            .ok_or_else(|| bad(edges::TO))?;
        let highway = column(edges::HIGHWAY)?
            .as_string_opt::<i32>()
            .ok_or_else(|| bad(edges::HIGHWAY))?;
        for i in 0..batch.num_rows() {
            if highway.value(i) != FERRY {
                let (a, b) = (from.value(i), to.value(i));
                out.push((a.min(b), a.max(b)));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

fn check_sizes(dir: &Path, ch: &ContractionHierarchy, nodes: usize) -> Result<()> {
    if ch.graph_node_count() != nodes {
        return Err(Error::GraphMismatch {
            path: dir.to_owned(),
            ch_nodes: ch.graph_node_count(),
            parquet_nodes: nodes,
        });
    }
    Ok(())
}
