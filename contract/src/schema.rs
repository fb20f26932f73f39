//! Arrow schemas of the Parquet files (feature `arrow`).

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::columns::{cells, pairs};

/// Schema of `cells.parquet`.
#[must_use]
pub fn cells_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(cells::CELL, DataType::UInt64, false),
        Field::new(cells::CELL_HEX, DataType::Utf8, false),
        Field::new(cells::LAT, DataType::Float64, false),
        Field::new(cells::LON, DataType::Float64, false),
        Field::new(cells::NODE, DataType::UInt32, true),
        Field::new(cells::NODE_LAT, DataType::Float64, true),
        Field::new(cells::NODE_LON, DataType::Float64, true),
        Field::new(cells::SNAP_M, DataType::Float64, true),
        Field::new(cells::STATUS, DataType::Utf8, false),
        Field::new(cells::GEOMETRY, DataType::Binary, false),
        Field::new(cells::NODE_GEOMETRY, DataType::Binary, true),
    ]))
}

/// Schema of every matrix part.
#[must_use]
pub fn pairs_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(pairs::ORIGIN, DataType::UInt64, false),
        Field::new(pairs::DEST, DataType::UInt64, false),
        Field::new(pairs::DISTANCE_M, DataType::Float32, true),
        Field::new(pairs::DURATION_S, DataType::Float32, true),
    ]))
}
