"""The README's analyst snippets, run for real: Polars and pyarrow read the matrix
parts straight from an S3-compatible server.

    python3 s3_readers_check.py s3://BUCKET/PREFIX/matrix

Settings come from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION). Prints JSON: rows and the duration sum per reader.
"""
import json
import os
import sys
from urllib.parse import urlparse

import polars as pl
import pyarrow.dataset as ds
import pyarrow.compute as pc
from pyarrow import fs

matrix = sys.argv[1].rstrip("/")
endpoint = os.environ["AWS_ENDPOINT_URL"]

# Polars: object_store underneath, configured like hexmatrix.
storage = {
    "aws_endpoint_url": endpoint,
    "aws_allow_http": "true",
    "aws_access_key_id": os.environ["AWS_ACCESS_KEY_ID"],
    "aws_secret_access_key": os.environ["AWS_SECRET_ACCESS_KEY"],
    "aws_region": os.environ.get("AWS_REGION", "us-east-1"),
}
polars = (
    pl.scan_parquet(f"{matrix}/matrix/part-*.parquet", storage_options=storage)
    .select(pl.len().alias("rows"), pl.col("duration_s").cast(pl.Float64).sum().alias("duration_sum"))
    .collect()
    .row(0, named=True)
)

# pyarrow: its own S3 client, told the endpoint and plain HTTP.
url = urlparse(endpoint)
s3 = fs.S3FileSystem(
    endpoint_override=url.netloc,
    scheme=url.scheme,
    access_key=os.environ["AWS_ACCESS_KEY_ID"],
    secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    region=os.environ.get("AWS_REGION", "us-east-1"),
)
parts = ds.dataset(f"{matrix.removeprefix('s3://')}/matrix/", filesystem=s3, format="parquet")
table = parts.to_table(columns=["duration_s"])
pyarrow = {
    "rows": table.num_rows,
    "duration_sum": pc.sum(pc.cast(table["duration_s"], "float64")).as_py() or 0.0,
}
print(json.dumps({"polars": polars, "pyarrow": pyarrow}))
