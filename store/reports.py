"""Read-side verbs for the staff command line: inbox, thread, call log, stats, export.

Records out (store/records.py: aware UTC datetimes, E.164 numbers): formatting for people
is the CLI's job (textback/output.py). Everything here is a read, so listings work while
the worker holds the write lock (WAL readers never wait).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import peewee as pw

from store import conversations, outbound, rows, times
from store.models import INBOUND, Models
from store.records import (
    CallOutcome,
    ExportRow,
    InboxEntry,
    MessageRecord,
    OptOutEntry,
    QueueSummary,
    Reply,
    ThreadItem,
)

TEXTED = ("sent", "delivered")


# -- inbox ----------------------------------------------------------------------------------------
def inbox(models: Models, include_read: bool, limit: int, exclude: Sequence[str]) -> list[InboxEntry]:
    """Conversations waiting for an answer, newest reply first; with `include_read`,
    answered and done ones after them. `exclude`: staff phones, never customers.

    A customer reply waits (read_at is NULL) until someone answers the conversation
    or marks it done (store/conversations.py); reading it changes nothing.
    Reads only what it shows, however many years the store holds: the waiting replies
    (the message_unread partial index), and with include_read the newest replies
    (message_inbound) until `limit` conversations are found; then each shown
    conversation's own counts by message.contact_id."""
    Message, Contact = models.Message, models.Contact
    inbound = Message.direction == INBOUND      # literal: the partial indexes match it
    replies = inbound & (Message.kind == conversations.CUSTOMER_REPLY)    # a staff phone's texts are not news
    candidates = {r.contact_id for r in Message.select(Message.contact)
                  .where(inbound & Message.read_at.is_null())}
    if include_read:
        candidates |= _recent_repliers(models, limit)
    # A possible opt-out stays in the inbox, answered or not, until staff settle it.
    held = {c.id for c in Contact.select(Contact.id).where(Contact.awaiting_staff_at.is_null(False))}
    candidates |= held
    groups = []
    for contact_id in candidates:
        unread = pw.fn.SUM(pw.Case(None, [(Message.read_at.is_null(), 1)], 0))
        g = (Message.select(unread.alias("unread"), pw.fn.COUNT(Message.id).alias("replies"),
                            pw.fn.MAX(Message.id).alias("last_id"))
             .where((Message.contact == contact_id) & replies).dicts().get())
        if g["replies"] and (include_read or g["unread"] or contact_id in held):
            groups.append(dict(g, contact=contact_id))
    groups.sort(key=lambda g: (g["contact"] not in held, g["unread"] == 0, -g["last_id"]))
    skip = set(exclude)
    out: list[InboxEntry] = []
    for g in groups:
        contact = Contact.get_by_id(g["contact"])
        if contact.number in skip:
            continue
        if len(out) >= limit:
            break
        last = Message.get_by_id(g["last_id"])
        answer = conversations.last_answer(models, contact.id)
        waiting = int(g["unread"] or 0)
        out.append(InboxEntry(contact_id=contact.id, number=contact.number,
                              name=rows.shown_name(models, contact.number, contact.name),
                              state=conversations.conversation_state(waiting, answer, contact.done_at),
                              unread=waiting, replies=g["replies"],
                              last_reply_at=last.received_at or last.created_at, last_reply=last.body,
                              answered_by=answer.by if answer else None, answered_at=answer.at if answer else None,
                              done_by=contact.done_by if contact.done_at else None,
                              opted_out=contact.opted_out, blocked=contact.blocked, flag=contact_flag(contact)))
    return out


def contact_flag(contact: rows.Row) -> str:
    """What staff must see first about a contact: a possible opt-out waiting for them, or
    that the number's owner said "wrong number"."""
    if contact.awaiting_staff_at is not None:
        return "possible opt-out"
    return "wrong_number" if contact.wrong_number else ""


def _recent_repliers(models: Models, limit: int, page: int = 500) -> set[int]:
    """The contacts of the newest replies, newest first, until `limit` of them: pages
    of message_inbound from the top, so years of replies behind them are never read."""
    Message = models.Message
    seen: set[int] = set()
    before = None
    while len(seen) < limit:
        # IS NOT NULL: the unread query (which lacks it) must take message_unread, not this.
        where = (Message.direction == INBOUND) & Message.received_at.is_null(False)
        if before is not None:
            where &= Message.received_at < before
        found = list(Message.select(Message.contact, Message.received_at).where(where)
                     .order_by(Message.received_at.desc()).limit(page))
        for r in found:
            seen.add(r.contact_id)
            if len(seen) >= limit:
                break
        if len(found) < page:
            break
        before = found[-1].received_at
    return seen


