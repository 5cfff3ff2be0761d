"""`textback inbox`: conversations waiting for an answer; --follow watches for new replies.

A conversation waits here until someone answers it (textback reply, or a staff phone)
or marks it done (textback done ID); `--all` shows answered and done ones too.
Staff phones are never listed as customers.
"""
from __future__ import annotations

import time

import click

from textback.commands.shop_store import (
    load_settings,
    open_store,
    renderer,
    staff_phones,
)
from textback.output import Column, emit, listing_options

_NEW = Column("unread", "UNREAD", "int", 6, style=lambda r: {"fg": "yellow", "bold": True} if r["unread"] else {})
COLUMNS = (
    Column("contact_id", "ID", "int", 6),
    Column("number", "NUMBER", "number", 20),
    Column("name", "NAME", "text", 20),
    Column("state", "STATE", "text", 8),
    Column("unread", "UNREAD", "int", 6),
    Column("last_reply_at", "LAST REPLY", "time", 16),
    Column("last_reply", "TEXT", "body", 50),
    Column("opted_out", "OPTED OUT", "flag", 9),
    Column("answered_by", "ANSWERED BY", "text", 20),
    Column("answered_at", "ANSWERED AT", "time", 16),
    Column("done_by", "DONE BY", "text", 20),
    Column("flag", "FLAG", "text", 16, style=lambda r: {"fg": "red", "bold": True} if r.get("flag") else {}),
)
TABLE_COLUMNS = (
    Column("contact_id", "ID", "int", 6),
    Column("number", "NUMBER", "number", 20),
    Column("name", "NAME", "text", 20),
    _NEW,
    Column("last_reply_at", "LAST REPLY", "time", 16),
    Column("opted_out", "OPTED OUT", "flag", 9),
    Column("last_reply", "TEXT", "body", 50),
)
ALL_TABLE_COLUMNS = TABLE_COLUMNS[:3] + (Column("state", "STATE", "text", 8), ) + TABLE_COLUMNS[3:-1] + (
    Column("answered_by", "ANSWERED BY", "text", 16), TABLE_COLUMNS[-1])
# A possible opt-out waiting for staff (textback block / done), or "wrong_number": shown
# only when some conversation has one, so the everyday table keeps its width.
FLAG = Column("flag", "FLAG", "text", 16, style=lambda r: {"fg": "red", "bold": True} if r.get("flag") else {})


def flagged(rows: list[dict], columns: tuple[Column, ...]) -> tuple[Column, ...]:
    return columns[:-1] + (FLAG, columns[-1]) if any(getattr(r, "flag", "") for r in rows) else columns


FOLLOW_COLUMNS = (
    Column("contact_id", "ID", "int", 6),
    Column("received_at", "RECEIVED", "time", 16),
    Column("number", "NUMBER", "number", 20),
    Column("name", "NAME", "text", 20),
    Column("body", "TEXT", "body", 60),
)


@click.command("inbox")
@click.option("--all", "show_all", is_flag=True, help="Answered and done conversations too.")
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
    """Conversations waiting for an answer (read one with: textback thread ID)."""
    config = load_settings(ctx)
    out = renderer(config, fmt)
    with open_store(config) as store:
        rows = store.inbox(include_read=show_all, limit=limit, exclude=staff_phones(config))
        last_id = store.last_message_id()
        empty = ("No replies yet." if show_all else
                 "No unread replies: nothing waiting for an answer. "
                 "(textback inbox --all shows answered and done ones too.)")
        if follow and out.fmt == "json":
            # JSON Lines while following: the listing on one line, then one line per reply.
            click.echo(out.json(out.machine(rows, "text"), compact=True))
        else:
            emit(out.listing(rows, COLUMNS, empty=empty,
                             table_columns=flagged(rows, ALL_TABLE_COLUMNS if show_all else TABLE_COLUMNS)))
        if out.fmt == "table" and rows and not follow:
            click.echo('textback thread ID to read one, reply ID "text" to answer, done ID to close it')
        if follow:
            _follow(store, out, last_id, interval, follow_for, stop_after, staff_phones(config))


def _follow(store, out, last_id, interval, follow_for, stop_after, staff: tuple[str, ...]) -> None:
    """Poll for customer replies newer than last_id; one line (or JSON/CSV row) each, with the
    contact's ID to answer with."""
    deadline = None if follow_for is None else time.monotonic() + follow_for
    if out.fmt == "table":
        click.echo("Watching for new replies (Ctrl-C to stop)...")
    shown, header = 0, out.fmt == "csv"
    try:
        while True:
            for reply in store.replies_after(last_id):
                last_id = reply.id
                if reply.number in staff:
                    continue
                if out.fmt == "json":
                    # One JSON object per line: a stream a script can read as it comes.
                    click.echo(out.json(reply, compact=True))
                else:
                    text = out.listing([reply], FOLLOW_COLUMNS).lstrip("\ufeff")   # one BOM: the listing's
                    lines = text.splitlines()
                    if out.fmt == "csv":
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
