"""`textback reply` with several modems: the answer leaves from the SIM the customer last
wrote to, the command says so, and it says when that modem's worker is not running (the
other modem's worker never sends it). A real SQLite store; the CLI through CliRunner."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from cli_helpers import make_site, run
from modem_fleet import two_modems

CUSTOMER = "+12125550123"
MODEMS = two_modems()


def shop_where_the_customer_wrote_to_service(tmp_path):
    """Two modems; the customer's question came in on the service SIM three minutes ago."""
    site = make_site(tmp_path, extra=MODEMS)
    now = datetime.now(timezone.utc)
    with site.store() as store:
        store.record_inbound(CUSTOMER, "Are you open Sunday?", now - timedelta(minutes=3), key="k1",
                             modem="service")
    return site, now

def test_a_reply_says_which_sim_it_leaves_from_and_waits_for_that_modems_worker(tmp_path):
    site, now = shop_where_the_customer_wrote_to_service(tmp_path)
    with site.store() as store:
        # The front desk's worker runs; the service modem's never did.
        store.write_worker_status(modem_name="front-desk", pid=2, beat_at=now, beat_seconds=5.0, stopped_at=None)
    result = run(site, "reply", CUSTOMER, "Yes, 10 to 4", "--as", "alice")
    assert result.exit_code == 0
    queued = result.output.strip().splitlines()[-1]
    assert queued.startswith("Queued reply 2 to (212) 555-0123 from alice (")
    assert queued.endswith(") via modem service, the SIM they last wrote to or were texted from; it waits until "
                           "the worker runs: the worker for modem service has never run on this store; start it "
                           "with: systemctl start textback-worker@service (or textback worker --modem service) "
                           f"(check with: textback thread {CUSTOMER}).")
    with site.store() as store:
        assert store.message(2).modem == "service"
        store.write_worker_status(modem_name="service", pid=3, beat_at=now, beat_seconds=5.0, stopped_at=None)
    again = run(site, "reply", CUSTOMER, "See you then", "--as", "alice").output
    assert "via modem service, the SIM they last wrote to or were texted from; the worker sends it within seconds" \
        in again


def test_the_thread_says_which_sim_each_text_came_in_on_and_leaves_from(tmp_path):
    site, _ = shop_where_the_customer_wrote_to_service(tmp_path)
    assert run(site, "reply", CUSTOMER, "Yes, 10 to 4", "--as", "alice").exit_code == 0
    rows = run(site, "thread", CUSTOMER, "--json")
    details = [(r["direction"], r["detail"]) for r in json.loads(rows.output)]
    assert details == [("in", "via modem service"), ("out", "via modem service; by alice")]
    table = run(site, "thread", CUSTOMER).output
    assert table.count("via modem service") == 2
