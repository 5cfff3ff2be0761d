"""Call verbs: record what the PBX saw, list new calls, apply the rules' plan."""
from __future__ import annotations

import logging
from datetime import datetime

import peewee as pw

from store import times
from store.errors import StoreError
from store.facts import CALL_FACT_FIELDS, FILLABLE_FIELDS, CallFact
from store.plans import CallPlan
from store.models import NEW
from store.records import CallRecord

log = logging.getLogger(__name__)


def fact_row(fact: CallFact, recorded_at: datetime) -> dict:
    """The column values of a new call row."""
    row = {name: getattr(fact, name) for name in CALL_FACT_FIELDS}
    row["state"] = "new"
    row["recorded_at"] = recorded_at
    return row


class CallVerbs:
    def record_call(self, fact: CallFact) -> int:
        """Record one call; the same uniqueid twice is one row (returns its id)."""
        Call = self.models.Call
        for _ in range(2):
            try:
                with self._write():
                    existing = Call.get_or_none(Call.uniqueid == fact.uniqueid)
                    if existing is None:
                        return Call.insert(**fact_row(fact, times.utcnow())).execute()
                    if existing.state == "new":
                        filled = {getattr(Call, n): getattr(fact, n) for n in FILLABLE_FIELDS
                                  if getattr(existing, n) == "" and getattr(fact, n) != ""}
                        if filled:
                            Call.update(filled).where(Call.id == existing.id).execute()
                    return existing.id
            except pw.IntegrityError:
                # PostgreSQL: another process inserted the same uniqueid between
                # our read and insert; the second pass finds its row.
                continue
        raise StoreError(f"could not record call {fact.uniqueid!r}: it kept conflicting; try again")

    def call(self, call_id: int) -> CallRecord | None:
        row = self.models.Call.get_or_none(self.models.Call.id == call_id)
        return _record(row) if row else None

    def new_calls(self, limit: int = 100, exclude: set[int] | frozenset[int] = frozenset()) -> list[CallRecord]:
        """Calls the worker has not planned yet, oldest first; `exclude`: ids it is holding."""
        Call = self.models.Call
        where = Call.state == NEW       # the call_new partial index
        if exclude:
            where &= Call.id.not_in(sorted(exclude))
        rows = Call.select().where(where).order_by(Call.happened_at, Call.id).limit(limit)
        return [_record(r) for r in rows]

    def plan_call(self, call_id: int, plan: CallPlan, now: datetime | None = None) -> str:
        """Apply the rules' decision in one transaction; return the call's new state.

        A plan with messages -> `planned` and the messages scheduled. A plan
        with a skip_reason -> `skipped`. A plan with neither -> `logged` (kept
        for the record only, e.g. an ANSWER that just cancels what is pending).
        As a last guard, a number that is opted out or blocked *now* is skipped
        whatever the plan says: STOP must win a race with the planner.
        """
        Call, Message = self.models.Call, self.models.Message
        now = now or times.utcnow()
        with self._write():
            row = Call.get_or_none(Call.id == call_id)
            if row is None:
                raise StoreError(f"no call with id {call_id}")
            if row.state != "new":
                log.info("call %s is already %s; plan ignored", call_id, row.state)
                return row.state
            contact = self._contact_row(plan.caller_number) if plan.caller_number else None
            if plan.cancel_pending and plan.caller_number:
                self.cancel_pending(plan.caller_number, plan.cancel_pending)
            skip = plan.skip_reason
            if skip is None and plan.messages and contact is not None:
                if contact.opted_out:
                    skip = "opted_out"
                elif contact.blocked:
                    skip = "blocked"
            if skip is None and plan.messages and contact is None:
                raise StoreError(f"plan for call {call_id} has messages but no caller_number")
            state = "skipped" if skip else ("planned" if plan.messages else "logged")
            Call.update({Call.caller_number: plan.caller_number, Call.region: plan.region,
                         Call.contact: contact, Call.state: state, Call.skip_reason: skip,
                         Call.planned_at: now}).where(Call.id == call_id).execute()
            if state == "planned":
                for m in plan.messages:
                    Message.create(contact=contact, call=call_id, number=plan.caller_number,
                                   direction="out", kind=m.kind, step=m.step, body=m.body,
                                   status="scheduled", due_at=m.due_at, created_at=now)
        return state

    def last_text_back_at(self, number: str) -> datetime | None:
        """When the last text_back to `number` was created (any status but cancelled)."""
        Message = self.models.Message
        row = (Message.select(pw.fn.MAX(Message.created_at).alias("at"))
               .where((Message.number == number) & (Message.kind == "text_back")
                      & (Message.direction == "out") & (Message.status != "cancelled"))
               .scalar())
        return times.from_db(row)

    def texts_for_cap(self, since: datetime) -> int:
        """What the hourly cap counts: texts handed to the modem since `since`, plus first
        texts already planned and still waiting to go — so a burst of calls planned in one
        pass cannot slip past the cap before any of them is sent.

        Two counts, each on one index: the sent ones by message_sent_at (an hour's worth of
        rows), the waiting ones by the status index. `status || ''` keeps SQLite off the
        status index for the first (it would walk every text ever delivered)."""
        Message = self.models.Message
        sent = (Message.select().where((Message.sent_at >= since) & (Message.direction == "out")
                                       & Message.status.concat("").in_(("sent", "delivered", "failed")))
                .count())
        waiting = (Message.select().where(Message.status.in_(("scheduled", "sending"))
                                          & (Message.kind == "text_back") & (Message.direction == "out"))
                   .count())
        return sent + waiting

    def has_new_calls(self) -> bool:
        """Whether any call waits to be planned (one row of the call_new index)."""
        Call = self.models.Call
        return Call.select(Call.id).where(Call.state == NEW).limit(1).exists()


def _record(row) -> CallRecord:
    fact = CallFact(**{name: getattr(row, name) for name in CALL_FACT_FIELDS})
    return CallRecord(id=row.id, fact=fact, state=row.state, caller_number=row.caller_number,
                      region=row.region, skip_reason=row.skip_reason, recorded_at=row.recorded_at,
                      planned_at=row.planned_at)
