"""The AGI hook's lean write path for a PostgreSQL store: psycopg 3, no peewee.

The same row Store.record_call writes (store/fast_record.py says why the hook cannot pay
for peewee), within the hook's time bound: libpq's connect_timeout for a server that does
not answer (an unreachable host would otherwise hold the call for the TCP timeout, minutes),
a statement and lock timeout for one that answers but is stuck. Any failure becomes
StoreUnavailable, so the hook spools the fact and the worker imports it once the server is
back. Imported only for postgresql:// URLs: an SQLite hook never loads psycopg.
"""
from __future__ import annotations

import math
import time
from typing import Any

from store import times
from store.errors import StoreUnavailable
from store.facts import CALL_FACT_FIELDS, FILLABLE_FIELDS, CallFact
from store.schema import SCHEMA_VERSION
from store.url import DatabaseURL

_COLUMNS = CALL_FACT_FIELDS + ("state", "recorded_at")
_INSERT = (
    f"INSERT INTO call ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))}) "
    "ON CONFLICT (uniqueid) DO UPDATE SET "
    # CAST: a blank is '' in a text column; PostgreSQL, unlike SQLite, refuses to compare an
    # integer one (ring_seconds) with '', and a NULL one is left alone as the Store leaves it.
    + ", ".join(f"{n} = CASE WHEN CAST(call.{n} AS TEXT) = '' THEN excluded.{n} ELSE call.{n} END"
                for n in FILLABLE_FIELDS)
    + " WHERE call.state = 'new'"
)


def record_calls(url: str, parsed: DatabaseURL, facts: list[CallFact], timeout: float) -> list[int]:
    """Record `facts` in one transaction; their call ids in order. Raises StoreUnavailable."""
    try:
        import psycopg
    except ImportError:
        raise StoreUnavailable("a postgresql:// database needs psycopg 3, which is not installed: "
                               "pip install 'textback[postgresql]'") from None
    deadline = time.monotonic() + timeout
    where = f"PostgreSQL database {parsed.database!r} on {parsed.host or 'localhost'}"
    try:
        conn = _connect(psycopg, parsed, timeout)
    except psycopg.Error as exc:
        raise StoreUnavailable(f"cannot connect to {where} ({_one_line(exc)})") from None
    try:
        if _schema_version(psycopg, conn) != SCHEMA_VERSION:
            conn.close()
            from store.schema_setup import create_with_store  # peewee: the rare path only
            create_with_store(url, max(deadline - time.monotonic(), 0.5))
            conn = _connect(psycopg, parsed, max(deadline - time.monotonic(), 0.5))
        with conn.transaction():
            call_ids = []
            for fact in facts:
                values: list[Any] = [getattr(fact, n) for n in CALL_FACT_FIELDS]
                values[CALL_FACT_FIELDS.index("happened_at")] = times.to_db(fact.happened_at)
                conn.execute(_INSERT, values + ["new", times.to_db(times.utcnow())])
                row = conn.execute("SELECT id FROM call WHERE uniqueid = %s", (fact.uniqueid,)).fetchone()
                call_ids.append(int(row[0]))
        return call_ids
    except psycopg.Error as exc:
        raise StoreUnavailable(f"cannot record the call in {where} ({_one_line(exc)})") from None
    finally:
        conn.close()


def _connect(psycopg: Any, parsed: DatabaseURL, timeout: float) -> Any:
    # libpq takes whole seconds and treats anything under 2 as 2.
    wait = max(2, math.ceil(timeout))
    budget_ms = max(int(timeout * 1000), 100)
    kwargs = {k: v for k, v in (("user", parsed.user), ("password", parsed.password),
                                ("host", parsed.host), ("port", parsed.port)) if v is not None}
    return psycopg.connect(dbname=parsed.database, connect_timeout=wait, autocommit=True,
                           options=f"-c statement_timeout={budget_ms} -c lock_timeout={budget_ms}", **kwargs)


def _schema_version(psycopg: Any, conn: Any) -> int:
    """The stored schema version; 0 when there is no schema yet."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0]) if row else 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
