"""Time to live per kind of text, checked at send time (store/rules/expiry.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from store.rules.expiry import expired

NOW = datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)
TWO_H = timedelta(hours=2)


@pytest.mark.parametrize("kind, call_age, late, gone", [
    ("text_back", timedelta(hours=1, minutes=59), timedelta(0), False),
    ("text_back", timedelta(hours=2), timedelta(0), False),
    ("text_back", timedelta(hours=2, seconds=1), timedelta(0), True),
    ("text_back", timedelta(hours=5), timedelta(0), True),
    ("follow_up", timedelta(days=1), timedelta(hours=1), False),
    ("follow_up", timedelta(days=1), timedelta(hours=3), True),
    ("staff_reply", timedelta(days=3), timedelta(days=3), False),
    ("keyword_reply", timedelta(days=3), timedelta(days=3), False),
    ("forward", timedelta(days=3), timedelta(days=3), False),
    ("alert", timedelta(days=3), timedelta(days=3), False),
])
def test_lives(kind, call_age, late, gone):
    why = expired(kind, now=NOW, stale_after=TWO_H, due_at=NOW - late, call_at=NOW - call_age)
    assert (why is not None) is gone
    if gone:
        assert "(stale_after 2.0 h)" in why


def test_expire_message_takes_the_follow_ups_of_its_call(store):
    from store.facts import CallFact

    call = store.record_call(CallFact(uniqueid="x1", caller_raw="+12125550123", disposition="NOANSWER",
                                      happened_at=NOW))
    first = store.queue_message("+12125550123", "text_back", "Sorry we missed you", NOW, call_id=call)
    follow = store.queue_message("+12125550123", "follow_up", "Still need help?", NOW + TWO_H, call_id=call)
    assert store.expire_message(first, "too old") == 2
    assert store.message(first).status == "expired" and store.message(first).error == "too old"
    assert store.message(follow).status == "cancelled"
    assert store.expire_message(first, "again") == 0
