"""Long texts through the worker (issue 11, cases 9 and 10): a report for each part, a
text delivered only when all its parts are; a send a modem error cut off goes on from
its first unsent part, never repeating the parts that went. Simulator on a pty, store
on a real file, the worker in a thread."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sim_helpers import wait_until
from test_worker_support import US, US2, Rig

LONG = "Your boiler part is in. We can fit it Tuesday 8-12 or Thursday afternoon; reply with a day. " * 4


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path)
    yield made.start()
    made.stop()


def _queue(rig, number: str, body: str = LONG) -> int:
    return rig.store.queue_message(number, "staff_reply", body, rig.clock() - timedelta(seconds=1))


def _status(rig, message_id: int) -> str:
    return rig.store.message(message_id).status


def test_part_two_failing_fails_the_text(rig):
    # Today's main: part 2's report "matches no sent message" and the text shows delivered.
    text = _queue(rig, US)
    wait_until(lambda: _status(rig, text) == "sent", what="sent")
    [message] = rig.sim.sent_messages()
    assert len(message.parts) == 3
    rig.sim.deliver_status_reports(message, [0x00, 0x45, 0x00])
    wait_until(lambda: [p.status for p in rig.store.sent_parts(text)] == ["delivered", "failed", "delivered"],
               what="each part settled by its own report")
    assert _status(rig, text) == "failed"
    assert "part 2 of 3 undelivered (status 0x45)" in rig.store.message(text).error


def test_delivered_when_every_parts_report_came(rig):
    text = _queue(rig, US)
    wait_until(lambda: _status(rig, text) == "sent", what="sent")
    [message] = rig.sim.sent_messages()
    rig.sim.deliver_status_report(message.references[0], 0)
    wait_until(lambda: rig.store.sent_parts(text)[0].status == "delivered", what="part 1 reported")
    assert _status(rig, text) == "sent"
    rig.sim.deliver_status_reports(message, [0, 0, 0])          # part 1's again: matches nothing new
    wait_until(lambda: _status(rig, text) == "delivered", what="delivered")


def test_a_cut_off_text_is_finished_not_marked_sent_half_sent(rig):
    # Today's main marked the text sent after part 1 and never sent parts 2 and 3.
    rig.sim.fail_next(1, "+CMS ERROR: 331", command="+CMGS", after=1)
    text = _queue(rig, US2)
    wait_until(lambda: rig.store.sent_part_count(text) == 1 and _status(rig, text) == "scheduled",
               what="part 1 kept, the rest scheduled")
    row = rig.store.message(text)
    assert "331" in row.error and row.due_at <= rig.clock() + timedelta(seconds=2)
    rig.clock.advance(timedelta(minutes=1))                      # past the retry backoff
    wait_until(lambda: _status(rig, text) == "sent", what="the rest sent")
    [message] = rig.sim.sent_messages()
    assert message.complete and message.text == LONG
    assert len(rig.sim.sent) == 3                                # no part twice
    assert [p.seq for p in rig.store.sent_parts(text)] == [1, 2, 3]
    assert rig.store.message(text).parts == 3


def test_a_cut_off_text_is_finished_even_past_its_time(rig):
    # A follow-up later than stale_after (2 h) is expired, not sent; one whose first part
    # went is finished instead (half a text for ever is worse than the rest late).
    rig.sim.fail_next(1, "+CMS ERROR: 331", command="+CMGS", after=1)
    text = rig.store.queue_message(US, "follow_up", LONG, rig.clock() - timedelta(seconds=1))
    wait_until(lambda: rig.store.sent_part_count(text) == 1 and _status(rig, text) == "scheduled",
               what="part 1 kept")
    rig.clock.advance(timedelta(hours=3))
    wait_until(lambda: _status(rig, text) == "sent", what="the rest sent three hours late")
    assert rig.sim.sent_messages()[0].complete and len(rig.sim.sent) == 3
