"""Outbound queue verbs: queue, claim under a lease, and settle each text.

States: scheduled -> sending (leased) -> sent -> delivered / failed;
scheduled -> cancelled; scheduled / sending -> expired (too old to send); sending -> scheduled again
with backoff on a modem error, until failed with the modem's own error text. The parts a text
went out in and the network's reports on them: store/delivery.py.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import peewee as pw

from store import conversations, delivery, events, routing, rows, send_path, sending, times
from store.errors import StoreError, UnknownMessage
from store.models import OUT_KINDS, Models
from store.records import ClaimedText, MessageRecord
from store.rules.pacing import Hold

log = logging.getLogger(__name__)

# Wait before attempt n+1 after the n-th modem error; the last value repeats.
BACKOFF_SECONDS: tuple[float, ...] = (30, 120, 600, 1800)
MAX_ATTEMPTS = 5


def backoff_delay(attempts: int) -> timedelta:
    """Delay after the `attempts`-th failed try (1-based)."""
    return timedelta(seconds=BACKOFF_SECONDS[min(max(attempts, 1), len(BACKOFF_SECONDS)) - 1])


# Texts that answer the customer (a staff answer, a STOP/HELP reply): without a modem
# named, they leave from the SIM the customer last wrote to (store/routing.py).
ROUTED_KINDS = ("staff_reply", "keyword_reply")


def queue_message(models: Models, number: str, kind: str, body: str, due_at: datetime,
                  call_id: int | None, contact_number: str | None, sent_by: str | None,
                  modem: str | None = None) -> int:
    if kind not in OUT_KINDS:
        raise StoreError(f"unknown outbound kind {kind!r}: use one of {', '.join(OUT_KINDS)}")
    with rows.write(models):
        contact = rows.contact_row(models, contact_number or number)
        if modem is None and kind in ROUTED_KINDS and contact_number in (None, number):
            modem = routing.reply_modem(models, contact.id)
        row = models.Message.create(
            contact=contact, call=call_id, number=number, direction="out", kind=kind,
            body=body, status="scheduled", due_at=due_at, created_at=times.utcnow(), sent_by=sent_by,
            modem=modem)
        if kind == conversations.ANSWER_KIND:
            # An answer deals with the customer's waiting replies: the conversation
            # leaves the inbox (store/conversations.py).
            conversations.mark_handled(models, contact.id, row.created_at)
            events.emit(models, "staff.answered", {"message_id": row.id, "to": number, "contact": contact.number,
                                                   "body": body, "sent_by": sent_by, "due_at": due_at},
                        row.created_at)
    return int(row.id)


def claim_text(models: Models, owner: str, lease_seconds: float, now: datetime,
               hold: Hold | None = None, modem: str | None = None,
               takeover_after: timedelta | None = None) -> ClaimedText | None:
    # Under the write lock (BEGIN IMMEDIATE), or FOR UPDATE SKIP LOCKED on PostgreSQL: the
    # pick, the lease, and what the send needs in two fixed statements (store/send_path.py).
    # Several modems: this worker's texts and those for any modem (store/routing.py).
    with rows.write(models):
        return send_path.claim(models, owner, lease_seconds, now, hold, modem,
                               now - takeover_after if takeover_after else None)


def claim_due(models: Models, owner: str, lease_seconds: float, now: datetime,
              hold: Hold | None = None, modem: str | None = None,
              takeover_after: timedelta | None = None) -> MessageRecord | None:
    claimed = claim_text(models, owner, lease_seconds, now, hold, modem, takeover_after)
    return claimed.message if claimed is not None else None


def next_due_at(models: Models, hold: Hold | None = None, modem: str | None = None,
                takeover_after: timedelta | None = None) -> datetime | None:
    Message = models.Message
    where = Message.status == "scheduled"
    held = sending.held_filter(models, hold)
    if held is not None:
        where &= held
    own = routing.claim_filter(models, modem)
    if own is None:
        return times.from_db(Message.select(pw.fn.MIN(Message.due_at)).where(where).scalar())
    if not takeover_after:
        return times.from_db(Message.select(pw.fn.MIN(Message.due_at)).where(where & own).scalar())
    # Takeover: another modem's text is ours to send takeover_after past its time. One
    # statement, both earliest times (an interval sum would differ between the backends).
    mine = pw.fn.MIN(pw.Case(None, [(own, Message.due_at)], None))
    theirs = pw.fn.MIN(pw.Case(None, [(own, None), (routing.untouched(models), Message.due_at)], None))
    found = Message.select(mine, theirs).where(where).tuples().first()
    ours, others = (times.from_db(v) for v in (found or (None, None)))
    candidates = [t for t in (ours, others + takeover_after if others else None) if t is not None]
    return min(candidates) if candidates else None


def mark_sent(models: Models, message_id: int, references: Sequence[int], owner: str, now: datetime,
              first_seq: int, modem: str | None = None, claimed: MessageRecord | None = None) -> None:
    with rows.write(models):
        _record_sent(models, message_id, references, owner, now, first_seq, modem, claimed)


def mark_sent_and_claim(models: Models, message_id: int, references: Sequence[int], owner: str, now: datetime,
                        first_seq: int, modem: str | None, claimed: MessageRecord | None, lease_seconds: float,
                        hold: Hold | None, takeover_after: timedelta | None = None) -> ClaimedText | None:
    """mark_sent, then claim_text, in one transaction: in a burst each text costs one commit
    (one fsync), not two. Each is as durable as alone: the send is recorded, and the next
    text leased, before the modem is given the next text."""
    with rows.write(models):
        _record_sent(models, message_id, references, owner, now, first_seq, modem, claimed)
        return send_path.claim(models, owner, lease_seconds, now, hold, modem,
                               now - takeover_after if takeover_after else None)


def _record_sent(models: Models, message_id: int, references: Sequence[int], owner: str, now: datetime,
                 first_seq: int, modem: str | None, claimed: MessageRecord | None) -> None:
    """mark_sent inside the caller's write transaction."""
    Message, SentPart = models.Message, models.SentPart
    if not references and first_seq == 1:
        raise StoreError(f"message {message_id}: marked sent without the reference of any part")
    # The usual case, a whole text still leased to its sender as the claim returned it:
    # three fixed statements, no read (store/send_path.py).
    if (claimed is not None and claimed.id == message_id
            and send_path.mark_sent(models, claimed, references, owner, now, first_seq, modem)):
        events.emit(models, "text.sent", events.record_data(claimed, parts=len(references), sent_at=now), now)
        return
    row = rows.message_row(models, message_id)
    if row.status not in ("sending", "scheduled"):
        log.warning("message %s sent by %s but it is %s; recording the send", message_id, owner, row.status)
    elif row.lease_owner != owner:
        log.warning("message %s sent by %s but leased to %s", message_id, owner, row.lease_owner)
    delivery.record_parts(models, row, references, first_seq, now)
    # Part 1's reference is at hand unless this send resumed after it.
    first_reference = (references[0] if first_seq == 1 and references else
                       getattr(SentPart.get_or_none((SentPart.message == message_id) & (SentPart.seq == 1)),
                               "reference", None))
    update: dict[Any, Any] = {
        Message.status: "sent", Message.modem_reference: first_reference,
        Message.parts: first_seq - 1 + len(references), Message.sent_at: now,
        Message.lease_owner: None, Message.lease_expires_at: None, Message.error: None}
    if modem is not None:
        update[Message.modem] = modem       # the SIM it left from (store/routing.py)
    Message.update(update).where(Message.id == message_id).execute()
    events.emit(models, "text.sent", events.message_data(row, parts=first_seq - 1 + len(references),
                                                         sent_at=now), now)
    # A resumed text's first parts may have been reported on already. A text sent whole
    # has only the parts just written, none reported yet: nothing to settle (the parts
    # are always numbered 1, 2, ... without gaps, so first_seq 1 means no older ones).
    if first_seq > 1:
        delivery.settle(models, message_id)


