"""`textback inbox`: conversations with unread replies first; --follow watches for new ones."""
from __future__ import annotations

import time

import click

from textback.commands.shop_store import load_settings, open_store, renderer
from textback.output import Column, emit, listing_options

COLUMNS = (
    Column("contact_id", "ID", "int", 6),
    Column("number", "NUMBER", "number", 20),
    Column("name", "NAME", "text", 20),
    Column("unread", "UNREAD", "int", 6, style=lambda r: {"fg": "yellow", "bold": True} if r["unread"] else {}),
    Column("last_reply_at", "LAST REPLY", "time", 16),
    Column("last_reply", "TEXT", "body", 50),
    Column("opted_out", "OPTED OUT", "flag", 9),
)
FOLLOW_COLUMNS = (
    Column("received_at", "RECEIVED", "time", 16),
    Column("number", "NUMBER", "number", 20),
    Column("name", "NAME", "text", 20),
    Column("body", "TEXT", "body", 60),
)


@click.command("inbox")
@click.option("--all", "show_all", is_flag=True, help="Every conversation with replies, read ones too.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100000))
@click.option("--follow", is_flag=True, help="Keep watching and print each new reply as it comes (Ctrl-C stops).")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(0.01, 3600),
              help="With --follow: seconds between looks.")
@click.option("--for", "follow_for", type=click.FloatRange(0, None), metavar="SECONDS",
              help="With --follow: stop after this many seconds.")
@click.option("--count", "stop_after", type=click.IntRange(1, None),
              help="With --follow: stop after this many new replies.")
@listing_options
@click.pass_context
def inbox(ctx, show_all, limit, follow, interval, follow_for, stop_after, fmt):
    """Conversations with unread replies (read them with: textback thread NUMBER)."""
    config = load_settings(ctx)
    out = renderer(config, fmt)
    with open_store(config) as store:
        rows = store.inbox(include_read=show_all, limit=limit)
        last_id = store.last_message_id()
        empty = ("No replies yet." if show_all else
                 "No unread replies. (textback inbox --all shows read ones too.)")
        if follow and fmt == "json":
            # JSON Lines while following: the listing on one line, then one line per reply.
            click.echo(out.json(out.machine(rows, "text"), compact=True))
        else:
            emit(out.listing(rows, COLUMNS, empty=empty))
        if fmt == "table" and rows and not follow:
            click.echo("Read one with: textback thread NUMBER (or its ID)")
        if follow:
            _follow(store, out, last_id, interval, follow_for, stop_after, fmt)


def _follow(store, out, last_id, interval, follow_for, stop_after, fmt) -> None:
    """Poll for inbound messages newer than last_id; one line (or JSON/CSV row) each."""
    deadline = None if follow_for is None else time.monotonic() + follow_for
    if fmt == "table":
        click.echo("Watching for new replies (Ctrl-C to stop)...")
    shown, header = 0, fmt == "csv"
    try:
        while True:
            for reply in store.replies_after(last_id):
                last_id = reply["id"]
                if fmt == "json":
                    # One JSON object per line: a stream a script can read as it comes.
                    click.echo(out.json(reply, compact=True))
                else:
                    text = out.listing([reply], FOLLOW_COLUMNS)
                    lines = text.splitlines()
                    if fmt == "csv":
                        lines = lines if header else lines[1:]
                    else:
                        lines = lines[1:]
                    header = False
                    emit("\n".join(lines))
                shown += 1
                if stop_after and shown >= stop_after:
                    return
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(interval if deadline is None else max(0.0, min(interval, deadline - time.monotonic())))
    except KeyboardInterrupt:
        click.echo("")
