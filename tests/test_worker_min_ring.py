"""[textback] min_ring end to end: the hook run as Asterisk runs it, with the dialplan's
ring=${DIALEDTIME} argument, then the worker on the simulator. A caller who gave up
after one second misdialled (too_short); one who gave up after ten seconds is texted."""
from __future__ import annotations

import pytest
from sim_helpers import wait_until
from test_worker_support import US, US2, Rig


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path)
    yield made.start()
    made.stop()


def test_a_one_second_cancel_is_skipped_too_short_and_a_ten_second_one_is_texted(rig):
    wait_until(lambda: rig.worker.modem is not None, what="modem open")
    rig.call(US, "1700000100.1", status="CANCEL", args=("ring=1",))
    rig.call(US2, "1700000100.2", status="CANCEL", args=("ring=10",))
    wait_until(lambda: rig.sent_to(US2), what="the ten-second caller texted")
    first = wait_until(lambda: next((c for c in map(rig.store.call, (1, 2)) if c and c.fact.ring_seconds == 1
                                     and c.state != "new"), None), what="the one-second call planned")
    assert (first.state, first.skip_reason) == ("skipped", "too_short")
    assert rig.sent_to(US) == []
    second = next(c for c in map(rig.store.call, (1, 2)) if c.fact.ring_seconds == 10)
    assert second.state == "planned"


def test_a_call_without_a_ring_time_or_a_short_busy_is_still_texted(rig):
    wait_until(lambda: rig.worker.modem is not None, what="modem open")
    rig.call(US, "1700000200.1", status="CANCEL")                     # an old dialplan: no ring=
    rig.call(US2, "1700000200.2", status="BUSY", args=("ring=0",))     # busy at once: not a misdial
    wait_until(lambda: rig.sent_to(US) and rig.sent_to(US2), what="both texted")
