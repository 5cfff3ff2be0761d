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


def test_without_dialedtime_the_ring_time_is_the_channel_age_from_its_uniqueid(rig):
    # A queue or an IVR leaves ${DIALEDTIME} empty: the hook takes the hangup time minus the
    # channel's start, which Asterisk writes into the uniqueid ("<epoch>.<n>").
    import time

    wait_until(lambda: rig.worker.modem is not None, what="modem open")
    now = int(time.time())
    rig.call(US, f"{now - 1}.7", status="CANCEL", args=("ring=",))
    rig.call(US2, f"pbx-east-{now - 10}.8", status="CANCEL", args=("ring=",))   # asterisk.conf systemname
    wait_until(lambda: rig.sent_to(US2), what="the caller who waited ten seconds texted")
    calls = {c.fact.caller_raw: c for c in map(rig.store.call, (1, 2))}
    short = wait_until(lambda: (c := rig.store.call(calls[US].id)) and c.state != "new" and c, what="planned")
    # 1 s when the hook ran at once; 2 s when a loaded box started it late (still under 3).
    assert (short.state, short.skip_reason) == ("skipped", "too_short") and short.fact.ring_seconds in (1, 2)
    assert calls[US2].fact.ring_seconds in (10, 11, 12)
    assert rig.sent_to(US) == []
