"""The same migration steps on PostgreSQL: the v1 fixture (tests/fixtures/v1.db), loaded into
PostgreSQL as peewee's v1 models would have made it there, migrates to the columns and
indexes of a fresh PostgreSQL database, its data intact."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from store import Store
from store.migrations import CURRENT_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "v1.db"
BOOLEANS = {("contact", "opted_out"), ("contact", "blocked")}     # v1's BooleanFields


def _postgresql_ddl(sql: str) -> str:
    """v1.db's CREATE statements in the types peewee gives PostgreSQL."""
    sql = sql.replace('"id" INTEGER NOT NULL PRIMARY KEY', '"id" SERIAL NOT NULL PRIMARY KEY')
    sql = sql.replace(" DATETIME", " TIMESTAMP")
    for _table, column in BOOLEANS:
        sql = sql.replace(f'"{column}" INTEGER NOT NULL', f'"{column}" BOOLEAN NOT NULL')
    return sql


def load_v1(url: str) -> None:
    import psycopg

    source = sqlite3.connect(FIXTURE)
    tables = source.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    indexes = source.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    # Tables in an order their foreign keys accept.
    order = ["contact", "call", "inbound_part", "message", "meta", "opt_out_event"]
    assert sorted(order) == sorted(name for name, _ in tables)
    ddl = dict(tables)
    with psycopg.connect(url) as conn:
        for name in order:
            conn.execute(_postgresql_ddl(ddl[name]))
        for (sql,) in indexes:
            conn.execute(sql)
        for name in order:
            cursor = source.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cursor.description]
            for row in cursor:
                values = [bool(v) if (name, c) in BOOLEANS else v for c, v in zip(columns, row)]
                quoted = ", ".join(f'"{c}"' for c in columns)
                conn.execute(f'INSERT INTO "{name}" ({quoted}) VALUES ({", ".join(["%s"] * len(values))})', values)
            if "id" in columns:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM \"{name}\"), false)")
    source.close()


def columns(url: str) -> dict[str, list[tuple[str, str, str, str | None]]]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT table_name, column_name, data_type, is_nullable, column_default "
                            "FROM information_schema.columns WHERE table_schema = 'public' "
                            "ORDER BY table_name, column_name").fetchall()
    found: dict[str, list[tuple[str, str, str, str | None]]] = {}
    for table, *rest in rows:
        # A serial's default names its sequence: the same in both.
        found.setdefault(table, []).append(tuple(rest))  # type: ignore[arg-type]
    return found


def indexes(url: str) -> dict[str, str]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'").fetchall()
    return {name: re.sub(r"\s+", " ", definition) for name, definition in rows}


@pytest.fixture
def v1_url(pg_cluster):
    url = pg_cluster.new_database()
    load_v1(url)
    yield url
    pg_cluster.drop_database(url)


def test_v1_on_postgresql_migrates_with_its_data(v1_url):
    with Store.open(v1_url) as store:
        assert store.models.Meta.get_by_id("schema_version").value == str(CURRENT_VERSION)
        planned = store.call(1)
        assert planned.state == "planned" and planned.caller_number == "+12125550123"
        assert store.call(2).skip_reason == "anonymous"
        assert [c.fact.uniqueid for c in store.new_calls()] == ["1741102400.19"]
        assert [(m.kind, m.status) for m in store.thread("+12125550123")] == [
            ("text_back", "scheduled"), ("follow_up", "scheduled"), ("reply", "received")]
        assert store.is_opted_out("+447700900124")
        assert store.add_inbound_part("+12125550123", 42, 2, 2, " message", None)[1] == "first half of a long message"


def test_v1_on_postgresql_migrates_to_a_fresh_databases_columns_and_indexes(v1_url, pg_url):
    Store.open(v1_url).close()
    Store.open(pg_url).close()
    assert columns(v1_url) == columns(pg_url)
    assert indexes(v1_url) == indexes(pg_url)
    assert {"call_happened_at", "call_new", "message_sent_at", "message_unread"} <= set(indexes(v1_url))


def test_programs_opening_a_new_postgresql_database_at_once_all_succeed(pg_url):
    """The hook, the worker and a command may all find the database empty: one creates the
    schema, the others wait for it (on SQLite, BEGIN IMMEDIATE; here an advisory lock).
    Threads, each with its own Store and connection, released together."""
    import threading

    barrier = threading.Barrier(6)
    results: list[str] = []

    def open_it() -> None:
        barrier.wait()
        try:
            with Store.open(pg_url) as store:
                results.append(str(store.models.Meta.get_by_id("schema_version").value))
        except Exception as exc:        # noqa: BLE001 - the failure is the finding
            results.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [str(CURRENT_VERSION)] * 6
