"""The hook's lean path on a PostgreSQL store (store/fast_record_postgresql.py): the row the
Store writes, psycopg without peewee, the hook's time bound when the server does not
answer, and two PBXs sharing one server through an outage (their calls spool, and are
imported once when it returns)."""
from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
from test_worker_support import missed_call, write_config

from store import Store, fast_record
from store.errors import StoreUnavailable
from store.facts import CALL_FACT_FIELDS, CallFact
from store.spool import import_spool, pending_spool

T0 = datetime(2025, 3, 4, 15, 30, tzinfo=timezone.utc)


def fact(uniqueid: str = "1741102200.17", **kw) -> CallFact:
    base = dict(uniqueid=uniqueid, linkedid=uniqueid, caller_raw="2125550123", caller_name="Bob",
                business_line="+12125550100", disposition="NOANSWER", happened_at=T0)
    base.update(kw)
    return CallFact(**base)


def test_lean_path_writes_the_row_the_store_writes(pg_url):
    lean = fast_record.record_call(pg_url, fact())                 # creates the schema (rare path)
    with Store.open(pg_url) as store:
        full = store.record_call(fact("1741102200.18"))
        a, b = store.call(lean), store.call(full)
    assert (a.fact.caller_name, a.fact.happened_at, a.state) == ("Bob", T0, "new")
    same = [n for n in CALL_FACT_FIELDS if n not in ("uniqueid", "linkedid")]
    assert [getattr(a.fact, n) for n in same] == [getattr(b.fact, n) for n in same]
    assert (a.recorded_at is not None, a.region, a.skip_reason) == (True, b.region, b.skip_reason)


def test_lean_path_and_store_mixed_give_one_row_and_fill_blanks(pg_url):
    first = fast_record.record_call(pg_url, fact(caller_name="", ring_seconds=7))
    assert fast_record.record_call(pg_url, fact(caller_name="Bob", ring_seconds=9)) == first
    with Store.open(pg_url) as store:
        assert store.record_call(fact()) == first
        assert (store.call(first).fact.caller_name, store.call(first).fact.ring_seconds) == ("Bob", 7)


def test_lean_path_imports_psycopg_and_no_peewee(pg_url):
    fast_record.record_call(pg_url, fact())        # schema exists: the common case
    code = ("import sys; from store import fast_record; from store.facts import CallFact; "
            f"print(fast_record.record_call({pg_url!r}, CallFact(uniqueid='x.1'))); "
            "print('peewee' in sys.modules, 'psycopg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.split() == ["2", "False", "True"]


def test_a_server_that_never_answers_is_unavailable_within_the_hooks_bound():
    # A port that accepts the connection and then says nothing: a hung or firewalled server.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match=r"cannot connect to PostgreSQL database 'textback' on 127.0.0.1"):
            fast_record.record_call(f"postgresql://tb@127.0.0.1:{port}/textback", fact(), timeout=2.0)
        waited = time.monotonic() - started
    assert 1.5 < waited < 3.5


@pytest.mark.slow
def test_two_pbxs_share_one_server_and_spool_through_an_outage(tmp_path, pg_cluster, pg_url):
    """Two hooks with two configs (their own spool folders) write to one server; with the
    server stopped mid-run each spools; when it is back each spool is imported once."""
    Store.open(pg_url).close()
    pbxs = [write_config(tmp_path / name, port="/dev/null", url=pg_url) for name in ("pbx-a", "pbx-b")]
    spools = [tmp_path / name / "spool" for name in ("pbx-a", "pbx-b")]
    numbers = [f"+121255501{n:02d}" for n in range(20, 36)]
    calls = [(pbxs[i % 2], number, f"17410{i:05d}.{i % 2}") for i, number in enumerate(numbers)]
    try:
        for i, (config, number, uniqueid) in enumerate(calls):
            if i == 8:
                pg_cluster.stop()              # mid-run: the server goes away
            began = time.monotonic()
            missed_call(config, number, uniqueid)
            assert time.monotonic() - began < 5, "the hook held the call past its bound"
    finally:
        pg_cluster.restart()
    assert [len(pending_spool(s)) for s in spools] == [4, 4]
    with Store.open(pg_url) as store:
        assert len(store.new_calls()) == 8                 # recorded before the outage
        imported = [import_spool(s, store.record_call) for s in spools]
        assert [len(r.imported) for r in imported] == [4, 4] and not any(r.rejected for r in imported)
        again = [import_spool(s, store.record_call) for s in spools]
        assert [r.imported for r in again] == [[], []]
        kept = store.new_calls()
        assert sorted(c.fact.uniqueid for c in kept) == sorted(u for _, _, u in calls)
        assert len(kept) == len(calls) == 16               # every call once, none twice
        assert sorted(c.fact.source for c in kept).count("spool") == 8