def retry_later(models: Models, message_id: int, error: str, now: datetime, max_attempts: int,
                delay: timedelta | None) -> str:
    Message = models.Message
    with rows.write(models):
        row = rows.message_row(models, message_id)
        if row.status != "sending":
            raise UnknownMessage(f"message {message_id} is {row.status}, not sending: nothing to retry")
        update: dict[Any, Any]
        if row.attempts >= max_attempts:
            update = {Message.status: "failed", Message.error: error}
        else:
            update = {Message.status: "scheduled", Message.error: error,
                      Message.due_at: now + (delay if delay is not None else backoff_delay(row.attempts))}
        update.update({Message.lease_owner: None, Message.lease_expires_at: None})
        Message.update(update).where(Message.id == message_id).execute()
        if update[Message.status] == "failed":
            events.emit(models, "text.failed", events.message_data(row, error=error, attempts=row.attempts), now)
    status = str(update[Message.status])
    log.info("message %s: %s after attempt %d (%s)", message_id, status, row.attempts, error)
    return status


def mark_failed(models: Models, message_id: int, error: str) -> None:
    Message = models.Message
    with rows.write(models):
        row = rows.message_row(models, message_id)
        Message.update({Message.status: "failed", Message.error: error, Message.lease_owner: None,
                        Message.lease_expires_at: None}).where(Message.id == message_id).execute()
        if row.status != "failed":
            events.emit(models, "text.failed", events.message_data(row, error=error, attempts=row.attempts))


