"""Open the database a URL names: an SQLite file (default) or PostgreSQL.

SQLite is tuned for a queue shared by a few processes on one box (the AGI
hook, the worker, the CLI): WAL so readers never block the writer, a busy
timeout so writers wait for each other instead of failing, FULL sync so a
recorded call survives a power cut, and every transaction BEGIN IMMEDIATE so a
read-then-write transaction takes the write lock up front (a deferred one can
fail with "database is locked" at once when it upgrades).
"""
from __future__ import annotations

import importlib.util
import logging
import math
import os
import sqlite3
from pathlib import Path
from typing import Any

import peewee as pw

from store.errors import DatabaseNotWritable, DriverMissing, StoreError, sqlite_error
from store.file_modes import share_with_folder
from store.file_modes import writable_problem as file_writable_problem
from store.url import DEFAULT_URL, DatabaseURL, parse_database_url

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5     # seconds to reach a PostgreSQL server before giving up


def open_database(url: str = DEFAULT_URL, *, busy_timeout: float = 10.0) -> pw.Database:
    """Return a connected peewee database for `url`, or raise a StoreError subclass."""
    parsed = parse_database_url(url)
    if parsed.scheme == "sqlite":
        return _open_sqlite(parsed.path, busy_timeout)
    return _open_postgresql(parsed, busy_timeout)


def _open_sqlite(path: str, busy_timeout: float) -> pw.SqliteDatabase:
    if path != ":memory:":
        parent = Path(path).parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseNotWritable(
                f"cannot create the database directory {parent} ({exc.strerror or exc}): "
                "create it and give the textback user write access") from None
        if not Path(path).exists() and not os.access(parent, os.W_OK | os.X_OK):
            raise DatabaseNotWritable(f"cannot create the database {path}: the directory {parent} "
                                      "is not writable; give the textback user write access")
    db = pw.SqliteDatabase(
        path,
        timeout=busy_timeout,
        lock_type="IMMEDIATE",
        pragmas=[
            ("journal_mode", "wal"),
            ("busy_timeout", int(busy_timeout * 1000)),
            ("foreign_keys", 1),
            ("synchronous", 2),  # FULL
            # After a checkpoint, cut the WAL back to 4 MB: on a disk that filled up, a WAL
            # left at its high-water mark would keep the space the store needs to recover.
            ("journal_size_limit", 4 * 1024 * 1024),
        ],
    )
    try:
        db.connect()
        # Touch the schema: a file that is not SQLite fails here, not later.
        db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
    except (pw.DatabaseError, sqlite3.Error) as exc:
        db.close()
        raise sqlite_error(exc, path) from None
    if path != ":memory:":
        # The hook, the worker and staff are different users: a database in a shared
        # (group-writable) folder is made group-writable by whoever creates or owns it.
        for name in share_with_folder(path):
            log.info("made %s group-writable, as its folder is", name)
    return db


def writable_problem(db: pw.Database) -> str | None:
    """None when this process can write `db`; else one line with the exact fix. A reader
    (inbox, thread) needs no write access, so only the programs that write ask."""
    if not isinstance(db, pw.SqliteDatabase) or db.database == ":memory:":
        return None
    return file_writable_problem(db.database)


def _open_postgresql(parsed: DatabaseURL, busy_timeout: float) -> pw.PostgresqlDatabase:
    """psycopg 3 (the `postgresql` extra); peewee would take psycopg2 too, but only psycopg 3
    is tested and ships binary wheels for a Pi."""
    if importlib.util.find_spec("psycopg") is None:
        raise DriverMissing("a postgresql:// database needs psycopg 3, which is not installed: "
                            "pip install 'textback[postgresql]' (in a checkout: pip install '.[postgresql]'), "
                            "or use an sqlite:// URL")
    kwargs: dict[str, Any] = {k: v for k, v in (("user", parsed.user), ("password", parsed.password),
                                ("host", parsed.host), ("port", parsed.port)) if v is not None}
    # connect_timeout: an unreachable server fails in seconds, not the TCP default of minutes;
    # never longer than the caller's own bound (the hook's 2 s). libpq's minimum is 2.
    wait = max(2, min(CONNECT_TIMEOUT, math.ceil(busy_timeout)))
    db = pw.PostgresqlDatabase(parsed.database, prefer_psycopg3=True, connect_timeout=wait, **kwargs)
    try:
        db.connect()
    except pw.DatabaseError as exc:
        why = " ".join(str(exc).split())    # libpq's message spans lines
        raise StoreError(f"cannot connect to PostgreSQL database {parsed.database!r} on "
                         f"{parsed.host or 'localhost'} ({why}): check the URL and that the server runs") from None
    return db


# -- the connection's life: a failed write, the file replaced under us -----------------------------
def reset_connection(db: pw.Database, is_postgresql: bool) -> None:
    """After a failed write, start clean: SQLite may have rolled the transaction back
    itself (a full disk does), leaving the connection and peewee's transaction stack
    disagreeing. Reconnect (the pragmas are set again), then give back the space a
    grown WAL holds when a checkpoint can run. Never raises: the next verb tells."""
    try:
        db.close()
    except Exception:           # noqa: BLE001 - closing a broken connection may fail; it is gone either way
        log.debug("closing the database after an error failed", exc_info=True)
        _forget_connection(db)
    try:
        db.connect(reuse_if_open=True)
        if not is_postgresql:
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception as exc:     # noqa: BLE001 - the store is still down; the caller retries later
        log.debug("reconnect after an error: %s", exc)


def file_identity(db: pw.Database, known: tuple[int, int] | None) -> tuple[int, int] | None:
    """(device, inode) of the SQLite file at the database's path; (0, 0) when it is gone;
    None for PostgreSQL or an in-memory database; `known` when the path cannot be read."""
    path = getattr(db, "database", None)
    if isinstance(db, pw.PostgresqlDatabase) or not path or path == ":memory:":
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (0, 0)
    except OSError:
        return known
    return (st.st_dev, st.st_ino)


def replaced_how(db: pw.Database, opened: tuple[int, int] | None, now: tuple[int, int] | None) -> str | None:
    """How the file at our path changed since we opened it (removed, or another file moved
    there: a restore, a careless `rm`), or None while it is the one we hold. A connection
    keeps the old file open after either, so nothing would fail: every write would go to a
    file nobody else sees any more (the hook writes the new one)."""
    if opened is None or now is None or now == opened:
        return None
    if now == (0, 0):
        return f"{db.database} was removed"
    return f"{db.database} was replaced by another file (inode {opened[1]} -> {now[1]})"


def reconnect(db: pw.Database) -> None:
    """Drop the connection (to a file that may be gone) and connect to what is at the path now."""
    try:
        db.close()
    except Exception:           # noqa: BLE001 - the old file's connection; it is being dropped
        _forget_connection(db)
    db.connect()


def _forget_connection(db: pw.Database) -> None:
    """Drop peewee's per-thread connection state when close() itself failed."""
    state = getattr(db, "_state", None)
    if state is not None:
        state.reset()
