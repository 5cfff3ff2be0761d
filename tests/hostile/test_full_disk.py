"""A full disk (issue 11, cases 2 and 3), on a real small tmpfs: the store alone, then the
store and the spool together. Calls keep coming through the hook while it is full; once
space returns the worker must send everything within 10 s, lose nothing, send nothing
twice."""
from __future__ import annotations

import time

import pytest
from hostile_disk import SmallDisk
from hostile_rig import STAFF, Site
from sim_helpers import wait_until

CALLERS = [f"+121255501{i:02d}" for i in range(10, 20)]


@pytest.fixture
def disk(tmp_path):
    small = SmallDisk(tmp_path / "small", 4096).mount()
    yield small
    small.unmount()


def _outage(site: Site, disk: SmallDisk, ledger_row) -> None:
    site.start_worker()
    site.call("+12125550101")
    site.wait_sent(1, what="the first text, before the disk fills")
    time.sleep(0.5)
    disk.fill()
    outcomes = [site.call(number).stderr for number in CALLERS]
    time.sleep(2)                  # the worker meets the full disk for a few passes
    assert all("NOT RECORDED" not in o for o in outcomes), outcomes
    disk.free()
    freed = time.monotonic()
    try:
        wait_until(lambda: len(callers_texted(site)) >= 1 + len(CALLERS), timeout=10, interval=0.05,
                   what="every text within 10 s of space returning")
    except AssertionError:
        import os
        st = os.statvfs(disk.path)
        raise AssertionError(f"{st.f_bavail * st.f_frsize} bytes free; files "
                             f"{[(p.name, p.stat().st_size) for p in disk.path.rglob('*')]}; "
                             f"sent {site.sent_texts()}\n{site.worker_log()[-1500:]}") from None
    took = time.monotonic() - freed
    site.wait_settled()
    tally = site.tally()
    ledger_row.count(tally)
    ledger_row.note = f"all sent {took:.1f} s after space returned"
    assert (tally.lost, tally.duplicates, len(callers_texted(site))) == (0, 0, 1 + len(CALLERS))
    assert site.worker_alive()
    return outcomes


def callers_texted(site: Site) -> set[str]:
    return {number for number, _ in site.sent_texts() if number != STAFF}


def test_store_on_a_full_disk_spool_elsewhere(tmp_path, disk, ledger_row):
    ledger_row.scenario = "case 2: full disk: store"
    site = Site(tmp_path / "shop", db_path=disk.path / "textback.db")
    try:
        outcomes = _outage(site, disk, ledger_row)
    finally:
        site.close()
    assert all("spooled call-" in o for o in outcomes)


def test_store_and_spool_on_the_same_full_disk(tmp_path, disk, ledger_row):
    ledger_row.scenario = "case 3: full disk: store+spool"
    site = Site(tmp_path / "shop", db_path=disk.path / "db" / "textback.db", spool_dir=disk.path / "spool")
    try:
        outcomes = _outage(site, disk, ledger_row)
    finally:
        site.close()
    # Today's main: "NOT RECORDED ... [Errno 28]" and 0 of 10 calls ever reached the store.
    assert all("in RAM" in o for o in outcomes), outcomes


def test_send_not_recorded_on_a_full_disk_is_not_sent_again_after_a_kill(tmp_path, disk, ledger_row):
    """The modem takes a text, the disk fills before mark_sent, the worker is killed; after
    space returns the next worker must record that send, not make it again."""
    ledger_row.scenario = "case 2: mark_sent failed + kill"
    from datetime import datetime, timezone

    from store import Store

    site = Site(tmp_path / "shop", db_path=disk.path / "textback.db")
    try:
        site.sim.set_latency("+CMGS", 1.5)
        site.start_worker()
        site.call("+12125550101")
        site.wait_sent(1)
        wait_until(lambda: site.rows("SELECT id FROM message WHERE status = 'sent'"), timeout=10,
                   what="the first text recorded")
        with Store.open(f"sqlite:///{site.db_path}") as store:
            store.queue_message("+12125550102", "staff_reply", "Your part came in", datetime.now(timezone.utc))
        wait_until(lambda: site.rows("SELECT id FROM message WHERE status = 'sending' AND kind = 'staff_reply'"), timeout=10,
                   interval=0.02, what="the staff reply claimed")
        disk.fill()                                   # while the modem is taking it
        wait_until(lambda: ("+12125550102", "Your part came in") in site.sent_texts(), timeout=10,
                   what="the modem took it")
        wait_until(lambda: "was sent but the store did not take it" in site.worker_log(), timeout=10,
                   what="mark_sent failed")
        site.kill_worker()
        disk.free()
        site.start_worker()
        wait_until(lambda: site.rows("SELECT id FROM message WHERE kind = 'staff_reply' AND status = 'sent'"),
                   timeout=10, what="the send recorded by the next worker")
        time.sleep(2)                                 # a lease would have lapsed and re-sent by now
        site.wait_settled()
        tally = site.tally()
        ledger_row.count(tally)
        ledger_row.note = "1 kill"
        assert site.sent_texts()[("+12125550102", "Your part came in")] == 1
        assert tally.duplicates == 0 and tally.lost == 0
        assert "recording them now" in site.worker_log()
    finally:
        site.close()
