"""Call verbs: record what the PBX saw, list new calls, apply the rules' plan."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import peewee as pw

from store import events, outbound, rows, times
from store.errors import StoreError
from store.facts import CALL_FACT_FIELDS, FILLABLE_FIELDS, CallFact
from store.models import NEW, Models
from store.plans import CallPlan
from store.records import CallRecord

log = logging.getLogger(__name__)


def fact_row(fact: CallFact, recorded_at: datetime) -> dict[str, Any]:
    """The column values of a new call row."""
    row: dict[str, Any] = {name: getattr(fact, name) for name in CALL_FACT_FIELDS}
    row["state"] = "new"
    row["recorded_at"] = recorded_at
    return row


def record_call(models: Models, fact: CallFact) -> int:
    Call = models.Call
    for _ in range(2):
        try:
            with rows.write(models):
                existing = Call.get_or_none(Call.uniqueid == fact.uniqueid)
                if existing is None:
                    return int(Call.insert(**fact_row(fact, times.utcnow())).execute())
                if existing.state == "new":
                    filled = {getattr(Call, n): getattr(fact, n) for n in FILLABLE_FIELDS
                              if getattr(existing, n) == "" and getattr(fact, n) != ""}
                    if filled:
                        Call.update(filled).where(Call.id == existing.id).execute()
                return int(existing.id)
        except pw.IntegrityError:
            # PostgreSQL: another process inserted the same uniqueid between
            # our read and insert; the second pass finds its row.
            continue
    raise StoreError(f"could not record call {fact.uniqueid!r}: it kept conflicting; try again")


def call(models: Models, call_id: int) -> CallRecord | None:
    row = models.Call.get_or_none(models.Call.id == call_id)
    return rows.call_record(row) if row else None


def new_calls(models: Models, limit: int, exclude: set[int] | frozenset[int]) -> list[CallRecord]:
    Call = models.Call
    where = Call.state == NEW       # the call_new partial index
    if exclude:
        where &= Call.id.not_in(sorted(exclude))
    found = Call.select().where(where).order_by(Call.happened_at, Call.id).limit(limit)
    return [rows.call_record(r) for r in found]


# plan_call's answer when the call was no longer new: ALREADY + the state another worker gave it.
ALREADY = "already "


def plan_call(models: Models, call_id: int, plan: CallPlan, now: datetime, modem: str | None = None) -> str:
    Call, Message = models.Call, models.Message
    with rows.write(models):
        # The state is read again under the write lock, so a call is planned once however many
        # workers plan (several modems on one store). SQLite's BEGIN IMMEDIATE is that lock;
        # PostgreSQL needs the row locked: a second planner waits, then reads it planned.
        query = Call.select().where(Call.id == call_id)
        if isinstance(models.database, pw.PostgresqlDatabase):
            query = query.for_update()
        row = query.first()
        if row is None:
            raise StoreError(f"no call with id {call_id}")
        if row.state != "new":
            # Another worker planned it first: say so, so its planner does not log the plan
            # it made as if it had been applied (one call would read as planned twice).
            return ALREADY + str(row.state)
        contact = rows.contact_row(models, plan.caller_number) if plan.caller_number else None
        if plan.cancel_pending and plan.caller_number:
            outbound.cancel_pending(models, plan.caller_number, plan.cancel_pending, None)
        skip = plan.skip_reason
        if skip is None and plan.messages and contact is not None:
            if contact.opted_out:
                skip = "opted_out"
            elif contact.blocked:
                skip = "blocked"
            elif contact.awaiting_staff_at is not None:
                skip = "awaiting_staff"
        if skip is None and plan.messages and contact is None:
            raise StoreError(f"plan for call {call_id} has messages but no caller_number")
        state = "skipped" if skip else ("planned" if plan.messages else "logged")
        Call.update({Call.caller_number: plan.caller_number, Call.region: plan.region,
                     Call.contact: contact, Call.state: state, Call.skip_reason: skip,
                     Call.planned_at: now}).where(Call.id == call_id).execute()
        texts = []
        if state == "planned":
            for m in plan.messages:
                created = Message.create(contact=contact, call=call_id, number=plan.caller_number,
                                         direction="out", kind=m.kind, step=m.step, body=m.body,
                                         status="scheduled", due_at=m.due_at, created_at=now, modem=modem)
                texts.append({"message_id": created.id, "kind": m.kind, "step": m.step,
                              "due_at": events.iso(m.due_at)})
        events.emit(models, "call.logged" if skip in NOT_MISSED or state == "logged" else "call.missed",
                    call_data(row, plan, state, skip, texts), now)
    return state


# Calls that were not missed: kept for the record (call.logged), not a call.missed event.
NOT_MISSED = frozenset({"answered", "outbound", "no_status", "not_missed"})


def call_data(row: rows.Row, plan: CallPlan, state: str, skip: str | None,
              texts: list[dict[str, Any]]) -> dict[str, Any]:
    """What a call event says: the call as the PBX saw it, and what textback decided and why."""
    return {"call_id": row.id, "uniqueid": row.uniqueid, "caller": plan.caller_number or row.caller_raw,
            "caller_raw": row.caller_raw, "caller_name": row.caller_name, "line": row.business_line,
            "disposition": row.disposition, "queue_status": row.queue_status, "reason": row.reason,
            "direction": row.direction, "happened_at": row.happened_at,
            "decision": {"planned": "text", "skipped": "skip"}.get(state, "log"), "skip_reason": skip,
            "cancelled_pending": plan.cancel_pending, "texts": texts}


def last_text_back_at(models: Models, number: str, modems: tuple[str, ...] = ()) -> datetime | None:
    Message = models.Message
    where = ((Message.number == number) & (Message.kind == "text_back")
             & (Message.direction == "out") & (Message.status != "cancelled"))
    if modems:
        where &= Message.modem.in_(modems)
    value = Message.select(pw.fn.MAX(Message.created_at).alias("at")).where(where).scalar()
    return times.from_db(value)


def texts_for_cap(models: Models, since: datetime, modems: tuple[str, ...] = ()) -> int:
    """Two counts, each on one index: the sent ones by message_sent_at (an hour's worth of
    rows), the waiting ones by the status index. `status || ''` keeps SQLite off the
    status index for the first (it would walk every text ever delivered)."""
    Message = models.Message
    sent_where = ((Message.sent_at >= since) & (Message.direction == "out")
                  & Message.status.concat("").in_(("sent", "delivered", "failed")))
    waiting_where = (Message.status.in_(("scheduled", "sending"))
                     & (Message.kind == "text_back") & (Message.direction == "out"))
    if modems:
        sent_where &= Message.modem.in_(modems)
        waiting_where &= Message.modem.in_(modems)
    sent = Message.select().where(sent_where).count()
    waiting = Message.select().where(waiting_where).count()
    return int(sent + waiting)


def has_new_calls(models: Models) -> bool:
    Call = models.Call
    return bool(Call.select(Call.id).where(Call.state == NEW).limit(1).exists())
