"""The database file under a running worker (issue 11, case 4), and a power-cut copy of
it. Today's main kept writing the deleted file: the hook's calls went to a new one, the
worker sent nothing, `textback status` said "worker never ran"."""
from __future__ import annotations

import json
import os
import shutil
import time

import pytest
from hostile_rig import STAFF
from sim_helpers import wait_until


def _files(db) -> list:
    return [db.with_name(db.name + suffix) for suffix in ("", "-wal", "-shm")]


@pytest.mark.parametrize("how", ["removed", "replaced"])
def test_database_removed_or_replaced_under_the_worker(site, ledger_row, how):
    ledger_row.scenario = f"case 4: database {how}"
    site.start_worker()
    site.call("+12125550121")
    site.wait_sent(1)
    if how == "removed":
        for path in _files(site.db_path):
            path.unlink(missing_ok=True)
    else:
        # Another file moved over it, as a careless restore does (a fresh copy of the schema).
        other = site.root / "other.db"
        from store import Store
        Store.open(f"sqlite:///{other}").close()
        os.replace(other, site.db_path)
        for suffix in ("-wal", "-shm"):
            site.db_path.with_name(site.db_path.name + suffix).unlink(missing_ok=True)
    site.call("+12125550122")                       # the hook writes the file now at the path
    wait_until(lambda: any(n == "+12125550122" for n, _ in site.sent_texts()), timeout=10,
               what="the call recorded in the new file texted")
    wait_until(lambda: "database_replaced" in site.cli("status", "--json").stdout, timeout=10,
               what="the alert in status")
    status = site.cli("status", "--json")
    report = json.loads(status.stdout)
    assert status.returncode == 1 and report["worker_alive"] is True
    assert any(a["key"] == "database_replaced" for a in report["alerts"])
    assert f"database {site.db_path} was {how}" in site.worker_log()
    wait_until(lambda: any(n == STAFF and "database" in t for n, t in site.sent_texts()), timeout=10,
               what="the alert texted to staff")
    tally = site.tally()
    ledger_row.count(tally)
    # The first call lived only in the old file: it was texted before, not lost.
    ledger_row.lost = tally.lost - 1
    ledger_row.note = "the first call went with the old file"
    assert tally.lost == 1 and tally.duplicates == 0


def test_power_cut_copy_of_the_database_opens_and_finishes_the_work(site, ledger_row):
    """Copy the database and its WAL while the worker writes (what a power cut leaves on
    the disk), put the copy in place of the file, start a worker on it: it opens, and every
    text the copy holds as waiting goes out; nothing it holds as sent goes again."""
    ledger_row.scenario = "power-cut copy of db+WAL"
    from datetime import datetime, timezone

    from store import Store

    site.sim.set_latency("+CMGS", 0.05)
    with Store.open(f"sqlite:///{site.db_path}") as store:
        for i in range(40):
            store.queue_message(f"+121255501{i:02d}", "staff_reply", f"Order {i} is ready",
                                datetime.now(timezone.utc))
    site.start_worker()
    wait_until(lambda: len(site.sent_texts()) >= 10, timeout=20, interval=0.01, what="sending under way")
    snapshot = site.root / "power-cut"
    snapshot.mkdir()
    # The WAL first, then the database: the order a backup of a live file gets wrong.
    for path in reversed(_files(site.db_path)):
        if path.exists():
            shutil.copyfile(path, snapshot / path.name)
    site.kill_worker()
    sent_before = site.sent_texts()
    for path in _files(site.db_path):
        path.unlink(missing_ok=True)
    for path in snapshot.iterdir():
        shutil.copyfile(path, site.db_path.with_name(path.name))
    site.start_worker()
    expected = {(f"+121255501{i:02d}", f"Order {i} is ready") for i in range(40)}
    wait_until(lambda: set(site.sent_texts()) >= expected, timeout=30, interval=0.05, what="every text sent")
    site.wait_settled()
    time.sleep(0.5)
    texts = site.sent_texts()
    duplicates = sum(n - 1 for n in texts.values())
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"{len(sent_before)} sent before the cut"
    assert "Traceback" not in site.worker_log()
    # Texts the copy did not yet hold as sent go again: at most those sent between its
    # WAL's last commit and the kill (a few), never the whole run.
    assert duplicates <= 5, texts.most_common(6)
    rows = site.rows("SELECT status, count(*) AS n FROM message GROUP BY status")
    assert {r["status"] for r in rows} <= {"sent", "delivered"}, rows
