"""Delivery reports of long texts (issue 11, case 9): one reference per part, a text
delivered only when every part is and failed when any part fails, reports matched to
the part sent most recently before them within a window; parts kept across a send a
modem error cut off (case 10). A real SQLite file, the store's own verbs."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from store import Store
from store.delivery import REPORT_WINDOW

T0 = datetime(2026, 5, 4, 14, 0, tzinfo=timezone.utc)
BOB = "+12125550123"
ANN = "+12125550145"


def _sent(store, number: str, references, at: datetime, body: str = "text") -> int:
    message_id = store.queue_message(number, "text_back", body, at)
    assert store.claim_due("w1", 60, now=at).id == message_id
    store.mark_sent(message_id, references, "w1", now=at)
    return message_id


def test_a_text_is_delivered_only_when_every_part_is(store):
    text = _sent(store, BOB, [10, 11, 12], T0)
    assert store.message(text).parts == 3 and store.message(text).modem_reference == 10
    assert store.mark_delivered(11, BOB, True, T0 + timedelta(seconds=5)) == text
    assert store.mark_delivered(10, BOB, True, T0 + timedelta(seconds=6)) == text
    assert store.message(text).status == "sent"                 # part 3 not reported yet
    assert store.mark_delivered(12, BOB, True, T0 + timedelta(seconds=9)) == text
    row = store.message(text)
    assert (row.status, row.delivered_at) == ("delivered", T0 + timedelta(seconds=9))
    assert [(p.seq, p.reference, p.status) for p in store.sent_parts(text)] == [
        (1, 10, "delivered"), (2, 11, "delivered"), (3, 12, "delivered")]


def test_one_failed_part_fails_the_text_whatever_the_others_say(store):
    # Today's main kept part 1's reference only: part 2's failure matched nothing and the
    # text showed delivered.
    text = _sent(store, BOB, [20, 21], T0)
    store.mark_delivered(20, BOB, True, T0 + timedelta(seconds=3), status=0x00)
    store.mark_delivered(21, BOB, False, T0 + timedelta(seconds=4), status=0x45)
    row = store.message(text)
    assert row.status == "failed"
    assert row.error == ("the network reported part 2 of 2 undelivered (status 0x45); "
                            "the caller has only part of the text")
    assert [p.report_status for p in store.sent_parts(text)] == [0x00, 0x45]


def test_a_later_parts_report_is_not_applied_to_an_older_text_with_its_reference(store):
    # References wrap at 256: an older one-part text got reference 6 (its report never
    # came); a newer long text got 5 and 6. Today's main applied the newer text's part 2
    # report to the older text.
    older = _sent(store, BOB, 6, T0)
    newer = _sent(store, BOB, [5, 6], T0 + timedelta(hours=1))
    reported = T0 + timedelta(hours=1, seconds=8)
    assert store.mark_delivered(5, BOB, True, reported) == newer
    assert store.mark_delivered(6, BOB, True, reported) == newer
    assert store.message(newer).status == "delivered"
    assert store.message(older).status == "sent"
    # A second report with the same reference goes to the one part still waiting for one.
    assert store.mark_delivered(6, BOB, False, reported + timedelta(minutes=1)) == older
    assert store.message(older).status == "failed"


def test_a_report_matches_only_parts_sent_before_it_and_within_the_window(store):
    text = _sent(store, BOB, 40, T0)
    assert store.mark_delivered(40, BOB, True, T0 - timedelta(seconds=1)) is None     # before the send
    assert store.mark_delivered(40, ANN, True, T0 + timedelta(seconds=1)) is None     # another number
    late = T0 + REPORT_WINDOW + timedelta(minutes=1)
    assert store.mark_delivered(40, BOB, True, late) is None
    assert store.message(text).status == "sent"
    # reported_at: when the report came, on the worker's clock; `at` is the network's.
    assert store.mark_delivered(40, BOB, True, T0 - timedelta(seconds=30),
                                reported_at=T0 + timedelta(seconds=2)) == text
    assert store.message(text).delivered_at == T0 - timedelta(seconds=30)


def test_parts_of_a_cut_off_send_are_kept_and_the_resumed_text_settles_from_all(store):
    text = store.queue_message(BOB, "text_back", "long", T0)
    store.claim_due("w1", 60, now=T0)
    store.record_sent_parts(text, [70], first_seq=1, now=T0)
    assert store.sent_part_count(text) == 1
    store.retry_later(text, "+CMS ERROR: 331 (no network service)", T0)
    assert store.message(text).status == "scheduled"
    # Part 1's report comes while part 2 waits: the part is settled, the text is not.
    assert store.mark_delivered(70, BOB, True, T0 + timedelta(seconds=5)) == text
    assert store.message(text).status == "scheduled"
    store.claim_due("w1", 60, now=T0 + timedelta(minutes=1))
    store.mark_sent(text, [71], "w1", now=T0 + timedelta(minutes=1), first_seq=2)
    row = store.message(text)
    assert (row.status, row.parts, row.modem_reference) == ("sent", 2, 70)
    assert store.mark_delivered(71, BOB, True, T0 + timedelta(minutes=1, seconds=4)) == text
    assert store.message(text).status == "delivered"
    assert store.sent_part_count(store.queue_message(ANN, "text_back", "x", T0)) == 0


def test_mark_sent_needs_a_reference(store):
    from store.errors import StoreError

    text = store.queue_message(BOB, "text_back", "x", T0)
    with pytest.raises(StoreError, match="without the reference of any part"):
        store.mark_sent(text, [], "w1")


def test_texts_sent_before_the_upgrade_keep_their_reference_as_part_one(db_url, tmp_path):
    with Store.open(db_url) as store:
        text = _sent(store, BOB, 33, T0)
        done = _sent(store, ANN, 34, T0)
        store.mark_delivered(34, ANN, True, T0 + timedelta(seconds=2))
    with Store.open(db_url) as store, store.db.atomic():      # as a v3 database left them
        store.db.execute_sql("DROP TABLE sent_part")
        store.db.execute_sql("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with Store.open(db_url) as store:
        assert [(p.seq, p.reference, p.status) for p in store.sent_parts(text)] == [(1, 33, "sent")]
        assert [p.status for p in store.sent_parts(done)] == ["delivered"]
        assert store.mark_delivered(33, BOB, True, T0 + timedelta(seconds=3)) == text
        assert store.message(text).status == "delivered"
