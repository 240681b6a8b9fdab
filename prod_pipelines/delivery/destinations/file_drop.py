"""A file drop: Parquet per partition with a `_SUCCESS` marker, on a local folder or any fsspec URL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from prod_pipelines.delivery.destinations.protocol import Receipt

SUCCESS_MARKER = "_SUCCESS"


@dataclass(frozen=True)
class FileDrop:
    """Parquet per partition under `<url>/<consumer>/dt=YYYY-MM-DD/`, with a `_SUCCESS` marker.

    `url` is a local folder or any fsspec URL (`s3://bucket/prefix` once the `s3` extra is
    installed). The protocol works where renames are not atomic (object stores): the marker is
    removed first, the file is written under a temporary name and moved into place, and the marker
    is written last, so a reader that waits for `_SUCCESS` never sees a partial file. The app reads
    the newest complete partition, so a sync of partition D withdraws any newer one (a rollback).
    """

    url: str

    def sync(self, consumer: str, partition: date, rows: pa.Table, key: list[str],
             previous: pa.Table | None, retry: frozenset[str] = frozenset()) -> Receipt:
        """Replaces the whole copy, so nothing is ever refused alone and `retry` has nothing to add."""
        fs, root = fsspec.core.url_to_fs(self.url)
        folder = f"{root.rstrip('/')}/{consumer}/dt={partition.isoformat()}"
        final, temporary, marker = (f"{folder}/part-0.parquet", f"{folder}/.part-0.parquet.tmp",
                                    f"{folder}/{SUCCESS_MARKER}")
        consumer_root = f"{root.rstrip('/')}/{consumer}"
        for newer in (p for p in (fs.ls(consumer_root, detail=False) if fs.exists(consumer_root) else [])
                      if p.rstrip("/").rsplit("/", 1)[-1] > f"dt={partition.isoformat()}"):
            fs.rm(newer, recursive=True)
        fs.makedirs(folder, exist_ok=True)
        if fs.exists(marker):
            fs.rm(marker)
        with fs.open(temporary, "wb") as out:
            pq.write_table(rows, out)
        fs.mv(temporary, final)
        with fs.open(marker, "w") as out:
            out.write(f"{rows.num_rows}\n")
        location = final if "://" not in self.url else f"{self.url.split('://')[0]}://{final}"
        return Receipt(location=location, rows=rows.num_rows, added=rows.num_rows)
