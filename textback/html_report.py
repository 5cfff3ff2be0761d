"""The owner's report as one self-contained HTML page: figures and SVG bar charts.

No network (a Content-Security-Policy forbids every fetch), no JavaScript, no fonts or
images from elsewhere: the file opens the same from a USB stick, an email attachment or
a browser with no connection. Every bar is an SVG <rect class="bar"> with a <title>
(the browser shows it on hover) and data-series/data-key attributes, so a test can count
them and a screen reader can read them.

Charts: missed, texted, replied and recovered per day; hang-up-to-text times; reply
rate per business line; skipped calls by reason.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

# (label, upper bound in seconds): how long after the hang-up the first text left.
DELAY_BINS: tuple[tuple[str, float], ...] = (
    ("under 1 s", 1), ("1-5 s", 5), ("5-15 s", 15), ("15-30 s", 30), ("30-60 s", 60),
    ("1-2 min", 120), ("2-5 min", 300), ("over 5 min", float("inf")))
DAY_SERIES = (("missed_calls", "missed", "#9aa5b1"), ("texted", "texted", "#3b82f6"),
              ("replied", "replied", "#f59e0b"), ("recovered", "recovered", "#10b981"))
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 880px;
       color: #1f2933; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 6px; }
.period { color: #52606d; margin: 0 0 18px; }
.figures { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; }
.figure { background: #f5f7fa; border-radius: 6px; padding: 8px 10px; }
.figure b { display: block; font-size: 22px; } .figure span { color: #52606d; font-size: 13px; }
svg.chart { width: 100%; height: auto; background: #fff; }
svg text { font: 11px system-ui, sans-serif; fill: #3e4c59; }
.legend span { display: inline-block; margin-right: 14px; font-size: 13px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
.empty { color: #7b8794; font-style: italic; }
footer { margin-top: 30px; color: #7b8794; font-size: 12px; }
"""


@dataclass(frozen=True)
class Bar:
    key: str                 # the category (a day, a line, a reason)
    series: str              # what is counted
    value: float
    label: str               # what the hover title says
    colour: str


def delay_histogram(delays: Sequence[float]) -> list[tuple[str, int]]:
    counts = [0] * len(DELAY_BINS)
    for d in delays:
        for i, (_label, upper) in enumerate(DELAY_BINS):
            if d < upper:
                counts[i] += 1
                break
    return [(label, n) for (label, _u), n in zip(DELAY_BINS, counts)]


def bar_chart(chart_id: str, title: str, groups: list[tuple[str, list[Bar]]], *, percent: bool = False,
              width: int = 840, height: int = 200) -> str:
    """Vertical bars, grouped by category (one group per day, line or bin)."""
    if not groups or not any(b for _k, bars in groups for b in bars):
        return f'<p class="empty" id="{chart_id}">Nothing to show for this period.</p>'
    highest = max([b.value for _k, bars in groups for b in bars] + [1])
    top = 1.0 if percent else float(math.ceil(highest / 4) * 4)     # four gridlines on whole numbers
    left, bottom, head = 36, 34, 12
    plot_w, plot_h = width - left - 8, height - bottom - head
    slot = plot_w / len(groups)
    per = max(len(bars) for _k, bars in groups)
    bar_w = max(2.0, min(40.0, (slot * 0.8) / per))
    parts = [f'<svg class="chart" id="{chart_id}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}">']
    for i in range(5):                                   # gridlines with their values
        y = head + plot_h - plot_h * i / 4
        value = top * i / 4
        shown = f"{value:.0%}" if percent else f"{value:g}"
        parts.append(f'<line x1="{left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e7eb"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{shown}</text>')
    for g, (key, bars) in enumerate(groups):
        x0 = left + slot * g + (slot - bar_w * len(bars)) / 2
        for b_i, bar in enumerate(bars):
            h = plot_h * (bar.value / top) if top else 0
            x, y = x0 + bar_w * b_i, head + plot_h - h
            parts.append(f'<rect class="bar" data-series="{escape(bar.series)}" data-key="{escape(bar.key)}" '
                         f'data-value="{bar.value:g}" x="{x:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{bar.colour}"><title>{escape(bar.label)}</title></rect>')
        parts.append(f'<text x="{left + slot * g + slot / 2:.1f}" y="{height - bottom + 16}" '
                     f'text-anchor="middle">{escape(key)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def legend() -> str:
    return '<p class="legend">' + "".join(f'<span><i style="background:{c}"></i>{escape(name)}</span>'
                                          for _k, name, c in DAY_SERIES) + "</p>"


def render_report(*, business: str, period: str, stats: dict, number: Callable[[str], str],
                  seconds: Callable[[float | None], str], generated: str) -> str:
    """The whole page for one `Store.stats` result (`number` and `seconds` format for people)."""
    t = stats["totals"]
    figures = [
        (t["missed_calls"], "missed calls"), (t["texted"], "texted back"),
        (t["replied"], f"replied ({_rate(t['reply_rate'])})"),
        (t["recovered"], f"leads recovered of {t['leads']} ({_rate(t['recovery_rate'])})"),
        (seconds(t["median_seconds"]) or "-", "hang-up to text, median"),
        (seconds(t["staff_response_median_seconds"]) or "-", "staff answer, median"),
        (t["unanswered_replies"], "replies nobody answered"), (t["opt_outs"], "opt-outs"),
    ]
    days = [(d["day"][5:], [Bar(d["day"], key, d[key], f"{d['day']}: {d[key]} {name}", colour)
                            for key, name, colour in DAY_SERIES]) for d in stats["by_day"]]
    histogram = delay_histogram(stats.get("text_delays_seconds", []))
    delays = [(label, [Bar(label, "texts", n, f"{n} text(s) sent {label} after the hang-up", "#3b82f6")])
              for label, n in histogram] if any(n for _l, n in histogram) else []
    lines = [(number(r["line"]) if r["line"] else "(no line)",
              [Bar(r["line"] or "(no line)", "reply_rate", r["reply_rate"] or 0.0,
                   f"{number(r['line']) if r['line'] else '(no line)'}: {_rate(r['reply_rate'])} of "
                   f"{r['texted']} texted replied", "#f59e0b")]) for r in stats["by_line"]]
    skipped = [(reason, [Bar(reason, "skipped", n, f"{n} call(s) skipped: {reason}", "#9aa5b1")])
               for reason, n in sorted(t["skipped"].items(), key=lambda kv: -kv[1])]
    body = [
        f"<h1>{escape(business)}: missed calls and text-back</h1>",
        f'<p class="period">{escape(period)}</p>',
        '<div class="figures">' + "".join(f'<div class="figure"><b>{escape(str(v))}</b><span>{escape(label)}</span>'
                                          "</div>" for v, label in figures) + "</div>",
        "<h2>Per day: missed, texted, replied, recovered</h2>", legend(),
        bar_chart("per-day", "missed, texted, replied and recovered per day", days),
        "<h2>Hang-up to text sent</h2>",
        bar_chart("text-delays", "how long after the hang-up the first text left", delays),
        "<h2>Reply rate per business line</h2>",
        bar_chart("reply-rate", "share of texted callers who replied, per line", lines, percent=True),
        "<h2>Skipped calls by reason</h2>",
        bar_chart("skipped", "calls not texted, by reason", skipped),
        f"<footer>textback report, made {escape(generated)}. Leads recovered: callers who replied, were "
        "called back, or called again and got through within 7 days of the missed call.</footer>",
    ]
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(business)}: text-back report</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _rate(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "-"
