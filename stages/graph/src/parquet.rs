//! `nodes.parquet`, `edges.parquet` and `restrictions.parquet`: writers, and
//! the readers that the matrix stage and the oracle use.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array,
};
use arrow_schema::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use crate::extract::RoadGraph;
use crate::restriction::{RestrictionPath, TurnRule};
use crate::turn_table::Turn;
use crate::{Error, Result};

use hexmatrix_contract::columns::{edges, nodes, restriction_paths, restrictions, turns};
use hexmatrix_contract::graph_dir::{MAIN_COMPONENT, NODES_FILE, OTHER_COMPONENT};

fn write(path: &Path, columns: Vec<(&str, ArrayRef)>) -> Result<()> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, a)| Field::new(*name, a.data_type().clone(), a.null_count() > 0))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let arrow_err = |source| Error::Arrow {
        path: path.to_path_buf(),
        source,
    };
    let pq_err = |source| write_error(path, source);
    let batch = RecordBatch::try_new(
        schema.clone(),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .map_err(arrow_err)?;
    let level = ZstdLevel::try_new(3).map_err(pq_err)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(pq_err)?;
    writer.write(&batch).map_err(pq_err)?;
    writer.close().map_err(pq_err)?;
    Ok(())
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
    let component: StringArray = main
        .iter()
        .map(|&m| Some(if m { MAIN_COMPONENT } else { OTHER_COMPONENT }))
        .collect();
    write(
        path,
        vec![
            (nodes::NODE, Arc::new(UInt32Array::from_iter_values(0..n))),
            (nodes::OSM_ID, Arc::new(Int64Array::from(g.osm_id.clone()))),
            (nodes::LAT, Arc::new(Float64Array::from(g.lat.clone()))),
            (nodes::LON, Arc::new(Float64Array::from(g.lon.clone()))),
            (nodes::COMPONENT, Arc::new(component)),
        ],
    )
}

/// Writes `edges.parquet`: `from`, `to`, `way_id`, `highway`, `distance_m`, `duration_s`.
pub(crate) fn write_edges(path: &Path, g: &RoadGraph) -> Result<()> {
    let e = &g.edges;
    let highway: StringArray = e
        .iter()
        .map(|x| Some(g.classes[x.class as usize]))
        .collect();
    write(
        path,
        vec![
            (
                edges::FROM,
                Arc::new(UInt32Array::from_iter_values(e.iter().map(|x| x.from))),
            ),
            (
                edges::TO,
                Arc::new(UInt32Array::from_iter_values(e.iter().map(|x| x.to))),
            ),
            (
                edges::WAY_ID,
                Arc::new(Int64Array::from_iter_values(e.iter().map(|x| x.way_id))),
            ),
            (edges::HIGHWAY, Arc::new(highway)),
            (
                edges::DISTANCE_M,
                Arc::new(Float64Array::from_iter_values(
                    e.iter().map(|x| x.distance_m),
                )),
            ),
            (
                edges::DURATION_S,
                Arc::new(Float64Array::from_iter_values(
                    e.iter().map(|x| x.duration_s),
                )),
            ),
        ],
    )
}

/// Writes `restrictions.parquet`, one row per turn rule: `relation_id`,
/// `restriction`, `only`, `from_edge`, `to_edge` (rows of edges.parquet), `from_way`,
/// `via_osm_id`, `to_way`, `from_node`, `via_node`, `to_node`.
pub(crate) fn write_restrictions(path: &Path, g: &RoadGraph, rules: &[TurnRule]) -> Result<()> {
    let edge = |i: u32| &g.edges[i as usize];
    let value: StringArray = rules.iter().map(|r| Some(r.value.as_str())).collect();
    let u32s = |f: &dyn Fn(&TurnRule) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(rules.iter().map(f)))
    };
    let i64s = |f: &dyn Fn(&TurnRule) -> i64| -> ArrayRef {
        Arc::new(Int64Array::from_iter_values(rules.iter().map(f)))
    };
    write(
        path,
        vec![
            (restrictions::RELATION_ID, i64s(&|r| r.relation_id)),
            (restrictions::RESTRICTION, Arc::new(value)),
            (
                restrictions::ONLY,
                Arc::new(rules.iter().map(|r| Some(r.only)).collect::<BooleanArray>()),
            ),
            (restrictions::FROM_EDGE, u32s(&|r| r.from_edge)),
            (restrictions::TO_EDGE, u32s(&|r| r.to_edge)),
            (restrictions::FROM_WAY, i64s(&|r| edge(r.from_edge).way_id)),
            (
                restrictions::VIA_OSM_ID,
                i64s(&|r| g.osm_id[edge(r.from_edge).to as usize]),
            ),
            (restrictions::TO_WAY, i64s(&|r| edge(r.to_edge).way_id)),
            (restrictions::FROM_NODE, u32s(&|r| edge(r.from_edge).from)),
            (restrictions::VIA_NODE, u32s(&|r| edge(r.from_edge).to)),
            (restrictions::TO_NODE, u32s(&|r| edge(r.to_edge).to)),
        ],
    )
}

