"""What a sync changes for a consumer, record by record: created, updated and deleted against what was
last sent, keyed by external id (records.py).

One comparison for the four places that show it: the dry run (`deliver --dry-run`), the blast-radius
guard's refusal, the destination asset's metadata and the sync log. Every column counts, the as-of day
too: an upsert API receives a kept item of a new day as an update.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from prod_pipelines.delivery.records import external_id

SAMPLE = 3


@dataclass(frozen=True)
class Changes:
    key: tuple[str, ...]
    created: dict[str, dict]
    updated: dict[str, tuple[dict, dict]]  # external id -> (as last sent, as it would be sent)
    deleted: dict[str, dict]
    kept: frozenset[str]  # sent before and unchanged

    def operations(self) -> dict[str, str]:
        """External id -> create | update | delete."""
        return ({e: "create" for e in self.created} | {e: "update" for e in self.updated}
                | {e: "delete" for e in self.deleted})

    def counts(self) -> str:
        return f"{len(self.created)} created, {len(self.updated)} updated, {len(self.deleted)} deleted"

    def samples(self, n: int = SAMPLE) -> dict[str, list]:
        """A few of each, as strings: created and deleted rows whole; updates as the key, and the
        columns that differ before and after."""
        updated = []
        for e in sorted(self.updated)[:n]:
            old, new = self.updated[e]
            differ = [c for c in new if old.get(c) != new[c]]
            updated.append({"key": {k: new[k] for k in self.key}, "before": {c: str(old.get(c)) for c in differ},
                            "after": {c: str(new[c]) for c in differ}})
        return {"created": [_strings(self.created[e]) for e in sorted(self.created)[:n]], "updated": updated,
                "deleted": [_strings(self.deleted[e]) for e in sorted(self.deleted)[:n]]}


def compare(previous: pa.Table | None, rows: pa.Table, key: list[str] | tuple[str, ...]) -> Changes:
    """`rows` against `previous` (None: nothing was sent yet, every record is created)."""
    old, new = _by_external_id(previous, key), _by_external_id(rows, key)
    return Changes(key=tuple(key), created={e: new[e] for e in new.keys() - old.keys()},
                   updated={e: (old[e], new[e]) for e in new.keys() & old.keys() if old[e] != new[e]},
                   deleted={e: old[e] for e in old.keys() - new.keys()},
                   kept=frozenset(e for e in new.keys() & old.keys() if old[e] == new[e]))


def sample_lines(samples: dict[str, list]) -> list[str]:
    """The samples as text lines, one per record: `created  {...}`, `updated  {key}: {before} -> {after}`."""
    lines = []
    for kind in ("created", "updated", "deleted"):
        for sample in samples.get(kind, []):
            shown = f"{sample['key']}: {sample['before']} -> {sample['after']}" if "before" in sample else str(sample)
            lines.append(f"{kind[:-1]:<8}{shown}")
    return lines


def _by_external_id(table: pa.Table | None, key) -> dict[str, dict]:
    return {} if table is None else {external_id(row, key): row for row in table.to_pylist()}


def _strings(row: dict) -> dict:
    return {c: str(v) for c, v in row.items()}