def replies_after(models: Models, message_id: int) -> list[Reply]:
    """Inbound messages stored after `message_id`, oldest first (for `inbox --follow`)."""
    Message, Contact = models.Message, models.Contact
    # Customer replies only: a staff phone's texts to the modem are not news for the inbox.
    found = (Message.select(Message, Contact).join(Contact)
             .where((Message.direction == "in") & (Message.kind == "reply") & (Message.id > message_id))
             .order_by(Message.id))
    return [Reply(id=m.id, contact_id=m.contact.id, number=m.contact.number,
                  name=rows.shown_name(models, m.contact.number, m.contact.name), kind=m.kind,
                  received_at=m.received_at or m.created_at, body=m.body, flag=m.flag or "")
            for m in found]


def last_message_id(models: Models) -> int:
    return int(models.Message.select(pw.fn.MAX(models.Message.id)).scalar() or 0)


# -- one contact ----------------------------------------------------------------------------------
def contact_number_by_id(models: Models, contact_id: int) -> str | None:
    row = models.Contact.get_or_none(models.Contact.id == contact_id)
    return str(row.number) if row else None


def thread_items(models: Models, number: str) -> list[ThreadItem]:
    """The calls and messages of one contact, oldest first, each with its state.

    A call also says what became of it (`outcome`: "texted (delivered)", "skipped:
    premium"...), not only that it was planned. A cancelled text is placed when it was
    cancelled (the reply or answered call that cancelled it), not at the future time it
    was due (`due_at` keeps that)."""
    Call = models.Call
    messages = outbound.thread(models, number)
    first_texts: dict[int, MessageRecord] = {}
    for m in messages:
        if m.kind == "text_back" and m.call_id is not None:
            first_texts.setdefault(m.call_id, m)
    items = []
    calls = list(Call.select().where(Call.caller_number == number))
    for c in calls:
        state = c.state + (f": {c.skip_reason}" if c.skip_reason else "")
        items.append(ThreadItem(at=c.happened_at, item="call", id=c.id, direction=c.direction,
                                kind=c.disposition or c.queue_status or c.reason or "call", body="",
                                state=state, outcome=_outcome(c, first_texts.get(c.id)), detail=c.caller_name,
                                sent_by=None, due_at=None))
    inbound_times = sorted(m.received_at or m.created_at for m in messages if m.direction == "in")
    call_times = sorted(c.happened_at for c in calls)
    for m in messages:
        if m.direction == "in":
            at = m.received_at or m.created_at
            detail = m.flag.replace("_", " ").replace("opt out", "opt-out") if m.flag else ""
        else:
            at = m.sent_at or m.due_at or m.created_at
            if m.status == "cancelled" and not m.sent_at:
                at = _cancelled_at(m, inbound_times, call_times)
            detail = m.error or m.cancel_reason or ""
            if m.number != number:
                detail = f"to {m.number}" + (f"; {detail}" if detail else "")
            if m.sent_by:
                detail = f"by {m.sent_by}" + (f"; {detail}" if detail else "")
        if m.modem:
            # Several SIMs ([[modem]]): which one the text came in on or left (or must leave)
            # from, so a receptionist of a two-line shop knows which number the customer uses.
            detail = f"via modem {m.modem}" + (f"; {detail}" if detail else "")
        items.append(ThreadItem(at=at, item="message", id=m.id, direction=m.direction, kind=m.kind,
                                body=m.body, state=m.status, outcome=m.status, detail=detail or "",
                                sent_by=m.sent_by, due_at=m.due_at))
    # A cancelled text comes after the reply or call that cancelled it (same moment).
    items.sort(key=lambda i: (i.at, i.item != "call", i.state == "cancelled", i.id))
    return items


# -- calls ----------------------------------------------------------------------------------------
def call_report(models: Models, since: datetime | None, skipped_only: bool, limit: int | None) -> list[CallOutcome]:
    """Each call (newest first) and what became of it: texted, or skipped and why."""
    Call, Message = models.Call, models.Message
    query = Call.select().order_by(Call.happened_at.desc(), Call.id.desc())
    if since is not None:
        query = query.where(Call.happened_at >= since)
    if skipped_only:
        query = query.where(Call.state == "skipped")
    if limit:
        query = query.limit(limit)
    calls = list(query)
    first_texts: dict[int, Any] = {}
    if calls:
        found = (Message.select().where((Message.call.in_([c.id for c in calls]))
                                        & (Message.kind == "text_back")).order_by(Message.id))
        for m in found:
            first_texts.setdefault(m.call_id, m)
    out = []
    for c in calls:
        text = first_texts.get(c.id)
        out.append(CallOutcome(id=c.id, happened_at=c.happened_at, caller=c.caller_number or c.caller_raw,
                               caller_name=c.caller_name, business_line=c.business_line,
                               status=c.disposition or c.queue_status or c.reason or "", direction=c.direction,
                               state=c.state, skip_reason=c.skip_reason or "", outcome=_outcome(c, text),
                               text_sent_at=text.sent_at if text else None))
    return out