/// Writes `turns.parquet`, one row per allowed turn: `from_edge`, `to_edge`,
/// `via_node`, `angle_deg`, `kind`, `signal`, `duration_s`.
pub(crate) fn write_turns(path: &Path, g: &RoadGraph, list: &[Turn]) -> Result<()> {
    let u32s = |f: &dyn Fn(&Turn) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(list.iter().map(f)))
    };
    let f64s = |f: &dyn Fn(&Turn) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(list.iter().map(f)))
    };
    let kind: StringArray = list.iter().map(|t| Some(t.kind.as_str())).collect();
    let signal: BooleanArray = list.iter().map(|t| Some(t.signal)).collect();
    write(
        path,
        vec![
            (turns::FROM_EDGE, u32s(&|t| t.from_edge)),
            (turns::TO_EDGE, u32s(&|t| t.to_edge)),
            (turns::VIA_NODE, u32s(&|t| g.edges[t.from_edge as usize].to)),
            (turns::ANGLE_DEG, f64s(&|t| t.angle_deg)),
            (turns::KIND, Arc::new(kind)),
            (turns::SIGNAL, Arc::new(signal)),
            (turns::DURATION_S, f64s(&|t| t.cost_s)),
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
    let value: StringArray = rows.iter().map(|r| Some(r.1.value.as_str())).collect();
    let only: BooleanArray = rows.iter().map(|r| Some(r.1.only)).collect();
    write(
        path,
        vec![
            (
                restriction_paths::PATH,
                Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.0))),
            ),
            (
                restriction_paths::RELATION_ID,
                Arc::new(Int64Array::from_iter_values(
                    rows.iter().map(|r| r.1.relation_id),
                )),
            ),
            (restriction_paths::RESTRICTION, Arc::new(value)),
            (restriction_paths::ONLY, Arc::new(only)),
            (
                restriction_paths::POSITION,
                Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.2))),
            ),
            (
                restriction_paths::EDGE,
                Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.3))),
            ),
        ],
    )
}

/// Reads every batch of a Parquet file.
pub(crate) fn read_batches(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let pq_err = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(pq_err)?
        .with_batch_size(1 << 16)
        .build()
        .map_err(pq_err)?;
    reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|source| Error::Arrow {
            path: path.to_path_buf(),
            source,
        })
}

/// One typed column of a batch.
pub(crate) fn column<'a, T: 'static>(
    path: &Path,
    batch: &'a RecordBatch,
    name: &'static str,
    expected: &'static str,
) -> Result<&'a T> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| Error::BadColumn {
            path: path.to_path_buf(),
            column: name,
            expected,
        })
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
    let mut out = GraphNodes::default();
    for batch in read_batches(&path)? {
        let node = column::<UInt32Array>(&path, &batch, nodes::NODE, "UInt32")?;
        let osm = column::<Int64Array>(&path, &batch, nodes::OSM_ID, "Int64")?;
        let lat = column::<Float64Array>(&path, &batch, nodes::LAT, "Float64")?;
        let lon = column::<Float64Array>(&path, &batch, nodes::LON, "Float64")?;
        let comp = column::<StringArray>(&path, &batch, nodes::COMPONENT, "Utf8")?;
        for i in 0..batch.num_rows() {
            if node.value(i) as usize != out.osm_id.len() {
                return Err(Error::BadValue {
                    path,
                    reason: format!("row {} has node {}", out.osm_id.len(), node.value(i)),
                });
            }
            out.osm_id.push(osm.value(i));
            out.lat.push(lat.value(i));
            out.lon.push(lon.value(i));
            out.in_main
                .push(comp.is_valid(i) && comp.value(i) == MAIN_COMPONENT);
        }
    }
    Ok(out)
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
