"""What the benchmarks share: the fd limit, medians, text tables, JSON results and PNG plots.

Plots need matplotlib, a benchmark-only dependency (``pip install matplotlib``, or the ``bench``
extra); without it the tables and JSON are still written and the plot is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

#: Where tables (JSON) and plots (PNG) go.
RESULTS = Path(__file__).resolve().parent / "results"


def raise_nofile(wanted: int) -> int:
    """Raise RLIMIT_NOFILE's soft limit towards ``wanted`` (never above the hard limit).

    Returns the soft limit now in force.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def median(values: Sequence[float]) -> float:
    """The median of the measured values (NaN marks a failed run and is left out)."""
    kept = [v for v in values if v == v]
    return statistics.median(kept) if kept else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable in a terminal, pasteable into the README)."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN: not measured
            return "n/a"
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}" if value < 10 else f"{value:.1f}"
    return str(value)


def add_tag_option(parser: argparse.ArgumentParser, base: str) -> None:
    """--tag: where a run's files go, so that a trial run leaves the committed results alone."""
    parser.add_argument(
        "--tag",
        default="",
        help=f"results go to results/{base}-TAG.* (default: results/{base}.*, the committed ones)",
    )


def tagged(base: str, tag: str) -> str:
    """The results name for ``base`` and a --tag value."""
    return f"{base}-{tag}" if tag else base


class Report:
    """Text printed as it is produced and kept, to be saved as results/<name>.md."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._parts: list[str] = []

    def __call__(self, text: str) -> None:
        print(text, flush=True)
        self._parts.append(text)

    def save(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.md"
        path.write_text("\n".join(self._parts).strip() + "\n")
        return path


def save_json(name: str, data: object) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


def plot_lines(
    name: str,
    series: Mapping[str, Mapping[int, float]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    logy: bool,
    spreads: Mapping[str, Mapping[int, tuple[float, float]]] | None = None,
) -> Path | None:
    """One line per series (x -> y, NaN points left out) on a log x axis, saved as PNG.

    ``spreads`` (series -> x -> (low, high)) draws each point's spread as an error bar.
    Returns the path, or None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: {name}.png not drawn", file=sys.stderr)
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.png"
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    for i, (label, points) in enumerate(series.items()):
        xs = [x for x, y in sorted(points.items()) if y == y]
        ys = [points[x] for x in xs]
        if spreads is None:
            ax.plot(xs, ys, marker="o", label=label)
            continue
        lows, highs = zip(*(spreads[label][x] for x in xs)) if xs else ((), ())
        errors = [[y - lo for y, lo in zip(ys, lows)], [hi - y for y, hi in zip(ys, highs)]]
        # Each series a little to the side of the others (log x axis), so bars do not overlap.
        shifted = [x * 1.04 ** (i - (len(series) - 1) / 2) for x in xs]
        ax.errorbar(shifted, ys, yerr=errors, marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
