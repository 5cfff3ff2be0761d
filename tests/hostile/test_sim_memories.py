"""The modem's memories in a hostile world (issue 11, cases 5 and 11): a memory that will
not list, a receive memory full of drafts and unreadable PDUs, texts found on a SIM long
after they were sent. The hook and `textback worker` as processes, the store on a real
file, the simulator on a pty."""
from __future__ import annotations

import pytest

from hostile_rig import STAFF, Site
from sim_helpers import wait_until

CALLER = "+12125550123"


@pytest.fixture
def site(tmp_path):
    running = Site(tmp_path)
    yield running
    running.close()


def _replies(site, number: str) -> list[dict]:
    return site.rows("SELECT body, kind FROM message WHERE direction = 'in' AND number = ?", number)


def test_sweep_past_a_memory_answering_321(site, ledger_row):
    # phonesim's empty SM answers +CMS ERROR: 321 to AT+CMGL; the reply sits in ME and its
    # notice never came. Today's main: a traceback at every sweep, the reply never read.
    site.sim.refuse_empty_listing("+CMS ERROR: 321", memories=["SM"])
    site.start_worker()
    site.call(CALLER)
    site.wait_sent(1)
    site.sim.inject_sms(CALLER, "Yes please, after 4pm", storage="ME", announce="never")
    wait_until(lambda: _replies(site, CALLER), timeout=15, what="the reply found by the sweep")
    site.wait_sent(2, what="the reply forwarded to staff")
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = "SM answers 321; reply in ME swept"
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 2)
    assert [m.destination for m in site.sim.sent_messages()] == [CALLER, STAFF]
    assert "Traceback" not in site.worker_log() and "worker pass failed" not in site.worker_log()
