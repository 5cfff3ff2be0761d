"""The suite's own frame: one call in, one text out, a row in the table."""
from __future__ import annotations


def test_one_call_one_text(site, ledger_row):
    ledger_row.scenario = "frame: one call, one text"
    site.start_worker()
    site.call("+12125550123")
    site.wait_sent(1)
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 1)
