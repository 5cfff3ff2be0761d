"""Retention: a store with two years of rows keeps only `[store] keep`, opt-outs survive,
and the worker keeps sending while it purges (real store, real worker, simulated modem)."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from test_worker_support import Rig

from bench.history_store import build_history, history_number
from store import Store, times

NOW = datetime.now(timezone.utc)
KEEP = timedelta(days=400)


def _count(path, sql: str, *params) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def _old(path, table: str, column: str) -> int:
    return _count(path, f"SELECT count(*) FROM {table} WHERE {column} < ?", times.to_db(NOW - KEEP))


def test_purge_keeps_only_keep_and_every_opt_out(tmp_path):
    path = build_history(tmp_path / "two-years.db", calls=2000, messages=2000, end=NOW, span=timedelta(days=730),
                         opted_out_every=17)
    opted_out = _count(path, "SELECT count(*) FROM contact WHERE opted_out")
    events = _count(path, "SELECT count(*) FROM opt_out_event")
    recent_calls = 2000 - _old(path, "call", "happened_at")
    assert opted_out > 5 and events == opted_out and _old(path, "call", "happened_at") > 800
    with Store.open(f"sqlite:///{path}") as store:
        # A never-opted-out number's old opt-in and a text still waiting since long ago.
        store.opt_in(history_number(3), source="cli")
        store.db.execute_sql("UPDATE opt_out_event SET at = ? WHERE action = 'opt_in'",
                             (times.to_db(NOW - timedelta(days=600)),))
        store.db.execute_sql("UPDATE message SET status = 'scheduled', due_at = ? WHERE id = 1",
                             (times.to_db(NOW + timedelta(minutes=5)),))
        rounds = 0
        while store.purge_before(NOW - KEEP, batch=100).total:
            rounds += 1
        assert rounds >= 10                          # small batches, not one long lock
    assert _old(path, "call", "happened_at") == 0
    assert _old(path, "message", "created_at") == 1                 # the scheduled one stays
    assert _count(path, "SELECT count(*) FROM call") == recent_calls
    assert _count(path, "SELECT count(*) FROM contact WHERE opted_out") == opted_out
    assert _count(path, "SELECT count(*) FROM opt_out_event WHERE action = 'opt_out'") == events
    assert _count(path, "SELECT count(*) FROM opt_out_event WHERE action = 'opt_in'") == 0


def test_the_worker_keeps_sending_while_it_purges(tmp_path):
    """The worker's own passes, one by one: the pass that sends today's texts also deletes
    one small batch of years-old rows, and the texts do not wait for the purge to end."""
    from modem.device.modem import Modem
    from modem.worker.loop import Worker
    from textback.worker_settings import worker_settings

    rig = Rig(tmp_path, purge_batch=50)
    path = tmp_path / "textback.db"
    build_history(path, calls=3000, messages=3000, end=NOW, span=timedelta(days=730))
    old = _old(path, "call", "happened_at") + _old(path, "message", "created_at")
    opted_out = _count(path, "SELECT count(*) FROM contact WHERE opted_out")
    callers = [f"+1212555{n:04d}" for n in (142, 157, 163)]
    for n, number in enumerate(callers):
        rig.call(number, f"1799100000.{n}")       # through the real hook
    settings = worker_settings(rig.config, **dict(rig.timing, modem_options={
        "command_timeout": 2.0, "send_timeout": 5.0}))
    worker = Worker(rig.store, settings, lambda **cb: Modem.open(rig.sim.device, **settings.modem_options, **cb))
    try:
        worker.run_once()
        assert all(rig.sent_to(c) for c in callers)             # today's texts went in the first pass
        still_old = _old(path, "call", "happened_at") + _old(path, "message", "created_at")
        assert worker.housekeeper.purging and 0 < still_old < old and old - still_old <= 100
        passes = 1
        while worker.housekeeper.purging:
            worker.run_once()
            passes += 1
        assert passes >= 20                                      # a batch per pass, not one long lock
    finally:
        worker._close_modem()
        rig.store.close()
        rig.sim.stop()
    assert _old(path, "call", "happened_at") == 0 and _old(path, "message", "created_at") == 0
    assert _count(path, "SELECT count(*) FROM contact WHERE opted_out") == opted_out
    assert _count(path, "SELECT count(*) FROM opt_out_event") == opted_out
    assert _count(path, "SELECT count(*) FROM call WHERE uniqueid LIKE '1799100000.%'") == 3
