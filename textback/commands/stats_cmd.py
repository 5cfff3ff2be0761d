"""`textback stats`: does text-back pay? Missed calls, texted, replies, speed, opt-outs."""
from __future__ import annotations

import click

from textback.commands.shop_store import load_settings, open_store, parse_since, renderer
from textback.output import Column, emit, listing_options

BAR = 30    # characters for the busiest day
COUNTS = (Column("missed_calls", "MISSED", "int", 6), Column("texted", "TEXTED", "int", 6),
          Column("replied", "REPLIED", "int", 7), Column("reply_rate", "REPLY RATE", "rate", 10))
LINE_COLUMNS = (Column("line", "LINE", "number", 20),) + COUNTS
DAY_COLUMNS = (Column("day", "DAY", "text", 10),) + COUNTS + (Column("chart", "# texted  . not texted", "text", BAR + 2),)
CSV_COLUMNS = (Column("scope", "SCOPE"), Column("key", "KEY")) + COUNTS + (
    Column("median_seconds", "MEDIAN"), Column("p90_seconds", "P90"), Column("opt_outs", "OPT-OUTS"))


def chart(days: list[dict]) -> None:
    """A text bar per day: '#' for texted calls, '.' for missed calls that got no text."""
    busiest = max((d["missed_calls"] for d in days), default=0) or 1
    for d in days:
        scale = BAR / max(busiest, BAR)
        texted = round(d["texted"] * scale)
        d["chart"] = "#" * texted + "." * (round(d["missed_calls"] * scale) - texted)


@click.command("stats")
@click.option("--since", default="30d", show_default=True, metavar="DURATION", help='e.g. "7d", "30d", "12h".')
@listing_options
@click.pass_context
def stats(ctx, since, fmt):
    """Missed calls, texts sent, reply rate and speed, by business line and by day."""
    config = load_settings(ctx)
    start = parse_since(since)
    out = renderer(config, fmt)
    with open_store(config) as store:
        report = store.stats(start, config.business.tz)
    totals = report["totals"]
    if fmt == "json":
        emit(out.json(report))
        return
    if fmt == "csv":
        rows = [dict(totals, scope="total", key=since)]
        rows += [dict(r, scope="line", key=r["line"]) for r in report["by_line"]]
        rows += [dict(r, scope="day", key=r["day"]) for r in report["by_day"]]
        emit(out.listing(rows, CSV_COLUMNS))
        return
    click.echo(f"Since {out.time(start)} ({since}):")
    if not totals["missed_calls"]:
        click.echo("  No missed calls in this period.")
    rate = f"{totals['reply_rate']:.0%}" if totals["reply_rate"] is not None else "-"
    click.echo(f"  missed calls  {totals['missed_calls']}\n  texted        {totals['texted']}\n"
               f"  replied       {totals['replied']} (reply rate {rate})")
    if totals["median_seconds"] is not None:
        click.echo(f"  hang-up to text sent: median {out.human(totals['median_seconds'], 'seconds')}, "
                   f"90% within {out.human(totals['p90_seconds'], 'seconds')}")
    click.echo(f"  opt-outs      {totals['opt_outs']}")
    if totals["expired"]:
        click.echo(f"  expired       {totals['expired']} (too old to send when their turn came)")
    for reason, count in totals["skipped"].items():
        click.echo(f"  skipped: {reason:14} {count}")
    if report["by_line"]:
        click.echo("\nBy business line:")
        emit(out.listing(report["by_line"], LINE_COLUMNS))
    if report["by_day"]:
        click.echo("\nBy day:")
        chart(report["by_day"])
        emit(out.listing(report["by_day"], DAY_COLUMNS))
