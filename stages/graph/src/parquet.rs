//! `nodes.parquet`, `edges.parquet`, `restrictions.parquet`, `turns.parquet` and
//! `restriction_paths.parquet`: writers, and the readers that the matrix stage and
//! the oracle use.

use std::fs::File;
use std::path::Path;

use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use crate::extract::RoadGraph;
use crate::restriction::{RestrictionPath, TurnRule};
use crate::turn_table::Turn;
use crate::{Error, Result};

use hexmatrix_contract::columns::{edges, nodes, restriction_paths, restrictions, turns};
use hexmatrix_contract::graph_dir::{MAIN_COMPONENT, NODES_FILE, OTHER_COMPONENT};
use hexmatrix_contract::table::{Column, TableReader, write_table};

fn write(path: &Path, columns: &[Column]) -> Result<()> {
    let pq_err = |source| write_error(path, source);
    let level = ZstdLevel::try_new(3).map_err(pq_err)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    write_table(path, file, columns, props, Vec::new()).map_err(|e| table_error(path, e))?;
    Ok(())
}

/// An error of the contract's table reader or writer for `path`, a Parquet error
/// classified as [`write_error`] does.
pub(crate) fn table_error(path: &Path, e: hexmatrix_contract::Error) -> Error {
    match e {
        hexmatrix_contract::Error::Parquet { source, .. } => write_error(path, source),
        hexmatrix_contract::Error::Io { source, .. } => Error::io(path, source),
        other => Error::Table(other),
    }
}

