"""Schema versions: the real v1 fixture opens migrated; versions agree."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from store import Store
from store.migrations import CURRENT_VERSION, STEPS
from store.schema import SCHEMA_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "v1.db"


def columns(path) -> dict[str, set[str]]:
    conn = sqlite3.connect(path)
    try:
        # sqlite_stat1 (ANALYZE's statistics) is SQLite's own, not part of the schema.
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                             "AND name NOT LIKE 'sqlite_%'")]
        return {t: {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')} for t in tables}
    finally:
        conn.close()


def version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
    finally:
        conn.close()


def test_versions_agree():
    assert CURRENT_VERSION == SCHEMA_VERSION == len(STEPS)


def test_v1_fixture_is_really_v1(tmp_path):
    # A copy: even reading a WAL database may leave -wal/-shm files beside it.
    shutil.copy(FIXTURE, tmp_path / "v1.db")
    assert version(tmp_path / "v1.db") == 1


def test_v1_fixture_opens_migrated_with_its_data(tmp_path):
    copy = tmp_path / "v1.db"
    shutil.copy(FIXTURE, copy)
    with Store.open(f"sqlite:///{copy}") as store:
        planned = store.call(1)
        assert planned.state == "planned" and planned.caller_number == "+12125550123"
        assert planned.fact.caller_name == "Bob" and planned.fact.disposition == "NOANSWER"
        assert store.call(2).skip_reason == "anonymous"
        assert [c.fact.uniqueid for c in store.new_calls()] == ["1741102400.19"]
        thread = store.thread("+12125550123")
        assert [(m.kind, m.status) for m in thread] == [
            ("text_back", "scheduled"), ("follow_up", "scheduled"), ("reply", "received")]
        assert store.is_opted_out("+447700900124")
        # The half-received multipart message completes after the upgrade.
        assert store.add_inbound_part("+12125550123", 42, 2, 2, " message", None)[1] == "first half of a long message"
    assert version(copy) == CURRENT_VERSION


def test_migrated_v1_has_the_same_columns_as_a_fresh_database(tmp_path):
    copy = tmp_path / "v1.db"
    shutil.copy(FIXTURE, copy)
    Store.open(f"sqlite:///{copy}").close()
    Store.open(f"sqlite:///{tmp_path}/fresh.db").close()
    assert columns(copy) == columns(tmp_path / "fresh.db")


def indexes(path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL"))
    finally:
        conn.close()


def test_migrated_v1_has_the_indexes_of_a_fresh_database_and_statistics(tmp_path):
    """v2 -> v3 adds the indexes for a store of years (tests/test_store_query_plans.py) and
    runs ANALYZE so SQLite picks them."""
    copy = tmp_path / "v1.db"
    shutil.copy(FIXTURE, copy)
    Store.open(f"sqlite:///{copy}").close()
    Store.open(f"sqlite:///{tmp_path}/fresh.db").close()
    assert indexes(copy) == indexes(tmp_path / "fresh.db")
    assert {"call_happened_at", "call_new", "message_sent_at", "message_unread"} <= set(indexes(copy))
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'message'").fetchone()[0] > 0
    finally:
        conn.close()


def test_opening_twice_changes_nothing(db_url):
    Store.open(db_url).close()
    with Store.open(db_url) as store:
        assert store.models.Meta.get_by_id("schema_version").value == str(CURRENT_VERSION)
