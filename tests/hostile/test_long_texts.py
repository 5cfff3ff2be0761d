"""Long texts in a hostile world (issue 11, cases 9 and 10): a report for every part,
references that wrap, a send cut off between parts. The hook and `textback worker` as
processes, the store on a real file, the simulator on a pty."""
from __future__ import annotations

import pytest
from hostile_rig import Site
from sim_helpers import wait_until

CALLER = "+12125550123"
OTHER = "+12125550145"
# Two GSM-7 parts: every text-back of this shop is a long text.
TEMPLATE = ("Hi, this is {business}. Sorry we missed your call! We are out on a job right now and "
            "will call you back within the hour. If it is an emergency (no heat, a burst pipe, a gas "
            "smell) reply URGENT and the engineer on call gets your number at once. Thank you.")


@pytest.fixture
def site(tmp_path):
    running = Site(tmp_path, textback_extra=f'template = "{TEMPLATE}"\n')
    yield running
    running.close()


def _text_back(site, number: str) -> dict:
    rows = site.rows("SELECT id, status, error FROM message WHERE kind = 'text_back' AND number = ?", number)
    return rows[0] if rows else {}


def _status(site, number: str) -> str:
    return _text_back(site, number).get("status", "")


def test_long_text_reports_per_part_wrapped_references(site, ledger_row):
    ledger_row.scenario = "case 9: long texts, a report per part"
    site.start_worker()
    site.call(CALLER)
    site.wait_sent(1)
    wait_until(lambda: _status(site, CALLER) == "sent", what="first text marked sent")
    [first] = site.sim.sent_messages()
    assert len(first.parts) == 2
    # References wrap at 256: the next text's part 2 gets the reference the first text's
    # part 1 had (on phonesim that report was applied to the older text).
    site.sim.state.next_reference = (first.references[0] - 1) % 256
    site.call(OTHER)
    site.wait_sent(2)
    wait_until(lambda: _status(site, OTHER) == "sent", what="second text marked sent")
    second = [m for m in site.sim.sent_messages() if m.destination == OTHER][0]
    assert second.references[1] == first.references[0]
    site.sim.deliver_status_reports(second, [0x00, 0x00])
    wait_until(lambda: _status(site, OTHER) == "delivered", what="second text delivered by both reports")
    assert _status(site, CALLER) == "sent"                   # not touched by the other's part 2
    site.sim.deliver_status_reports(first, [0x00, 0x45])      # part 2 of the first text failed
    wait_until(lambda: _status(site, CALLER) == "failed", what="first text failed by its part 2")
    assert "part 2 of 2 undelivered" in _text_back(site, CALLER)["error"]
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = "4 part reports, 1 failed"
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 2)
    assert "matches no part" not in site.worker_log()


def test_long_text_cut_off_between_parts(site, ledger_row):
    ledger_row.scenario = "case 10: send cut off between parts"
    # Part 2 is refused (the network went for a moment). Today's main marked the text sent
    # after part 1: the caller kept half a text.
    site.sim.fail_next(1, "+CMS ERROR: 331", command="+CMGS", after=1)
    site.start_worker()
    site.call(CALLER)
    wait_until(lambda: _status(site, CALLER) == "sent", timeout=20, what="the rest of the text sent")
    [message] = site.sim.sent_messages()
    assert message.complete and len(site.sim.sent) == 2      # each part once
    assert [p.concat[2] for p in message.parts] == [1, 2] and len({p.concat[0] for p in message.parts}) == 1
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = "part 2 refused once, resumed"
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 1)
    assert "part(s) 1-1 went out before the modem error; the rest will follow" in site.worker_log()
    assert "resumed at part 2" in site.worker_log()
