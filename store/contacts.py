"""Contact verbs: who a number is, and whether we may text it (opt-out, block)."""
from __future__ import annotations

import logging

from store import times
from store.records import ContactInfo

log = logging.getLogger(__name__)


class ContactVerbs:
    def _contact_row(self, number: str, create: bool = True):
        """The contact row for `number` (inside the caller's transaction), created if asked."""
        Contact = self.models.Contact
        row = Contact.get_or_none(Contact.number == number)
        if row is None and create:
            now = times.utcnow()
            row = Contact.create(number=number, created_at=now, updated_at=now)
        return row

    def contact(self, number: str) -> ContactInfo | None:
        row = self._contact_row(number, create=False)
        if row is None:
            return None
        return ContactInfo(number=row.number, name=row.name, opted_out=row.opted_out,
                           opted_out_at=row.opted_out_at, blocked=row.blocked, created_at=row.created_at)

    def is_opted_out(self, number: str) -> bool:
        row = self._contact_row(number, create=False)
        return bool(row and row.opted_out)

    def is_blocked(self, number: str) -> bool:
        row = self._contact_row(number, create=False)
        return bool(row and row.blocked)

    def opt_out(self, number: str, keyword: str = "", message_id: int | None = None,
                source: str = "sms") -> int:
        """Honour a STOP at once: flag the contact and cancel its scheduled texts.

        Returns how many scheduled messages were cancelled. The confirmation
        text is queued by the caller *after* this, so it is not cancelled.
        """
        with self._write():
            now = times.utcnow()
            row = self._contact_row(number)
            if not row.opted_out:
                row.opted_out, row.opted_out_at, row.updated_at = True, now, now
                row.save()
            self._event(row, "opt_out", keyword, message_id, source, now)
            cancelled = self.cancel_pending(number, "opted_out")
        log.info("opt-out from %s (%s): %d scheduled message(s) cancelled", number, keyword or source, cancelled)
        return cancelled

    def opt_in(self, number: str, keyword: str = "", message_id: int | None = None,
               source: str = "sms") -> None:
        with self._write():
            now = times.utcnow()
            row = self._contact_row(number)
            row.opted_out, row.opted_out_at, row.updated_at = False, None, now
            row.save()
            self._event(row, "opt_in", keyword, message_id, source, now)

    def block(self, number: str, source: str = "cli") -> int:
        """Staff `textback block`: never text this number; cancels what is scheduled."""
        with self._write():
            now = times.utcnow()
            row = self._contact_row(number)
            row.blocked, row.updated_at = True, now
            row.save()
            self._event(row, "block", "", None, source, now)
            return self.cancel_pending(number, "blocked")

    def unblock(self, number: str, source: str = "cli") -> None:
        with self._write():
            now = times.utcnow()
            row = self._contact_row(number)
            row.blocked, row.updated_at = False, now
            row.save()
            self._event(row, "unblock", "", None, source, now)

    def opt_out_events(self, number: str) -> list[dict]:
        """The audit trail for one number, oldest first."""
        E = self.models.OptOutEvent
        rows = E.select().where(E.number == number).order_by(E.at, E.id)
        return [{"action": r.action, "keyword": r.keyword, "source": r.source, "at": r.at,
                 "message_id": r.message_id} for r in rows]

    def _event(self, contact, action, keyword, message_id, source, at) -> None:
        self.models.OptOutEvent.create(contact=contact, number=contact.number, action=action,
                                       keyword=keyword or "", message=message_id, source=source, at=at)
