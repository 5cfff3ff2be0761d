"""`textback report --html FILE`: the owner's page, figures and charts, in one file."""
from __future__ import annotations

import os
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone

import click

from textback.commands.periods import HELP as PERIOD_HELP
from textback.commands.periods import parse_period
from textback.commands.shop_store import load_settings, open_store, renderer


@click.command("report")
@click.option("--html", "html_path", required=True, type=click.Path(dir_okay=False, writable=True),
              metavar="FILE", help="Write the report to this HTML file (one self-contained page).")
@click.option("--since", default="30d", show_default=True, metavar="WHEN", help=f"Start: {PERIOD_HELP}.")
@click.option("--until", metavar="WHEN", help="End (a date includes that day) [default: now].")
@click.pass_context
def report(ctx, html_path, since, until):
    """A page for the owner: missed, texted, replied and recovered per day, hang-up-to-text
    times, reply rate per line, skipped calls by reason. Opens in any browser, offline."""
    from textback.html_report import render_report

    config = load_settings(ctx)
    period = parse_period(since, until, config.business.tz)
    out = renderer(config, "table")
    with open_store(config) as store:
        # The record as a document (html_report reads it by key).
        stats = asdict(store.stats(period.since, config.business.tz, until=period.until))
    now = datetime.now(timezone.utc)
    span = (f"{out.time(period.since)} to {out.time(period.until) if period.until else 'now'}"
            f" ({period.label})")
    page = render_report(business=config.business.name or "Your shop", period=span, stats=stats,
                         number=out.number, seconds=lambda s: out.human(s, "seconds") if s is not None else "",
                         generated=out.time(now))
    folder = os.path.dirname(os.path.abspath(html_path))
    try:
        # Written whole, then renamed: a browser reloading the page never sees half of it.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".report-", suffix=".html")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.chmod(tmp, 0o644)
        os.replace(tmp, html_path)
    except OSError as exc:
        raise click.ClickException(f"cannot write {html_path}: {exc.strerror or exc}; choose a writable path") \
            from None
    totals = stats["totals"]
    click.echo(f"Wrote {html_path}: {totals['missed_calls']} missed call(s), {totals['texted']} texted, "
               f"{totals['recovered']} lead(s) recovered, {span}.")
