"""Synthetic landing zones for the bench, seeded once per (scale, range, generator code) and reused.

The generator is deterministic, so a zone seeded by an earlier bench run with the same arguments
and the same generator source is the same bytes; seeding SF 1 takes minutes, reusing it none.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

from prod_pipelines.producers import synthetic

MARKER = "_bench_seed.json"


def seeded_landing(work_dir: Path, scale: float, start: date, end: date, seed: int = 7) -> tuple[Path, dict[str, int]]:
    """`<work>/landing/sf<scale>_<start>_<end>/landing` and the rows written per feed."""
    key = {"scale": scale, "start": start.isoformat(), "end": end.isoformat(), "seed": seed,
           "code": _generator_digest()}
    folder = work_dir / "landing" / f"sf{scale:g}_{start}_{end}"
    marker = folder / MARKER
    if marker.exists():
        saved = json.loads(marker.read_text())
        if saved["key"] == key:
            return folder / "landing", saved["rows"]
    if folder.exists():
        shutil.rmtree(folder)
    print(f"  seeding SF {scale:g} for {start}..{end} (once; reused by later bench runs)", flush=True)
    rows = synthetic.generate_landing(folder, start, end, scale, seed=seed)
    marker.write_text(json.dumps({"key": key, "rows": rows}, indent=2))
    return folder / "landing", rows


def _generator_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(synthetic.__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