# -- opt-outs, queue, export ----------------------------------------------------------------------
def opted_out_contacts(models: Models) -> list[OptOutEntry]:
    """Numbers we must not text (opted out or blocked by staff), newest change first."""
    Contact, Event = models.Contact, models.OptOutEvent
    found = Contact.select().where(Contact.opted_out | Contact.blocked).order_by(Contact.updated_at.desc())
    out = []
    for c in found:
        last = (Event.select().where(Event.contact == c.id).order_by(Event.at.desc(), Event.id.desc()).first())
        # The evidence: the latest opt-out or block, with the rule that matched.
        proof = (Event.select().where((Event.contact == c.id) & Event.action.in_(["opt_out", "block"]))
                 .order_by(Event.at.desc(), Event.id.desc()).first())
        out.append(OptOutEntry(contact_id=c.id, number=c.number, name=rows.shown_name(models, c.number, c.name),
                               opted_out=c.opted_out, blocked=c.blocked,
                               since=(c.opted_out_at if c.opted_out else None) or (last.at if last else c.updated_at),
                               how=f"{last.action} {last.keyword}".strip() + f" ({last.source})" if last else "",
                               wrong_number=c.wrong_number, rule=proof.rule if proof else "",
                               matched=proof.matched if proof else "", text=proof.text if proof else "",
                               message_id=proof.message_id if proof else None,
                               evidence_at=proof.at if proof else None))
    return out


def queue_summary(models: Models, now: datetime) -> QueueSummary:
    """How many texts wait, are due now, are being sent; and the last sent/received times."""
    Message = models.Message
    out = Message.direction == "out"
    scheduled = Message.select().where(out & (Message.status == "scheduled"))
    return QueueSummary(scheduled=scheduled.count(),
                        due_now=scheduled.where(Message.due_at <= now).count(),
                        sending=Message.select().where(out & (Message.status == "sending")).count(),
                        # Too old to send when their turn came (an outage): the last day's.
                        expired_last_day=Message.select().where(
                            out & (Message.status == "expired")
                            & (Message.created_at >= now - timedelta(days=1))).count(),
                        last_sent_at=times.from_db(Message.select(pw.fn.MAX(Message.sent_at)).where(out).scalar()),
                        # The newest reply on the message_inbound partial index (its WHERE spelt
                        # as the index spells it), not a walk over every message ever stored.
                        last_received_at=times.from_db(
                            Message.select(Message.received_at)
                            .where((Message.direction == INBOUND) & Message.received_at.is_null(False))
                            .order_by(Message.received_at.desc()).limit(1).scalar()))


def export_rows(models: Models, since: datetime | None) -> list[ExportRow]:
    """Every call and message (oldest first) as flat rows for a CRM import."""
    Call, Message, Contact = models.Call, models.Message, models.Contact
    calls = Call.select().order_by(Call.happened_at, Call.id)
    messages = Message.select(Message, Contact).join(Contact).order_by(Message.created_at, Message.id)
    if since is not None:
        calls = calls.where(Call.happened_at >= since)
        messages = messages.where(Message.created_at >= since)
    out = [ExportRow(record="call", id=c.id, at=c.happened_at, number=c.caller_number or c.caller_raw,
                     name=c.caller_name, business_line=c.business_line, direction=c.direction,
                     kind=c.disposition or c.queue_status or c.reason, state=c.state,
                     detail=c.skip_reason or "", body="", call_id=c.id, sent_by="") for c in calls]
    names: dict[int, str] = {}
    for m in messages:
        at = (m.received_at if m.direction == "in" else m.sent_at) or m.created_at
        if m.contact.id not in names:
            names[m.contact.id] = rows.shown_name(models, m.contact.number, m.contact.name)
        out.append(ExportRow(record="message", id=m.id, at=at, number=m.contact.number,
                             name=names[m.contact.id], business_line="", direction=m.direction, kind=m.kind,
                             state=m.status, detail=m.error or m.cancel_reason or "", body=m.body,
                             call_id=m.call_id, sent_by=m.sent_by or ""))
    out.sort(key=lambda r: (r.at, r.record != "call", r.id))
    return out


def _cancelled_at(message: MessageRecord, inbound: list[datetime], calls: list[datetime]) -> datetime:
    """When a text that never went was cancelled: at the reply (or STOP) or the call that
    cancelled it, the first one after it was queued; else when it was queued."""
    after = message.created_at
    reason = message.cancel_reason or ""
    if reason in ("replied", "opted_out", "possible_opt_out"):
        events = inbound
    else:
        events = calls if reason in ("answered", "called_back") else []
    later = [t for t in events if t >= after and (message.due_at is None or t <= message.due_at)]
    return later[0] if later else after


def _outcome(call: rows.Row, text: rows.Row | None) -> str:
    if call.state == "skipped":
        return f"skipped: {call.skip_reason or 'no reason recorded'}"
    if call.state == "new":
        return "waiting for the worker"
    if call.state == "logged":
        return "logged only (answered or staff call)"
    if text is None:
        return "planned, no first text"
    if text.status in TEXTED:
        return "texted" + (" (delivered)" if text.status == "delivered" else "")
    if text.status == "failed":
        return f"text failed: {text.error or 'no reason given'}"
    if text.status == "cancelled":
        return f"text cancelled: {text.cancel_reason or 'no reason given'}"
    return f"text {text.status}"
