"""`textback done ID` and `textback undone ID`: take a conversation out of the inbox without
answering it (a customer who said "thanks!"), or put it back."""
from __future__ import annotations

import click

from textback.commands.shop_store import (
    load_settings,
    open_store,
    renderer,
    resolve_contact,
    staff_login,
)


@click.command("done")
@click.argument("refs", metavar="NUMBER|ID...", nargs=-1, required=True)
@click.pass_context
def done(ctx, refs):
    """Mark conversations done: they leave the inbox until the customer writes again."""
    config = load_settings(ctx)
    out = renderer(config, "table")
    who = staff_login()
    with open_store(config) as store:
        numbers = [resolve_contact(ref, store, config) for ref in refs]
        for number in numbers:
            if store.conversation_of(number) is None:
                raise click.ClickException(f"{out.number(number)} never replied: there is no conversation "
                                           "to mark done (see textback inbox)")
        for ref, number in zip(refs, numbers):
            store.mark_done(number, who)
            click.echo(f"Done: {out.number(number)} left the inbox. Undo with: textback undone {ref.strip()}")


@click.command("undone")
@click.argument("refs", metavar="NUMBER|ID...", nargs=-1, required=True)
@click.pass_context
def undone(ctx, refs):
    """Put conversations back in the inbox until someone answers them or marks them done."""
    config = load_settings(ctx)
    out = renderer(config, "table")
    with open_store(config) as store:
        numbers = [resolve_contact(ref, store, config) for ref in refs]
        for number in numbers:
            if store.conversation_of(number) is None:
                raise click.ClickException(f"{out.number(number)} never replied: there is no conversation "
                                           "to put back (see textback inbox --all)")
        for number in numbers:
            store.mark_undone(number)
            click.echo(f"Back in the inbox: {out.number(number)}.")
