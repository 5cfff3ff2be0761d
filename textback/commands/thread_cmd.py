"""`textback thread NUMBER|ID`: one contact's calls and messages in order.

Reading a thread changes nothing: the conversation stays in the inbox until someone
answers it or marks it done (textback done ID).
"""
from __future__ import annotations

import click

from store.records import ConversationState, SearchHit
from textback.commands.shop_store import (
    load_settings,
    open_store,
    renderer,
    resolve_contact,
    staff_phones,
)
from textback.output import Column, as_row, emit, listing_options

_STATE_COLOURS = {"failed": "red", "cancelled": "bright_black", "delivered": "green", "sent": "green",
                  "scheduled": "cyan", "sending": "cyan", "received": "yellow"}


def _state_style(row: dict) -> dict:
    state = row["outcome"].split(" ")[0] if row.get("item") == "call" else row["state"]
    if state == "texted":
        state = "sent"
    return {"fg": _STATE_COLOURS[state]} if state in _STATE_COLOURS else {}


# --json / --csv: every field, as before.
COLUMNS = (
    Column("at", "WHEN", "time", 16),
    Column("item", "WHAT", "text", 7),
    Column("direction", "DIR", "text", 3),
    Column("kind", "KIND", "text", 13),
    Column("state", "STATE", "text", 24, style=_state_style),
    Column("detail", "DETAIL", "text", 30),
    Column("body", "TEXT", "body", 60),
    Column("id", "ID", "int", 6),
    Column("sent_by", "SENT BY", "text", 20),
    Column("outcome", "OUTCOME", "text", 30),
    Column("due_at", "DUE", "time", 16),
)
# The table: what and how in few cells; the detail and the text wrap, never cut.
TABLE_COLUMNS = (
    Column("at", "WHEN", "time", 16),
    Column("direction", "DIR", "text", 3),
    Column("what", "WHAT", "text", 13),
    Column("outcome", "STATE", "text", 24, style=_state_style),
    Column("id", "ID", "int", 6),
    Column("detail", "DETAIL", "text", 40, wrap=True, min_width=12),
    Column("body", "TEXT", "body", 60),
)


def conversation_line(conversation: ConversationState | None, out) -> str:
    """Where the conversation stands, in the receptionist's words."""
    if conversation is None:
        return ""
    state = conversation.state
    if state == "open":
        return "waiting for an answer"
    if state == "answered":
        who = out.human(conversation.answered_by, "text") or "someone"
        return f"answered by {who} at {out.time(conversation.answered_at)}"
    who = out.human(conversation.done_by, "text")
    return "marked done" + (f" by {who}" if who else "")


def _by_number_id_or_name(ref: str, store, config, out) -> str:
    """A number, a contact ID, or a name that names one customer ("Zoe", "dana")."""
    try:
        return resolve_contact(ref, store, config)
    except click.BadParameter as exc:
        if len(ref.strip()) < 2:
            raise
        seen: dict[int, SearchHit] = {}
        for hit in store.search(ref.strip(), limit=50, exclude=staff_phones(config)):
            if hit.match == "name":
                seen.setdefault(hit.contact_id, hit)
        if len(seen) == 1:
            return next(iter(seen.values())).number
        if not seen:
            raise click.BadParameter(f"{exc.message} (nor a name anyone called with: "
                                     f"textback search {ref.strip()!r} looks in the texts too)",
                                     param_hint="NUMBER|ID|NAME") from None
        listed = "; ".join(f"ID {r.contact_id} {out.human(r.name, 'text')} {out.number(r.number)}"
                           for r in list(seen.values())[:5])
        raise click.BadParameter(f"{len(seen)} customers are called {ref.strip()!r}: {listed}. "
                                 "Open one by its ID", param_hint="NUMBER|ID|NAME") from None


@click.command("thread")
@click.argument("ref", metavar="NUMBER|ID|NAME")
@click.option("--keep-unread", is_flag=True, hidden=True,
              help="Kept for old scripts: reading never changes anything now.")
@listing_options
@click.pass_context
def thread(ctx, ref, keep_unread, fmt):
    """The calls and messages of one contact, oldest first, with each message's state."""
    config = load_settings(ctx)
    out = renderer(config, fmt)
    with open_store(config) as store:
        number = _by_number_id_or_name(ref, store, config, out)
        items = [as_row(i) for i in store.thread_items(number)]    # rows: the table adds to them
        contact = store.contact(number)
        if out.fmt == "table":
            conversation = store.conversation_of(number)
            shown = store.contact_name(contact) if contact else ""
            name = f" ({shown})" if shown else ""
            flags = "".join(f" [{w}]" for w, on in (("opted out", contact and contact.opted_out),
                                                     ("blocked", contact and contact.blocked),
                                                     ("wrong_number", contact and contact.wrong_number),
                                                     ("possible opt-out: settle with textback block or "
                                                      "textback done", contact and contact.awaiting_staff_at))
                            if on)
            where = conversation_line(conversation, out)
            click.echo(f"Thread with {out.number(number)}{out.human(name, 'text')}{flags}"
                       + (f": {where}" if where else ""))
            for item in items:
                item["what"] = f"call {item['kind']}" if item["item"] == "call" else item["kind"]
                if item["state"] == "cancelled" and item["due_at"] is not None:
                    item["detail"] = "; ".join(x for x in (item["detail"], f"was due {out.time(item['due_at'])}") if x)
        emit(out.listing(items, COLUMNS, empty=f"Nothing recorded for {out.number(number)}.",
                         table_columns=TABLE_COLUMNS))
        if out.fmt == "table" and items:
            ref_shown = f"{conversation.contact_id}" if conversation else number
            click.echo(f'Answer with: textback reply {ref_shown} "your text"'
                       + (f"  (or: textback done {ref_shown})" if conversation and conversation.state == "open"
                          else ""))
