"""`textback export`: every call and message as CSV (or JSON) for a CRM."""
from __future__ import annotations

import click

from textback.commands.shop_store import (
    load_settings,
    open_store,
    parse_since,
    renderer,
)
from textback.output import BOM, Column, listing_options

COLUMNS = tuple(Column(key, key.upper()) for key in (
    "record", "id", "at", "number", "name", "business_line", "direction", "kind", "state", "detail", "body",
    "call_id", "sent_by"))


@click.command("export")
@click.option("--since", metavar="DURATION", help='Only the last DURATION, e.g. "30d" [default: everything].')
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of stdout (CSV files get a BOM, for Excel).")
@listing_options
@click.pass_context
def export(ctx, since, output, fmt):
    """Calls and messages, oldest first: E.164 numbers, ISO times in the shop's time zone.

    CSV is the default (--csv says so explicitly); --excel adds the UTF-8 byte-order mark
    Excel needs for accents, and so does writing a CSV file with -o.
    """
    config = load_settings(ctx)
    start = parse_since(since)
    if fmt == "table":
        fmt = "csv"          # an export is for a program: CSV unless JSON was asked for
    if output is not None and fmt == "csv":
        fmt = "excel"        # a file is most often opened by a spreadsheet
    out = renderer(config, fmt)
    with open_store(config) as store:
        rows = store.export_rows(start)
    text = out.listing(rows, COLUMNS) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}; "
                                   "choose a writable path") from None
    click.echo(f"Wrote {len(rows)} rows to {output}" + (" (with a BOM, for Excel)" if text.startswith(BOM) else ""),
               err=True)
