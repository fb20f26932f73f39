//! Parquet schemas of the matrix files (feature `parquet`), in the types Arrow readers
//! see: `UInt64` is INT64 annotated unsigned, `Utf8` is `BYTE_ARRAY` annotated `String`.

use parquet::basic::{LogicalType, Type as PhysicalType};
use parquet::schema::types::TypePtr;

use crate::columns::{cells, pairs};
use crate::table::{field, message};

/// Builds a schema from fixed fields, which the parquet crate always accepts.
fn fixed(fields: &[(&str, PhysicalType, Option<LogicalType>, bool)]) -> TypePtr {
    let fields = fields
        .iter()
        .map(|(name, physical, logical, nullable)| {
            field(name, *physical, logical.clone(), *nullable)
        })
        .collect::<crate::Result<Vec<_>>>()
        .and_then(message);
    fields.expect("the matrix schemas are valid Parquet schemas")
}

/// Schema of `cells.parquet`.
#[must_use]
pub fn cells_schema() -> TypePtr {
    use PhysicalType::{BYTE_ARRAY, DOUBLE, INT32, INT64};
    let text = || Some(LogicalType::String);
    fixed(&[
        (
            cells::CELL,
            INT64,
            Some(LogicalType::integer(64, false)),
            false,
        ),
        (cells::CELL_HEX, BYTE_ARRAY, text(), false),
        (cells::LAT, DOUBLE, None, false),
        (cells::LON, DOUBLE, None, false),
        (
            cells::NODE,
            INT32,
            Some(LogicalType::integer(32, false)),
            true,
        ),
        (cells::NODE_LAT, DOUBLE, None, true),
        (cells::NODE_LON, DOUBLE, None, true),
        (cells::SNAP_M, DOUBLE, None, true),
        (cells::STATUS, BYTE_ARRAY, text(), false),
        (cells::GEOMETRY, BYTE_ARRAY, None, false),
        (cells::NODE_GEOMETRY, BYTE_ARRAY, None, true),
    ])
}

/// Schema of every matrix part.
#[must_use]
pub fn pairs_schema() -> TypePtr {
    use PhysicalType::{FLOAT, INT64};
    let id = || Some(LogicalType::integer(64, false));
    fixed(&[
        (pairs::ORIGIN, INT64, id(), false),
        (pairs::DEST, INT64, id(), false),
        (pairs::DISTANCE_M, FLOAT, None, true),
        (pairs::DURATION_S, FLOAT, None, true),
    ])
}
