"""The worker's main path on every simulator profile (modem/simulator/profiles.py): a
missed call through the real hook is texted, a reply is stored and forwarded to staff."""
from __future__ import annotations

import pytest
from sim_helpers import wait_until
from test_worker_support import STAFF, US, Rig

from modem.simulator.profiles import PROFILES


@pytest.fixture(params=sorted(PROFILES))
def rig(request, tmp_path):
    made = Rig(tmp_path, profile=request.param)
    yield made.start()
    made.stop()


def test_text_back_and_reply_on_each_modem_profile(rig):
    wait_until(lambda: rig.worker.modem is not None, timeout=10, what="modem open")
    rig.call(US, "1700000300.1")
    wait_until(lambda: rig.sent_to(US), timeout=10, what="text-back sent")
    rig.sim.inject_sms(US, "Can you come Tuesday?")
    wait_until(lambda: any("Can you come Tuesday?" in t for t in rig.sent_to(STAFF)), timeout=10,
               what="reply forwarded to staff")
