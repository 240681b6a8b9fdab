"""Where a consumer's rows go. A destination only sends what it is given; choosing is the asset's job."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.parquet as pq

SUCCESS_MARKER = "_SUCCESS"


@dataclass(frozen=True)
class Receipt:
    """What a sync left at the destination, for the ledger and the asset's metadata."""

    location: str
    rows: int
    added: int = 0
    changed: int = 0
    removed: int = 0


class Destination(Protocol):
    """Makes the consumer's copy equal to `rows`, atomically from the consumer's point of view.

    `key` names the columns that identify a row for the consumer (its external id); `previous` is
    what the last successful sync sent (None for the first), so a destination that can apply
    changes sends only rows added, changed or removed since then. Rolling back is a sync of an
    older table with the current one as `previous`.
    """

    def sync(self, consumer: str, partition: date, rows: pa.Table, key: list[str], previous: pa.Table | None) -> Receipt: ...


@dataclass(frozen=True)
class FileDrop:
    """Parquet per partition under `<root>/<consumer>/dt=YYYY-MM-DD/`, published atomically.

    The file is written under a temporary name, then the folder is swapped in by rename and a
    `_SUCCESS` marker is written last: a reader that waits for the marker never sees a partial set.
    """

    root: Path

    def sync(self, consumer: str, partition: date, rows: pa.Table, key: list[str], previous: pa.Table | None) -> Receipt:
        final = self.root / consumer / f"dt={partition.isoformat()}"
        staging = final.with_name(f".{final.name}.tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        pq.write_table(rows, staging / "part-0.parquet")
        (staging / SUCCESS_MARKER).write_text(f"{rows.num_rows}\n")
        retired = final.with_name(f".{final.name}.old-{os.getpid()}")
        if final.exists():
            final.rename(retired)
        staging.rename(final)
        shutil.rmtree(retired, ignore_errors=True)
        return Receipt(location=str(final / "part-0.parquet"), rows=rows.num_rows)


def destination_for(kind: str, destinations_dir: Path) -> Destination:
    if kind == "file_drop":
        return FileDrop(destinations_dir)
    raise ValueError(f"unknown destination kind {kind!r} (known: file_drop)")
