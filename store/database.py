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


def open_database(url: str = DEFAULT_URL, *, busy_timeout: float = 10.0) -> pw.Database:
    """Return a connected peewee database for `url`, or raise a StoreError subclass."""
    parsed = parse_database_url(url)
    if parsed.scheme == "sqlite":
        return _open_sqlite(parsed.path, busy_timeout)
    return _open_postgresql(parsed)


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


def _open_postgresql(parsed: DatabaseURL) -> pw.PostgresqlDatabase:
    # Untested against a real server yet (a later issue adds one to the tests).
    if importlib.util.find_spec("psycopg2") is None and importlib.util.find_spec("psycopg") is None:
        raise DriverMissing("a postgresql:// database needs a driver that is not installed: "
                            "pip install psycopg2-binary (or use an sqlite:// URL)")
    kwargs: dict[str, Any] = {k: v for k, v in (("user", parsed.user), ("password", parsed.password),
                                ("host", parsed.host), ("port", parsed.port)) if v is not None}
    db = pw.PostgresqlDatabase(parsed.database, **kwargs)
    try:
        db.connect()
    except pw.DatabaseError as exc:
        raise StoreError(f"cannot connect to PostgreSQL database {parsed.database!r} on "
                         f"{parsed.host or 'localhost'} ({exc}): check the URL and that the server runs") from None
    return db
