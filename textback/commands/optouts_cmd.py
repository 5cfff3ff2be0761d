"""`textback optouts`, `textback block NUMBER`, `textback unblock NUMBER`: who we must not text."""
from __future__ import annotations

import click

from textback.commands.shop_store import (
    load_settings,
    open_store,
    renderer,
    resolve_contact,
)
from textback.output import Column, emit, listing_options

COLUMNS = (
    Column("contact_id", "ID", "int", 6),
    Column("number", "NUMBER", "number", 20),
    Column("name", "NAME", "text", 20),
    Column("opted_out", "OPTED OUT", "flag", 9),
    Column("blocked", "BLOCKED", "flag", 7),
    Column("wrong_number", "WRONG NUMBER", "flag", 12),
    Column("since", "SINCE", "time", 16),
    Column("how", "HOW", "text", 30),
    # The evidence: the rule that matched (keyword, phrase, wrong_number, staff), its
    # words, the text as received and its message id.
    Column("rule", "RULE", "text", 12),
    Column("matched", "MATCHED", "text", 20),
    Column("text", "TEXT", "body", 40),
    Column("message_id", "MESSAGE", "int", 7),
    Column("evidence_at", "MATCHED AT", "time", 16),
)


@click.command("optouts")
@listing_options
@click.pass_context
def optouts(ctx, fmt):
    """Numbers that opted out (STOP) or that staff blocked: nothing is ever texted to them."""
    config = load_settings(ctx)
    out = renderer(config, fmt)
    with open_store(config) as store:
        rows = store.opted_out_contacts()
    emit(out.listing(rows, COLUMNS, empty="No opt-outs and no blocked numbers."))


@click.command("block")
@click.argument("number", metavar="NUMBER|ID")
@click.option("--no-confirmation", is_flag=True,
              help="Send nothing, not even the one opt-out confirmation (a prank or abusive number).")
@click.pass_context
def block(ctx, number, no_confirmation):
    """Never text NUMBER (or contact ID) again (cancels what is scheduled for it; settles a
    possible opt-out).

    The number gets the STOP confirmation once, unless it had one already."""
    config = load_settings(ctx)
    out = renderer(config, "table")
    confirmation = "" if no_confirmation else _confirmation(config)
    with open_store(config) as store:
        e164 = resolve_contact(number, store, config)
        result = store.staff_block(e164, source="cli", confirmation=confirmation)
    tail = f"; {result.cancelled} scheduled text(s) cancelled" if result.cancelled else ""
    if result.confirmation_id:
        tail += "; the opt-out confirmation goes out once"
    click.echo(f"Blocked {out.number(e164)}{tail}. Undo with: textback unblock {e164}")


def _confirmation(config) -> str:
    from textback.worker_settings import shop_settings

    settings = shop_settings(config)
    return settings.reply_text(settings.stop_reply) if settings.stop_reply else ""


@click.command("unblock")
@click.argument("number", metavar="NUMBER|ID")
@click.pass_context
def unblock(ctx, number):
    """Allow texts to NUMBER (or contact ID) again (an opt-out by the caller stays: only they can undo it)."""
    config = load_settings(ctx)
    out = renderer(config, "table")
    with open_store(config) as store:
        e164 = resolve_contact(number, store, config)
        if not store.is_blocked(e164) and store.is_opted_out(e164):
            # the caller's own STOP: staff must not undo it (README, FCC 24-18), so say who can
            raise click.ClickException(f"{out.number(e164)} is not blocked: the caller opted out themselves, "
                                       "and only they can undo that, by texting START to the shop's number")
        if not store.is_blocked(e164):
            raise click.ClickException(f"{out.number(e164)} is not blocked: nothing to undo "
                                       "(see the list with: textback optouts)")
        store.unblock(e164, source="cli")
        still_out = store.is_opted_out(e164)
    note = " It is still opted out: only the caller can undo that, by texting START." if still_out else ""
    click.echo(f"Unblocked {out.number(e164)}.{note}")
