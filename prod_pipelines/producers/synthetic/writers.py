"""Files of one landing partition in CSV, CSV.GZ or Parquet, the same table always giving the same bytes.

Grain: one folder `landing/<feed>/dt=YYYY-MM-DD/` per call. New files are written under a hidden
temporary name and renamed into place, then files the new delivery does not include are removed, so a
re-seeded day never keeps stale parts and a reader never sees a half-written file.
"""
import gzip
import os
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

FORMATS = ("csv", "csv.gz", "parquet")
ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def csv_bytes(table: pa.Table) -> bytes:
    """Header row, comma separated, UTF-8; timestamps as ISO-8601 UTC (2025-01-03T14:22:05Z)."""
    columns = [
        pc.strftime(column, format=ISO_UTC) if pa.types.is_timestamp(column.type) else column
        for column in table.columns
    ]
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(pa.table(columns, names=table.column_names), sink)
    return sink.getvalue().to_pybytes()


def encode(table: pa.Table, file_format: str) -> bytes:
    if file_format == "csv":
        return csv_bytes(table)
    if file_format == "csv.gz":
        return gzip.compress(csv_bytes(table), compresslevel=6, mtime=0)
    if file_format == "parquet":
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        return sink.getvalue().to_pybytes()
    raise ValueError(f"unknown file format {file_format!r}; expected one of {', '.join(FORMATS)}")


def write_partition(landing_dir: Path, feed: str, day: date, parts: list[tuple[pa.Table, str]]) -> list[Path]:
    """Replace the partition's files with `part-<n>.<format>`, one per (table, format)."""
    folder = landing_dir / feed / f"dt={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, (table, file_format) in enumerate(parts):
        path = folder / f"part-{number}.{file_format}"
        temporary = folder / f".{path.name}.tmp"
        temporary.write_bytes(encode(table, file_format))
        os.replace(temporary, path)
        written.append(path)
    for stale in folder.iterdir():
        if stale.is_file() and stale not in written:
            stale.unlink()
    return written
