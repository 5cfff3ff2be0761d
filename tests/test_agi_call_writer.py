"""The FastAGI server's group commit: calls arriving while the store is busy share one
write, each gets its own id, and a store that stays busy sends each to the spool in time."""
from __future__ import annotations

import sqlite3
import threading
import time

from agi.call_writer import CallWriter
from store import Store
from store.facts import CallFact


def _locked(db_url: str) -> sqlite3.Connection:
    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")           # the worker's write, say
    return conn


def test_calls_waiting_together_share_one_write(db_url):
    Store.open(db_url).close()
    writer = CallWriter(db_url)
    blocker = _locked(db_url)
    ids: dict[str, int] = {}

    def call(n: int) -> None:
        ids[f"u{n}"] = writer.record(CallFact(uniqueid=f"u{n}", caller_raw=f"+121255501{n:02d}"), timeout=5)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.3)                            # all eight wait, the first inside SQLite's busy wait
    blocker.execute("COMMIT")
    blocker.close()
    for t in threads:
        t.join(5)
    assert sorted(ids) == [f"u{n}" for n in range(8)] and len(set(ids.values())) == 8
    assert sum(writer.batches) == 8 and len(writer.batches) <= 2      # the first alone, the rest together
    with Store.open(db_url) as store:
        assert {store.call(i).fact.uniqueid for i in ids.values()} == set(ids)


def test_a_store_that_stays_busy_answers_within_the_timeout(db_url):
    Store.open(db_url).close()
    writer = CallWriter(db_url, timeout=0.3)
    blocker = _locked(db_url)
    try:
        started = time.monotonic()
        try:
            writer.record(CallFact(uniqueid="busy.1"), timeout=0.5)
            raise AssertionError("recorded while the store was locked")
        except Exception as exc:  # the hook's keep_call spools on any of them
            assert time.monotonic() - started < 1.0, exc
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
