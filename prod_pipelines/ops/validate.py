"""`prod-pipelines validate PATH...`: a producer checks files against the landing contract before publishing.

Runs the contract's public form (pandera, `landing.validation`) on each partition given: a file
inside a landing layout (`<feed>/dt=YYYY-MM-DD/<file>`, or the `dt=` folder itself) is judged as
that partition; any other file needs `--feed` and `--day`. Files of one partition are judged
together, since uniqueness spans them. The verdicts are the pipeline's: a row it would reject is
reported with the same rule, and a file that would stop its partition is reported with the same problem.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from prod_pipelines.landing.contracts import CONTRACTS
from prod_pipelines.landing.validation import validate_partition
from prod_pipelines.landing.zone import LandingError, read_as_text


@dataclass
class Verdict:
    """One partition's result: rows read and rejected, each reject, or the breach that stops it."""

    feed: str
    day: str
    files: list[str]
    rows_read: int = 0
    rows_rejected: int = 0
    rejects: list[dict] = field(default_factory=list)
    breach: str | None = None

    @property
    def clean(self) -> bool:
        return self.breach is None and not self.rows_rejected


def partitions(paths: list[Path], feed: str | None, day: date | None) -> dict[tuple[str, date], dict[str, Path]]:
    """Groups the files to judge by (feed, day), each under the name the pipeline would give it."""
    grouped: dict[tuple[str, date], dict[str, Path]] = {}
    for path in paths:
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "_"))) \
            if path.is_dir() else [path]
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        for file in files:
            folder = file.parent
            in_layout = folder.name.startswith("dt=") and folder.parent.name in CONTRACTS
            file_feed = feed or (folder.parent.name if in_layout else None)
            file_day = day or (_day_of(folder) if in_layout else None)
            if file_feed is None or file_day is None:
                raise ValueError(f"{file}: not inside <feed>/dt=YYYY-MM-DD/; give --feed and --day")
            if file_feed not in CONTRACTS:
                raise ValueError(f"--feed {file_feed}: no such feed (one of {', '.join(CONTRACTS)})")
            name = f"{folder.parent.name}/{folder.name}/{file.name}" if in_layout else str(file)
            grouped.setdefault((file_feed, file_day), {})[name] = file
    return grouped


def judge(feed: str, day: date, files: dict[str, Path]) -> Verdict:
    verdict = Verdict(feed, day.isoformat(), sorted(files))
    try:
        texts = {name: read_as_text(path, feed) for name, path in sorted(files.items())}
        validated = validate_partition(CONTRACTS[feed], day, texts)
    except LandingError as error:
        verdict.breach = f"{error.location}: {error.problem}"
        return verdict
    verdict.rows_read, verdict.rows_rejected = validated.rows_read, validated.rejects.height
    verdict.rejects = validated.rejects.to_dicts()
    return verdict


def report(verdicts: list[Verdict], output: str, shown: int) -> str:
    if output == "json":
        return json.dumps([asdict(v) for v in verdicts], indent=2)
    lines = []
    for v in verdicts:
        head = f"{v.feed} dt={v.day} ({len(v.files)} file(s)): "
        if v.breach:
            lines.append(head + f"STOPS THE PARTITION: {v.breach}")
            continue
        lines.append(head + f"{v.rows_read:,} rows read, {v.rows_rejected:,} would be rejected")
        lines += [f"  {r['file']} row {r['row_number']}: {r['rule']} (value {r['value']!r})" for r in v.rejects[:shown]]
        if v.rows_rejected > shown:
            lines.append(f"  ... and {v.rows_rejected - shown:,} more (--format json lists them all)")
    bad = sum(not v.clean for v in verdicts)
    lines.append(f"{len(verdicts)} partition(s) checked: " + (f"{bad} with problems" if bad else "all clean"))
    return "\n".join(lines)


def _day_of(folder: Path) -> date:
    try:
        return date.fromisoformat(folder.name[3:])
    except ValueError:
        raise ValueError(f"{folder}: folder name is not dt=YYYY-MM-DD") from None
