"""Inbound texts: stored once, multipart reassembled durably."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from store.errors import StoreError

T0 = datetime(2025, 3, 4, 15, 30, tzinfo=timezone.utc)
BOB = "+12125550123"


def test_record_inbound_once_per_key(store):
    first = store.record_inbound(BOB, "Yes please", T0, key="sim:3:250304153000")
    again = store.record_inbound(BOB, "Yes please", T0, key="sim:3:250304153000")
    assert first == (first[0], True) and again == (first[0], False)
    unkeyed = store.record_inbound(BOB, "Yes please", T0, key=None)
    assert unkeyed[1] is True and unkeyed[0] != first[0]
    msg = store.message(first[0])
    assert (msg.direction, msg.kind, msg.status, msg.received_at, msg.contact_number) == (
        "in", "reply", "received", T0, BOB)
    staff = store.record_inbound("+12125550199", "#12 on my way", T0, key="k2", kind="staff")
    assert store.message(staff[0]).kind == "staff"
    with pytest.raises(StoreError, match="unknown inbound kind"):
        store.record_inbound(BOB, "x", T0, kind="bogus")


def test_multipart_out_of_order_with_duplicates(store):
    ts = T0 + timedelta(seconds=1)
    assert store.add_inbound_part(BOB, 200, 3, 3, "ee!", ts) is None
    assert store.add_inbound_part(BOB, 200, 3, 1, "Hello th", T0) is None
    assert store.add_inbound_part(BOB, 200, 3, 1, "Hello th", T0) is None          # duplicate: no-op
    assert store.add_inbound_part(BOB, 201, 2, 1, "other message", T0) is None      # another message
    message_id, text = store.add_inbound_part(BOB, 200, 3, 2, "ere, thr", ts, received_at=ts)
    assert text == "Hello there, three!"
    [msg] = [m for m in store.thread(BOB) if m.direction == "in"]
    assert msg.id == message_id and msg.kind == "reply"
    assert (msg.body, msg.parts, msg.received_at) == ("Hello there, three!", 3, ts)
    assert store.models.InboundPart.select().count() == 1                           # only ref 201 waits


def test_a_reassembled_message_read_again_is_not_stored_twice(store):
    assert store.add_inbound_part(BOB, 7, 2, 1, "ab", T0) is None
    assert store.add_inbound_part(BOB, 7, 2, 2, "cd", T0)[1] == "abcd"
    # Crash before the SIM copies were deleted: both parts are read again.
    assert store.add_inbound_part(BOB, 7, 2, 1, "ab", T0) is None
    assert store.add_inbound_part(BOB, 7, 2, 2, "cd", T0) is None
    assert [m.body for m in store.thread(BOB)] == ["abcd"]
    assert store.models.InboundPart.select().count() == 0


def test_part_out_of_range_is_refused(store):
    with pytest.raises(StoreError, match="part 4 of 3 .* out of range"):
        store.add_inbound_part(BOB, 1, 3, 4, "x", T0)


def test_a_long_text_is_one_text_whichever_way_its_parts_came(store):
    # Parts delivered straight to the worker are joined here; the same text read later
    # off the SIM (joined by the worker, recorded under concat_key) must not be a second one.
    from store.facts import concat_key

    local = T0.astimezone(timezone(timedelta(hours=-5)))     # the SCTS carries the SMSC's offset
    assert store.add_inbound_part(BOB, 7, 2, 2, "there", T0 + timedelta(seconds=2)) is None
    assert store.add_inbound_part(BOB, 7, 2, 1, "Hello ", local)[1] == "Hello there"
    again = store.record_inbound(BOB, "Hello there", T0, key=concat_key(BOB, 7, 2, local), parts=2)
    assert again[1] is False
