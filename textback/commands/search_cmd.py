"""`textback search TEXT`: find a customer by name, by (part of a) number, or by what was written."""
from __future__ import annotations

import click

from textback.commands.shop_store import (
    load_settings,
    open_store,
    renderer,
    staff_phones,
)
from textback.output import Column, emit, listing_options

COLUMNS = (
    Column("contact_id", "ID", "int", 6),
    Column("number", "NUMBER", "number", 20),
    Column("name", "NAME", "text", 20),
    Column("match", "FOUND IN", "text", 10),
    Column("at", "WHEN", "time", 16),
    Column("message_id", "MESSAGE", "int", 7),
    Column("text", "TEXT", "body", 60),
)
TABLE_COLUMNS = tuple(c for c in COLUMNS if c.key != "message_id")


@click.command("search")
@click.argument("text")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@listing_options
@click.pass_context
def search(ctx, text, limit, fmt):
    """Contacts whose name or number holds TEXT, and messages that say it (newest first)."""
    if len(text.strip()) < 2:
        raise click.BadParameter("give at least two characters to look for", param_hint="TEXT")
    config = load_settings(ctx)
    out = renderer(config, fmt)
    with open_store(config) as store:
        rows = store.search(text.strip(), limit=limit, exclude=staff_phones(config))
    emit(out.listing(rows, COLUMNS, table_columns=TABLE_COLUMNS,
                     empty=f"Nothing found for {out.human(text, 'text')!r}."))
    if out.fmt == "table" and rows:
        click.echo("Open one with: textback thread ID")
