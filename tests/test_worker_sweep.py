"""The worker's sweep of the modem's memories under hostile SIMs (issue 11, cases 5 and
11): a memory that will not list, a receive memory full of drafts and unreadable PDUs,
texts found on a SIM long after they were sent. Simulator on a pty, store on a real
file, the worker in a thread."""
from __future__ import annotations

import logging

import pytest

from sim_helpers import wait_until
from test_worker_support import US, Rig


@pytest.fixture
def rig(tmp_path):
    made = Rig(tmp_path)
    yield made
    made.stop()


def _inbound(rig, number: str) -> list[dict]:
    return [m for m in rig.store.thread(number) if m["direction"] == "in"]


def test_a_memory_answering_321_neither_stops_the_pass_nor_hides_the_others(rig, caplog):
    # phonesim: +CMS ERROR: 321 to AT+CMGL on an empty SM. Today's main: the pass failed
    # with a traceback at every sweep and the text in ME was never read.
    caplog.set_level(logging.INFO)
    rig.sim.refuse_empty_listing("+CMS ERROR: 321", memories=["SM"])
    rig.sim.inject_sms(US, "Is Tuesday still OK?", storage="ME", announce="never")
    rig.start()
    wait_until(lambda: _inbound(rig, US), timeout=10, what="the text in ME stored")
    assert _inbound(rig, US)[0]["body"] == "Is Tuesday still OK?"
    wait_until(lambda: not rig.sim.stored("ME"), what="deleted after commit")
    assert not [r for r in caplog.records if r.exc_info]
    assert "worker pass failed" not in caplog.text
