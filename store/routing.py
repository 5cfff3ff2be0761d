"""Several modems sharing one store: which texts a worker's modem may send, and which SIM
a staff answer leaves from.

`message.modem` of an outbound text names the modem it must leave from (None: any); once
sent it names the one it left from (None only with the one [modem]). A modem that is
down holds its own texts: another worker takes them only when [sending] takeover_after
lets it, once they have waited that long past their time.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee as pw

from store.models import Models


def claim_filter(models: Models, modem: str | None, takeover_before: datetime | None = None) -> Any:
    """The WHERE part that keeps a worker to its own texts: those for `modem` or for any
    modem, and (takeover) another modem's that fell due before `takeover_before`. None (no
    filter) for a worker of the one [modem]: it sends every text, as before several modems."""
    if modem is None:
        return None
    Message = models.Message
    mine = Message.modem.is_null() | (Message.modem == modem)
    if takeover_before is not None:
        mine |= (Message.due_at <= takeover_before) & untouched(models)
    return mine


def untouched(models: Models) -> Any:
    """No part of the text went yet. A long text cut off after some parts stays with the
    SIM that sent them, takeover or not: the phone joins parts from one number only."""
    SentPart = models.SentPart
    return pw.NodeList((pw.SQL("NOT"), pw.fn.EXISTS(SentPart.select(SentPart.id)
                                                    .where(SentPart.message == models.Message.id))))


def claim_sql(takeover: bool) -> str:
    """claim_filter in SQL, for the claim's fixed statement (store/send_path.py): after
    `AND`, one placeholder for the modem and (`takeover`) one for takeover_before. Message
    aliased "m"; only for a worker of a named modem (the one [modem] has no filter)."""
    mine = '"m"."modem" IS NULL OR "m"."modem" = ?'
    if takeover:
        # Only a text none of whose parts went (untouched()).
        mine += (' OR ("m"."due_at" <= ? AND NOT EXISTS '
                 '(SELECT 1 FROM "sent_part" AS "q" WHERE "q"."message_id" = "m"."id"))')
    return f" AND ({mine})"


def reply_modem(models: Models, contact_id: int) -> str | None:
    """The SIM a text to this contact should leave from: the one the customer last wrote
    to, else the one the last text to them left from, else None (any). Two look-ups on
    the message_contact index, for staff answers and keyword replies only (not the send path)."""
    Message = models.Message
    base = (Message.contact == contact_id) & Message.modem.is_null(False)
    for where in (base & (Message.direction == "in"),
                  base & (Message.direction == "out") & Message.status.in_(("sent", "delivered"))):
        row = (Message.select(Message.modem).where(where)
               .order_by(Message.id.desc()).limit(1).first())
        if row is not None:
            return str(row.modem)
    return None
