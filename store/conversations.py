"""Conversations as the receptionist sees them: waiting in the inbox, answered, or done.

A contact with at least one customer reply is a conversation. Each customer reply
waits (message.read_at is NULL: the inbox's partial index) until someone answers the
conversation (a staff text from the terminal or a staff phone: queue_message of a
staff_reply marks the replies before it handled) or marks it done; a customer text
after that waits again, and `undone` puts the latest reply back by hand. Reading a
thread changes nothing: a conversation leaves the inbox only because a person did
something about it.

Only customer replies count: a staff phone's own texts to the modem (kind "staff")
are filed under the staff phone's number and never make it a customer conversation.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from store import rows
from store.models import INBOUND, Models
from store.records import Answer, ConversationState, SearchHit

log = logging.getLogger(__name__)

STATES = ("open", "answered", "done")
# A second answer this soon after someone else's is probably a double answer.
RECENT_ANSWER = timedelta(minutes=10)
ANSWER_KIND = "staff_reply"
CUSTOMER_REPLY = "reply"


def conversation_state(waiting: int, answer: Answer | None, done_at: datetime | None) -> str:
    """open while a reply waits; else done or answered, whichever came last."""
    if waiting:
        return "open"
    if done_at is not None and (answer is None or done_at >= answer.at):
        return "done"
    return "answered"


def last_answer(models: Models, contact_id: int) -> Answer | None:
    """The latest staff answer (not cancelled) in a contact's thread."""
    Message = models.Message
    row = (Message.select(Message.id, Message.created_at, Message.sent_by, Message.body)
           .where((Message.contact == contact_id) & (Message.direction == "out")
                  & (Message.kind == ANSWER_KIND) & (Message.status != "cancelled"))
           .order_by(Message.id.desc()).first())
    if row is None:
        return None
    return Answer(at=row.created_at, by=row.sent_by or "", id=row.id, body=row.body)


def mark_handled(models: Models, contact_id: int, now: datetime) -> int:
    """Inside the caller's transaction (store/outbound.py's queue_message uses it): the
    contact's waiting replies are dealt with."""
    Message = models.Message
    return int(Message.update({Message.read_at: now})
               .where((Message.contact == contact_id) & (Message.direction == INBOUND)
                      & Message.read_at.is_null()).execute())


def mark_done(models: Models, number: str, by: str, now: datetime) -> bool:
    Contact = models.Contact
    with rows.write(models):
        row = Contact.get_or_none(Contact.number == number)
        if row is None:
            return False
        Contact.update({Contact.done_at: now, Contact.done_by: by, Contact.updated_at: now}
                       ).where(Contact.id == row.id).execute()
        mark_handled(models, row.id, now)
    log.debug("conversation with %s marked done by %s", number, by)
    return True


def mark_undone(models: Models, number: str, now: datetime) -> bool:
    Message, Contact = models.Message, models.Contact
    with rows.write(models):
        row = Contact.get_or_none(Contact.number == number)
        if row is None:
            return False
        latest = (Message.select(Message.id).where((Message.contact == row.id) & (Message.direction == INBOUND)
                                                  & (Message.kind == CUSTOMER_REPLY))
                  .order_by(Message.id.desc()).first())
        if latest is None:
            return False
        Contact.update({Contact.done_at: None, Contact.done_by: None, Contact.updated_at: now}
                       ).where(Contact.id == row.id).execute()
        Message.update({Message.read_at: None}).where(Message.id == latest.id).execute()
    log.debug("conversation with %s back in the inbox", number)
    return True


def conversation_of(models: Models, number: str) -> ConversationState | None:
    Message, Contact = models.Message, models.Contact
    row = Contact.get_or_none(Contact.number == number)
    if row is None:
        return None
    replies = (Message.select(Message.id, Message.read_at)
               .where((Message.contact == row.id) & (Message.direction == INBOUND)
                      & (Message.kind == CUSTOMER_REPLY)))
    waiting = sum(1 for m in replies if m.read_at is None)
    if not replies.count():
        return None
    answer = last_answer(models, row.id)
    return ConversationState(contact_id=row.id, number=row.number,
                             state=conversation_state(waiting, answer, row.done_at), unread=waiting,
                             answered_by=answer.by if answer else None, answered_at=answer.at if answer else None,
                             done_by=row.done_by if row.done_at else None)


def recent_answer(models: Models, number: str, now: datetime, within: timedelta) -> Answer | None:
    Contact = models.Contact
    row = Contact.get_or_none(Contact.number == number)
    answer = last_answer(models, row.id) if row is not None else None
    if answer is None or answer.at < now - within:
        return None
    return answer


def search(models: Models, text: str, limit: int, exclude: Sequence[str]) -> list[SearchHit]:
    Message, Contact, Call = models.Message, models.Contact, models.Call
    wanted = text.casefold()
    digits = "".join(c for c in text if c.isdigit())
    skip = set(exclude)
    found: list[SearchHit] = []
    seen: set[int] = set()

    def add_contact(contact: rows.Row, match: str) -> None:
        if contact.id in seen or contact.number in skip:
            return
        seen.add(contact.id)
        found.append(SearchHit(contact_id=contact.id, number=contact.number,
                               name=rows.shown_name(models, contact.number, contact.name), match=match,
                               at=contact.updated_at, message_id=None, text=""))

    for contact in Contact.select().where(Contact.name.contains(text)):
        if wanted in contact.name.casefold():
            add_contact(contact, "name")
    callers = {c.caller_number for c in Call.select(Call.caller_number, Call.caller_name)
               .where(Call.caller_name.contains(text) & Call.caller_number.is_null(False))
               if wanted in c.caller_name.casefold()}
    if callers:
        for contact in Contact.select().where(Contact.number.in_(sorted(callers))):
            add_contact(contact, "name")
    if len(digits) >= 3:
        for contact in Contact.select().where(Contact.number.contains(digits)):
            add_contact(contact, "number")
    messages = (Message.select(Message, Contact).join(Contact)
                .where(Message.body.contains(text) & ~Message.kind.in_(["forward", "staff"]))
                .order_by(Message.id.desc()).limit(limit * 4))
    for m in messages:
        if wanted not in m.body.casefold() or m.contact.number in skip:
            continue     # a LIKE wildcard (% or _) in `text` matched more than the text
        found.append(SearchHit(contact_id=m.contact.id, number=m.contact.number,
                               name=rows.shown_name(models, m.contact.number, m.contact.name), match="message",
                               at=(m.received_at if m.direction == "in" else m.sent_at) or m.created_at,
                               message_id=m.id, text=m.body))
    return found[:limit]
