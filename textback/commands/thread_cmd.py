"""`textback thread NUMBER|ID`: one contact's calls and messages in order; marks replies read."""
from __future__ import annotations

import logging

import click

from textback.commands.shop_store import load_settings, open_store, renderer, resolve_number
from textback.output import Column, emit, listing_options

log = logging.getLogger(__name__)
MARK_READ_WAIT_MS = 1000

_STATE_COLOURS = {"failed": "red", "cancelled": "bright_black", "delivered": "green", "sent": "green",
                  "scheduled": "cyan", "sending": "cyan", "received": "yellow"}
COLUMNS = (
    Column("at", "WHEN", "time", 16),
    Column("item", "WHAT", "text", 7),
    Column("direction", "DIR", "text", 3),
    Column("kind", "KIND", "text", 13),
    Column("state", "STATE", "text", 24,
           style=lambda r: {"fg": _STATE_COLOURS[r["state"]]} if r["state"] in _STATE_COLOURS else {}),
    Column("detail", "DETAIL", "text", 30),
    Column("body", "TEXT", "body", 60),
    Column("id", "ID", "int", 6),
)


def contact_number(ref: str, store, config) -> str:
    """NUMBER (as staff type it) or a contact ID from `textback inbox`."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) <= 6:
        # Short digit strings are IDs: no textable number is that short.
        number = store.contact_number_by_id(int(ref))
        if number is None:
            raise click.BadParameter(f"no contact with ID {ref}: see the IDs in textback inbox --all",
                                     param_hint="NUMBER|ID")
        return number
    return resolve_number(ref, config)


@click.command("thread")
@click.argument("ref", metavar="NUMBER|ID")
@click.option("--keep-unread", is_flag=True, help="Do not mark the replies as read.")
@listing_options
@click.pass_context
def thread(ctx, ref, keep_unread, fmt):
    """The calls and messages of one contact, oldest first, with each message's state."""
    config = load_settings(ctx)
    out = renderer(config, fmt)
    with open_store(config) as store:
        number = contact_number(ref, store, config)
        items = store.thread_items(number)
        contact = store.contact(number)
        if fmt == "table":
            shown = store.contact_name(contact) if contact else ""
            name = f" ({shown})" if shown else ""
            flags = "".join(f" [{w}]" for w, on in (("opted out", contact and contact.opted_out),
                                                     ("blocked", contact and contact.blocked)) if on)
            click.echo(f"Thread with {out.number(number)}{out.human(name, 'text')}{flags}")
        emit(out.listing(items, COLUMNS, empty=f"Nothing recorded for {out.number(number)}."))
        if items and not keep_unread:
            _mark_read(store, number)
        if fmt == "table" and items:
            click.echo(f'Answer with: textback reply {number} "your text"')


def _mark_read(store, number: str) -> None:
    """Reading must work without write access or while the worker writes: say so, do not fail."""
    import peewee as pw

    from store.errors import StoreError
    try:
        if not store.is_postgresql:
            # Reading must not hang on a busy worker: marking read may wait 1 s, not the usual 5.
            store.db.execute_sql(f"PRAGMA busy_timeout = {MARK_READ_WAIT_MS}")
        marked = store.mark_read(number)
    except (StoreError, pw.DatabaseError) as exc:
        click.echo(f"note: could not mark the replies as read ({exc}); they stay unread in the inbox",
                   err=True)
        return
    log.debug("marked %d repl(ies) from %s read", marked, number)
