"""The benchmark's picture: time per phase of each way, one day and 90 days, per scale factor.

Stacked horizontal bars, medians of the measured runs: Dagster split into ingest (the raw steps),
dbt's own build, Dagster's recording inside the dbt step, the other steps, and the process outside
the run; bare dbt into ingest and dbt build; the floor as one script. Written as SVG beside
docs/benchmarks.md, which links it.
"""

from __future__ import annotations

from pathlib import Path
from statistics import median

import matplotlib

matplotlib.use("Agg")  # no screen: draw to a file
import matplotlib.pyplot as plt  # noqa: E402

from prod_pipelines.bench.runs import Run  # noqa: E402
from prod_pipelines.bench.scenarios import ScaleResult  # noqa: E402

CHART_NAME = "benchmarks.svg"
PHASES = ("ingest", "dbt build", "Dagster in the dbt step", "other steps", "outside the run", "floor script")
COLOURS = dict(zip(PHASES, ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#bab0ac", "#54a24b"), strict=True))
WAYS = (("dagster", "Dagster"), ("bare", "bare dbt"), ("floor", "floor"))


def draw(results: list[ScaleResult], large: ScaleResult | None, path: Path) -> None:
    scales = [*results, *([large] if large else [])]
    panels = [("one day", "day"), ("90 days", "90")]
    fig, axes = plt.subplots(1, 2, figsize=(12, 1.2 + 0.45 * 3 * len(scales)))
    for ax, (title, span) in zip(axes, panels, strict=True):
        labels, bars = [], []
        for r in scales:
            for way, name in WAYS:
                figure = r.figures.get(f"{way}_{span}")
                if figure is not None and figure.runs:
                    labels.append(f"SF {r.scale:g} {name}")
                    bars.append(_phases(way, figure.runs))
        for y, phases in enumerate(bars):
            left = 0.0
            for phase, seconds in phases.items():
                ax.barh(y, seconds, left=left, color=COLOURS[phase], label=phase)
                left += seconds
            ax.text(left, y, f" {left:.1f} s", va="center", fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(title)
        ax.set_xlabel("seconds (median)")
        ax.margins(x=0.15)
    handles = {h.get_label(): h for ax in axes for h in ax.get_legend_handles_labels()[0]}
    fig.legend([handles[p] for p in PHASES if p in handles], [p for p in PHASES if p in handles],
               loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    plt.rcParams["svg.hashsalt"] = "prod-pipelines"  # the same picture gives the same bytes
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def _phases(way: str, runs: list[Run]) -> dict[str, float]:
    if way == "floor":
        return {"floor script": median(r.seconds for r in runs)}
    if way == "bare":
        return {"ingest": median(r.parts["ingest"].seconds for r in runs),
                "dbt build": median(r.parts["dbt build"].seconds for r in runs)}
    ingest = median(sum(v for k, v in r.steps.items() if k.startswith("raw__")) for r in runs)
    dbt_step = median(r.steps.get("dbt_models", 0.0) for r in runs)
    dbt_own = median(r.dbt_seconds for r in runs)
    in_run = median(r.run_seconds for r in runs)
    return {"ingest": ingest, "dbt build": dbt_own, "Dagster in the dbt step": max(dbt_step - dbt_own, 0.0),
            "other steps": max(in_run - ingest - dbt_step, 0.0),
            "outside the run": median(r.seconds - r.run_seconds for r in runs)}
