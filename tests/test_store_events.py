"""The event outbox (issue 16): each change writes its event in the same transaction, so a
change that is rolled back leaves no event and a committed one always has its event. A
real SQLite file, the store's own verbs; the JSON is the documented schema (docs/events.md)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from store import Store
from store.events import EVENT_TYPES, SCHEMA, event_json
from store.facts import CallFact
from store.plans import CallPlan, PlannedMessage

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=timezone.utc)
BOB = "+12125550123"


def _events(store: Store) -> list[dict]:
    return [json.loads(event_json(e)) for e in store.events_after(0)]


def _missed(store: Store, uniqueid: str = "c.1") -> int:
    call_id = store.record_call(CallFact(uniqueid=uniqueid, caller_raw="2125550123", caller_name="Bob",
                                         business_line="+12125550100", disposition="NOANSWER", happened_at=T0))
    plan = CallPlan(caller_number=BOB, region="US",
                    messages=(PlannedMessage("text_back", "Sorry we missed you", T0 + timedelta(seconds=30)),))
    store.plan_call(call_id, plan, now=T0 + timedelta(seconds=1))
    return call_id


def test_a_calls_life_writes_each_event_once_in_order(store):
    call_id = _missed(store)
    [text] = [m for m in store.thread(BOB)]
    claimed = store.claim_due("w1", 60, now=T0 + timedelta(seconds=31))
    store.mark_sent(claimed.id, 7, "w1", now=T0 + timedelta(seconds=32))
    store.mark_delivered(7, BOB, True, T0 + timedelta(seconds=35))
    store.record_inbound(BOB, "Can you come Tuesday?", T0 + timedelta(minutes=2), key="k1")
    store.record_inbound(BOB, "Can you come Tuesday?", T0 + timedelta(minutes=2), key="k1")   # read twice
    store.queue_message(BOB, "staff_reply", "Yes, 9am", T0 + timedelta(minutes=3), sent_by="ann")
    store.opt_out(BOB, "STOP")
    store.opt_in(BOB, "START")
    assert store.raise_alert("hourly_cap", "cap reached", T0)
    assert not store.raise_alert("hourly_cap", "cap reached again", T0)   # a refresh is no event
    assert store.clear_alert("hourly_cap", T0)
    assert not store.clear_alert("hourly_cap", T0)
    events = _events(store)
    assert [e["type"] for e in events] == ["call.missed", "text.sent", "text.delivered", "reply.received",
                                           "staff.answered", "contact.opted_out", "contact.opted_in",
                                           "alert.raised", "alert.cleared"]
    assert all(e["schema"] == SCHEMA == 1 for e in events)
    assert len({e["id"] for e in events}) == len(events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    missed = events[0]
    assert missed["at"] == "2026-05-04T14:00:01Z"
    assert missed["data"] == {
        "call_id": call_id, "uniqueid": "c.1", "caller": BOB, "caller_raw": "2125550123", "caller_name": "Bob",
        "line": "+12125550100", "disposition": "NOANSWER", "queue_status": "", "reason": "", "direction": "in",
        "happened_at": "2026-05-04T14:00:00Z", "decision": "text", "skip_reason": None, "cancelled_pending": None,
        "texts": [{"message_id": text.id, "kind": "text_back", "step": 0, "due_at": "2026-05-04T14:00:30Z"}]}
    assert events[1]["data"] == {"message_id": text.id, "to": BOB, "contact": BOB, "kind": "text_back", "step": 0,
                                 "call_id": call_id, "body": "Sorry we missed you", "parts": 1,
                                 "sent_at": "2026-05-04T14:00:32Z"}
    assert events[2]["data"]["delivered_at"] == "2026-05-04T14:00:35Z"
    assert events[3]["data"]["from"] == BOB and events[3]["data"]["body"] == "Can you come Tuesday?"
    assert events[4]["data"]["sent_by"] == "ann" and events[4]["data"]["body"] == "Yes, 9am"
    assert events[5]["data"] == {"number": BOB, "keyword": "STOP", "source": "sms", "message_id": None,
                                 "rule": "", "wrong_number": False}
    assert events[7]["data"] == {"key": "hourly_cap", "text": "cap reached"}
    assert {e["type"] for e in events} <= set(EVENT_TYPES)


def test_a_skipped_call_says_why_and_an_answered_one_is_logged(store):
    anon = store.record_call(CallFact(uniqueid="c.2", caller_raw="anonymous", disposition="BUSY", happened_at=T0))
    store.plan_call(anon, CallPlan(caller_number=None, skip_reason="anonymous"), now=T0)
    answered = store.record_call(CallFact(uniqueid="c.3", caller_raw="2125550123", disposition="ANSWER",
                                          happened_at=T0))
    store.plan_call(answered, CallPlan(caller_number=BOB, skip_reason="answered", cancel_pending="answered"), now=T0)
    skipped, logged = _events(store)
    assert (skipped["type"], skipped["data"]["decision"], skipped["data"]["skip_reason"]) == \
        ("call.missed", "skip", "anonymous")
    assert (logged["type"], logged["data"]["cancelled_pending"]) == ("call.logged", "answered")


def test_failed_and_expired_texts(store):
    first = store.queue_message(BOB, "staff_reply", "one", T0)
    store.claim_due("w1", 60, now=T0)
    store.mark_sent(first, 9, "w1", now=T0)
    store.mark_delivered(9, BOB, False, T0 + timedelta(seconds=5))
    second = store.queue_message(BOB, "staff_reply", "two", T0)
    store.expire_message(second, "too old")
    third = store.queue_message(BOB, "staff_reply", "three", T0)
    store.mark_failed(third, "+CMS ERROR: 38")
    types = [(e["type"], e["data"].get("message_id")) for e in _events(store) if e["type"].startswith("text.")]
    assert types == [("text.sent", first), ("text.failed", first), ("text.expired", second), ("text.failed", third)]


def test_a_change_rolled_back_leaves_no_event(store):
    with pytest.raises(RuntimeError):
        with store.db.atomic():
            store.opt_out(BOB, "STOP")
            raise RuntimeError("the disk went away")
    assert store.events_after(0) == [] and not store.is_opted_out(BOB)


def test_a_new_target_hears_from_now_on_and_its_cursor_moves(store):
    store.opt_out(BOB, "STOP")
    store.prepare_notify_targets(["crm"])
    assert store.pending_events("crm") == []
    store.opt_in(BOB, "START")
    store.raise_alert("disk_full", "disk nearly full", T0)
    assert [e.type for e in store.pending_events("crm", ["alert.raised"])] == ["alert.raised"]
    first, second = store.pending_events("crm")
    assert store.event_failed("crm", "refused", T0 + timedelta(seconds=5)) == 1
    assert store.event_failed("crm", "refused", T0 + timedelta(seconds=10)) == 2
    [state] = store.notify_targets()
    assert (state.failures, state.last_error, state.waiting) == (2, "refused", 2)
    store.event_delivered("crm", first.id)
    store.event_delivered("crm", first.id)            # twice (a crash after the send): no harm
    [state] = store.notify_targets()
    assert (state.failures, state.delivered, state.waiting, state.failing_since) == (0, 1, 1, None)
    assert store.pending_events("crm") == [second]
