"""Planning calls: new_calls, plan_call, and the reading helpers the rules use."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from store.errors import StoreError
from store.facts import CallFact, CallPlan, PlannedMessage

T0 = datetime(2025, 3, 4, 15, 30, tzinfo=timezone.utc)
BOB = "+12125550123"


def record(store, uniqueid, minutes=0, caller="2125550123"):
    return store.record_call(CallFact(uniqueid=uniqueid, caller_raw=caller, disposition="NOANSWER",
                                      happened_at=T0 + timedelta(minutes=minutes)))


def texted(number=BOB, **kw) -> CallPlan:
    return CallPlan(caller_number=number, region="US", messages=(
        PlannedMessage("text_back", "Sorry we missed you - Acme", T0 + timedelta(seconds=30)),
        PlannedMessage("follow_up", "Still need us? Reply STOP to opt out", T0 + timedelta(hours=2), step=1)), **kw)


def test_new_calls_oldest_first_with_limit(store):
    record(store, "c.2", minutes=5)
    record(store, "c.1", minutes=0)
    record(store, "c.3", minutes=9)
    assert [c.fact.uniqueid for c in store.new_calls()] == ["c.1", "c.2", "c.3"]
    assert [c.fact.uniqueid for c in store.new_calls(limit=2)] == ["c.1", "c.2"]


def test_plan_with_messages_schedules_them_and_creates_the_contact(store):
    call_id = record(store, "c.1")
    assert store.plan_call(call_id, texted(), now=T0) == "planned"
    call = store.call(call_id)
    assert (call.state, call.caller_number, call.region, call.planned_at) == ("planned", BOB, "US", T0)
    assert store.contact(BOB).number == BOB
    thread = store.thread(BOB)
    assert [(m.kind, m.step, m.status, m.call_id) for m in thread] == [
        ("text_back", 0, "scheduled", call_id), ("follow_up", 1, "scheduled", call_id)]
    assert store.new_calls() == []


def test_plan_skip_and_log(store):
    anonymous, answered = record(store, "c.1", caller="anonymous"), record(store, "c.2")
    assert store.plan_call(anonymous, CallPlan(caller_number=None, skip_reason="anonymous")) == "skipped"
    assert store.call(anonymous).skip_reason == "anonymous"
    assert store.plan_call(answered, CallPlan(caller_number=BOB)) == "logged"
    assert store.call(answered).state == "logged" and store.thread(BOB) == []


def test_plan_cancel_pending_cancels_that_numbers_scheduled_texts(store):
    store.plan_call(record(store, "c.1"), texted(), now=T0)
    other = store.queue_message("+447700900123", "text_back", "hi", T0)
    answered = record(store, "c.2", minutes=3)
    assert store.plan_call(answered, CallPlan(caller_number=BOB, cancel_pending="answered")) == "logged"
    assert {(m.status, m.cancel_reason) for m in store.thread(BOB)} == {("cancelled", "answered")}
    assert store.message(other).status == "scheduled"


def test_plan_for_an_opted_out_or_blocked_number_is_skipped(store):
    store.opt_out(BOB, "STOP")
    assert store.plan_call(record(store, "c.1"), texted()) == "skipped"
    assert store.call(1).skip_reason == "opted_out"
    store.block("+12125550124")
    assert store.plan_call(record(store, "c.2"), texted("+12125550124")) == "skipped"
    assert store.call(2).skip_reason == "blocked"
    assert all(m.direction == "in" or m.status != "scheduled" for m in store.thread(BOB))


def test_plan_applies_once(store):
    call_id = record(store, "c.1")
    store.plan_call(call_id, texted())
    assert store.plan_call(call_id, texted()) == "already planned"     # the first plan stands; the second is not applied
    assert len(store.thread(BOB)) == 2


def test_plan_errors(store):
    with pytest.raises(StoreError, match="no call with id 99"):
        store.plan_call(99, texted())
    call_id = record(store, "c.1")
    with pytest.raises(StoreError, match="no caller_number"):
        store.plan_call(call_id, CallPlan(caller_number=None, messages=texted().messages))
    assert store.call(call_id).state == "new"     # the failed plan left nothing behind


def test_last_text_back_at_and_texts_for_cap(store):
    assert store.last_text_back_at(BOB) is None
    assert store.texts_for_cap(T0) == 0
    store.plan_call(record(store, "c.1"), texted(), now=T0)
    assert store.last_text_back_at(BOB) == T0           # when the text-back was decided
    assert store.texts_for_cap(T0) == 1                 # planned, not sent yet: it counts already
    claimed = store.claim_due("w1", 60, now=T0 + timedelta(hours=3))
    assert claimed.kind == "text_back"
    store.mark_sent(claimed.id, 7, "w1", now=T0 + timedelta(hours=3))
    assert store.texts_for_cap(T0 + timedelta(hours=2)) == 1
    assert store.texts_for_cap(T0 + timedelta(hours=4)) == 0   # follow-ups waiting do not count
    cancelled = store.queue_message(BOB, "text_back", "later", T0 + timedelta(hours=5))
    assert store.texts_for_cap(T0 + timedelta(hours=4)) == 1
    assert store.last_text_back_at(BOB) > T0
    store.cancel_pending(BOB, "answered", kinds=["text_back"])
    assert store.message(cancelled).status == "cancelled"
    assert store.last_text_back_at(BOB) == T0           # a cancelled text-back does not count
