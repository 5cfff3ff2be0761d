"""Carrier-limit verbs: what the SIM sent (for the caps of store/rules/pacing.py) and
the filter that keeps held texts out of the claim.

Both counts read the message_sent_at index (a day's or 30 days' rows). `status || ''`
keeps SQLite off the status index, as texts_for_cap does (store/calls.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee as pw

from store import times
from store.models import Models
from store.rules.pacing import Hold

SENT_STATES = ("sent", "delivered", "failed")


def _sent_since(models: Models, since: datetime, modem: str | None = None) -> Any:
    """Texts sent since `since`: from the SIM of `modem` (a sent text's message.modem names
    the modem it left from), or from any (None: the one [modem] counts everything)."""
    Message = models.Message
    where = ((Message.sent_at >= since) & (Message.direction == "out")
             & Message.status.concat("").in_(SENT_STATES))
    return where & (Message.modem == modem) if modem else where


def sent_count_since(models: Models, since: datetime, modem: str | None = None) -> int:
    return int(models.Message.select().where(_sent_since(models, since, modem)).count())


def recipient_count_since(models: Models, since: datetime, modem: str | None = None) -> int:
    Message = models.Message
    return int(Message.select(pw.fn.COUNT(Message.number.distinct()))
               .where(_sent_since(models, since, modem)).scalar() or 0)


def held_filter(models: Models, hold: Hold | None) -> Any:
    """A WHERE clause that leaves out what `hold` holds (None: everything passes). A
    number counts as known to the recipient cap when the held SIM texted it."""
    if hold is None:
        return None
    Message = models.Message
    passes = Message.kind.not_in(list(hold.kinds))
    if hold.known_since is not None:
        known = Message.select(Message.number).where(_sent_since(models, hold.known_since, hold.modem))
        passes |= Message.number.in_(known)
    return passes


def held_sql(kinds: int, known_since: bool, modem: bool) -> str:
    """held_filter in SQL, for the claim's fixed statement (store/send_path.py): after
    `AND`, with `kinds` placeholders for the held kinds and, when `known_since`, one for
    that time and (`modem`) one for the held SIM's modem. Message aliased "m"."""
    passes = f'"m"."kind" NOT IN ({", ".join("?" * kinds)})'
    if known_since:
        states = ", ".join(f"'{s}'" for s in SENT_STATES)
        passes += (' OR "m"."number" IN (SELECT "s"."number" FROM "message" AS "s" WHERE "s"."sent_at" >= ? '
                   f'AND "s"."direction" = \'out\' AND ("s"."status" || \'\') IN ({states})'
                   + (' AND "s"."modem" = ?)' if modem else ")"))
    return f" AND ({passes})"


def held_params(hold: Hold | None) -> list[Any]:
    """The values held_sql's placeholders take, in order."""
    if hold is None:
        return []
    params: list[Any] = list(hold.kinds)
    if hold.known_since is not None:
        params.append(times.to_db(hold.known_since))
        if hold.modem:
            params.append(hold.modem)
    return params


def held_count(models: Models, hold: Hold, now: datetime) -> int:
    """Due texts `hold` keeps waiting: with several modems, those the held SIM would send
    (its own, or for any modem), not another SIM's."""
    Message = models.Message
    where = (Message.status == "scheduled") & (Message.due_at <= now) & ~held_filter(models, hold)
    if hold.modem:
        where &= Message.modem.is_null() | (Message.modem == hold.modem)
    return int(Message.select().where(where).count())