def expire_message(models: Models, message_id: int, why: str) -> int:
    Message = models.Message
    with rows.write(models):
        row = rows.message_row(models, message_id)
        changed = int(Message.update({Message.status: "expired", Message.error: why, Message.lease_owner: None,
                                      Message.lease_expires_at: None})
                      .where((Message.id == message_id) & Message.status.in_(["scheduled", "sending"]))
                      .execute())
        if changed:
            events.emit(models, "text.expired", events.message_data(row, reason=why))
        if changed and row.kind == "text_back" and row.call_id is not None:
            changed += int(Message.update({Message.status: "cancelled",
                                           Message.cancel_reason: "first text expired"})
                           .where((Message.call == row.call_id) & (Message.status == "scheduled")
                                  & (Message.kind == "follow_up")).execute())
    return changed


def release(models: Models, message_id: int, owner: str) -> bool:
    Message = models.Message
    # CASE, not max(a, b): PostgreSQL's MAX is an aggregate only.
    given_back = pw.Case(None, [(Message.attempts > 0, Message.attempts - 1)], 0)
    with rows.write(models):
        changed = (Message.update({Message.status: "scheduled", Message.lease_owner: None,
                                   Message.lease_expires_at: None, Message.attempts: given_back})
                   .where((Message.id == message_id) & (Message.status == "sending")
                          & (Message.lease_owner == owner)).execute())
    return bool(changed == 1)


def recover_expired_leases(models: Models, now: datetime) -> int:
    Message = models.Message
    with rows.write(models):
        count = int(Message.update({Message.status: "scheduled", Message.lease_owner: None,
                                    Message.lease_expires_at: None})
                    .where((Message.status == "sending") & (Message.lease_expires_at < now)).execute())
    if count:
        log.warning("recovered %d message(s) from expired leases", count)
    return count


def cancel_pending(models: Models, number: str, reason: str, kinds: Sequence[str] | None,
                   keep: Sequence[str] = ()) -> int:
    """Cancel the scheduled texts *to* `number` (optionally only some kinds, or all but the
    `keep` kinds); return how many. The contact and call verbs use it inside their own
    transactions."""
    Message = models.Message
    where = (Message.status == "scheduled") & (Message.number == number) & (Message.direction == "out")
    if kinds:
        where &= Message.kind.in_(list(kinds))
    if keep:
        where &= Message.kind.not_in(list(keep))
    with rows.write(models):
        return int(Message.update({Message.status: "cancelled", Message.cancel_reason: reason})
                   .where(where).execute())


def cancel_message(models: Models, message_id: int, reason: str) -> bool:
    Message = models.Message
    with rows.write(models):
        changed = (Message.update({Message.status: "cancelled", Message.cancel_reason: reason,
                                   Message.lease_owner: None, Message.lease_expires_at: None})
                   .where((Message.id == message_id) & Message.status.in_(["scheduled", "sending"]))
                   .execute())
    return bool(changed == 1)


def last_forward_to(models: Models, staff_number: str) -> str | None:
    Message, Contact = models.Message, models.Contact
    row = (Message.select(Contact.number).join(Contact)
           .where((Message.number == staff_number) & (Message.kind == "forward")
                  & Message.status.in_(["sent", "delivered"]))
           .order_by(Message.sent_at.desc(), Message.id.desc()).first())
    return str(row.contact.number) if row else None


def message(models: Models, message_id: int) -> MessageRecord | None:
    row = models.Message.get_or_none(models.Message.id == message_id)
    return rows.message_record(row) if row else None


def thread(models: Models, number: str) -> list[MessageRecord]:
    Message, Contact = models.Message, models.Contact
    found = (Message.select(Message, Contact).join(Contact)
             .where(Contact.number == number).order_by(Message.created_at, Message.id))
    return [rows.message_record(r) for r in found]
