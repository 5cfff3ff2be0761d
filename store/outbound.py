"""Outbound queue verbs: queue, claim under a lease, and settle each text.

States: scheduled -> sending (leased) -> sent -> delivered / failed;
scheduled -> cancelled; scheduled / sending -> expired (too old to send); sending -> scheduled again with backoff on a modem
error, until failed with the modem's own error text.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import peewee as pw

from store import times
from store.errors import StoreError, UnknownMessage
from store.models import OUT_KINDS
from store.records import OutboundMessage

log = logging.getLogger(__name__)

# Wait before attempt n+1 after the n-th modem error; the last value repeats.
BACKOFF_SECONDS: tuple[float, ...] = (30, 120, 600, 1800)
MAX_ATTEMPTS = 5


def backoff_delay(attempts: int) -> timedelta:
    """Delay after the `attempts`-th failed try (1-based)."""
    return timedelta(seconds=BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1])


class OutboundVerbs:
    max_attempts = MAX_ATTEMPTS

    def queue_message(self, number: str, kind: str, body: str, due_at: datetime,
                      call_id: int | None = None, contact_number: str | None = None,
                      sent_by: str | None = None) -> int:
        """Schedule one text to `number`; it joins `contact_number`'s thread (default: number's).
        `sent_by`: who wrote a staff text (login name, or the staff phone's number)."""
        if kind not in OUT_KINDS:
            raise StoreError(f"unknown outbound kind {kind!r}: use one of {', '.join(OUT_KINDS)}")
        with self._write():
            contact = self._contact_row(contact_number or number)
            row = self.models.Message.create(
                contact=contact, call=call_id, number=number, direction="out", kind=kind,
                body=body, status="scheduled", due_at=due_at, created_at=times.utcnow(), sent_by=sent_by)
            if kind == "staff_reply":
                # An answer deals with the customer's waiting replies: the conversation
                # leaves the inbox (store/conversations.py).
                self._mark_handled(contact.id, row.created_at)
        return row.id

    def claim_due(self, owner: str, lease_seconds: float, now: datetime | None = None) -> OutboundMessage | None:
        """Lease the next due message to `owner`, or None. Never hands one message out twice.

        SQLite: the transaction is BEGIN IMMEDIATE, so claimers queue on the
        write lock. PostgreSQL: FOR UPDATE SKIP LOCKED, so claimers pass each other.
        """
        Message = self.models.Message
        now = now or times.utcnow()
        with self._write():
            query = (Message.select(Message.id)
                     .where((Message.status == "scheduled") & (Message.due_at <= now))
                     .order_by(Message.due_at, Message.id).limit(1))
            if self.is_postgresql:
                query = query.for_update(skip_locked=True)
            row = query.first()
            if row is None:
                return None
            changed = (Message.update({Message.status: "sending", Message.lease_owner: owner,
                                       Message.lease_expires_at: now + timedelta(seconds=lease_seconds),
                                       Message.attempts: Message.attempts + 1})
                       .where((Message.id == row.id) & (Message.status == "scheduled")).execute())
            if changed != 1:
                return None
            return _outbound(Message.get_by_id(row.id))

    def next_due_at(self) -> datetime | None:
        """When the earliest scheduled message falls due (may be in the past), or None."""
        Message = self.models.Message
        value = (Message.select(pw.fn.MIN(Message.due_at))
                 .where(Message.status == "scheduled").scalar())
        return times.from_db(value)

    def mark_sent(self, message_id: int, reference: int | Sequence[int], owner: str,
                  now: datetime | None = None, *, first_seq: int = 1) -> None:
        """The modem took the text: `reference` is the message reference of each part
        from part `first_seq` on (one int for a one-part text; first_seq > 1 when a send
        cut off by a modem error resumed after the parts store.record_sent_parts kept).

        Recorded even if the lease lapsed meanwhile (the text *was* sent; marking
        it prevents a second send), with a warning when another owner held it.
        """
        Message, SentPart = self.models.Message, self.models.SentPart
        now = now or times.utcnow()
        references = [reference] if isinstance(reference, int) else list(reference)
        if not references and first_seq == 1:
            raise StoreError(f"message {message_id}: marked sent without the reference of any part")
        with self._write():
            row = self._message_row(message_id)
            if row.status not in ("sending", "scheduled"):
                log.warning("message %s sent by %s but it is %s; recording the send", message_id, owner, row.status)
            elif row.lease_owner != owner:
                log.warning("message %s sent by %s but leased to %s", message_id, owner, row.lease_owner)
            self._record_parts(row, references, first_seq, now)
            first = SentPart.get_or_none((SentPart.message == message_id) & (SentPart.seq == 1))
            Message.update({Message.status: "sent", Message.modem_reference: first.reference if first else None,
                            Message.parts: first_seq - 1 + len(references), Message.sent_at: now,
                            Message.lease_owner: None, Message.lease_expires_at: None, Message.error: None}
                           ).where(Message.id == message_id).execute()
            # A resumed text's first parts may have been reported on already.
            self._settle(message_id)

    def retry_later(self, message_id: int, error: str, now: datetime | None = None, *,
                    delay: timedelta | None = None) -> str:
        """A modem error: back to scheduled after a backoff (or `delay`), or failed after
        max_attempts.

        Returns the new status. `error` is the modem's own text, kept for staff.
        """
        Message = self.models.Message
        now = now or times.utcnow()
        with self._write():
            row = self._message_row(message_id)
            if row.status != "sending":
                raise UnknownMessage(f"message {message_id} is {row.status}, not sending: nothing to retry")
            if row.attempts >= self.max_attempts:
                update = {Message.status: "failed", Message.error: error}
            else:
                update = {Message.status: "scheduled", Message.error: error,
                          Message.due_at: now + (delay if delay is not None else backoff_delay(row.attempts))}
            update.update({Message.lease_owner: None, Message.lease_expires_at: None})
            Message.update(update).where(Message.id == message_id).execute()
        status = update[Message.status]
        log.info("message %s: %s after attempt %d (%s)", message_id, status, row.attempts, error)
        return status

    def mark_failed(self, message_id: int, error: str) -> None:
        Message = self.models.Message
        with self._write():
            self._message_row(message_id)
            Message.update({Message.status: "failed", Message.error: error, Message.lease_owner: None,
                            Message.lease_expires_at: None}).where(Message.id == message_id).execute()

    def expire_message(self, message_id: int, why: str) -> int:
        """Not sent: too old when its turn came (store/rules/expiry.py). A first text that
        expires takes its call's follow-ups with it (they would follow up on nothing).
        Returns how many texts were settled (0 when it was no longer pending)."""
        Message = self.models.Message
        with self._write():
            row = self._message_row(message_id)
            changed = (Message.update({Message.status: "expired", Message.error: why, Message.lease_owner: None,
                                       Message.lease_expires_at: None})
                       .where((Message.id == message_id) & Message.status.in_(["scheduled", "sending"]))
                       .execute())
            if changed and row.kind == "text_back" and row.call_id is not None:
                changed += (Message.update({Message.status: "cancelled",
                                            Message.cancel_reason: "first text expired"})
                            .where((Message.call == row.call_id) & (Message.status == "scheduled")
                                   & (Message.kind == "follow_up")).execute())
        return changed

    def release(self, message_id: int, owner: str) -> bool:
        """Give a leased message back untried (clean SIGTERM): scheduled again.

        The attempt the claim counted is given back, so stopping the worker never
        uses up a message's tries. False if `owner` no longer holds the lease.
        """
        Message = self.models.Message
        # CASE, not max(a, b): PostgreSQL's MAX is an aggregate only.
        given_back = pw.Case(None, [(Message.attempts > 0, Message.attempts - 1)], 0)
        with self._write():
            changed = (Message.update({Message.status: "scheduled", Message.lease_owner: None,
                                       Message.lease_expires_at: None, Message.attempts: given_back})
                       .where((Message.id == message_id) & (Message.status == "sending")
                              & (Message.lease_owner == owner)).execute())
        return changed == 1

    def recover_expired_leases(self, now: datetime | None = None) -> int:
        """Put messages whose worker died mid-lease back to scheduled; return how many.

        The attempt stays counted: the modem may have taken the text before the crash.
        """
        Message = self.models.Message
        now = now or times.utcnow()
        with self._write():
            count = (Message.update({Message.status: "scheduled", Message.lease_owner: None,
                                     Message.lease_expires_at: None})
                     .where((Message.status == "sending") & (Message.lease_expires_at < now)).execute())
        if count:
            log.warning("recovered %d message(s) from expired leases", count)
        return count

    def cancel_pending(self, number: str, reason: str, kinds: tuple[str, ...] | list[str] | None = None) -> int:
        """Cancel the scheduled texts *to* `number` (optionally only some kinds); return how many."""
        Message = self.models.Message
        where = (Message.status == "scheduled") & (Message.number == number) & (Message.direction == "out")
        if kinds:
            where &= Message.kind.in_(list(kinds))
        with self._write():
            return (Message.update({Message.status: "cancelled", Message.cancel_reason: reason})
                    .where(where).execute())

    def cancel_message(self, message_id: int, reason: str) -> bool:
        """Cancel one text that is scheduled or leased (e.g. its number opted out after the
        claim); False when it is already past that."""
        Message = self.models.Message
        with self._write():
            changed = (Message.update({Message.status: "cancelled", Message.cancel_reason: reason,
                                       Message.lease_owner: None, Message.lease_expires_at: None})
                       .where((Message.id == message_id) & Message.status.in_(["scheduled", "sending"]))
                       .execute())
        return changed == 1

    def last_forward_to(self, staff_number: str) -> str | None:
        """The customer whose reply was last forwarded (and sent) to this staff phone: a staff
        answer without "#<thread>" goes to them, also after the worker restarted."""
        Message, Contact = self.models.Message, self.models.Contact
        row = (Message.select(Contact.number).join(Contact)
               .where((Message.number == staff_number) & (Message.kind == "forward")
                      & Message.status.in_(["sent", "delivered"]))
               .order_by(Message.sent_at.desc(), Message.id.desc()).first())
        return row.contact.number if row else None

    def message(self, message_id: int) -> dict | None:
        """Every column of one message as a plain dict (contact as its number)."""
        row = self.models.Message.get_or_none(self.models.Message.id == message_id)
        return _as_dict(row) if row else None

    def thread(self, number: str) -> list[dict]:
        """All messages in `number`'s thread, oldest first."""
        Message, Contact = self.models.Message, self.models.Contact
        rows = (Message.select(Message, Contact).join(Contact)
                .where(Contact.number == number).order_by(Message.created_at, Message.id))
        return [_as_dict(r) for r in rows]

    def _message_row(self, message_id: int):
        row = self.models.Message.get_or_none(self.models.Message.id == message_id)
        if row is None:
            raise UnknownMessage(f"no message with id {message_id}")
        return row


def _as_dict(row) -> dict:
    data = {name: getattr(row, name) for name in row._meta.fields if name not in ("contact", "call")}
    data["contact_number"] = row.contact.number
    data["call_id"] = row.call_id
    return data


def _outbound(row) -> OutboundMessage:
    return OutboundMessage(id=row.id, number=row.number, contact_number=row.contact.number, kind=row.kind,
                           step=row.step, body=row.body, call_id=row.call_id, status=row.status,
                           due_at=row.due_at, attempts=row.attempts, lease_owner=row.lease_owner,
                           lease_expires_at=row.lease_expires_at)
