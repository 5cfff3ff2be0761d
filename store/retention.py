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
from typing import NamedTuple

import peewee as pw

from store.migrations import refresh_statistics

PURGE_BATCH = 500


class Purged(NamedTuple):
    calls: int
    messages: int
    audit: int
    parts: int
    rejected: int = 0            # drafts and junk cleared off the modem (store/rejected.py)

    @property
    def total(self) -> int:
        return self.calls + self.messages + self.audit + self.parts + self.rejected


class RetentionVerbs:
    def purge_before(self, cutoff: datetime, batch: int = PURGE_BATCH) -> Purged:
        """Delete up to `batch` rows of each kind older than `cutoff`, oldest first, each
        table in its own short transaction. A batch that comes back short means that
        table is done for this cutoff."""
        Call, Message = self.models.Call, self.models.Message
        Event, Contact, Part = self.models.OptOutEvent, self.models.Contact, self.models.InboundPart
        # Messages first: a call's texts go before it, so deleting the call (its foreign key
        # sets message.call_id to NULL) touches as few rows as possible.
        messages = self._purge(Message, (Message.created_at < cutoff)
                               & Message.status.not_in(("scheduled", "sending")), Message.created_at, batch)
        calls = self._purge(Call, (Call.happened_at < cutoff) & (Call.state != "new"), Call.happened_at, batch)
        kept = Contact.select(Contact.id).where(Contact.opted_out | Contact.blocked)
        audit = self._purge(Event, (Event.at < cutoff) & Event.contact.not_in(kept), Event.at, batch)
        parts = self._purge(Part, Part.received_at < cutoff, Part.received_at, batch)
        Rejected = self.models.RejectedSms
        rejected = self._purge(Rejected, Rejected.found_at < cutoff, Rejected.found_at, batch)
        return Purged(calls=calls, messages=messages, audit=audit, parts=parts, rejected=rejected)

    def _purge(self, model, where, oldest: pw.Field, batch: int) -> int:
        ids = model.select(model.id).where(where).order_by(oldest).limit(batch)
        with self._write():
            # Ids first (on the age index), then a delete by primary key.
            chosen = [r.id for r in ids]
            if not chosen:
                return 0
            return model.delete().where(model.id.in_(chosen)).execute()

    def refresh_statistics(self) -> None:
        """Fresh planner statistics (bounded ANALYZE) after the store changed a lot."""
        with self._write():
            refresh_statistics(self.models)
