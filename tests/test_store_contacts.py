"""Opt-out, opt-in, block and unblock: honoured at once, each audited."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

T0 = datetime(2025, 3, 4, 15, 30, tzinfo=timezone.utc)
BOB, ANN = "+12125550123", "+447700900123"


def test_opt_out_cancels_scheduled_and_is_audited(store):
    first = store.queue_message(BOB, "text_back", "hi", T0)
    follow = store.queue_message(BOB, "follow_up", "still there?", T0 + timedelta(hours=2))
    other = store.queue_message(ANN, "follow_up", "x", T0)
    reply_id, _ = store.record_inbound(BOB, "Stop texting me!", T0, key="k1")
    assert store.is_opted_out(BOB) is False
    assert store.opt_out(BOB, "STOP", message_id=reply_id) == 2
    assert store.is_opted_out(BOB) is True
    contact = store.contact(BOB)
    assert contact.opted_out and contact.opted_out_at is not None and not contact.blocked
    assert {store.message(i).cancel_reason for i in (first, follow)} == {"opted_out"}
    assert store.message(other).status == "scheduled"
    # The one confirmation, queued after the opt-out, still goes.
    confirm = store.queue_message(BOB, "keyword_reply", "You are unsubscribed.", T0)
    assert store.claim_due("w1", 60, now=T0 + timedelta(hours=3)).id in (confirm, other)
    [event] = store.opt_out_events(BOB)
    assert (event.action, event.keyword, event.source, event.message_id) == (
        "opt_out", "STOP", "sms", reply_id)


def test_opt_in_after_opt_out(store):
    store.opt_out(BOB, "STOP")
    store.opt_in(BOB, "START")
    assert store.is_opted_out(BOB) is False and store.contact(BOB).opted_out_at is None
    assert [e.action for e in store.opt_out_events(BOB)] == ["opt_out", "opt_in"]


def test_opt_out_of_an_unknown_number_creates_the_contact(store):
    assert store.contact(ANN) is None and store.is_opted_out(ANN) is False
    assert store.opt_out(ANN, "", source="cli") == 0
    assert store.is_opted_out(ANN) and store.opt_out_events(ANN)[0].source == "cli"


def test_block_and_unblock(store):
    pending = store.queue_message(BOB, "follow_up", "x", T0)
    assert store.block(BOB) == 1
    assert store.is_blocked(BOB) and store.message(pending).cancel_reason == "blocked"
    store.unblock(BOB)
    assert not store.is_blocked(BOB) and not store.contact(BOB).blocked
    assert [e.action for e in store.opt_out_events(BOB)] == ["block", "unblock"]
