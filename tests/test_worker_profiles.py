"""The worker's main path on every simulator profile (modem/simulator/profiles.py): a
missed call through the real hook is texted, a reply is stored and forwarded to staff.
A profile whose texts never go (SMS over LTE not provisioned) shows instead that the
worker names the trouble in its heartbeat, which `textback doctor` reads."""
from __future__ import annotations

import pytest
from sim_helpers import wait_until
from test_worker_support import STAFF, US, Rig

from modem.simulator.profiles import PROFILES

SENDING = sorted(name for name, profile in PROFILES.items() if profile.sends)


def test_the_suite_covers_the_modems_sold_today():
    assert SENDING == ["a7670", "ec25", "eg25g", "generic", "huawei", "sim7600", "sim800"]


@pytest.fixture(params=SENDING)
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
    status = rig.store.worker_status()
    assert status.modem_model.endswith(f", set-up {rig.worker.modem.family.name} (detected)")
    assert status.modem_flags == ()


def test_sms_over_lte_not_provisioned_reaches_the_heartbeat(tmp_path):
    rig = Rig(tmp_path, profile="ec25-no-ims").start()
    try:
        wait_until(lambda: rig.worker.modem is not None, timeout=10, what="modem open")
        rig.call(US, "1700000301.1")
        status = wait_until(lambda: (s := rig.store.worker_status()) and s.modem_flags and s, timeout=20,
                            what="the flag in the heartbeat")
        assert status.modem_model == "Quectel EC25, set-up ec25 (detected)"
        assert status.modem_flags[0].startswith("SMS over LTE not provisioned: texts fail (+CMS ERROR: 500")
        assert not rig.sent_to(US)
    finally:
        rig.stop()


def test_a_modem_stuck_on_2g_reaches_the_heartbeat(tmp_path):
    rig = Rig(tmp_path, profile="sim7600")
    rig.sim.register_on("2g")
    rig.start()
    try:
        status = wait_until(lambda: (s := rig.store.worker_status()) and s.modem_flags and s, timeout=10,
                            what="the flag in the heartbeat")
        assert status.modem_flags[0].startswith("registered on 2G (GSM) only, though this SIMCom SIM7600G-H")
    finally:
        rig.stop()
