"""`textback export`: every call and message as CSV (or JSON) for a CRM."""
from __future__ import annotations

import click

from textback.commands.shop_store import load_settings, open_store, parse_since, renderer
from textback.output import Column

COLUMNS = tuple(Column(key, key.upper()) for key in (
    "record", "id", "at", "number", "name", "business_line", "direction", "kind", "state", "detail", "body",
    "call_id"))


@click.command("export")
@click.option("--since", metavar="DURATION", help='Only the last DURATION, e.g. "30d" [default: everything].')
@click.option("--json", "as_json", is_flag=True, help="JSON instead of CSV.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of stdout.")
@click.pass_context
def export(ctx, since, as_json, output):
    """Calls and messages, oldest first: E.164 numbers, ISO times in the shop's time zone."""
    config = load_settings(ctx)
    start = parse_since(since)
    out = renderer(config, "json" if as_json else "csv")
    with open_store(config) as store:
        rows = store.export_rows(start)
    text = out.listing(rows, COLUMNS) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        # UTF-8 with a BOM: spreadsheet CRMs (Excel) otherwise read é and emoji as mojibake.
        with open(output, "w", encoding="utf-8-sig" if not as_json else "utf-8", newline="") as fh:
            fh.write(text)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}; "
                                   "choose a writable path") from None
    click.echo(f"Wrote {len(rows)} rows to {output}", err=True)
