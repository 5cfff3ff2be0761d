"""Recording calls: Store.record_call and the lean AGI path store.fast_record."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import pytest

from store import Store, fast_record
from store.errors import StoreUnavailable
from store.facts import CALL_FACT_FIELDS, CallFact, CallPlan
from store.schema import SCHEMA_VERSION

WHEN = datetime(2025, 3, 4, 15, 30, 0, tzinfo=timezone.utc)


def fact(uniqueid="1741102200.17", **kw) -> CallFact:
    values = dict(uniqueid=uniqueid, linkedid=uniqueid, caller_raw="2125550123", caller_name='Bob "The" Builder',
                  caller_presentation="allowed_not_screened", business_line="+12125550100",
                  disposition="NOANSWER", happened_at=WHEN, source="agi")
    values.update(kw)
    return CallFact(**values)


def call_rows(path) -> list[dict]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM call ORDER BY id")]
    finally:
        conn.close()


def db_path(url: str) -> str:
    return url[len("sqlite:///"):]


def test_every_call_fact_field_is_a_column(store):
    columns = set(store.models.Call._meta.columns)
    assert set(CALL_FACT_FIELDS) <= columns


def test_record_call_twice_is_one_row_and_fills_blanks(store):
    first = store.record_call(fact(caller_name="", disposition="NOANSWER"))
    second = store.record_call(fact(caller_name="Alice", disposition="BUSY"))
    assert first == second
    [call] = store.new_calls()
    assert call.fact.caller_name == "Alice"          # blank filled
    assert call.fact.disposition == "NOANSWER"       # never overwritten
    assert call.fact.happened_at == WHEN
    assert call.state == "new" and call.recorded_at.tzinfo is timezone.utc


def test_record_call_never_changes_a_call_past_new(store):
    call_id = store.record_call(fact(caller_name=""))
    store.plan_call(call_id, CallPlan(caller_number=None, skip_reason="anonymous"))
    assert store.record_call(fact(caller_name="Late Name")) == call_id
    assert store.call(call_id).fact.caller_name == ""
    assert store.call(call_id).state == "skipped"


def test_fast_path_and_store_write_identical_rows(tmp_path):
    via_store, via_fast = f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"
    facts = [fact(), fact("1741102200.18", caller_raw="+447700900123", caller_name="",
                          happened_at=datetime(2025, 3, 4, 15, 31, tzinfo=timezone.utc))]
    with Store.open(via_store) as store:
        ids_store = [store.record_call(f) for f in facts]
    ids_fast = [fast_record.record_call(via_fast, f) for f in facts]
    assert ids_store == ids_fast == [1, 2]
    rows_store, rows_fast = call_rows(db_path(via_store)), call_rows(db_path(via_fast))
    for a, b in zip(rows_store, rows_fast, strict=True):
        assert a.pop("recorded_at")[:4] == b.pop("recorded_at")[:4] == str(datetime.now(timezone.utc).year)
        assert a == b
    # And peewee reads the fast path's row back as the same values.
    with Store.open(via_fast) as store:
        assert [c.fact for c in store.new_calls()] == facts


@pytest.mark.sqlite_only   # the lean path on PostgreSQL: tests/test_store_record_postgresql.py
def test_fast_path_and_store_mixed_give_one_row(db_url):
    first = fast_record.record_call(db_url, fact(caller_name=""))
    with Store.open(db_url) as store:
        assert store.record_call(fact(caller_name="Alice")) == first
        assert fast_record.record_call(db_url, fact(caller_name="Other")) == first
        [call] = store.new_calls()
        assert call.fact.caller_name == "Alice"
        store.plan_call(first, CallPlan(caller_number=None, skip_reason="anonymous"))
    # Past `new`: the fast path leaves it alone too.
    assert fast_record.record_call(db_url, fact(disposition="")) == first
    assert call_rows(db_path(db_url))[0]["state"] == "skipped"
    assert len(call_rows(db_path(db_url))) == 1


def test_fast_path_creates_missing_directory_and_schema(tmp_path):
    url = f"sqlite:///{tmp_path}/new/dir/textback.db"
    assert fast_record.record_call(url, fact()) == 1
    with Store.open(url) as store:
        assert store.call(1).fact == fact()


@pytest.mark.sqlite_only   # the lean path on PostgreSQL: tests/test_store_record_postgresql.py
def test_fast_path_gives_up_in_about_timeout_when_locked(db_url):
    fast_record.record_call(db_url, fact())
    holder = sqlite3.connect(db_path(db_url), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")          # another writer holds the lock
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="locked"):
            fast_record.record_call(db_url, fact("1741102200.99"), timeout=0.5)
        elapsed = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert 0.4 <= elapsed < 1.5


@pytest.mark.sqlite_only   # the lean path on PostgreSQL: tests/test_store_record_postgresql.py
def test_fast_path_waits_for_a_short_lock(db_url):
    fast_record.record_call(db_url, fact())
    holder = sqlite3.connect(db_path(db_url), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.2, lambda: holder.execute("COMMIT"))
    timer.start()
    try:
        assert fast_record.record_call(db_url, fact("1741102200.20"), timeout=2.0) == 2
    finally:
        timer.join()
        holder.close()


def test_fast_path_corrupt_file_is_unavailable(tmp_path):
    path = tmp_path / "textback.db"
    path.write_bytes(b"this is not an sqlite database, just text" * 100)
    with pytest.raises(StoreUnavailable, match="is not a usable SQLite database"):
        fast_record.record_call(f"sqlite:///{path}", fact())


def test_fast_path_unwritable_directory_is_unavailable(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreUnavailable, match="cannot create the database directory"):
        fast_record.record_call(f"sqlite:///{blocker}/textback.db", fact())


def test_fast_path_bad_url_is_unavailable():
    with pytest.raises(StoreUnavailable, match="unknown database URL scheme"):
        fast_record.record_call("mysql://x/y", fact())


@pytest.mark.sqlite_only   # the lean path on PostgreSQL: tests/test_store_record_postgresql.py
def test_fast_path_newer_schema_is_unavailable(db_url):
    fast_record.record_call(db_url, fact())
    conn = sqlite3.connect(db_path(db_url))
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    with pytest.raises(StoreUnavailable,
                       match=rf"schema v{SCHEMA_VERSION + 1} is newer than this textback \(v{SCHEMA_VERSION}\)"):
        fast_record.record_call(db_url, fact("1741102200.21"))


@pytest.mark.sqlite_only   # the lean path on PostgreSQL: tests/test_store_record_postgresql.py
def test_fast_path_imports_no_peewee(db_url):
    fast_record.record_call(db_url, fact())        # schema exists: the common case
    code = ("import sys; from store import fast_record; from store.facts import CallFact; "
            f"print(fast_record.record_call({db_url!r}, CallFact(uniqueid='x.1'))); "
            "print('peewee' in sys.modules, 'psycopg' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.split() == ["2", "False", "False"]