/// A Parquet error while writing `path`. The I/O error under it, when there is one,
/// becomes [`Error::Io`]: a full disk is a failure of the machine, not of the input,
/// and is then said without the Parquet wrapping ("External: ...").
fn write_error(path: &Path, source: ParquetError) -> Error {
    match source {
        ParquetError::External(inner) => match inner.downcast::<std::io::Error>() {
            Ok(io) => Error::io(path, *io),
            Err(inner) => Error::Parquet {
                path: path.to_path_buf(),
                source: ParquetError::External(inner),
            },
        },
        source => Error::Parquet {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// Writes `nodes.parquet`: `node`, `osm_id`, `lat`, `lon`, `component`.
pub(crate) fn write_nodes(path: &Path, g: &RoadGraph, main: &[bool]) -> Result<()> {
    let n = g.osm_id.len() as u32;
    let ids: Vec<u32> = (0..n).collect();
    let component = main
        .iter()
        .map(|&m| if m { MAIN_COMPONENT } else { OTHER_COMPONENT });
    write(
        path,
        &[
            Column::required(nodes::NODE, &ids),
            Column::required(nodes::OSM_ID, &g.osm_id),
            Column::required(nodes::LAT, &g.lat),
            Column::required(nodes::LON, &g.lon),
            Column::text(nodes::COMPONENT, component),
        ],
    )
}

/// Writes `edges.parquet`: `from`, `to`, `way_id`, `highway`, `distance_m`,
/// `duration_s`, `local_only`.
pub(crate) fn write_edges(path: &Path, g: &RoadGraph) -> Result<()> {
    let e = &g.edges;
    let u32s = |f: fn(&crate::extract::RoadEdge) -> u32| e.iter().map(f).collect::<Vec<_>>();
    let f64s = |f: fn(&crate::extract::RoadEdge) -> f64| e.iter().map(f).collect::<Vec<_>>();
    let way_ids: Vec<i64> = e.iter().map(|x| x.way_id).collect();
    let local_only: Vec<bool> = e.iter().map(|x| x.local_only).collect();
    write(
        path,
        &[
            Column::required(edges::FROM, &u32s(|x| x.from)),
            Column::required(edges::TO, &u32s(|x| x.to)),
            Column::required(edges::WAY_ID, &way_ids),
            Column::text(
                edges::HIGHWAY,
                e.iter().map(|x| g.classes[x.class as usize]),
            ),
            Column::required(edges::DISTANCE_M, &f64s(|x| x.distance_m)),
            Column::required(edges::DURATION_S, &f64s(|x| x.duration_s)),
            Column::required(edges::LOCAL_ONLY, &local_only),
        ],
    )
}

/// Writes `restrictions.parquet`, one row per turn rule: `relation_id`,
/// `restriction`, `only`, `from_edge`, `to_edge` (rows of edges.parquet), `from_way`,
/// `via_osm_id`, `to_way`, `from_node`, `via_node`, `to_node`.
pub(crate) fn write_restrictions(path: &Path, g: &RoadGraph, rules: &[TurnRule]) -> Result<()> {
    let edge = |i: u32| &g.edges[i as usize];
    let u32s = |f: &dyn Fn(&TurnRule) -> u32| rules.iter().map(f).collect::<Vec<_>>();
    let i64s = |f: &dyn Fn(&TurnRule) -> i64| rules.iter().map(f).collect::<Vec<_>>();
    let only: Vec<bool> = rules.iter().map(|r| r.only).collect();
    write(
        path,
        &[
            Column::required(restrictions::RELATION_ID, &i64s(&|r| r.relation_id)),
            Column::text(
                restrictions::RESTRICTION,
                rules.iter().map(|r| r.value.as_str()),
            ),
            Column::required(restrictions::ONLY, &only),
            Column::required(restrictions::FROM_EDGE, &u32s(&|r| r.from_edge)),
            Column::required(restrictions::TO_EDGE, &u32s(&|r| r.to_edge)),
            Column::required(restrictions::FROM_WAY, &i64s(&|r| edge(r.from_edge).way_id)),
            Column::required(
                restrictions::VIA_OSM_ID,
                &i64s(&|r| g.osm_id[edge(r.from_edge).to as usize]),
            ),
            Column::required(restrictions::TO_WAY, &i64s(&|r| edge(r.to_edge).way_id)),
            Column::required(restrictions::FROM_NODE, &u32s(&|r| edge(r.from_edge).from)),
            Column::required(restrictions::VIA_NODE, &u32s(&|r| edge(r.from_edge).to)),
            Column::required(restrictions::TO_NODE, &u32s(&|r| edge(r.to_edge).to)),
        ],
    )
}

/// Writes `turns.parquet`, one row per allowed turn: `from_edge`, `to_edge`,
/// `via_node`, `angle_deg`, `kind`, `signal`, `duration_s`.
pub(crate) fn write_turns(path: &Path, g: &RoadGraph, list: &[Turn]) -> Result<()> {
    let u32s = |f: &dyn Fn(&Turn) -> u32| list.iter().map(f).collect::<Vec<_>>();
    let f64s = |f: &dyn Fn(&Turn) -> f64| list.iter().map(f).collect::<Vec<_>>();
    let signal: Vec<bool> = list.iter().map(|t| t.signal).collect();
    write(
        path,
        &[
            Column::required(turns::FROM_EDGE, &u32s(&|t| t.from_edge)),
            Column::required(turns::TO_EDGE, &u32s(&|t| t.to_edge)),
            Column::required(
                turns::VIA_NODE,
                &u32s(&|t| g.edges[t.from_edge as usize].to),
            ),
            Column::required(turns::ANGLE_DEG, &f64s(&|t| t.angle_deg)),
            Column::text(turns::KIND, list.iter().map(|t| t.kind.as_str())),
            Column::required(turns::SIGNAL, &signal),
            Column::required(turns::DURATION_S, &f64s(&|t| t.cost_s)),
        ],
    )
}

/// Writes `restriction_paths.parquet`, one row per edge of each path: `path`,
/// `relation_id`, `restriction`, `only`, `position`, `edge`.
pub(crate) fn write_restriction_paths(path: &Path, paths: &[RestrictionPath]) -> Result<()> {
    let rows: Vec<(u32, &RestrictionPath, u32, u32)> = paths
        .iter()
        .enumerate()
        .flat_map(|(i, p)| {
            p.edges
                .iter()
                .enumerate()
                .map(move |(pos, &e)| (i as u32, p, pos as u32, e))
        })
        .collect();
    let path_ids: Vec<u32> = rows.iter().map(|r| r.0).collect();
    let relation_ids: Vec<i64> = rows.iter().map(|r| r.1.relation_id).collect();
    let only: Vec<bool> = rows.iter().map(|r| r.1.only).collect();
    let positions: Vec<u32> = rows.iter().map(|r| r.2).collect();
    let edge_ids: Vec<u32> = rows.iter().map(|r| r.3).collect();
    write(
        path,
        &[
            Column::required(restriction_paths::PATH, &path_ids),
            Column::required(restriction_paths::RELATION_ID, &relation_ids),
            Column::text(
                restriction_paths::RESTRICTION,
                rows.iter().map(|r| r.1.value.as_str()),
            ),
            Column::required(restriction_paths::ONLY, &only),
            Column::required(restriction_paths::POSITION, &positions),
            Column::required(restriction_paths::EDGE, &edge_ids),
        ],
    )
}

/// Opens a graph table for reading whole columns.
pub(crate) fn open(path: &Path) -> Result<TableReader<File>> {
    TableReader::open(path).map_err(|e| table_error(path, e))
}

/// The node table the matrix stage needs; index = graph node id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphNodes {
    /// OSM node id.
    pub osm_id: Vec<i64>,
    /// Latitude, degrees.
    pub lat: Vec<f64>,
    /// Longitude, degrees.
    pub lon: Vec<f64>,
    /// Whether the node is in the routable (largest strongly connected) component.
    pub in_main: Vec<bool>,
}

/// Reads `GRAPH_DIR/nodes.parquet`.
///
/// # Errors
/// I/O or Parquet errors, a missing column, or rows whose `node` is not their index.
pub fn read_nodes(graph_dir: &Path) -> Result<GraphNodes> {
    let path = graph_dir.join(NODES_FILE);
    let table = open(&path)?;
    let err = |e| table_error(&path, e);
    let node = table.column::<u32>(nodes::NODE).map_err(err)?;
    if let Some((row, &bad)) = node.iter().enumerate().find(|&(i, &v)| v as usize != i) {
        return Err(Error::BadValue {
            path,
            reason: format!("row {row} has node {bad}"),
        });
    }
    Ok(GraphNodes {
        osm_id: table.column::<i64>(nodes::OSM_ID).map_err(err)?,
        lat: table.column::<f64>(nodes::LAT).map_err(err)?,
        lon: table.column::<f64>(nodes::LON).map_err(err)?,
        in_main: table
            .text(nodes::COMPONENT)
            .map_err(err)?
            .into_iter()
            .map(|c| c.as_deref() == Some(MAIN_COMPONENT))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11: a full disk while writing nodes.parquet was "bad input" (exit 2)
    /// and read "parquet: External: No space left on device".
    #[test]
    fn issue_11_a_failed_parquet_write_is_an_io_error() {
        let path = Path::new("g/.graph-car.tmp-1/nodes.parquet");
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let err = write_error(path, ParquetError::External(Box::new(full)));
        assert!(
            matches!(&err, Error::Io { path: p, .. } if p == path),
            "{err:?}"
        );
        assert!(!err.is_bad_input());
        assert!(!err.to_string().contains("External"), "{err}");
        let other = write_error(path, ParquetError::General("schema".into()));
        assert!(matches!(other, Error::Parquet { .. }), "{other:?}");
    }
}
