"""The figures `textback stats` and `textback report` show: does text-back pay?

Missed calls, texted, replies, leads recovered, how fast the text went and how fast
staff answered, opt-outs; in total, by business line and by day. A read only: it works
while the worker holds the write lock. Records out (store/records.py).
"""
from __future__ import annotations

import math
import statistics
from datetime import datetime, tzinfo
from typing import Any

from store import conversations
from store.leads import median, recovered, response_delays
from store.models import INBOUND, Models
from store.records import DayTally, LineTally, Stats, Totals
from store.reports import TEXTED
from store.rules.keywords import Keyword, classify


def stats(models: Models, since: datetime, tz: tzinfo, until: datetime | None) -> Stats:
    """Does text-back pay: missed calls, texted, replies, leads recovered, speed of the
    text and of staff, opt-outs; by line and by day. `until` (exclusive) ends the period."""
    Call, Message, Event = models.Call, models.Message, models.OptOutEvent
    in_period = Call.happened_at >= since
    if until is not None:
        in_period &= Call.happened_at < until
    calls = list(Call.select().where(in_period & (Call.direction == "in")
                                     & (Call.state != "logged") & (Call.disposition != "ANSWER"))
                 .order_by(Call.happened_at))
    sent: dict[int, Any] = {}
    if calls:
        for m in (Message.select().where((Message.call.in_([c.id for c in calls]))
                                         & (Message.kind == "text_back") & Message.status.in_(TEXTED))):
            sent.setdefault(m.call_id, m)
    reply_times: dict[str, list[datetime]] = {}
    numbers = {c.caller_number for c in calls if c.caller_number}
    if numbers:
        for m in (Message.select().where((Message.direction == "in") & (Message.kind == "reply")
                                         & Message.number.in_(list(numbers))).order_by(Message.id)):
            # A STOP answers the text but is not the conversation text-back is for (texts
            # stored before the keyword rules flagged them are read again).
            if m.flag != "opt_out" and not (m.flag is None and classify(m.body) is Keyword.OPT_OUT):
                reply_times.setdefault(m.number, []).append(m.received_at or m.created_at)
    reached = _reached_after(models, numbers, since, reply_times)
    total = _tally()
    by_line: dict[str, dict[str, Any]] = {}
    by_day: dict[str, dict[str, Any]] = {}
    skipped: dict[str, int] = {}
    delays = []
    for c in calls:
        text = sent.get(c.id)
        replied = bool(text and any(at >= c.happened_at for at in reply_times.get(c.caller_number, ())))
        day = c.happened_at.astimezone(tz).date().isoformat()
        got_back = bool(c.caller_number) and recovered(c.happened_at, reached.get(c.caller_number, ()))
        for bucket in (total, by_line.setdefault(c.business_line or "", _tally()),
                       by_day.setdefault(day, _tally())):
            bucket["missed_calls"] += 1
            bucket["texted"] += bool(text)
            bucket["replied"] += replied
            if c.caller_number:
                bucket["_leads"].add(c.caller_number)
                if got_back:
                    bucket["_recovered"].add(c.caller_number)
        if c.state == "skipped":
            skipped[c.skip_reason or "unknown"] = skipped.get(c.skip_reason or "unknown", 0) + 1
        if text and text.sent_at:
            delays.append(max(0.0, (text.sent_at - c.happened_at).total_seconds()))
    opt_outs = Event.select().where((Event.action == "opt_out") & (Event.at >= since)).count()
    expired = (Message.select().where((Message.direction == "out") & (Message.status == "expired")
                                      & (Message.created_at >= since)).count())
    # Numbers whose owner said "wrong number": not the caller we wanted.
    said_wrong = Event.wrong_number & (Event.at >= since)
    if until is not None:
        said_wrong &= Event.at < until
    wrong_numbers = Event.select(Event.number).distinct().where(said_wrong).count()
    median_seconds, p90 = _speed(delays)
    unanswered, staff_median = _staff_answers(models, numbers, since, until)
    counts = {k: v for k, v in total.items() if not k.startswith("_")}
    totals = Totals(**counts, median_seconds=median_seconds, p90_seconds=p90, opt_outs=opt_outs, expired=expired,
                    skipped=dict(sorted(skipped.items())), unanswered_replies=unanswered,
                    staff_response_median_seconds=staff_median, wrong_number=wrong_numbers, **_rates(total))
    return Stats(since=since, until=until, totals=totals,
                 by_line=tuple(LineTally(**_counts(v), **_rates(v), line=k) for k, v in sorted(by_line.items())),
                 by_day=tuple(DayTally(**_counts(v), **_rates(v), day=k) for k, v in sorted(by_day.items())),
                 text_delays_seconds=tuple(sorted(round(d, 1) for d in delays)))


