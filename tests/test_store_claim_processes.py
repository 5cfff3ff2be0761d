"""Two real processes claim from one queue: no message twice, none left behind."""
from __future__ import annotations

import json
import multiprocessing
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from store import Store

T0 = datetime(2025, 3, 4, 15, 30, tzinfo=timezone.utc)
COUNT = 1000


def claim_all(url: str, owner: str, out: str, start) -> None:
    """Child process: claim until the queue is empty; write the ids claimed."""
    start.wait(10)
    claimed = []
    with Store.open(url) as store:
        while (msg := store.claim_due(owner, 300, now=T0 + timedelta(hours=1))) is not None:
            claimed.append(msg.id)
            # Stand-in for the modem's send time, outside any transaction: a
            # real worker never re-takes the lock at once, and SQLite's lock is
            # not fair, so without this one process may starve the other.
            time.sleep(0.001)
            store.mark_sent(msg.id, len(claimed) % 256, owner)
    Path(out).write_text(json.dumps(claimed))


@pytest.mark.slow
def test_two_processes_never_claim_one_message_twice(tmp_path, db_url):
    # PostgreSQL pays a round trip per statement (2 ms and more on a shared CI box): 300 texts
    # there keep the test bounded; the 1,000-text race of two real workers is
    # tests/test_worker_race_postgresql.py.
    count = 300 if db_url.startswith("postgresql") else COUNT
    with Store.open(db_url) as store, store.db.atomic():
        for i in range(count):
            store.queue_message(f"+1212555{i % 100:04d}", "text_back", f"text {i}", T0 + timedelta(seconds=i % 60))
    # fork: the parent holds no open connection now, and fork starts fast.
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    outs = [tmp_path / f"w{n}.json" for n in (1, 2)]
    workers = [ctx.Process(target=claim_all, args=(db_url, f"w{n}", str(out), start))
               for n, out in zip((1, 2), outs)]
    for w in workers:
        w.start()
    began = time.monotonic()
    start.set()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    elapsed = time.monotonic() - began
    first, second = (json.loads(out.read_text()) for out in outs)
    assert not set(first) & set(second)
    assert len(first) + len(second) == count == len(set(first) | set(second))
    assert first and second, "both processes should have claimed some"
    with Store.open(db_url) as store:
        assert store.claim_due("w3", 300, now=T0 + timedelta(days=1)) is None
        M = store.models.Message
        assert M.select().where(M.lease_owner.is_null()).count() == count
        assert M.select().where((M.status == "sent") & (M.attempts == 1)).count() == count
    assert elapsed < (30 if db_url.startswith("postgresql") else 20)
