"""Retention: forget calls, texts and opt-out audit rows older than the shop keeps them.

One job: delete one small batch of old rows per table and say how many went, so the
worker can purge a store of years between sends without holding the write lock for
more than a few milliseconds (the AGI hook waits on that lock). What is never deleted:
contacts (the opted-out and blocked flags live there: an opt-out is kept for ever),
the audit trail of a number that is opted out or blocked now, texts still scheduled
or being sent, and calls not planned yet. `textback export` before a purge keeps a copy.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from store import migrations, rows
from store.models import Models
from store.records import Purged

PURGE_BATCH = 500


def purge_before(models: Models, cutoff: datetime, batch: int) -> Purged:
    Call, Message = models.Call, models.Message
    Event, Contact, Part = models.OptOutEvent, models.Contact, models.InboundPart
    # Messages first: a call's texts go before it, so deleting the call (its foreign key
    # sets message.call_id to NULL) touches as few rows as possible.
    messages = _purge(models, Message, (Message.created_at < cutoff)
                      & Message.status.not_in(("scheduled", "sending")), Message.created_at, batch)
    calls = _purge(models, Call, (Call.happened_at < cutoff) & (Call.state != "new"), Call.happened_at, batch)
    kept = Contact.select(Contact.id).where(Contact.opted_out | Contact.blocked)
    audit = _purge(models, Event, (Event.at < cutoff) & Event.contact.not_in(kept), Event.at, batch)
    parts = _purge(models, Part, Part.received_at < cutoff, Part.received_at, batch)
    Rejected = models.RejectedSms
    rejected = _purge(models, Rejected, Rejected.found_at < cutoff, Rejected.found_at, batch)
    Outbox = models.Event
    events = _purge(models, Outbox, Outbox.at < cutoff, Outbox.at, batch)
    return Purged(calls=calls, messages=messages, audit=audit, parts=parts, rejected=rejected, events=events)


def refresh_statistics(models: Models) -> None:
    with rows.write(models):
        migrations.refresh_statistics(models)


def _purge(models: Models, model: Any, where: Any, oldest: Any, batch: int) -> int:
    ids = model.select(model.id).where(where).order_by(oldest).limit(batch)
    with rows.write(models):
        # Ids first (on the age index), then a delete by primary key.
        chosen = [r.id for r in ids]
        if not chosen:
            return 0
        return int(model.delete().where(model.id.in_(chosen)).execute())