def _reached_after(models: Models, numbers: set[str], since: datetime,
                   reply_times: dict[str, list[datetime]]) -> dict[str, list[datetime]]:
    """When each caller was reached: their replies, and answered calls with them (a staff
    call-back that got through, or the caller calling again and getting through)."""
    Call = models.Call
    reached = {n: list(times_) for n, times_ in reply_times.items()}
    if numbers:
        for c in (Call.select(Call.caller_number, Call.happened_at)
                  .where(Call.caller_number.in_(sorted(numbers)) & (Call.happened_at >= since)
                         & (Call.disposition == "ANSWER"))):
            reached.setdefault(c.caller_number, []).append(c.happened_at)
    return reached


def _staff_answers(models: Models, numbers: set[str], since: datetime,
                   until: datetime | None) -> tuple[int, float | None]:
    """Customer texts in the period nobody has answered yet, and the median time from a
    customer's text to the staff answer (per conversation, store/leads.py)."""
    Message, Contact = models.Message, models.Contact
    waiting = (Message.select().where((Message.direction == INBOUND) & Message.read_at.is_null()
                                      & (Message.kind == conversations.CUSTOMER_REPLY)))
    unanswered = 0
    for m in waiting:
        at = m.received_at or m.created_at
        if at >= since and (until is None or at < until) and classify(m.body) is not Keyword.OPT_OUT:
            unanswered += 1
    replies: dict[str, list[datetime]] = {}
    answers: dict[str, list[datetime]] = {}
    contacts = {c.id: c.number for c in Contact.select(Contact.id, Contact.number)
                .where(Contact.number.in_(sorted(numbers)))} if numbers else {}
    if contacts:
        for m in (Message.select(Message.contact, Message.direction, Message.kind, Message.body,
                                 Message.received_at, Message.created_at)
                  .where(Message.contact.in_(list(contacts)) & (Message.created_at >= since))):
            number = contacts[m.contact_id]
            if (m.direction == "in" and m.kind == conversations.CUSTOMER_REPLY
                    and classify(m.body) is not Keyword.OPT_OUT):
                replies.setdefault(number, []).append(m.received_at or m.created_at)
            elif m.direction == "out" and m.kind == "staff_reply":
                answers.setdefault(number, []).append(m.created_at)
    return unanswered, median(response_delays(replies, answers))


def _tally() -> dict[str, Any]:
    return {"missed_calls": 0, "texted": 0, "replied": 0, "_leads": set(), "_recovered": set()}


def _counts(t: dict[str, Any]) -> dict[str, int]:
    return {k: v for k, v in t.items() if not k.startswith("_")}


def _rates(t: dict[str, Any]) -> dict[str, Any]:
    """The rates of a tally; leads are callers (one a number, however often they called)."""
    leads, got = len(t["_leads"]), len(t["_recovered"])
    return {"reply_rate": round(t["replied"] / t["texted"], 3) if t["texted"] else None,
            "leads": leads, "recovered": got, "recovery_rate": round(got / leads, 3) if leads else None}


def _speed(delays: list[float]) -> tuple[float | None, float | None]:
    """Median and 90th percentile (nearest rank) seconds from hang-up to text sent."""
    if not delays:
        return None, None
    ordered = sorted(delays)
    return round(statistics.median(ordered), 1), round(ordered[math.ceil(0.9 * len(ordered)) - 1], 1)
