"""Time faults: a clock that steps back (case 7) and texts whose moment passed during an
outage (case 8), through the hook, the store file and `textback worker` as processes."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hostile_rig import Site
from sim_helpers import wait_until

CALLER = "+12125550123"
OTHER = "+12125550145"


@pytest.fixture
def site(tmp_path):
    running = Site(tmp_path, textback_extra='stale_after = "1m"\n')
    yield running
    running.close()


def test_call_stamped_an_hour_ahead_is_texted_now(site, ledger_row):
    # The hook wrote the call, then the clock stepped back an hour (NTP after a cold boot).
    # Today's main waited that hour for the first text.
    ledger_row.scenario = "case 7: clock stepped back 1 h"
    site.start_worker()
    started = time.monotonic()
    site.call_stamped(CALLER, datetime.now(timezone.utc) + timedelta(hours=1))
    site.wait_sent(1, timeout=10, what="the first text of a call stamped an hour ahead")
    took = time.monotonic() - started
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"texted after {took:.1f} s"
    assert (tally.lost, tally.duplicates, tally.texts_out) == (0, 0, 1)
    assert took < 10


def test_text_back_older_than_stale_after_expires_at_send_time(site, ledger_row):
    ledger_row.scenario = "case 8: stale at send time"
    from store import Store

    # The modem is away; a call 50 s old (inside stale_after = 1m) is planned meanwhile.
    site.sim.unplug()
    site.start_worker()
    called_at = datetime.now(timezone.utc) - timedelta(seconds=50)
    site.call_stamped(CALLER, called_at)
    wait_until(lambda: site.rows("SELECT state FROM call WHERE state = 'planned'"), timeout=10,
               what="call planned while the modem is away")
    # A staff reply written during the outage keeps no time limit: it must still go.
    with Store.open(f"sqlite:///{site.db_path}") as store:
        store.queue_message(OTHER, "staff_reply", "Your part is in, come by any time",
                            datetime.now(timezone.utc) - timedelta(minutes=10))
    # The modem comes back once the call is past stale_after (today's main texted it anyway).
    wait_until(lambda: datetime.now(timezone.utc) - called_at > timedelta(seconds=62), timeout=20,
               interval=0.2, what="stale_after passed")
    site.sim.replug()
    site.wait_sent(1, timeout=15, what="the staff reply after the outage")
    site.wait_settled()
    time.sleep(0.5)
    tally = site.tally()
    ledger_row.count(tally)
    assert [m.destination for m in site.sim.sent_messages()] == [OTHER]
    texts = site.rows("SELECT kind, status, error FROM message WHERE direction = 'out' AND kind != 'staff_reply'")
    assert {(t["kind"], t["status"]) for t in texts} == {("text_back", "expired"), ("follow_up", "cancelled")}
    assert "stale_after" in texts[0]["error"] or "stale_after" in texts[1]["error"]
    assert tally.expired == 1 and tally.lost == 0
    assert "expired, not sent" in site.worker_log()
    status = site.cli("status")
    assert "1 text(s) in the last day were too old to send" in status.stdout, status.stdout + status.stderr
