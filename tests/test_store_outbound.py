"""The outbound queue: claim under a lease, send, retry with backoff, deliver, cancel."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from store.errors import StoreError, UnknownMessage
from store.outbound import BACKOFF_SECONDS, MAX_ATTEMPTS

T0 = datetime(2025, 3, 4, 15, 30, tzinfo=timezone.utc)
BOB, ANN, STAFF = "+12125550123", "+447700900123", "+12125550199"


def test_queue_message_and_forward_thread(store):
    reply = store.queue_message(BOB, "staff_reply", "We can come at 3", T0)
    forward = store.queue_message(STAFF, "forward", "Bob: call me", T0, contact_number=BOB)
    assert store.message(reply).number == BOB
    fwd = store.message(forward)
    assert (fwd.number, fwd.contact_number, fwd.status) == (STAFF, BOB, "scheduled")
    assert [m.id for m in store.thread(BOB)] == [reply, forward]
    with pytest.raises(StoreError, match="unknown outbound kind 'spam'"):
        store.queue_message(BOB, "spam", "x", T0)


def test_claim_only_due_in_order_and_next_due_at(store):
    assert store.claim_due("w1", 60, now=T0) is None and store.next_due_at() is None
    later = store.queue_message(BOB, "text_back", "b", T0 + timedelta(minutes=5))
    sooner = store.queue_message(ANN, "text_back", "a", T0 + timedelta(minutes=1))
    assert store.next_due_at() == T0 + timedelta(minutes=1)
    assert store.claim_due("w1", 60, now=T0) is None
    got = store.claim_due("w1", 60, now=T0 + timedelta(minutes=10))
    assert (got.id, got.status, got.attempts, got.lease_owner) == (sooner, "sending", 1, "w1")
    assert got.lease_expires_at == T0 + timedelta(minutes=11)
    assert store.next_due_at() == T0 + timedelta(minutes=5)
    assert store.claim_due("w2", 60, now=T0 + timedelta(minutes=10)).id == later
    assert store.claim_due("w2", 60, now=T0 + timedelta(minutes=10)) is None


def test_mark_sent_then_delivered_matches_newest_with_reference(store):
    old = store.queue_message(BOB, "text_back", "old", T0)
    store.claim_due("w1", 60, now=T0)
    store.mark_sent(old, 12, "w1", now=T0)
    new = store.queue_message(BOB, "follow_up", "new", T0 + timedelta(hours=2))
    store.claim_due("w1", 60, now=T0 + timedelta(hours=2))
    store.mark_sent(new, 12, "w1", now=T0 + timedelta(hours=2))    # the reference wrapped around
    sent = store.message(new)
    assert (sent.status, sent.modem_reference, sent.sent_at, sent.lease_owner) == (
        "sent", 12, T0 + timedelta(hours=2), None)
    assert store.mark_delivered(12, BOB, True, T0 + timedelta(hours=2, seconds=5)) == new
    assert store.message(new).delivered_at == T0 + timedelta(hours=2, seconds=5)
    assert store.mark_delivered(12, BOB, False, T0 + timedelta(hours=3)) == old
    assert store.message(old).status == "failed"
    assert store.mark_delivered(12, BOB, True, T0) is None          # nothing left that is sent
    assert store.mark_delivered(99, ANN, True, T0) is None


def test_retry_with_backoff_then_failed_with_the_modems_text(store):
    msg = store.queue_message(BOB, "text_back", "hi", T0)
    now = T0
    for attempt in range(1, MAX_ATTEMPTS):
        claimed = store.claim_due("w1", 60, now=now)
        assert claimed.id == msg and claimed.attempts == attempt
        assert store.retry_later(msg, "+CMS ERROR: 38", now=now) == "scheduled"
        wait = timedelta(seconds=BACKOFF_SECONDS[min(attempt, len(BACKOFF_SECONDS)) - 1])
        assert store.message(msg).due_at == now + wait
        assert store.claim_due("w1", 60, now=now + wait - timedelta(seconds=1)) is None
        now += wait
    assert store.claim_due("w1", 60, now=now).attempts == MAX_ATTEMPTS
    assert store.retry_later(msg, "+CMS ERROR: 500", now=now) == "failed"
    final = store.message(msg)
    assert (final.status, final.error, final.attempts) == ("failed", "+CMS ERROR: 500", MAX_ATTEMPTS)
    assert store.claim_due("w1", 60, now=now + timedelta(days=1)) is None
    with pytest.raises(UnknownMessage, match="not sending"):
        store.retry_later(msg, "again", now=now)


def test_backoff_grows():
    assert list(BACKOFF_SECONDS) == sorted(BACKOFF_SECONDS) and BACKOFF_SECONDS[0] >= 30


def test_mark_failed_and_unknown_ids(store):
    msg = store.queue_message(BOB, "text_back", "hi", T0)
    store.claim_due("w1", 60, now=T0)
    store.mark_failed(msg, "+CMS ERROR: 21 (rejected)")
    assert (store.message(msg).status, store.message(msg).error) == ("failed", "+CMS ERROR: 21 (rejected)")
    with pytest.raises(UnknownMessage, match="no message with id 404"):
        store.mark_failed(404, "x")
    with pytest.raises(UnknownMessage):
        store.mark_sent(404, 1, "w1")
    assert store.message(404) is None


def test_release_gives_the_message_back_untried(store):
    msg = store.queue_message(BOB, "text_back", "hi", T0)
    store.claim_due("w1", 60, now=T0)
    assert store.release(msg, "someone-else") is False
    assert store.release(msg, "w1") is True
    released = store.message(msg)
    assert (released.status, released.attempts, released.lease_owner) == ("scheduled", 0, None)
    assert store.claim_due("w2", 60, now=T0).id == msg


def test_expired_leases_are_recovered(store):
    crashed = store.queue_message(BOB, "text_back", "hi", T0)
    alive = store.queue_message(ANN, "text_back", "hi", T0)
    store.claim_due("dead-worker", 30, now=T0)
    store.claim_due("live-worker", 300, now=T0)
    assert store.recover_expired_leases(now=T0 + timedelta(seconds=29)) == 0
    assert store.recover_expired_leases(now=T0 + timedelta(seconds=31)) == 1
    back = store.message(crashed)
    assert (back.status, back.lease_owner, back.attempts) == ("scheduled", None, 1)
    assert store.message(alive).status == "sending"
    again = store.claim_due("new-worker", 30, now=T0 + timedelta(seconds=31))
    assert (again.id, again.attempts) == (crashed, 2)
    # The dead worker's late report still records the send (no second text).
    store.mark_sent(crashed, 5, "dead-worker", now=T0 + timedelta(seconds=32))
    assert store.message(crashed).status == "sent"


def test_cancel_pending_by_number_and_kind(store):
    first = store.queue_message(BOB, "text_back", "a", T0)
    follow = store.queue_message(BOB, "follow_up", "b", T0 + timedelta(hours=2))
    other = store.queue_message(ANN, "follow_up", "c", T0 + timedelta(hours=2))
    forward = store.queue_message(STAFF, "forward", "d", T0, contact_number=BOB)
    store.claim_due("w1", 60, now=T0)            # `first` is being sent: not cancellable
    assert store.cancel_pending(BOB, "replied", kinds=("follow_up",)) == 1
    assert (store.message(follow).status, store.message(follow).cancel_reason) == ("cancelled", "replied")
    assert store.message(first).status == "sending"
    assert store.message(other).status == "scheduled"
    assert store.message(forward).status == "scheduled"   # texts *to* staff are not Bob's to stop
    assert store.cancel_pending(BOB, "replied") == 0


def test_cancel_message_stops_one_scheduled_or_leased_text_only(store):
    leased = store.queue_message(BOB, "text_back", "a", T0)
    waiting = store.queue_message(ANN, "text_back", "b", T0 + timedelta(hours=1))
    sent = store.queue_message(ANN, "staff_reply", "c", T0)
    assert store.claim_due("w1", 60, now=T0).id == leased
    claimed = store.claim_due("w1", 60, now=T0)
    store.mark_sent(claimed.id, 7, "w1")
    assert store.cancel_message(leased, "opted_out") is True
    assert store.cancel_message(waiting, "opted_out") is True
    assert store.cancel_message(sent, "opted_out") is False          # already with the network
    rows = {m: store.message(m) for m in (leased, waiting, sent)}
    assert [(rows[m].status, rows[m].cancel_reason) for m in (leased, waiting)] == [
        ("cancelled", "opted_out"), ("cancelled", "opted_out")]
    assert rows[leased].lease_owner is None
    assert rows[sent].status == "sent"


def test_last_forward_to_a_staff_phone_is_the_newest_sent_one(store):
    assert store.last_forward_to(STAFF) is None
    first = store.queue_message(STAFF, "forward", "Bob: hi", T0, contact_number=BOB)
    store.queue_message(STAFF, "forward", "Ann: hello", T0, contact_number=ANN)    # not sent yet
    got = store.claim_due("w1", 60, now=T0)
    assert got.id == first
    store.mark_sent(first, 1, "w1", now=T0)
    assert store.last_forward_to(STAFF) == BOB
    second = store.claim_due("w1", 60, now=T0 + timedelta(minutes=1))
    store.mark_sent(second.id, 2, "w1", now=T0 + timedelta(minutes=1))
    assert store.last_forward_to(STAFF) == ANN
    assert store.last_forward_to(BOB) is None
