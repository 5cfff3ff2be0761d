"""`textback stats`: does text-back pay? Missed calls, texted, replies, leads recovered,
how fast the text went and how fast staff answered, opt-outs."""
from __future__ import annotations

from dataclasses import asdict

import click

from textback.commands.periods import HELP as PERIOD_HELP
from textback.commands.periods import parse_period
from textback.commands.shop_store import load_settings, open_store, renderer
from textback.output import Column, emit, listing_options

BAR = 30    # characters for the busiest day
NO_LINE = "(no line)"
COUNTS = (Column("missed_calls", "MISSED", "int", 6), Column("texted", "TEXTED", "int", 6),
          Column("replied", "REPLIED", "int", 7), Column("reply_rate", "REPLY RATE", "rate", 10),
          Column("recovered", "RECOVERED", "int", 9))
LINE_COLUMNS = (Column("line", "LINE", "number", 20),) + COUNTS
DAY_COLUMNS = ((Column("day", "DAY", "text", 10),) + COUNTS
               + (Column("chart", "# texted  . not texted", "text", BAR + 2),))
CSV_COLUMNS = (Column("scope", "SCOPE"), Column("key", "KEY")) + COUNTS + (
    Column("leads", "LEADS"), Column("recovery_rate", "RECOVERY RATE"),
    Column("median_seconds", "MEDIAN"), Column("p90_seconds", "P90"), Column("opt_outs", "OPT-OUTS"),
    Column("unanswered_replies", "UNANSWERED"), Column("staff_response_median_seconds", "STAFF MEDIAN"),
    Column("wrong_number", "WRONG NUMBER"))


def chart(days: list[dict]) -> None:
    """A text bar per day: '#' for texted calls, '.' for missed calls that got no text."""
    busiest = max((d["missed_calls"] for d in days), default=0) or 1
    for d in days:
        scale = BAR / max(busiest, BAR)
        texted = round(d["texted"] * scale)
        d["chart"] = "#" * texted + "." * (round(d["missed_calls"] * scale) - texted)


def rate(value: float | None) -> str:
    return f"{value:.0%}" if value is not None else "-"


@click.command("stats")
@click.option("--since", default="30d", show_default=True, metavar="WHEN", help=f"Start: {PERIOD_HELP}.")
@click.option("--until", metavar="WHEN", help="End (a date includes that day) [default: now].")
@listing_options
@click.pass_context
def stats(ctx, since, until, fmt):
    """Missed calls, texts sent, reply rate, leads recovered and speed, by business line and by day."""
    config = load_settings(ctx)
    period = parse_period(since, until, config.business.tz)
    out = renderer(config, fmt)
    with open_store(config) as store:
        # The record as a document: the lines below add to it (the chart) and drop from it.
        report = asdict(store.stats(period.since, config.business.tz, until=period.until))
    report.pop("text_delays_seconds")          # the HTML report's histogram; a long list here
    totals = report["totals"]
    if out.fmt == "json":
        emit(out.json(report))
        return
    if out.fmt == "csv":
        rows = [dict(totals, scope="total", key=period.label)]
        rows += [dict(r, scope="line", key=r["line"]) for r in report["by_line"]]
        rows += [dict(r, scope="day", key=r["day"]) for r in report["by_day"]]
        emit(out.listing(rows, CSV_COLUMNS))
        return
    if period.until is None:
        click.echo(f"Since {out.time(period.since)} ({since}):")
    else:
        click.echo(f"From {out.time(period.since)} to {out.time(period.until)} ({period.label}):")
    if not totals["missed_calls"]:
        click.echo("  No missed calls in this period.")
    click.echo(f"  missed calls  {totals['missed_calls']}\n  texted        {totals['texted']}\n"
               f"  replied       {totals['replied']} (reply rate {rate(totals['reply_rate'])})")
    click.echo(f"  leads recovered {totals['recovered']} of {totals['leads']} caller(s) "
               f"({rate(totals['recovery_rate'])}): replied, were called back, or called again and got through")
    if totals["median_seconds"] is not None:
        click.echo(f"  hang-up to text sent: median {out.human(totals['median_seconds'], 'seconds')}, "
                   f"90% within {out.human(totals['p90_seconds'], 'seconds')}")
    click.echo(f"  unanswered replies {totals['unanswered_replies']}"
               + (" (see them with: textback inbox)" if totals["unanswered_replies"] else ""))
    if totals["staff_response_median_seconds"] is not None:
        click.echo("  staff answered a text in: median "
                   f"{out.human(totals['staff_response_median_seconds'], 'seconds')}")
    click.echo(f"  opt-outs      {totals['opt_outs']}")
    if totals["wrong_number"]:
        click.echo(f"  wrong_number  {totals['wrong_number']} (said it is not the caller's number)")
    if totals["expired"]:
        click.echo(f"  expired       {totals['expired']} (too old to send when their turn came)")
    for reason, count in totals["skipped"].items():
        click.echo(f"  skipped: {reason:14} {count}")
    if report["by_line"]:
        click.echo("\nBy business line:")
        emit(out.listing([dict(r, line=r["line"] or NO_LINE) for r in report["by_line"]], LINE_COLUMNS))
    if report["by_day"]:
        click.echo("\nBy day:")
        chart(report["by_day"])
        emit(out.listing(report["by_day"], DAY_COLUMNS))
