"""The staff `calls` listing: each call and what happened (texted, or skipped and why)."""
from __future__ import annotations

import click

from textback.commands.shop_store import (
    load_settings,
    open_store,
    parse_since,
    renderer,
)
from textback.output import Column, emit, listing_options


def _outcome_style(row: dict) -> dict:
    outcome = row["outcome"]
    if outcome.startswith("texted"):
        return {"fg": "green"}
    if outcome.startswith(("skipped", "text failed")):
        return {"fg": "red" if "failed" in outcome else "yellow"}
    return {}


COLUMNS = (
    Column("id", "ID", "int", 6),
    Column("happened_at", "WHEN", "time", 16),
    Column("caller", "CALLER", "number", 20),
    Column("caller_name", "NAME", "text", 20, drop=1),
    Column("business_line", "LINE", "number", 16, drop=2),
    Column("status", "STATUS", "text", 11),
    Column("outcome", "WHAT HAPPENED", "text", 40, style=_outcome_style, wrap=True, min_width=14),
    Column("text_sent_at", "TEXT SENT", "time", 16, drop=3),
    Column("state", "STATE", "text", 8),
    Column("skip_reason", "SKIP REASON", "text", 16),
)


@click.command("calls")
@click.option("--since", default="7d", show_default=True, metavar="DURATION", help='e.g. "24h", "7d", "30d".')
@click.option("--skipped", is_flag=True, help="Only calls that were not texted, with the reason.")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100000), help="Newest N calls.")
@listing_options
@click.pass_context
def calls(ctx, since, skipped, limit, fmt):
    """Each call, newest first, and what happened: texted, or skipped and why."""
    config = load_settings(ctx)
    start = parse_since(since)
    out = renderer(config, fmt)
    with open_store(config) as store:
        rows = store.call_report(start, skipped_only=skipped, limit=limit)
    shown = COLUMNS if fmt != "table" else COLUMNS[:-2]   # the table says it in WHAT HAPPENED
    what = "skipped calls" if skipped else "calls"
    emit(out.listing(rows, shown, empty=f"No {what} in the last {since}. "
                                        "Check the chain with: textback test-call --from +12125550123"))
