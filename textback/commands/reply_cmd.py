"""`textback reply NUMBER|ID "text"`: queue a staff reply; the worker sends it.

The text records who wrote it (the login name). When someone else answered the same
conversation in the last 10 minutes, the reply is held back with a warning until it
is confirmed (asked at a terminal; --force in a script): two people answering one
customer is the double answer the receptionist must not send by accident.
"""
from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import click

from modem.sms.measure import as_sent, describe, explain_non_gsm
from store.records import Answer
from textback.commands.shop_store import (
    load_settings,
    open_store,
    renderer,
    resolve_contact,
    staff_login,
)
from textback.commands.status_cmd import modem_worker_note

log = logging.getLogger(__name__)


@click.command("reply")
@click.argument("ref", metavar="NUMBER|ID")
@click.argument("text")
@click.option("--force", is_flag=True, help="Send even though someone else answered in the last 10 minutes.")
@click.option("--as", "sender", metavar="NAME", help="Who is answering [default: your login name].")
@click.pass_context
def reply(ctx, ref, text, force, sender):
    """Queue a text from the shop to NUMBER or contact ID (refused for numbers that opted out or are blocked)."""
    config = load_settings(ctx)
    out = renderer(config, "table")
    if not text.strip():
        raise click.BadParameter("the text is empty: write what to send in quotes", param_hint="TEXT")
    sender = (sender or staff_login()).strip() or staff_login()
    sent = as_sent(text, config.textback.emoji)       # what the modem will get
    measure = describe(sent)
    with open_store(config) as store:
        e164 = resolve_contact(ref, store, config)
        contact = store.contact(e164)
        if contact and contact.opted_out:
            when = f" on {out.time(contact.opted_out_at)}" if contact.opted_out_at else ""
            raise click.ClickException(
                f"{out.number(e164)} opted out{when}: nothing was queued. They can opt back "
                "in by texting START to the shop's number.")
        if contact and contact.blocked:
            raise click.ClickException(f"{out.number(e164)} is blocked: nothing was queued. "
                                       f"Unblock it first with: textback unblock {e164}")
        recent = store.recent_answer(e164)
        if recent and recent.by != sender and not force:
            _confirm_double_answer(recent, e164, ref, out)
        message_id = store.queue_message(e164, "staff_reply", text, due_at=datetime.now(timezone.utc),
                                         sent_by=sender)
        queued = store.message(message_id)
        sim = queued.modem if queued is not None else None
        note = modem_worker_note(store, sim, out)
    log.debug("reply %s to %s queued by %s", message_id, e164, sender)
    if measure.encoding == "UCS-2":
        why = "emoji" if measure.has_emoji else explain_non_gsm(sent)
        click.echo(f"warning: sent as UCS-2 (70 characters per SMS, not 160) because of: {why}", err=True)
    if measure.segments > 1:
        click.echo(f"warning: {measure.segments} SMS parts; each one is billed", err=True)
    when = ("the worker sends it within seconds" if note is None else
            f"it waits until the worker runs: {note}")
    # Several modems: it leaves from the SIM the customer last wrote to (store/routing.py).
    via = f" via modem {sim}, the SIM they last wrote to or were texted from" if sim else ""
    click.echo(f"Queued reply {message_id} to {out.number(e164)} from {out.human(sender, 'text')} "
               f"({measure.summary()}){via}; {when} (check with: textback thread {ref.strip()}).")


def _confirm_double_answer(recent: Answer, e164: str, ref: str, out) -> None:
    minutes = max(0, int((datetime.now(timezone.utc) - recent.at).total_seconds() // 60))
    ago = "less than a minute ago" if minutes == 0 else f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    who = out.number(recent.by) if recent.by.startswith("+") else out.human(recent.by or "someone", "text")
    said = out.human(recent.body, "body")
    warning = f'{who} already answered {out.number(e164)} {ago}: "{said}"'
    if sys.stdin.isatty() and sys.stdout.isatty():
        if click.confirm(f"warning: {warning}\nSend yours as well?", default=False):
            return
        raise click.ClickException("not sent")
    raise click.ClickException(f"not sent: {warning}. To send it as well, run the same command with --force "
                               f"(textback reply {ref.strip()} ... --force)")
