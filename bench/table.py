"""The benchmark's one table: metric, goal, measured, floor or peer, ratio, median, p95.

One job: turn samples into rows and rows into aligned text (and Markdown for
BENCHMARKS.md). A row knows whether it met its goal; only `lost` and `errors` rows fail
the run (`python -m bench` exits 1), never a slow one: the machine may be busy.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of non-empty samples."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Row:
    metric: str
    goal: str = ""
    measured: str = ""
    floor: str = ""             # the floor (what any process pays) or the peer's figure
    ratio: str = ""
    median: str = ""
    p95: str = ""
    met: bool | None = None     # None: no goal
    fails_run: bool = False     # a lost message or an error: the run fails

    def cells(self) -> list[str]:
        mark = {True: "ok", False: "MISSED", None: ""}[self.met]
        return [self.metric, self.goal, self.measured, self.floor, self.ratio, self.median, self.p95, mark]


HEADER = ["metric", "goal", "measured", "floor or peer", "ratio", "median", "p95", ""]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def timing_row(metric: str, samples: list[float], *, goal_seconds: float | None = None,
               goal_text: str = "", on: str = "p95", floor: list[float] | None = None,
               floor_name: str = "", ratio_goal: float | None = None) -> Row:
    """A row for timed samples; the goal is on the median, p95 or p99 (`on`), or on the
    ratio to `floor`'s median (`ratio_goal`)."""
    med = statistics.median(samples)
    value = {"median": med, "p95": percentile(samples, 95), "p99": percentile(samples, 99)}[on]
    row = Row(metric, goal=goal_text, measured=f"{on} {ms(value)}", median=ms(med),
              p95=ms(percentile(samples, 95)))
    if floor:
        floor_med = statistics.median(floor)
        row.floor = f"{floor_name} {ms(floor_med)}".strip()
        row.ratio = f"{med / floor_med:.2f}x" if floor_med else ""
        if ratio_goal is not None:
            row.met = floor_med > 0 and med / floor_med <= ratio_goal
    if goal_seconds is not None:
        row.met = value <= goal_seconds
    return row


def render(rows: list[Row], title: str = "") -> str:
    table = [HEADER] + [r.cells() for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    lines = [title] if title else []
    for n, line in enumerate(table):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths).rstrip())
    return "\n".join(lines)


def markdown(rows: list[Row]) -> str:
    out = ["| " + " | ".join(h or "met" for h in HEADER) + " |",
           "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(c.replace("|", "/") for c in r.cells()) + " |" for r in rows]
    return "\n".join(out)
