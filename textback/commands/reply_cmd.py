"""`textback reply NUMBER "text"`: queue a staff reply; the worker sends it at once."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import click

from modem.sms.measure import as_sent, describe, explain_non_gsm
from textback.commands.shop_store import load_settings, open_store, renderer, resolve_number

log = logging.getLogger(__name__)


@click.command("reply")
@click.argument("number")
@click.argument("text")
@click.pass_context
def reply(ctx, number, text):
    """Queue a text from the shop to NUMBER (refused for numbers that opted out or are blocked)."""
    config = load_settings(ctx)
    out = renderer(config, "table")
    e164 = resolve_number(number, config)
    if not text.strip():
        raise click.BadParameter("the text is empty: write what to send in quotes", param_hint="TEXT")
    sent = as_sent(text, config.textback.emoji)       # what the modem will get
    measure = describe(sent)
    with open_store(config) as store:
        contact = store.contact(e164)
        if contact and contact.opted_out:
            when = f" on {out.time(contact.opted_out_at)}" if contact.opted_out_at else ""
            raise click.ClickException(
                f"{out.number(e164)} opted out{when}: nothing was queued. They can opt back "
                "in by texting START to the shop's number.")
        if contact and contact.blocked:
            raise click.ClickException(f"{out.number(e164)} is blocked: nothing was queued. "
                                       f"Unblock it first with: textback unblock {e164}")
        message_id = store.queue_message(e164, "staff_reply", text, due_at=datetime.now(timezone.utc))
    if measure.encoding == "UCS-2":
        why = "emoji" if measure.has_emoji else explain_non_gsm(sent)
        click.echo(f"warning: sent as UCS-2 (70 characters per SMS, not 160) because of: {why}", err=True)
    if measure.segments > 1:
        click.echo(f"warning: {measure.segments} SMS parts; each one is billed", err=True)
    click.echo(f"Queued reply {message_id} to {out.number(e164)} ({measure.summary()}); "
               "the worker sends it within seconds (check with: textback thread "
               f"{e164}).")
