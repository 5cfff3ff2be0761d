"""The lean write path for the AGI hook: record one call with stdlib sqlite3 (a
PostgreSQL store: store/fast_record_postgresql.py, psycopg without peewee).

The hook runs once per call on a small board and pays the interpreter start
each time, so this module imports no peewee (a test checks it). It writes the
same row `Store.record_call` writes: the columns come from CALL_FACT_FIELDS
and the times go through store.times, like the models. Only when the database
file or schema is missing or old does it call `Store.open` (the rare path,
which may import peewee). Any failure becomes StoreUnavailable within about
`timeout` seconds, so the hook can spool the fact and let the call go on.
"""
from __future__ import annotations

import os
import sqlite3
import time

from store import times
from store.errors import StoreError, StoreUnavailable, sqlite_error
from store.facts import CALL_FACT_FIELDS, FILLABLE_FIELDS, CallFact
from store.schema import SCHEMA_VERSION
from store.url import parse_database_url

_COLUMNS = CALL_FACT_FIELDS + ("state", "recorded_at")
_INSERT = (
    f"INSERT INTO call ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT(uniqueid) DO UPDATE SET "
    + ", ".join(f"{n} = CASE WHEN call.{n} = '' THEN excluded.{n} ELSE call.{n} END" for n in FILLABLE_FIELDS)
    + " WHERE call.state = 'new'"
)


# Connections the hook leaves open on purpose (see record_call's leave_open).
_LEFT_OPEN: list[sqlite3.Connection] = []


def record_call(url: str, fact: CallFact, timeout: float = 2.0, *, leave_open: bool = False) -> int:
    """Record `fact` in the database at `url`; return the call id. Raises StoreUnavailable.

    leave_open: for a process that ends with os._exit right after (the hook). The row is
    committed and synced before this returns (synchronous=FULL: the WAL is fsynced at
    COMMIT); closing the connection would add nothing but, when no other process has the
    database open, a checkpoint of the WAL into the database file: four more fdatasyncs
    on every call (measured), work the worker's own connection does in its time anyway."""
    return record_calls(url, [fact], timeout, leave_open=leave_open)[0]


def record_calls(url: str, facts: list[CallFact], timeout: float = 2.0, *, leave_open: bool = False) -> list[int]:
    """Record several calls in one transaction, so one fsync for them all (the FastAGI
    server's group commit, agi/call_writer.py); their ids in order. Raises StoreUnavailable."""
    try:
        parsed = parse_database_url(url)
    except StoreError as exc:
        raise StoreUnavailable(str(exc)) from None
    if parsed.scheme != "sqlite":
        # psycopg only for a PostgreSQL store: an SQLite hook's imports stay as they are.
        from store import fast_record_postgresql
        return fast_record_postgresql.record_calls(url, parsed, facts, timeout)
    deadline = time.monotonic() + timeout
    path = parsed.path
    if not os.path.exists(path):
        from store.schema_setup import create_with_store  # peewee: the rare path only
        create_with_store(url, timeout)
    try:
        conn = sqlite3.connect(path, timeout=max(deadline - time.monotonic(), 0.05), isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreUnavailable(str(sqlite_error(exc, path, timeout))) from None
    try:
        try:
            version = _schema_version(conn)
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            version = 0
        if version != SCHEMA_VERSION:
            conn.close()
            from store.schema_setup import create_with_store  # peewee: the rare path only
            create_with_store(url, max(deadline - time.monotonic(), 0.05))
            conn = sqlite3.connect(path, timeout=max(deadline - time.monotonic(), 0.05), isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(max(deadline - time.monotonic(), 0.05) * 1000)}")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            call_ids = []
            for fact in facts:
                values = [getattr(fact, n) for n in CALL_FACT_FIELDS]
                values[CALL_FACT_FIELDS.index("happened_at")] = times.to_db(fact.happened_at)
                conn.execute(_INSERT, values + ["new", times.to_db(times.utcnow())])
                (call_id,) = conn.execute("SELECT id FROM call WHERE uniqueid = ?", (fact.uniqueid,)).fetchone()
                call_ids.append(call_id)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if leave_open:
            _LEFT_OPEN.append(conn)
        return call_ids
    except sqlite3.Error as exc:
        raise StoreUnavailable(str(sqlite_error(exc, path, timeout))) from None
    finally:
        if not _LEFT_OPEN or _LEFT_OPEN[-1] is not conn:
            conn.close()


def hold_open(url: str) -> sqlite3.Connection | None:
    """For a process that records many calls (the FastAGI server): one idle connection to
    keep open for its life, so each call's own connection is never the last to close. The
    last one checkpoints the WAL into the database (four more fdatasyncs, measured) on every
    call whenever the worker is not running. None for PostgreSQL or a store not there yet."""
    try:
        parsed = parse_database_url(url)
        if parsed.scheme != "sqlite" or not os.path.exists(parsed.path):
            return None
        conn = sqlite3.connect(parsed.path, timeout=1.0, isolation_level=None, check_same_thread=False)
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()   # joins the WAL, holds nothing
        return conn
    except (StoreError, sqlite3.Error, OSError):
        return None


def _schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0
