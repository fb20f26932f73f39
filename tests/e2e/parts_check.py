"""Reads every matrix part with DuckDB, Polars and pyarrow and prints, per reader, the
rows, null durations, and sums of the four columns as JSON, for tests/e2e/matrix.rs to
compare with each other and with the manifest.

    python3 tests/e2e/parts_check.py MATRIX_DIR
"""

import glob
import json
import sys

import duckdb
import polars as pl
import pyarrow.compute as pc
import pyarrow.parquet as pq

parts = sorted(glob.glob(f"{sys.argv[1]}/matrix/part-*.parquet"))


def figures(rows, nulls, origin, dest, distance, duration):
    # Id sums overflow 64 bits: exact decimal strings. Float sums to the metre/second.
    return {
        "rows": int(rows),
        "null_durations": int(nulls),
        "origin_sum": str(int(origin)),
        "dest_sum": str(int(dest)),
        "distance_sum": round(float(distance), 0),
        "duration_sum": round(float(duration), 0),
    }


out = {}
con = duckdb.connect()
r = con.execute(
    "SELECT count(*), count(*) - count(duration_s), sum(origin::HUGEINT), "
    "sum(dest::HUGEINT), sum(distance_m::DOUBLE), sum(duration_s::DOUBLE) "
    "FROM read_parquet(?)",
    [parts],
).fetchone()
out["duckdb"] = figures(*r)

df = pl.read_parquet(parts)
out["polars"] = figures(
    df.height,
    df["duration_s"].null_count(),
    sum(int(v) for v in df["origin"]),
    sum(int(v) for v in df["dest"]),
    df["distance_m"].cast(pl.Float64).sum(),
    df["duration_s"].cast(pl.Float64).sum(),
)

t = pq.ParquetDataset(parts).read()
out["pyarrow"] = figures(
    t.num_rows,
    t["duration_s"].null_count,
    sum(v.as_py() for v in t["origin"]),
    sum(v.as_py() for v in t["dest"]),
    pc.sum(pc.cast(t["distance_m"], "float64")).as_py(),
    pc.sum(pc.cast(t["duration_s"], "float64")).as_py(),
)
print(json.dumps(out))
